/*
 * test_copy_storage.c - a value means the same after `sluice copy` whatever
 * it was stored as, and `sluice diff` agrees. The sources are
 * tests/fixtures/storage/<engine>.sql: on SQLite one table per logical type
 * with each row in another storage class the column can hold (JSON as
 * INTEGER, REAL, text and blob; dates as ISO text, epoch seconds and
 * milliseconds and Julian days; booleans as integers and words; uuids in
 * every spelling; BIT as INTEGER), on PostgreSQL and MariaDB their siblings
 * (JSON numbers and scalars in json/jsonb, bit(1) and bit(8), ...). Each
 * source is copied to every engine (nine directions): every row is written,
 * and `sluice diff` exits 0. The only value a lossy cast changes is SQLite's
 * 0.1 + 0.2 in a DECIMAL(12,2) column, rounded to 0.30 and counted.
 */
#include "testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Values changed by lossy casts the copy must count, per direction. */
static int64_t expected_changed(sl_test_engine se, sl_test_engine de)
{
	return se == SL_TEST_SQLITE && de != SL_TEST_SQLITE ? 1 : 0;
}

static void copy_and_diff(sl_test_engine se, const char *src_url, sl_test_engine de, sl_buf *problems)
{
	char *dst_url = sl_test_scratch_url(de);
	char *out = NULL;
	const char *sn = sl_test_engine_name(se), *dn = sl_test_engine_name(de);
	int st =
		sl_test_run(&out, "%s copy '%s' '%s' --json -q 2>/dev/null", SLUICE_BINARY, src_url, dst_url);
	json_error_t jerr;
	json_t *res = json_loads(out, 0, &jerr);
	if (st != 0 || !res) {
		sl_buf_printf(problems, "%s -> %s: copy exit %d: %s\n", sn, dn, st, out);
	} else {
		json_int_t rej = json_integer_value(json_object_get(res, "rejected"));
		json_int_t changed = json_integer_value(json_object_get(res, "changed"));
		if (rej != 0 || changed != expected_changed(se, de))
			sl_buf_printf(problems,
				      "%s -> %s: %lld rejected, %lld changed (expected 0 and %lld): %s\n", sn,
				      dn, (long long)rej, (long long)changed,
				      (long long)expected_changed(se, de), out);
	}
	json_decref(res);
	free(out);
	st = sl_test_run(&out, "%s diff '%s' '%s'", SLUICE_BINARY, src_url, dst_url);
	if (st != 0)
		sl_buf_printf(problems, "%s -> %s: diff exit %d:\n%s\n", sn, dn, st, out);
	free(out);
	sl_test_scratch_drop(de, dst_url);
}

static void from(sl_test_engine se)
{
	if (!sl_test_available(se))
		return;
	sl_buf problems = SL_BUF_INIT;
	char *src_url = sl_test_load_fixture(se, "storage");
	for (int de = 0; de < SL_TEST__N; de++)
		if (sl_test_available((sl_test_engine)de))
			copy_and_diff(se, src_url, (sl_test_engine)de, &problems);
	sl_test_scratch_drop(se, src_url);
	if (problems.len) {
		fputs(sl_buf_cstr(&problems), stderr);
		sl_buf_free(&problems);
		fail();
	}
}

static void from_sqlite(void **state)
{
	(void)state;
	from(SL_TEST_SQLITE);
}

static void from_postgres(void **state)
{
	(void)state;
	from(SL_TEST_PG);
}

static void from_mysql(void **state)
{
	(void)state;
	from(SL_TEST_MY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(from_sqlite),
		cmocka_unit_test(from_postgres),
		cmocka_unit_test(from_mysql),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
