/* Predict payloads → samples (see tap_parse.h). Runs on the tap thread, never on the request path,
 * so it may allocate freely; it must only never crash on whatever a client or model sends. */
#include "tap_parse.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const tap_protocol_names[] = {"v1", "v2", "auto", NULL};

int tap_protocol_parse(const char *s, enum tap_protocol *out)
{
    if (strcmp(s, "auto") == 0)
        *out = TAP_AUTO;
    else if (strcmp(s, "v1") == 0)
        *out = TAP_V1;
    else if (strcmp(s, "v2") == 0)
        *out = TAP_V2;
    else
        return -1;
    return 0;
}

static int is_scalar(const json_t *v)
{
    return json_is_number(v) || json_is_string(v) || json_is_boolean(v) || json_is_null(v);
}

/* Leaves of a (possibly nested) JSON array, in row-major order; borrowed pointers. */
struct leaves {
    json_t **v;
    size_t n, cap;
    int failed;
};

static void leaves_push(struct leaves *l, json_t *v)
{
    if (l->failed)
        return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        json_t **grown = realloc(l->v, cap * sizeof *grown);
        if (!grown) {
            l->failed = 1;
            return;
        }
        l->v = grown;
        l->cap = cap;
    }
    l->v[l->n++] = v;
}

static void flatten(json_t *v, struct leaves *l, int depth)
{
    if (depth > 32) {
        l->failed = 1;
        return;
    }
    if (!json_is_array(v)) {
        leaves_push(l, v);
        return;
    }
    for (size_t i = 0; i < json_array_size(v); i++)
        flatten(json_array_get(v, i), l, depth + 1);
}

static json_t *v1_features(json_t *inst, size_t index, const char *const *names, size_t n_names, char *why,
                           size_t whylen)
{
    json_t *features = json_object();
    if (!features)
        return NULL;
    if (json_is_object(inst)) {
        const char *key;
        json_t *value;
        json_object_foreach(inst, key, value) {
            if (is_scalar(value))
                json_object_set(features, key, value);
        }
    } else if (json_is_array(inst)) {
        size_t n = json_array_size(inst);
        if (n_names && n != n_names) {
            snprintf(why, whylen, "instance %zu has %zu values but feature_names lists %zu", index, n, n_names);
            json_decref(features);
            return NULL;
        }
        for (size_t j = 0; j < n; j++) {
            json_t *value = json_array_get(inst, j);
            if (!is_scalar(value))
                continue;
            char pos[32];
            snprintf(pos, sizeof pos, "%zu", j);
            json_object_set(features, n_names ? names[j] : pos, value);
        }
    } else if (is_scalar(inst)) {
        json_object_set(features, n_names ? names[0] : "0", inst);
    }
    if (json_object_size(features) == 0) {
        snprintf(why, whylen, "instance %zu has no scalar feature values", index);
        json_decref(features);
        return NULL;
    }
    return features;
}

static json_t *sample_new(json_t *features, json_t *prediction, const char *request_id, size_t row, size_t rows,
                          const char *timestamp)
{
    json_t *s = json_object();
    json_object_set_new(s, "features", features);
    json_object_set(s, "prediction", prediction ? prediction : json_null());
    if (timestamp)
        json_object_set_new(s, "timestamp", json_string(timestamp));
    if (request_id) {
        if (rows > 1) {
            char id[512];
            snprintf(id, sizeof id, "%s#%zu", request_id, row);
            json_object_set_new(s, "request_id", json_string(id));
        } else {
            json_object_set_new(s, "request_id", json_string(request_id));
        }
    }
    return s;
}

static int build_v1(json_t *req, json_t *resp, const char *const *names, size_t n_names, const struct tap_pair *pair,
                    json_t *out, char *why, size_t whylen)
{
    json_t *instances = json_object_get(req, "instances");
    json_t *predictions = json_object_get(resp, "predictions");
    if (!json_is_array(instances)) {
        snprintf(why, whylen, "v1 request without an 'instances' array");
        return -1;
    }
    if (!json_is_array(predictions)) {
        snprintf(why, whylen, "v1 response without a 'predictions' array");
        return -1;
    }
    size_t n = json_array_size(instances);
    if (json_array_size(predictions) != n) {
        snprintf(why, whylen, "%zu instances but %zu predictions", n, json_array_size(predictions));
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *features = v1_features(json_array_get(instances, i), i, names, n_names, why, whylen);
        if (!features)
            return -1;
        json_array_append_new(out, sample_new(features, json_array_get(predictions, i), pair->request_id, i, n,
                                              pair->timestamp));
    }
    return 0;
}

/* One v2 tensor: name, batch size (shape[0]), values per row, flattened data. */
struct tensor {
    const char *name;
    size_t rows, per_row;
    struct leaves data;
};

static int tensor_read(json_t *t, size_t index, const char *what, struct tensor *out, char *why, size_t whylen)
{
    memset(out, 0, sizeof *out);
    json_t *name = json_object_get(t, "name"), *shape = json_object_get(t, "shape"), *data = json_object_get(t, "data");
    if (!json_is_object(t) || !json_is_string(name) || !json_is_array(shape) || !data) {
        snprintf(why, whylen, "v2 %s %zu lacks name, shape or data", what, index);
        return -1;
    }
    out->name = json_string_value(name);
    out->rows = 1;
    out->per_row = 1;
    for (size_t d = 0; d < json_array_size(shape); d++) {
        json_t *dim = json_array_get(shape, d);
        if (!json_is_integer(dim) || json_integer_value(dim) < 0 || json_integer_value(dim) > (1 << 24)) {
            snprintf(why, whylen, "v2 %s '%s' has an invalid shape", what, out->name);
            return -1;
        }
        size_t n = (size_t)json_integer_value(dim);
        /* The product of the dimensions must not wrap around: rows * per_row compared equal to a
         * small number of values would index far past them (tests/fuzz/corpus/proxy_tap/v2_shape_wraps_around). */
        if (d > 0 && n && out->per_row > SIZE_MAX / n) {
            snprintf(why, whylen, "v2 %s '%s' has a shape too large", what, out->name);
            return -1;
        }
        if (d == 0)
            out->rows = n;
        else
            out->per_row *= n;
    }
    if (out->per_row && out->rows > SIZE_MAX / out->per_row) {
        snprintf(why, whylen, "v2 %s '%s' has a shape too large", what, out->name);
        return -1;
    }
    flatten(data, &out->data, 0);
    if (out->data.failed) {
        snprintf(why, whylen, "v2 %s '%s': data too deep or out of memory", what, out->name);
        return -1;
    }
    if (out->data.n != out->rows * out->per_row) {
        snprintf(why, whylen, "v2 %s '%s' has %zu values, its shape says %zu", what, out->name, out->data.n,
                 out->rows * out->per_row);
        return -1;
    }
    return 0;
}

static void tensors_free(struct tensor *t, size_t n)
{
    for (size_t i = 0; t && i < n; i++)
        free(t[i].data.v);
    free(t);
}

static int build_v2(json_t *req, json_t *resp, const char *const *names, size_t n_names, const struct tap_pair *pair,
                    json_t *out, char *why, size_t whylen)
{
    json_t *inputs = json_object_get(req, "inputs"), *outputs = json_object_get(resp, "outputs");
    if (!json_is_array(inputs) || json_array_size(inputs) == 0) {
        snprintf(why, whylen, "v2 request without an 'inputs' array");
        return -1;
    }
    if (!json_is_array(outputs) || json_array_size(outputs) == 0) {
        snprintf(why, whylen, "v2 response without an 'outputs' array");
        return -1;
    }
    size_t n_in = json_array_size(inputs), n_out = json_array_size(outputs);
    struct tensor *in = calloc(n_in, sizeof *in), *outs = calloc(n_out, sizeof *outs);
    int rc = -1;
    if (!in || !outs) {
        snprintf(why, whylen, "out of memory");
        goto done;
    }
    size_t columns = 0, rows = 0;
    for (size_t k = 0; k < n_in; k++) {
        if (tensor_read(json_array_get(inputs, k), k, "input", &in[k], why, whylen) < 0)
            goto done;
        if (k > 0 && in[k].rows != rows) {
            snprintf(why, whylen, "v2 inputs disagree on the batch size (%zu and %zu)", rows, in[k].rows);
            goto done;
        }
        rows = in[k].rows;
        columns += in[k].per_row;
    }
    if (n_names && n_names != columns) {
        snprintf(why, whylen, "the inputs have %zu columns but feature_names lists %zu", columns, n_names);
        goto done;
    }
    for (size_t o = 0; o < n_out; o++) {
        if (tensor_read(json_array_get(outputs, o), o, "output", &outs[o], why, whylen) < 0)
            goto done;
        if (outs[o].rows != rows) {
            snprintf(why, whylen, "v2 output '%s' has %zu rows for %zu input rows", outs[o].name, outs[o].rows, rows);
            goto done;
        }
    }
    const char *request_id = pair->request_id;
    if (!request_id)
        request_id = json_string_value(json_object_get(resp, "id"));
    if (!request_id)
        request_id = json_string_value(json_object_get(req, "id"));
    for (size_t i = 0; i < rows; i++) {
        json_t *features = json_object();
        size_t col = 0;
        for (size_t k = 0; k < n_in; k++) {
            for (size_t j = 0; j < in[k].per_row; j++, col++) {
                json_t *value = in[k].data.v[i * in[k].per_row + j];
                if (!is_scalar(value))
                    continue;
                char generated[300];
                const char *name = n_names ? names[col] : in[k].name;
                if (!n_names && in[k].per_row > 1) {
                    snprintf(generated, sizeof generated, "%s_%zu", in[k].name, j);
                    name = generated;
                }
                json_object_set(features, name, value);
            }
        }
        json_t *prediction = NULL;
        for (size_t o = 0; o < n_out; o++) {
            json_t *value;
            if (outs[o].per_row == 1) {
                value = json_incref(outs[o].data.v[i]);
            } else {
                value = json_array();
                for (size_t j = 0; j < outs[o].per_row; j++)
                    json_array_append(value, outs[o].data.v[i * outs[o].per_row + j]);
            }
            if (n_out == 1) {
                prediction = value;
            } else {
                if (!prediction)
                    prediction = json_object();
                json_object_set_new(prediction, outs[o].name, value);
            }
        }
        json_array_append_new(out, sample_new(features, prediction, request_id, i, rows, pair->timestamp));
        json_decref(prediction);
    }
    rc = 0;
done:
    tensors_free(in, n_in);
    tensors_free(outs, n_out);
    return rc;
}

int tap_build_samples(enum tap_protocol protocol, const char *const *feature_names, size_t n_names,
                      const struct tap_pair *pair, char **json, size_t *json_len, char *why, size_t whylen)
{
    *json = NULL;
    *json_len = 0;
    json_error_t jerr;
    /* A key twice (two values for one feature) is refused here as at the other doors. */
    json_t *req = json_loadb(pair->request, pair->request_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!req) {
        snprintf(why, whylen, "request is not JSON: %s (line %d, column %d)", jerr.text, jerr.line, jerr.column);
        return -1;
    }
    json_t *resp = json_loadb(pair->response, pair->response_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!resp) {
        snprintf(why, whylen, "response is not JSON: %s (line %d, column %d)", jerr.text, jerr.line, jerr.column);
        json_decref(req);
        return -1;
    }
    int rc = -1;
    json_t *out = json_array();
    if (protocol == TAP_AUTO) {
        json_t *inputs = json_object_get(req, "inputs");
        if (json_object_get(req, "instances"))
            protocol = TAP_V1;
        else if (json_is_array(inputs) && json_is_object(json_array_get(inputs, 0)))
            protocol = TAP_V2;
        else {
            snprintf(why, whylen, "neither a v1 ('instances') nor a v2 ('inputs' tensors) predict request");
            goto done;
        }
    }
    if (!json_is_object(req) || !json_is_object(resp)) {
        snprintf(why, whylen, "request and response must be JSON objects");
        goto done;
    }
    if ((protocol == TAP_V1 ? build_v1 : build_v2)(req, resp, feature_names, n_names, pair, out, why, whylen) < 0)
        goto done;
    *json = json_dumps(out, JSON_COMPACT);
    if (!*json) {
        snprintf(why, whylen, "out of memory");
        goto done;
    }
    *json_len = strlen(*json);
    rc = (int)json_array_size(out);
done:
    json_decref(out);
    json_decref(req);
    json_decref(resp);
    return rc;
}
