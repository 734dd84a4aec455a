/*
 * fuzz_split.c - libFuzzer target for sl_sql_split(). The first byte picks
 * the dialect (SQLite, PostgreSQL, MySQL); the rest is the script. Checks
 * that every statement lies inside the input at its offset, byte for byte.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/sql.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const sl_engine dialects[] = { SL_ENGINE_SQLITE, SL_ENGINE_POSTGRES, SL_ENGINE_MYSQL };
	sl_stmt_list l;

	if (size < 1)
		return 0;
	sl_engine d = dialects[data[0] % 3];
	const char *sql = (const char *)data + 1;
	size_t len = size - 1;
	if (sl_sql_split(&l, d, sql, len) == 0) {
		for (size_t i = 0; i < l.n; i++) {
			const sl_stmt *st = &l.items[i];
			if (st->len == 0 || st->offset + st->len > len ||
			    memcmp(sql + st->offset, st->text, st->len) != 0 || st->text[st->len] != '\0')
				abort();
		}
	}
	sl_stmt_list_free(&l);
	return 0;
}
