/*
 * fuzz_migration.c - libFuzzer target for sl_migration_parse() and what the
 * runner calls on its result: section lookup, statement splitting per
 * dialect, checksums, the required-field check and the "breaks:" header.
 */
#include <stdint.h>
#include <stdlib.h>

#include "sluice/lint.h"
#include "sluice/migration.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const sl_engine dialects[] = { SL_ENGINE_SQLITE, SL_ENGINE_POSTGRES, SL_ENGINE_MYSQL };
	static const char *const req[] = { "ticket", "why" };
	sl_migration *m = NULL;
	char sum[SL_CHECKSUM_SIZE];

	if (sl_migration_parse(&m, "migrations/20261121093000_fuzz.sql", (const char *)data, size) != 0)
		return 0;
	for (size_t i = 0; i < 3; i++) {
		for (int s = SL_SECTION_UP; s <= SL_SECTION_VERIFY; s++) {
			sl_stmt_list l;
			if (sl_migration_statements(&l, m, (sl_section)s, dialects[i]) == 0)
				sl_stmt_list_free(&l);
		}
		(void)sl_migration_checksum(sum, m, dialects[i]);
	}
	(void)sl_migration_check_required(m, req, 2);
	sl_arena *a = sl_arena_new(0);
	sl_breaks_entry *b = NULL;
	size_t nb = 0;
	if (a)
		(void)sl_breaks_parse(a, sl_migration_meta_get(m, "breaks"), &b, &nb);
	sl_arena_free(a);
	sl_migration_free(m);
	return 0;
}
