/* Helpers for the data-layer tests: temporary files with given contents. */
#ifndef DW_TESTS_DATA_TESTUTIL_H
#define DW_TESTS_DATA_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Writes len bytes to a new temporary file whose name ends in suffix; returns the malloc'd path. */
static inline char *tu_write_temp(const char *suffix, const char *data, size_t len)
{
    char *path = malloc(256);
    snprintf(path, 256, "/tmp/dw_data_test_XXXXXX%s", suffix);
    int fd = mkstemps(path, (int)strlen(suffix));
    if (fd < 0) {
        perror("mkstemps");
        abort();
    }
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w <= 0) {
            perror("write");
            abort();
        }
        off += (size_t)w;
    }
    close(fd);
    return path;
}

static inline char *tu_temp(const char *suffix, const char *text)
{
    return tu_write_temp(suffix, text, strlen(text));
}

static inline void tu_remove(char *path)
{
    unlink(path);
    free(path);
}

#endif
