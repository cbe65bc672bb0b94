/* Fuzz target: the proxy and canary probes' payload tap (probes/tap/tap_parse.c), which turns a
 * predict request and response seen on the wire into samples. Input: one header line
 * "PROTOCOL [names=a,b,...] [id=REQUEST_ID] [ts=TIMESTAMP]" (PROTOCOL v1, v2 or auto), then the
 * request body, FUZZ_SEPARATOR, the response body. The samples built must be what the probe hands
 * the core: a JSON array that the core's reader (core/sample/sample_batch.h) reads with one
 * verdict per sample. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sample/sample_batch.h"
#include "tap_parse.h"

#define MAX_NAMES 64

struct header {
    enum tap_protocol protocol;
    char *names_text;
    const char *names[MAX_NAMES];
    size_t n_names;
    char *request_id;
    char *timestamp;
    char *line;
};

static void header_parse(const uint8_t *data, size_t len, struct header *h)
{
    memset(h, 0, sizeof *h);
    h->line = fuzz_strndup(data, len);
    char *tok = h->line;
    while (tok) {
        char *space = strchr(tok, ' ');
        if (space)
            *space = '\0';
        if (strncmp(tok, "names=", 6) == 0)
            h->names_text = tok + 6;
        else if (strncmp(tok, "id=", 3) == 0)
            h->request_id = tok + 3;
        else if (strncmp(tok, "ts=", 3) == 0)
            h->timestamp = tok + 3;
        else if (*tok && tap_protocol_parse(tok, &h->protocol) < 0)
            h->protocol = TAP_AUTO;
        tok = space ? space + 1 : NULL;
    }
    /* "names=a,b,c": empty names are kept, as a config list could hold them. */
    for (char *p = h->names_text; p && h->n_names < MAX_NAMES;) {
        char *comma = strchr(p, ',');
        h->names[h->n_names++] = p;
        if (!comma)
            break;
        *comma = '\0';
        p = comma + 1;
    }
}

static void count_item(void *ctx, const struct sample_item *item)
{
    (void)item;
    (*(size_t *)ctx)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t head_len = nl ? (size_t)(nl - data) : size;
    size_t body_off = nl ? head_len + 1 : size;
    struct header h;
    header_parse(data, head_len, &h);

    struct fuzz_part parts[2];
    size_t n = fuzz_split(data + body_off, size - body_off, parts, 2);
    struct tap_pair pair = {
        .request = (const char *)parts[0].data,
        .request_len = parts[0].size,
        .response = n > 1 ? (const char *)parts[1].data : "",
        .response_len = n > 1 ? parts[1].size : 0,
        .request_id = h.request_id,
        .timestamp = h.timestamp,
    };
    char *json = NULL, why[512] = "";
    size_t json_len = 0;
    int samples = tap_build_samples(h.protocol, h.names, h.n_names, &pair, &json, &json_len, why, sizeof why);
    if (samples < 0) {
        if (json || !why[0])
            fuzz_fail("tap_build_samples failed without a reason or left output");
    } else {
        if (!json || strlen(json) != json_len)
            fuzz_fail("tap_build_samples: output length %zu does not match", json_len);
        size_t seen = 0;
        struct sample_problem prob;
        if (sample_read_body(json, json_len, count_item, &seen, &prob) < 0)
            fuzz_fail("the core cannot read the tap's samples: %s", prob.why);
        if (seen != (size_t)samples)
            fuzz_fail("tap built %d samples, the reader saw %zu", samples, seen);
    }
    free(json);
    free(h.line);
    return 0;
}
