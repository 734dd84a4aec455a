/*
 * breaks.c - a migration's "breaks:" header (docs/migration-format.md):
 * the consumers a change is known to break, each with the ticket in which
 * its owner agreed. "-- breaks: invoice-run FIN-231, crm-sync CRM-88".
 * The static rule breaks-declaration checks the entries against sluice.yaml.
 */
#include "sluice/lint.h"

#include <ctype.h>
#include <string.h>

#include "sluice/error.h"

int sl_breaks_parse(sl_arena *a, const char *value, sl_breaks_entry **out, size_t *n)
{
	size_t cap = 0;
	const char *p = value ? value : "";
	*out = NULL;
	*n = 0;
	while (*p) {
		const char *e = p + strcspn(p, ",\n"), *w[3] = { NULL, NULL, NULL };
		size_t wl[3] = { 0, 0, 0 }, nw = 0;
		for (const char *q = p; q < e;) {
			while (q < e && isspace((unsigned char)*q))
				q++;
			if (q >= e)
				break;
			const char *s = q;
			while (q < e && !isspace((unsigned char)*q))
				q++;
			if (nw < 3) {
				w[nw] = s;
				wl[nw] = (size_t)(q - s);
			}
			nw++;
		}
		if (nw == 1)
			return sl_error_set(SL_EINVALID,
					    "\"%.*s\" has no ticket: write \"%.*s TICKET\", the ticket in "
					    "which its owner agreed",
					    (int)wl[0], w[0], (int)wl[0], w[0]);
		if (nw > 2)
			return sl_error_set(
				SL_EINVALID,
				"\"%.*s\" is not \"consumer TICKET\" (separate entries with commas)",
				(int)(e - p), p);
		if (nw == 2) {
			sl_breaks_entry *x = sl_arena_push(a, out, n, &cap, sizeof(*x));
			if (!x || !(x->consumer = sl_arena_strndup(a, w[0], wl[0])) ||
			    !(x->ticket = sl_arena_strndup(a, w[1], wl[1])))
				return sl_error_nomem();
		}
		p = *e ? e + 1 : e;
	}
	return 0;
}
