/*
 * quote.c - quoting helpers shared by the drivers.
 */
#include "sluice/sys/driver.h"
#include "sluice/error.h"

#include <string.h>

int sl_quote_ident_with(sl_buf *out, const char *ident, char q)
{
	int rc = sl_buf_putc(out, q);
	for (const char *p = ident; !rc && *p; p++) {
		if (*p == q)
			rc = sl_buf_putc(out, q);
		if (!rc)
			rc = sl_buf_putc(out, *p);
	}
	return rc ? rc : sl_buf_putc(out, q);
}

int sl_quote_string(sl_buf *out, const char *s, size_t len, bool escape_backslash)
{
	int rc = sl_buf_grow(out, len + 2);
	if (rc)
		return rc;
	sl_buf_putc(out, '\'');
	for (size_t i = 0; !rc && i < len; i++) {
		if (s[i] == '\'' || (escape_backslash && s[i] == '\\'))
			rc = sl_buf_putc(out, s[i]);
		if (!rc)
			rc = sl_buf_putc(out, s[i]);
	}
	return rc ? rc : sl_buf_putc(out, '\'');
}
