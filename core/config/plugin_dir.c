/* The default plugin directory (see plugin_dir.h). */
#include "config/plugin_dir.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build_config.h"

const char *plugin_dir_default(void)
{
    static char dir[PATH_MAX + 16];
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            struct stat st;
            snprintf(dir, sizeof dir, "%s/plugins", exe);
            /* Only the build tree has CMakeCache.txt next to the binary. */
            char cache[PATH_MAX + 32];
            snprintf(cache, sizeof cache, "%s/CMakeCache.txt", exe);
            if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && access(cache, F_OK) == 0)
                return dir;
        }
    }
    return DW_PLUGIN_INSTALL_DIR;
}
