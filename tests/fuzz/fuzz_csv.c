/* Fuzz target: CSV data files (core/util/csv.c through source.c and baseline.c), as given to
 * `driftwatch baseline --data` and `driftwatch check --data`. See fuzz_data_file.h. */
#include "fuzz.h"
#include "fuzz_data_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_data_file("data.csv", data, size);
    return 0;
}
