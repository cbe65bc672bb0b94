/* See fuzz_data_file.h. Checks along the way: a profile built from a file has sorted finite
 * samples and a count plus missing for every row, and loads back from its own JSON text; the
 * file it was built from reads into the profile's window table. */
#include "fuzz_data_file.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "analyze/baseline.h"
#include "data/profile.h"
#include "data/source.h"
#include "fuzz.h"
#include "util/strbuf.h"

static void check_profile(const struct profile *p)
{
    for (size_t i = 0; i < p->nfeatures; i++) {
        const struct profile_feature *f = &p->features[i];
        if (f->count + f->missing != p->rows)
            fuzz_fail("feature '%s': count %llu + missing %llu != rows %llu", f->name,
                      (unsigned long long)f->count, (unsigned long long)f->missing, (unsigned long long)p->rows);
        if (f->nsample > f->count)
            fuzz_fail("feature '%s': %zu sample values for count %llu", f->name, f->nsample,
                      (unsigned long long)f->count);
        for (size_t k = 0; k < f->nsample; k++)
            if (!isfinite(f->sample[k]) || (k && f->sample[k] < f->sample[k - 1]))
                fuzz_fail("feature '%s': sample[%zu] not finite or not sorted", f->name, k);
    }
}

/* The profile's JSON text must load back (what `baseline` writes, `check` reads), with the same
 * categories: a NUL byte in a value is replaced (U+FFFD), never a cut that merges two of them. */
static void check_reload(const struct profile *p)
{
    struct strbuf sb;
    strbuf_init(&sb);
    if (profile_render(p, &sb) < 0)
        fuzz_fail("profile_render failed");
    json_error_t je;
    json_t *root = json_loadb(sb.data, sb.len, 0, &je);
    if (!root)
        fuzz_fail("rendered profile is not JSON: %d:%d: %s", je.line, je.column, je.text);
    struct profile *back = NULL;
    char err[1024] = "";
    if (profile_from_json(root, "rendered", &back, err, sizeof err) < 0)
        fuzz_fail("rendered profile does not load back: %s", err);
    if (back->nfeatures != p->nfeatures || back->rows != p->rows)
        fuzz_fail("reloaded profile differs in features or rows");
    for (size_t i = 0; i < p->nfeatures; i++)
        if (back->features[i].nsample != p->features[i].nsample ||
            back->features[i].ncats != p->features[i].ncats)
            fuzz_fail("reloaded feature %zu differs", i);
    profile_free(back);
    json_decref(root);
    strbuf_free(&sb);
}

void fuzz_data_file(const char *name, const uint8_t *data, size_t size)
{
    const char *path = fuzz_write_file(name, data, size);
    struct baseline_options bo;
    baseline_options_init(&bo);
    bo.data_path = path;
    bo.sample_size = 64; /* small, so fuzz-sized files reach the reservoir's replacement path */
    struct profile *p = NULL;
    char err[1024] = "";
    if (baseline_build(&bo, &p, err, sizeof err) < 0) {
        if (!err[0] || p)
            fuzz_fail("baseline_build failed without a message or left a profile");
        return;
    }
    check_profile(p);
    check_reload(p);

    /* `check`: the same file read into a window table built for the profile. */
    struct columns *t = columns_new_for_profile(p, NULL);
    if (!t)
        fuzz_fail("columns_new_for_profile failed");
    struct source_stats st;
    err[0] = '\0';
    if (source_read(path, NULL, t, &st, err, sizeof err) < 0)
        fuzz_fail("the file a baseline was built from does not read into its window: %s", err);
    if (st.rows != p->rows)
        fuzz_fail("window read %llu rows, baseline %llu", (unsigned long long)st.rows, (unsigned long long)p->rows);
    for (size_t i = 0; i < t->ncols; i++)
        columns_missing_share(t, (int)i);
    columns_free(t);
    profile_free(p);
}
