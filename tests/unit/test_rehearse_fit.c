/*
 * test_rehearse_fit.c - the forecast's curve fitting (src/rehearse/forecast.c)
 * on known curves, the duration spread, the migrations key, and the
 * renderings of a small hand-built rehearsal (verdict, failed thresholds,
 * slowest statement first, fidelity lines).
 */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rehearse/rehearse_int.h"

static void test_power_law(void **state)
{
	(void)state;
	sl_rh_forecast f = { .rows = { 10000, 40000, 160000 } };
	for (int i = 0; i < 3; i++)
		f.us[i] = (int64_t)(3.0 * pow((double)f.rows[i], 1.5));
	rh_fit(&f, 1000000);
	assert_string_equal(f.method, "power law t = a*n^b");
	assert_true(fabs(f.b - 1.5) < 0.01);
	assert_true(f.max_rel_error < 0.01);
	double want = 3.0 * pow(1e6, 1.5);
	assert_true(fabs((double)f.forecast_us - want) / want < 0.02);
}

static void test_linear(void **state)
{
	(void)state;
	sl_rh_forecast f = { .rows = { 1000, 2000, 4000 }, .us = { 50500, 51000, 52000 } };
	rh_fit(&f, 100000);
	assert_string_equal(f.method, "linear t = a + b*n");
	assert_true(f.max_rel_error < 0.001);
	assert_true(llabs(f.forecast_us - 100000) < 100); /* 50000 + 0.5 * 100000 */
}

static void test_constant(void **state)
{
	(void)state;
	sl_rh_forecast f = { .rows = { 500, 500, 500 }, .us = { 90, 110, 100 } };
	rh_fit(&f, 1000000);
	assert_string_equal(f.method, "constant (samples of one size)");
	assert_int_equal(f.forecast_us, 100);
	assert_true(f.max_rel_error > 0.11 && f.max_rel_error < 0.12); /* |100 - 90| / 90 */
}

static void test_spread_and_key(void **state)
{
	(void)state;
	int64_t us[] = { 30, 10, 20, 40 };
	sl_rh_spread s;
	rh_spread(&s, us, 4);
	assert_int_equal(s.min_us, 10);
	assert_int_equal(s.median_us, 25);
	assert_int_equal(s.max_us, 40);
	sl_rh_migration m[2] = { { .id = "1", .checksum = "v1:a" }, { .id = "2", .checksum = "v1:b" } };
	sl_rehearsal r = { .migrations = m, .nmigrations = 2 };
	char k1[SL_CHECKSUM_SIZE], k2[SL_CHECKSUM_SIZE];
	assert_int_equal(sl_rehearse_migrations_key(k1, &r), 0);
	assert_int_equal(strncmp(k1, "v1:", 3), 0);
	m[1].checksum[3] = 'c'; /* an edited migration is another key */
	assert_int_equal(sl_rehearse_migrations_key(k2, &r), 0);
	assert_string_not_equal(k1, k2);
}

static void test_renderings(void **state)
{
	(void)state;
	char *failed[] = { "require_rollback_fidelity: the round trip did not restore the database" };
	char *diffs[] = { "column \"customers\".\"country\": values differ after the round trip" };
	sl_rh_stmt st[2] = {
		{ .migration = "1", .index = 1, .sql = "ALTER TABLE a ADD COLUMN b INT", .us = 500 },
		{ .migration = "1", .index = 2, .sql = "UPDATE a SET b = 1", .us = 9000, .changes = 7 }
	};
	sl_rh_migration m = { .id = "1", .title = "Add b", .checksum = "v1:a", .statements = 2 };
	sl_rehearsal r = { .run_id = "x",
			   .environment = "prod",
			   .engine = "sqlite",
			   .verdict = "NO-GO",
			   .failed = failed,
			   .nfailed = 1,
			   .stmts = st,
			   .nstmts = 2,
			   .migrations = &m,
			   .nmigrations = 1,
			   .repeat = 1,
			   .fidelity_checked = true,
			   .fidelity_diffs = diffs,
			   .nfidelity_diffs = 1,
			   .migrations_key = "v1:k" };
	sl_buf b = SL_BUF_INIT;
	assert_int_equal(sl_rehearsal_text(&b, &r, false), 0);
	const char *t = sl_buf_cstr(&b);
	assert_non_null(strstr(t, "verdict: NO-GO"));
	assert_non_null(strstr(t, "failed require_rollback_fidelity"));
	const char *slow = strstr(t, "UPDATE a SET b = 1"),
		   *fast = strstr(t, "ALTER TABLE a ADD COLUMN b INT");
	assert_true(slow && fast && slow < fast); /* slowest first */
	assert_non_null(strstr(t, "rollback fidelity: DIFFERS"));
	sl_buf_clear(&b);
	assert_int_equal(sl_rehearsal_json(&b, &r), 0);
	assert_non_null(strstr(sl_buf_cstr(&b), "\"duration_us\": 9000"));
	assert_non_null(strstr(sl_buf_cstr(&b), "\"identical\": false"));
	sl_buf_clear(&b);
	assert_int_equal(sl_rehearsal_md(&b, &r), 0);
	assert_non_null(strstr(sl_buf_cstr(&b), "**NO-GO**"));
	assert_non_null(strstr(sl_buf_cstr(&b), "| 1 Add b |"));
	sl_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_power_law),  cmocka_unit_test(test_linear),
		cmocka_unit_test(test_constant),   cmocka_unit_test(test_spread_and_key),
		cmocka_unit_test(test_renderings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
