/* Where plugins are loaded from when the config names no directory: a leaf module, so config can
 * fill in the default at load without depending on the loader or the agent. */
#ifndef DW_PLUGIN_DIR_H
#define DW_PLUGIN_DIR_H

/* The build tree's plugins/ next to the binary when it runs from a build tree, else the install
 * directory (<prefix>/lib/driftwatch/plugins). The string is static. */
const char *plugin_dir_default(void);

#endif
