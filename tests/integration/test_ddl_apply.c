/*
 * test_ddl_apply.c - the DDL generated for the billing model
 * (tests/unit/ddl_billing.h) from each source dialect runs without error on
 * every available target, phase by phase, and the target then holds the
 * same tables and columns. The column check uses introspection when that
 * engine's introspection has landed, and the catalogs otherwise.
 */
#include "testutil.h"

#include "sluice/ddl.h"
#include "../unit/ddl_billing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const sl_engine engines[SL_TEST__N] = { SL_ENGINE_SQLITE, SL_ENGINE_POSTGRES, SL_ENGINE_MYSQL };

static int64_t column_count(sl_conn *c, sl_engine e, const char *table)
{
	char sql[300];
	if (e == SL_ENGINE_SQLITE)
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM pragma_table_info('%s')", table);
	else if (e == SL_ENGINE_POSTGRES)
		snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM information_schema.columns "
			 "WHERE table_schema = current_schema() AND table_name = '%s'",
			 table);
	else
		snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM information_schema.columns "
			 "WHERE table_schema = database() AND table_name = '%s'",
			 table);
	return sl_test_int(c, sql);
}

static void check_back(sl_conn *c, sl_engine e, const sl_schema *src, const sl_cast_plan *plan)
{
	sl_schema *got = NULL;
	if (sl_conn_introspect(&got, c, NULL) == 0) {
		for (size_t i = 0; i < sl_cast_plan_ntables(plan); i++) {
			const sl_cast_table *ct = sl_cast_plan_table(plan, i);
			const sl_table *t = sl_schema_find_table(got, NULL, ct->name);
			if (!t)
				fail_msg("table %s missing after apply", ct->name);
			assert_int_equal(t->ncolumns, ct->ncolumns);
			for (size_t j = 0; j < ct->ncolumns; j++)
				assert_string_equal(t->columns[j].name, ct->columns[j].name);
			assert_int_equal(t->nfkeys, ct->src->nfkeys);
		}
		sl_schema_free(got);
		return;
	}
	sl_error_clear();
	for (size_t i = 0; i < src->ntables; i++)
		assert_int_equal(column_count(c, e, src->tables[i].name), (int64_t)src->tables[i].ncolumns);
}

static void apply_one(sl_test_engine from, sl_test_engine to)
{
	sl_schema *s = billing_model(engines[from]);
	sl_cast_plan *plan = NULL;
	sl_ddl *ddl = NULL;
	SL_OK_OR_FAIL(sl_cast_plan_new(&plan, s, engines[to], NULL));
	assert_int_equal(sl_cast_plan_count(plan, SL_CAST_ERROR), 0);
	SL_OK_OR_FAIL(sl_ddl_generate(&ddl, s, plan, engines[to], NULL));
	char *url = sl_test_scratch_url(to);
	sl_conn *c = sl_test_open(url);
	for (int ph = 0; ph < SL_DDL__NPHASES; ph++) {
		if (ph == SL_DDL_TRIGGERS && engines[to] == SL_ENGINE_POSTGRES && sl_ddl_count(ddl, ph))
			/* trigger functions are not part of the model: the user brings them */
			sl_test_exec(
				c, "CREATE FUNCTION payments_audit_fn() RETURNS trigger LANGUAGE plpgsql AS "
				   "$$ BEGIN RETURN NEW; END; $$");
		for (size_t i = 0; i < sl_ddl_count(ddl, ph); i++) {
			const char *sql = sl_ddl_statement(ddl, ph, i)->sql;
			if (sl_conn_exec(c, sql) != 0)
				fail_msg("%s -> %s, phase %s: %s\n  SQL: %s", sl_test_engine_name(from),
					 sl_test_engine_name(to), sl_ddl_phase_name(ph),
					 sl_error_last()->message, sql);
		}
	}
	check_back(c, engines[to], s, plan);
	sl_conn_close(c);
	sl_test_scratch_drop(to, url);
	sl_ddl_free(ddl);
	sl_cast_plan_free(plan);
	sl_schema_free(s);
}

static void apply_to(sl_test_engine to)
{
	if (!sl_test_available(to)) {
		skip();
		return;
	}
	for (int from = 0; from < SL_TEST__N; from++)
		apply_one((sl_test_engine)from, to);
}

static void test_apply_sqlite(void **state)
{
	(void)state;
	apply_to(SL_TEST_SQLITE);
}

static void test_apply_postgres(void **state)
{
	(void)state;
	apply_to(SL_TEST_PG);
}

static void test_apply_mysql(void **state)
{
	(void)state;
	apply_to(SL_TEST_MY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apply_sqlite),
		cmocka_unit_test(test_apply_postgres),
		cmocka_unit_test(test_apply_mysql),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
