/*
 * test_expand_parse.c - unit tests of expand/contract migrations that need
 * no server: the vocabulary of an expand section (each operation, each
 * error with its file:line), the migration-file rules around the section
 * (version=, up or expand, checksums), what SQLite refuses, and the
 * planner's refusals and plan on a SQLite database.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sluice/expand.h"
#include "sluice/migrate.h"
#include "sluice/migration.h"

static sl_xops *parse_ok(const char *text, sl_engine d)
{
	sl_xops *ops = NULL;
	if (sl_expand_parse(&ops, "m/002_x.sql", 10, text, strlen(text), d) != 0)
		fail_msg("parse failed: %s", sl_error_last()->message);
	return ops;
}

static void parse_err(const char *text, const char *want)
{
	sl_xops *ops = (sl_xops *)1;
	assert_int_equal(sl_expand_parse(&ops, "m/002_x.sql", 10, text, strlen(text), SL_ENGINE_NONE),
			 SL_EINVALID);
	assert_null(ops);
	if (strcmp(sl_error_last()->message, want) != 0)
		fail_msg("message\n  [%s]\nexpected\n  [%s]", sl_error_last()->message, want);
}

static void test_operations(void **state)
{
	sl_xops *ops = parse_ok(
		"-- comments and blank lines are fine\n"
		"rename column accounts.name to full_name;\n" /* 11 */
		"RENAME TABLE \"Old Table\" TO new_table;\n"  /* 12 */
		"change type accounts.balance to numeric(14, 2) up (balance::numeric / 100)\n"
		"  down (round(balance * 100)::int) default (0);\n"              /* 13 */
		"add column accounts.currency char(3) not null default 'USD';\n" /* 15 */
		"add column accounts.score int up (coalesce(points, 0) * 2);\n"  /* 16 */
		"drop column accounts.legacy down ('n/a');\n"                    /* 17 */
		"split column people.name into first varchar(50) up (split_part(name, ' ', 1)),\n"
		"  last varchar(50) up (split_part(name, ' ', 2)) down (first || ' ' || last);\n"
		"merge columns people.street, people.city into address text up (street || ', ' || city)\n"
		"  down street (split_part(address, ', ', 1)), city (split_part(address, ', ', 2));\n"
		"set not null accounts.note up (coalesce(note, '-'));\n" /* 22 */
		"add unique accounts (email) name accounts_email_key;\n"
		"add foreign key orders (account_id) references accounts (id) on delete cascade;\n"
		"add check accounts (balance >= 0 AND note <> ')');\n" /* 25 */
		"add index accounts (created_at, id) unique\n",        /* 26: no ';' at the end */
		SL_ENGINE_POSTGRES);
	assert_int_equal(ops->n, 13);
	const sl_xop *o = ops->items;
	assert_int_equal(o[0].kind, SL_XOP_RENAME_COLUMN);
	assert_int_equal(o[0].line, 11);
	assert_string_equal(o[0].table, "accounts");
	assert_string_equal(o[0].column, "name");
	assert_string_equal(o[0].to, "full_name");
	assert_int_equal(o[1].kind, SL_XOP_RENAME_TABLE);
	assert_string_equal(o[1].table, "Old Table");
	assert_string_equal(o[1].to, "new_table");
	assert_int_equal(o[2].kind, SL_XOP_CHANGE_TYPE);
	assert_string_equal(o[2].type, "numeric(14, 2)");
	assert_string_equal(o[2].up, "balance::numeric / 100");
	assert_string_equal(o[2].down, "round(balance * 100)::int");
	assert_string_equal(o[2].default_expr, "(0)");
	assert_int_equal(o[3].kind, SL_XOP_ADD_COLUMN);
	assert_int_equal(o[3].line, 15);
	assert_true(o[3].not_null);
	assert_string_equal(o[3].type, "char(3)");
	assert_string_equal(o[3].default_expr, "'USD'");
	assert_string_equal(o[4].up, "coalesce(points, 0) * 2");
	assert_int_equal(o[5].kind, SL_XOP_DROP_COLUMN);
	assert_string_equal(o[5].down, "'n/a'");
	assert_int_equal(o[6].kind, SL_XOP_SPLIT_COLUMN);
	assert_int_equal(o[6].ncols, 2);
	assert_string_equal(o[6].cols[1].name, "last");
	assert_string_equal(o[6].cols[1].type, "varchar(50)");
	assert_string_equal(o[6].cols[1].expr, "split_part(name, ' ', 2)");
	assert_string_equal(o[6].down, "first || ' ' || last");
	assert_int_equal(o[7].kind, SL_XOP_MERGE_COLUMNS);
	assert_string_equal(o[7].column, "street");
	assert_string_equal(o[7].cols[0].name, "city");
	assert_string_equal(o[7].to, "address");
	assert_string_equal(o[7].down, "split_part(address, ', ', 1)");
	assert_string_equal(o[7].cols[0].expr, "split_part(address, ', ', 2)");
	assert_int_equal(o[8].kind, SL_XOP_SET_NOT_NULL);
	assert_int_equal(o[8].line, 22);
	assert_int_equal(o[9].kind, SL_XOP_ADD_UNIQUE);
	assert_string_equal(o[9].name, "accounts_email_key");
	assert_int_equal(o[10].kind, SL_XOP_ADD_FOREIGN_KEY);
	assert_string_equal(o[10].ref_table, "accounts");
	assert_string_equal(o[10].on_delete, "cascade");
	assert_int_equal(o[11].kind, SL_XOP_ADD_CHECK);
	assert_string_equal(o[11].check, "balance >= 0 AND note <> ')'"); /* a ')' inside a string */
	assert_int_equal(o[12].kind, SL_XOP_ADD_INDEX);
	assert_true(o[12].unique);
	assert_int_equal(o[12].nkeys, 2);
	assert_string_equal(sl_xop_kind_name(o[12].kind), "add index");
	sl_xops_free(ops);
}

static void test_mysql_strings(void **state)
{
	/* a backslash escapes the quote in MySQL's strings, not in standard SQL */
	sl_xops *ops = parse_ok("add column t.c text up ('it\\'s (not) closed');", SL_ENGINE_MYSQL);
	assert_string_equal(ops->items[0].up, "'it\\'s (not) closed'");
	sl_xops_free(ops);
	parse_err("add column t.c text up ('it\\'s (not) closed');",
		  "m/002_x.sql:10: expand: \"(\" is never closed");
}

static void test_errors(void **state)
{
	parse_err("", "m/002_x.sql:10: expand: no operations");
	parse_err("\n\nrenam column a.b to c;", "m/002_x.sql:12: expand: unknown operation \"renam\" (rename "
						"table, rename column, add column, drop "
						"column, change type, split column, merge columns, set not "
						"null, add unique, add foreign key, add "
						"check, add index)");
	parse_err("rename column accounts to x;",
		  "m/002_x.sql:10: expand: expected \".\" and a column after table \"accounts\" (write "
		  "table.column), found \"to\"");
	parse_err("rename column a.b c;",
		  "m/002_x.sql:10: expand: expected \"to\" before the new name, found \"c\"");
	parse_err("change type a.b to int up (b);", "m/002_x.sql:10: expand: change type a.b needs \"up "
						    "(expression)\" (old value to new) and \"down "
						    "(expression)\" (new value to old)");
	parse_err("change type a.b to int up b down (b);",
		  "m/002_x.sql:10: expand: expected the up expression in parentheses, found \"b\"");
	parse_err("change type a.b to int\n  up ( ) down (b);",
		  "m/002_x.sql:11: expand: the up expression is empty");
	parse_err("add column a.b up (1);", "m/002_x.sql:10: expand: expected a column type");
	parse_err("add column a.b int not null;", "m/002_x.sql:10: expand: add column a.b: \"not null\" "
						  "needs a default or an up expression, or "
						  "inserts from the old version would fail");
	parse_err("add column a.b int up (1) up (2);", "m/002_x.sql:10: expand: \"up\" is given twice");
	parse_err("split column a.b into c int up (b) down (c);",
		  "m/002_x.sql:10: expand: split column a.b needs two or more new columns");
	parse_err("merge columns a.b, c into d text up (b || c) down c (d), b (d);",
		  "m/002_x.sql:10: expand: merge columns: down expressions come in the order of the columns: "
		  "expected "
		  "\"b\", found \"c\"");
	parse_err("merge columns a.b, c into d text up (b || c) down b (d);",
		  "m/002_x.sql:10: expand: merge columns: \"down\" needs an expression for each of the 2 "
		  "columns");
	parse_err("set not null a.b;", "m/002_x.sql:10: expand: expected \"up\" and the expression that "
				       "replaces NULLs written by the old "
				       "version, found \";\"");
	parse_err("add foreign key a (b, c) references d (e);",
		  "m/002_x.sql:10: expand: add foreign key: 2 referencing but 1 referenced columns");
	parse_err("add foreign key a (b) references d (e) on delete explode;",
		  "m/002_x.sql:10: expand: unknown foreign key action \"explode\" (cascade, restrict, set "
		  "null, set "
		  "default, no action)");
	parse_err("add check a (b > 0;", "m/002_x.sql:10: expand: \"(\" is never closed");
	parse_err("add column a.b text default 'x;", "m/002_x.sql:10: expand: a string is never closed");
	parse_err("rename column a.b to c\nrename column a.d to e;",
		  "m/002_x.sql:11: expand: expected \";\" after rename column, found \"rename\"");
	parse_err("rename column a.b to c;\ndrop column a.b;",
		  "m/002_x.sql:11: expand: column a.b is already changed at line 10 (one operation per "
		  "column in a "
		  "migration; write a second migration for the next step)");
	parse_err("add column a.b int @ 1;", "m/002_x.sql:10: expand: unexpected \"@\"");
}

static void test_unsupported_on_sqlite(void **state)
{
	sl_xops *ops = parse_ok(
		"set not null a.b up (1); add check a (b > 0); add foreign key a (b) references c (d);"
		"add column a.x int not null up (1); add column a.y int not null default 0;"
		"rename column a.z to w;",
		SL_ENGINE_NONE);
	for (size_t i = 0; i < ops->n; i++) {
		assert_null(sl_xop_unsupported(&ops->items[i], SL_ENGINE_POSTGRES));
		assert_null(sl_xop_unsupported(&ops->items[i], SL_ENGINE_MYSQL));
		if (i < 4)
			assert_non_null(sl_xop_unsupported(&ops->items[i], SL_ENGINE_SQLITE));
		else
			assert_null(sl_xop_unsupported(&ops->items[i], SL_ENGINE_SQLITE));
	}
	sl_xops_free(ops);
}

/* ---- the migration file ------------------------------------------------------------------------- */

static void file_err(const char *text, const char *want)
{
	sl_migration *m = NULL;
	assert_int_equal(sl_migration_parse(&m, "m/002_x.sql", text, strlen(text)), SL_EINVALID);
	if (strcmp(sl_error_last()->message, want) != 0)
		fail_msg("message\n  [%s]\nexpected\n  [%s]", sl_error_last()->message, want);
}

static void test_file(void **state)
{
	const char *text = "-- title: x\n"
			   "-- +sluice expand version=app_v2\n"
			   "rename column a.b to c;\n"
			   "-- +sluice expand dialect=mysql version=app_v2\n"
			   "rename column a.b to c; -- the same, for the test\n"
			   "-- +sluice down\n"
			   "ALTER TABLE a RENAME COLUMN c TO b;\n";
	sl_migration *m = NULL;
	SL_OK_OR_FAIL(sl_migration_parse(&m, "m/002_x.sql", text, strlen(text)));
	assert_true(sl_migration_is_expand(m));
	const sl_migration_part *pt = sl_migration_part_get(m, SL_SECTION_EXPAND, SL_ENGINE_MYSQL);
	assert_non_null(pt);
	assert_int_equal(pt->dialect, SL_ENGINE_MYSQL);
	assert_string_equal(pt->version, "app_v2");
	assert_null(sl_migration_part_get(m, SL_SECTION_UP, SL_ENGINE_POSTGRES));
	assert_string_equal(sl_section_name(SL_SECTION_EXPAND), "expand");
	/* the checksum covers the expand section, which is what runs */
	char a[SL_CHECKSUM_SIZE], b[SL_CHECKSUM_SIZE];
	SL_OK_OR_FAIL(sl_migration_checksum(a, m, SL_ENGINE_POSTGRES));
	SL_OK_OR_FAIL(sl_checksum_sql(b, "rename column a.b to c;", 23));
	assert_string_equal(a, b);
	sl_migration_free(m);

	file_err("-- +sluice up\nSELECT 1;\n-- +sluice expand\nrename column a.b to c;\n",
		 "m/002_x.sql:3: a migration has an up section or an expand section, not both (put plain SQL "
		 "in a "
		 "migration of its own)");
	file_err("-- +sluice expand no-transaction\nrename column a.b to c;\n",
		 "m/002_x.sql:1: \"no-transaction\" does not apply to an expand section (sluice decides)");
	file_err("-- +sluice up version=v2\nSELECT 1;\n",
		 "m/002_x.sql:1: unknown option \"version=v2\" in directive \"+sluice up version=v2\"");
	file_err("-- +sluice expand version=app-v2\nrename column a.b to c;\n",
		 "m/002_x.sql:1: version \"app-v2\" in directive \"+sluice expand version=app-v2\": use "
		 "letters, "
		 "digits and \"_\"");
	/* the vocabulary is checked when the file is read, with the file's line */
	file_err("-- title: x\n-- +sluice expand\n\nrename colum a.b to c;\n",
		 "m/002_x.sql:4: expand: expected \"table\" or \"column\" after \"rename\", found \"colum\"");
}

/* ---- the planner, on a SQLite database ------------------------------------------------------------- */

static char *db_path(void)
{
	char *p = NULL;
	assert_true(asprintf(&p, "%s/sluice-expand-unit-%d.db", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
			     (int)getpid()) > 0);
	unlink(p);
	return p;
}

static int expand_text(sl_conn *c, const char *text, const sl_expand_opts *o)
{
	sl_expand_target t = {
		.id = "002", .origin = "m/002_x.sql", .first_line = 2, .text = text, .len = strlen(text)
	};
	return sl_expand_run(c, &t, o, NULL);
}

static void test_planner_refusals(void **state)
{
	char *path = db_path(), url[600];
	snprintf(url, sizeof(url), "sqlite:%s", path);
	sl_conn *c = sl_test_open(url);
	sl_expand_opts o = SL_EXPAND_OPTS_INIT;
	sl_test_exec(c, "CREATE TABLE a (id INTEGER PRIMARY KEY, b TEXT NOT NULL, c INT, u TEXT UNIQUE);"
			"CREATE TABLE k (x INT, y INT);"
			"CREATE TABLE g (id INTEGER PRIMARY KEY, b INT, c INT GENERATED ALWAYS AS (b + 1))");
	struct {
		const char *ops, *msg;
	} cases[] = {
		{ "rename column a.nope to x;",
		  "m/002_x.sql:2: rename column: table \"a\" has no column \"nope\"" },
		{ "rename column zz.b to x;", "m/002_x.sql:2: rename column: no table \"zz\" in main" },
		{ "change type a.id to text up (id) down (id);",
		  "m/002_x.sql:2: change type: a.id is in the primary key; expand/contract cannot replace a "
		  "key column" },
		{ "drop column a.b;", "m/002_x.sql:2: drop column: a.b is NOT NULL without a default, so "
				      "inserts from the new version would "
				      "fail; give \"down (expression)\": the value old readers see for rows "
				      "the new version adds" },
		{ "change type a.b to int up (b) down (b);",
		  "m/002_x.sql:2: change type: not supported on sqlite: a.b is NOT NULL, and SQLite cannot "
		  "add NOT NULL "
		  "to the replacement column without rebuilding the table" },
		{ "set not null a.c up (0);", "m/002_x.sql:2: set not null: not supported on sqlite: SQLite "
					      "cannot add NOT NULL to an existing "
					      "column without rebuilding the table" },
		{ "add column a.c int;",
		  "m/002_x.sql:2: add column: table \"a\" already has a column \"c\"" },
		{ "rename column a.c to b;",
		  "m/002_x.sql: the new shape of table \"a\" would have column \"b\" twice" },
		{ "add column k.z int up (x + y);", "m/002_x.sql: table \"k\" has no primary key (or unique "
						    "key of NOT NULL columns); the backfill walks "
						    "its rows by key: add one first" },
		{ "change type a.c to int up (nope + 1) down (c);", "no such column: nope" },
		{ "drop column a.u;", "m/002_x.sql:2: drop column: not supported on sqlite: a.u is in a "
				      "UNIQUE of the table's definition, "
				      "which cannot be dropped without rebuilding the table" },
		{ "change type g.b to text up (b) down (b);",
		  "m/002_x.sql:2: change type: generated column g.c is computed from g.b; change it with a "
		  "plain "
		  "migration" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = expand_text(c, cases[i].ops, &o);
		if (rc == 0)
			fail_msg("%s: expand succeeded", cases[i].ops);
		if (!strstr(sl_error_last()->message, cases[i].msg))
			fail_msg("%s:\n  [%s]\nexpected\n  [%s]", cases[i].ops, sl_error_last()->message,
				 cases[i].msg);
		/* nothing was left behind */
		assert_int_equal(sl_test_int(c, "SELECT count(*) FROM pragma_table_info('a')"), 4);
		assert_int_equal(
			sl_test_int(c,
				    "SELECT count(*) FROM sqlite_master WHERE type IN ('trigger', 'view')"),
			0);
	}
	sl_conn_close(c);
	unlink(path);
	free(path);
}

static void test_planner_phases(void **state)
{
	char *path = db_path(), url[600];
	snprintf(url, sizeof(url), "sqlite:%s", path);
	sl_conn *c = sl_test_open(url);
	sl_expand_opts o = SL_EXPAND_OPTS_INIT;
	sl_xphase ph;
	sl_test_exec(c, "CREATE TABLE a (id INTEGER PRIMARY KEY, b TEXT NOT NULL, c INT DEFAULT 7, g INT "
			"GENERATED ALWAYS AS "
			"(length(b)));"
			"CREATE INDEX a_c ON a (c);"
			"INSERT INTO a (id, b, c) VALUES (1, 'x', 100), (2, 'y', NULL)");
	o.batch_size = 1;
	SL_OK_OR_FAIL(expand_text(c,
				  "rename column a.b to bee; change type a.c to REAL up (c / 100.0) down "
				  "(CAST(c * 100 AS INT));",
				  &o));
	SL_OK_OR_FAIL(sl_expand_phase(c, "sluice_migrations", "002", &ph));
	assert_int_equal(ph, SL_XPHASE_EXPANDED);
	assert_int_equal(sl_test_int(c, "SELECT batches FROM sluice_migrations_backfill"), 3);
	/* the new version: a view with INSTEAD OF triggers; generated columns are the engine's to write */
	sl_test_exec(c, "INSERT INTO v002_a (id, bee, c) VALUES (3, 'z', 1.25)");
	assert_int_equal(sl_test_int(c, "SELECT c FROM a WHERE id = 3"), 125);
	assert_int_equal(sl_test_int(c, "SELECT g FROM v002_a WHERE id = 3"), 1);
	sl_test_exec(c, "UPDATE a SET c = 300 WHERE id = 1");
	assert_int_equal(sl_test_int(c, "SELECT CAST(c * 100 AS INT) FROM v002_a WHERE id = 1"), 300);
	/* the index on c was copied onto the replacement column */
	assert_int_equal(sl_test_int(c, "SELECT count(*) FROM sqlite_master WHERE name = '_sluice_ix_a_c'"),
			 1);
	o.confirm = true;
	SL_OK_OR_FAIL(sl_expand_contract(c, "002", &o));
	SL_OK_OR_FAIL(sl_expand_phase(c, "sluice_migrations", "002", &ph));
	assert_int_equal(ph, SL_XPHASE_CONTRACTED);
	assert_int_equal(
		sl_test_int(
			c,
			"SELECT count(*) FROM pragma_table_xinfo('a') WHERE name IN ('bee', 'c', 'id', 'g')"),
		4);
	assert_int_equal(sl_test_int(c, "SELECT count(*) FROM pragma_table_info('a') WHERE name LIKE "
					"'\\_sluice%' ESCAPE '\\'"),
			 0);
	/* the copied index has its old name back */
	assert_int_equal(
		sl_test_int(c, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'a_c'"),
		1);
	assert_int_equal(sl_test_int(c, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name "
					"LIKE '_sluice_x%'"),
			 0);
	assert_int_equal(sl_test_int(c, "SELECT CAST(c * 100 AS INT) FROM v002_a WHERE id = 3"), 125);
	/* rolled back: contracted migrations keep their shape */
	assert_int_equal(sl_expand_rollback(c, "002", &o), SL_ECONFLICT);
	sl_conn_close(c);
	unlink(path);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_operations),     cmocka_unit_test(test_mysql_strings),
		cmocka_unit_test(test_errors),         cmocka_unit_test(test_unsupported_on_sqlite),
		cmocka_unit_test(test_file),           cmocka_unit_test(test_planner_refusals),
		cmocka_unit_test(test_planner_phases),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
