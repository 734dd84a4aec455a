/*
 * fuzz_url.c - libFuzzer target for database URL parsing (src/db/url.c).
 * Any input must parse or fail cleanly; a parsed URL's redacted form must
 * never contain the password.
 */
#include "sluice/error.h"
#include "sluice/url.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	sl_url *u = NULL;
	if (sl_url_parse(&u, s) == 0) {
		/* MySQL URLs print their userinfo as "user:***@": never the password itself */
		if (u->engine == SL_ENGINE_MYSQL && u->user && u->password) {
			const char *p = strstr(u->redacted, "://");
			size_t ul = strlen(u->user);
			if (!p || strncmp(p + 3, u->user, ul) != 0 || strncmp(p + 3 + ul, ":***@", 5) != 0)
				abort();
		}
		sl_url_free(u);
	}
	sl_error_clear();
	free(s);
	return 0;
}
