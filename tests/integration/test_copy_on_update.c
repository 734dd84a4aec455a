/*
 * test_copy_on_update.c - what a MySQL table says beyond its columns'
 * types survives `sluice copy`: the table's default collation (MySQL ->
 * MySQL keeps utf8mb4_bin, so 'abc' and 'ABC' stay two keys) and ON UPDATE
 * CURRENT_TIMESTAMP (kept on MySQL; on PostgreSQL and SQLite a trigger the
 * plan names does the same). The triggers are exercised: an UPDATE that
 * changes the row sets the column, one that sets it explicitly keeps that
 * value, one that changes nothing leaves it alone.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/schema.h"

static const char *const source_sql =
	"CREATE TABLE item (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL,"
	" upd DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),"
	" seen TIMESTAMP NULL DEFAULT NULL ON UPDATE CURRENT_TIMESTAMP,"
	" UNIQUE KEY item_name (name)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;"
	"INSERT INTO item (id, name, upd) VALUES (1, 'abc', '2020-01-01 00:00:00'),"
	" (2, 'ABC', '2020-01-01 00:00:00'), (3, 'same', '2020-01-01 00:00:00')";

static char *copy_to(const char *src_url, sl_test_engine de)
{
	char *dst_url = sl_test_scratch_url(de);
	char *out = NULL;
	int st = sl_test_run(&out, "%s copy '%s' '%s' -q", SLUICE_BINARY, src_url, dst_url);
	if (st != 0)
		fail_msg("copy to %s: exit %d: %s", sl_test_engine_name(de), st, out);
	free(out);
	return dst_url;
}

/* How many rows of item have upd = its loaded value (the sentinel year 2020). */
static int64_t untouched(sl_conn *c, const char *where)
{
	char sql[256];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM item WHERE %s AND upd < '2021-01-01'", where);
	return sl_test_int(c, sql);
}

/* The three kinds of UPDATE, and what each must leave in upd. */
static void exercise(sl_conn *c, const char *engine)
{
	sl_test_exec(c, "UPDATE item SET name = 'changed' WHERE id = 1");
	sl_test_exec(c, "UPDATE item SET name = 'set', upd = '2000-01-01 00:00:00' WHERE id = 2");
	sl_test_exec(c, "UPDATE item SET name = 'same' WHERE id = 3");
	if (untouched(c, "id = 1") != 0)
		fail_msg("%s: an UPDATE of name left upd as it was", engine);
	if (sl_test_int(c, "SELECT count(*) FROM item WHERE id = 2 AND upd < '2001-01-01'") != 1)
		fail_msg("%s: an UPDATE that sets upd did not keep its value", engine);
	if (untouched(c, "id = 3") != 1)
		fail_msg("%s: an UPDATE that changes nothing changed upd", engine);
	if (sl_test_int(c, "SELECT count(*) FROM item WHERE seen IS NOT NULL") != 2)
		fail_msg("%s: seen was not set by the two UPDATEs that changed a row", engine);
}

static void mysql_source(void **state)
{
	(void)state;
	if (!sl_test_available(SL_TEST_MY))
		return;
	char *src_url = sl_test_scratch_url(SL_TEST_MY);
	sl_conn *s = sl_test_open(src_url);
	sl_test_exec(s, source_sql);
	sl_conn_close(s);

	/* the plan says what becomes of ON UPDATE on PostgreSQL */
	char *out = NULL;
	char *pg = sl_test_scratch_url(SL_TEST_PG);
	assert_int_equal(sl_test_run(&out, "%s copy --plan '%s' '%s'", SLUICE_BINARY, src_url, pg), 0);
	if (!strstr(out, "ON UPDATE CURRENT_TIMESTAMP(3) becomes trigger \"item_on_update\"") ||
	    !strstr(out, "CREATE TRIGGER \"item_on_update\" BEFORE UPDATE ON"))
		fail_msg("the plan does not say what it does with ON UPDATE:\n%s", out);
	free(out);
	sl_test_scratch_drop(SL_TEST_PG, pg);

	/* MySQL -> MySQL: the same table */
	char *my = copy_to(src_url, SL_TEST_MY);
	sl_conn *d = sl_test_open(my);
	sl_schema *m = NULL;
	SL_OK_OR_FAIL(sl_conn_introspect(&m, d, NULL));
	const sl_table *t = sl_schema_find_table(m, NULL, "item");
	assert_non_null(t);
	assert_string_equal(t->collation, "utf8mb4_bin");
	assert_string_equal(sl_table_find_column(t, "upd")->on_update, "CURRENT_TIMESTAMP(3)");
	assert_string_equal(sl_table_find_column(t, "seen")->on_update, "CURRENT_TIMESTAMP");
	assert_int_equal(sl_test_int(d, "SELECT count(*) FROM item WHERE name = 'abc'"), 1);
	exercise(d, "mysql");
	sl_schema_free(m);
	sl_conn_close(d);
	sl_test_scratch_drop(SL_TEST_MY, my);

	/* PostgreSQL and SQLite: the trigger */
	const sl_test_engine others[] = { SL_TEST_PG, SL_TEST_SQLITE };
	for (size_t i = 0; i < 2; i++) {
		if (!sl_test_available(others[i]))
			continue;
		char *url = copy_to(src_url, others[i]);
		d = sl_test_open(url);
		exercise(d, sl_test_engine_name(others[i]));
		sl_conn_close(d);
		sl_test_scratch_drop(others[i], url);
	}
	sl_test_scratch_drop(SL_TEST_MY, src_url);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mysql_source),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
