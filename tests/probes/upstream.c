/* Scripted loopback HTTP upstream (see upstream.h). Minimal on purpose: Content-Length request
 * bodies only (what the proxy sends), responses built from the script in one send. */
#include "upstream.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 256

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t idle = PTHREAD_COND_INITIALIZER;
static int listen_fd = -1;
static pthread_t accept_thread;
static int conn_fds[MAX_CONNS];
static int n_active;
static int stopping;
static struct upstream_script script;
static char *script_headers, *script_body, *script_reason, *script_raw;
static char *last_head, *last_body;
static size_t last_body_len, n_requests, n_connections;

int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || getsockname(fd, (struct sockaddr *)&a, &len) < 0)
        abort();
    close(fd);
    return ntohs(a.sin_port);
}

void upstream_set(const struct upstream_script *s)
{
    pthread_mutex_lock(&lock);
    free(script_headers);
    free(script_body);
    free(script_reason);
    free(script_raw);
    script = *s;
    script_raw = NULL;
    if (s->raw) {
        script_raw = malloc(s->raw_len);
        memcpy(script_raw, s->raw, s->raw_len);
    }
    script_headers = s->headers ? strdup(s->headers) : NULL;
    script_reason = s->reason ? strdup(s->reason) : NULL;
    script_body = NULL;
    if (s->body_len) {
        script_body = malloc(s->body_len);
        memcpy(script_body, s->body, s->body_len);
    }
    pthread_mutex_unlock(&lock);
}

void upstream_last(char **head, char **body, size_t *body_len)
{
    pthread_mutex_lock(&lock);
    *head = strdup(last_head ? last_head : "");
    *body_len = last_body_len;
    *body = malloc(last_body_len + 1);
    if (last_body_len)
        memcpy(*body, last_body, last_body_len);
    (*body)[last_body_len] = '\0';
    pthread_mutex_unlock(&lock);
}

size_t upstream_requests(void)
{
    pthread_mutex_lock(&lock);
    size_t n = n_requests;
    pthread_mutex_unlock(&lock);
    return n;
}

size_t upstream_connections(void)
{
    pthread_mutex_lock(&lock);
    size_t n = n_connections;
    pthread_mutex_unlock(&lock);
    return n;
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Value of a header in a raw head, or NULL; copied into out. */
static const char *header_value(const char *head, const char *name, char *out, size_t outlen)
{
    size_t n = strlen(name);
    for (const char *p = strstr(head, "\r\n"); p; p = strstr(p + 2, "\r\n")) {
        const char *line = p + 2;
        if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
            const char *v = line + n + 1;
            while (*v == ' ')
                v++;
            size_t len = strcspn(v, "\r\n");
            snprintf(out, outlen, "%.*s", (int)len, v);
            return out;
        }
    }
    return NULL;
}

static int respond(int fd, const char *head, const char *body, size_t body_len)
{
    pthread_mutex_lock(&lock);
    struct upstream_script s = script;
    char *headers = script_headers ? strdup(script_headers) : NULL;
    char *reason = script_reason ? strdup(script_reason) : NULL;
    char *sbody = NULL, *raw = NULL;
    if (s.body_len) {
        sbody = malloc(s.body_len);
        memcpy(sbody, script_body, s.body_len);
    }
    if (s.raw) {
        raw = malloc(s.raw_len);
        memcpy(raw, script_raw, s.raw_len);
    }
    pthread_mutex_unlock(&lock);
    if (raw) {
        int rc = send_all(fd, raw, s.raw_len);
        free(raw);
        free(headers);
        free(reason);
        free(sbody);
        return rc < 0 || s.close_after ? -1 : 0;
    }
    if (s.delay_ms) {
        struct timespec ts = {s.delay_ms / 1000, (long)(s.delay_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    const char *out = s.echo ? body : sbody;
    size_t out_len = s.echo ? body_len : s.body_len;
    char ctype[256] = "";
    if (s.echo && header_value(head, "Content-Type", ctype + 14, sizeof ctype - 16)) {
        memcpy(ctype, "Content-Type: ", 14);
        strcat(ctype, "\r\n");
    }
    int is_head = strncmp(head, "HEAD ", 5) == 0;
    size_t step = s.chunk_size ? s.chunk_size : 7;
    size_t cap = 1024 + (headers ? strlen(headers) : 0) + out_len + (s.chunked ? (out_len / step + 2) * 32 : 0);
    char *resp = malloc(cap);
    int used = snprintf(resp, cap, "HTTP/1.1 %d %s\r\n%s%s", s.status ? s.status : 200, reason ? reason : "Reason",
                        headers ? headers : "", ctype);
    size_t u = (size_t)used;
    if (s.chunked) {
        u += (size_t)snprintf(resp + u, cap - u, "Transfer-Encoding: chunked\r\n\r\n");
        for (size_t off = 0; off < out_len; off += step) {
            size_t n = out_len - off < step ? out_len - off : step;
            u += (size_t)snprintf(resp + u, cap - u, "%zx\r\n", n);
            memcpy(resp + u, out + off, n);
            u += n;
            memcpy(resp + u, "\r\n", 2);
            u += 2;
        }
        u += (size_t)snprintf(resp + u, cap - u, "0\r\n\r\n");
    } else {
        u += (size_t)snprintf(resp + u, cap - u, "Content-Length: %zu\r\n\r\n", out_len);
        if (s.split_send) {
            int zero = 0;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &zero, sizeof zero);
            int rc = send_all(fd, resp, u);
            if (rc == 0 && !is_head && out_len)
                rc = send_all(fd, out, out_len);
            free(resp);
            free(headers);
            free(reason);
            free(sbody);
            return rc < 0 || s.close_after ? -1 : 0;
        }
        if (!is_head && out_len) {
            memcpy(resp + u, out, out_len);
            u += out_len;
        }
    }
    int rc = send_all(fd, resp, u);
    free(resp);
    free(headers);
    free(reason);
    free(sbody);
    return rc < 0 || s.close_after ? -1 : 0;
}

static void *conn_main(void *arg)
{
    int fd = (int)(intptr_t)arg;
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        char *end;
        while (!(end = memmem(buf, len, "\r\n\r\n", 4))) {
            if (len == cap)
                buf = realloc(buf, cap *= 2);
            ssize_t r = recv(fd, buf + len, cap - len, 0);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                goto out;
            len += (size_t)r;
        }
        size_t head_len = (size_t)(end - buf);
        char *head = strndup(buf, head_len);
        char v[64];
        size_t clen = header_value(head, "Content-Length", v, sizeof v) ? strtoull(v, NULL, 10) : 0;
        size_t need = head_len + 4 + clen;
        while (len < need) {
            if (need > cap)
                buf = realloc(buf, cap = need);
            ssize_t r = recv(fd, buf + len, cap - len, 0);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0) {
                free(head);
                goto out;
            }
            len += (size_t)r;
        }
        pthread_mutex_lock(&lock);
        free(last_head);
        free(last_body);
        last_head = strdup(head);
        last_body = malloc(clen + 1);
        memcpy(last_body, buf + head_len + 4, clen);
        last_body_len = clen;
        n_requests++;
        pthread_mutex_unlock(&lock);
        int rc = respond(fd, head, buf + head_len + 4, clen);
        int close_after = header_value(head, "Connection", v, sizeof v) && strcasecmp(v, "close") == 0;
        free(head);
        memmove(buf, buf + need, len - need);
        len -= need;
        if (rc < 0 || close_after)
            break;
    }
out:
    free(buf);
    pthread_mutex_lock(&lock);
    for (int i = 0; i < MAX_CONNS; i++)
        if (conn_fds[i] == fd) {
            conn_fds[i] = -1;
            break;
        }
    close(fd);
    n_active--;
    pthread_cond_broadcast(&idle);
    pthread_mutex_unlock(&lock);
    return NULL;
}

static void *accept_main(void *arg)
{
    for (;;) {
        int fd = accept(listen_fd, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            return NULL;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        pthread_mutex_lock(&lock);
        if (stopping) {
            pthread_mutex_unlock(&lock);
            close(fd);
            return NULL;
        }
        int slot = -1;
        for (int i = 0; i < MAX_CONNS && slot < 0; i++)
            if (conn_fds[i] < 0)
                slot = i;
        if (slot < 0) {
            pthread_mutex_unlock(&lock);
            close(fd);
            continue;
        }
        conn_fds[slot] = fd;
        n_active++;
        n_connections++;
        pthread_mutex_unlock(&lock);
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&t, &attr, conn_main, (void *)(intptr_t)fd) != 0) {
            pthread_mutex_lock(&lock);
            conn_fds[slot] = -1;
            n_active--;
            pthread_mutex_unlock(&lock);
            close(fd);
        }
        pthread_attr_destroy(&attr);
    }
}

int upstream_start(void)
{
    for (int i = 0; i < MAX_CONNS; i++)
        conn_fds[i] = -1;
    stopping = 0;
    listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (bind(listen_fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(listen_fd, 512) < 0 ||
        getsockname(listen_fd, (struct sockaddr *)&a, &len) < 0)
        abort();
    struct upstream_script s = {.status = 200, .echo = 1};
    upstream_set(&s);
    pthread_create(&accept_thread, NULL, accept_main, NULL);
    return ntohs(a.sin_port);
}

void upstream_stop(void)
{
    pthread_mutex_lock(&lock);
    stopping = 1;
    for (int i = 0; i < MAX_CONNS; i++)
        if (conn_fds[i] >= 0)
            shutdown(conn_fds[i], SHUT_RDWR);
    pthread_mutex_unlock(&lock);
    shutdown(listen_fd, SHUT_RDWR);
    pthread_join(accept_thread, NULL);
    close(listen_fd);
    listen_fd = -1;
    pthread_mutex_lock(&lock);
    while (n_active > 0)
        pthread_cond_wait(&idle, &lock);
    free(last_head);
    free(last_body);
    free(script_headers);
    free(script_body);
    free(script_reason);
    free(script_raw);
    last_head = last_body = script_headers = script_body = script_reason = script_raw = NULL;
    last_body_len = n_requests = n_connections = 0;
    pthread_mutex_unlock(&lock);
}
