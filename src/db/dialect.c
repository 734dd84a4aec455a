/*
 * dialect.c - lookups over the engines' dialect descriptors (sluice/dialect.h):
 * an engine by name, and identifiers fitted to an engine's length limit. The
 * descriptors themselves live beside each driver (<engine>_dialect.c).
 */
#include "sluice/dialect.h"
#include "sluice/error.h"

#include <stdint.h>
#include <string.h>

static const sl_engine engines[] = { SL_ENGINE_SQLITE, SL_ENGINE_POSTGRES, SL_ENGINE_MYSQL };

static bool same(const char *a, const char *s, size_t n)
{
	return strlen(a) == n && memcmp(a, s, n) == 0;
}

sl_engine sl_dialect_default(void)
{
	/* SQLite: its SQL is the most permissive reading of a generic migration */
	return SL_ENGINE_SQLITE;
}

sl_engine sl_dialect_engine_named(const char *name, size_t n, bool aliases)
{
	for (size_t i = 0; i < sizeof(engines) / sizeof(engines[0]); i++) {
		const sl_dialect *d = sl_dialect_of(engines[i]);
		if (!d)
			continue;
		if (same(d->name, name, n))
			return d->engine;
		for (const char *const *a = d->aliases; aliases && a && *a; a++)
			if (same(*a, name, n))
				return d->engine;
	}
	return SL_ENGINE_NONE;
}

/* FNV-1a: a stable 32-bit hash for the suffix of a shortened name. */
static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		h ^= *p;
		h *= 16777619u;
	}
	return h;
}

static bool continuation(char c)
{
	return ((unsigned char)c & 0xC0) == 0x80;
}

int sl_dialect_fit_name(sl_buf *out, const char *name, sl_engine e)
{
	const sl_dialect *d = sl_dialect_of(e);
	size_t len = strlen(name), keep = 0, chars = 0;
	if (d && d->ident_max_chars)
		for (const char *p = name; *p; p++)
			chars += !continuation(*p);
	if (!d || !d->ident_max || (d->ident_max_chars ? chars : len) <= d->ident_max)
		return sl_buf_puts(out, name);
	/* keep what leaves room for "_" and 8 hex digits: bytes up to a character boundary, or characters */
	size_t room = d->ident_max - 9;
	if (!d->ident_max_chars) {
		keep = room;
		while (keep && continuation(name[keep]))
			keep--;
	} else {
		size_t c = 0;
		while (name[keep] && !(c == room && !continuation(name[keep]))) {
			c += !continuation(name[keep]);
			keep++;
		}
	}
	int rc = sl_buf_put(out, name, keep);
	return rc ? rc : sl_buf_printf(out, "_%08x", fnv1a(name));
}
