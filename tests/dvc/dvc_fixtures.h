/* Fixtures for the dvc plugin tests: scratch directories, files with exact bytes, copies of the
 * committed projects under tests/dvc/projects. */
#ifndef DVC_FIXTURES_H
#define DVC_FIXTURES_H

#include <stddef.h>

#define DVC_PROJECTS DW_TEST_SOURCE_DIR "/tests/dvc/projects"

/* A new empty directory under $TMPDIR (or /tmp); malloc'd path. Fails the test on error. */
char *fx_tempdir(void);
/* Writes len bytes to dir/rel, creating parent directories. */
void fx_write(const char *dir, const char *rel, const void *data, size_t len);
/* Writes a NUL-terminated string to dir/rel. */
void fx_write_str(const char *dir, const char *rel, const char *text);
/* Copies a committed project (e.g. "basic") into a new temp dir; malloc'd path of the copy. */
char *fx_copy_project(const char *name);
/* Removes a directory tree and frees the path. */
void fx_remove(char *dir);
/* dir/rel as a malloc'd string. */
char *fx_path(const char *dir, const char *rel);

#endif
