/*
 * test_schema_equivalence.c - the realistic billing schema
 * (tests/fixtures/realistic/<engine>.sql) created on SQLite, PostgreSQL and
 * MariaDB must introspect to equivalent models.
 *
 * "Equivalent" is defined here, field by field: same tables and columns in
 * order, same nullability, same type family with the same length, precision
 * and scale, same identity columns, defaults present on the same columns,
 * same primary keys, unique keys, foreign keys (columns, target, actions),
 * named checks, secondary indexes, views with the tables they read, and
 * triggers with their table, timing and events. Engine artefacts are
 * excluded on purpose and listed: the indexes MySQL creates by itself for a
 * foreign key (named after the constraint), and the indexes behind primary
 * and unique keys (compared as keys instead).
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *s = malloc((size_t)n + 1);
	assert_non_null(s);
	assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
	s[n] = '\0';
	fclose(f);
	return s;
}

static sl_schema *load_and_inspect(sl_test_engine e, char **url_out)
{
	static const char *const file[] = { "sqlite.sql", "postgres.sql", "mysql.sql" };
	char path[512];
	snprintf(path, sizeof(path), "%s/tests/fixtures/realistic/%s", SLUICE_SOURCE_DIR, file[e]);
	char *sql = read_file(path);
	*url_out = sl_test_scratch_url(e);
	sl_conn *c = sl_test_open(*url_out);
	sl_test_exec(c, sql);
	free(sql);
	sl_schema *s = NULL;
	SL_OK_OR_FAIL(sl_conn_introspect(&s, c, NULL));
	sl_conn_close(c);
	return s;
}

static void same_list(const char *what, const char *const *a, size_t na, const char *const *b, size_t nb)
{
	if (na != nb)
		fail_msg("%s: %zu vs %zu entries", what, na, nb);
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			fail_msg("%s: entry %zu is \"%s\" vs \"%s\"", what, i, a[i], b[i]);
}

static bool same_cols(const char *const *a, size_t na, const char *const *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return true;
}

static void compare_column(const char *where, const sl_column *a, const sl_column *b)
{
	assert_string_equal(a->name, b->name);
	if (a->nullable != b->nullable)
		fail_msg("%s: nullable %d vs %d", where, a->nullable, b->nullable);
	sl_tkind fa = sl_tkind_family(a->type.kind), fb = sl_tkind_family(b->type.kind);
	if (fa != fb)
		fail_msg("%s: type family %s (%s) vs %s (%s)", where, sl_tkind_name(fa),
			 a->decl_type ? a->decl_type : "", sl_tkind_name(fb),
			 b->decl_type ? b->decl_type : "");
	if (a->type.kind == SL_T_DECIMAL &&
	    (a->type.precision != b->type.precision || a->type.scale != b->type.scale))
		fail_msg("%s: decimal(%d,%d) vs decimal(%d,%d)", where, a->type.precision, a->type.scale,
			 b->type.precision, b->type.scale);
	if ((a->type.kind == SL_T_VARCHAR || a->type.kind == SL_T_CHAR) && a->type.kind == b->type.kind &&
	    a->type.length != b->type.length)
		fail_msg("%s: length %d vs %d", where, a->type.length, b->type.length);
	if (a->identity != b->identity)
		fail_msg("%s: identity %d vs %d", where, a->identity, b->identity);
	if ((a->default_expr != NULL) != (b->default_expr != NULL))
		fail_msg("%s: default \"%s\" vs \"%s\"", where, a->default_expr ? a->default_expr : "(none)",
			 b->default_expr ? b->default_expr : "(none)");
}

static const sl_fkey *find_fk(const sl_table *t, const sl_fkey *f)
{
	for (size_t i = 0; i < t->nfkeys; i++)
		if (same_cols(t->fkeys[i].columns, t->fkeys[i].ncolumns, f->columns, f->ncolumns) &&
		    strcmp(t->fkeys[i].ref_table, f->ref_table) == 0)
			return &t->fkeys[i];
	return NULL;
}

/* Secondary indexes: not behind a key, not MySQL's automatic FK index. */
static bool secondary(const sl_table *t, const sl_index *x)
{
	if (x->primary || x->unique)
		return false;
	for (size_t i = 0; i < t->nfkeys; i++)
		if (t->fkeys[i].name && x->name && strcmp(t->fkeys[i].name, x->name) == 0)
			return false;
	return true;
}

static const sl_index *find_index(const sl_table *t, const char *name)
{
	for (size_t i = 0; i < t->nindexes; i++)
		if (t->indexes[i].name && strcmp(t->indexes[i].name, name) == 0)
			return &t->indexes[i];
	return NULL;
}

static void compare_table(const char *pair, const sl_table *a, const sl_table *b)
{
	char where[256];
	if (a->ncolumns != b->ncolumns)
		fail_msg("%s: table %s: %zu vs %zu columns", pair, a->name, a->ncolumns, b->ncolumns);
	for (size_t i = 0; i < a->ncolumns; i++) {
		snprintf(where, sizeof(where), "%s: %s.%s", pair, a->name, a->columns[i].name);
		compare_column(where, &a->columns[i], &b->columns[i]);
	}
	snprintf(where, sizeof(where), "%s: %s primary key", pair, a->name);
	assert_non_null(a->primary_key);
	assert_non_null(b->primary_key);
	same_list(where, a->primary_key->columns, a->primary_key->ncolumns, b->primary_key->columns,
		  b->primary_key->ncolumns);

	if (a->nuniques != b->nuniques)
		fail_msg("%s: %s: %zu vs %zu unique keys", pair, a->name, a->nuniques, b->nuniques);
	for (size_t i = 0; i < a->nuniques; i++) {
		snprintf(where, sizeof(where), "%s: %s unique #%zu", pair, a->name, i);
		same_list(where, a->uniques[i].columns, a->uniques[i].ncolumns, b->uniques[i].columns,
			  b->uniques[i].ncolumns);
	}

	if (a->nfkeys != b->nfkeys)
		fail_msg("%s: %s: %zu vs %zu foreign keys", pair, a->name, a->nfkeys, b->nfkeys);
	for (size_t i = 0; i < a->nfkeys; i++) {
		const sl_fkey *fa = &a->fkeys[i], *fb = find_fk(b, fa);
		if (!fb)
			fail_msg("%s: %s: foreign key to %s missing on one side", pair, a->name,
				 fa->ref_table);
		snprintf(where, sizeof(where), "%s: %s fk -> %s", pair, a->name, fa->ref_table);
		same_list(where, fa->ref_columns, fa->ncolumns, fb->ref_columns, fb->ncolumns);
		/* NO ACTION and RESTRICT differ only in when they are checked */
		sl_fk_action da = fa->on_delete == SL_FK_RESTRICT ? SL_FK_NO_ACTION : fa->on_delete;
		sl_fk_action db = fb->on_delete == SL_FK_RESTRICT ? SL_FK_NO_ACTION : fb->on_delete;
		if (da != db)
			fail_msg("%s: on delete %s vs %s", where, sl_fk_action_name(fa->on_delete),
				 sl_fk_action_name(fb->on_delete));
	}

	if (a->nchecks != b->nchecks)
		fail_msg("%s: %s: %zu vs %zu checks", pair, a->name, a->nchecks, b->nchecks);
	for (size_t i = 0; i < a->nchecks; i++) {
		if (!a->checks[i].name || !b->checks[i].name || strcmp(a->checks[i].name, b->checks[i].name))
			fail_msg("%s: %s: check \"%s\" vs \"%s\"", pair, a->name,
				 a->checks[i].name ? a->checks[i].name : "(unnamed)",
				 b->checks[i].name ? b->checks[i].name : "(unnamed)");
	}

	size_t na = 0, nb = 0;
	for (size_t i = 0; i < a->nindexes; i++) {
		const sl_index *x = &a->indexes[i];
		if (!secondary(a, x))
			continue;
		na++;
		const sl_index *y = find_index(b, x->name);
		if (!y)
			fail_msg("%s: %s: index %s missing on one side", pair, a->name, x->name);
		snprintf(where, sizeof(where), "%s: index %s", pair, x->name);
		same_list(where, x->columns, x->ncolumns, y->columns, y->ncolumns);
	}
	for (size_t i = 0; i < b->nindexes; i++)
		nb += secondary(b, &b->indexes[i]);
	if (na != nb)
		fail_msg("%s: %s: %zu vs %zu secondary indexes", pair, a->name, na, nb);
}

static bool view_reads_table(const sl_view *v, const char *table)
{
	for (size_t i = 0; i < v->nreads; i++)
		if (strcmp(v->reads[i].table, table) == 0)
			return true;
	return false;
}

static void compare(const char *pair, const sl_schema *a, const sl_schema *b)
{
	if (a->ntables != b->ntables)
		fail_msg("%s: %zu vs %zu tables", pair, a->ntables, b->ntables);
	for (size_t i = 0; i < a->ntables; i++) {
		if (strcmp(a->tables[i].name, b->tables[i].name) != 0)
			fail_msg("%s: table \"%s\" vs \"%s\"", pair, a->tables[i].name, b->tables[i].name);
		compare_table(pair, &a->tables[i], &b->tables[i]);
	}
	assert_int_equal(a->nviews, 1);
	assert_int_equal(b->nviews, 1);
	assert_string_equal(a->views[0].name, b->views[0].name);
	for (size_t i = 0; i < a->nviews; i++) {
		if (!view_reads_table(&a->views[i], "customers") ||
		    !view_reads_table(&a->views[i], "invoices") ||
		    !view_reads_table(&b->views[i], "customers") ||
		    !view_reads_table(&b->views[i], "invoices"))
			fail_msg("%s: view %s must read customers and invoices", pair, a->views[i].name);
	}
	assert_int_equal(a->ntriggers, 1);
	assert_int_equal(b->ntriggers, 1);
	const sl_trigger *ta = &a->triggers[0], *tb = &b->triggers[0];
	assert_string_equal(ta->name, tb->name);
	assert_string_equal(ta->table, "payments");
	assert_string_equal(tb->table, "payments");
	assert_string_equal(ta->timing, "AFTER");
	assert_string_equal(tb->timing, "AFTER");
	assert_non_null(strstr(ta->events, "INSERT"));
	assert_non_null(strstr(tb->events, "INSERT"));
}

static void check_shape(const sl_schema *s)
{
	/* a few concrete facts, so "equal" cannot mean "equally empty" */
	assert_int_equal(s->ntables, 6);
	const sl_table *inv = sl_schema_find_table(s, NULL, "invoices");
	assert_non_null(inv);
	assert_int_equal(inv->ncolumns, 9);
	assert_int_equal(inv->nfkeys, 2);
	const sl_column *total = sl_table_find_column(inv, "total");
	assert_non_null(total);
	assert_int_equal(total->type.kind, SL_T_DECIMAL);
	assert_int_equal(total->type.precision, 12);
	assert_int_equal(total->type.scale, 2);
	const sl_table *cust = sl_schema_find_table(s, NULL, "customers");
	assert_int_equal(sl_table_find_column(cust, "is_vip")->type.kind, SL_T_BOOL);
	assert_int_equal(sl_table_find_column(cust, "public_id")->type.kind, SL_T_UUID);
	assert_int_equal(sl_table_find_column(cust, "created_at")->type.kind, SL_T_TIMESTAMP);
	const sl_table *audit = sl_schema_find_table(s, NULL, "audit_log");
	assert_int_equal(sl_table_find_column(audit, "payload")->type.kind, SL_T_JSON);
}

static void test_equivalent_models(void **state)
{
	(void)state;
	sl_schema *m[SL_TEST__N] = { 0 };
	char *url[SL_TEST__N] = { 0 };
	for (int e = 0; e < SL_TEST__N; e++) {
		if (!sl_test_available((sl_test_engine)e))
			continue;
		m[e] = load_and_inspect((sl_test_engine)e, &url[e]);
		check_shape(m[e]);
	}
	if (m[SL_TEST_PG])
		compare("sqlite vs postgres", m[SL_TEST_SQLITE], m[SL_TEST_PG]);
	if (m[SL_TEST_MY])
		compare("sqlite vs mysql", m[SL_TEST_SQLITE], m[SL_TEST_MY]);
	if (m[SL_TEST_PG] && m[SL_TEST_MY])
		compare("postgres vs mysql", m[SL_TEST_PG], m[SL_TEST_MY]);
	for (int e = 0; e < SL_TEST__N; e++) {
		sl_schema_free(m[e]);
		sl_test_scratch_drop((sl_test_engine)e, url[e]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equivalent_models),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
