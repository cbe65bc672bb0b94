/* A YAML document as a tree of scalars, sequences and mappings that remembers where each node
 * starts (line:col, 1-based), so config errors can point at the file position. */
#ifndef DW_YAML_TREE_H
#define DW_YAML_TREE_H

#include <stddef.h>

enum ynode_type { YNODE_SCALAR, YNODE_SEQUENCE, YNODE_MAPPING };

struct ynode {
    enum ynode_type type;
    char *value;          /* scalar text */
    int plain;            /* scalar was unquoted (so `null`, `true` etc. are keywords) */
    size_t line, col;
    struct ynode **items; /* sequence: n items; mapping: n keys at [2i], values at [2i+1] */
    size_t n;
};

/* Parses the first document of a file. Errors ("file:line:col: message") go to err.
 * Anchors/aliases and duplicate mapping keys are rejected. An empty file gives an empty mapping. */
int yaml_tree_load_file(const char *path, struct ynode **out, char *err, size_t errlen);
int yaml_tree_load_string(const char *text, size_t len, const char *name, struct ynode **out, char *err,
                          size_t errlen);
void yaml_tree_free(struct ynode *n);

/* Mapping lookup: the value node for key, or NULL. */
const struct ynode *ynode_get(const struct ynode *map, const char *key);
size_t ynode_map_size(const struct ynode *map);
const struct ynode *ynode_key(const struct ynode *map, size_t i);
const struct ynode *ynode_value(const struct ynode *map, size_t i);
/* The first key of map that is not in allowed (NULL-terminated), or NULL when every key is. */
const struct ynode *ynode_unknown_key(const struct ynode *map, const char *const *allowed);
const char *ynode_type_name(const struct ynode *n);

#endif
