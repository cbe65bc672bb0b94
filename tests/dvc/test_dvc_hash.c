/* Tests for plugins/dvc md5_file.c and dir_hash.c: DVC-compatible file and ".dir" hashes.
 * Expected values come from md5sum, perl and Python, never from this code: see independent_hashes.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dir_hash.h"
#include "dvc_fixtures.h"
#include "md5_file.h"

static void assert_file_md5(const char *rel, enum dvc_hash hash, const char *expected, uint64_t expected_size)
{
    char *path = fx_path(DVC_PROJECTS, rel);
    char hex[DVC_MD5_HEX], err[512] = "";
    uint64_t size = 0;
    assert_int_equal(dvc_md5_file(path, hash, hex, &size, err, sizeof err), 0);
    assert_string_equal(hex, expected);
    assert_int_equal(size, expected_size);
    free(path);
}

/* md5sum basic/data/train.csv; stat -c %s */
static void test_md5_of_a_file_is_md5sum(void **state)
{
    (void)state;
    assert_file_md5("basic/data/train.csv", DVC_HASH_MD5, "b89fdfd6f9ba4aff460d22babc6b5652", 61);
    assert_file_md5("basic/model/model.bin", DVC_HASH_MD5, "1f0913b6e3ec845c5170dc1b1c306d6b", 20);
}

/* perl -0777 -pe 's/\r\n/\n/g' legacy/data/text.csv | md5sum; the size stays the size on disk */
static void test_md5_dos2unix_turns_crlf_into_lf_for_text(void **state)
{
    (void)state;
    assert_file_md5("legacy/data/text.csv", DVC_HASH_MD5_DOS2UNIX, "2b2889bf22971a126d3ae2366e134287", 27);
    assert_file_md5("legacy/data/text.csv", DVC_HASH_MD5, "f33f0a71eb05823d2779f0840af5da26", 27);
    /* a lone CR is kept: "line one\r\nlone\rcr\r\n" -> "line one\nlone\rcr\n" */
    assert_file_md5("legacy/data/mixed/notes.txt", DVC_HASH_MD5_DOS2UNIX, "758987fcb47bb09502a2f58ae56a045c", 19);
}

/* md5sum legacy/data/mixed/blob.bin: a NUL byte makes it binary, CRLF untouched */
static void test_md5_dos2unix_leaves_binary_files_alone(void **state)
{
    (void)state;
    assert_file_md5("legacy/data/mixed/blob.bin", DVC_HASH_MD5_DOS2UNIX, "ffd84aa0fe1db01699db805742b2306e", 10);
}

/* istextblock(): <= 30% of bytes outside printable ASCII and \n\r\t\f\b; NUL means binary. */
static void test_text_block_allows_at_most_30_percent_non_text(void **state)
{
    (void)state;
    const unsigned char three[10] = {'a', 'b', 'c', 'd', '\t', '\f', '\b', 0x80, 0xff, 0x7f};
    const unsigned char four[10] = {'a', 'b', 'c', '\r', '\n', 0x01, 0x80, 0xff, 0x7f, 0x1b};
    const unsigned char nul[4] = {'a', 'b', 0, 'c'};
    assert_true(dvc_is_text_block(three, sizeof three));
    assert_false(dvc_is_text_block(four, sizeof four));
    assert_false(dvc_is_text_block(nul, sizeof nul));
    assert_true(dvc_is_text_block(NULL, 0));
}

/* Three 1 MiB chunks as dvc-data reads them: chunk 1 is text and ends in "\r", chunk 2 starts with
 * its "\n" but looks binary (200 of its first 512 bytes are 0x80), chunk 3 is text again. Expected
 * md5 from the Python restatement of Dos2UnixHashStreamFile in independent_hashes.sh; converting the
 * whole file at once would give bca8be6600eae69c06aa8267b2d40f1c instead. */
static void test_md5_dos2unix_classifies_and_converts_each_1mib_chunk(void **state)
{
    (void)state;
    const size_t mib = 1u << 20;
    size_t len = 2 * mib + 11;
    unsigned char *data = malloc(len);
    assert_non_null(data);
    for (size_t i = 0; i < mib; i += 4)
        memcpy(data + i, "ab\r\n", 4);
    data[mib - 1] = '\r';
    unsigned char *c2 = data + mib;
    c2[0] = '\n';
    memset(c2 + 1, 0x80, 200);
    memset(c2 + 201, 'y', mib - 1 - 200 - 200);
    for (size_t i = mib - 200; i < mib; i += 2)
        memcpy(c2 + i, "\r\n", 2);
    memcpy(data + 2 * mib, "tail\r\nend\r\n", 11);

    char *dir = fx_tempdir();
    fx_write(dir, "big.txt", data, len);
    char *path = fx_path(dir, "big.txt");
    char hex[DVC_MD5_HEX], err[512] = "";
    uint64_t size = 0;
    assert_int_equal(dvc_md5_file(path, DVC_HASH_MD5_DOS2UNIX, hex, &size, err, sizeof err), 0);
    assert_string_equal(hex, "7cb3195b898ae61c78a9345a0522dacd");
    assert_int_equal(size, len);
    assert_int_equal(dvc_md5_file(path, DVC_HASH_MD5, hex, &size, err, sizeof err), 0);
    assert_string_equal(hex, "fa7dbe355143674182b97ad9d2f13b81");
    free(path);
    free(data);
    fx_remove(dir);
}

static void test_md5_of_a_missing_file_names_it(void **state)
{
    (void)state;
    char hex[DVC_MD5_HEX], err[512] = "";
    uint64_t size = 0;
    assert_int_equal(dvc_md5_file("/nonexistent/dvc/x.csv", DVC_HASH_MD5, hex, &size, err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/dvc/x.csv"));
    assert_non_null(strstr(err, "No such file or directory"));
}

/* The listing written by hand from `md5sum` of each file (independent_hashes.sh checks it against
 * Python's json.dumps(sorted(..., key=relpath), sort_keys=True) over os.walk). Its md5 is the
 * recorded .dir hash. Sorted by code point: uppercase first, "x-1" < "x.csv" < "x/y", U+FF5A < U+1D11E. */
static const char images_listing[] =
    "[{\"md5\": \"a509306ed7889e444236b4a8b78d4866\", \"relpath\": \"B.csv\"}, "
    "{\"md5\": \"b53243cf3e46fb66ecc9075617cc59e4\", \"relpath\": \"a.csv\"}, "
    "{\"md5\": \"50b1ee1f88fcc8f106990a17a31d92ff\", \"relpath\": \"donn\\u00e9es/\\u00e9.csv\"}, "
    "{\"md5\": \"091eda934300fdfd7750f748a6fbc102\", \"relpath\": \"donn\\u00e9es/\\uff5a.txt\"}, "
    "{\"md5\": \"a3db14c42fb252f041dafe325b65e646\", \"relpath\": \"donn\\u00e9es/\\ud834\\udd1e.txt\"}, "
    "{\"md5\": \"50ec4bff85d8b635a5a1104b319d8ec5\", \"relpath\": \"x-1.csv\"}, "
    "{\"md5\": \"e70517a67966f25cf09815c20abe7bd2\", \"relpath\": \"x.csv\"}, "
    "{\"md5\": \"a69165f33ba5bf5f83fec0b62c4d5eef\", \"relpath\": \"x/y.csv\"}]";

static void test_dir_listing_is_byte_identical_to_python_json_dumps(void **state)
{
    (void)state;
    char *dir = fx_path(DVC_PROJECTS, "basic/data/images");
    struct dvc_buf json = {0};
    char err[512] = "";
    uint64_t size = 0, nfiles = 0;
    assert_int_equal(dvc_dir_listing(dir, DVC_HASH_MD5, &json, &size, &nfiles, err, sizeof err), 0);
    assert_string_equal(json.data, images_listing);
    assert_int_equal(size, 72);
    assert_int_equal(nfiles, 8);
    dvc_buf_release(&json);
    free(dir);
}

/* printf '%s' "<images_listing>" | md5sum */
static void test_dir_hash_is_md5_of_listing_with_dir_suffix(void **state)
{
    (void)state;
    char *dir = fx_path(DVC_PROJECTS, "basic/data/images");
    char hex[DVC_DIR_HEX], err[512] = "";
    uint64_t size = 0, nfiles = 0;
    assert_int_equal(dvc_dir_hash(dir, DVC_HASH_MD5, hex, &size, &nfiles, err, sizeof err), 0);
    assert_string_equal(hex, "e7afe69d389a8defd88d983314e54268.dir");
    free(dir);
}

/* Legacy directories list md5-dos2unix file hashes under "md5":
 * printf '%s' '[{"md5": "ffd84aa0fe1db01699db805742b2306e", "relpath": "blob.bin"},
 *   {"md5": "758987fcb47bb09502a2f58ae56a045c", "relpath": "notes.txt"}]' | md5sum */
static void test_dir_hash_of_legacy_dir_uses_dos2unix_file_hashes(void **state)
{
    (void)state;
    char *dir = fx_path(DVC_PROJECTS, "legacy/data/mixed");
    char hex[DVC_DIR_HEX], err[512] = "";
    uint64_t size = 0, nfiles = 0;
    assert_int_equal(dvc_dir_hash(dir, DVC_HASH_MD5_DOS2UNIX, hex, &size, &nfiles, err, sizeof err), 0);
    assert_string_equal(hex, "83d32ff73be75b8b706036eb30fdada6.dir");
    assert_int_equal(size, 29);
    assert_int_equal(nfiles, 2);
    free(dir);
}

/* printf '[]' | md5sum: DVC's well-known empty-directory hash */
static void test_dir_hash_of_empty_dir_is_md5_of_empty_list(void **state)
{
    (void)state;
    char *dir = fx_tempdir();
    char hex[DVC_DIR_HEX], err[512] = "";
    uint64_t size = 1, nfiles = 1;
    assert_int_equal(dvc_dir_hash(dir, DVC_HASH_MD5, hex, &size, &nfiles, err, sizeof err), 0);
    assert_string_equal(hex, "d751713988987e9331980363e24189ce.dir");
    assert_int_equal(size, 0);
    assert_int_equal(nfiles, 0);
    fx_remove(dir);
}

/* Names needing JSON escapes, a name that is not UTF-8, a dotfile, a symlink to a file (hashed),
 * a symlink to a directory and .git/.dvc directories (all skipped). Expected listing printed by
 * Python (independent_hashes.sh, "escapes" case). */
static void test_dir_listing_escapes_names_and_skips_vcs_dirs_and_dir_symlinks(void **state)
{
    (void)state;
    char *dir = fx_tempdir();
    fx_write_str(dir, "q\"uote.txt", "q\n");
    fx_write_str(dir, "back\\slash.txt", "b\n");
    fx_write_str(dir, "tab\tname.txt", "t\n");
    fx_write_str(dir, ".hidden", "h\n");
    fx_write_str(dir, "sub/inner.txt", "i\n");
    fx_write_str(dir, "bad\xff.txt", "x\n");
    fx_write_str(dir, ".git/config", "git\n");
    fx_write_str(dir, "sub/.dvc/config", "dvc\n");
    char *link = fx_path(dir, "link.txt");
    char *linkdir = fx_path(dir, "linkdir");
    assert_int_equal(symlink("q\"uote.txt", link), 0);
    assert_int_equal(symlink("sub", linkdir), 0);

    struct dvc_buf json = {0};
    char hex[DVC_DIR_HEX], err[512] = "";
    uint64_t size = 0, nfiles = 0;
    assert_int_equal(dvc_dir_listing(dir, DVC_HASH_MD5, &json, &size, &nfiles, err, sizeof err), 0);
    assert_string_equal(json.data,
        "[{\"md5\": \"01fbdc44ef819db6273bc30965a23814\", \"relpath\": \".hidden\"}, "
        "{\"md5\": \"3b5d5c3712955042212316173ccf37be\", \"relpath\": \"back\\\\slash.txt\"}, "
        "{\"md5\": \"401b30e3b8b5d629635a5c613cdb7919\", \"relpath\": \"bad\\udcff.txt\"}, "
        "{\"md5\": \"c3be117041a113540deb0ff532b19543\", \"relpath\": \"link.txt\"}, "
        "{\"md5\": \"c3be117041a113540deb0ff532b19543\", \"relpath\": \"q\\\"uote.txt\"}, "
        "{\"md5\": \"372e25f23b5a8ae33c7ba203412ace30\", \"relpath\": \"sub/inner.txt\"}, "
        "{\"md5\": \"b7269fa2508548e4032c455818f1e321\", \"relpath\": \"tab\\tname.txt\"}]");
    assert_int_equal(size, 14);
    assert_int_equal(nfiles, 7);
    assert_int_equal(dvc_dir_hash(dir, DVC_HASH_MD5, hex, &size, &nfiles, err, sizeof err), 0);
    assert_string_equal(hex, "96d2d3ece21ec6f508c5369cc6f71788.dir");
    dvc_buf_release(&json);
    free(link);
    free(linkdir);
    fx_remove(dir);
}

static void test_dir_hash_of_missing_dir_names_it(void **state)
{
    (void)state;
    char hex[DVC_DIR_HEX], err[512] = "";
    uint64_t size = 0, nfiles = 0;
    assert_int_equal(dvc_dir_hash("/nonexistent/dvc/dir", DVC_HASH_MD5, hex, &size, &nfiles, err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/dvc/dir"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_md5_of_a_file_is_md5sum),
        cmocka_unit_test(test_md5_dos2unix_turns_crlf_into_lf_for_text),
        cmocka_unit_test(test_md5_dos2unix_leaves_binary_files_alone),
        cmocka_unit_test(test_text_block_allows_at_most_30_percent_non_text),
        cmocka_unit_test(test_md5_dos2unix_classifies_and_converts_each_1mib_chunk),
        cmocka_unit_test(test_md5_of_a_missing_file_names_it),
        cmocka_unit_test(test_dir_listing_is_byte_identical_to_python_json_dumps),
        cmocka_unit_test(test_dir_hash_is_md5_of_listing_with_dir_suffix),
        cmocka_unit_test(test_dir_hash_of_legacy_dir_uses_dos2unix_file_hashes),
        cmocka_unit_test(test_dir_hash_of_empty_dir_is_md5_of_empty_list),
        cmocka_unit_test(test_dir_listing_escapes_names_and_skips_vcs_dirs_and_dir_symlinks),
        cmocka_unit_test(test_dir_hash_of_missing_dir_names_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
