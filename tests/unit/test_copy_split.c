/*
 * test_copy_split.c - how copy cuts a table into key ranges (sl_copy_split),
 * the splitter `sluice copy --jobs`, the distributed copy's chunks and the
 * distributed diff's chunks share: the ranges cover min..max of the key
 * without gap or overlap, their number follows jobs or part_rows (at most
 * one per key value), and a table below split_rows, without a key or without
 * an estimate stays whole. Runs on an in-memory SQLite database.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "sluice/copy.h"
#include "sluice/schema.h"

static sl_conn *db(void)
{
	sl_conn *c = sl_test_open("sqlite::memory:");
	sl_test_exec(c, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
	sl_test_exec(c, "WITH RECURSIVE n(i) AS (SELECT 101 UNION ALL SELECT i + 1 FROM n WHERE i < 1100) "
			"INSERT INTO t SELECT i, 'x' FROM n");
	return c;
}

/* Every key of 101..1100 falls in exactly one range, and no range is empty. */
static void assert_cover(const sl_copy_range *r, int n)
{
	for (int i = 0; i < n; i++)
		if (r[i].has_lo && r[i].has_hi)
			assert_true(r[i].lo < r[i].hi && r[i].lo <= 1100);
	for (int64_t k = 101; k <= 1100; k++) {
		int hits = 0;
		for (int i = 0; i < n; i++)
			hits += (!r[i].has_lo || k >= r[i].lo) && (!r[i].has_hi || k < r[i].hi);
		assert_int_equal(hits, 1);
	}
	assert_false(r[0].has_lo);
	assert_false(r[n - 1].has_hi);
}

static void by_part_rows(void **state)
{
	(void)state;
	sl_conn *c = db();
	sl_table t = { .name = "t", .row_count = 1000 };
	sl_copy_opts o = SL_COPY_OPTS_INIT;
	o.part_rows = 300;
	o.split_rows = 300;
	sl_copy_range *r = NULL;
	int n = 0;
	SL_OK_OR_FAIL(sl_copy_split(&r, &n, c, &t, "id", &o));
	assert_int_equal(n, 4); /* 1000 / 300, rounded up */
	assert_cover(r, n);
	assert_int_equal(r[0].expected, 250);
	free(r);

	/* never more ranges than key values */
	o.part_rows = 1;
	o.split_rows = 1;
	t.row_count = 100000; /* a stale estimate far above the span */
	SL_OK_OR_FAIL(sl_copy_split(&r, &n, c, &t, "id", &o));
	assert_int_equal(n, 999);
	assert_cover(r, n);
	free(r);
	sl_conn_close(c);
}

static void by_jobs(void **state)
{
	(void)state;
	sl_conn *c = db();
	sl_table t = { .name = "t", .row_count = 1000 };
	sl_copy_opts o = SL_COPY_OPTS_INIT;
	o.jobs = 3;
	o.split_rows = 500;
	sl_copy_range *r = NULL;
	int n = 0;
	SL_OK_OR_FAIL(sl_copy_split(&r, &n, c, &t, "id", &o));
	assert_int_equal(n, 6); /* jobs * 2 */
	assert_cover(r, n);
	free(r);
	sl_conn_close(c);
}

static void whole(void **state)
{
	(void)state;
	sl_conn *c = db();
	sl_table t = { .name = "t", .row_count = 1000 };
	sl_copy_opts o = SL_COPY_OPTS_INIT;
	o.part_rows = 100;
	o.split_rows = 5000; /* below split_rows */
	sl_copy_range *r = NULL;
	int n = 0;
	SL_OK_OR_FAIL(sl_copy_split(&r, &n, c, &t, "id", &o));
	assert_int_equal(n, 1);
	assert_false(r[0].has_lo || r[0].has_hi);
	free(r);
	o.split_rows = 100;
	SL_OK_OR_FAIL(sl_copy_split(&r, &n, c, &t, NULL, &o)); /* no key */
	assert_int_equal(n, 1);
	free(r);
	t.row_count = -1; /* no estimate */
	SL_OK_OR_FAIL(sl_copy_split(&r, &n, c, &t, "id", &o));
	assert_int_equal(n, 1);
	assert_int_equal(r[0].expected, -1);
	free(r);
	sl_conn_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(by_part_rows),
		cmocka_unit_test(by_jobs),
		cmocka_unit_test(whole),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
