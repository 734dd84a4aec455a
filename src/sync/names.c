/*
 * names.c - the names sync gives its objects (triggers, functions, staging
 * tables), run ids, the clock, and the schema fingerprint of a captured
 * table. Names are deterministic, so stop finds what start made from the
 * table name alone, and fit every engine's identifier limit.
 */
#include "sync_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sluice/error.h"

static uint64_t fnv(uint64_t h, const char *s)
{
	for (; s && *s; s++) {
		h ^= (unsigned char)*s;
		h *= UINT64_C(1099511628211);
	}
	h ^= 0xff; /* separator, so ("ab","c") differs from ("a","bc") */
	h *= UINT64_C(1099511628211);
	return h;
}

static void make_name(char out[SL_SYNC_NAME_MAX], const char *prefix, const char *table)
{
	char clean[25];
	size_t n = 0;
	for (const char *p = table; *p && n < sizeof(clean) - 1; p++) {
		char ch = *p;
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')))
			ch = '_';
		clean[n++] = ch;
	}
	clean[n] = '\0';
	uint64_t h = fnv(UINT64_C(14695981039346656037), table);
	snprintf(out, SL_SYNC_NAME_MAX, "%s%s_%08x", prefix, clean, (unsigned)(h & 0xffffffffu));
}

void sl_sync_trigger_base(char out[SL_SYNC_NAME_MAX], const char *table)
{
	make_name(out, "sluice_sync_", table);
}

void sl_sync_stage_name(char out[SL_SYNC_NAME_MAX], const char *table)
{
	make_name(out, "sluice_stage_", table);
}

int64_t sl_sync_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int sl_sync_new_run_id(char out[17])
{
	uint64_t r = 0;
	FILE *f = fopen("/dev/urandom", "rb");
	if (f) {
		if (fread(&r, sizeof(r), 1, f) != 1)
			r = 0;
		fclose(f);
	}
	r ^= (uint64_t)sl_sync_now_us() * UINT64_C(6364136223846793005) ^ (uint64_t)getpid();
	snprintf(out, 17, "%016llx", (unsigned long long)r);
	return 0;
}

void sl_sync_fingerprint(char out[17], const sl_table *t)
{
	uint64_t h = fnv(UINT64_C(14695981039346656037), t->name);
	for (size_t i = 0; i < t->ncolumns; i++) {
		const sl_column *c = &t->columns[i];
		h = fnv(h, c->name);
		h = fnv(h, c->decl_type);
		h = fnv(h, c->nullable ? "null" : "not null");
		h = fnv(h, c->generated_expr ? "generated" : "");
	}
	for (size_t i = 0; t->primary_key && i < t->primary_key->ncolumns; i++)
		h = fnv(h, t->primary_key->columns[i]);
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}
