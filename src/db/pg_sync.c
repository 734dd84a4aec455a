/*
 * pg_sync.c - change capture and apply on PostgreSQL (the sync hooks of
 * sys/driver.h; docs/sync.md explains the design).
 *
 * Capture is one plpgsql function per table behind three statement-level
 * AFTER triggers with transition tables, so a bulk statement writes the
 * change log with one INSERT ... SELECT rather than one per row. The log
 * keeps the writing transaction's id (xid8, pg_current_xact_id()).
 * Apply stages rows in a temporary table (filled by COPY) and merges them
 * with INSERT ... ON CONFLICT DO UPDATE; session_replication_role = replica
 * turns off foreign key checks and user triggers while applying.
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

static int qualified(sl_buf *b, const char *schema, const char *table)
{
	int rc = 0;
	if (schema && *schema) {
		rc = qi(b, schema);
		if (!rc)
			rc = sl_buf_putc(b, '.');
	}
	return rc ? rc : qi(b, table);
}

static int pg_log_create(sl_conn *c)
{
	return sl_conn_exec(c,
			    "CREATE TABLE " SL_CAPTURE_LOG " ("
			    "seq bigserial PRIMARY KEY, tbl text NOT NULL, op char(1) NOT NULL, k text,"
			    " tx xid8 DEFAULT pg_current_xact_id(), ts timestamptz NOT NULL DEFAULT now())");
}

/* json_build_array(alias."k1", alias."k2")::text */
static int key_expr(sl_buf *b, const sl_capture_table *t, const char *alias)
{
	int rc = sl_buf_puts(b, "json_build_array(");
	for (size_t i = 0; !rc && i < t->nkey; i++) {
		rc = sl_buf_printf(b, "%s%s.", i ? ", " : "", alias);
		if (!rc)
			rc = qi(b, t->key[i]);
	}
	return rc ? rc : sl_buf_puts(b, ")::text");
}

/* INSERT INTO log (tbl, op, k) SELECT 'table', 'op', <key> FROM alias_table alias */
static int log_insert(sl_buf *b, const sl_buf *log, const sl_capture_table *t, char op, const char *from,
		      const char *alias)
{
	sl_value name = sl_text(t->table);
	int rc = sl_buf_printf(b, "INSERT INTO %s (tbl, op, k) SELECT ", log->ptr);
	if (!rc)
		rc = sl_quote_string(b, name.u.s.ptr, name.u.s.len, false);
	if (!rc)
		rc = sl_buf_printf(b, ", '%c', ", op);
	if (!rc)
		rc = key_expr(b, t, alias);
	return rc ? rc : sl_buf_printf(b, " FROM %s %s;\n", from, alias);
}

static int pg_log_session(sl_conn *c)
{
	(void)c;
	return 0; /* READ COMMITTED is the default; rows being inserted lock nothing we read */
}

static int pg_capture_add(sl_conn *c, const sl_capture_table *t)
{
	sl_buf b = SL_BUF_INIT, log = SL_BUF_INIT, tab = SL_BUF_INIT, fn = SL_BUF_INIT;
	char *schema = NULL;
	int rc = sl_conn_query_text(c, "SELECT current_schema()", &schema);
	if (!rc)
		rc = qualified(&log, schema, SL_CAPTURE_LOG);
	if (!rc)
		rc = qualified(&tab, t->schema, t->table);
	if (!rc)
		rc = qualified(&fn, t->schema, t->name);
	if (!rc)
		rc = sl_buf_printf(
			&b,
			"CREATE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql AS $sluice$\nBEGIN\n"
			"IF TG_OP = 'INSERT' THEN\n",
			fn.ptr);
	if (!rc)
		rc = log_insert(&b, &log, t, 'I', "sluice_new", "n");
	if (!rc)
		rc = sl_buf_puts(&b, "ELSIF TG_OP = 'UPDATE' THEN\n");
	/* old and new keys, each once: equal when the key did not change */
	if (!rc) {
		sl_value name = sl_text(t->table);
		rc = sl_buf_printf(&b, "INSERT INTO %s (tbl, op, k) SELECT ", log.ptr);
		if (!rc)
			rc = sl_quote_string(&b, name.u.s.ptr, name.u.s.len, false);
		if (!rc)
			rc = sl_buf_puts(&b, ", 'U', x FROM (SELECT ");
		if (!rc)
			rc = key_expr(&b, t, "n");
		if (!rc)
			rc = sl_buf_puts(&b, " FROM sluice_new n UNION SELECT ");
		if (!rc)
			rc = key_expr(&b, t, "o");
		if (!rc)
			rc = sl_buf_puts(&b, " FROM sluice_old o) s (x);\n");
	}
	if (!rc)
		rc = sl_buf_puts(&b, "ELSE\n");
	if (!rc)
		rc = log_insert(&b, &log, t, 'D', "sluice_old", "o");
	if (!rc)
		rc = sl_buf_puts(&b, "END IF;\nRETURN NULL;\nEND\n$sluice$;\n");
	static const struct {
		const char *suffix, *event, *refs;
	} trg[] = {
		{ "_i", "INSERT", "NEW TABLE AS sluice_new" },
		{ "_u", "UPDATE", "OLD TABLE AS sluice_old NEW TABLE AS sluice_new" },
		{ "_d", "DELETE", "OLD TABLE AS sluice_old" },
	};
	for (size_t i = 0; !rc && i < 3; i++) {
		char name[80];
		snprintf(name, sizeof(name), "%s%s", t->name, trg[i].suffix);
		rc = sl_buf_puts(&b, "CREATE TRIGGER ");
		if (!rc)
			rc = qi(&b, name);
		if (!rc)
			rc = sl_buf_printf(
				&b,
				" AFTER %s ON %s REFERENCING %s FOR EACH STATEMENT EXECUTE FUNCTION "
				"%s();\n",
				trg[i].event, tab.ptr, trg[i].refs, fn.ptr);
	}
	if (!rc)
		rc = sl_conn_exec(c, b.ptr);
	free(schema);
	sl_buf_free(&b);
	sl_buf_free(&log);
	sl_buf_free(&tab);
	sl_buf_free(&fn);
	return rc;
}

static int pg_capture_drop(sl_conn *c, const sl_capture_table *t)
{
	sl_buf b = SL_BUF_INIT, tab = SL_BUF_INIT;
	int64_t exists = 0;
	int rc = qualified(&tab, t->schema, t->table);
	if (!rc) {
		rc = sl_buf_puts(&b, "SELECT count(*) FROM pg_class WHERE oid = to_regclass(");
		sl_value v = sl_text(tab.ptr);
		if (!rc)
			rc = sl_quote_string(&b, v.u.s.ptr, v.u.s.len, false);
		if (!rc)
			rc = sl_buf_putc(&b, ')');
		if (!rc)
			rc = sl_conn_query_int(c, b.ptr, &exists);
		sl_buf_clear(&b);
	}
	static const char *const sfx[] = { "_i", "_u", "_d" };
	for (size_t i = 0; !rc && exists && i < 3; i++) {
		char name[80];
		snprintf(name, sizeof(name), "%s%s", t->name, sfx[i]);
		rc = sl_buf_puts(&b, "DROP TRIGGER IF EXISTS ");
		if (!rc)
			rc = qi(&b, name);
		if (!rc)
			rc = sl_buf_printf(&b, " ON %s;\n", tab.ptr);
	}
	if (!rc)
		rc = sl_buf_puts(&b, "DROP FUNCTION IF EXISTS ");
	if (!rc)
		rc = qualified(&b, t->schema, t->name);
	if (!rc)
		rc = sl_buf_puts(&b, "()");
	if (!rc)
		rc = sl_conn_exec(c, b.ptr);
	sl_buf_free(&b);
	sl_buf_free(&tab);
	return rc;
}

static int pg_capture_list(sl_conn *c, sl_buf *out)
{
	return sl_capture_list_query(
		c,
		"SELECT r.relname, t.tgname FROM pg_trigger t JOIN pg_class r ON r.oid = t.tgrelid"
		" WHERE NOT t.tgisinternal AND t.tgname LIKE 'sluice\\_sync\\_%' ORDER BY 1, 2",
		out);
}

static int pg_stage_create(sl_conn *c, const char *table, const char *stage)
{
	sl_buf b = SL_BUF_INIT;
	int rc = sl_buf_puts(&b, "CREATE TEMPORARY TABLE IF NOT EXISTS ");
	if (!rc)
		rc = qi(&b, stage);
	if (!rc)
		rc = sl_buf_puts(&b, " (LIKE ");
	if (!rc)
		rc = qi(&b, table);
	if (!rc)
		rc = sl_buf_puts(&b, ")");
	if (!rc)
		rc = sl_conn_exec(c, b.ptr);
	sl_buf_free(&b);
	return rc;
}

static int col_list(sl_buf *b, const char *const *cols, size_t n, const char *prefix)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < n; i++) {
		rc = sl_buf_printf(b, "%s%s", i ? ", " : "", prefix);
		if (!rc)
			rc = qi(b, cols[i]);
	}
	return rc;
}

static bool is_key(const char *col, const char *const *key, size_t nkey)
{
	for (size_t i = 0; i < nkey; i++)
		if (strcmp(col, key[i]) == 0)
			return true;
	return false;
}

static int pg_stage_merge(sl_conn *c, const char *table, const char *stage, const char *const *cols,
			  size_t ncols, const char *const *key, size_t nkey)
{
	sl_buf b = SL_BUF_INIT;
	int rc = sl_buf_puts(&b, "INSERT INTO ");
	if (!rc)
		rc = qi(&b, table);
	if (!rc)
		rc = sl_buf_puts(&b, " (");
	if (!rc)
		rc = col_list(&b, cols, ncols, "");
	if (!rc)
		rc = sl_buf_puts(&b, ") OVERRIDING SYSTEM VALUE SELECT ");
	if (!rc)
		rc = col_list(&b, cols, ncols, "");
	if (!rc)
		rc = sl_buf_puts(&b, " FROM ");
	if (!rc)
		rc = qi(&b, stage);
	if (!rc)
		rc = sl_buf_puts(&b, " ON CONFLICT (");
	if (!rc)
		rc = col_list(&b, key, nkey, "");
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
			rc = sl_buf_puts(&b, " = EXCLUDED.");
		if (!rc)
			rc = qi(&b, cols[i]);
	}
	if (!rc && nset == 0)
		rc = sl_buf_puts(&b, "NOTHING");
	if (!rc)
		rc = sl_buf_puts(&b, ";\nDELETE FROM ");
	if (!rc)
		rc = qi(&b, stage);
	if (!rc)
		rc = sl_conn_exec(c, b.ptr);
	sl_buf_free(&b);
	return rc;
}

static int pg_apply_mode(sl_conn *c, bool replica)
{
	return sl_conn_exec(c, replica ? "SET session_replication_role = replica"
				       : "SET session_replication_role = DEFAULT");
}

const sl_sync_ops sl_pg_sync_ops = {
	.log_create = pg_log_create,
	.log_session = pg_log_session,
	.log_delete = sl_capture_log_delete_in,
	.capture_add = pg_capture_add,
	.capture_drop = pg_capture_drop,
	.capture_list = pg_capture_list,
	.stage_create = pg_stage_create,
	.stage_merge = pg_stage_merge,
	.apply_mode = pg_apply_mode,
};
