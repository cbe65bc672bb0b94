/* Fuzz target: JSON Lines data files and JSON arrays of sample objects (core/data/source.c,
 * columns.c), as given to `driftwatch baseline --data` and `driftwatch check --data`. See
 * fuzz_data_file.h. */
#include "fuzz.h"
#include "fuzz_data_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_data_file("data.jsonl", data, size);
    return 0;
}
