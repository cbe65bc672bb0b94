/* Scheduler thread (see scheduler.h). It wakes on the monotonic clock, so a wall-clock jump never
 * stalls it; each schedule's rules for jumps are in schedule_timer.h. */
#include "runtime/scheduler.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/cron.h"
#include "util/log.h"
#include "runtime/schedule_timer.h"

struct schedule_state {
    const struct schedule_config *sc;
    struct model_runtime *model;
    struct cron_expr cron;
    struct schedule_timer timer;
};

struct scheduler {
    struct model_runtime **models;
    size_t n_models;
    struct schedule_state *schedules;
    size_t n_schedules;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int stopping;
};

static int64_t clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *scheduler_main(void *arg)
{
    struct scheduler *s = arg;
    pthread_mutex_lock(&s->lock);
    while (!s->stopping) {
        struct timespec wake;
        clock_gettime(CLOCK_MONOTONIC, &wake);
        wake.tv_sec += 1;
        pthread_cond_timedwait(&s->cond, &s->lock, &wake);
        if (s->stopping)
            break;
        pthread_mutex_unlock(&s->lock);
        int64_t wall = clock_ms(CLOCK_REALTIME), mono = clock_ms(CLOCK_MONOTONIC);
        for (size_t i = 0; i < s->n_models; i++)
            model_tick(s->models[i], mono);
        for (size_t i = 0; i < s->n_schedules; i++) {
            struct schedule_state *st = &s->schedules[i];
            if (!schedule_timer_due(&st->timer, wall, mono))
                continue;
            log_debug("scheduler", "schedule fired for model=%s", st->sc->model);
            model_request_check(st->model, 0);
        }
        pthread_mutex_lock(&s->lock);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

int scheduler_start(const struct config *cfg, struct model_runtime **models, size_t n, struct scheduler **out,
                    char *err, size_t errlen)
{
    *out = NULL;
    struct scheduler *s = calloc(1, sizeof *s);
    if (!s || !(s->schedules = calloc(cfg->n_schedules + 1, sizeof *s->schedules))) {
        free(s);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->models = models;
    s->n_models = n;
    int64_t wall = clock_ms(CLOCK_REALTIME), mono = clock_ms(CLOCK_MONOTONIC);
    for (size_t i = 0; i < cfg->n_schedules; i++) {
        struct schedule_state *st = &s->schedules[s->n_schedules];
        st->sc = &cfg->schedules[i];
        for (size_t j = 0; j < n; j++)
            if (strcmp(model_name(models[j]), st->sc->model) == 0)
                st->model = models[j];
        if (!st->model)
            continue; /* the model failed to start; the agent reported it */
        char why[256];
        if (st->sc->cron && cron_parse(st->sc->cron, &st->cron, why, sizeof why) < 0) {
            snprintf(err, errlen, "%s: schedule for model '%s': %s", cfg->path, st->sc->model, why);
            free(s->schedules);
            free(s);
            return -1;
        }
        schedule_timer_init(&st->timer, st->sc->cron ? &st->cron : NULL, st->sc->every_ms, wall, mono);
        s->n_schedules++;
    }
    pthread_mutex_init(&s->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cond, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&s->thread, NULL, scheduler_main, s) != 0) {
        snprintf(err, errlen, "cannot start the scheduler thread");
        pthread_mutex_destroy(&s->lock);
        pthread_cond_destroy(&s->cond);
        free(s->schedules);
        free(s);
        return -1;
    }
    *out = s;
    return 0;
}

void scheduler_stop(struct scheduler *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    s->stopping = 1;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->thread, NULL);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    free(s->schedules);
    free(s);
}
