/*
 * capture.c - the wrappers of include/sluice/capture.h: each checks that the
 * driver has sync hooks, calls it, and adds what was being done to errors.
 * The SQL itself is the driver's (pg_sync.c, my_sync.c, sqlite_sync.c).
 */
#include "sluice/capture.h"
#include "sluice/error.h"

static const sl_sync_ops *ops(const sl_conn *c)
{
	return c->drv->sync;
}

static int none(const sl_conn *c)
{
	return sl_error_set(SL_EINVALID, "%s has no change capture", c->drv->name);
}

int sl_capture_log_create(sl_conn *c)
{
	if (!ops(c))
		return none(c);
	int rc = ops(c)->log_create(c);
	if (rc)
		sl_error_prefix("create the change log \"%s\"", SL_CAPTURE_LOG);
	return rc;
}

int sl_capture_log_session(sl_conn *c)
{
	if (!ops(c))
		return none(c);
	int rc = ops(c)->log_session(c);
	if (rc)
		sl_error_prefix("prepare the session that reads the change log");
	return rc;
}

int sl_capture_log_delete(sl_conn *c, const int64_t *seqs, size_t n)
{
	if (!ops(c))
		return none(c);
	int rc = n ? ops(c)->log_delete(c, seqs, n) : 0;
	if (rc)
		sl_error_prefix("delete consumed change-log rows");
	return rc;
}

/* DELETE FROM log WHERE seq IN (...), in chunks: for engines where that locks only the rows named. */
int sl_capture_log_delete_in(sl_conn *c, const int64_t *seqs, size_t n)
{
	sl_buf q = SL_BUF_INIT;
	int rc = 0;
	for (size_t lo = 0; !rc && lo < n; lo += 1000) {
		size_t hi = lo + 1000 < n ? lo + 1000 : n;
		sl_buf_clear(&q);
		rc = sl_buf_puts(&q, "DELETE FROM " SL_CAPTURE_LOG " WHERE seq IN (");
		for (size_t i = lo; !rc && i < hi; i++)
			rc = sl_buf_printf(&q, "%s%lld", i > lo ? ", " : "", (long long)seqs[i]);
		if (!rc)
			rc = sl_buf_putc(&q, ')');
		if (!rc)
			rc = sl_conn_exec(c, q.ptr);
	}
	sl_buf_free(&q);
	return rc;
}

int sl_capture_add(sl_conn *c, const sl_capture_table *t)
{
	if (!ops(c))
		return none(c);
	int rc = ops(c)->capture_add(c, t);
	if (rc)
		sl_error_prefix("install capture triggers on \"%s\"", t->table);
	return rc;
}

int sl_capture_drop(sl_conn *c, const sl_capture_table *t)
{
	if (!ops(c))
		return none(c);
	int rc = ops(c)->capture_drop(c, t);
	if (rc)
		sl_error_prefix("remove capture triggers from \"%s\"", t->table);
	return rc;
}

int sl_capture_list(sl_conn *c, sl_buf *out)
{
	if (!ops(c))
		return none(c);
	int rc = ops(c)->capture_list(c, out);
	if (rc)
		sl_error_prefix("list capture triggers");
	return rc;
}

int sl_stage_create(sl_conn *c, const char *table, const char *stage)
{
	if (!ops(c))
		return none(c);
	int rc = ops(c)->stage_create(c, table, stage);
	if (rc)
		sl_error_prefix("create the staging table for \"%s\"", table);
	return rc;
}

int sl_stage_merge(sl_conn *c, const char *table, const char *stage, const char *const *cols, size_t ncols,
		   const char *const *key, size_t nkey)
{
	if (!ops(c))
		return none(c);
	int rc = ops(c)->stage_merge(c, table, stage, cols, ncols, key, nkey);
	if (rc)
		sl_error_prefix("apply changes to \"%s\"", table);
	return rc;
}

int sl_conn_apply_mode(sl_conn *c, bool replica)
{
	if (!ops(c))
		return none(c);
	return ops(c)->apply_mode(c, replica);
}

int sl_capture_list_query(sl_conn *c, const char *sql, sl_buf *out)
{
	sl_cursor *cur = NULL;
	sl_batch b = { 0 };
	sl_buf cell = SL_BUF_INIT;
	int rc = sl_conn_query(&cur, c, sql);
	if (!rc)
		rc = sl_batch_init(&b, 2, 64);
	while (!rc) {
		sl_batch_reset(&b);
		int n = sl_cursor_fetch(cur, &b, 64);
		if (n <= 0) {
			rc = n;
			break;
		}
		for (size_t r = 0; !rc && r < b.nrows; r++) {
			const sl_value *row = sl_batch_row(&b, r);
			for (size_t j = 0; !rc && j < 2; j++) {
				sl_buf_clear(&cell);
				rc = sl_value_format(&cell, &row[j]);
				if (!rc)
					rc = sl_buf_printf(out, "%s%c", sl_buf_cstr(&cell), j ? '\n' : '\t');
			}
		}
	}
	sl_cursor_close(cur);
	sl_batch_free(&b);
	sl_buf_free(&cell);
	return rc;
}
