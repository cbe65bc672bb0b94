/* Static labels from a `labels: [name=value, ...]` option: parsed once here for every sink that
 * takes them, with the same errors (not name=value, a name twice, whatever the sink vets). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_common.h"

void pu_free_labels(struct pu_label *labels, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(labels[i].name);
        free(labels[i].value);
    }
    free(labels);
}

int pu_parse_labels(const struct dw_list *list, const char *who, pu_label_check_fn check, struct pu_label **out,
                    size_t *n, char *err, size_t errlen)
{
    *out = NULL;
    *n = 0;
    if (list->n == 0)
        return 0;
    struct pu_label *labels = calloc(list->n, sizeof *labels);
    if (!labels) {
        snprintf(err, errlen, "%s: out of memory", who);
        return -1;
    }
    *out = labels; /* filled as far as it got, even on error: the caller frees it with its instance */
    for (size_t i = 0; i < list->n; i++) {
        const char *item = list->items[i] ? list->items[i] : "";
        const char *eq = strchr(item, '=');
        if (!eq || eq == item) {
            snprintf(err, errlen, "%s: labels[%zu] \"%s\" is not name=value", who, i, item);
            return -1;
        }
        char *name = malloc((size_t)(eq - item) + 1);
        char *value = pu_strdup(eq + 1);
        if (!name || !value) {
            free(name);
            free(value);
            snprintf(err, errlen, "%s: out of memory", who);
            return -1;
        }
        memcpy(name, item, (size_t)(eq - item));
        name[eq - item] = '\0';
        labels[*n].name = name;
        labels[*n].value = value;
        (*n)++;
        if (check && check(name, i, who, err, errlen) < 0)
            return -1;
        for (size_t j = 0; j + 1 < *n; j++) {
            if (strcmp(labels[j].name, name) == 0) {
                snprintf(err, errlen, "%s: labels: \"%s\" appears twice", who, name);
                return -1;
            }
        }
    }
    return 0;
}
