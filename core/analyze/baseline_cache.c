/* Shared baseline profiles (see baseline_cache.h). A short list: an agent has at most a few hundred
 * models and usually far fewer distinct baseline files. The lock is held while a file loads, so two
 * models starting at once with the same file still load it once. */
#include "analyze/baseline_cache.h"

#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct cached_baseline {
    struct cached_baseline *next;
    char *real_path;
    struct stat st;      /* when it was loaded: the identity of the file's contents */
    int shared;          /* 0: the file changed while it loaded, so no later get may match it */
    size_t refs;
    struct profile *profile;
    struct pca_reference *pca; /* the profile's PCA fit, once a check of it asked */
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cached_baseline *cache;

static int same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

const struct profile *baseline_cache_get(const char *path, int *loaded, char *err, size_t errlen)
{
    *loaded = 0;
    char real[PATH_MAX];
    struct stat before;
    if (!realpath(path, real) || stat(real, &before) < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    pthread_mutex_lock(&cache_lock);
    struct cached_baseline *e = cache;
    while (e && !(e->shared && strcmp(e->real_path, real) == 0 && same_file(&e->st, &before)))
        e = e->next;
    if (e) {
        e->refs++;
        pthread_mutex_unlock(&cache_lock);
        return e->profile;
    }
    struct profile *p = NULL;
    e = calloc(1, sizeof *e);
    if (!e || !(e->real_path = strdup(real)) || !(e->pca = pca_reference_new())) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (profile_load(path, &p, err, errlen) < 0)
        goto fail;
    struct stat after;
    e->st = before;
    e->shared = stat(real, &after) == 0 && same_file(&before, &after);
    e->refs = 1;
    e->profile = p;
    e->next = cache;
    cache = e;
    pthread_mutex_unlock(&cache_lock);
    /* Loading frees the file's text and the rows parsed on the way (hundreds of MB for a wide
     * baseline) among the profile's arrays: hand the freed pages back. */
    malloc_trim(0);
    *loaded = 1;
    return p;
fail:
    pthread_mutex_unlock(&cache_lock);
    if (e) {
        free(e->real_path);
        pca_reference_free(e->pca);
    }
    free(e);
    return NULL;
}

struct pca_reference *baseline_cache_pca(const struct profile *p)
{
    struct pca_reference *pca = NULL;
    pthread_mutex_lock(&cache_lock);
    for (struct cached_baseline *e = cache; e && !pca; e = e->next)
        if (e->profile == p)
            pca = e->pca;
    pthread_mutex_unlock(&cache_lock);
    return pca;
}

void baseline_cache_put(const struct profile *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&cache_lock);
    for (struct cached_baseline **link = &cache; *link; link = &(*link)->next) {
        struct cached_baseline *e = *link;
        if (e->profile != p)
            continue;
        if (--e->refs == 0) {
            *link = e->next;
            profile_free(e->profile);
            pca_reference_free(e->pca);
            free(e->real_path);
            free(e);
        }
        break;
    }
    pthread_mutex_unlock(&cache_lock);
}
