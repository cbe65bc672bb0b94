/* A scripted HTTP/1.1 upstream (a stand-in model server) on a loopback port, for the proxy and
 * canary tests and the proxy benchmark: answers every request with the current script and records
 * the raw bytes of the last request it received. Keep-alive, one thread per connection. */
#ifndef DW_TEST_UPSTREAM_H
#define DW_TEST_UPSTREAM_H

#include <stddef.h>

struct upstream_script {
    int status;
    const char *reason;       /* NULL: "OK"-style default */
    const char *headers;      /* extra raw header lines, each ending in "\r\n"; may be NULL */
    const char *body;         /* may be NULL (empty body) */
    size_t body_len;
    int echo;                 /* answer with the request's body (and its Content-Type) */
    int chunked;              /* send the body in chunks of chunk_size with Transfer-Encoding: chunked */
    size_t chunk_size;
    int delay_ms;             /* wait before answering */
    const char *raw;          /* when set: send exactly these raw_len bytes instead of a built answer */
    size_t raw_len;
    int close_after;          /* close the connection after answering, without saying so */
    int split_send;           /* send head and body in two writes with Nagle's algorithm on, as
                                 Python's http.server does */
};

/* Starts on 127.0.0.1, any free port; returns the port. */
int upstream_start(void);
void upstream_stop(void);
/* The script is copied. */
void upstream_set(const struct upstream_script *s);

/* The last request: head (request line + headers, "\r\n"-separated, without the blank line) and
 * body, both malloc'd copies. */
void upstream_last(char **head, char **body, size_t *body_len);
size_t upstream_requests(void);
size_t upstream_connections(void);

/* A free TCP port on 127.0.0.1 (bound then released). */
int free_port(void);

#endif
