/* Helpers of fuzz.h: copies, the per-process scratch directory for parsers that take a path, and
 * splitting one input into parts. */
#include "fuzz.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char scratch[512];
static char path_buf[1024];

static void remove_scratch(void);

void fuzz_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fuzz invariant broken: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    remove_scratch(); /* abort() skips atexit */
    abort();
}

char *fuzz_strndup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        fuzz_fail("out of memory copying %zu bytes", size);
    if (size)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void remove_scratch(void)
{
    if (scratch[0])
        nftw(scratch, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *fuzz_scratch_dir(void)
{
    if (scratch[0])
        return scratch;
    const char *tmp = getenv("TMPDIR");
    snprintf(scratch, sizeof scratch, "%s/dwfuzz.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(scratch))
        fuzz_fail("mkdtemp %s: %s", scratch, strerror(errno));
    atexit(remove_scratch);
    return scratch;
}

/* mkdir -p of the directories in name (relative to the scratch directory). */
static void make_parents(const char *name)
{
    char dir[1024];
    for (const char *p = strchr(name, '/'); p; p = strchr(p + 1, '/')) {
        snprintf(dir, sizeof dir, "%s/%.*s", fuzz_scratch_dir(), (int)(p - name), name);
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
            fuzz_fail("mkdir %s: %s", dir, strerror(errno));
    }
}

const char *fuzz_write_file(const char *name, const uint8_t *data, size_t size)
{
    make_parents(name);
    snprintf(path_buf, sizeof path_buf, "%s/%s", fuzz_scratch_dir(), name);
    int fd = open(path_buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        fuzz_fail("open %s: %s", path_buf, strerror(errno));
    size_t off = 0;
    while (off < size) {
        ssize_t n = write(fd, data + off, size - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            fuzz_fail("write %s: %s", path_buf, strerror(errno));
        off += (size_t)n;
    }
    if (close(fd) < 0)
        fuzz_fail("close %s: %s", path_buf, strerror(errno));
    return path_buf;
}

void fuzz_remove_file(const char *name)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", fuzz_scratch_dir(), name);
    unlink(p);
}

size_t fuzz_split(const uint8_t *data, size_t size, struct fuzz_part *parts, size_t max)
{
    static const char sep[] = FUZZ_SEPARATOR;
    const size_t seplen = sizeof sep - 1;
    size_t n = 0, start = 0, i = 0;
    if (max == 0)
        return 0;
    while (n + 1 < max && i + seplen <= size) {
        if (memcmp(data + i, sep, seplen) == 0) {
            parts[n++] = (struct fuzz_part){data + start, i - start};
            i += seplen;
            start = i;
        } else {
            i++;
        }
    }
    parts[n++] = (struct fuzz_part){data + start, size - start};
    return n;
}
