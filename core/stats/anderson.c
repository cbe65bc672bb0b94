/* Two-sample Anderson-Darling test (drift_anderson), as scipy 1.10's anderson_ksamp([R, C]):
 * the midrank statistic A2akN of Scholz & Stephens (1987), standardised, and scipy's p-value. */
#include "stats/drift.h"
#include "stats/pooled_walk.h"

#include <math.h>

#include <gsl/gsl_linalg.h>

/* scipy's significance level for k = 2 samples: Table 2 of Scholz & Stephens (1987) gives
 * critical values c_i = b0 + b1/sqrt(m) + b2/m (m = k-1 = 1) at the levels below; log(level)
 * is fitted by least squares with a quadratic in c (numpy.polyfit(c, log(sig), 2)) and
 * evaluated at A2. Outside [c_min, c_max] scipy 1.10 does not extrapolate: it caps the
 * p-value at 0.25 and floors it at 0.001, so the p-value always lies in [0.001, 0.25]. */
static double anderson_pvalue(double a2)
{
    static const double b0[7] = { 0.675, 1.281, 1.645, 1.96, 2.326, 2.573, 3.085 };
    static const double b1[7] = { -0.245, 0.25, 0.678, 1.149, 1.822, 2.364, 3.615 };
    static const double b2[7] = { -0.105, -0.305, -0.362, -0.391, -0.396, -0.345, -0.154 };
    static const double sig[7] = { 0.25, 0.1, 0.05, 0.025, 0.01, 0.005, 0.001 };
    double crit[7], x[21], y[7], tau[3], coef[3], resid[7];
    for (int i = 0; i < 7; i++)
        crit[i] = b0[i] + b1[i] / sqrt(1.0) + b2[i] / 1.0;
    /* the critical values increase with i */
    if (a2 < crit[0])
        return sig[0];
    if (a2 > crit[6])
        return sig[6];
    for (int i = 0; i < 7; i++) {
        x[3 * i] = crit[i] * crit[i];
        x[3 * i + 1] = crit[i];
        x[3 * i + 2] = 1.0;
        y[i] = log(sig[i]);
    }
    gsl_matrix_view X = gsl_matrix_view_array(x, 7, 3);
    gsl_vector_view Y = gsl_vector_view_array(y, 7), T = gsl_vector_view_array(tau, 3);
    gsl_vector_view C = gsl_vector_view_array(coef, 3), R = gsl_vector_view_array(resid, 7);
    gsl_linalg_QR_decomp(&X.matrix, &T.vector);
    gsl_linalg_QR_lssolve(&X.matrix, &T.vector, &Y.vector, &C.vector, &R.vector);
    return exp((coef[0] * a2 + coef[1]) * a2 + coef[2]);
}

int drift_anderson(const double *r, size_t n, const double *c, size_t m, struct drift_result *out)
{
    out->statistic = NAN;
    out->p_value = NAN;
    size_t N = n + m;
    /* scipy needs two distinct values; the variance below needs N >= 4 */
    if (n == 0 || m == 0 || N < 4 || (r[0] == r[n - 1] && c[0] == c[m - 1] && r[0] == c[0]))
        return -1;
    double dN = (double)N, dn = (double)n, dm = (double)m;

    /* Scholz & Stephens eq. 7 (midrank version): over the distinct pooled values z_j with
     * multiplicity l_j, B_j = #(Z < z_j) + l_j/2 and M_ij = #(sample_i < z_j) + f_ij/2:
     *   A2akN = (N-1)/N * sum_i 1/n_i sum_j l_j/N (N M_ij - n_i B_j)^2 / (B_j (N - B_j) - N l_j/4) */
    long double sum_r = 0, sum_c = 0; /* extended precision keeps long sums accurate */
    struct pooled_walk pw = {.r = r, .c = c, .n = n, .m = m};
    double v;
    size_t i0, j0;
    while (pooled_next(&pw, &v, &i0, &j0)) {
        size_t i = pw.i, j = pw.j;
        double lj = (double)(i - i0 + j - j0);
        double bj = (double)(i0 + j0) + lj / 2.0;
        double mr = (double)i - (double)(i - i0) / 2.0;
        double mc = (double)j - (double)(j - j0) / 2.0;
        double den = bj * (dN - bj) - dN * lj / 4.0;
        double dr = dN * mr - bj * dn, dc = dN * mc - bj * dm;
        sum_r += lj / dN * dr * dr / den;
        sum_c += lj / dN * dc * dc / den;
    }
    double a2akn = (double)sum_r / dn + (double)sum_c / dm;
    a2akn *= (dN - 1.0) / dN;

    /* Variance of A2akN under H0 (Scholz & Stephens p. 920) with H = sum 1/n_i,
     * h = sum_{i=1}^{N-1} 1/i, g = sum_{i=1}^{N-2} sum_{j=i+1}^{N-1} 1/((N-i) j); scipy builds
     * h and g from the running sum hs_cs of 1/(N-1), 1/(N-2), ..., 1/2, in that order. */
    double H = 1.0 / dn + 1.0 / dm;
    double hs = 0.0;
    long double g = 0;
    for (size_t l = 2; l <= N - 1; l++) {
        hs += 1.0 / (double)(N - l + 1); /* hs_cs[l-2] */
        g += hs / (double)l;
    }
    double h = hs + 1.0, gg = (double)g, k = 2.0;
    double a = (4 * gg - 6) * (k - 1) + (10 - 6 * gg) * H;
    double b = (2 * gg - 4) * k * k + 8 * h * k + (2 * gg - 14 * h - 4) * H - 8 * h + 4 * gg - 6;
    double cc = (6 * h + 2 * gg - 2) * k * k + (4 * h - 4 * gg + 6) * k + (2 * h - 6) * H + 4 * h;
    double d = (2 * h + 6) * k * k - 4 * h * k;
    /* N^3 and N^2 exactly rounded, as Python converts its integers */
    double N3 = (double)((long double)N * N * N), N2 = (double)((long double)N * N);
    double sigmasq = (a * N3 + b * N2 + cc * dN + d) / ((dN - 1.) * (dN - 2.) * (dN - 3.));
    double a2 = (a2akn - 1.0) / sqrt(sigmasq);

    out->statistic = a2;
    out->p_value = anderson_pvalue(a2);
    return 0;
}
