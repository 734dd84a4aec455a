/*
 * sqlite_freeze.c - write freeze fences on SQLite (the freeze hooks of
 * sys/driver.h; include/sluice/freeze.h has the contract).
 *
 * Three BEFORE triggers per table (INSERT, UPDATE, DELETE) RAISE(ABORT)
 * WHEN the fence's row has a deadline ahead of julianday('now') and the
 * writing transaction holds no row in sluice_freeze_pass. SQLite has no
 * session variables a trigger could read, but it has one writer at a time:
 * a row inserted into sluice_freeze_pass by the passing transaction and
 * deleted before it commits is seen by that transaction alone, and no other
 * connection can write meanwhile. A table-level DELETE without WHERE fires
 * the triggers too (SQLite drops the truncate optimisation when a table has
 * triggers).
 */
#include "sluice/conn.h"
#include "sluice/error.h"
#include "sluice/sys/driver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PASS_TABLE "sluice_freeze_pass"
/* the server's clock in UTC microseconds, as the triggers read it */
#define NOW_US "CAST((julianday('now') - 2440587.5) * 86400000000.0 AS INTEGER)"

static int qi(sl_buf *b, const char *s)
{
	return sl_quote_ident_with(b, s, '"');
}

static int qs(sl_buf *b, const char *s)
{
	return sl_quote_string(b, s, strlen(s), false);
}

static int sq_clock(sl_conn *c, int64_t *now_us)
{
	return sl_conn_query_int(c, "SELECT " NOW_US, now_us);
}

static int trigger(sl_buf *b, const sl_fence_table *t, const char *sfx, const char *event)
{
	char name[80];
	snprintf(name, sizeof(name), "%s%s", t->name, sfx);
	int rc = sl_buf_puts(b, "CREATE TRIGGER ");
	if (!rc)
		rc = qi(b, name);
	if (!rc)
		rc = sl_buf_printf(b, " BEFORE %s ON ", event);
	if (!rc)
		rc = qi(b, t->table);
	if (!rc)
		rc = sl_buf_puts(b, " FOR EACH ROW WHEN NOT EXISTS (SELECT 1 FROM " PASS_TABLE
				    ") AND EXISTS (SELECT 1 FROM " SL_FREEZE_TABLE " WHERE token = ");
	if (!rc)
		rc = qs(b, t->token);
	if (!rc)
		rc = sl_buf_puts(b, " AND deadline_us > " NOW_US ") BEGIN SELECT RAISE(ABORT, ");
	if (!rc) {
		char msg[400];
		snprintf(msg, sizeof(msg), "sluice: writes to \"%s\" are frozen for a cutover", t->table);
		rc = qs(b, msg);
	}
	return rc ? rc : sl_buf_puts(b, "); END;\n");
}

static int sq_fence_add(sl_conn *c, const sl_fence_table *t)
{
	sl_buf b = SL_BUF_INIT;
	int rc = sl_buf_puts(&b, "CREATE TABLE IF NOT EXISTS " PASS_TABLE " (x INTEGER);\n");
	if (!rc)
		rc = trigger(&b, t, "_i", "INSERT");
	if (!rc)
		rc = trigger(&b, t, "_u", "UPDATE");
	if (!rc)
		rc = trigger(&b, t, "_d", "DELETE");
	if (!rc)
		rc = sl_conn_exec(c, b.ptr);
	sl_buf_free(&b);
	return rc;
}

static int sq_fence_drop(sl_conn *c, const sl_fence_table *t)
{
	sl_buf b = SL_BUF_INIT;
	int rc = 0;
	static const char *const sfx[] = { "_i", "_u", "_d" };
	for (size_t i = 0; !rc && i < 3; i++) {
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

static int sq_fence_list(sl_conn *c, sl_buf *out)
{
	return sl_capture_list_query(c,
				     "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger' AND "
				     "substr(name, 1, 14) = 'sluice_freeze_' ORDER BY tbl_name, name",
				     out);
}

static int sq_pass(sl_conn *c, bool on)
{
	int64_t n = 0;
	int rc = sl_conn_query_int(
		c, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '" PASS_TABLE "'", &n);
	if (rc || n == 0)
		return rc;
	return sl_conn_exec(c, on ? "INSERT INTO " PASS_TABLE " VALUES (1)" : "DELETE FROM " PASS_TABLE);
}

static int sq_cleanup(sl_conn *c)
{
	return sl_conn_exec(c, "DROP TABLE IF EXISTS " PASS_TABLE);
}

const sl_freeze_ops sl_sqlite_freeze_ops = {
	.clock = sq_clock,
	.fence_add = sq_fence_add,
	.fence_drop = sq_fence_drop,
	.fence_list = sq_fence_list,
	.pass = sq_pass,
	.cleanup = sq_cleanup,
};
