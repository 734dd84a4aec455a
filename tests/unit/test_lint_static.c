/*
 * test_lint_static.c - unit tests of `sluice lint` rules that need no
 * database: each static rule firing and not firing with its exact message
 * and file:line, levels from sluice.yaml (off, warn, error, unknown ids),
 * and the PostgreSQL parse-tree rules on representative statements.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/lint.h"

/* Lints text as the file "m/001_x.sql" with config yaml (may be NULL); returns the report. */
static sl_lint_report *lint(const char *yaml, const char *text, sl_engine dialect)
{
	sl_config *cfg = NULL;
	sl_migration *m = NULL;
	sl_lint_report *r = NULL;
	sl_lint_opts o = SL_LINT_OPTS_INIT;
	if (yaml)
		SL_OK_OR_FAIL(sl_config_parse(&cfg, "sluice.yaml", yaml, strlen(yaml)));
	SL_OK_OR_FAIL(sl_migration_parse(&m, "m/001_x.sql", text, strlen(text)));
	SL_OK_OR_FAIL(sl_lint_report_new(&r, cfg));
	o.config = cfg;
	o.dialect = dialect;
	SL_OK_OR_FAIL(sl_lint_static(r, m, &o));
	/* findings own their strings: the file and config may go */
	sl_migration_free(m);
	r->config = NULL;
	sl_config_free(cfg);
	return r;
}

/* All findings as "line: level: rule: message" lines. */
static char *render(const sl_lint_report *r)
{
	sl_buf b = SL_BUF_INIT;
	for (size_t i = 0; i < r->n; i++)
		sl_buf_printf(&b, "%s:%zu: %s: %s: %s\n", r->items[i].path, r->items[i].line,
			      sl_lint_level_name(r->items[i].level), r->items[i].rule, r->items[i].message);
	return sl_buf_detach(&b);
}

static void expect(const char *yaml, const char *text, sl_engine dialect, const char *want)
{
	sl_lint_report *r = lint(yaml, text, dialect);
	char *got = render(r);
	if (strcmp(got, want) != 0)
		fail_msg("findings\n[%s]\nexpected\n[%s]", got, want);
	free(got);
	sl_lint_report_free(r);
}

static const char ok_file[] = "-- title: ok\n"
			      "-- ticket: T-1\n"
			      "\n"
			      "-- +sluice up\n"
			      "CREATE TABLE t (id int);\n"
			      "DELETE FROM t WHERE id = 1;\n"
			      "ALTER TABLE t ALTER COLUMN id DROP DEFAULT, DROP CONSTRAINT c;\n"
			      "\n"
			      "-- +sluice down\n"
			      "DROP TABLE t;\n"
			      "\n"
			      "-- +sluice verify\n"
			      "SELECT 1 WHERE false;\n";

static void test_clean_file(void **state)
{
	expect("migrations:\n  required: [ticket]\n", ok_file, SL_ENGINE_NONE, "");
}

static void test_required_metadata(void **state)
{
	const char *text = "-- title: x\n-- ticket:\n\n-- +sluice up\nSELECT 1;\n-- +sluice down\nSELECT 1;\n"
			   "-- +sluice verify\nSELECT 1;\n";
	expect("migrations:\n  required: [ticket, owner]\n", text, SL_ENGINE_NONE,
	       "m/001_x.sql:2: error: required-metadata: \"ticket\" is empty (required by sluice.yaml)\n"
	       "m/001_x.sql:1: error: required-metadata: missing \"owner\" (required by sluice.yaml)\n");
	expect(NULL, text, SL_ENGINE_NONE, "");
}

static void test_missing_down(void **state)
{
	expect(NULL, "-- title: x\n\n-- +sluice up\nCREATE TABLE t (a int);\n", SL_ENGINE_NONE,
	       "m/001_x.sql:3: error: missing-down: no down section and no \"irreversible: <reason>\" "
	       "header\n");
	expect(NULL,
	       "-- title: x\n-- irreversible: the data is gone\n\n-- +sluice up\nCREATE TABLE t (a int);\n",
	       SL_ENGINE_NONE, "");
}

static void test_destructive(void **state)
{
	const char *text = "-- title: x\n"
			   "-- +sluice up\n"
			   "DROP TABLE a;\n" /* 3 */
			   "ALTER TABLE b DROP COLUMN c;\n"
			   "ALTER TABLE b DROP `d`, ADD e int;\n" /* 5 */
			   "TRUNCATE f;\n"
			   "DELETE FROM g;\n"
			   "DELETE FROM g WHERE id IN (SELECT id FROM h);\n" /* 8: has WHERE */
			   "DELETE FROM g USING (SELECT 1 WHERE true) x;\n"  /* 9: WHERE only inside */
			   "DROP SCHEMA s CASCADE;\n"                        /* 10 */
			   "DROP DATABASE d;\n"
			   "SELECT 'DROP TABLE x';\n" /* 12: a string */
			   "DROP INDEX i;\n"
			   "ALTER TABLE b ALTER COLUMN c DROP NOT NULL;\n"
			   "-- +sluice down\n"
			   "DROP TABLE a;\n";
	expect(NULL, text, SL_ENGINE_NONE,
	       "m/001_x.sql:3: warn: destructive-statement: up section drops a table: DROP TABLE a\n"
	       "m/001_x.sql:4: warn: destructive-statement: up section drops a column: ALTER TABLE b DROP "
	       "COLUMN c\n"
	       "m/001_x.sql:5: warn: destructive-statement: up section drops a column: ALTER TABLE b DROP "
	       "`d`, ADD e int\n"
	       "m/001_x.sql:6: warn: destructive-statement: up section truncates a table: TRUNCATE f\n"
	       "m/001_x.sql:7: warn: destructive-statement: up section deletes every row (DELETE without "
	       "WHERE): DELETE FROM g\n"
	       "m/001_x.sql:9: warn: destructive-statement: up section deletes every row (DELETE without "
	       "WHERE): DELETE FROM g USING (SELECT 1 WHERE true) x\n"
	       "m/001_x.sql:10: warn: destructive-statement: up section drops a schema: DROP SCHEMA s "
	       "CASCADE\n"
	       "m/001_x.sql:11: warn: destructive-statement: up section drops a database: DROP DATABASE d\n"
	       "m/001_x.sql:4: warn: expand-candidate: ALTER TABLE b DROP COLUMN c: clients of the old shape "
	       "break when this runs; an expand/contract migration keeps both shapes live (drop column b.c)\n"
	       "m/001_x.sql:5: warn: expand-candidate: ALTER TABLE b DROP COLUMN d: clients of the old shape "
	       "break when this runs; an expand/contract migration keeps both shapes live (drop column "
	       "b.d)\n");
}

static void test_empty_verify_and_levels(void **state)
{
	const char *text = "-- title: x\n\n-- +sluice up\nDROP TABLE a;\n-- +sluice down\nSELECT 1;\n";
	/* empty-verify is off by default */
	expect(NULL, text, SL_ENGINE_NONE,
	       "m/001_x.sql:4: warn: destructive-statement: up section drops a table: DROP TABLE a\n");
	expect("lint:\n  rules:\n    empty-verify: warn\n    destructive-statement: error\n", text,
	       SL_ENGINE_NONE,
	       "m/001_x.sql:3: warn: empty-verify: no verify section\n"
	       "m/001_x.sql:4: error: destructive-statement: up section drops a table: DROP TABLE a\n");
	expect("lint:\n  rules:\n    destructive-statement: off\n", text, SL_ENGINE_NONE, "");
	sl_lint_report *r = lint("lint:\n  rules:\n    empty-verify: error\n", text, SL_ENGINE_NONE);
	assert_int_equal(r->nerrors, 1);
	assert_int_equal(r->nwarnings, 1);
	assert_int_equal(r->nchecked, 1);
	sl_lint_report_free(r);
}

static void test_unknown_rule(void **state)
{
	sl_config *cfg = NULL;
	const char *yaml =
		"project: p\nlint:\n  rules:\n    missing-down: warn\n    index-not-concurent: off\n";
	SL_OK_OR_FAIL(sl_config_parse(&cfg, "sluice.yaml", yaml, strlen(yaml)));
	assert_int_equal(sl_lint_check_config(cfg), SL_EINVALID);
	assert_string_equal(sl_error_last()->message,
			    "sluice.yaml:5:5: unknown lint rule \"index-not-concurent\" (did you mean "
			    "\"index-not-concurrent\"?)");
	sl_config_free(cfg);
	yaml = "lint:\n  rules:\n    zzz: off\n";
	SL_OK_OR_FAIL(sl_config_parse(&cfg, "sluice.yaml", yaml, strlen(yaml)));
	assert_int_equal(sl_lint_check_config(cfg), SL_EINVALID);
	assert_string_equal(sl_error_last()->message, "sluice.yaml:3:5: unknown lint rule \"zzz\"");
	sl_config_free(cfg);
	assert_int_equal(sl_lint_check_config(NULL), 0);
	size_t n;
	const sl_lint_rule *rules = sl_lint_rules(&n);
	assert_int_equal(n, 20);
	for (size_t i = 0; i < n; i++) {
		char path[256];
		snprintf(path, sizeof(path), "%s/docs/lint/%s.md", SLUICE_SOURCE_DIR, rules[i].id);
		FILE *f = fopen(path, "r");
		if (!f)
			fail_msg("rule %s has no page %s", rules[i].id, path);
		fclose(f);
	}
}

/* PostgreSQL rules: a file whose up section is sql, with down and verify. */
static void expect_pg(const char *up_directive, const char *sql, const char *want)
{
	char text[4096];
	snprintf(text, sizeof(text),
		 "-- title: x\n-- %s\n%s\n-- +sluice down\nSELECT 1;\n-- +sluice verify\nSELECT 1;\n",
		 up_directive, sql);
	expect(NULL, text, SL_ENGINE_POSTGRES, want);
}

static void test_pg_index(void **state)
{
	expect_pg("+sluice up", "CREATE INDEX i ON orders (a);",
		  "m/001_x.sql:3: warn: index-not-concurrent: CREATE INDEX on existing table \"orders\" "
		  "without "
		  "CONCURRENTLY blocks writes while it builds\n");
	expect_pg("+sluice up", "CREATE TABLE orders (a int);\nCREATE INDEX i ON orders (a);", "");
	expect_pg("+sluice up no-transaction", "CREATE INDEX CONCURRENTLY i ON orders (a);", "");
	expect_pg("+sluice up", "CREATE INDEX CONCURRENTLY i ON orders (a);",
		  "m/001_x.sql:3: error: concurrently-in-transaction: CREATE INDEX CONCURRENTLY on "
		  "\"orders\" cannot "
		  "run inside a transaction: mark the section \"-- +sluice up no-transaction\"\n");
}

static void test_pg_constraints(void **state)
{
	expect_pg("+sluice up", "ALTER TABLE o\n  ADD CONSTRAINT o_c_fk FOREIGN KEY (c) REFERENCES c (id);",
		  "m/001_x.sql:4: warn: constraint-not-valid: foreign key \"o_c_fk\" on existing table \"o\" "
		  "without "
		  "NOT VALID scans the table under a lock; add it NOT VALID, then VALIDATE CONSTRAINT in a "
		  "later migration\n");
	expect_pg("+sluice up",
		  "ALTER TABLE o ADD CONSTRAINT o_c_fk FOREIGN KEY (c) REFERENCES c (id) NOT VALID;", "");
	expect_pg("+sluice up", "ALTER TABLE o ADD CHECK (a > 0);",
		  "m/001_x.sql:3: warn: constraint-not-valid: check constraint on existing table \"o\" "
		  "without NOT "
		  "VALID scans the table under a lock; add it NOT VALID, then VALIDATE CONSTRAINT in a later "
		  "migration\n");
	expect_pg("+sluice up", "ALTER TABLE o ADD CONSTRAINT u UNIQUE (a);", "");
	expect_pg("+sluice up", "CREATE TABLE o (a int);\nALTER TABLE o ADD CHECK (a > 0);", "");
}

static void test_pg_type_and_default(void **state)
{
	expect_pg(
		"+sluice up", "ALTER TABLE o ALTER COLUMN total TYPE numeric(14,2);",
		"m/001_x.sql:3: warn: column-type-rewrite: ALTER COLUMN \"total\" TYPE on existing table "
		"\"o\" may "
		"rewrite the table and its indexes under an exclusive lock\n"
		"m/001_x.sql:3: warn: expand-candidate: ALTER TABLE o ALTER COLUMN total TYPE: clients of "
		"the "
		"old shape break when this runs; an expand/contract migration keeps both shapes live (change "
		"type o.total to ... up (...) down (...))\n");
	expect_pg("+sluice up", "ALTER TABLE o ADD COLUMN r float8 DEFAULT random();",
		  "m/001_x.sql:3: warn: volatile-default: ADD COLUMN \"r\" to existing table \"o\" with a "
		  "volatile "
		  "default (random()) rewrites the table under an exclusive lock; add the column without it, "
		  "then "
		  "backfill in batches\n");
	expect_pg("+sluice up", "ALTER TABLE o ADD COLUMN n bigserial;",
		  "m/001_x.sql:3: warn: volatile-default: ADD COLUMN \"n\" to existing table \"o\" with a "
		  "volatile "
		  "default (bigserial) rewrites the table under an exclusive lock; add the column without "
		  "it, then "
		  "backfill in batches\n");
	/* now() is stable: stored once, no rewrite since PostgreSQL 11 */
	expect_pg("+sluice up", "ALTER TABLE o ADD COLUMN at timestamptz DEFAULT now();", "");
	expect_pg("+sluice up", "ALTER TABLE o ADD COLUMN s text DEFAULT 'x';", "");
}

static void test_expand_candidate(void **state)
{
	const char *head = "-- title: x\n-- +sluice up\n";
	const char *down = "-- +sluice down\nSELECT 1;\n";
	char text[1024];
	/* fires: an existing table's column renamed, retyped, made NOT NULL; a table renamed */
	snprintf(text, sizeof(text),
		 "%sALTER TABLE accounts RENAME COLUMN name TO full_name;\n"
		 "ALTER TABLE public.accounts ALTER COLUMN balance SET NOT NULL, ADD COLUMN x int;\n"
		 "ALTER TABLE accounts MODIFY balance decimal(12,2);\n"
		 "RENAME TABLE accounts TO clients;\n"
		 "ALTER TABLE accounts ADD COLUMN region varchar(10) NOT NULL;\n%s",
		 head, down);
	expect("lint:\n  rules:\n    destructive-statement: off\n", text, SL_ENGINE_MYSQL,
	       "m/001_x.sql:3: warn: expand-candidate: ALTER TABLE accounts RENAME COLUMN name: clients of "
	       "the "
	       "old shape break when this runs; an expand/contract migration keeps both shapes live (rename "
	       "column accounts.name to full_name)\n"
	       "m/001_x.sql:4: warn: expand-candidate: ALTER TABLE accounts ALTER COLUMN balance SET NOT "
	       "NULL: "
	       "clients of the old shape break when this runs; an expand/contract migration keeps both "
	       "shapes "
	       "live (set not null accounts.balance up (...))\n"
	       "m/001_x.sql:5: warn: expand-candidate: ALTER TABLE accounts MODIFY COLUMN balance: clients "
	       "of "
	       "the old shape break when this runs; an expand/contract migration keeps both shapes live "
	       "(change type accounts.balance to ... up (...) down (...))\n"
	       "m/001_x.sql:6: warn: expand-candidate: RENAME TABLE accounts: clients of the old shape break "
	       "when this runs; an expand/contract migration keeps both shapes live (rename table accounts "
	       "to "
	       "clients)\n"
	       "m/001_x.sql:7: warn: expand-candidate: ALTER TABLE accounts ADD COLUMN region ... NOT NULL "
	       "without a default: clients of the old shape break when this runs; an expand/contract "
	       "migration keeps both shapes live (add column accounts.region ... not null up (...))\n");
	/* does not fire: a table made in the same section, nullable or defaulted columns, constraints */
	snprintf(text, sizeof(text),
		 "%sCREATE TABLE t (id int, a int);\n"
		 "ALTER TABLE t RENAME COLUMN a TO b;\n"
		 "ALTER TABLE t DROP COLUMN b;\n"
		 "ALTER TABLE accounts ADD COLUMN note text, ADD COLUMN n int NOT NULL DEFAULT 0;\n"
		 "ALTER TABLE accounts DROP CONSTRAINT c, ALTER COLUMN x DROP DEFAULT, DROP INDEX i;\n"
		 "ALTER TABLE accounts RENAME CONSTRAINT c TO d;\n%s",
		 head, down);
	expect("lint:\n  rules:\n    destructive-statement: off\n", text, SL_ENGINE_POSTGRES, "");
	/* an expand/contract migration is what it asks for */
	expect(NULL,
	       "-- title: x\n-- +sluice expand\nrename column accounts.name to full_name;\n-- +sluice "
	       "down\nSELECT 1;\n",
	       SL_ENGINE_POSTGRES, "");
}

static void test_expand_unsupported(void **state)
{
	const char *text = "-- title: x\n-- +sluice expand\n"
			   "rename column accounts.name to full_name;\n"
			   "set not null accounts.note up ('-');\n"
			   "add foreign key accounts (owner) references users (id);\n"
			   "-- +sluice down\nSELECT 1;\n";
	expect(NULL, text, SL_ENGINE_SQLITE,
	       "m/001_x.sql:4: error: expand-unsupported: set not null accounts.note: not supported on "
	       "sqlite: "
	       "SQLite cannot add NOT NULL to an existing column without rebuilding the table\n"
	       "m/001_x.sql:5: error: expand-unsupported: add foreign key accounts: not supported on sqlite: "
	       "SQLite cannot add a foreign key to an existing table without rebuilding it\n");
	expect(NULL, text, SL_ENGINE_POSTGRES, "");
	expect(NULL, text, SL_ENGINE_NONE, ""); /* no target: nothing to say */
}

static void test_pg_only_where_it_applies(void **state)
{
	const char *text =
		"-- title: x\n-- +sluice up\nCREATE INDEX i ON orders (a);\n-- +sluice down\nSELECT 1;\n";
	/* no target and no postgres variant: the parse-tree rules do not run */
	expect(NULL, text, SL_ENGINE_NONE, "");
	expect(NULL, text, SL_ENGINE_SQLITE, "");
	const char *pg = "-- title: x\n-- +sluice up\nCREATE INDEX i ON orders (a);\n"
			 "-- +sluice up dialect=postgres\nCREATE INDEX CONCURRENTLY i ON orders (a);\n"
			 "-- +sluice down\nSELECT 1;\n";
	expect(NULL, pg, SL_ENGINE_NONE,
	       "m/001_x.sql:5: error: concurrently-in-transaction: CREATE INDEX CONCURRENTLY on \"orders\" "
	       "cannot "
	       "run inside a transaction: mark the section \"-- +sluice up no-transaction\"\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_file),
		cmocka_unit_test(test_required_metadata),
		cmocka_unit_test(test_missing_down),
		cmocka_unit_test(test_destructive),
		cmocka_unit_test(test_empty_verify_and_levels),
		cmocka_unit_test(test_unknown_rule),
		cmocka_unit_test(test_pg_index),
		cmocka_unit_test(test_pg_constraints),
		cmocka_unit_test(test_pg_type_and_default),
		cmocka_unit_test(test_pg_only_where_it_applies),
		cmocka_unit_test(test_expand_candidate),
		cmocka_unit_test(test_expand_unsupported),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
