/*
 * arena.c - block arena (see include/sluice/arena.h).
 *
 * Blocks form a singly linked list, newest first. A request larger than a
 * quarter of the block size gets a dedicated block so that big values do not
 * waste the tail of the current block.
 */
#include "sluice/arena.h"
#include "sluice/error.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALIGN         16
#define DEFAULT_BLOCK (64 * 1024)

typedef struct block {
	struct block *next;
	size_t size;
	size_t used;
	_Alignas(ALIGN) unsigned char data[];
} block;

struct sl_arena {
	block *head;
	size_t block_size;
	size_t total;
};

static block *block_new(size_t size)
{
	if (size > SIZE_MAX - sizeof(block))
		return NULL;
	block *b = malloc(sizeof(block) + size);
	if (!b)
		return NULL;
	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

sl_arena *sl_arena_new(size_t block_size)
{
	sl_arena *a = calloc(1, sizeof(*a));
	if (!a) {
		sl_error_nomem();
		return NULL;
	}
	a->block_size = block_size ? block_size : DEFAULT_BLOCK;
	return a;
}

void sl_arena_free(sl_arena *a)
{
	if (!a)
		return;
	block *b = a->head;
	while (b) {
		block *n = b->next;
		free(b);
		b = n;
	}
	free(a);
}

void sl_arena_reset(sl_arena *a)
{
	block *keep = NULL;
	block *b = a->head;
	while (b) {
		block *n = b->next;
		if (!keep && b->size == a->block_size) {
			keep = b;
			keep->next = NULL;
		} else {
			free(b);
		}
		b = n;
	}
	if (keep)
		keep->used = 0;
	a->head = keep;
	a->total = 0;
}

void *sl_arena_alloc(sl_arena *a, size_t size)
{
	size_t need = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	if (need < size) {
		sl_error_nomem();
		return NULL;
	}
	if (need == 0)
		need = ALIGN;
	block *b = a->head;
	if (!b || b->size - b->used < need) {
		if (need > a->block_size / 4) {
			block *big = block_new(need);
			if (!big) {
				sl_error_nomem();
				return NULL;
			}
			big->used = need;
			/* keep the current block first so its free tail stays usable */
			if (a->head) {
				big->next = a->head->next;
				a->head->next = big;
			} else {
				a->head = big;
			}
			a->total += need;
			return big->data;
		}
		b = block_new(a->block_size);
		if (!b) {
			sl_error_nomem();
			return NULL;
		}
		b->next = a->head;
		a->head = b;
	}
	void *p = b->data + b->used;
	b->used += need;
	a->total += need;
	return p;
}

void *sl_arena_calloc(sl_arena *a, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size) {
		sl_error_nomem();
		return NULL;
	}
	void *p = sl_arena_alloc(a, n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

void *sl_arena_memdup(sl_arena *a, const void *p, size_t n)
{
	char *d = sl_arena_alloc(a, n + 1);
	if (!d)
		return NULL;
	if (n)
		memcpy(d, p, n);
	d[n] = '\0';
	return d;
}

char *sl_arena_strndup(sl_arena *a, const char *s, size_t n)
{
	return sl_arena_memdup(a, s, n);
}

char *sl_arena_strdup(sl_arena *a, const char *s)
{
	return s ? sl_arena_memdup(a, s, strlen(s)) : NULL;
}

char *sl_arena_printf(sl_arena *a, const char *fmt, ...)
{
	va_list ap, cp;
	va_start(ap, fmt);
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	char *s = n < 0 ? NULL : sl_arena_alloc(a, (size_t)n + 1);
	if (s)
		vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

void *sl_arena_push(sl_arena *a, void *arr_ptr, size_t *n, size_t *cap, size_t elem)
{
	unsigned char **arr = arr_ptr;
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 4;
		unsigned char *na = sl_arena_calloc(a, ncap, elem);
		if (!na)
			return NULL;
		if (*n)
			memcpy(na, *arr, *n * elem);
		*arr = na;
		*cap = ncap;
	}
	unsigned char *e = *arr + *n * elem;
	memset(e, 0, elem);
	(*n)++;
	return e;
}

size_t sl_arena_used(const sl_arena *a)
{
	return a->total;
}
