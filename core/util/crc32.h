/* CRC-32 (IEEE; same values as zlib's crc32() and Python's zlib.crc32) for checksummed records.
 * Named crc32_ieee* so it never interposes zlib's crc32 symbol, which libcurl's zlib also uses. */
#ifndef DW_CRC32_H
#define DW_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* Continues a CRC over more data: start with crc = 0; crc32_ieee_update(crc32_ieee(a), b) equals
 * the CRC of a followed by b. data may be NULL when len is 0. */
uint32_t crc32_ieee_update(uint32_t crc, const void *data, size_t len);

/* CRC of one buffer: crc32_ieee("123456789", 9) == 0xCBF43926 (the standard check value). */
uint32_t crc32_ieee(const void *data, size_t len);

#endif
