/* Fuzz target for the data readers, the profile loader and the renderers: one input is read as a
 * CSV file, a JSON Lines file and a baseline profile, and every path that accepts it runs to the
 * end (baseline, check against a fixed baseline, all formats, the HTML report). Built with
 * -DDW_FUZZING and libFuzzer it fuzzes; otherwise main() replays the files named on the command
 * line, or tests/fixtures/data/fuzz/ and the other data fixtures, as a regression test. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze/baseline.h"
#include "data/profile.h"
#include "data/source.h"
#include "analyze/analyze.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct profile *fixed; /* baseline of tests/fixtures/data/small_train.csv */

static char *temp_with(const char *suffix, const uint8_t *data, size_t size)
{
    char *path = malloc(128);
    snprintf(path, 128, "/tmp/dw_fuzz_XXXXXX%s", suffix);
    int fd = mkstemps(path, (int)strlen(suffix));
    if (fd < 0) {
        free(path);
        return NULL;
    }
    size_t off = 0;
    while (off < size) {
        ssize_t w = write(fd, data + off, size - off);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    close(fd);
    return path;
}

static void render_everything(const struct profile *p, const struct columns *w, const struct verdict *v)
{
    struct strbuf sb;
    strbuf_init(&sb);
    for (int f = VERDICT_TEXT; f <= VERDICT_PROM; f++)
        verdict_render(v, (enum verdict_format)f, &sb);
    report_render_html(p, w, v, &sb);
    json_decref(verdict_to_json(v));
    strbuf_free(&sb);
}

static void as_data_file(const char *path)
{
    char err[1024];
    struct source_schema *s = NULL;
    if (source_infer(path, NULL, &s, err, sizeof err) == 0)
        source_schema_free(s);
    struct baseline_options bo;
    baseline_options_init(&bo);
    bo.data_path = path;
    bo.sample_size = 50;
    struct profile *p = NULL;
    if (baseline_build(&bo, &p, err, sizeof err) == 0) {
        struct strbuf sb;
        strbuf_init(&sb);
        profile_render(p, &sb);
        json_error_t je;
        json_t *j = sb.data ? json_loads(sb.data, 0, &je) : NULL;
        struct profile *q = NULL;
        if (j && profile_from_json(j, "fuzz", &q, err, sizeof err) == 0)
            profile_free(q);
        json_decref(j);
        strbuf_free(&sb);
        profile_free(p);
    }
    if (!fixed)
        return;
    struct analyze_options ao;
    analyze_options_init(&ao);
    analyze_options_set_methods(&ao, "all", err, sizeof err);
    struct check_request req = {.profile = fixed, .data_path = path, .analyze = &ao};
    struct verdict *v = NULL;
    struct columns *w = NULL;
    if (check_run(&req, &v, &w, NULL, err, sizeof err) == 0) {
        render_everything(fixed, w, v);
        verdict_free(v);
        columns_free(w);
    }
}

static void as_profile(const char *path)
{
    char err[1024];
    struct profile *p = NULL;
    if (profile_load(path, &p, err, sizeof err) < 0)
        return;
    /* analyze the fixed baseline's own training file against it */
    struct check_request req = {.profile = p, .data_path = DW_TEST_SOURCE_DIR "/tests/fixtures/data/small_same.csv"};
    struct verdict *v = NULL;
    struct columns *w = NULL;
    if (check_run(&req, &v, &w, NULL, err, sizeof err) == 0) {
        render_everything(p, w, v);
        verdict_free(v);
        columns_free(w);
    }
    profile_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!fixed) {
        struct baseline_options bo;
        baseline_options_init(&bo);
        bo.data_path = DW_TEST_SOURCE_DIR "/tests/fixtures/data/small_train.csv";
        char err[512];
        if (baseline_build(&bo, &fixed, err, sizeof err) < 0)
            fixed = NULL;
    }
    static const char *const suffixes[] = {".csv", ".jsonl", ".json"};
    for (int i = 0; i < 3; i++) {
        char *path = temp_with(suffixes[i], data, size);
        if (!path)
            continue;
        if (i < 2)
            as_data_file(path);
        else
            as_profile(path);
        unlink(path);
        free(path);
    }
    return 0;
}

#ifndef DW_FUZZING
static int replay(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    uint8_t *buf = malloc(1 << 22);
    size_t n = buf ? fread(buf, 1, 1 << 22, f) : 0;
    fclose(f);
    if (!buf)
        return -1;
    LLVMFuzzerTestOneInput(buf, n);
    free(buf);
    printf("replayed %s (%zu bytes)\n", path, n);
    return 0;
}

static int replay_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int count = 0;
    struct dirent *e;
    for (;;) {
        e = readdir(d);
        if (!e)
            break;
        if (e->d_name[0] == '.' || e->d_type == DT_DIR || strstr(e->d_name, ".py"))
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (replay(path) == 0)
            count++;
    }
    closedir(d);
    return count;
}

int main(int argc, char **argv)
{
    int count = 0;
    for (int i = 1; i < argc; i++)
        count += replay(argv[i]) == 0;
    if (argc == 1) {
        count += replay_dir(DW_TEST_SOURCE_DIR "/tests/fixtures/data/fuzz");
        count += replay_dir(DW_TEST_SOURCE_DIR "/tests/fixtures/data");
    }
    profile_free(fixed);
    printf("%d inputs replayed\n", count);
    return count > 0 ? 0 : 1;
}
#endif
