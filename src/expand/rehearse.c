/*
 * rehearse.c - an expand/contract migration run start to end on a scratch
 * database (sl_expand_rehearse, for `sluice lint TARGET`): expand, roll
 * back and compare the schema with the one before, expand again, contract.
 * Nothing of it may touch a database that matters: the caller owns the
 * scratch one.
 */
#include "expand_int.h"

#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"
#include "sluice/schemadiff.h"

static int model(sl_conn *c, sl_schema **out)
{
	sl_introspect_opts io = SL_INTROSPECT_OPTS_INIT;
	io.exact_counts = false;
	return sl_conn_introspect(out, c, &io);
}

/* Names the first differences between a and b in the error, or returns 0 when they are alike. */
static int same_schema(const sl_schema *a, const sl_schema *b, const char *what)
{
	sl_schemadiff *df = NULL;
	sl_buf msg = SL_BUF_INIT;
	int rc = sl_schema_diff(&df, a, b, NULL);
	for (size_t i = 0; !rc && df && i < df->n && i < 5; i++) {
		if (i)
			rc = sl_buf_puts(&msg, "; ");
		if (!rc)
			rc = sl_schema_change_format(&msg, &df->items[i]);
	}
	if (!rc && df && df->n)
		rc = sl_error_set(SL_ECONFLICT, "%s: the schema differs from before the expand: %s", what,
				  sl_buf_cstr(&msg));
	sl_schemadiff_free(df);
	sl_buf_free(&msg);
	return rc;
}

int sl_expand_rehearse(sl_conn *c, const sl_expand_target *t, const char *history_table)
{
	sl_expand_opts o = SL_EXPAND_OPTS_INIT;
	sl_schema *before = NULL, *after = NULL;
	o.history_table = history_table;
	o.confirm = true; /* a scratch database has no clients */
	int rc = model(c, &before);
	if (!rc)
		rc = sl_expand_run(c, t, &o, NULL);
	if (!rc && (rc = sl_expand_rollback(c, t->id, &o)))
		sl_error_prefix("rolling back the expand");
	if (!rc)
		rc = model(c, &after);
	if (!rc)
		rc = same_schema(before, after, "after expand and rollback");
	if (!rc)
		rc = sl_expand_run(c, t, &o, NULL);
	if (!rc && (rc = sl_expand_contract(c, t->id, &o)))
		sl_error_prefix("contract");
	sl_schema_free(before);
	sl_schema_free(after);
	return rc;
}
