/*
 * fuzz_config.c - libFuzzer target for sl_config_parse(): any bytes must
 * give a config or an error, and the reserved sections must stay readable.
 */
#include <stdint.h>
#include <stdlib.h>

#include "sluice/config.h"

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
	sl_config_free(c);
	return 0;
}
