/* Fuzz target: the scalar parsers config values go through (core/util/values.h) and the number parser
 * and printer of the data files (core/data/numparse.h), checked against strtod: num_parse must
 * give strtod's double for every text of its grammar, and num_format must read back exactly. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sample/numparse.h"
#include "fuzz.h"
#include "util/values.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    setenv("DW_FUZZ_TOKEN", "s3cr3t-token", 1);
    setenv("DW_FUZZ_EMPTY", "", 1);
    setenv("DW_FUZZ_NESTED", "${DW_FUZZ_TOKEN}", 1);
    unsetenv("DW_FUZZ_UNSET");
    return 0;
}

/* The grammar num_parse documents: blanks/tabs around [+-]digits[.digits][e[+-]digits], at least
 * one digit in the mantissa ("5." and ".5" included). */
static int in_num_grammar(const char *s, size_t len)
{
    size_t i = 0, digits = 0;
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        i++;
    if (i < len && (s[i] == '+' || s[i] == '-'))
        i++;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
        digits++;
    if (i < len && s[i] == '.')
        for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
            digits++;
    if (!digits)
        return 0;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t e = 0;
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
            e++;
        if (!e)
            return 0;
    }
    return i == len;
}

static int same_double(double a, double b)
{
    return a == b && signbit(a) == signbit(b);
}

static void check_num_parse(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    double got = 0;
    int ok = num_parse(s, size, &got) == 0;
    if (num_valid(s, size) != ok)
        fuzz_fail("num_valid says %d but num_parse %s", !ok, ok ? "accepts" : "refuses");
    int grammar = memchr(s, '\0', size) == NULL && in_num_grammar(s, size);
    if (ok && !grammar)
        fuzz_fail("num_parse accepts a text outside its grammar");
    if (!grammar)
        return;
    char *text = fuzz_strndup(data, size);
    char *end;
    double want = strtod(text, &end);
    int finite = isfinite(want);
    free(text);
    if (ok != finite)
        fuzz_fail("num_parse %s a text strtod reads as %g", ok ? "accepts" : "refuses", want);
    if (ok && !same_double(got, want))
        fuzz_fail("num_parse gives %.17g, strtod %.17g", got, want);
}

static void check_num_format(const uint8_t *data, size_t size)
{
    if (size < sizeof(double))
        return;
    double x;
    memcpy(&x, data, sizeof x);
    char buf[32];
    size_t n = num_format(x, buf);
    if (n >= sizeof buf || strlen(buf) != n)
        fuzz_fail("num_format length %zu for %.17g", n, x);
    if (!isfinite(x))
        return;
    double back = 0;
    if (num_parse(buf, n, &back) < 0 || !same_double(back, x))
        fuzz_fail("num_format(%.17g) = \"%s\" reads back as %.17g", x, buf, back);
    if (!same_double(strtod(buf, NULL), x))
        fuzz_fail("num_format(%.17g) = \"%s\" is not strtod-exact", x, buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_strndup(data, size);
    int64_t i64 = 0;
    double d = 0;
    int b = 0;

    if (value_parse_duration_ms(s, &i64) == 0 && i64 < 0)
        fuzz_fail("negative duration %lld ms", (long long)i64);
    if (value_parse_size(s, &i64) == 0 && i64 < 0)
        fuzz_fail("negative size %lld", (long long)i64);
    if (value_parse_double(s, &d) == 0 && !isfinite(d))
        fuzz_fail("value_parse_double gives a non-finite value");
    value_parse_int(s, &i64);
    value_parse_bool(s, &b);

    char *out = NULL, missing[64] = "";
    if (value_expand_env(s, &out, missing, sizeof missing) == 0) {
        if (!strstr(s, "${") && strcmp(out, s) != 0)
            fuzz_fail("value_expand_env changed a text without ${");
        free(out);
    } else if (!missing[0]) {
        fuzz_fail("value_expand_env failed without naming why");
    }

    check_num_parse(data, size);
    check_num_format(data, size);
    num_is_nan_text(s, size);
    free(s);
    return 0;
}
