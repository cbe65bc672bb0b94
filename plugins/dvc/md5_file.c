/* File hashing as dvc-data computes it (dvc_data/hashfile/hash.py, istextfile.py): md5 of the bytes,
 * or for md5-dos2unix, per 1 MiB chunk, CRLF -> LF when the chunk's first 512 bytes look like text. */
#include "md5_file.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* dvc-data's fobj_md5() reads 2**20 bytes at a time, and Dos2UnixHashStreamFile decides text/binary
 * and converts line endings chunk by chunk: a CRLF split across a chunk boundary stays as it is, and
 * each chunk is classified on its own first DEFAULT_CHUNK_SIZE (512) bytes. Reproduced exactly. */
#define DVC_READ_CHUNK (1u << 20)
#define DVC_TEXT_BLOCK 512u

const char *dvc_hash_name(enum dvc_hash hash)
{
    return hash == DVC_HASH_MD5_DOS2UNIX ? "md5-dos2unix" : "md5";
}

int dvc_is_text_block(const unsigned char *block, size_t len)
{
    size_t nontext = 0;
    if (len == 0)
        return 1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = block[i];
        if (c == 0)
            return 0;
        int text = (c >= 32 && c <= 126) || c == '\n' || c == '\r' || c == '\t' || c == '\f' ||
                   c == '\b';
        if (!text)
            nontext++;
    }
    /* Python: float(len(nontext)) / len(block) <= 0.30, done in integers: 10*nontext <= 3*len.
     * Both sides are exact here, and so is the float quotient compared against 0.30 for every
     * len <= 512 (checked against Python for all nontext/len pairs in tests/dvc). */
    return 10 * nontext <= 3 * len;
}

int dvc_md5_valid(const char *s)
{
    size_t n = strspn(s, "0123456789abcdef");
    return n == 32 && (s[n] == '\0' || strcmp(s + n, ".dir") == 0);
}

static void hex_encode(const unsigned char *d, unsigned n, char *hex)
{
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < n; i++) {
        hex[2 * i] = digits[d[i] >> 4];
        hex[2 * i + 1] = digits[d[i] & 15];
    }
    hex[2 * n] = '\0';
}

int dvc_md5_bytes(const void *data, size_t len, char hex[DVC_MD5_HEX])
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned dlen = 0;
    if (EVP_Digest(data, len, d, &dlen, EVP_md5(), NULL) != 1 || dlen != 16)
        return -1;
    hex_encode(d, dlen, hex);
    return 0;
}

/* Fills buf up to cap bytes unless end of file comes first (Python's BufferedReader.read(n)). */
static ssize_t read_full(int fd, unsigned char *buf, size_t cap)
{
    size_t got = 0;
    while (got < cap) {
        ssize_t r = read(fd, buf + got, cap - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

/* bytes.replace(b"\r\n", b"\n") in place; returns the new length. */
static size_t dos2unix(unsigned char *buf, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (buf[i] == '\r' && i + 1 < n && buf[i + 1] == '\n')
            continue;
        buf[w++] = buf[i];
    }
    return w;
}

int dvc_md5_file(const char *path, enum dvc_hash hash, char hex[DVC_MD5_HEX], uint64_t *size,
                 char *err, size_t errlen)
{
    int rc = -1;
    int fd = -1;
    unsigned char *buf = NULL;
    EVP_MD_CTX *ctx = NULL;
    uint64_t total = 0;
    struct stat st;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        goto out;
    }
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "cannot stat %s: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s is not a regular file", path);
        goto out;
    }
    buf = malloc(DVC_READ_CHUNK);
    ctx = EVP_MD_CTX_new();
    if (!buf || !ctx) {
        snprintf(err, errlen, "out of memory hashing %s", path);
        goto out;
    }
    if (EVP_DigestInit_ex(ctx, EVP_md5(), NULL) != 1) {
        snprintf(err, errlen, "md5 is not available from OpenSSL (FIPS mode?)");
        goto out;
    }
    for (;;) {
        ssize_t n = read_full(fd, buf, DVC_READ_CHUNK);
        if (n < 0) {
            snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        total += (uint64_t)n;
        size_t len = (size_t)n;
        if (hash == DVC_HASH_MD5_DOS2UNIX &&
            dvc_is_text_block(buf, len < DVC_TEXT_BLOCK ? len : DVC_TEXT_BLOCK))
            len = dos2unix(buf, len);
        if (EVP_DigestUpdate(ctx, buf, len) != 1) {
            snprintf(err, errlen, "md5 update failed for %s", path);
            goto out;
        }
    }
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned dlen = 0;
    if (EVP_DigestFinal_ex(ctx, d, &dlen) != 1 || dlen != 16) {
        snprintf(err, errlen, "md5 finalisation failed for %s", path);
        goto out;
    }
    hex_encode(d, dlen, hex);
    *size = total;
    rc = 0;
out:
    EVP_MD_CTX_free(ctx);
    free(buf);
    if (fd >= 0)
        close(fd);
    return rc;
}
