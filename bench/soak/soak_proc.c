/* Reads VmRSS/VmHWM, the fd count and CPU time of a process from /proc (see soak_proc.h). */
#include "soak_proc.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int read_status(pid_t pid, struct soak_proc_sample *out)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    out->rss_kb = out->hwm_kb = -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "VmRSS:", 6) == 0)
            sscanf(line + 6, "%ld", &out->rss_kb);
        else if (strncmp(line, "VmHWM:", 6) == 0)
            sscanf(line + 6, "%ld", &out->hwm_kb);
    }
    fclose(f);
    /* A zombie has no VmRSS line: count it as gone. */
    return out->rss_kb < 0 ? -1 : 0;
}

static int count_fds(pid_t pid, long *out)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    long n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    *out = n;
    return 0;
}

static int read_cpu(pid_t pid, double *out)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = '\0';
    /* The command name (field 2) may hold spaces and parentheses: fields are counted after the
     * last ')'. utime and stime are fields 14 and 15, so the 12th and 13th after it. */
    const char *p = strrchr(buf, ')');
    unsigned long ut, st;
    if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    *out = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
    return 0;
}

int soak_proc_read(pid_t pid, struct soak_proc_sample *out)
{
    if (read_status(pid, out) < 0 || count_fds(pid, &out->fds) < 0 || read_cpu(pid, &out->cpu_s) < 0)
        return -1;
    return 0;
}
