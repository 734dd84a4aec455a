/*
 * test_copy_keys.c - `sluice copy` carries every index and foreign key, in
 * all nine directions between SQLite, PostgreSQL and MariaDB. The source is
 * tests/fixtures/keys/<engine>.sql: a self-reference whose column also has
 * its own index (tree.parent_id), a two-table cycle (cyc_a.b_id /
 * cyc_b.a_id), a composite primary key referenced by a composite foreign
 * key with its own composite index, a foreign key to a unique key. After
 * the copy (exit 0, no constraint problem) both sides are introspected and
 * every source index, unique key and foreign key must exist on the target
 * with the same columns, uniqueness, referenced table and columns, delete
 * action and - where the target keeps names - the same name.
 */
#include "testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/schema.h"

static bool same_list(const char *const *a, size_t na, const char *const *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return true;
}

/* Every problem of every direction, reported together at the end of a source. */
static sl_buf problems = SL_BUF_INIT;

#define PROBLEM(...)                                                                                         \
	do {                                                                                                 \
		sl_buf_printf(&problems, __VA_ARGS__);                                                       \
		sl_buf_putc(&problems, '\n');                                                                \
	} while (0)

static const char *dir_name(sl_test_engine s, sl_test_engine d)
{
	static char buf[64];
	snprintf(buf, sizeof(buf), "%s -> %s", sl_test_engine_name(s), sl_test_engine_name(d));
	return buf;
}

/* A target index or unique key with these columns and uniqueness; its name in *name. */
static bool has_index(const sl_table *t, const sl_index *want, const char **name)
{
	for (size_t i = 0; i < t->nindexes; i++) {
		const sl_index *ix = &t->indexes[i];
		if (ix->unique == want->unique &&
		    same_list(ix->columns, ix->ncolumns, want->columns, want->ncolumns)) {
			*name = ix->name;
			return true;
		}
	}
	for (size_t i = 0; want->unique && i < t->nuniques; i++)
		if (same_list(t->uniques[i].columns, t->uniques[i].ncolumns, want->columns, want->ncolumns)) {
			*name = t->uniques[i].name;
			return true;
		}
	return false;
}

static const sl_fkey *find_fkey(const sl_table *t, const sl_fkey *want)
{
	for (size_t i = 0; i < t->nfkeys; i++) {
		const sl_fkey *fk = &t->fkeys[i];
		if (same_list(fk->columns, fk->ncolumns, want->columns, want->ncolumns) &&
		    strcmp(fk->ref_table, want->ref_table) == 0 &&
		    same_list(fk->ref_columns, fk->ncolumns, want->ref_columns, want->ncolumns))
			return fk;
	}
	return NULL;
}

static void check_table(sl_test_engine se, sl_test_engine de, const sl_table *s, const sl_table *d)
{
	const char *dir = dir_name(se, de);
	if (!d) {
		PROBLEM("%s: table \"%s\" missing on the target", dir, s->name);
		return;
	}
	if (s->primary_key) {
		if (!d->primary_key || !same_list(d->primary_key->columns, d->primary_key->ncolumns,
						  s->primary_key->columns, s->primary_key->ncolumns))
			PROBLEM("%s: \"%s\": primary key not carried", dir, s->name);
	}
	for (size_t i = 0; i < s->nindexes; i++) {
		const sl_index *ix = &s->indexes[i];
		const char *name = NULL;
		if (ix->primary)
			continue;
		if (!has_index(d, ix, &name)) {
			PROBLEM("%s: \"%s\": index \"%s\" not created", dir, s->name, ix->name);
			continue;
		}
		/* SQLite names the index behind an inline UNIQUE itself */
		bool auto_name = strncmp(ix->name, "sqlite_autoindex_", 17) == 0 ||
				 (name && strncmp(name, "sqlite_autoindex_", 17) == 0);
		if (!auto_name && (!name || strcmp(name, ix->name) != 0))
			PROBLEM("%s: \"%s\": index \"%s\" created as \"%s\"", dir, s->name, ix->name,
				name ? name : "(unnamed)");
	}
	for (size_t i = 0; i < s->nuniques; i++) {
		sl_index want = { .unique = true,
				  .columns = s->uniques[i].columns,
				  .ncolumns = s->uniques[i].ncolumns };
		const char *name = NULL;
		if (!has_index(d, &want, &name))
			PROBLEM("%s: \"%s\": unique key \"%s\" not created", dir, s->name,
				s->uniques[i].name ? s->uniques[i].name : "(unnamed)");
	}
	if (d->nfkeys != s->nfkeys)
		PROBLEM("%s: \"%s\": %zu foreign keys on the source, %zu on the target", dir, s->name,
			s->nfkeys, d->nfkeys);
	for (size_t i = 0; i < s->nfkeys; i++) {
		const sl_fkey *fk = find_fkey(d, &s->fkeys[i]);
		if (!fk) {
			PROBLEM("%s: \"%s\": foreign key \"%s\" not created", dir, s->name,
				s->fkeys[i].name ? s->fkeys[i].name : "(unnamed)");
			continue;
		}
		/* InnoDB has no NO ACTION of its own: it is RESTRICT there */
		bool innodb_same = de == SL_TEST_MY && s->fkeys[i].on_delete == SL_FK_NO_ACTION &&
				   fk->on_delete == SL_FK_RESTRICT;
		if (fk->on_delete != s->fkeys[i].on_delete && !innodb_same)
			PROBLEM("%s: \"%s\": foreign key \"%s\": ON DELETE %s became %s", dir, s->name,
				fk->name, sl_fk_action_name(s->fkeys[i].on_delete),
				sl_fk_action_name(fk->on_delete));
		if (s->fkeys[i].name && fk->name && strcmp(s->fkeys[i].name, fk->name) != 0)
			PROBLEM("%s: \"%s\": foreign key \"%s\" created as \"%s\"", dir, s->name,
				s->fkeys[i].name, fk->name);
	}
}

static void copy_and_compare(sl_test_engine se, const char *src_url, sl_test_engine de)
{
	char *dst_url = sl_test_scratch_url(de);
	char *out = NULL;
	int st = sl_test_run(&out, "%s copy '%s' '%s' --json -q 2>&1", SLUICE_BINARY, src_url, dst_url);
	const char *brace = strchr(out, '{');
	json_error_t jerr;
	json_t *res = brace ? json_loads(brace, JSON_DISABLE_EOF_CHECK, &jerr) : NULL;
	if (st != 0 || !res || !json_is_true(json_object_get(res, "finished")) ||
	    json_array_size(json_object_get(res, "violations")) != 0)
		PROBLEM("%s: copy exit %d, not finished or with constraint problems:\n%.*s", dir_name(se, de),
			st, brace ? (int)(brace - out) : (int)strlen(out), out);
	json_decref(res);
	free(out);

	sl_conn *src = sl_test_open(src_url), *dst = sl_test_open(dst_url);
	sl_schema *s = NULL, *d = NULL;
	SL_OK_OR_FAIL(sl_conn_introspect(&s, src, NULL));
	SL_OK_OR_FAIL(sl_conn_introspect(&d, dst, NULL));
	for (size_t i = 0; i < s->ntables; i++)
		check_table(se, de, &s->tables[i], sl_schema_find_table(d, NULL, s->tables[i].name));
	sl_schema_free(s);
	sl_schema_free(d);
	sl_conn_close(src);
	sl_conn_close(dst);
	sl_test_scratch_drop(de, dst_url);
}

static void from(sl_test_engine se)
{
	if (!sl_test_available(se))
		return;
	char *src_url = sl_test_load_fixture(se, "keys");
	for (int de = 0; de < SL_TEST__N; de++)
		if (sl_test_available((sl_test_engine)de))
			copy_and_compare(se, src_url, (sl_test_engine)de);
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
