/*
 * sqlite_sync.c - change capture and apply on SQLite (the sync hooks of
 * sys/driver.h; docs/sync.md explains the design).
 *
 * Row-level triggers write one change-log row per changed key (two when an
 * update changes the key) with json_array(); ts is a Julian day number
 * (julianday('now'): formatting a timestamp per row costs more than the rest). SQLite has one writer at a
 * time, so there are no late commits, and no transaction id: tx is NULL.
 * The log's seq is an INTEGER PRIMARY KEY without AUTOINCREMENT, which would
 * leave the sqlite_sequence table behind after `sync stop`. Apply stages rows
 * in a TEMP table and merges them with INSERT ... ON CONFLICT DO UPDATE;
 * PRAGMA foreign_keys = OFF while applying.
 */
#include "sluice/conn.h"
#include "sluice/error.h"
#include "sluice/sys/driver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int qi(sl_buf *b, const char *s)
{
	return sl_quote_ident_with(b, s, '"');
}

static int qs(sl_buf *b, const char *s)
{
	return sl_quote_string(b, s, strlen(s), false);
}

static int sq_log_create(sl_conn *c)
{
	return sl_conn_exec(c, "CREATE TABLE " SL_CAPTURE_LOG " ("
			       "seq INTEGER PRIMARY KEY, tbl TEXT NOT NULL, op TEXT NOT NULL, k TEXT,"
			       " tx INTEGER, ts REAL NOT NULL DEFAULT (julianday('now')))");
}

static int key_expr(sl_buf *b, const sl_capture_table *t, const char *alias)
{
	int rc = sl_buf_puts(b, "json_array(");
	for (size_t i = 0; !rc && i < t->nkey; i++) {
		rc = sl_buf_printf(b, "%s%s.", i ? ", " : "", alias);
		if (!rc)
			rc = qi(b, t->key[i]);
	}
	return rc ? rc : sl_buf_putc(b, ')');
}

/* INSERT INTO sluice_sync_log (tbl, op, k) VALUES ('t', 'op', json_array(alias.k...)); */
static int log_insert(sl_buf *b, const sl_capture_table *t, char op, const char *alias)
{
	int rc = sl_buf_puts(b, "INSERT INTO " SL_CAPTURE_LOG " (tbl, op, k) VALUES (");
	if (!rc)
		rc = qs(b, t->table);
	if (!rc)
		rc = sl_buf_printf(b, ", '%c', ", op);
	if (!rc)
		rc = key_expr(b, t, alias);
	return rc ? rc : sl_buf_puts(b, "); ");
}

static int trigger_head(sl_buf *b, const sl_capture_table *t, const char *sfx, const char *event)
{
	char name[80];
	snprintf(name, sizeof(name), "%s%s", t->name, sfx);
	int rc = sl_buf_puts(b, "CREATE TRIGGER ");
	if (!rc)
		rc = qi(b, name);
	if (!rc)
		rc = sl_buf_printf(b, " AFTER %s ON ", event);
	if (!rc)
		rc = qi(b, t->table);
	return rc ? rc : sl_buf_puts(b, " FOR EACH ROW ");
}

static int sq_log_session(sl_conn *c)
{
	(void)c;
	return 0; /* one writer at a time: nothing is ever uncommitted beside us */
}

/*
 * Four triggers: insert, update (new key), key change (old key, only WHEN the
 * key changed: a WHEN clause costs far less than a statement that inserts
 * nothing), delete.
 */
static int sq_capture_add(sl_conn *c, const sl_capture_table *t)
{
	sl_buf b = SL_BUF_INIT;
	int rc = trigger_head(&b, t, "_i", "INSERT");
	if (!rc)
		rc = sl_buf_puts(&b, "BEGIN ");
	if (!rc)
		rc = log_insert(&b, t, 'I', "NEW");
	if (!rc)
		rc = sl_buf_puts(&b, "END;\n");
	if (!rc)
		rc = trigger_head(&b, t, "_u", "UPDATE");
	if (!rc)
		rc = sl_buf_puts(&b, "BEGIN ");
	if (!rc)
		rc = log_insert(&b, t, 'U', "NEW");
	if (!rc)
		rc = sl_buf_puts(&b, "END;\n");
	if (!rc)
		rc = trigger_head(&b, t, "_k", "UPDATE");
	if (!rc)
		rc = sl_buf_puts(&b, "WHEN NOT (");
	for (size_t i = 0; !rc && i < t->nkey; i++) {
		rc = sl_buf_puts(&b, i ? " AND NEW." : "NEW.");
		if (!rc)
			rc = qi(&b, t->key[i]);
		if (!rc)
			rc = sl_buf_puts(&b, " IS OLD.");
		if (!rc)
			rc = qi(&b, t->key[i]);
	}
	if (!rc)
		rc = sl_buf_puts(&b, ") BEGIN ");
	if (!rc)
		rc = log_insert(&b, t, 'U', "OLD");
	if (!rc)
		rc = sl_buf_puts(&b, "END;\n");
	if (!rc)
		rc = trigger_head(&b, t, "_d", "DELETE");
	if (!rc)
		rc = sl_buf_puts(&b, "BEGIN ");
	if (!rc)
		rc = log_insert(&b, t, 'D', "OLD");
	if (!rc)
		rc = sl_buf_puts(&b, "END;\n");
	if (!rc)
		rc = sl_conn_exec(c, b.ptr);
	sl_buf_free(&b);
	return rc;
}

static int sq_capture_drop(sl_conn *c, const sl_capture_table *t)
{
	sl_buf b = SL_BUF_INIT;
	static const char *const sfx[] = { "_i", "_u", "_k", "_d" };
	int rc = 0;
	for (size_t i = 0; !rc && i < 4; i++) {
		char name[80];
		snprintf(name, sizeof(name), "%s%s", t->name, sfx[i]);
		rc = sl_buf_puts(&b, "DROP TRIGGER IF EXISTS ");
		if (!rc)
			rc = qi(&b, name);
		if (!rc)
			rc = sl_buf_puts(&b, ";\n");
	}
	if (!rc)
		rc = sl_conn_exec(c, b.ptr);
	sl_buf_free(&b);
	return rc;
}

static int sq_capture_list(sl_conn *c, sl_buf *out)
{
	return sl_capture_list_query(c,
				     "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'"
				     " AND name LIKE 'sluice\\_sync\\_%' ESCAPE '\\' ORDER BY 1, 2",
				     out);
}

static int col_list(sl_buf *b, const char *const *cols, size_t n)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < n; i++) {
		if (i)
			rc = sl_buf_puts(b, ", ");
		if (!rc)
			rc = qi(b, cols[i]);
	}
	return rc;
}

static int sq_stage_create(sl_conn *c, const char *table, const char *stage)
{
	sl_buf b = SL_BUF_INIT;
	int rc = sl_buf_puts(&b, "CREATE TEMP TABLE IF NOT EXISTS ");
	if (!rc)
		rc = qi(&b, stage);
	if (!rc)
		rc = sl_buf_puts(&b, " AS SELECT * FROM main.");
	if (!rc)
		rc = qi(&b, table);
	if (!rc)
		rc = sl_buf_puts(&b, " WHERE 0");
	if (!rc)
		rc = sl_conn_exec(c, b.ptr);
	sl_buf_free(&b);
	return rc;
}

static bool is_key(const char *col, const char *const *key, size_t nkey)
{
	for (size_t i = 0; i < nkey; i++)
		if (strcmp(col, key[i]) == 0)
			return true;
	return false;
}

static int sq_stage_merge(sl_conn *c, const char *table, const char *stage, const char *const *cols,
			  size_t ncols, const char *const *key, size_t nkey)
{
	sl_buf b = SL_BUF_INIT;
	int rc = sl_buf_puts(&b, "INSERT INTO main.");
	if (!rc)
		rc = qi(&b, table);
	if (!rc)
		rc = sl_buf_puts(&b, " (");
	if (!rc)
		rc = col_list(&b, cols, ncols);
	if (!rc)
		rc = sl_buf_puts(&b, ") SELECT ");
	if (!rc)
		rc = col_list(&b, cols, ncols);
	if (!rc)
		rc = sl_buf_puts(&b, " FROM temp.");
	if (!rc)
		rc = qi(&b, stage);
	if (!rc)
		rc = sl_buf_puts(&b, " WHERE true ON CONFLICT (");
	if (!rc)
		rc = col_list(&b, key, nkey);
	if (!rc)
		rc = sl_buf_puts(&b, ") DO ");
	size_t nset = 0;
	for (size_t i = 0; !rc && i < ncols; i++) {
		if (is_key(cols[i], key, nkey))
			continue;
		rc = sl_buf_puts(&b, nset++ ? ", " : "UPDATE SET ");
		if (!rc)
			rc = qi(&b, cols[i]);
		if (!rc)
			rc = sl_buf_puts(&b, " = excluded.");
		if (!rc)
			rc = qi(&b, cols[i]);
	}
	if (!rc && nset == 0)
		rc = sl_buf_puts(&b, "NOTHING");
	if (!rc)
		rc = sl_buf_puts(&b, "; DELETE FROM temp.");
	if (!rc)
		rc = qi(&b, stage);
	if (!rc)
		rc = sl_conn_exec(c, b.ptr);
	sl_buf_free(&b);
	return rc;
}

static int sq_apply_mode(sl_conn *c, bool replica)
{
	return sl_conn_exec(c, replica ? "PRAGMA foreign_keys = OFF" : "PRAGMA foreign_keys = ON");
}

const sl_sync_ops sl_sqlite_sync_ops = {
	.log_create = sq_log_create,
	.log_session = sq_log_session,
	.log_delete = sl_capture_log_delete_in,
	.capture_add = sq_capture_add,
	.capture_drop = sq_capture_drop,
	.capture_list = sq_capture_list,
	.stage_create = sq_stage_create,
	.stage_merge = sq_stage_merge,
	.apply_mode = sq_apply_mode,
};
