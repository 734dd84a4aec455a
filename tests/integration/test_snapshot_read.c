/*
 * test_snapshot_read.c - the consistent-snapshot hooks of the drivers
 * (sl_conn_snapshot_export, sl_conn_snapshot_begin; sys/driver.h,
 * sl_snapshot_ops) and the transient error class, on real servers:
 *   - PostgreSQL: a snapshot exported by one session is read by another,
 *     which does not see rows committed after the export; once the exporting
 *     transaction ends, importing it fails with SL_ENOTFOUND and leaves no
 *     transaction open; a serialization failure is SL_ERRCLASS_TRANSIENT;
 *   - MariaDB: a consistent snapshot per session ("binlog off" here), not
 *     exportable (SL_EINVALID); a lock wait timeout is SL_ERRCLASS_TRANSIENT;
 *   - SQLite: neither capability; both calls say so.
 */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include "sluice/conn.h"

static void pg_snapshots(void **state)
{
	(void)state;
	if (!sl_test_available(SL_TEST_PG))
		return;
	char *url = sl_test_scratch_url(SL_TEST_PG);
	sl_conn *a = sl_test_open(url), *b = sl_test_open(url), *w = sl_test_open(url);
	char id[128], pos[64];
	assert_true(sl_conn_has(a, SL_CAP_SNAPSHOT_EXPORT));
	assert_true(sl_conn_has(a, SL_CAP_SNAPSHOT_READ));
	sl_test_exec(w, "CREATE TABLE t (id integer PRIMARY KEY, v text)");
	sl_test_exec(w, "INSERT INTO t VALUES (1, 'old')");

	SL_OK_OR_FAIL(sl_conn_snapshot_export(a, id, sizeof(id)));
	assert_true(sl_conn_in_transaction(a));
	assert_true(strlen(id) > 0);
	sl_test_exec(w, "INSERT INTO t VALUES (2, 'late')");
	sl_test_exec(w, "UPDATE t SET v = 'new' WHERE id = 1");

	SL_OK_OR_FAIL(sl_conn_snapshot_begin(b, id, pos, sizeof(pos)));
	assert_true(sl_conn_in_transaction(b));
	assert_string_equal(pos, "");
	assert_int_equal(sl_test_int(b, "SELECT count(*) FROM t"), 1);
	assert_int_equal(sl_test_int(b, "SELECT count(*) FROM t WHERE v = 'old'"), 1);
	SL_OK_OR_FAIL(sl_conn_commit(b));
	/* a snapshot of its own sees the present */
	SL_OK_OR_FAIL(sl_conn_snapshot_begin(b, NULL, pos, sizeof(pos)));
	assert_int_equal(sl_test_int(b, "SELECT count(*) FROM t"), 2);
	SL_OK_OR_FAIL(sl_conn_commit(b));

	/* the exporter's transaction ends: the snapshot is gone, and says so */
	SL_OK_OR_FAIL(sl_conn_commit(a));
	assert_int_equal(sl_conn_snapshot_begin(b, id, pos, sizeof(pos)), SL_ENOTFOUND);
	assert_non_null(strstr(sl_error_last()->message, "no longer exists"));
	assert_false(sl_conn_in_transaction(b));
	assert_int_equal(sl_test_int(b, "SELECT count(*) FROM t"), 2); /* the session still works */

	/* a serialization failure is transient */
	SL_OK_OR_FAIL(sl_conn_snapshot_begin(a, NULL, pos, sizeof(pos)));
	assert_int_equal(sl_test_int(a, "SELECT count(*) FROM t"), 2);
	SL_OK_OR_FAIL(sl_conn_rollback(a));
	sl_test_exec(a, "BEGIN ISOLATION LEVEL REPEATABLE READ");
	assert_int_equal(sl_test_int(a, "SELECT count(*) FROM t"), 2);
	sl_test_exec(w, "UPDATE t SET v = 'newer' WHERE id = 1");
	assert_int_equal(sl_conn_exec(a, "UPDATE t SET v = 'lost' WHERE id = 1"), SL_EDB);
	assert_string_equal(sl_error_last()->sqlstate, "40001");
	assert_true(sl_error_is(sl_error_last(), SL_ERRCLASS_TRANSIENT));
	sl_test_exec(a, "ROLLBACK");
	/* a data error is not */
	assert_int_equal(sl_conn_exec(w, "INSERT INTO t VALUES (1, 'dup')"), SL_EDB);
	assert_false(sl_error_is(sl_error_last(), SL_ERRCLASS_TRANSIENT));

	sl_conn_close(a);
	sl_conn_close(b);
	sl_conn_close(w);
	sl_test_scratch_drop(SL_TEST_PG, url);
}

static void my_snapshots(void **state)
{
	(void)state;
	if (!sl_test_available(SL_TEST_MY))
		return;
	char *url = sl_test_scratch_url(SL_TEST_MY);
	sl_conn *a = sl_test_open(url), *w = sl_test_open(url);
	char id[128], pos[160];
	assert_true(sl_conn_has(a, SL_CAP_SNAPSHOT_READ));
	assert_false(sl_conn_has(a, SL_CAP_SNAPSHOT_EXPORT));
	assert_int_equal(sl_conn_snapshot_export(a, id, sizeof(id)), SL_EINVALID);
	sl_test_exec(w, "CREATE TABLE t (id integer PRIMARY KEY, v varchar(10)) ENGINE = InnoDB");
	sl_test_exec(w, "INSERT INTO t VALUES (1, 'old')");

	SL_OK_OR_FAIL(sl_conn_snapshot_begin(a, NULL, pos, sizeof(pos)));
	assert_true(sl_conn_in_transaction(a));
	/* the test server runs without a binary log; with one, "file:position" */
	assert_string_equal(pos, "binlog off");
	sl_test_exec(w, "INSERT INTO t VALUES (2, 'late')");
	assert_int_equal(sl_test_int(a, "SELECT count(*) FROM t"), 1);
	SL_OK_OR_FAIL(sl_conn_commit(a));
	assert_int_equal(sl_test_int(a, "SELECT count(*) FROM t"), 2);

	/* a lock wait timeout is transient */
	sl_test_exec(w, "START TRANSACTION");
	sl_test_exec(w, "UPDATE t SET v = 'held' WHERE id = 1");
	sl_test_exec(a, "SET SESSION innodb_lock_wait_timeout = 1");
	assert_int_equal(sl_conn_exec(a, "UPDATE t SET v = 'waits' WHERE id = 1"), SL_EDB);
	assert_int_equal(sl_error_last()->engine_code, 1205);
	assert_true(sl_error_is(sl_error_last(), SL_ERRCLASS_TRANSIENT));
	sl_test_exec(w, "ROLLBACK");

	sl_conn_close(a);
	sl_conn_close(w);
	sl_test_scratch_drop(SL_TEST_MY, url);
}

static void sqlite_none(void **state)
{
	(void)state;
	char *url = sl_test_scratch_url(SL_TEST_SQLITE);
	sl_conn *c = sl_test_open(url);
	char id[64], pos[64];
	assert_false(sl_conn_has(c, SL_CAP_SNAPSHOT_READ));
	assert_false(sl_conn_has(c, SL_CAP_SNAPSHOT_EXPORT));
	assert_int_equal(sl_conn_snapshot_export(c, id, sizeof(id)), SL_EINVALID);
	assert_int_equal(sl_conn_snapshot_begin(c, NULL, pos, sizeof(pos)), SL_EINVALID);
	assert_non_null(strstr(sl_error_last()->message, "cannot read a consistent snapshot"));
	assert_false(sl_conn_in_transaction(c));
	sl_conn_close(c);
	sl_test_scratch_drop(SL_TEST_SQLITE, url);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pg_snapshots),
		cmocka_unit_test(my_snapshots),
		cmocka_unit_test(sqlite_none),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
