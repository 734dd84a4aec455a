/*
 * strmap.h - a hash map from byte strings to pointers, for sets and lookup
 * tables built once and then read (masking maps, subset key sets, the leak
 * scan's needles).
 *
 * Keys are copied into the map's arena; values are the caller's pointers
 * (often into the same arena: sl_strmap_arena()). Reading from several
 * threads at once is safe when nobody writes. Not for the hot path of a
 * single lookup per value of a billion rows: each lookup hashes the key once
 * (XXH3) and probes linearly.
 */
#ifndef SLUICE_STRMAP_H
#define SLUICE_STRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/arena.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sl_strmap sl_strmap;

int sl_strmap_new(sl_strmap **out);
void sl_strmap_free(sl_strmap *m);

/*
 * The value slot of key, inserting the key (value NULL) when absent; *created
 * (may be NULL) tells which. NULL when out of memory (error set). The slot
 * stays valid until the next insertion.
 */
void **sl_strmap_slot(sl_strmap *m, const void *key, size_t len, bool *created);
/* True when key is present; *val (may be NULL) receives its value. */
bool sl_strmap_find(const sl_strmap *m, const void *key, size_t len, void **val);
size_t sl_strmap_count(const sl_strmap *m);
/* Borrowed: the map's arena, for values that live as long as the map. */
sl_arena *sl_strmap_arena(sl_strmap *m);

/* Iteration in no particular order: start *it at 0; false at the end. */
bool sl_strmap_next(const sl_strmap *m, size_t *it, const char **key, size_t *len, void **val);

#ifdef __cplusplus
}
#endif
#endif
