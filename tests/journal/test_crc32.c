/* Tests for the table-driven CRC-32 against the standard check value and values computed with
 * Python's zlib.crc32 (stdlib), e.g. python3 -c "import zlib; print(hex(zlib.crc32(b'a')))". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "util/crc32.h"

static void test_crc32_known_values(void **state)
{
    assert_int_equal(crc32_ieee("123456789", 9), 0xcbf43926u); /* the CRC catalogue's check value */
    assert_int_equal(crc32_ieee("", 0), 0u);
    assert_int_equal(crc32_ieee(NULL, 0), 0u);
    assert_int_equal(crc32_ieee("a", 1), 0xe8b7be43u);
    const char *fox = "The quick brown fox jumps over the lazy dog";
    assert_int_equal(crc32_ieee(fox, strlen(fox)), 0x414fa339u);
    unsigned char all[1024];
    for (size_t i = 0; i < sizeof(all); i++)
        all[i] = (unsigned char)i; /* bytes(range(256)) * 4 */
    assert_int_equal(crc32_ieee(all, sizeof(all)), 0xb70b4c26u);
}

static void test_crc32_incremental_equals_one_shot(void **state)
{
    unsigned char buf[1000];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (unsigned char)(i * 131 + 7);
    uint32_t whole = crc32_ieee(buf, sizeof(buf));
    for (size_t cut = 0; cut <= sizeof(buf); cut += 37) {
        uint32_t c = crc32_ieee_update(crc32_ieee(buf, cut), buf + cut, sizeof(buf) - cut);
        assert_int_equal(c, whole);
    }
    assert_int_equal(crc32_ieee_update(0, buf, sizeof(buf)), whole);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32_known_values),
        cmocka_unit_test(test_crc32_incremental_equals_one_shot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
