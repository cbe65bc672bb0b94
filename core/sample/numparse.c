/* Number parsing for the data readers: the hot path of baseline building, so plain decimals skip
 * strtod. Exactness: see the comment in num_parse. */
#include "sample/numparse.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Powers of ten exactly representable as doubles (10^22 < 2^53 * 2^22 is the last one). */
static const double pow10_exact[23] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

static int parse_slow(const char *s, size_t len, double *out)
{
    char local[128];
    char *buf = local;
    if (len >= sizeof local) {
        buf = malloc(len + 1);
        if (!buf)
            return -1;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end = NULL;
    errno = 0;
    double v = strtod(buf, &end);
    int ok = end == buf + len && isfinite(v);
    if (buf != local)
        free(buf);
    if (!ok)
        return -1;
    *out = v;
    return 0;
}

int num_parse(const char *s, size_t len, double *out)
{
    while (len > 0 && (s[0] == ' ' || s[0] == '\t')) {
        s++;
        len--;
    }
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    if (len == 0)
        return -1;

    /* Validate the grammar and gather the mantissa in one scan. */
    size_t i = 0;
    int neg = 0;
    if (s[i] == '+' || s[i] == '-') {
        neg = s[i] == '-';
        i++;
    }
    uint64_t mant = 0;
    int ndigits = 0;     /* significant digits gathered into mant */
    int dropped = 0;     /* digits beyond 19 (mant would overflow): forces the slow path */
    int exp10 = 0;
    int any = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9') {
        any = 1;
        if (mant == 0 && s[i] == '0') {
            i++;
            continue;
        }
        if (ndigits < 19) {
            mant = mant * 10 + (uint64_t)(s[i] - '0');
            ndigits++;
        } else {
            dropped = 1;
        }
        i++;
    }
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            any = 1;
            if (mant == 0 && s[i] == '0') {
                exp10--;
                i++;
                continue;
            }
            if (ndigits < 19) {
                mant = mant * 10 + (uint64_t)(s[i] - '0');
                ndigits++;
                exp10--;
            } else {
                dropped = 1;
            }
            i++;
        }
    }
    if (!any)
        return -1;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        int eneg = 0;
        if (i < len && (s[i] == '+' || s[i] == '-')) {
            eneg = s[i] == '-';
            i++;
        }
        if (i >= len || s[i] < '0' || s[i] > '9')
            return -1;
        int e = 0;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (e < 100000)
                e = e * 10 + (s[i] - '0');
            i++;
        }
        exp10 += eneg ? -e : e;
    }
    if (i != len)
        return -1;

    /* Clinger's fast path: when the decimal mantissa is exact in a double (< 2^53) and the power
     * of ten is exact too (|e| <= 22), one IEEE multiply or divide of two exact values is
     * correctly rounded, which is what strtod returns. Everything else goes to strtod. */
    if (!dropped && mant <= (UINT64_C(1) << 53) && exp10 >= -22 && exp10 <= 22) {
        double v = (double)mant;
        if (exp10 < 0)
            v /= pow10_exact[-exp10];
        else
            v *= pow10_exact[exp10];
        *out = neg ? -v : v;
        return 0;
    }
    return parse_slow(s, len, out);
}

int num_valid(const char *s, size_t len)
{
    /* Plain [-+]digits[.digits] with fewer than 300 digits is always finite: check the grammar
     * only. Exponents (possible overflow), spaces and anything unusual take the full parse. */
    size_t i = 0;
    if (len && (s[0] == '-' || s[0] == '+'))
        i++;
    size_t digits = 0;
    while (i < len && (unsigned)(s[i] - '0') < 10) {
        i++;
        digits++;
    }
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && (unsigned)(s[i] - '0') < 10) {
            i++;
            digits++;
        }
    }
    if (i == len && digits > 0 && digits < 300)
        return 1;
    double x;
    return num_parse(s, len, &x) == 0;
}

int num_is_nan_text(const char *s, size_t len)
{
    return len == 3 && (s[0] == 'N' || s[0] == 'n') && (s[1] == 'A' || s[1] == 'a') &&
           (s[2] == 'N' || s[2] == 'n');
}

/* Fixed-point fast path: the fewest decimals p <= 15 such that r = round(|x| * 10^p) < 2^53 and
 * r / 10^p == |x|. That division is exactly Clinger's fast path of num_parse (and what strtod
 * returns), so the text "r with p decimals" reads back as x. Values written from decimal text
 * (most data) hit this in a few multiplications instead of printf's multi-precision digits. */
static size_t format_fixed(double x, char *buf)
{
    double a = fabs(x);
    if (!(a >= 1e-6 && a < 1e15))
        return 0;
    for (int p = 0; p <= 15; p++) {
        double y = a * pow10_exact[p];
        if (y >= 9007199254740992.0)
            return 0;
        double r = nearbyint(y);
        if (r / pow10_exact[p] != a)
            continue;
        uint64_t u = (uint64_t)r;
        char digits[24];
        int nd = 0;
        do {
            digits[nd++] = (char)('0' + u % 10);
            u /= 10;
        } while (u);
        while (nd <= p)
            digits[nd++] = '0'; /* leading zeros of 0.00x */
        size_t n = 0;
        if (x < 0)
            buf[n++] = '-';
        for (int i = nd - 1; i >= 0; i--) {
            buf[n++] = digits[i];
            if (i == p && p > 0)
                buf[n++] = '.';
        }
        buf[n] = '\0';
        return n;
    }
    return 0;
}

size_t num_format(double x, char *buf)
{
    if (isnan(x))
        return (size_t)snprintf(buf, 32, "NaN");
    if (isinf(x))
        return (size_t)snprintf(buf, 32, x > 0 ? "+Inf" : "-Inf");
    if (x == 0)
        return (size_t)snprintf(buf, 32, signbit(x) ? "-0" : "0");
    size_t fixed = format_fixed(x, buf);
    if (fixed)
        return fixed;
    /* 15 significant digits always read back to the same 15-digit decimal for normal doubles, so
     * the first of %.15g, %.16g, %.17g that round-trips is the shortest (and, being correctly
     * rounded, the digits Python's repr() picks). Subnormals carry fewer bits: 5e-324 needs one
     * digit, not "4.94065645841247e-324", so there the search starts at one digit. */
    int n = 0;
    for (int prec = fabs(x) < DBL_MIN ? 1 : 15; prec <= 17; prec++) {
        n = snprintf(buf, 32, "%.*g", prec, x);
        if (prec == 17 || strtod(buf, NULL) == x)
            break;
    }
    return (size_t)n;
}
