/*
 * yaml.c - the sluice.yaml section `sluice pii scan` writes: snapshot:
 * masks: with one line per flagged column (grouped by table, in the order
 * found), its suggested rule, and why it was flagged as a comment. Names
 * that YAML would misread are double-quoted.
 */
#include "sluice/pii.h"

#include <ctype.h>
#include <string.h>

/* Appends s as a YAML key: plain when safe, else double-quoted. */
static int put_key(sl_buf *b, const char *s)
{
	bool plain = isalpha((unsigned char)*s) || *s == '_';
	for (const char *p = s; plain && *p; p++)
		plain = isalnum((unsigned char)*p) || *p == '_';
	if (plain && strcmp(s, "null") && strcmp(s, "true") && strcmp(s, "false") && strcmp(s, "yes") &&
	    strcmp(s, "no") && strcmp(s, "on") && strcmp(s, "off"))
		return sl_buf_puts(b, s);
	int rc = sl_buf_putc(b, '"');
	for (const char *p = s; !rc && *p; p++) {
		if (*p == '"' || *p == '\\')
			rc = sl_buf_putc(b, '\\');
		if (!rc)
			rc = sl_buf_putc(b, *p);
	}
	return rc ? rc : sl_buf_putc(b, '"');
}

int sl_pii_yaml(sl_buf *out, const sl_pii_report *r, const char *header)
{
	int rc = 0;
	if (header)
		rc = sl_buf_printf(out, "# %s\n", header);
	if (!rc)
		rc = sl_buf_puts(
			out, "# Review every rule (docs/masking.md); a column that is harmless gets `keep`.\n"
			     "snapshot:\n  masks:\n");
	if (!rc && r->ncols == 0)
		rc = sl_buf_puts(out, "    {}  # nothing looks like personal data\n");
	for (size_t i = 0; !rc && i < r->ncols; i++) {
		const sl_pii_column *c = &r->cols[i];
		if (i == 0 || strcmp(r->cols[i - 1].table, c->table) != 0) {
			rc = sl_buf_puts(out, "    ");
			if (!rc)
				rc = put_key(out, c->table);
			if (!rc)
				rc = sl_buf_puts(out, ":\n");
		}
		size_t mark = out->len;
		if (!rc)
			rc = sl_buf_puts(out, "      ");
		if (!rc)
			rc = put_key(out, c->column);
		if (!rc)
			rc = sl_buf_printf(out, ": %s", c->suggest);
		while (!rc && out->len - mark < 44)
			rc = sl_buf_putc(out, ' ');
		if (!rc)
			rc = sl_buf_printf(out, "  # %s: %s\n", sl_pii_kind_name(c->kind), c->reason);
	}
	return rc;
}
