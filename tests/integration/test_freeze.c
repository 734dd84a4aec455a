/*
 * test_freeze.c - write freeze fences on every engine (include/sluice/freeze.h):
 * a fenced table refuses inserts, updates and deletes from any session
 * (TRUNCATE too on PostgreSQL), a transaction marked with sl_freeze_pass
 * writes through it, a second fence on the same table is refused, the
 * fence stops denying by itself when its deadline passes (nothing lifts it),
 * and lifting it leaves no trigger, function or table behind.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sluice/freeze.h"

static void nap_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* Runs sql on c, expecting the fence to refuse it. */
static void denied(sl_conn *c, const char *sql)
{
	int rc = sl_conn_exec(c, sql);
	if (rc == 0)
		fail_msg("\"%s\" went through a freeze fence", sql);
	if (!strstr(sl_error_last()->message, "frozen for a cutover"))
		fail_msg("\"%s\": unexpected error: %s", sql, sl_error_last()->message);
	if (sl_conn_in_transaction(c))
		sl_conn_rollback(c);
}

static void leftovers(sl_conn *c, const char *where)
{
	sl_buf list = SL_BUF_INIT;
	SL_OK_OR_FAIL(sl_freeze_list(c, &list));
	if (list.len)
		fail_msg("%s: fence triggers left: %s", where, list.ptr);
	sl_buf_free(&list);
	int64_t n = 0;
	if (sl_conn_query_int(c, "SELECT count(*) FROM sluice_freeze", &n) == 0)
		fail_msg("%s: table sluice_freeze left behind", where);
}

static void run_engine(sl_test_engine e)
{
	if (!sl_test_available(e))
		return;
	char *url = sl_test_scratch_url(e);
	sl_conn *a = sl_test_open(url), *b = sl_test_open(url);
	const char *tables[] = { "acct", "note" };
	sl_freeze_state st;
	assert_true(sl_conn_has(a, SL_CAP_FREEZE));
	sl_test_exec(a, "CREATE TABLE acct (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)");
	sl_test_exec(a, "CREATE TABLE note (id INTEGER PRIMARY KEY, t VARCHAR(20))");
	sl_test_exec(a, "INSERT INTO acct VALUES (1, 10), (2, 20)");

	SL_OK_OR_FAIL(sl_freeze_install(a, "run1-billing", tables, 2, 60000, &st));
	assert_true(st.armed);
	assert_int_equal(st.fenced, 2);
	assert_true(st.deadline_us - st.started_us > 59000000 && st.deadline_us - st.started_us <= 60000000);
	denied(b, "INSERT INTO acct VALUES (3, 30)");
	denied(b, "UPDATE acct SET v = 11 WHERE id = 1");
	denied(b, "DELETE FROM acct WHERE id = 2");
	denied(b, "INSERT INTO note VALUES (1, 'x')");
	denied(a, "INSERT INTO acct VALUES (4, 40)");
	if (e == SL_TEST_PG)
		denied(b, "TRUNCATE acct");
	assert_int_equal(sl_test_int(b, "SELECT count(*) FROM acct"), 2);

	/* a passing transaction writes through; the next one does not */
	SL_OK_OR_FAIL(sl_conn_begin(b));
	SL_OK_OR_FAIL(sl_freeze_pass(b, true));
	sl_test_exec(b, "INSERT INTO acct VALUES (5, 50)");
	sl_test_exec(b, "UPDATE acct SET v = 12 WHERE id = 1");
	SL_OK_OR_FAIL(sl_freeze_pass(b, false));
	SL_OK_OR_FAIL(sl_conn_commit(b));
	assert_int_equal(sl_test_int(a, "SELECT count(*) FROM acct"), 3);
	assert_int_equal(sl_test_int(a, "SELECT v FROM acct WHERE id = 1"), 12);
	denied(b, "INSERT INTO acct VALUES (6, 60)");

	/* one fence per table */
	const char *one[] = { "acct" };
	assert_int_equal(sl_freeze_install(b, "run2-other", one, 1, 1000, NULL), SL_ECONFLICT);
	assert_non_null(strstr(sl_error_last()->message, "already carries a freeze fence"));

	int64_t ended = 0;
	SL_OK_OR_FAIL(sl_freeze_lift(a, "run1-billing", tables, 2, &ended));
	assert_true(ended >= st.started_us);
	sl_test_exec(b, "INSERT INTO acct VALUES (7, 70)");
	leftovers(a, "after lift");
	SL_OK_OR_FAIL(sl_freeze_lift(a, "run1-billing", tables, 2, NULL)); /* idempotent */

	/* the deadline lifts it by itself: nothing removes the triggers here */
	SL_OK_OR_FAIL(sl_freeze_install(a, "run1-short", one, 1, 400, &st));
	denied(b, "INSERT INTO acct VALUES (8, 80)");
	nap_ms(700);
	sl_test_exec(b, "INSERT INTO acct VALUES (9, 90)");
	SL_OK_OR_FAIL(sl_freeze_read(b, "run1-short", one, 1, &st));
	assert_true(st.armed);
	assert_int_equal(st.fenced, 1);
	assert_true(st.now_us > st.deadline_us);
	SL_OK_OR_FAIL(sl_freeze_lift(b, "run1-short", one, 1, NULL));
	SL_OK_OR_FAIL(sl_freeze_read(b, "run1-short", one, 1, &st));
	assert_false(st.armed);
	assert_int_equal(st.fenced, 0);
	leftovers(b, "after the short fence");

	sl_conn_close(a);
	sl_conn_close(b);
	sl_test_scratch_drop(e, url);
}

static void test_sqlite(void **state)
{
	(void)state;
	run_engine(SL_TEST_SQLITE);
}

static void test_postgres(void **state)
{
	(void)state;
	run_engine(SL_TEST_PG);
}

static void test_mysql(void **state)
{
	(void)state;
	run_engine(SL_TEST_MY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sqlite),
		cmocka_unit_test(test_postgres),
		cmocka_unit_test(test_mysql),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
