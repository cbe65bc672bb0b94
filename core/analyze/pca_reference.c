/* A baseline's PCA fit kept for its later checks (see pca_reference.h). */
#include "analyze/pca_reference.h"

#include <pthread.h>
#include <stdlib.h>

struct pca_reference {
    pthread_mutex_t lock;
    pthread_cond_t done; /* a fit finished (or failed) */
    int state;           /* 0 none, 1 being fitted (by one caller, outside the lock), 2 ready */
    struct pca_model model;
    double lower, upper;
};

static unsigned long fits_total;

struct pca_reference *pca_reference_new(void)
{
    struct pca_reference *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->done, NULL);
    return r;
}

void pca_reference_free(struct pca_reference *r)
{
    if (!r)
        return;
    pca_clear(&r->model);
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->done);
    free(r);
}

int pca_reference_get(struct pca_reference *r, const double *zs, size_t ns, size_t nf, const struct pca_model **fit,
                      double *lower, double *upper)
{
    pthread_mutex_lock(&r->lock);
    while (r->state == 1)
        pthread_cond_wait(&r->done, &r->lock);
    if (r->state == 0) {
        r->state = 1;
        pthread_mutex_unlock(&r->lock);
        /* the fit runs unlocked; the state keeps other callers waiting and off the model */
        struct pca_model m = {0};
        double lo = 0, hi = 0;
        int rc = pca_fit(zs, ns, nf, PCA_VARIANCE_RATIO, &m);
        if (rc == 0)
            pca_thresholds(&m, zs, ns, PCA_CHUNKS, &lo, &hi);
        pthread_mutex_lock(&r->lock);
        if (rc == 0) {
            r->model = m;
            r->lower = lo;
            r->upper = hi;
            __atomic_fetch_add(&fits_total, 1, __ATOMIC_RELAXED);
        } else {
            pca_clear(&m);
        }
        r->state = rc == 0 ? 2 : 0;
        pthread_cond_broadcast(&r->done);
    }
    int ready = r->state == 2;
    pthread_mutex_unlock(&r->lock);
    if (!ready)
        return -1;
    /* once ready the model never changes until the reference is freed: read it unlocked */
    *fit = &r->model;
    *lower = r->lower;
    *upper = r->upper;
    return 0;
}

unsigned long pca_reference_fits(void)
{
    return __atomic_load_n(&fits_total, __ATOMIC_RELAXED);
}
