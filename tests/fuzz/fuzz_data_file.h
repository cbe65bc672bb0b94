/* The data-file driver shared by fuzz_csv and fuzz_jsonl: what `driftwatch baseline` and
 * `driftwatch check` do with a training or serving file. */
#ifndef DW_FUZZ_DATA_FILE_H
#define DW_FUZZ_DATA_FILE_H

#include <stddef.h>
#include <stdint.h>

/* Writes data to a scratch file called name (its extension picks the reader), builds a baseline
 * from it, renders and reloads that profile, and reads the file again into a window table for
 * the profile. Aborts when an invariant breaks. */
void fuzz_data_file(const char *name, const uint8_t *data, size_t size);

#endif
