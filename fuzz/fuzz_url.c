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
		if (u->password && *u->password) {
			/* the redacted form writes user:***@ - the real password never follows the ':' */
			size_t n = strlen(u->password) + 3;
			char *needle = malloc(n);
			if (needle) {
				memcpy(needle + 1, u->password, n - 3);
				needle[0] = ':';
				needle[n - 2] = '@';
				needle[n - 1] = '\0';
				if (strcmp(u->password, "***") && strstr(u->redacted, needle))
					abort();
				free(needle);
			}
		}
		sl_url_free(u);
	}
	sl_error_clear();
	free(s);
	return 0;
}
