/*
 * capture.c - the wrappers of include/sluice/capture.h: each checks that the
 * driver has sync hooks, calls it, and adds what was being done to errors.
 * The SQL itself is the driver's (pg_sync.c, my_sync.c, sqlite_sync.c).
 */
#include "sluice/capture.h"
#include "sluice/error.h"

#include <stdlib.h>
#include <string.h>

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

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

/*
 * DELETE FROM log WHERE seq BETWEEN a AND b OR seq IN (...): runs of
 * consecutive seqs become ranges. A range covers only seqs that were all
 * read, so it can hold no row that was not (seq is the key): deleting by
 * range is still deleting by identity.
 */
static int delete_terms(sl_conn *c, const sl_buf *ranges, const sl_buf *in)
{
	sl_buf q = SL_BUF_INIT;
	int rc = sl_buf_puts(&q, "DELETE FROM " SL_CAPTURE_LOG " WHERE ");
	if (!rc && ranges->len)
		rc = sl_buf_puts(&q, ranges->ptr);
	if (!rc && in->len)
		rc = sl_buf_printf(&q, "%sseq IN (%s)", ranges->len ? " OR " : "", in->ptr);
	if (!rc)
		rc = sl_conn_exec(c, q.ptr);
	sl_buf_free(&q);
	return rc;
}

int sl_capture_log_delete_in(sl_conn *c, const int64_t *seqs, size_t n)
{
	sl_buf ranges = SL_BUF_INIT, in = SL_BUF_INIT;
	int64_t *s = n ? malloc(n * sizeof(*s)) : NULL;
	size_t nranges = 0, nin = 0;
	int rc = n && !s ? sl_error_nomem() : 0;
	if (!rc && n) {
		memcpy(s, seqs, n * sizeof(*s));
		qsort(s, n, sizeof(*s), cmp_i64);
	}
	for (size_t i = 0; !rc && i < n;) {
		size_t j = i;
		while (j + 1 < n && s[j + 1] == s[j] + 1)
			j++;
		if (j > i) {
			rc = sl_buf_printf(&ranges, "%sseq BETWEEN %lld AND %lld", nranges++ ? " OR " : "",
					   (long long)s[i], (long long)s[j]);
		} else {
			rc = sl_buf_printf(&in, "%s%lld", nin++ ? ", " : "", (long long)s[i]);
		}
		i = j + 1;
		if (!rc && (nranges >= 200 || nin >= 1000 || i == n)) {
			rc = delete_terms(c, &ranges, &in);
			sl_buf_clear(&ranges);
			sl_buf_clear(&in);
			nranges = nin = 0;
		}
	}
	free(s);
	sl_buf_free(&ranges);
	sl_buf_free(&in);
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
