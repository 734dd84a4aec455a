/*
 * arena.h - a block arena: many small allocations freed at once.
 *
 * Row batches and schema models keep their strings and arrays here, so the
 * hot path makes no malloc per value. Memory from an arena is valid until
 * sl_arena_reset() or sl_arena_free(); nothing in it is freed one by one.
 * Allocations are 16-byte aligned. Large requests get a block of their own.
 */
#ifndef SLUICE_ARENA_H
#define SLUICE_ARENA_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sl_arena sl_arena;

/* block_size 0 picks the default (64 KiB). Returns NULL when out of memory. */
sl_arena *sl_arena_new(size_t block_size);
void sl_arena_free(sl_arena *a);
/* Forgets every allocation but keeps the first block for reuse. */
void sl_arena_reset(sl_arena *a);

/* NULL (with the error set) when out of memory. Memory is not zeroed. */
void *sl_arena_alloc(sl_arena *a, size_t size);
void *sl_arena_calloc(sl_arena *a, size_t n, size_t size);
/* Copies; the result is NUL-terminated. strdup(NULL) returns NULL without error. */
char *sl_arena_strdup(sl_arena *a, const char *s);
char *sl_arena_strndup(sl_arena *a, const char *s, size_t n);
void *sl_arena_memdup(sl_arena *a, const void *p, size_t n);
char *sl_arena_printf(sl_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Appends one zeroed element to an arena-held array *arr of *n elements with
 * room for *cap, doubling into fresh arena memory when full (the old copy is
 * abandoned in the arena). Returns the new element or NULL when out of memory.
 */
void *sl_arena_push(sl_arena *a, void *arr_ptr, size_t *n, size_t *cap, size_t elem);

/* Bytes handed out so far (for memory accounting and tests). */
size_t sl_arena_used(const sl_arena *a);

#ifdef __cplusplus
}
#endif
#endif
