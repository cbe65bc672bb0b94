/* The agent's HTTP server (libmicrohttpd): /metrics, /healthz, /readyz, and the routes in the
 * route table. Bodies are bounded (413), write methods need the bearer token when one is set,
 * connections are limited in number (in all and per client address) and in idle time; optional TLS. */
#ifndef DW_HTTP_SERVER_H
#define DW_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>

struct http_server;

/* Returns 0 ready, 1 ready with a warning in why (still 200: "ready\nwarning: ..."), -1 not ready
 * with the reason in why (503). */
typedef int (*http_ready_fn)(void *ctx, char *why, size_t whylen);

struct http_server_options {
    const char *host;            /* numeric address or name to bind */
    int port;                    /* 0: any free port (see http_server_port) */
    int64_t max_body_bytes;
    int max_connections;         /* in all; more wait in the listen backlog */
    int max_connections_per_ip;  /* 0: no per-address limit; more are closed at once */
    int connection_timeout_s;    /* idle or stalled connections are closed after this; 0: never */
    const char *auth_token;      /* NULL: no auth; copied */
    const char *tls_cert_pem;    /* NULL: plain HTTP; else PEM certificate (chain) and key, copied */
    const char *tls_key_pem;
    http_ready_fn ready;
    void *ready_ctx;
};

struct http_server *http_server_start(const struct http_server_options *opts, char *err, size_t errlen);
void http_server_stop(struct http_server *srv);
int http_server_port(const struct http_server *srv);

/* Constant-time check of an "Authorization: Bearer <token>" header value: 0 ok, -1 missing/malformed,
 * -2 wrong token. Exposed for tests. */
int http_check_bearer(const char *header, const char *token);

#endif
