/* Fuzz target: baseline profile files (core/data/profile.h). profile_load takes a fast path for the
 * sample arrays (its own tokenizer, then jansson for the rest); profile_from_json is jansson alone.
 * Both read the same bytes here and must agree: what profile_from_json accepts, profile_load accepts
 * with the same features and samples (it may refuse a text with duplicate keys, not read it
 * differently). An accepted profile must render and load back, and give a window table. */
#include <jansson.h>
#include <math.h>
#include <string.h>

#include "data/profile.h"
#include "fuzz.h"
#include "util/strbuf.h"

static int same_features(const struct profile *a, const struct profile *b)
{
    if (a->nfeatures != b->nfeatures || a->rows != b->rows)
        return 0;
    for (size_t i = 0; i < a->nfeatures; i++) {
        const struct profile_feature *x = &a->features[i], *y = &b->features[i];
        if (strcmp(x->name, y->name) != 0 || x->type != y->type || x->nsample != y->nsample ||
            x->ncats != y->ncats || x->count != y->count)
            return 0;
        for (size_t k = 0; k < x->nsample; k++)
            if (x->sample[k] != y->sample[k])
                return 0;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[1024] = "";
    struct profile *fast = NULL, *slow = NULL;
    const char *path = fuzz_write_file("baseline.json", data, size);
    int fast_rc = profile_load(path, &fast, err, sizeof err);
    if (fast_rc < 0 && (!err[0] || fast))
        fuzz_fail("profile_load failed without a message or left a profile");

    json_error_t je;
    json_t *root = json_loadb((const char *)data, size, 0, &je);
    json_t *strict = root ? json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je) : NULL;
    int duplicates = root && !strict;
    json_decref(strict);
    int slow_rc = -1;
    if (root) {
        err[0] = '\0';
        slow_rc = profile_from_json(root, "fuzz", &slow, err, sizeof err);
        if (slow_rc < 0 && (!err[0] || slow))
            fuzz_fail("profile_from_json failed without a message or left a profile");
        json_decref(root);
    }
    if (slow_rc == 0 && fast_rc != 0 && !duplicates)
        fuzz_fail("profile_from_json accepts what profile_load refuses");
    if (slow_rc == 0 && fast_rc == 0 && !same_features(fast, slow))
        fuzz_fail("profile_load and profile_from_json read different features or samples");

    if (fast) {
        struct strbuf sb;
        strbuf_init(&sb);
        if (profile_render(fast, &sb) < 0)
            fuzz_fail("profile_render failed");
        struct profile *back = NULL;
        root = json_loadb(sb.data, sb.len, 0, &je);
        err[0] = '\0';
        if (!root || profile_from_json(root, "rendered", &back, err, sizeof err) < 0)
            fuzz_fail("an accepted profile does not load back after rendering: %s", root ? err : je.text);
        if (!same_features(fast, back))
            fuzz_fail("an accepted profile changes through render and load");
        profile_free(back);
        json_decref(root);
        strbuf_free(&sb);
        for (size_t i = 0; i < fast->nfeatures; i++)
            if (profile_find(fast, fast->features[i].name) < 0)
                fuzz_fail("profile_find misses feature %zu", i);
        struct columns *t = columns_new_for_profile(fast, NULL);
        if (!t)
            fuzz_fail("columns_new_for_profile failed");
        columns_free(t);
    }
    profile_free(fast);
    profile_free(slow);
    return 0;
}
