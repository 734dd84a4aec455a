/*
 * strmap.c - open-addressing hash map from byte strings to pointers (see
 * include/sluice/strmap.h). The table holds at most 50% entries and doubles
 * when it would hold more; keys live in the map's arena, NUL-terminated for
 * convenience (they may hold NUL bytes: the length is what counts).
 */
#include "sluice/strmap.h"

#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "sluice/error.h"

typedef struct entry {
	uint64_t hash;
	const char *key; /* NULL: empty slot */
	size_t len;
	void *val;
} entry;

struct sl_strmap {
	entry *tab;
	size_t cap; /* power of two */
	size_t n;
	sl_arena *arena;
};

int sl_strmap_new(sl_strmap **out)
{
	sl_strmap *m = calloc(1, sizeof(*m));
	*out = NULL;
	if (!m)
		return sl_error_nomem();
	m->cap = 64;
	m->tab = calloc(m->cap, sizeof(*m->tab));
	m->arena = sl_arena_new(0);
	if (!m->tab || !m->arena) {
		sl_strmap_free(m);
		return sl_error_nomem();
	}
	*out = m;
	return 0;
}

void sl_strmap_free(sl_strmap *m)
{
	if (!m)
		return;
	free(m->tab);
	sl_arena_free(m->arena);
	free(m);
}

static entry *probe(entry *tab, size_t cap, uint64_t h, const void *key, size_t len)
{
	for (size_t i = (size_t)h & (cap - 1);; i = (i + 1) & (cap - 1)) {
		entry *e = &tab[i];
		if (!e->key || (e->hash == h && e->len == len && memcmp(e->key, key, len) == 0))
			return e;
	}
}

static int grow(sl_strmap *m)
{
	size_t ncap = m->cap * 2;
	entry *nt = calloc(ncap, sizeof(*nt));
	if (!nt)
		return sl_error_nomem();
	for (size_t i = 0; i < m->cap; i++)
		if (m->tab[i].key)
			*probe(nt, ncap, m->tab[i].hash, m->tab[i].key, m->tab[i].len) = m->tab[i];
	free(m->tab);
	m->tab = nt;
	m->cap = ncap;
	return 0;
}

void **sl_strmap_slot(sl_strmap *m, const void *key, size_t len, bool *created)
{
	uint64_t h = XXH3_64bits(key, len);
	entry *e = probe(m->tab, m->cap, h, key, len);
	if (created)
		*created = false;
	if (e->key)
		return &e->val;
	if ((m->n + 1) * 2 > m->cap) {
		if (grow(m))
			return NULL;
		e = probe(m->tab, m->cap, h, key, len);
	}
	char *k = sl_arena_alloc(m->arena, len + 1);
	if (!k)
		return NULL;
	if (len)
		memcpy(k, key, len);
	k[len] = '\0';
	e->hash = h;
	e->key = k;
	e->len = len;
	e->val = NULL;
	m->n++;
	if (created)
		*created = true;
	return &e->val;
}

bool sl_strmap_find(const sl_strmap *m, const void *key, size_t len, void **val)
{
	const entry *e = probe(m->tab, m->cap, XXH3_64bits(key, len), key, len);
	if (!e->key)
		return false;
	if (val)
		*val = e->val;
	return true;
}

size_t sl_strmap_count(const sl_strmap *m)
{
	return m->n;
}

sl_arena *sl_strmap_arena(sl_strmap *m)
{
	return m->arena;
}

bool sl_strmap_next(const sl_strmap *m, size_t *it, const char **key, size_t *len, void **val)
{
	for (; *it < m->cap; (*it)++) {
		const entry *e = &m->tab[*it];
		if (!e->key)
			continue;
		*key = e->key;
		*len = e->len;
		if (val)
			*val = e->val;
		(*it)++;
		return true;
	}
	return false;
}
