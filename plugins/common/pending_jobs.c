/* The pending-jobs store of every trainer that polls (vertex, kfp): the jobs it started and has not
 * seen finish, in <state_dir>/<plugin>-<instance>.jobs.json, so a restart polls them again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plugin_common.h"

struct pu_pending_jobs {
    char *path;     /* NULL: no state directory, the store lives in memory only */
    json_t *jobs;   /* array of objects, each with a string "name" */
};

/* The file-name part of an instance name: pu_slug keeping '_' ("default" when nothing is left), the
 * rule the vertex plugin has always used, so existing state directories keep their file names. */
static void file_part(const char *s, char *out, size_t outlen)
{
    pu_slug(s, 1, out, outlen);
    if (!out[0])
        snprintf(out, outlen, "default");
}

static json_t *find(const struct pu_pending_jobs *s, const char *name, size_t *index)
{
    size_t i;
    json_t *job;
    json_array_foreach(s->jobs, i, job) {
        const char *n = json_string_value(json_object_get(job, "name"));
        if (n && strcmp(n, name) == 0) {
            if (index)
                *index = i;
            return job;
        }
    }
    return NULL;
}

/* Writes the whole list: temp file, fsync, rename over the old one, fsync of the directory, so a
 * crash leaves either the old list or the new one, never a torn file. */
static int save(struct pu_pending_jobs *s, char *err, size_t errlen)
{
    if (!s->path)
        return 0;
    char *text = json_dumps(s->jobs, JSON_COMPACT);
    if (!text) {
        snprintf(err, errlen, "cannot write %s: out of memory", s->path);
        return -1;
    }
    int ret = pu_write_file_atomic(s->path, text, strlen(text), err, errlen);
    free(text);
    return ret;
}

int pu_pending_jobs_open(const char *state_dir, const char *plugin, const char *instance,
                         struct pu_pending_jobs **out, char *err, size_t errlen)
{
    *out = NULL;
    struct pu_pending_jobs *s = calloc(1, sizeof *s);
    char part[128];
    file_part(instance ? instance : "", part, sizeof part);
    if (!s || !(s->jobs = json_array()) ||
        (state_dir && *state_dir && !(s->path = pu_strf("%s/%s-%s.jobs.json", state_dir, plugin, part)))) {
        pu_pending_jobs_free(s);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    *out = s;
    if (!s->path || access(s->path, F_OK) != 0)
        return 0;
    json_error_t jerr;
    json_t *arr = json_load_file(s->path, 0, &jerr);
    if (!json_is_array(arr)) {
        snprintf(err, errlen, "%s:%d:%d: %s: the jobs it lists are not polled (fix or remove the file)", s->path,
                 jerr.line, jerr.column, arr ? "not a JSON array" : jerr.text);
        json_decref(arr);
        return 1;
    }
    size_t i;
    json_t *job;
    json_array_foreach(arr, i, job) {
        const char *name = json_string_value(json_object_get(job, "name"));
        if (json_is_object(job) && name && *name && !find(s, name, NULL))
            json_array_append(s->jobs, job);
    }
    json_decref(arr);
    return 0;
}

const char *pu_pending_jobs_path(const struct pu_pending_jobs *s)
{
    return s ? s->path : NULL;
}

json_t *pu_pending_jobs_list(const struct pu_pending_jobs *s)
{
    return s ? s->jobs : NULL;
}

int pu_pending_jobs_put(struct pu_pending_jobs *s, json_t *job, char *err, size_t errlen)
{
    const char *name = json_string_value(json_object_get(job, "name"));
    if (!name || !*name) {
        snprintf(err, errlen, "a pending job needs a name");
        return -1;
    }
    size_t i;
    json_t *old = find(s, name, &i);
    if (old && json_equal(old, job))
        return 0;
    json_t *copy = json_deep_copy(job);
    if (!copy || (old ? json_array_set_new(s->jobs, i, copy) : json_array_append_new(s->jobs, copy)) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return save(s, err, errlen);
}

int pu_pending_jobs_remove(struct pu_pending_jobs *s, const char *name, char *err, size_t errlen)
{
    size_t i;
    if (!s || !find(s, name, &i))
        return 0;
    json_array_remove(s->jobs, i);
    return save(s, err, errlen);
}

void pu_pending_jobs_free(struct pu_pending_jobs *s)
{
    if (!s)
        return;
    json_decref(s->jobs);
    free(s->path);
    free(s);
}
