/* Time for plugin threads: a monotonic clock in milliseconds and a sleep that a stopping instance
 * cuts short (retry back-offs, pollers). */
#include <errno.h>
#include <sys/random.h>
#include <time.h>

#include "plugin_common.h"

int64_t pu_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void pu_cond_init_monotonic(pthread_cond_t *cond)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(cond, &attr);
    pthread_condattr_destroy(&attr);
}

/* The CLOCK_MONOTONIC time ms from now (negative: now), for pthread_cond_timedwait. */
static struct timespec monotonic_after(int64_t ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    if (ms < 0)
        ms = 0;
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    return until;
}

void pu_cond_wait_ms(pthread_cond_t *cond, pthread_mutex_t *lock, int64_t ms)
{
    struct timespec until = monotonic_after(ms);
    pthread_cond_timedwait(cond, lock, &until);
}

int pu_sleep(pthread_mutex_t *lock, pthread_cond_t *cond, const int *stopping, int64_t ms)
{
    struct timespec until = monotonic_after(ms);
    pthread_mutex_lock(lock);
    while (!*stopping && pthread_cond_timedwait(cond, lock, &until) != ETIMEDOUT)
        ;
    int stopped = *stopping;
    pthread_mutex_unlock(lock);
    return stopped;
}

int64_t pu_random_upto(int64_t max)
{
    uint64_t r = 0;
    if (max <= 0)
        return 0;
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
        r = (uint64_t)pu_now_ms() * 6364136223846793005ULL + 1442695040888963407ULL;
    return (int64_t)(r % ((uint64_t)max + 1));
}
