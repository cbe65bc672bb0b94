/* Writing output files so that readers never see half a file: write a temporary file next to
 * the target, fsync, rename over it (what the node_exporter textfile collector requires). */
#ifndef DW_DATA_OUTFILE_H
#define DW_DATA_OUTFILE_H

#include <stddef.h>

/* Writes data to path atomically; path "-" writes to stdout. Returns 0, or -1 with err. */
int outfile_write(const char *path, const char *data, size_t len, char *err, size_t errlen);

#endif
