/*
 * test_schemadiff.c - unit tests of sl_schema_diff() on hand-built models:
 * tables and columns added and dropped, type, nullability and default
 * changes, keys, indexes, foreign keys and checks; and sl_type_narrows().
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "sluice/schemadiff.h"

/* The orders table before (after=false) or after a change. */
static void orders(sl_schema *s, bool after)
{
	sl_table *t = sl_schema_add_table(s, "public", "orders");
	sl_column *c = sl_table_add_column(s, t, "id");
	size_t nref = 0;
	c->type.kind = SL_T_INT64;
	c = sl_table_add_column(s, t, "total");
	c->type = (sl_type){ .kind = SL_T_DECIMAL, .precision = after ? 10 : 12, .scale = 2 };
	c->nullable = !after;
	c = sl_table_add_column(s, t, after ? "memo" : "note");
	c->type = (sl_type){ .kind = SL_T_VARCHAR, .length = 200 };
	c->nullable = true;
	c = sl_table_add_column(s, t, "status");
	c->type = (sl_type){ .kind = SL_T_TEXT };
	c->default_expr = after ? "'new'" : NULL;
	sl_index *ix = sl_table_add_index(s, t, after ? "orders_total2" : "orders_total");
	sl_schema_strlist_add(s, &ix->columns, &ix->ncolumns, "total");
	if (!after)
		sl_table_add_check(s, t, NULL, "total > 0");
	sl_fkey *fk = sl_table_add_fkey(s, t, "orders_customer_fk");
	sl_schema_strlist_add(s, &fk->columns, &fk->ncolumns, "id");
	sl_schema_strlist_add(s, &fk->ref_columns, &nref, "id");
	fk->ref_table = "customers";
	fk->on_delete = after ? SL_FK_CASCADE : SL_FK_NO_ACTION;
	t->primary_key = sl_arena_calloc(s->arena, 1, sizeof(sl_key));
	sl_schema_strlist_add(s, &t->primary_key->columns, &t->primary_key->ncolumns, "id");
}

static char *render(const sl_schemadiff *d)
{
	sl_buf b = SL_BUF_INIT;
	for (size_t i = 0; i < d->n; i++) {
		sl_schema_change_format(&b, &d->items[i]);
		sl_buf_putc(&b, '\n');
	}
	return sl_buf_detach(&b);
}

static void test_changes(void **state)
{
	sl_schema *a = NULL, *b = NULL;
	sl_schemadiff *d = NULL;
	SL_OK_OR_FAIL(sl_schema_new(&a, SL_ENGINE_POSTGRES));
	SL_OK_OR_FAIL(sl_schema_new(&b, SL_ENGINE_POSTGRES));
	orders(a, false);
	orders(b, true);
	sl_schema_add_table(a, "public", "legacy");
	sl_column *c = sl_table_add_column(b, sl_schema_add_table(b, "public", "audit"), "at");
	c->type.kind = SL_T_TIMESTAMPTZ;
	SL_OK_OR_FAIL(sl_schema_diff(&d, a, b, NULL));
	char *got = render(d);
	assert_string_equal(got, "column \"orders\".\"total\" type changed: decimal(12,2) -> decimal(10,2)\n"
				 "column \"orders\".\"total\" nullability changed: NULL -> NOT NULL\n"
				 "column \"orders\".\"note\" dropped\n"
				 "column \"orders\".\"status\" default changed: (none) -> 'new'\n"
				 "column \"orders\".\"memo\" added\n"
				 "index \"orders_total\" on \"orders\" dropped\n"
				 "index \"orders_total2\" on \"orders\" added\n"
				 "foreign key \"orders_customer_fk\" on \"orders\" changed\n"
				 "check \"total > 0\" on \"orders\" dropped\n"
				 "table \"legacy\" dropped\n"
				 "table \"audit\" added\n");
	assert_int_equal(d->items[0].kind, SL_CHG_COLUMN_TYPE);
	assert_ptr_equal(d->items[0].old_column, &a->tables[0].columns[1]);
	assert_ptr_equal(d->items[0].new_column, &b->tables[0].columns[1]);
	free(got);
	sl_schemadiff_free(d);

	/* a model against itself: nothing; defaults ignored on request */
	SL_OK_OR_FAIL(sl_schema_diff(&d, a, a, NULL));
	assert_int_equal(d->n, 0);
	sl_schemadiff_free(d);
	sl_schemadiff_opts o = SL_SCHEMADIFF_OPTS_INIT;
	o.ignore_defaults = true;
	SL_OK_OR_FAIL(sl_schema_diff(&d, a, b, &o));
	for (size_t i = 0; i < d->n; i++)
		assert_int_not_equal(d->items[i].kind, SL_CHG_COLUMN_DEFAULT);
	sl_schemadiff_free(d);
	sl_schema_free(a);
	sl_schema_free(b);
}

static void test_keys(void **state)
{
	sl_schema *a = NULL, *b = NULL;
	sl_schemadiff *d = NULL;
	SL_OK_OR_FAIL(sl_schema_new(&a, SL_ENGINE_SQLITE));
	SL_OK_OR_FAIL(sl_schema_new(&b, SL_ENGINE_SQLITE));
	orders(a, false);
	orders(b, false);
	b->tables[0].primary_key = NULL;
	sl_key *u = sl_table_add_unique(b, &b->tables[0], NULL);
	sl_schema_strlist_add(b, &u->columns, &u->ncolumns, "note");
	SL_OK_OR_FAIL(sl_schema_diff(&d, a, b, NULL));
	char *got = render(d);
	assert_string_equal(got, "primary key of \"orders\" changed: (id) -> (none)\n"
				 "unique key \"(note)\" on \"orders\" added\n");
	free(got);
	sl_schemadiff_free(d);
	sl_schema_free(a);
	sl_schema_free(b);
}

static void test_narrowing(void **state)
{
	const char *why = NULL;
	sl_type i64 = { .kind = SL_T_INT64 }, i32 = { .kind = SL_T_INT32 };
	sl_type v200 = { .kind = SL_T_VARCHAR, .length = 200 }, v50 = { .kind = SL_T_VARCHAR, .length = 50 };
	sl_type text = { .kind = SL_T_TEXT }, d122 = { .kind = SL_T_DECIMAL, .precision = 12, .scale = 2 };
	sl_type d102 = { .kind = SL_T_DECIMAL, .precision = 10, .scale = 2 };
	sl_type d143 = { .kind = SL_T_DECIMAL, .precision = 14, .scale = 3 };
	sl_type f64 = { .kind = SL_T_FLOAT64 }, f32 = { .kind = SL_T_FLOAT32 };
	assert_true(sl_type_narrows(&i64, &i32, &why));
	assert_string_equal(why, "a smaller integer type");
	assert_false(sl_type_narrows(&i32, &i64, &why));
	assert_null(why);
	assert_true(sl_type_narrows(&v200, &v50, &why));
	assert_string_equal(why, "a shorter length limit");
	assert_false(sl_type_narrows(&v50, &v200, NULL));
	assert_true(sl_type_narrows(&text, &v200, &why));
	assert_string_equal(why, "an unbounded string gets a length limit");
	assert_false(sl_type_narrows(&v200, &text, NULL));
	assert_true(sl_type_narrows(&d122, &d102, &why));
	assert_string_equal(why, "fewer digits before the decimal point");
	assert_false(sl_type_narrows(&d122, &d143, NULL));
	assert_true(sl_type_narrows(&d143, &d122, &why));
	assert_true(sl_type_narrows(&f64, &f32, NULL));
	assert_false(sl_type_narrows(&f32, &f64, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_changes),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_narrowing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
