/* CSV tokenizer (core/util/csv.c): RFC 4180 quoting, "" escapes, embedded newlines and their
 * line numbers, CRLF, BOM, blank lines, records cut by the read buffer, unterminated quotes.
 * Expected fields are written out by hand from RFC 4180 §2's grammar. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "util/csv.h"
#include "testutil.h"

struct rows {
    char *path;
    struct csv_reader *r;
    char err[512];
};

static void open_text(struct rows *t, const char *text, unsigned flags)
{
    t->path = tu_temp(".csv", text);
    t->r = csv_open(t->path, flags, t->err, sizeof t->err);
    assert_non_null(t->r);
}

static void close_text(struct rows *t)
{
    csv_close(t->r);
    tu_remove(t->path);
}

/* Reads one row and compares it with the expected fields (NULL-terminated) and line. */
static void expect_row(struct rows *t, uint64_t line, ...)
{
    struct csv_row row;
    assert_int_equal(csv_read_row(t->r, &row, t->err, sizeof t->err), 1);
    assert_int_equal(row.line, line);
    va_list ap;
    va_start(ap, line);
    size_t i = 0;
    const char *want;
    for (;;) {
        want = va_arg(ap, const char *);
        if (!want)
            break;
        assert_true(i < row.nfields);
        assert_int_equal(row.fields[i].len, strlen(want));
        assert_memory_equal(row.fields[i].ptr, want, strlen(want));
        assert_int_equal(row.fields[i].ptr[row.fields[i].len], '\0');
        i++;
    }
    va_end(ap);
    assert_int_equal(row.nfields, i);
}

static void expect_eof(struct rows *t)
{
    struct csv_row row;
    assert_int_equal(csv_read_row(t->r, &row, t->err, sizeof t->err), 0);
}

static void test_csv_plain_fields_and_empty_ones(void **state)
{
    struct rows t;
    open_text(&t, "a,b,c\n1,,3\n,,\n", 0);
    expect_row(&t, 1, "a", "b", "c", NULL);
    expect_row(&t, 2, "1", "", "3", NULL);
    expect_row(&t, 3, "", "", "", NULL);
    expect_eof(&t);
    close_text(&t);
}

static void test_csv_quoted_fields_with_escapes_and_commas(void **state)
{
    struct rows t;
    open_text(&t, "name,note\n\"Smith, J\",\"said \"\"hi\"\"\"\n\"\",\"\"\"\"\n", 0);
    expect_row(&t, 1, "name", "note", NULL);
    expect_row(&t, 2, "Smith, J", "said \"hi\"", NULL);
    expect_row(&t, 3, "", "\"", NULL);
    expect_eof(&t);
    close_text(&t);
}

static void test_csv_embedded_newlines_advance_line_numbers(void **state)
{
    struct rows t;
    /* record 2 spans physical lines 2-4, so record 3 starts on line 5 */
    open_text(&t, "a,b\n\"x\ny\nz\",1\nlast,2\n", 0);
    expect_row(&t, 1, "a", "b", NULL);
    expect_row(&t, 2, "x\ny\nz", "1", NULL);
    expect_row(&t, 5, "last", "2", NULL);
    expect_eof(&t);
    close_text(&t);
}

static void test_csv_crlf_and_missing_final_newline(void **state)
{
    struct rows t;
    open_text(&t, "a,b\r\n1,\"2\r\n3\"\r\n4,5", 0);
    expect_row(&t, 1, "a", "b", NULL);
    expect_row(&t, 2, "1", "2\r\n3", NULL);
    expect_row(&t, 4, "4", "5", NULL);
    expect_eof(&t);
    close_text(&t);
}

static void test_csv_bom_blank_lines_and_lone_cr(void **state)
{
    struct rows t;
    open_text(&t, "\xEF\xBB\xBF" "a,b\n\n1,x\ry\n\n\n2,3\n", 0);
    expect_row(&t, 1, "a", "b", NULL);
    expect_row(&t, 3, "1", "x\ry", NULL); /* a lone CR is data; blank line 2 skipped */
    expect_row(&t, 6, "2", "3", NULL);
    expect_eof(&t);
    close_text(&t);
}

static void test_csv_text_after_closing_quote_is_kept(void **state)
{
    struct rows t;
    /* not RFC 4180; Python's csv module reads "ab"c as abc, and so do we */
    open_text(&t, "\"ab\"c,d\n", 0);
    expect_row(&t, 1, "abc", "d", NULL);
    close_text(&t);
}

static void test_csv_unterminated_quote_is_reported_with_its_line(void **state)
{
    struct rows t;
    open_text(&t, "a,b\n1,2\n3,\"open\n4,5\n", 0);
    expect_row(&t, 1, "a", "b", NULL);
    expect_row(&t, 2, "1", "2", NULL);
    struct csv_row row;
    assert_int_equal(csv_read_row(t.r, &row, t.err, sizeof t.err), -2);
    assert_non_null(strstr(t.err, ":3: unterminated quoted field"));
    expect_eof(&t);
    close_text(&t);
}

/* A record bigger than the 1 MiB read buffer, and records cut at every position around a
 * buffer refill: the reader must grow and rescan without losing or splitting anything. */
static void test_csv_records_across_buffer_boundaries(void **state)
{
    size_t big = 3u << 20;
    size_t cap = big + 8000000;
    char *text = malloc(cap);
    size_t len = 0;
    len += (size_t)snprintf(text, cap, "id,value\n");
    for (int i = 0; i < 200000; i++)
        len += (size_t)snprintf(text + len, cap - len, "%d,\"v%d,\"\"q\"\"\"\n", i, i);
    text[len++] = '7';
    text[len++] = ',';
    text[len++] = '"';
    memset(text + len, 'x', big);
    len += big;
    text[len++] = '"';
    text[len++] = '\n';
    char *path = tu_write_temp(".csv", text, len);
    char err[256];
    struct csv_reader *r = csv_open(path, 0, err, sizeof err);
    assert_non_null(r);
    struct csv_row row;
    assert_int_equal(csv_read_row(r, &row, err, sizeof err), 1);
    for (int i = 0; i < 200000; i++) {
        assert_int_equal(csv_read_row(r, &row, err, sizeof err), 1);
        char want0[16], want1[32];
        snprintf(want0, sizeof want0, "%d", i);
        snprintf(want1, sizeof want1, "v%d,\"q\"", i);
        assert_int_equal(row.nfields, 2);
        assert_string_equal(row.fields[0].ptr, want0);
        assert_string_equal(row.fields[1].ptr, want1);
        assert_int_equal(row.line, (uint64_t)i + 2);
    }
    assert_int_equal(csv_read_row(r, &row, err, sizeof err), 1);
    assert_int_equal(row.fields[1].len, big);
    assert_int_equal(csv_offset(r), len);
    assert_int_equal(csv_read_row(r, &row, err, sizeof err), 0);
    /* a second pass reads the same */
    assert_int_equal(csv_rewind(r, err, sizeof err), 0);
    assert_int_equal(csv_read_row(r, &row, err, sizeof err), 1);
    assert_string_equal(row.fields[0].ptr, "id");
    csv_close(r);
    tu_remove(path);
    free(text);
}

static void test_csv_lines_mode_keeps_commas_and_quotes(void **state)
{
    struct rows t;
    open_text(&t, "{\"a\": 1, \"b\": \"x,y\"}\r\n\n{\"a\": 2}\n", CSV_LINES);
    expect_row(&t, 1, "{\"a\": 1, \"b\": \"x,y\"}", NULL);
    expect_row(&t, 3, "{\"a\": 2}", NULL);
    expect_eof(&t);
    close_text(&t);
}

static void test_csv_missing_file_names_path(void **state)
{
    char err[256];
    assert_null(csv_open("/nonexistent/dir/x.csv", 0, err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/dir/x.csv: No such file"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_plain_fields_and_empty_ones),
        cmocka_unit_test(test_csv_quoted_fields_with_escapes_and_commas),
        cmocka_unit_test(test_csv_embedded_newlines_advance_line_numbers),
        cmocka_unit_test(test_csv_crlf_and_missing_final_newline),
        cmocka_unit_test(test_csv_bom_blank_lines_and_lone_cr),
        cmocka_unit_test(test_csv_text_after_closing_quote_is_kept),
        cmocka_unit_test(test_csv_unterminated_quote_is_reported_with_its_line),
        cmocka_unit_test(test_csv_records_across_buffer_boundaries),
        cmocka_unit_test(test_csv_lines_mode_keeps_commas_and_quotes),
        cmocka_unit_test(test_csv_missing_file_names_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
