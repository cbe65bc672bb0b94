/* Scheduler thread (see scheduler.h). Next fire times are computed from the wall clock each time,
 * so a clock jump forward fires a missed schedule once (not once per missed slot) and a jump back
 * waits for the next slot. */
#include "scheduler.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cron.h"
#include "log.h"

struct schedule_state {
    const struct schedule_config *sc;
    struct model_runtime *model;
    struct cron_expr cron;
    time_t next;
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

static time_t next_fire(struct schedule_state *st, time_t now)
{
    if (st->sc->every_ms > 0)
        return now + (time_t)(st->sc->every_ms / 1000 > 0 ? st->sc->every_ms / 1000 : 1);
    time_t next;
    if (cron_next(&st->cron, now, 1, &next) < 0)
        return (time_t)-1;
    return next;
}

static void *scheduler_main(void *arg)
{
    struct scheduler *s = arg;
    pthread_mutex_lock(&s->lock);
    while (!s->stopping) {
        struct timespec wake;
        clock_gettime(CLOCK_REALTIME, &wake);
        wake.tv_sec += 1;
        pthread_cond_timedwait(&s->cond, &s->lock, &wake);
        if (s->stopping)
            break;
        pthread_mutex_unlock(&s->lock);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
        for (size_t i = 0; i < s->n_models; i++)
            model_tick(s->models[i], now_ms);
        for (size_t i = 0; i < s->n_schedules; i++) {
            struct schedule_state *st = &s->schedules[i];
            if (st->next == (time_t)-1 || ts.tv_sec < st->next)
                continue;
            log_debug("scheduler", "schedule fired for model=%s", st->sc->model);
            model_request_check(st->model, 0);
            st->next = next_fire(st, ts.tv_sec);
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
    time_t now = time(NULL);
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
        st->next = next_fire(st, now);
        s->n_schedules++;
    }
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
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
