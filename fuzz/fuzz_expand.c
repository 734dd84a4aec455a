/*
 * fuzz_expand.c - libFuzzer target for sl_expand_parse(), the vocabulary of
 * an expand section, in every dialect's string rules, and for what the
 * linter asks of the result (sl_xop_unsupported, sl_xop_kind_name).
 */
#include <stdint.h>
#include <stdlib.h>

#include "sluice/expand.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const sl_engine dialects[] = { SL_ENGINE_NONE, SL_ENGINE_SQLITE, SL_ENGINE_POSTGRES,
					      SL_ENGINE_MYSQL };
	for (size_t d = 0; d < sizeof(dialects) / sizeof(dialects[0]); d++) {
		sl_xops *ops = NULL;
		if (sl_expand_parse(&ops, "migrations/002_fuzz.sql", 7, (const char *)data, size,
				    dialects[d]) != 0)
			continue;
		for (size_t i = 0; i < ops->n; i++) {
			(void)sl_xop_kind_name(ops->items[i].kind);
			(void)sl_xop_unsupported(&ops->items[i], SL_ENGINE_SQLITE);
		}
		sl_xops_free(ops);
	}
	return 0;
}
