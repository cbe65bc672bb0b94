/* libmicrohttpd server for the agent (see http_server.h). A small thread pool serves requests, so a
 * slow route (a check on a large window) never holds up /metrics or ingest. */
#include "http/http_server.h"

#include <microhttpd.h>
#include <netdb.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "util/jsonw.h"
#include "util/log.h"
#include "util/metrics.h"
#include "http/routes.h"
#include "util/strbuf.h"

#define THREAD_POOL_SIZE 4

struct http_server {
    struct MHD_Daemon *daemon;
    int port;
    int64_t max_body;
    char *token;
    char *tls_cert; /* MHD reads these at start; kept until stop all the same */
    char *tls_key;
    http_ready_fn ready;
    void *ready_ctx;
};

/* Per-connection upload state, kept in MHD's con_cls between calls. */
struct upload {
    struct strbuf body;
    int too_large;
};

int http_check_bearer(const char *header, const char *token)
{
    if (!header || strncasecmp(header, "Bearer ", 7) != 0)
        return -1;
    const char *given = header + 7;
    size_t glen = strlen(given), tlen = strlen(token);
    /* Compare every byte of the token whatever the input, so timing reveals nothing of it. */
    unsigned char diff = (unsigned char)(glen != tlen);
    for (size_t i = 0; i < tlen; i++)
        diff |= (unsigned char)(token[i] ^ (i < glen ? given[i] : 0));
    return diff ? -2 : 0;
}

static enum MHD_Result send_response(struct MHD_Connection *conn, int status, const char *content_type, char *body,
                                     size_t len, const char *extra_header, const char *extra_value)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", content_type);
    if (extra_header)
        MHD_add_response_header(r, extra_header, extra_value);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

/* The agent's JSON error answer (jsonw_error). */
static enum MHD_Result send_json_error(struct MHD_Connection *conn, int status, const char *msg,
                                       const char *extra_header, const char *extra_value)
{
    struct strbuf sb;
    strbuf_init(&sb);
    jsonw_error(&sb, msg, status);
    size_t len;
    char *body = strbuf_detach(&sb, &len);
    if (!body)
        return MHD_NO;
    return send_response(conn, status, "application/json", body, len, extra_header, extra_value);
}

static enum MHD_Result send_text(struct MHD_Connection *conn, int status, const char *text)
{
    char *body = strdup(text);
    if (!body)
        return MHD_NO;
    return send_response(conn, status, "text/plain; charset=utf-8", body, strlen(body), NULL, NULL);
}

/* The q-value of the coding `name` in an Accept-Encoding header (RFC 9110 §12.5.3): 1 when listed
 * without one, 0 when not listed; "*" stands for any coding not listed by name. */
static double accept_encoding_q(const char *header, const char *name)
{
    double named = -1, star = -1;
    for (const char *p = header; p && *p;) {
        p += strspn(p, " \t,");
        size_t n = strcspn(p, " \t;,");
        if (n == 0)
            break;
        double q = 1;
        const char *end = p + strcspn(p, ",");
        const char *qs = memchr(p, ';', (size_t)(end - p));
        for (; qs && qs < end; qs = memchr(qs + 1, ';', (size_t)(end - qs - 1))) {
            const char *v = qs + 1 + strspn(qs + 1, " \t");
            if ((v[0] == 'q' || v[0] == 'Q') && v[1] == '=')
                q = strtod(v + 2, NULL);
        }
        if (n == strlen(name) && strncasecmp(p, name, n) == 0)
            named = q;
        else if (n == 1 && *p == '*')
            star = q;
        p = end;
    }
    return named >= 0 ? named : star >= 0 ? star : 0;
}

static void release_view(void *view)
{
    metrics_view_release(view);
}

/* /metrics, gzip-compressed when the scraper accepts it (Prometheus sends Accept-Encoding: gzip):
 * the text is ~25 times smaller and each family's compressed blocks are cached with its text. */
static enum MHD_Result serve_metrics(struct MHD_Connection *conn)
{
    const char *ae = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept-Encoding");
    int gzip = accept_encoding_q(ae, "gzip") > 0 || accept_encoding_q(ae, "x-gzip") > 0;
    struct MHD_Response *r = NULL;
    if (gzip) {
        unsigned char *body;
        size_t len;
        if (metrics_render_gzip(&body, &len) < 0)
            return send_json_error(conn, 500, "out of memory rendering metrics", NULL, NULL);
        if (!(r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE)))
            free(body);
    } else {
        /* The families' cached texts are sent as they are (megabytes with fleet bins): no copy. */
        struct metrics_view *view;
        if (metrics_view_take(&view) < 0)
            return send_json_error(conn, 500, "out of memory rendering metrics", NULL, NULL);
        size_t n;
        const struct metrics_piece *pieces = metrics_view_pieces(view, &n);
        struct MHD_IoVec *iov = calloc(n, sizeof *iov);
        for (size_t i = 0; iov && i < n; i++)
            iov[i] = (struct MHD_IoVec){.iov_base = pieces[i].data, .iov_len = pieces[i].len};
        r = iov ? MHD_create_response_from_iovec(iov, (unsigned)n, release_view, view) : NULL;
        free(iov); /* MHD keeps its own copy of the vector */
        if (!r)
            metrics_view_release(view);
    }
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    MHD_add_response_header(r, "Vary", "Accept-Encoding");
    if (gzip)
        MHD_add_response_header(r, "Content-Encoding", "gzip");
    enum MHD_Result ret = MHD_queue_response(conn, 200, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result serve_builtin(struct http_server *srv, struct MHD_Connection *conn, const char *path)
{
    if (strcmp(path, "/metrics") == 0)
        return serve_metrics(conn);
    if (strcmp(path, "/healthz") == 0)
        return send_text(conn, 200, "ok\n");
    char why[1024] = "not ready";
    int ready = srv->ready ? srv->ready(srv->ready_ctx, why, sizeof why) : 0;
    if (ready < 0) {
        char msg[1100];
        snprintf(msg, sizeof msg, "not ready: %s\n", why);
        return send_text(conn, 503, msg);
    }
    if (ready > 0) {
        char msg[1100];
        snprintf(msg, sizeof msg, "ready\n%s\n", why);
        return send_text(conn, 200, msg);
    }
    return send_text(conn, 200, "ready\n");
}

static int is_builtin(const char *path)
{
    return strcmp(path, "/metrics") == 0 || strcmp(path, "/healthz") == 0 || strcmp(path, "/readyz") == 0;
}

/* dw_http_request.header: a request header by name, never a credential (the bearer token was
 * checked by dispatch; a plugin has no use for it and must not be able to log or forward it). */
static const char *request_header(const struct dw_http_request *req, const char *name)
{
    if (!req || !req->header_ctx || !name || strcasecmp(name, "Authorization") == 0 ||
        strcasecmp(name, "Proxy-Authorization") == 0)
        return NULL;
    return MHD_lookup_connection_value(req->header_ctx, MHD_HEADER_KIND, name);
}

static enum MHD_Result dispatch(struct http_server *srv, struct MHD_Connection *conn, const char *method,
                                const char *url, struct upload *up)
{
    int write_method = strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
    if (is_builtin(url)) {
        if (write_method)
            return send_json_error(conn, 405, "method not allowed", "Allow", "GET");
        return serve_builtin(srv, conn, url);
    }
    if (write_method && srv->token) {
        const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
        int rc = http_check_bearer(auth, srv->token);
        if (rc == -1)
            return send_json_error(conn, 401, "this route needs 'Authorization: Bearer <token>'", "WWW-Authenticate",
                                   "Bearer");
        if (rc == -2)
            return send_json_error(conn, 403, "the bearer token is not valid", NULL, NULL);
    }
    if (up->too_large) {
        char msg[128];
        snprintf(msg, sizeof msg, "request body larger than the limit of %lld bytes", (long long)srv->max_body);
        return send_json_error(conn, 413, msg, NULL, NULL);
    }
    struct dw_http_request req = {
        .size = sizeof req,
        .method = method,
        .path = url,
        .query = NULL,
        .content_type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type"),
        .authorization = NULL, /* already checked; never handed to plugins */
        .body = up->body.data ? up->body.data : "",
        .body_len = up->body.len,
        .idempotency_key = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Idempotency-Key"),
        .header = request_header,
        .header_ctx = conn,
    };
    struct dw_http_response resp = {.size = sizeof resp, .status = 500, .content_type = "application/json"};
    int found = routes_dispatch(method, url, &req, &resp);
    if (found == -1)
        return send_json_error(conn, 404, "no such route", NULL, NULL);
    if (found == -2)
        return send_json_error(conn, 405, "method not allowed on this route", NULL, NULL);
    if (!resp.body) {
        resp.body = strdup("");
        resp.body_len = 0;
        if (!resp.body)
            return MHD_NO;
    }
    return send_response(conn, resp.status, resp.content_type ? resp.content_type : "application/json", resp.body,
                         resp.body_len, NULL, NULL);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct http_server *srv = cls;
    struct upload *up = *con_cls;
    if (!up) {
        up = calloc(1, sizeof *up);
        if (!up)
            return MHD_NO;
        strbuf_init(&up->body);
        *con_cls = up;
        /* Refuse an announced oversized body before reading any of it. */
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoll(cl, NULL, 10) > srv->max_body) {
            up->too_large = 1;
            return dispatch(srv, conn, method, url, up);
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!up->too_large && up->body.len + *upload_data_size > (size_t)srv->max_body) {
            up->too_large = 1;
            strbuf_free(&up->body);
        }
        if (!up->too_large)
            strbuf_append(&up->body, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (up->body.failed)
        return send_json_error(conn, 503, "out of memory buffering the request body", NULL, NULL);
    return dispatch(srv, conn, method, url, up);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    struct upload *up = *con_cls;
    if (!up)
        return;
    strbuf_free(&up->body);
    free(up);
    *con_cls = NULL;
}

static int resolve_listen(const char *host, int port, struct sockaddr_storage *ss, socklen_t *sslen, char *err,
                          size_t errlen)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
    struct addrinfo *res = NULL;
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", port);
    int rc = getaddrinfo(host, portstr, &hints, &res);
    if (rc != 0 || !res) {
        snprintf(err, errlen, "cannot resolve listen address %s: %s", host, gai_strerror(rc));
        return -1;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *sslen = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

/* libmicrohttpd's own messages are about single connections (a client that went away, a TLS
 * handshake from a plain-HTTP client, a connection over a limit): any client can cause them, so they
 * go to the debug level rather than flood the log. Failures to start are reported by the caller. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    log_debug("http", "%s", msg);
}

/* strdup that accepts NULL and records a failed copy in *failed. */
static char *copy_string(const char *s, int *failed)
{
    char *copy = s ? strdup(s) : NULL;
    if (s && !copy)
        *failed = 1;
    return copy;
}

static void free_secret(char *s)
{
    if (s)
        OPENSSL_cleanse(s, strlen(s));
    free(s);
}

static void server_free(struct http_server *srv)
{
    free_secret(srv->token);
    free_secret(srv->tls_key);
    free(srv->tls_cert);
    free(srv);
}

struct http_server *http_server_start(const struct http_server_options *opts, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t sslen;
    if (resolve_listen(opts->host, opts->port, &ss, &sslen, err, errlen) < 0)
        return NULL;
    int tls = opts->tls_cert_pem && opts->tls_key_pem;
    if (tls && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
        snprintf(err, errlen, "libmicrohttpd %s was built without TLS (GnuTLS) support", MHD_get_version());
        return NULL;
    }
    struct http_server *srv = calloc(1, sizeof *srv);
    int failed = !srv;
    if (srv) {
        srv->max_body = opts->max_body_bytes;
        srv->ready = opts->ready;
        srv->ready_ctx = opts->ready_ctx;
        srv->token = copy_string(opts->auth_token, &failed);
        if (tls) {
            srv->tls_cert = copy_string(opts->tls_cert_pem, &failed);
            srv->tls_key = copy_string(opts->tls_key_pem, &failed);
        }
    }
    if (failed) {
        if (srv)
            server_free(srv);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (tls)
        flags |= MHD_USE_TLS;
    /* Each pool thread takes an equal share of the connection limit, so never more threads than
     * connections. */
    unsigned threads = opts->max_connections < THREAD_POOL_SIZE ? (unsigned)opts->max_connections : THREAD_POOL_SIZE;
    struct MHD_OptionItem tls_opts[] = {
        {MHD_OPTION_HTTPS_MEM_CERT, 0, srv->tls_cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, srv->tls_key},
        {MHD_OPTION_END, 0, NULL},
    };
    /* The logger first, or MHD prints the messages of the options before it itself. */
    srv->daemon = MHD_start_daemon(flags, (uint16_t)opts->port, NULL, NULL, on_request, srv,
                                   MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
                                   MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                                   MHD_OPTION_THREAD_POOL_SIZE, threads,
                                   MHD_OPTION_CONNECTION_LIMIT, (unsigned)opts->max_connections,
                                   MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)opts->max_connections_per_ip,
                                   MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)opts->connection_timeout_s,
                                   MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
                                   MHD_OPTION_ARRAY, tls ? tls_opts : tls_opts + 2,
                                   MHD_OPTION_END);
    if (!srv->daemon) {
        if (tls)
            snprintf(err, errlen, "cannot serve HTTPS on %s:%d (address in use, or GnuTLS refused the certificate "
                     "or key?)", opts->host, opts->port);
        else
            snprintf(err, errlen, "cannot listen on %s:%d (address in use or not permitted?)", opts->host,
                     opts->port);
        server_free(srv);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : opts->port;
    return srv;
}

void http_server_stop(struct http_server *srv)
{
    if (!srv)
        return;
    MHD_stop_daemon(srv->daemon);
    server_free(srv);
}

int http_server_port(const struct http_server *srv)
{
    return srv->port;
}
