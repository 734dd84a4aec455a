/*
 * test_flavour.c - target flavours (sluice/flavour.h) and what the DDL writer
 * does with them, on the billing model (six tables keyed by "id", five
 * foreign keys, unique keys): lookups and their errors; Citus distribution
 * calls right after each CREATE TABLE (marked so --plan's check skips them),
 * unique keys and foreign keys without the shard column dropped with an item,
 * a reference table keeping what points at it; CockroachDB keeping primary
 * keys in CREATE TABLE when keys would otherwise be built after the load;
 * Vitess writing no foreign key and a VSchema with sequences.
 */
#include "testutil.h"

#include "sluice/ddl.h"
#include "sluice/error.h"
#include "sluice/flavour.h"
#include "ddl_billing.h"

#include <string.h>

typedef struct fgen {
	sl_schema *s;
	sl_cast_plan *plan;
	sl_ddl *ddl;
} fgen;

static fgen fgen_new(sl_engine target, const char *flavour, const char *const *st, const char *const *sc,
		     size_t nshard)
{
	fgen g = { 0 };
	sl_ddl_opts o = SL_DDL_OPTS_INIT;
	o.keys_after_load = true;
	o.flavour = sl_flavour_named(flavour);
	o.shard_tables = st;
	o.shard_columns = sc;
	o.nshard = nshard;
	g.s = billing_model(SL_ENGINE_MYSQL);
	SL_OK_OR_FAIL(sl_cast_plan_new(&g.plan, g.s, target, NULL));
	SL_OK_OR_FAIL(sl_ddl_generate(&g.ddl, g.s, g.plan, target, &o));
	return g;
}

static void fgen_free(fgen *g)
{
	sl_ddl_free(g->ddl);
	sl_cast_plan_free(g->plan);
	sl_schema_free(g->s);
}

/* Index of the statement of phase ph whose SQL starts with prefix, or -1. */
static int find(const fgen *g, sl_ddl_phase ph, const char *prefix)
{
	for (size_t i = 0; i < sl_ddl_count(g->ddl, ph); i++)
		if (strncmp(sl_ddl_statement(g->ddl, ph, i)->sql, prefix, strlen(prefix)) == 0)
			return (int)i;
	return -1;
}

static size_t items(const fgen *g, const char *kind)
{
	size_t n = 0;
	for (size_t i = 0; i < sl_ddl_nitems(g->ddl); i++)
		n += strcmp(sl_ddl_item_at(g->ddl, i)->kind, kind) == 0;
	return n;
}

static void test_lookup(void **state)
{
	(void)state;
	const sl_flavour *f = NULL;
	assert_int_equal(sl_flavour_named("citus")->engine, SL_ENGINE_POSTGRES);
	assert_int_equal(sl_flavour_named("vitess")->engine, SL_ENGINE_MYSQL);
	assert_null(sl_flavour_named("oracle"));
	assert_int_equal(sl_flavour_for(&f, NULL, SL_ENGINE_POSTGRES), 0);
	assert_null(f);
	assert_int_equal(sl_flavour_for(&f, "cockroach", SL_ENGINE_POSTGRES), 0);
	assert_string_equal(f->title, "CockroachDB");
	assert_int_equal(sl_flavour_for(&f, "oracle", SL_ENGINE_POSTGRES), SL_EINVALID);
	assert_string_equal(sl_error_last()->message,
			    "unknown target flavour \"oracle\" (one of: citus, yugabyte, cockroach, vitess)");
	assert_int_equal(sl_flavour_for(&f, "vitess", SL_ENGINE_POSTGRES), SL_EINVALID);
	assert_string_equal(sl_error_last()->message,
			    "target flavour \"vitess\" (Vitess) speaks MySQL's protocol, "
			    "but the target is a PostgreSQL database");
	assert_null(f);
}

static void test_citus_default(void **state)
{
	(void)state;
	fgen g = fgen_new(SL_ENGINE_POSTGRES, "citus", NULL, NULL, 0);
	int c = find(&g, SL_DDL_TABLES, "CREATE TABLE \"customers\"");
	assert_true(c >= 0);
	const sl_ddl_stmt *d = sl_ddl_statement(g.ddl, SL_DDL_TABLES, (size_t)c + 1);
	assert_string_equal(d->sql, "SELECT create_distributed_table('\"customers\"', 'id')");
	assert_true(d->flavour);
	assert_false(sl_ddl_statement(g.ddl, SL_DDL_TABLES, (size_t)c)->flavour);
	/* every table on "id": unique keys without it and every foreign key (customer_id to id) dropped */
	assert_int_equal(find(&g, SL_DDL_INDEXES,
			      "ALTER TABLE \"customers\" ADD CONSTRAINT \"customers_email_key\""),
			 -1);
	assert_int_equal(items(&g, "unique constraint"), 4);
	assert_int_equal(sl_ddl_count(g.ddl, SL_DDL_FOREIGN_KEYS), 0);
	assert_int_equal(items(&g, "foreign key"), 5);
	assert_non_null(strstr(sl_ddl_flavour_text(g.ddl),
			       "table \"customers\": distributed on \"id\" (the first "
			       "primary-key column)\n"));
	fgen_free(&g);
}

static void test_citus_reference(void **state)
{
	(void)state;
	const char *st[] = { "customers" }, *sc[] = { "reference" };
	fgen g = fgen_new(SL_ENGINE_POSTGRES, "citus", st, sc, 1);
	assert_true(find(&g, SL_DDL_TABLES, "SELECT create_reference_table('\"customers\"')") >= 0);
	/* a reference table keeps its unique keys; foreign keys to it are kept */
	assert_true(find(&g, SL_DDL_INDEXES,
			 "ALTER TABLE \"customers\" ADD CONSTRAINT \"customers_email_key\"") >= 0);
	assert_true(find(&g, SL_DDL_FOREIGN_KEYS,
			 "ALTER TABLE \"subscriptions\" ADD CONSTRAINT "
			 "\"fk_subscriptions_customer\"") >= 0);
	assert_true(find(&g, SL_DDL_FOREIGN_KEYS,
			 "ALTER TABLE \"invoices\" ADD CONSTRAINT \"fk_invoices_customer\"") >= 0);
	assert_int_equal(items(&g, "foreign key"), 3);
	fgen_free(&g);
}

static void test_keys_in_create(void **state)
{
	(void)state;
	fgen plain = fgen_new(SL_ENGINE_POSTGRES, NULL, NULL, NULL, 0);
	assert_true(find(&plain, SL_DDL_INDEXES, "ALTER TABLE \"customers\" ADD PRIMARY KEY") >= 0);
	size_t plain_items = sl_ddl_nitems(plain.ddl);
	fgen_free(&plain);
	const char *fl[] = { "cockroach", "yugabyte" };
	for (size_t i = 0; i < 2; i++) {
		fgen g = fgen_new(SL_ENGINE_POSTGRES, fl[i], NULL, NULL, 0);
		assert_int_equal(find(&g, SL_DDL_INDEXES, "ALTER TABLE \"customers\" ADD PRIMARY KEY"), -1);
		int c = find(&g, SL_DDL_TABLES, "CREATE TABLE \"customers\"");
		assert_true(c >= 0);
		assert_non_null(strstr(sl_ddl_statement(g.ddl, SL_DDL_TABLES, (size_t)c)->sql,
				       "PRIMARY KEY (\"id\")"));
		assert_int_equal(sl_ddl_count(g.ddl, SL_DDL_FOREIGN_KEYS), 10); /* ADD NOT VALID + VALIDATE */
		assert_int_equal(sl_ddl_nitems(g.ddl), plain_items);            /* nothing dropped */
		fgen_free(&g);
	}
}

/* CockroachDB checks foreign keys at once: a deferrable one loses DEFERRABLE, with an item; PostgreSQL keeps
 * it. */
static void test_cockroach_deferrable(void **state)
{
	(void)state;
	const char *fl[] = { NULL, "cockroach" };
	for (size_t i = 0; i < 2; i++) {
		fgen g = { 0 };
		sl_ddl_opts o = SL_DDL_OPTS_INIT;
		o.flavour = sl_flavour_named(fl[i]);
		g.s = billing_model(SL_ENGINE_MYSQL);
		sl_table *t = sl_schema_find_table(g.s, NULL, "invoices");
		assert_non_null(t);
		t->fkeys[0].deferrable = true;
		SL_OK_OR_FAIL(sl_cast_plan_new(&g.plan, g.s, SL_ENGINE_POSTGRES, NULL));
		SL_OK_OR_FAIL(sl_ddl_generate(&g.ddl, g.s, g.plan, SL_ENGINE_POSTGRES, &o));
		int k = find(&g, SL_DDL_FOREIGN_KEYS, "ALTER TABLE \"invoices\" ADD CONSTRAINT");
		assert_true(k >= 0);
		bool deferred = strstr(sl_ddl_statement(g.ddl, SL_DDL_FOREIGN_KEYS, (size_t)k)->sql,
				       "DEFERRABLE INITIALLY DEFERRED") != NULL;
		assert_int_equal(deferred, i == 0);
		assert_int_equal(items(&g, "foreign key"), i);
		fgen_free(&g);
	}
}

static void test_vitess(void **state)
{
	(void)state;
	fgen g = fgen_new(SL_ENGINE_MYSQL, "vitess", NULL, NULL, 0);
	assert_int_equal(sl_ddl_count(g.ddl, SL_DDL_FOREIGN_KEYS), 0);
	assert_int_equal(items(&g, "foreign key"), 5);
	const char *t = sl_ddl_flavour_text(g.ddl);
	assert_non_null(strstr(t, "\"sequence\": \"customers_seq\""));
	assert_non_null(strstr(t, "\"name\": \"hash\""));
	/* unique keys stay (enforced per shard; the notes say so) */
	assert_true(find(&g, SL_DDL_INDEXES,
			 "ALTER TABLE `customers` ADD CONSTRAINT `customers_email_key`") >= 0);
	fgen_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_citus_default),
		cmocka_unit_test(test_citus_reference),
		cmocka_unit_test(test_keys_in_create),
		cmocka_unit_test(test_cockroach_deferrable),
		cmocka_unit_test(test_vitess),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
