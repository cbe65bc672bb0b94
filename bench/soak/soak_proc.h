/* What the soak bench watches in the agent process: resident memory, open file descriptors and
 * CPU time, read from /proc/PID. */
#ifndef DW_SOAK_PROC_H
#define DW_SOAK_PROC_H

#include <sys/types.h>

struct soak_proc_sample {
    long rss_kb;      /* VmRSS */
    long hwm_kb;      /* VmHWM, the peak RSS so far */
    long fds;         /* entries in /proc/PID/fd */
    double cpu_s;     /* utime + stime */
};

/* Fills *out for pid; returns 0, or -1 when the process is gone or /proc cannot be read. */
int soak_proc_read(pid_t pid, struct soak_proc_sample *out);

#endif
