/* Loading and checking the HTTP server's certificate and key (see tls_pair.h). OpenSSL parses them
 * here only to give a clear error at config time; libmicrohttpd (GnuTLS) serves them. */
#include "config/tls_pair.h"

#include <errno.h>
#include <microhttpd.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/log.h"

/* A certificate chain or a key is a few KB; anything near this is not one. */
#define TLS_MAX_FILE_BYTES (1 << 20)

int tls_check_support(char *err, size_t errlen)
{
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) == MHD_YES)
        return 0;
    snprintf(err, errlen, "this libmicrohttpd (%s) was built without TLS support (GnuTLS), so agent.tls cannot be "
             "used; install a build with TLS (Debian's libmicrohttpd12 has it) or remove agent.tls",
             MHD_get_version());
    return -1;
}

/* Reads a whole regular file into one allocation sized up front, so no partial copy of a key is left
 * behind by a realloc. */
static int read_pem_file(const char *path, const char *what, char **out, char *err, size_t errlen)
{
    int rc = -1;
    char *buf = NULL;
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f) {
        snprintf(err, errlen, "cannot read %s %s: %s", what, path, strerror(errno));
        return -1;
    }
    if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s %s is not a regular file", what, path);
        goto out;
    }
    if (st.st_size == 0 || st.st_size > TLS_MAX_FILE_BYTES) {
        snprintf(err, errlen, "%s %s is %s", what, path, st.st_size == 0 ? "empty" : "larger than 1 MiB");
        goto out;
    }
    size_t n = (size_t)st.st_size;
    if (!(buf = malloc(n + 1))) {
        snprintf(err, errlen, "out of memory reading %s", path);
        goto out;
    }
    if (fread(buf, 1, n, f) != n) {
        snprintf(err, errlen, "cannot read %s %s: short read", what, path);
        OPENSSL_cleanse(buf, n);
        free(buf);
        buf = NULL;
        goto out;
    }
    buf[n] = '\0';
    *out = buf;
    rc = 0;
out:
    fclose(f);
    return rc;
}

/* Without a callback OpenSSL would prompt on the terminal for an encrypted key's passphrase. */
static int refuse_passphrase(char *buf, int size, int rwflag, void *asked)
{
    *(int *)asked = 1;
    return -1;
}

/* The parse checks on the texts already read; returns like tls_pair_load. */
static int check_pair(const struct tls_pair *p, const char *cert_file, const char *key_file, char *err,
                      size_t errlen)
{
    int rc = -1, asked = 0; /* -1 until the certificate parsed, then -2 */
    X509 *cert = NULL;
    EVP_PKEY *key = NULL;
    BIO *cb = BIO_new_mem_buf(p->cert_pem, -1), *kb = BIO_new_mem_buf(p->key_pem, -1);
    if (!cb || !kb) {
        snprintf(err, errlen, "out of memory checking the TLS files");
        goto out;
    }
    if (!(cert = PEM_read_bio_X509(cb, NULL, NULL, NULL))) {
        snprintf(err, errlen, "%s is not a PEM certificate (expected '-----BEGIN CERTIFICATE-----')", cert_file);
        goto out;
    }
    rc = -2;
    if (!(key = PEM_read_bio_PrivateKey(kb, NULL, refuse_passphrase, &asked))) {
        if (asked)
            snprintf(err, errlen, "%s is an encrypted private key; driftwatch needs it unencrypted "
                     "(protect it with file permissions: owner-only, mode 0600)", key_file);
        else
            snprintf(err, errlen, "%s is not a PEM private key (expected '-----BEGIN PRIVATE KEY-----' or a "
                     "'-----BEGIN RSA/EC PRIVATE KEY-----' block)", key_file);
        goto out;
    }
    if (X509_check_private_key(cert, key) != 1) {
        snprintf(err, errlen, "the private key in %s does not belong to the certificate in %s", key_file, cert_file);
        goto out;
    }
    /* An expired certificate is served anyway (refusing to start would take monitoring down with it),
     * but clients will reject it: say so. */
    if (X509_cmp_current_time(X509_get0_notAfter(cert)) < 0)
        log_warn("config", "the TLS certificate in %s has expired; clients will refuse it", cert_file);
    rc = 0;
out:
    ERR_clear_error();
    X509_free(cert);
    EVP_PKEY_free(key);
    BIO_free(cb);
    BIO_free(kb);
    return rc;
}

int tls_pair_load(const char *cert_file, const char *key_file, struct tls_pair *out, char *err, size_t errlen)
{
    struct tls_pair p = {0};
    int rc = -1;
    if (read_pem_file(cert_file, "certificate file", &p.cert_pem, err, errlen) == 0) {
        rc = -2;
        if (read_pem_file(key_file, "key file", &p.key_pem, err, errlen) == 0)
            rc = check_pair(&p, cert_file, key_file, err, errlen);
    }
    if (rc < 0) {
        tls_pair_clear(&p);
        return rc;
    }
    *out = p;
    return 0;
}

void tls_pair_clear(struct tls_pair *p)
{
    if (!p)
        return;
    if (p->key_pem)
        OPENSSL_cleanse(p->key_pem, strlen(p->key_pem));
    free(p->key_pem);
    free(p->cert_pem);
    p->key_pem = p->cert_pem = NULL;
}
