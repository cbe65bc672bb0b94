/* Test fixture: a plugin built for another plugin ABI; the loader must refuse it before use. */
#include "driftwatch/plugin.h"

DW_EXPORT const struct dw_plugin driftwatch_plugin = {
    .abi = 99,
    .size = sizeof(struct dw_plugin),
    .name = "wrongabi",
    .kind = DW_KIND_ALERT,
};
