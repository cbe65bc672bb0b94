/* Shared by the fuzz targets: the libFuzzer entry points and small helpers that turn one fuzz input
 * into what a parser takes (a NUL-terminated string, a file with a given name, several parts). */
#ifndef DW_FUZZ_H
#define DW_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* Each target defines this; libFuzzer or replay_main.c calls it once per input. Returns 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional one-time setup (environment, time zone): defined by the targets that need it. */
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A NUL-terminated copy of data (malloc'd); aborts when out of memory (a fuzz target may). */
char *fuzz_strndup(const uint8_t *data, size_t size);

/* Writes data to `name` in this process's scratch directory (created on first use under $TMPDIR or
 * /tmp, removed at exit) and returns the file's path (static storage, valid until the
 * next call). name may contain '/': the directories are created. Aborts on I/O errors. */
const char *fuzz_write_file(const char *name, const uint8_t *data, size_t size);
/* Removes a file written by fuzz_write_file (no error when it is absent). */
void fuzz_remove_file(const char *name);
/* The scratch directory itself (created on first use). */
const char *fuzz_scratch_dir(void);

/* Splits data at each occurrence of the line FUZZ_SEPARATOR ("\n====\n"), keeping empty parts.
 * Fills at most max parts (the last part holds the rest) and returns how many were filled. */
#define FUZZ_SEPARATOR "\n====\n"
struct fuzz_part {
    const uint8_t *data;
    size_t size;
};
size_t fuzz_split(const uint8_t *data, size_t size, struct fuzz_part *parts, size_t max);

/* Aborts with a message on stderr: a broken invariant is a finding, as a crash would be. */
void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
