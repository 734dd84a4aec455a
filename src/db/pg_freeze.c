/*
 * pg_freeze.c - write freeze fences on PostgreSQL (the freeze hooks of
 * sys/driver.h; include/sluice/freeze.h has the contract).
 *
 * One statement-level BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE trigger
 * per table calls sluice_freeze_guard(token), a plpgsql function in the
 * schema that holds the fence table, with that schema written into its
 * body: an application session whose search_path differs still finds it.
 * The guard raises SQLSTATE 55000 (object_not_in_prerequisite_state) while
 * the token's deadline is ahead of clock_timestamp(). A transaction passes
 * with SET LOCAL sluice.freeze_pass = 'on', a setting that ends with it;
 * sync's applier, in session_replication_role = replica, fires no ordinary
 * trigger at all. Creating the triggers waits at most 10 s for the locks of
 * running transactions (lock_timeout), rather than queueing every writer
 * behind it indefinitely.
 */
#include "sluice/conn.h"
#include "sluice/error.h"
#include "sluice/sys/driver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW_US "(extract(epoch FROM clock_timestamp()) * 1000000)::bigint"

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

static int pg_clock(sl_conn *c, int64_t *now_us)
{
	return sl_conn_query_int(c, "SELECT " NOW_US, now_us);
}

/* CREATE OR REPLACE FUNCTION "schema".sluice_freeze_guard() ... */
static int guard_function(sl_buf *b, const char *schema)
{
	int rc = sl_buf_puts(b, "CREATE OR REPLACE FUNCTION ");
	if (!rc)
		rc = qualified(b, schema, "sluice_freeze_guard");
	if (!rc)
		rc = sl_buf_puts(
			b,
			"() RETURNS trigger LANGUAGE plpgsql AS $sluice$\n"
			"DECLARE d bigint;\n"
			"BEGIN\n"
			"  IF current_setting('sluice.freeze_pass', true) = 'on' THEN RETURN NULL; END IF;\n"
			"  SELECT deadline_us INTO d FROM ");
	if (!rc)
		rc = qualified(b, schema, SL_FREEZE_TABLE);
	if (!rc)
		rc = sl_buf_puts(
			b, " WHERE token = TG_ARGV[0];\n"
			   "  IF d IS NOT NULL AND d > " NOW_US " THEN\n"
			   "    RAISE EXCEPTION 'sluice: writes to \"%\" are frozen for a cutover (the fence "
			   "lifts by itself at %)', TG_TABLE_NAME, to_timestamp(d / 1000000.0)\n"
			   "      USING ERRCODE = '55000';\n"
			   "  END IF;\n"
			   "  RETURN NULL;\n"
			   "END $sluice$;\n");
	return rc;
}

static int pg_fence_add(sl_conn *c, const sl_fence_table *t)
{
	sl_buf b = SL_BUF_INIT;
	sl_value tok = sl_text(t->token);
	char *schema = NULL;
	int rc = sl_conn_query_text(c, "SELECT current_schema()", &schema);
	if (!rc && !schema)
		rc = sl_error_set(SL_EINVALID,
				  "no current schema to hold the freeze fence (search_path is empty)");
	if (!rc && sl_conn_in_transaction(c))
		rc = sl_conn_exec(c, "SET LOCAL lock_timeout = '10s'");
	if (!rc)
		rc = guard_function(&b, schema);
	if (!rc)
		rc = sl_buf_puts(&b, "CREATE TRIGGER ");
	if (!rc)
		rc = qi(&b, t->name);
	if (!rc)
		rc = sl_buf_puts(&b, " BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON ");
	if (!rc)
		rc = qualified(&b, t->schema, t->table);
	if (!rc)
		rc = sl_buf_puts(&b, " FOR EACH STATEMENT EXECUTE FUNCTION ");
	if (!rc)
		rc = qualified(&b, schema, "sluice_freeze_guard");
	if (!rc)
		rc = sl_buf_putc(&b, '(');
	if (!rc)
		rc = sl_conn_quote_literal(c, &b, &tok);
	if (!rc)
		rc = sl_buf_puts(&b, ")");
	if (!rc)
		rc = sl_conn_exec(c, b.ptr);
	free(schema);
	sl_buf_free(&b);
	return rc;
}

static int pg_fence_drop(sl_conn *c, const sl_fence_table *t)
{
	sl_buf b = SL_BUF_INIT;
	int rc = sl_buf_puts(&b, "DROP TRIGGER IF EXISTS ");
	if (!rc)
		rc = qi(&b, t->name);
	if (!rc)
		rc = sl_buf_puts(&b, " ON ");
	if (!rc)
		rc = qualified(&b, t->schema, t->table);
	if (!rc)
		rc = sl_conn_exec(c, b.ptr);
	sl_buf_free(&b);
	return rc;
}

static int pg_fence_list(sl_conn *c, sl_buf *out)
{
	return sl_capture_list_query(
		c,
		"SELECT r.relname, t.tgname FROM pg_trigger t JOIN pg_class r ON r.oid = t.tgrelid"
		" WHERE NOT t.tgisinternal AND left(t.tgname, 14) = 'sluice_freeze_' ORDER BY 1, 2",
		out);
}

static int pg_pass(sl_conn *c, bool on)
{
	/* a transaction-local setting: nothing to clear */
	return on ? sl_conn_exec(c, "SET LOCAL sluice.freeze_pass = 'on'") : 0;
}

static int pg_cleanup(sl_conn *c)
{
	return sl_conn_exec(c, "DROP FUNCTION IF EXISTS sluice_freeze_guard()");
}

const sl_freeze_ops sl_pg_freeze_ops = {
	.clock = pg_clock,
	.fence_add = pg_fence_add,
	.fence_drop = pg_fence_drop,
	.fence_list = pg_fence_list,
	.pass = pg_pass,
	.cleanup = pg_cleanup,
};
