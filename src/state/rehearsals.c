/*
 * rehearsals.c - rehearsals in the state store (include/sluice/state.h,
 * docs/state.md): one row per `sluice rehearse` in rehearsals, written when
 * it starts and completed with its verdict, so a killed rehearsal shows as
 * unfinished; one row per rehearsed migration in rehearsal_migrations. The
 * whole report is kept as JSON text: every figure, readable back with
 * `sluice rehearse --latest --json`.
 */
#include "state/state_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"

int sl_state_rehearsal_begin(sl_state *s, int64_t *out_id, const char *environment, const char *engine)
{
	char now[40];
	sl_buf sql = SL_BUF_INIT;
	sl_state_now_utc(now, sizeof(now));
	int rc = sl_buf_puts(&sql, "INSERT INTO rehearsals (started_at, environment, engine) VALUES (");
	if (!rc)
		rc = sl_state_put_text(s, &sql, now);
	if (!rc)
		rc = sl_buf_puts(&sql, ", ");
	if (!rc)
		rc = sl_state_put_text(s, &sql, environment ? environment : "");
	if (!rc)
		rc = sl_buf_puts(&sql, ", ");
	if (!rc)
		rc = sl_state_put_text(s, &sql, engine);
	if (!rc)
		rc = sl_buf_puts(&sql, ")");
	if (!rc)
		rc = sl_conn_exec(s->conn, sl_buf_cstr(&sql));
	if (!rc)
		rc = sl_conn_query_int(s->conn, "SELECT last_insert_rowid()", out_id);
	sl_buf_free(&sql);
	if (rc)
		sl_error_prefix("record rehearsal in \"%s\"", s->path);
	return rc;
}

static int add_migration(sl_state *s, int64_t id, const sl_state_rehearsal_mig *m)
{
	sl_buf sql = SL_BUF_INIT;
	int rc = sl_buf_printf(
		&sql,
		"INSERT INTO rehearsal_migrations (rehearsal_id, migration, checksum, up_ms, down_ms, "
		"rewrites, exclusive_lock_ms) VALUES (%lld, ",
		(long long)id);
	if (!rc)
		rc = sl_state_put_text(s, &sql, m->id);
	if (!rc)
		rc = sl_buf_puts(&sql, ", ");
	if (!rc)
		rc = sl_state_put_text(s, &sql, m->checksum);
	if (!rc)
		rc = sl_buf_printf(&sql, ", %lld, %lld, %lld, %lld)", (long long)m->up_ms,
				   (long long)m->down_ms, (long long)m->rewrites,
				   (long long)m->exclusive_lock_ms);
	if (!rc)
		rc = sl_conn_exec(s->conn, sl_buf_cstr(&sql));
	sl_buf_free(&sql);
	return rc;
}

int sl_state_rehearsal_finish(sl_state *s, int64_t id, const sl_state_rehearsal *r)
{
	char now[40];
	sl_buf sql = SL_BUF_INIT;
	sl_state_now_utc(now, sizeof(now));
	int rc = sl_conn_begin(s->conn);
	if (!rc)
		rc = sl_buf_puts(&sql, "UPDATE rehearsals SET finished_at = ");
	if (!rc)
		rc = sl_state_put_text(s, &sql, now);
	const char *cols[] = { ", verdict = ", ", migrations_key = ", ", failed = ", ", report = " };
	const char *vals[] = { r->verdict, r->migrations_key, r->failed_json, r->report_json };
	for (size_t i = 0; !rc && i < 4; i++) {
		rc = sl_buf_puts(&sql, cols[i]);
		if (!rc)
			rc = sl_state_put_text(s, &sql, vals[i]);
	}
	if (!rc)
		rc = sl_buf_printf(&sql, ", total_ms = %lld WHERE id = %lld", (long long)r->total_ms,
				   (long long)id);
	if (!rc)
		rc = sl_conn_exec(s->conn, sl_buf_cstr(&sql));
	for (size_t i = 0; !rc && i < r->nmigrations; i++)
		rc = add_migration(s, id, &r->migrations[i]);
	if (!rc)
		rc = sl_conn_commit(s->conn);
	else if (sl_conn_in_transaction(s->conn))
		sl_conn_rollback(s->conn);
	sl_buf_free(&sql);
	if (rc)
		sl_error_prefix("record rehearsal %lld in \"%s\"", (long long)id, s->path);
	return rc;
}

/* Copies a text cell, NULL for SQL NULL. */
static char *cell(const sl_value *v)
{
	if (v->type == SL_V_NULL)
		return NULL;
	sl_buf b = SL_BUF_INIT;
	if (sl_value_format(&b, v)) {
		sl_buf_free(&b);
		return NULL;
	}
	return sl_buf_detach(&b);
}

static json_t *text_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

int sl_state_rehearsal_latest(sl_state *s, const char *environment, char **out)
{
	sl_buf sql = SL_BUF_INIT;
	sl_cursor *cur = NULL;
	sl_batch b = { 0 };
	json_t *o = NULL;
	char *c[10] = { 0 };
	*out = NULL;
	int rc = sl_buf_puts(&sql, "SELECT id, started_at, finished_at, environment, engine, verdict, "
				   "migrations_key, failed, total_ms, report FROM rehearsals");
	if (!rc && environment) {
		rc = sl_buf_puts(&sql, " WHERE environment = ");
		if (!rc)
			rc = sl_state_put_text(s, &sql, environment);
	}
	if (!rc)
		rc = sl_buf_puts(&sql, " ORDER BY id DESC LIMIT 1");
	if (!rc)
		rc = sl_conn_query(&cur, s->conn, sl_buf_cstr(&sql));
	if (!rc)
		rc = sl_batch_init(&b, sl_cursor_ncols(cur), 1);
	int n = rc ? 0 : sl_cursor_fetch(cur, &b, 1);
	if (n < 0)
		rc = n;
	if (rc || n == 0)
		goto done;
	for (size_t i = 0; i < 10; i++)
		c[i] = cell(&sl_batch_row(&b, 0)[i]);
	o = json_object();
	json_error_t jerr;
	json_t *failed = c[7] ? json_loads(c[7], 0, &jerr) : NULL;
	json_t *report = c[9] ? json_loads(c[9], 0, &jerr) : NULL;
	json_object_set_new(o, "id", json_integer(c[0] ? strtoll(c[0], NULL, 10) : 0));
	json_object_set_new(o, "started_at", text_or_null(c[1]));
	json_object_set_new(o, "finished_at", text_or_null(c[2]));
	json_object_set_new(o, "environment", text_or_null(c[3]));
	json_object_set_new(o, "engine", text_or_null(c[4]));
	json_object_set_new(o, "verdict", text_or_null(c[5]));
	json_object_set_new(o, "migrations_key", text_or_null(c[6]));
	json_object_set_new(o, "failed", failed ? failed : json_array());
	json_object_set_new(o, "total_ms", c[8] ? json_integer(strtoll(c[8], NULL, 10)) : json_null());
	json_object_set_new(o, "report", report ? report : json_null());
	*out = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!*out)
		rc = sl_error_nomem();
done:
	for (size_t i = 0; i < 10; i++)
		free(c[i]);
	json_decref(o);
	sl_cursor_close(cur);
	sl_batch_free(&b);
	sl_buf_free(&sql);
	if (rc)
		sl_error_prefix("read rehearsals in \"%s\"", s->path);
	return rc;
}

int sl_state_rehearsal_go(sl_state *s, const char *key, double max_age_days, int64_t *out_id)
{
	sl_buf sql = SL_BUF_INIT;
	*out_id = 0;
	int rc = sl_buf_puts(&sql, "SELECT coalesce(max(id), 0) FROM rehearsals WHERE verdict = 'GO' "
				   "AND finished_at IS NOT NULL AND migrations_key = ");
	if (!rc)
		rc = sl_state_put_text(s, &sql, key);
	/* finished_at is ISO 8601 UTC with a Z; julianday() reads it */
	if (!rc && max_age_days > 0)
		rc = sl_buf_printf(&sql, " AND julianday('now') - julianday(finished_at) <= %.6f",
				   max_age_days);
	if (!rc)
		rc = sl_conn_query_int(s->conn, sl_buf_cstr(&sql), out_id);
	sl_buf_free(&sql);
	if (rc)
		sl_error_prefix("look up rehearsals in \"%s\"", s->path);
	return rc;
}
