/* Copies of structs that cross the plugin ABI (ABI 2's size rule, plugin.h): in, the writer's
 * size bytes into a zeroed struct of the core's size, refused when shorter than the core needs;
 * out, the core's struct into the plugin's no further than the plugin's struct reaches. */
#ifndef DW_ABI_COPY_H
#define DW_ABI_COPY_H

#include <stdint.h>
#include <string.h>

/* ABI 2's first release has every field it declares: a struct shorter than that is a plugin bug. */
static inline int abi_copy_in(void *dst, size_t dst_size, const void *src, size_t min_size)
{
    memset(dst, 0, dst_size);
    if (!src)
        return -1;
    uint32_t size;
    memcpy(&size, src, sizeof size);
    if (size < min_size)
        return -1;
    memcpy(dst, src, size < dst_size ? size : dst_size);
    ((uint32_t *)dst)[0] = (uint32_t)dst_size;
    return 0;
}

static inline void abi_copy_out(void *dst, const void *src, size_t src_size)
{
    uint32_t size;
    memcpy(&size, dst, sizeof size);
    size_t n = size < src_size ? size : src_size;
    if (n > sizeof size)
        memcpy((char *)dst + sizeof size, (const char *)src + sizeof size, n - sizeof size);
}

#define ABI_COPY_IN(dst, src) abi_copy_in((dst), sizeof *(dst), (src), sizeof *(dst))
#define ABI_COPY_OUT(dst, src) abi_copy_out((dst), (src), sizeof *(src))

#endif
