/*
 * shadow.c - shadow runs in the state store (docs/state.md): shadow_runs,
 * one row per `sluice shadow`, and shadow_results, one per query (state
 * store version 4).
 */
#include "state_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sluice/buf.h"
#include "sluice/error.h"

/* Version 4 of the store's schema (state.c, migrate_schema). */
static const char shadow_sql[] = "CREATE TABLE IF NOT EXISTS shadow_runs ("
				 " id INTEGER PRIMARY KEY,"
				 " started_at TEXT NOT NULL,"
				 " source TEXT NOT NULL,"
				 " target TEXT NOT NULL,"
				 " queries INTEGER NOT NULL,"
				 " differences INTEGER NOT NULL,"
				 " errors INTEGER NOT NULL);"
				 "CREATE TABLE IF NOT EXISTS shadow_results ("
				 " id INTEGER PRIMARY KEY,"
				 " run_id INTEGER NOT NULL REFERENCES shadow_runs (id),"
				 " query TEXT NOT NULL,"
				 " ordered INTEGER NOT NULL,"
				 " source_rows INTEGER NOT NULL,"
				 " target_rows INTEGER NOT NULL,"
				 " differences INTEGER NOT NULL,"
				 " examples TEXT,"
				 " error TEXT,"
				 " duration_ms INTEGER NOT NULL)";

int sl_state_shadow_schema(sl_conn *c)
{
	return sl_conn_exec(c, shadow_sql);
}

int sl_state_shadow_record(sl_state *s, int64_t *out_run_id, const char *source, const char *target,
			   const sl_state_shadow_row *rows, size_t n)
{
	sl_conn *c = s->conn;
	sl_buf b = SL_BUF_INIT;
	char now[40];
	int64_t diffs = 0, errors = 0, id = 0;
	for (size_t i = 0; i < n; i++) {
		diffs += rows[i].differences;
		errors += rows[i].error != NULL;
	}
	sl_state_now_utc(now, sizeof(now));
	int rc = sl_conn_begin(c);
	if (!rc)
		rc = sl_buf_puts(
			&b,
			"INSERT INTO shadow_runs (started_at, source, target, queries, differences, errors) "
			"VALUES (");
	if (!rc)
		rc = sl_state_put_text(s, &b, now);
	if (!rc)
		rc = sl_buf_puts(&b, ", ");
	if (!rc)
		rc = sl_state_put_text(s, &b, source);
	if (!rc)
		rc = sl_buf_puts(&b, ", ");
	if (!rc)
		rc = sl_state_put_text(s, &b, target);
	if (!rc)
		rc = sl_buf_printf(&b, ", %zu, %lld, %lld)", n, (long long)diffs, (long long)errors);
	if (!rc)
		rc = sl_conn_exec(c, b.ptr);
	if (!rc)
		rc = sl_conn_query_int(c, "SELECT last_insert_rowid()", &id);
	for (size_t i = 0; !rc && i < n; i++) {
		const sl_state_shadow_row *r = &rows[i];
		sl_buf_clear(&b);
		rc = sl_buf_printf(
			&b,
			"INSERT INTO shadow_results (run_id, query, ordered, source_rows, target_rows,"
			" differences, examples, error, duration_ms) VALUES (%lld, ",
			(long long)id);
		if (!rc)
			rc = sl_state_put_text(s, &b, r->query);
		if (!rc)
			rc = sl_buf_printf(&b, ", %d, %lld, %lld, %lld, ", r->ordered ? 1 : 0,
					   (long long)r->source_rows, (long long)r->target_rows,
					   (long long)r->differences);
		if (!rc)
			rc = sl_state_put_text(s, &b, r->examples);
		if (!rc)
			rc = sl_buf_puts(&b, ", ");
		if (!rc)
			rc = sl_state_put_text(s, &b, r->error);
		if (!rc)
			rc = sl_buf_printf(&b, ", %lld)", (long long)r->duration_ms);
		if (!rc)
			rc = sl_conn_exec(c, b.ptr);
	}
	if (!rc)
		rc = sl_conn_commit(c);
	else if (sl_conn_in_transaction(c))
		sl_conn_rollback(c);
	if (!rc && out_run_id)
		*out_run_id = id;
	sl_buf_free(&b);
	if (rc)
		sl_error_prefix("record the shadow run in the state store");
	return rc;
}

static char *dup_cell(const sl_value *v)
{
	sl_buf b = SL_BUF_INIT;
	char *s = NULL;
	if (v->type != SL_V_NULL && !sl_value_format(&b, v))
		s = sl_buf_detach(&b);
	sl_buf_free(&b);
	return s;
}

int sl_state_shadow_history(sl_state *s, size_t limit_runs, sl_state_shadow_cb cb, void *ud)
{
	sl_conn *c = s->conn;
	sl_cursor *cur = NULL;
	sl_batch b = { 0 };
	sl_buf q = SL_BUF_INIT;
	int rc = sl_conn_exec(c, shadow_sql);
	if (!rc)
		rc = sl_buf_puts(
			&q, "SELECT r.id, r.started_at, x.query, x.ordered, x.source_rows, x.target_rows,"
			    " x.differences, x.examples, x.error, x.duration_ms FROM shadow_runs r"
			    " JOIN shadow_results x ON x.run_id = r.id");
	if (!rc && limit_runs)
		rc = sl_buf_printf(&q,
				   " WHERE r.id IN (SELECT id FROM shadow_runs ORDER BY id DESC LIMIT %zu)",
				   limit_runs);
	if (!rc)
		rc = sl_buf_puts(&q, " ORDER BY r.id DESC, x.id");
	if (!rc)
		rc = sl_conn_query(&cur, c, q.ptr);
	if (!rc)
		rc = sl_batch_init(&b, 10, 64);
	while (!rc) {
		sl_batch_reset(&b);
		int n = sl_cursor_fetch(cur, &b, 64);
		if (n <= 0) {
			rc = n;
			break;
		}
		for (size_t i = 0; !rc && i < b.nrows; i++) {
			const sl_value *v = sl_batch_row(&b, i);
			char *started = dup_cell(&v[1]), *query = dup_cell(&v[2]), *ex = dup_cell(&v[7]),
			     *err = dup_cell(&v[8]);
			sl_state_shadow_row row = { .query = query ? query : "",
						    .ordered = (int)v[3].u.i,
						    .source_rows = v[4].u.i,
						    .target_rows = v[5].u.i,
						    .differences = v[6].u.i,
						    .examples = ex,
						    .error = err,
						    .duration_ms = v[9].u.i };
			rc = cb(v[0].u.i, started ? started : "", &row, ud);
			free(started);
			free(query);
			free(ex);
			free(err);
		}
	}
	sl_cursor_close(cur);
	sl_batch_free(&b);
	sl_buf_free(&q);
	return rc;
}
