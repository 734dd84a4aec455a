/*
 * copies.c - copy and diff runs in the state store (docs/state.md, state
 * store version 7): copy_runs and copy_tables, one row per `sluice copy`
 * and per table it copied; diff_runs and diff_tables, one row per
 * `sluice diff` and per table it compared. The copy's own checkpoints stay
 * in the target (sluice_copy_state); these rows are the history `sluice
 * report` charts. Display names only: never a URL with a password.
 */
#include "state_int.h"

#include <stdio.h>
#include <string.h>

#include "sluice/copy.h"
#include "sluice/error.h"

/* Version 7 of the store's schema (state.c, migrate_schema). */
static const char copies_sql[] = "CREATE TABLE IF NOT EXISTS copy_runs ("
				 " id INTEGER PRIMARY KEY,"
				 " finished_at TEXT NOT NULL,"
				 " source TEXT NOT NULL,"
				 " target TEXT NOT NULL,"
				 " copy_run_id TEXT,"
				 " status TEXT NOT NULL,"
				 " table_count INTEGER NOT NULL,"
				 " rows_read INTEGER NOT NULL,"
				 " rows_written INTEGER NOT NULL,"
				 " rows_rejected INTEGER NOT NULL,"
				 " values_changed INTEGER NOT NULL,"
				 " constraint_problems INTEGER NOT NULL,"
				 " not_created INTEGER NOT NULL,"
				 " seconds REAL NOT NULL,"
				 " error TEXT);"
				 "CREATE TABLE IF NOT EXISTS copy_tables ("
				 " run_id INTEGER NOT NULL REFERENCES copy_runs (id),"
				 " table_name TEXT NOT NULL,"
				 " target_name TEXT,"
				 " rows_read INTEGER NOT NULL,"
				 " rows_written INTEGER NOT NULL,"
				 " rows_rejected INTEGER NOT NULL,"
				 " values_changed INTEGER NOT NULL,"
				 " done INTEGER NOT NULL,"
				 " error TEXT);"
				 "CREATE TABLE IF NOT EXISTS diff_runs ("
				 " id INTEGER PRIMARY KEY,"
				 " finished_at TEXT NOT NULL,"
				 " source TEXT NOT NULL,"
				 " target TEXT NOT NULL,"
				 " status TEXT NOT NULL,"
				 " table_count INTEGER NOT NULL,"
				 " discrepancies INTEGER NOT NULL,"
				 " threshold INTEGER NOT NULL,"
				 " errors INTEGER NOT NULL,"
				 " seconds REAL NOT NULL);"
				 "CREATE TABLE IF NOT EXISTS diff_tables ("
				 " run_id INTEGER NOT NULL REFERENCES diff_runs (id),"
				 " table_name TEXT NOT NULL,"
				 " source_rows INTEGER,"
				 " target_rows INTEGER,"
				 " missing INTEGER NOT NULL,"
				 " extra INTEGER NOT NULL,"
				 " changed INTEGER NOT NULL,"
				 " note TEXT)";

int sl_state_copies_schema(sl_conn *c)
{
	return sl_conn_exec(c, copies_sql);
}

/* Appends ", 'text'" (or ", NULL"). */
static int text(sl_state *s, sl_buf *b, const char *t)
{
	int rc = sl_buf_puts(b, ", ");
	return rc ? rc : sl_state_put_text(s, b, t);
}

/* Runs b's INSERT and puts the new row's id in *id (may be NULL). */
static int insert(sl_state *s, sl_buf *b, int64_t *id)
{
	int rc = sl_conn_exec(s->conn, sl_buf_cstr(b));
	if (!rc && id)
		rc = sl_conn_query_int(s->conn, "SELECT last_insert_rowid()", id);
	return rc;
}

static const char *copy_status(const sl_copy_result *r, const char *error)
{
	return r->finished ? (r->rejected || r->nviolations ? "problems" : "finished")
	       : r->halted ? "halted"
	       : r->failed ? "incomplete"
	       : error     ? "failed"
			   : "stopped";
}

static int copy_table(sl_state *s, sl_buf *b, int64_t id, const sl_copy_table_result *t)
{
	sl_buf_clear(b);
	int rc = sl_buf_printf(b, "INSERT INTO copy_tables VALUES (%lld", (long long)id);
	if (!rc)
		rc = text(s, b, t->table);
	if (!rc)
		rc = text(s, b, t->target);
	if (!rc)
		rc = sl_buf_printf(b, ", %lld, %lld, %lld, %lld, %d", (long long)t->read,
				   (long long)t->written, (long long)t->rejected, (long long)t->changed,
				   t->done ? 1 : 0);
	if (!rc)
		rc = text(s, b, t->error);
	if (!rc)
		rc = sl_buf_putc(b, ')');
	return rc ? rc : insert(s, b, NULL);
}

int sl_state_copy_record(sl_state *s, const sl_copy_result *r, const char *source, const char *target,
			 const char *error, int64_t *out_id)
{
	sl_buf b = SL_BUF_INIT;
	char now[40];
	int64_t id = 0;
	sl_state_now_utc(now, sizeof(now));
	int rc = sl_conn_begin(s->conn);
	if (!rc)
		rc = sl_buf_puts(&b,
				 "INSERT INTO copy_runs (finished_at, source, target, copy_run_id, status, "
				 "table_count, rows_read, rows_written, rows_rejected, values_changed, "
				 "constraint_problems, not_created, seconds, error) VALUES (");
	if (!rc)
		rc = sl_state_put_text(s, &b, now);
	if (!rc)
		rc = text(s, &b, source ? source : "");
	if (!rc)
		rc = text(s, &b, target ? target : "");
	if (!rc)
		rc = text(s, &b, r->run_id);
	if (!rc)
		rc = text(s, &b, copy_status(r, error));
	if (!rc)
		rc = sl_buf_printf(&b, ", %zu, %lld, %lld, %lld, %lld, %zu, %zu, %.3f", r->ntables,
				   (long long)r->read, (long long)r->written, (long long)r->rejected,
				   (long long)r->changed, r->nviolations, r->failed, r->seconds);
	if (!rc)
		rc = text(s, &b, error);
	if (!rc)
		rc = sl_buf_putc(&b, ')');
	if (!rc)
		rc = insert(s, &b, &id);
	for (size_t i = 0; !rc && i < r->ntables; i++)
		rc = copy_table(s, &b, id, &r->tables[i]);
	if (!rc)
		rc = sl_conn_commit(s->conn);
	else if (sl_conn_in_transaction(s->conn))
		sl_conn_rollback(s->conn);
	sl_buf_free(&b);
	if (rc)
		sl_error_prefix("record the copy in \"%s\"", s->path);
	else if (out_id)
		*out_id = id;
	return rc;
}

static int diff_table(sl_state *s, sl_buf *b, int64_t id, const sl_state_diff_table *t)
{
	sl_buf_clear(b);
	int rc = sl_buf_printf(b, "INSERT INTO diff_tables VALUES (%lld", (long long)id);
	if (!rc)
		rc = text(s, b, t->table);
	if (!rc)
		rc = sl_buf_printf(b, ", %lld, %lld, %lld, %lld, %lld", (long long)t->source_rows,
				   (long long)t->target_rows, (long long)t->missing, (long long)t->extra,
				   (long long)t->changed);
	if (!rc)
		rc = text(s, b, t->note);
	if (!rc)
		rc = sl_buf_putc(b, ')');
	return rc ? rc : insert(s, b, NULL);
}

int sl_state_diff_record(sl_state *s, const sl_state_diff *d, int64_t *out_id)
{
	sl_buf b = SL_BUF_INIT;
	char now[40];
	int64_t id = 0;
	sl_state_now_utc(now, sizeof(now));
	int rc = sl_conn_begin(s->conn);
	if (!rc)
		rc = sl_buf_puts(&b,
				 "INSERT INTO diff_runs (finished_at, source, target, status, table_count, "
				 "discrepancies, threshold, errors, seconds) VALUES (");
	if (!rc)
		rc = sl_state_put_text(s, &b, now);
	if (!rc)
		rc = text(s, &b, d->source ? d->source : "");
	if (!rc)
		rc = text(s, &b, d->target ? d->target : "");
	if (!rc)
		rc = text(s, &b, d->status ? d->status : "ok");
	if (!rc)
		rc = sl_buf_printf(&b, ", %zu, %lld, %lld, %zu, %.3f)", d->ntables,
				   (long long)d->discrepancies, (long long)d->threshold, d->errors,
				   d->seconds);
	if (!rc)
		rc = insert(s, &b, &id);
	for (size_t i = 0; !rc && i < d->ntables; i++)
		rc = diff_table(s, &b, id, &d->tables[i]);
	if (!rc)
		rc = sl_conn_commit(s->conn);
	else if (sl_conn_in_transaction(s->conn))
		sl_conn_rollback(s->conn);
	sl_buf_free(&b);
	if (rc)
		sl_error_prefix("record the diff in \"%s\"", s->path);
	else if (out_id)
		*out_id = id;
	return rc;
}
