/* The baseline profile of docs/data-formats.md (`driftwatch_profile: 2`): per feature the counts,
 * moments and sorted sample (numeric) or category counts (categorical), and a row sample of the
 * numeric features for the multivariate methods. Built from a column table, written as JSON,
 * loaded back (version 1 too: no row sample then) with validation that names the JSON path. */
#ifndef DW_DATA_PROFILE_H
#define DW_DATA_PROFILE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "data/columns.h"
#include "data/quality_profile.h"
#include "util/strbuf.h"

#define PROFILE_VERSION 2
#define PROFILE_DEFAULT_ROW_SAMPLE 5000
#define PROFILE_DEFAULT_SAMPLE_SIZE 10000
#define PROFILE_DEFAULT_BINS 10
#define PROFILE_DEFAULT_SEED 42

struct profile_category {
    char *value;
    uint64_t count;
};

struct profile_feature {
    char *name;
    enum col_type type;
    enum col_role role;
    uint64_t count;   /* non-missing values */
    uint64_t missing; /* missing or unusable values */
    /* numeric; NAN when count == 0. std is the population std (ddof = 0). */
    double mean, std, min, max;
    double *sample; /* sorted ascending, finite */
    size_t nsample;
    /* categorical, by descending count */
    struct profile_category *cats;
    size_t ncats;
    uint64_t cats_overflow; /* values of categories beyond the kept ones */
};

/* docs/statistics.md's row sample: whole rows of the numeric features (role feature), file order. */
struct profile_rows {
    size_t nfeatures;
    char **names;     /* feature names, profile order */
    size_t *feature;  /* their indexes in profile.features */
    size_t nrows;
    double *values;   /* nrows x nfeatures, row-major; NAN = missing */
};

struct profile {
    int version;      /* as loaded (1 or 2); built profiles are PROFILE_VERSION */
    char *created_at;
    json_t *source;      /* {"path", "format", "rows", "bad_rows", "bytes", "md5", "data_version"} (owned) */
    uint64_t rows;
    size_t sample_size;
    int bins;
    uint64_t seed;
    struct profile_feature *features;
    size_t nfeatures;
    size_t row_sample_size; /* --row-sample (0: none kept) */
    int has_rows;           /* a row_sample was built or loaded (version 2) */
    struct profile_rows rows_sample;
    struct quality_profile *quality; /* the model's performance and bias (docs/data-formats.md), or NULL */
};

/* What profile_from_columns records about the data and how it was sampled. */
struct profile_source {
    const char *path;
    const char *format;    /* "csv" | "jsonl" */
    uint64_t rows, bad_rows, bytes;
    const char *md5;       /* 32 hex digits or NULL */
    json_t *data_version;  /* borrowed; NULL: JSON null */
    size_t sample_size;
    int bins;
    uint64_t seed;
    size_t row_sample;     /* rows kept (the table's opt.row_sample); 0: no row sample */
};

/* Profile of every column of t, in t's order; samples are copied and sorted; the rows t kept
 * (opt.row_sample) become the row sample, restricted to the numeric features. */
int profile_from_columns(const struct columns *t, const struct profile_source *src, struct profile **out,
                         char *err, size_t errlen);

/* Sets source.data_version (e.g. from the versioning plugin: DVC md5 and git commit). Takes its own
 * reference; NULL sets JSON null. Returns 0 or -1 (memory). */
int profile_set_data_version(struct profile *p, json_t *data_version);

/* JSON text of the profile (pretty, one feature per block, samples on one line). */
int profile_render(const struct profile *p, struct strbuf *out);
/* Renders and writes atomically (temp file + rename). */
int profile_write(const struct profile *p, const char *path, char *err, size_t errlen);

/* Loads and validates a profile file. Errors name the file and a JSON path
 * ("B.json: features[2].sample[5]: not a finite number") or file:line:col for bad JSON. */
int profile_load(const char *path, struct profile **out, char *err, size_t errlen);
/* The same from a parsed document; name labels the errors. */
int profile_from_json(const json_t *root, const char *name, struct profile **out, char *err, size_t errlen);

void profile_free(struct profile *p);

/* Index of the feature called name, or -1. */
int profile_find(const struct profile *p, const char *name);

/* A window table for p: one column per profile feature with its type and role, every value (and,
 * when p has a row sample, every whole row) kept (opt NULL) or as opt says. Sample objects' prediction/label go to the prediction/target features. */
struct columns *columns_new_for_profile(const struct profile *p, const struct columns_options *opt);

/* "2026-01-02T03:04:05Z" for now (or $SOURCE_DATE_EPOCH when set, for reproducible files). */
void profile_timestamp(char *buf, size_t len);

const char *col_type_name(enum col_type t);
const char *col_role_name(enum col_role r);

#endif
