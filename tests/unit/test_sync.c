/*
 * test_sync.c - the pieces of sync that need no server: SQLite capture
 * triggers (what they log for inserts, updates that change the key, bulk
 * statements and deletes), listing and removing them, the staging merge,
 * change-log key parsing, and sl_conn_query_int on a failing query (it
 * freed an uninitialised batch before).
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "sluice/capture.h"
#include "sync/sync_int.h"

static void test_query_int_failure(void **state)
{
	(void)state;
	sl_conn *c = sl_test_open("sqlite::memory:");
	int64_t n = 42;
	char *s = NULL;
	assert_int_equal(sl_conn_query_int(c, "SELECT count(*) FROM nope", &n), SL_EDB);
	assert_non_null(strstr(sl_error_last()->message, "no such table"));
	assert_int_equal(sl_conn_query_text(c, "SELECT x FROM nope", &s), SL_EDB);
	assert_null(s);
	assert_int_equal(n, 42);
	sl_conn_close(c);
}

static char *log_text(sl_conn *c)
{
	char *s = NULL;
	assert_int_equal(sl_conn_query_text(c,
					    "SELECT group_concat(op || k, ' ') FROM (SELECT op, k FROM "
					    "sluice_sync_log ORDER BY seq)",
					    &s),
			 0);
	return s;
}

static void test_sqlite_capture(void **state)
{
	(void)state;
	sl_conn *c = sl_test_open("sqlite::memory:");
	const char *key[] = { "a", "b" };
	sl_capture_table t = { .table = "t", .key = key, .nkey = 2, .name = "sluice_sync_t_0000" };
	sl_buf list = SL_BUF_INIT;
	assert_true(sl_conn_has(c, SL_CAP_CAPTURE));
	sl_test_exec(c, "CREATE TABLE t (a INTEGER, b TEXT, v TEXT, PRIMARY KEY (a, b))");
	assert_int_equal(sl_capture_log_create(c), 0);
	assert_int_equal(sl_capture_add(c, &t), 0);
	sl_test_exec(c, "INSERT INTO t VALUES (1, 'x', 'one'), (2, 'y\"q', 'two')");
	sl_test_exec(c, "UPDATE t SET v = 'uno' WHERE a = 1");
	sl_test_exec(c, "UPDATE t SET a = 3 WHERE a = 2");
	sl_test_exec(c, "DELETE FROM t WHERE a = 1");
	char *s = log_text(c); /* a key change logs the old and the new key (in either order) */
	assert_string_equal(
		s, "I[1,\"x\"] I[2,\"y\\\"q\"] U[1,\"x\"] U[2,\"y\\\"q\"] U[3,\"y\\\"q\"] D[1,\"x\"]");
	free(s);
	assert_int_equal(sl_capture_list(c, &list), 0);
	assert_string_equal(list.ptr, "t\tsluice_sync_t_0000_d\nt\tsluice_sync_t_0000_i\nt\tsluice_sync_t_"
				      "0000_k\nt\tsluice_sync_t_0000_u\n");
	assert_int_equal(sl_capture_drop(c, &t), 0);
	sl_buf_clear(&list);
	assert_int_equal(sl_capture_list(c, &list), 0);
	assert_int_equal(list.len, 0);
	sl_test_exec(c, "DELETE FROM sluice_sync_log; INSERT INTO t VALUES (9, 'z', 'nine')");
	assert_int_equal(sl_test_int(c, "SELECT count(*) FROM sluice_sync_log"), 0);
	sl_buf_free(&list);
	sl_conn_close(c);
}

static void test_sqlite_stage_merge(void **state)
{
	(void)state;
	sl_conn *c = sl_test_open("sqlite::memory:");
	const char *cols[] = { "id", "v" }, *key[] = { "id" };
	sl_test_exec(c, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL); INSERT INTO t VALUES (1, "
			"'a'), (2, "
			"'b')");
	assert_int_equal(sl_stage_create(c, "t", "st"), 0);
	assert_int_equal(sl_stage_create(c, "t", "st"), 0); /* idempotent */
	sl_test_exec(c, "INSERT INTO temp.st VALUES (2, 'B'), (3, 'c')");
	assert_int_equal(sl_conn_begin(c), 0);
	assert_int_equal(sl_stage_merge(c, "t", "st", cols, 2, key, 1), 0);
	assert_int_equal(sl_conn_commit(c), 0);
	char *s = NULL;
	assert_int_equal(sl_conn_query_text(c, "SELECT group_concat(id || v, ',') FROM t", &s), 0);
	assert_string_equal(s, "1a,2B,3c");
	free(s);
	assert_int_equal(sl_test_int(c, "SELECT count(*) FROM temp.st"), 0);
	assert_int_equal(sl_conn_apply_mode(c, true), 0);
	assert_int_equal(sl_conn_apply_mode(c, false), 0);
	sl_conn_close(c);
}

static void test_key_parse(void **state)
{
	(void)state;
	sl_arena *a = sl_arena_new(0);
	sl_sync_key k;
	const char *in =
		"[12345678901234567890, -1.50, \"a\\u00e9\\n\\\"\\ud83d\\ude00\", true, false, null]";
	assert_int_equal(sl_sync_key_parse(&k, in, strlen(in), a), 0);
	assert_int_equal(k.n, 6);
	assert_int_equal(k.v[0].type, SL_V_DECIMAL);
	assert_int_equal(k.v[0].u.s.len, 20);
	assert_memory_equal(k.v[1].u.s.ptr, "-1.50", 5);
	assert_int_equal(k.v[2].type, SL_V_TEXT);
	assert_int_equal(k.v[2].u.s.len, 9);
	assert_memory_equal(k.v[2].u.s.ptr, "a\xc3\xa9\n\"\xf0\x9f\x98\x80", 9);
	assert_true(k.v[3].type == SL_V_BOOL && k.v[3].u.b);
	assert_true(k.v[4].type == SL_V_BOOL && !k.v[4].u.b);
	assert_int_equal(k.v[5].type, SL_V_NULL);
	const char *bad[] = { "", "[]", "[1", "1", "[[1]]", "[{\"a\":1}]", "[1,]", "[\"x]", "[1] x", "[-]" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sl_sync_key_parse(&k, bad[i], strlen(bad[i]), a), SL_EINVALID);
	sl_arena_free(a);
}

static void test_names(void **state)
{
	(void)state;
	char a[SL_SYNC_NAME_MAX], b[SL_SYNC_NAME_MAX], c[SL_SYNC_NAME_MAX];
	sl_sync_trigger_base(a, "Order Lines");
	sl_sync_trigger_base(b, "order_lines");
	sl_sync_stage_name(c, "a_very_long_table_name_that_goes_on_and_on_and_on");
	assert_int_equal(strncmp(a, "sluice_sync_order_lines_", 24), 0);
	assert_string_not_equal(a, b); /* the hash tells them apart */
	assert_true(strlen(c) <= 48);
	assert_int_equal(strncmp(c, "sluice_stage_", 13), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query_int_failure),
		cmocka_unit_test(test_sqlite_capture),
		cmocka_unit_test(test_sqlite_stage_merge),
		cmocka_unit_test(test_key_parse),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
