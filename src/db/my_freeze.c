/*
 * my_freeze.c - write freeze fences on MySQL and MariaDB (the freeze hooks
 * of sys/driver.h; include/sluice/freeze.h has the contract).
 *
 * Three BEFORE triggers per table (INSERT, UPDATE, DELETE; MySQL 5.7.2 and
 * MariaDB 10.2.3 allow them beside sync's AFTER triggers) SIGNAL SQLSTATE
 * '45000' while the token's deadline is ahead of NOW(6) and the session did
 * not set @sluice_freeze_pass. TRUNCATE fires no trigger on MySQL: a fence
 * does not stop it. DDL commits as it goes: the tables are fenced one after
 * another. Creating a trigger waits at most 10 s for the metadata locks of
 * running transactions (lock_wait_timeout).
 */
#include "sluice/conn.h"
#include "sluice/error.h"
#include "sluice/sys/driver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW_US "CAST(UNIX_TIMESTAMP(NOW(6)) * 1000000 AS SIGNED)"

static int qi(sl_buf *b, const char *s)
{
	return sl_quote_ident_with(b, s, '`');
}

static int qs(sl_buf *b, const char *s)
{
	return sl_quote_string(b, s, strlen(s), true);
}

static int my_clock(sl_conn *c, int64_t *now_us)
{
	return sl_conn_query_int(c, "SELECT " NOW_US, now_us);
}

static int trigger(sl_buf *b, const sl_fence_table *t, const char *sfx, const char *event)
{
	char name[80], msg[128];
	snprintf(name, sizeof(name), "%s%s", t->name, sfx);
	/* MESSAGE_TEXT holds at most 128 characters */
	snprintf(msg, sizeof(msg), "sluice: writes to \"%.60s\" are frozen for a cutover", t->table);
	int rc = sl_buf_puts(b, "CREATE TRIGGER ");
	if (!rc)
		rc = qi(b, name);
	if (!rc)
		rc = sl_buf_printf(b, " BEFORE %s ON ", event);
	if (!rc)
		rc = qi(b, t->table);
	if (!rc)
		rc = sl_buf_puts(b, " FOR EACH ROW BEGIN IF @sluice_freeze_pass IS NULL AND EXISTS (SELECT 1 "
				    "FROM " SL_FREEZE_TABLE " WHERE token = ");
	if (!rc)
		rc = qs(b, t->token);
	if (!rc)
		rc = sl_buf_puts(b, " AND deadline_us > " NOW_US
				    ") THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = ");
	if (!rc)
		rc = qs(b, msg);
	return rc ? rc : sl_buf_puts(b, "; END IF; END");
}

static int my_fence_add(sl_conn *c, const sl_fence_table *t)
{
	sl_buf b = SL_BUF_INIT;
	static const char *const sfx[] = { "_i", "_u", "_d" }, *const ev[] = { "INSERT", "UPDATE", "DELETE" };
	int rc = sl_conn_exec(c, "SET SESSION lock_wait_timeout = 10");
	for (size_t i = 0; !rc && i < 3; i++) {
		sl_buf_clear(&b);
		rc = trigger(&b, t, sfx[i], ev[i]);
		if (!rc)
			rc = sl_conn_exec(c, b.ptr);
	}
	sl_buf_free(&b);
	return rc;
}

static int my_fence_drop(sl_conn *c, const sl_fence_table *t)
{
	sl_buf b = SL_BUF_INIT;
	static const char *const sfx[] = { "_i", "_u", "_d" };
	int rc = 0;
	for (size_t i = 0; !rc && i < 3; i++) {
		char name[80];
		snprintf(name, sizeof(name), "%s%s", t->name, sfx[i]);
		sl_buf_clear(&b);
		rc = sl_buf_puts(&b, "DROP TRIGGER IF EXISTS ");
		if (!rc)
			rc = qi(&b, name);
		if (!rc)
			rc = sl_conn_exec(c, b.ptr);
	}
	sl_buf_free(&b);
	return rc;
}

static int my_fence_list(sl_conn *c, sl_buf *out)
{
	return sl_capture_list_query(
		c,
		"SELECT EVENT_OBJECT_TABLE, TRIGGER_NAME FROM information_schema.TRIGGERS"
		" WHERE TRIGGER_SCHEMA = DATABASE() AND LEFT(TRIGGER_NAME, 14) = 'sluice_freeze_'"
		" ORDER BY 1, 2",
		out);
}

static int my_pass(sl_conn *c, bool on)
{
	return sl_conn_exec(c, on ? "SET @sluice_freeze_pass = 1" : "SET @sluice_freeze_pass = NULL");
}

static int my_cleanup(sl_conn *c)
{
	(void)c;
	return 0;
}

const sl_freeze_ops sl_my_freeze_ops = {
	.clock = my_clock,
	.fence_add = my_fence_add,
	.fence_drop = my_fence_drop,
	.fence_list = my_fence_list,
	.pass = my_pass,
	.cleanup = my_cleanup,
};
