/* The HTTP server's TLS certificate and private key: read from their PEM files and checked at config
 * load (so `validate` catches a bad pair), then handed to libmicrohttpd from memory. */
#ifndef DW_TLS_PAIR_H
#define DW_TLS_PAIR_H

#include <stddef.h>

struct tls_pair {
    char *cert_pem; /* the certificate (and any chain after it), NUL-terminated PEM */
    char *key_pem;  /* the private key, NUL-terminated PEM; wiped when cleared */
};

/* 0 when this libmicrohttpd can serve TLS (built with GnuTLS), else -1 with the reason in err. */
int tls_check_support(char *err, size_t errlen);

/* Reads both files and checks that the first is a PEM certificate, the second an unencrypted PEM
 * private key, and that they belong together. Returns 0, or -1 when the certificate file is the
 * problem and -2 when the key file is (unreadable, not a key, or not the certificate's key); out is
 * then left empty and err names the file and the problem, never any of the key's content. */
int tls_pair_load(const char *cert_file, const char *key_file, struct tls_pair *out, char *err, size_t errlen);

/* Frees the PEM texts, overwriting the key first. Accepts an empty pair. */
void tls_pair_clear(struct tls_pair *p);

#endif
