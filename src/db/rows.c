/*
 * rows.c - a helper the drivers' rehearsal hooks share: run a catalog query
 * and hand each row's first one or two columns, as text, to a callback.
 * Goes through the public connection API, so faults and cut connections
 * behave as everywhere else.
 */
#include "sluice/error.h"
#include "sluice/sys/driver.h"

#include <stdlib.h>

static int cell_text(sl_buf *out, const sl_value *v)
{
	sl_buf_clear(out);
	return v->type == SL_V_NULL ? sl_buf_puts(out, "") : sl_value_format(out, v);
}

int sl_db_each_row(sl_conn *c, const char *sql, sl_name_fn fn, void *ud)
{
	sl_cursor *cur = NULL;
	sl_batch b = { 0 };
	sl_buf a = SL_BUF_INIT, d = SL_BUF_INIT;
	int rc = sl_conn_query(&cur, c, sql);
	if (rc)
		goto done;
	size_t ncols = sl_cursor_ncols(cur);
	if ((rc = sl_batch_init(&b, ncols, 256)))
		goto done;
	for (;;) {
		sl_batch_reset(&b);
		int n = sl_cursor_fetch(cur, &b, 256);
		if (n <= 0) {
			rc = n;
			break;
		}
		for (size_t i = 0; !rc && i < b.nrows; i++) {
			const sl_value *row = sl_batch_row(&b, i);
			rc = cell_text(&a, &row[0]);
			if (!rc && ncols > 1)
				rc = cell_text(&d, &row[1]);
			if (!rc)
				rc = fn(ud, sl_buf_cstr(&a), ncols > 1 ? sl_buf_cstr(&d) : NULL);
		}
		if (rc)
			break;
	}
done:
	sl_cursor_close(cur);
	sl_batch_free(&b);
	sl_buf_free(&a);
	sl_buf_free(&d);
	return rc;
}

int sl_db_count_named(sl_conn *c, const char *sql_prefix, const char *name)
{
	sl_buf b = SL_BUF_INIT;
	sl_value v = sl_text(name);
	int64_t n = 0;
	int rc = sl_buf_puts(&b, sql_prefix);
	if (!rc)
		rc = sl_conn_quote_literal(c, &b, &v);
	if (!rc)
		rc = sl_conn_query_int(c, b.ptr, &n);
	sl_buf_free(&b);
	return rc ? rc : n > 0;
}
