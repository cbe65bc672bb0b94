/* The one-sample two-sided Kolmogorov-Smirnov distribution, P(D_n >= d), computed as
 * scipy 1.10's scipy.stats.kstwo.sf (scipy/stats/_ksstats.py and special/cephes/kolmogorov.c). */
#include "stats/drift.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Method choice and thresholds follow Simard & L'Ecuyer (2011), "Computing the Two-Sided
 * Kolmogorov-Smirnov Distribution", J. Stat. Softw. 39(11), exactly as scipy's _kolmogn. */

#define E128 128
#define TWO_P128 0x1p128
#define TWO_M128 0x1p-128
/* log(2^-1022): cephes MINLOG; smirnov() returns 0 below exp(MINLOG) */
#define CEPHES_MINLOG (-7.08396418532264106224e2)
/* scipy's SMIRNOV_MAX_COMPUTE_N: above it the one-sided tail uses an approximation */
#define SMIRNOV_MAX_COMPUTE_N 1000000UL

static double clip01(double p)
{
    return p < 0.0 ? 0.0 : (p > 1.0 ? 1.0 : p);
}

/* log(n! / n^n) by Stirling's series with n*log(n) removed up front (scipy's
 * _log_nfactorial_div_n_pow_n); the coefficients are B_2j / (2j (2j-1)), j = 8..1. */
static double log_nfactorial_div_n_pow_n(double n)
{
    static const double stirling[] = {
        -2.955065359477124183e-2, 6.4102564102564102564e-3, -1.9175269175269175269e-3,
        8.4175084175084175084e-4, -5.952380952380952381e-4, 7.9365079365079365079e-4,
        -2.7777777777777777778e-3, 8.3333333333333333333e-2,
    };
    double rn = 1.0 / n, x = rn / n, poly = 0.0;
    for (size_t i = 0; i < sizeof stirling / sizeof stirling[0]; i++)
        poly = poly * x + stirling[i];
    return log(n) / 2 - n + log(2 * M_PI) / 2 + rn * poly;
}

/* ---- Durbin's matrix algorithm as Marsaglia, Tsang & Wang (2003) compute it ---------------
 * P(D_n <= d) = n!/n^n * (H^n)[k-1][k-1] with d = (k - h)/n, H of order 2k-1. Intermediate
 * powers are rescaled by 2^128 and the exponent carried separately. Requires 1 < n*d, d < 1. */

static void matmul(const double *a, const double *b, double *out, int m)
{
    for (int i = 0; i < m; i++) {
        for (int j = 0; j < m; j++)
            out[i * m + j] = 0.0;
        for (int l = 0; l < m; l++) {
            double ail = a[i * m + l];
            for (int j = 0; j < m; j++)
                out[i * m + j] += ail * b[l * m + j];
        }
    }
}

static int kolmogn_dmtw_cdf(unsigned long n, double d, double *cdf)
{
    double nd = (double)n * d;
    int k = (int)ceil(nd);
    double h = k - nd;
    int m = 2 * k - 1;
    size_t mm = (size_t)m * (size_t)m;
    /* H, its power P, two products, and the vectors v, w */
    double *buf = malloc((4 * mm + 2 * (size_t)m) * sizeof *buf);
    if (!buf)
        return -1;
    double *H = buf, *P = buf + mm, *tmp = buf + 2 * mm, *tmp2 = buf + 3 * mm;
    double *v = buf + 4 * mm, *w = v + m;

    double fac = 1.0;
    for (int j = 1; j <= m; j++) {
        w[j - 1] = fac; /* 1/(j-1)! */
        fac /= j;       /* may underflow, harmlessly */
        v[j - 1] = (1.0 - pow(h, j)) * fac;
    }
    double tt = pow(fmax(2 * h - 1.0, 0.0), m) - 2 * pow(h, m);
    v[m - 1] = (1.0 + tt) * fac;

    memset(H, 0, mm * sizeof *H);
    for (int c = 1; c < m; c++)
        for (int r = c - 1; r < m; r++)
            H[r * m + c] = w[r - c + 1];
    for (int r = 0; r < m; r++)
        H[r * m] = v[r];
    for (int c = 0; c < m; c++)
        H[(m - 1) * m + c] = v[m - 1 - c];

    memset(P, 0, mm * sizeof *P);
    for (int i = 0; i < m; i++)
        P[i * m + i] = 1.0;

    /* Hpwr = H^n by repeated squaring; H is rescaled when its central entry grows past 2^128. */
    long expnt = 0, hexpnt = 0;
    for (unsigned long nn = n; nn > 0; nn /= 2) {
        if (nn % 2) {
            matmul(P, H, tmp, m);
            memcpy(P, tmp, mm * sizeof *P);
            expnt += hexpnt;
        }
        matmul(H, H, tmp2, m);
        memcpy(H, tmp2, mm * sizeof *H);
        hexpnt *= 2;
        if (fabs(H[(k - 1) * m + (k - 1)]) > TWO_P128) {
            for (size_t i = 0; i < mm; i++)
                H[i] /= TWO_P128;
            hexpnt += E128;
        }
    }

    /* Multiply by n!/n^n, keeping the value away from underflow. */
    long double p = P[(k - 1) * m + (k - 1)];
    for (unsigned long i = 1; i <= n; i++) {
        p = (long double)i * p / (long double)n;
        if (fabsl(p) < TWO_M128) {
            p *= TWO_P128;
            expnt -= E128;
        }
    }
    if (expnt != 0)
        p = ldexpl(p, (int)expnt);
    free(buf);
    *cdf = clip01((double)p);
    return 0;
}

/* ---- Pomeranz (1974) recursion, Algorithm 487: P(D_n <= d) -------------------------------- */

static void pomeranz_j1j2(long i, long n, long ll, long ceilf, long roundf, long *j1, long *j2)
{
    long a, b;
    if (i == 0) {
        a = -ll - ceilf - 1;
        b = ll + ceilf - 1;
    } else {
        long ip1div2 = (i + 1) / 2, ip1mod2 = (i + 1) % 2;
        if (ip1mod2 == 0) { /* i is odd */
            if (ip1div2 == n + 1) {
                a = n - ll - ceilf - 1;
                b = n + ll + ceilf - 1;
            } else {
                a = ip1div2 - 1 - ll - roundf - 1;
                b = ip1div2 + ll - 1 + ceilf - 1;
            }
        } else {
            a = ip1div2 - 1 - ll - 1;
            b = ip1div2 + ll + roundf - 1;
        }
    }
    *j1 = a + 2 > 0 ? a + 2 : 0;
    *j2 = b < n ? b : n;
}

static int kolmogn_pomeranz_cdf(unsigned long un, double x, double *cdf)
{
    long n = (long)un;
    double t = (double)n * x;
    long ll = (long)floor(t);
    double f = t - (double)ll;
    double g = fmin(f, 1.0 - f);
    long ceilf = f > 0 ? 1 : 0, roundf = f > 0.5 ? 1 : 0;
    long npwrs = 2 * (ll + 1);
    double *buf = malloc((size_t)npwrs * 6 * sizeof *buf);
    if (!buf)
        return -1;
    /* gpower[m] = (g/n)^m/m!, twogpower = (2g/n)^m/m!, onem2gpower = ((1-2g)/n)^m/m!:
     * Poisson probabilities up to their normalising factor. */
    double *gpower = buf, *twogpower = buf + npwrs, *onem2gpower = buf + 2 * npwrs;
    double *V0 = buf + 3 * npwrs, *V1 = buf + 4 * npwrs, *conv = buf + 5 * npwrs;
    double g_n = g / n, twog_n = 2 * g / n, onem2g_n = (1 - 2 * g) / n;
    gpower[0] = twogpower[0] = onem2gpower[0] = 1.0;
    for (long m = 1; m < npwrs; m++) {
        gpower[m] = gpower[m - 1] * g_n / m;
        twogpower[m] = twogpower[m - 1] * twog_n / m;
        onem2gpower[m] = onem2gpower[m - 1] * onem2g_n / m;
    }

    memset(V0, 0, (size_t)npwrs * sizeof *V0);
    memset(V1, 0, (size_t)npwrs * sizeof *V1);
    V1[0] = 1;
    long V0s = 0, V1s = 0, expnt = 0, j1, j2;
    pomeranz_j1j2(0, n, ll, ceilf, roundf, &j1, &j2);
    for (long i = 1; i < 2 * n + 2; i++) {
        long k1 = j1;
        double *tv = V0;
        V0 = V1;
        V1 = tv;
        long ts = V0s;
        V0s = V1s;
        V1s = ts;
        memset(V1, 0, (size_t)npwrs * sizeof *V1);
        pomeranz_j1j2(i, n, ll, ceilf, roundf, &j1, &j2);
        const double *pw = (i == 1 || i == 2 * n + 1) ? gpower : (i % 2 ? twogpower : onem2gpower);
        long ln2 = j2 - k1 + 1;
        if (ln2 > 0) {
            /* conv = full convolution of V0[k1-V0s .. +ln2) with pw[0 .. ln2) (numpy.convolve);
             * only the entries conv[j1-k1 .. j2-k1] are used. */
            long off = k1 - V0s;
            long la = ln2 < npwrs - off ? ln2 : npwrs - off; /* slices end at the array's end */
            long lb = ln2 < npwrs ? ln2 : npwrs;
            long conv_start = j1 - k1, conv_len = j2 - j1 + 1;
            for (long c = conv_start; c < conv_start + conv_len; c++) {
                double s = 0.0;
                long lo = c - (lb - 1) > 0 ? c - (lb - 1) : 0;
                long hi = c < la - 1 ? c : la - 1;
                for (long a = lo; a <= hi; a++)
                    s += V0[off + a] * pw[c - a];
                conv[c - conv_start] = s;
            }
            double vmax = 0.0;
            for (long c = 0; c < conv_len; c++) {
                V1[c] = conv[c];
                if (conv[c] > vmax)
                    vmax = conv[c];
            }
            if (vmax > 0 && vmax < TWO_M128) { /* rescale to avoid underflow */
                for (long c = 0; c < npwrs; c++)
                    V1[c] *= TWO_P128;
                expnt -= E128;
            }
            V1s = V0s + j1 - k1;
        }
    }

    /* multiply by n! */
    long double ans = V1[n - V1s];
    for (long m = 1; m <= n; m++) {
        if (fabsl(ans) > TWO_P128) {
            ans *= TWO_M128;
            expnt += E128;
        }
        ans *= m;
    }
    if (expnt != 0)
        ans = ldexpl(ans, (int)expnt);
    free(buf);
    *cdf = clip01((double)ans);
    return 0;
}

/* ---- Pelz & Good (1976) approximation of P(D_n <= x), for small z = x*sqrt(n) ------------
 * Li-Chien/Korolyuk's expansion K0 + K1/sqrt(n) + K2/n + K3/n^1.5, each K_i transformed with
 * the Jacobi theta functional equation; ported term by term from scipy's _kolmogn_PelzGood. */
static double kolmogn_pelzgood_cdf(unsigned long n, double x)
{
    const double pi2 = M_PI * M_PI, pi4 = pi2 * pi2, pi6 = pi4 * pi2;
    const double sqrt2pi = sqrt(2 * M_PI);
    double z = sqrt((double)n) * x;
    double z2 = pow(z, 2), z3 = pow(z, 3), z4 = pow(z, 4), z6 = pow(z, 6);

    double qlog = -pi2 / 8 / z2;
    if (qlog < -708) /* z < 0.0417: the cdf is 0 to double precision */
        return 0.0;
    double q = exp(qlog);

    double k1a = -z2, k1b = pi2 / 4;
    double k2a = 6 * z6 + 2 * z4, k2b = (2 * z4 - 5 * z2) * pi2 / 4, k2c = pi4 * (1 - 2 * z2) / 16;
    double k3d = pi6 * (5 - 30 * z2) / 64;
    double k3c = pi4 * (-60 * z2 + 212 * z4) / 16;
    double k3b = pi2 * (135 * z4 - 96 * z6) / 4;
    double k3a = -30 * z6 - 90 * pow(z, 8);

    /* Horner scheme for sum c_i q^(i^2) over odd i = 2k-1 */
    double K[4] = { 0, 0, 0, 0 };
    long maxk = (long)ceil(16 * z / M_PI);
    for (long k = maxk; k > 0; k--) {
        double m = 2.0 * k - 1, m2 = m * m, m4 = m2 * m2, m6 = m4 * m2;
        double qpower = pow(q, 8.0 * k);
        double coeffs[4] = { 1.0, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4,
                             k3a + k3b * m2 + k3c * m4 + k3d * m6 };
        for (int i = 0; i < 4; i++)
            K[i] = K[i] * qpower + coeffs[i];
    }
    double div[4] = { z, 6 * z4, 72 * pow(z, 7), 6480 * pow(z, 10) };
    for (int i = 0; i < 4; i++)
        K[i] = K[i] * q * sqrt2pi / div[i];

    /* the remaining sums over all integers k for K2 and K3 */
    q = exp(-pi2 / 2 / z2);
    double sqrt3z = sqrt(3.0) * z, k2extra = 0, k3extra = 0;
    for (long k = maxk; k > 0; k--) {
        double ks2 = (double)k * (double)k, kspi = M_PI * (double)k;
        double qp = pow(q, ks2);
        k2extra += ks2 * qp;
        k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * ks2 * qp;
    }
    K[2] += k2extra * (pi2 * sqrt2pi / (-36 * z3));
    K[3] += k3extra * (pi2 * sqrt2pi / (216 * z6));
    double nd = (double)n;
    return K[0] + K[1] / pow(nd, 0.5) + K[2] / nd + K[3] / pow(nd, 1.5);
}

/* ---- Smirnov's one-sided tail P(D+_n >= x) (scipy.special.smirnov) ------------------------
 * Birnbaum & Tingey (1951):  x * sum_{v=0}^{floor(n(1-x))} C(n,v) (x + v/n)^(v-1) (1-x-v/n)^(n-v).
 * All terms are positive; each is evaluated in log space in long double, with x + v/n and
 * 1 - x - v/n formed from the exact split n*x = floor + alpha, so tails down to 1e-308 keep
 * full relative precision (scipy uses double-double arithmetic for the same reason).
 * Called for 1 < n*x < n - 1 only (the other cases are closed forms in kolmogn_sf). */
static double smirnov_sf(unsigned long n, double x)
{
    double nd = (double)n;
    if (-2 * nd * x * x < CEPHES_MINLOG)
        return 0.0;
    if (n > SMIRNOV_MAX_COMPUTE_N) /* scipy: p ~ exp(-(6nx+1)^2 / 18n) */
        return exp(-pow(6 * nd * x + 1.0, 2) / 18.0 / nd);

    /* n*x = nxfl + alpha exactly (the product's rounding error recovered with fma) */
    double hi = nd * x, lo = fma(nd, x, -hi);
    double fl = floor(hi);
    long double alpha = (long double)(hi - fl) + lo;
    if (alpha < 0) {
        fl -= 1;
        alpha += 1;
    }
    long nxfl = (long)fl;
    long nterms = (long)n - nxfl; /* v = 0 .. n - nxfl - 1; the last is 0 when alpha == 0 */

    long double ln = nd, sum = 0, lnc = 0; /* lnc = log C(n, v) */
    for (long v = 0; v < nterms; v++) {
        long double a = ((long double)(nxfl + v) + alpha) / ln;              /* x + v/n */
        long double b = ((long double)((long)n - nxfl - v) - alpha) / ln;    /* 1 - x - v/n > 0 */
        long double term = expl(lnc + (long double)(n - v) * logl(b) + (long double)(v - 1) * logl(a));
        sum += term;
        /* scipy's stopping rule (with the long double epsilon): the remaining terms, each no
         * larger than this one, cannot change the sum. The terms have a heavy tail, so the
         * loop usually runs close to n(1-x) times: O(n), as in scipy. */
        if (4.0L * (long double)(nterms - v) * term < LDBL_EPSILON * sum)
            break;
        lnc += logl((long double)(n - v) / (long double)(v + 1));
    }
    return (double)((long double)x * sum);
}

/* scipy's _kolmogn(n, x, cdf=False) for 0.5/n < x < 1. */
static double kolmogn_sf(unsigned long n, double x)
{
    double nd = (double)n;
    double t = nd * x;
    double cdf;
    if (t <= 1.0) { /* Ruben & Gambino (1982): 1/2n <= x <= 1/n */
        double prob;
        if (n <= 140) {
            prob = 1.0;
            for (unsigned long i = 1; i <= n; i++)
                prob *= (double)i * (1.0 / nd) * (2 * t - 1);
        } else {
            prob = exp(log_nfactorial_div_n_pow_n(nd) + nd * log(2 * t - 1));
        }
        return clip01(1.0 - prob);
    }
    if (t >= nd - 1) /* Ruben & Gambino: 1 - 1/n <= x */
        return clip01(2 * pow(1.0 - x, nd));
    if (x >= 0.5) /* exact: the two one-sided tails cannot both be exceeded */
        return clip01(2 * smirnov_sf(n, x));

    double nxsquared = t * x;
    if (n <= 140) {
        if (nxsquared <= 0.754693) {
            if (kolmogn_dmtw_cdf(n, x, &cdf) < 0)
                return NAN;
        } else if (nxsquared <= 4) {
            if (kolmogn_pomeranz_cdf(n, x, &cdf) < 0)
                return NAN;
        } else {
            return clip01(2 * smirnov_sf(n, x)); /* Miller's approximation */
        }
        return clip01(1.0 - cdf);
    }
    if (nxsquared >= 370.0)
        return 0.0;
    if (nxsquared >= 2.2)
        return clip01(2 * smirnov_sf(n, x));
    if (n <= 100000 && nd * pow(x, 1.5) <= 1.4) {
        if (kolmogn_dmtw_cdf(n, x, &cdf) < 0)
            return NAN;
    } else {
        cdf = kolmogn_pelzgood_cdf(n, x);
    }
    return clip01(1.0 - cdf);
}

double drift_kstwo_sf(double d, unsigned long n)
{
    if (n == 0 || isnan(d))
        return NAN;
    /* the support of kstwo is [0.5/n, 1]: rv_continuous.sf returns 1 at or below it, 0 above */
    if (d <= 0.5 / (double)n)
        return 1.0;
    if (d >= 1.0)
        return 0.0;
    return kolmogn_sf(n, d);
}
