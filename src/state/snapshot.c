/*
 * snapshot.c - snapshot reports in the state store (docs/state.md): one row
 * per run in snapshot_runs (with the whole report as JSON, the form
 * `sluice report` reads), and its tables, column rules and checks in
 * snapshot_tables, snapshot_columns and snapshot_checks. Written in one
 * transaction. Display names only: never a password, a value or the key.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sluice/error.h"
#include "sluice/snapshot.h"
#include "state_int.h"
#include "sluice/util.h"

static const char snapshot_sql[] = "CREATE TABLE IF NOT EXISTS snapshot_runs ("
				   " id INTEGER PRIMARY KEY,"
				   " started_at TEXT NOT NULL,"
				   " finished_at TEXT NOT NULL,"
				   " source TEXT NOT NULL,"
				   " target TEXT NOT NULL,"
				   " copy_run_id TEXT,"
				   " subset TEXT,"
				   " keyed INTEGER NOT NULL,"
				   " status TEXT NOT NULL,"
				   " rows INTEGER NOT NULL,"
				   " orphans INTEGER NOT NULL,"
				   " duplicates INTEGER NOT NULL,"
				   " leaks INTEGER NOT NULL,"
				   " coincidences INTEGER NOT NULL,"
				   " seconds REAL NOT NULL,"
				   " report TEXT NOT NULL);"
				   "CREATE TABLE IF NOT EXISTS snapshot_tables ("
				   " run_id INTEGER NOT NULL REFERENCES snapshot_runs (id),"
				   " table_name TEXT NOT NULL,"
				   " target_name TEXT NOT NULL,"
				   " source_rows INTEGER,"
				   " chosen INTEGER,"
				   " written INTEGER);"
				   "CREATE TABLE IF NOT EXISTS snapshot_columns ("
				   " run_id INTEGER NOT NULL REFERENCES snapshot_runs (id),"
				   " table_name TEXT NOT NULL,"
				   " column_name TEXT NOT NULL,"
				   " rule TEXT NOT NULL,"
				   " masked INTEGER NOT NULL,"
				   " flagged TEXT);"
				   "CREATE TABLE IF NOT EXISTS snapshot_checks ("
				   " run_id INTEGER NOT NULL REFERENCES snapshot_runs (id),"
				   " kind TEXT NOT NULL,"
				   " table_name TEXT NOT NULL,"
				   " object TEXT NOT NULL,"
				   " found INTEGER NOT NULL,"
				   " allowed INTEGER NOT NULL,"
				   " checked INTEGER NOT NULL,"
				   " ok INTEGER NOT NULL,"
				   " detail TEXT);";

int sl_state_snapshot_schema(sl_conn *c)
{
	return sl_conn_exec(c, snapshot_sql);
}

/* Appends ", 'text'" (or ", NULL"). */
static int text(sl_state *s, sl_buf *b, const char *t)
{
	sl_value v = t ? sl_text(t) : sl_null();
	int rc = sl_buf_puts(b, ", ");
	return rc ? rc : sl_conn_quote_literal(s->conn, b, &v);
}

static const char *kind_name(sl_snapshot_check_kind k)
{
	return k == SL_SNAPSHOT_ORPHANS ? "orphans" : k == SL_SNAPSHOT_UNIQUE ? "unique" : "leak";
}

static int add_run(sl_state *s, const sl_snapshot_report *r, int64_t *id)
{
	sl_buf b = SL_BUF_INIT, json = SL_BUF_INIT;
	char now[32];
	sl_now_utc_text(now, sizeof(now), 'T', 0);
	const char *status = r->ok ? "ok" : r->copy && r->copy->finished ? "problems" : "stopped";
	int rc = sl_snapshot_report_json(&json, r);
	if (!rc)
		rc = sl_buf_puts(
			&b,
			"INSERT INTO snapshot_runs (started_at, finished_at, source, target, copy_run_id, "
			"subset, keyed, status, rows, orphans, duplicates, leaks, coincidences, seconds, "
			"report) VALUES (");
	if (!rc) {
		sl_value v = sl_text(r->started_at ? r->started_at : now);
		rc = sl_conn_quote_literal(s->conn, &b, &v);
	}
	if (!rc)
		rc = text(s, &b, now);
	if (!rc)
		rc = text(s, &b, r->source ? r->source : "");
	if (!rc)
		rc = text(s, &b, r->target ? r->target : "");
	if (!rc)
		rc = text(s, &b, r->copy ? r->copy->run_id : NULL);
	if (!rc)
		rc = text(s, &b, r->subset);
	if (!rc)
		rc = sl_buf_printf(&b, ", %d", r->keyed ? 1 : 0);
	if (!rc)
		rc = text(s, &b, status);
	if (!rc)
		rc = sl_buf_printf(&b, ", %lld, %lld, %lld, %lld, %lld, %.3f", (long long)r->rows,
				   (long long)r->orphans, (long long)r->duplicates, (long long)r->leaks,
				   (long long)r->coincidences, r->seconds);
	if (!rc)
		rc = text(s, &b, sl_buf_cstr(&json));
	if (!rc)
		rc = sl_buf_putc(&b, ')');
	if (!rc)
		rc = sl_conn_exec(s->conn, b.ptr);
	if (!rc)
		rc = sl_conn_query_int(s->conn, "SELECT last_insert_rowid()", id);
	sl_buf_free(&b);
	sl_buf_free(&json);
	return rc;
}

static int add_rows(sl_state *s, const sl_snapshot_report *r, int64_t id)
{
	sl_buf b = SL_BUF_INIT;
	int rc = 0;
	for (size_t i = 0; !rc && i < r->ntables; i++) {
		const sl_snapshot_table *t = &r->tables[i];
		sl_buf_clear(&b);
		rc = sl_buf_printf(&b, "INSERT INTO snapshot_tables VALUES (%lld", (long long)id);
		if (!rc)
			rc = text(s, &b, t->table);
		if (!rc)
			rc = text(s, &b, t->target);
		if (!rc)
			rc = sl_buf_printf(&b, ", %lld, %lld, %lld)", (long long)t->source_rows,
					   (long long)t->chosen, (long long)t->written);
		if (!rc)
			rc = sl_conn_exec(s->conn, b.ptr);
	}
	for (size_t i = 0; !rc && i < r->ncolumns; i++) {
		const sl_snapshot_column *c = &r->columns[i];
		sl_buf_clear(&b);
		rc = sl_buf_printf(&b, "INSERT INTO snapshot_columns VALUES (%lld", (long long)id);
		if (!rc)
			rc = text(s, &b, c->table);
		if (!rc)
			rc = text(s, &b, c->column);
		if (!rc)
			rc = text(s, &b, c->rule);
		if (!rc)
			rc = sl_buf_printf(&b, ", %lld", (long long)c->masked);
		if (!rc)
			rc = text(s, &b, c->flagged);
		if (!rc)
			rc = sl_buf_putc(&b, ')');
		if (!rc)
			rc = sl_conn_exec(s->conn, b.ptr);
	}
	for (size_t i = 0; !rc && i < r->nchecks; i++) {
		const sl_snapshot_check *c = &r->checks[i];
		sl_buf_clear(&b);
		rc = sl_buf_printf(&b, "INSERT INTO snapshot_checks VALUES (%lld", (long long)id);
		if (!rc)
			rc = text(s, &b, kind_name(c->kind));
		if (!rc)
			rc = text(s, &b, c->table);
		if (!rc)
			rc = text(s, &b, c->object);
		if (!rc)
			rc = sl_buf_printf(&b, ", %lld, %lld, %lld, %d", (long long)c->found,
					   (long long)c->allowed, (long long)c->checked, c->ok ? 1 : 0);
		if (!rc)
			rc = text(s, &b, c->detail);
		if (!rc)
			rc = sl_buf_putc(&b, ')');
		if (!rc)
			rc = sl_conn_exec(s->conn, b.ptr);
	}
	sl_buf_free(&b);
	return rc;
}

int sl_state_snapshot_add(sl_state *s, const sl_snapshot_report *r, int64_t *out_id)
{
	int64_t id = 0;
	int rc = sl_conn_begin(s->conn);
	if (!rc)
		rc = add_run(s, r, &id);
	if (!rc)
		rc = add_rows(s, r, id);
	if (!rc)
		rc = sl_conn_commit(s->conn);
	else if (sl_conn_in_transaction(s->conn))
		sl_conn_rollback(s->conn);
	if (rc)
		sl_error_prefix("record the snapshot report in \"%s\"", s->path);
	else if (out_id)
		*out_id = id;
	return rc;
}
