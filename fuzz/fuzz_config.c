/*
 * fuzz_config.c - libFuzzer target for sl_config_parse(): any bytes must
 * give a config or an error, and the reserved sections must stay readable;
 * the consumers, domains and criticality load or fail, and positions inside
 * every query are computed (sl_config_where_offset).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/config.h"
#include "sluice/consumers.h"
#include "sluice/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sl_config *c = NULL;
	char where[256];

	if (sl_config_parse(&c, "sluice.yaml", (const char *)data, size) != 0)
		return 0;
	(void)sl_config_env_url(c, "prod");
	(void)sl_config_lint_level(c, "missing-down", SL_LINT_WARN);
	(void)sl_config_where(c, sl_config_section(c, "consumers"), where, sizeof(where));
	(void)sl_config_resolve(c, c->migrations_dir);
	sl_consumers *cs = NULL;
	if (sl_consumers_load(&cs, c) == 0) {
		for (size_t i = 0; i < cs->n; i++)
			for (size_t k = 0; k < cs->items[i].nqueries; k++) {
				size_t len = strlen(cs->items[i].queries[k].sql);
				for (size_t off = 0; off <= len; off += 1 + len / 7)
					(void)sl_config_where_offset(c, cs->items[i].queries[k].node, off,
								     where, sizeof(where));
			}
		sl_consumers_free(cs);
	}
	sl_error_clear();
	sl_config_free(c);
	return 0;
}
