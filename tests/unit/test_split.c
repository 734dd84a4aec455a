/*
 * test_split.c - unit tests of sl_sql_split() for the three dialects.
 *
 * Hand-written cases assert exact statement texts and lines. Data-driven
 * cases read ../shared/data (never copied into the repository; skipped when
 * absent): Atlas's golden splits, Flyway's fixtures (counts checked by reading
 * the files), sakila and employees (DELIMITER), pagila (dollar quotes; the
 * count is cross-checked with libpg_query's parser-based split).
 */
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <pg_query.h>

#include "sluice/sql.h"

#define DATA   SLUICE_SOURCE_DIR "/../shared/data/"
#define ATLAS  DATA "migration-tool-fixtures/atlas-split/"
#define FLYWAY DATA "flyway-fixtures/"

/* Reads a whole file (malloc'd, NUL-terminated) or returns NULL. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (b = malloc((size_t)n + 1))) {
		*len = fread(b, 1, (size_t)n, f);
		b[*len] = '\0';
	}
	fclose(f);
	return b;
}

static int have_data(void)
{
	struct stat st;
	return stat(ATLAS, &st) == 0;
}

static void split_ok(sl_stmt_list *l, sl_engine d, const char *sql)
{
	int rc = sl_sql_split(l, d, sql, strlen(sql));
	if (rc)
		fail_msg("split failed: %s", sl_error_last()->message);
}

static void expect_texts(sl_engine d, const char *sql, const char *const *want, size_t n)
{
	sl_stmt_list l;
	split_ok(&l, d, sql);
	if (l.n != n) {
		for (size_t i = 0; i < l.n; i++)
			print_message("got[%zu] = [%s]\n", i, l.items[i].text);
	}
	assert_int_equal(l.n, n);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(l.items[i].text, want[i]);
		assert_int_equal(l.items[i].len, strlen(want[i]));
	}
	sl_stmt_list_free(&l);
}

static void expect_error(sl_engine d, const char *sql, size_t len, const char *substr)
{
	sl_stmt_list l;
	int rc = sl_sql_split(&l, d, sql, len);
	assert_int_equal(rc, SL_EINVALID);
	if (!strstr(sl_error_last()->message, substr))
		fail_msg("message [%s] lacks [%s]", sl_error_last()->message, substr);
	assert_int_equal(l.n, 0);
	assert_null(l.arena);
}

static size_t count_ok(sl_engine d, const char *path)
{
	size_t len = 0, n;
	char *sql = slurp(path, &len);
	sl_stmt_list l;

	if (!sql)
		fail_msg("cannot read %s", path);
	if (sl_sql_split(&l, d, sql, len) != 0)
		fail_msg("%s: %s", path, sl_error_last()->message);
	n = l.n;
	sl_stmt_list_free(&l);
	free(sql);
	return n;
}

/* ---- hand-written cases ---- */

static void test_mysql_basics(void **state)
{
	static const char *const want[] = {
		"INSERT INTO t VALUES ('a;b', \"c;d\", `e;f`)",
		"SELECT 'it''s', 'x\\';y'",
		"SELECT 1 -- trailing; comment\n  + 2",
		"SELECT 3--4",
		"/*!40101 SET NAMES utf8 */",
		"SELECT /* a; b */ 5",
		"/*M!100100 SET x = 1; */",
	};
	const char *sql = "-- leading comment; ignored\n"
			  "INSERT INTO t VALUES ('a;b', \"c;d\", `e;f`);\n"
			  "# hash comment; ignored\n"
			  "SELECT 'it''s', 'x\\';y';\n"
			  "SELECT 1 -- trailing; comment\n  + 2;\n"
			  "SELECT 3--4;\n"
			  "/*!40101 SET NAMES utf8 */;\n"
			  "SELECT /* a; b */ 5;;;\n"
			  "/*M!100100 SET x = 1; */;\n"
			  "/* only a comment */\n";
	(void)state;
	expect_texts(SL_ENGINE_MYSQL, sql, want, 7);
}

static void test_mysql_delimiter(void **state)
{
	static const char *const want[] = {
		"CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN SET NEW.a = 1; END",
		"CREATE PROCEDURE p() BEGIN SELECT 1; END",
		"SELECT 2",
		"SELECT 3",
	};
	const char *sql = "DELIMITER ;;\n"
			  "CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN SET NEW.a = 1; END;;\n"
			  "DELIMITER $$\n"
			  "CREATE PROCEDURE p() BEGIN SELECT 1; END$$\n"
			  "delimiter ;\n"
			  "SELECT 2;\n"
			  "DELIMITER '//'\n"
			  "SELECT 3 //\n";
	(void)state;
	expect_texts(SL_ENGINE_MYSQL, sql, want, 4);
}

static void test_mysql_compound_without_delimiter(void **state)
{
	static const char *const want[] = {
		"CREATE DEFINER=`root`@`%` PROCEDURE p(x INT)\nBEGIN\n"
		"  IF x > 0 THEN SELECT CASE x WHEN 1 THEN 'a' END; END IF;\n"
		"  l: LOOP LEAVE l; END LOOP;\n"
		"  CASE x WHEN 2 THEN SELECT 2; ELSE BEGIN END; END CASE;\nEND",
		"SELECT 9",
		"CREATE TABLE begin_end (`begin` int, t.end int)",
	};
	const char *sql = "CREATE DEFINER=`root`@`%` PROCEDURE p(x INT)\nBEGIN\n"
			  "  IF x > 0 THEN SELECT CASE x WHEN 1 THEN 'a' END; END IF;\n"
			  "  l: LOOP LEAVE l; END LOOP;\n"
			  "  CASE x WHEN 2 THEN SELECT 2; ELSE BEGIN END; END CASE;\nEND;\n"
			  "SELECT 9;\n"
			  "CREATE TABLE begin_end (`begin` int, t.end int);\n";
	(void)state;
	expect_texts(SL_ENGINE_MYSQL, sql, want, 3);
}

static void test_mysql_errors(void **state)
{
	const char *s1 = "SELECT 1;\nSELECT 'abc;\n";
	const char *s2 = "SELECT 1;\n\n/* open";
	const char *s3 = "DELIMITER\nSELECT 1;";
	const char *s4 = "SELECT 1;\nsource other.sql;\n";
	(void)state;
	expect_error(SL_ENGINE_MYSQL, s1, strlen(s1), "line 2: unterminated string");
	expect_error(SL_ENGINE_MYSQL, s2, strlen(s2), "line 3: unterminated comment");
	expect_error(SL_ENGINE_MYSQL, s3, strlen(s3), "line 1:");
	expect_error(SL_ENGINE_MYSQL, s4, strlen(s4), "line 2: mysql client command \"source other.sql\"");
}

static void test_pg_basics(void **state)
{
	static const char *const want[] = {
		"CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql",
		"DO $body$ BEGIN RAISE NOTICE 'a;b'; END $body$",
		"SELECT E'it\\'s;', U&'d\\0061t;', 'x''y;' /* a /* nested; */ still */ + 1",
		"CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2)",
		("CREATE FUNCTION g() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT CASE WHEN true THEN 1 "
		 "END;\n  SELECT 2;\nEND"),
		"SELECT 1 # 2",
	};
	const char *sql =
		"-- comment first\n"
		"CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n"
		"DO $body$ BEGIN RAISE NOTICE 'a;b'; END $body$;\n"
		"SELECT E'it\\'s;', U&'d\\0061t;', 'x''y;' /* a /* nested; */ still */ + 1 /* dropped */;\n"
		"CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2);\n"
		"CREATE FUNCTION g() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT CASE WHEN true THEN 1 "
		"END;\n  SELECT 2;\nEND;\n"
		"BEGIN;\n"
		"SELECT 1 # 2;\n"
		"COMMIT\n";
	sl_stmt_list l;
	(void)state;
	split_ok(&l, SL_ENGINE_POSTGRES, sql);
	assert_int_equal(l.n, 8);
	for (size_t i = 0; i < 5; i++)
		assert_string_equal(l.items[i].text, want[i]);
	assert_string_equal(l.items[5].text, "BEGIN");
	assert_string_equal(l.items[6].text, want[5]);
	assert_string_equal(l.items[7].text, "COMMIT");
	assert_int_equal(l.items[0].line, 2);
	assert_int_equal(l.items[0].offset, strlen("-- comment first\n"));
	assert_int_equal(l.items[4].line, 6);
	assert_int_equal(l.items[7].line, 13);
	sl_stmt_list_free(&l);
}

static void test_pg_errors(void **state)
{
	const char *meta = "SELECT 1;\n\\c otherdb\nSELECT 2;\n";
	const char *copy = "CREATE TABLE t (a int);\nCOPY t (a) FROM stdin;\n1\n2\n\\.\n";
	const char *copy_bad = "COPY t FROM stdin;\n1\t'abc\n\\.\n";
	const char *unterminated = "SELECT 1;\nSELECT $$abc;\n";
	(void)state;
	expect_error(SL_ENGINE_POSTGRES, meta, strlen(meta), "line 2: psql meta-command \"\\c otherdb\"");
	expect_error(SL_ENGINE_POSTGRES, copy, strlen(copy), "line 2: COPY ... FROM stdin");
	expect_error(SL_ENGINE_POSTGRES, copy_bad, strlen(copy_bad), "line 1: COPY ... FROM stdin");
	expect_error(SL_ENGINE_POSTGRES, unterminated, strlen(unterminated), "line 2: unterminated");
}

static void test_sqlite_basics(void **state)
{
	static const char *const want[] = {
		"CREATE TABLE [a;b] (\"c;d\" TEXT DEFAULT 'e;f', `g;h` INT)",
		("CREATE TRIGGER tr AFTER INSERT ON t BEGIN\n  INSERT INTO u VALUES (1);\n  SELECT CASE WHEN "
		 "1 THEN RAISE(ABORT, 'x;') END;\nEND"),
		"SELECT 1 /* c; */ + 2",
		"SELECT 3",
	};
	const char *sql = "-- leading\n"
			  "CREATE TABLE [a;b] (\"c;d\" TEXT DEFAULT 'e;f', `g;h` INT);\n"
			  "CREATE TRIGGER tr AFTER INSERT ON t BEGIN\n  INSERT INTO u VALUES (1);\n  SELECT "
			  "CASE WHEN 1 THEN RAISE(ABORT, 'x;') END;\nEND;\n"
			  ";;\n"
			  "SELECT 1 /* c; */ + 2;\n"
			  "SELECT 3 -- no semicolon at the end\n";
	const char *bad = "SELECT 1;\nCREATE TRIGGER tr AFTER INSERT ON t BEGIN\n  SELECT 1;\n";
	(void)state;
	expect_texts(SL_ENGINE_SQLITE, sql, want, 4);
	expect_error(SL_ENGINE_SQLITE, bad, strlen(bad), "line 2: incomplete statement");
	expect_error(SL_ENGINE_SQLITE, "SELECT 'x", 9, "line 1: unterminated string");
}

static void test_crlf_and_bytes(void **state)
{
	const char crlf[] = "SELECT 1;\r\n\r\nSELECT\r\n  2;\r\n";
	const char latin1[] = "INSERT INTO t VALUES ('caf\xe9;'); SELECT '\xff\xfe';";
	const char nul[] = "SELECT 1;\nSELECT '\0';";
	static const sl_engine all[] = { SL_ENGINE_SQLITE, SL_ENGINE_POSTGRES, SL_ENGINE_MYSQL };
	(void)state;
	for (size_t i = 0; i < 3; i++) {
		sl_stmt_list l;
		split_ok(&l, all[i], crlf);
		assert_int_equal(l.n, 2);
		assert_string_equal(l.items[0].text, "SELECT 1");
		assert_string_equal(l.items[1].text, "SELECT\r\n  2");
		assert_int_equal(l.items[1].line, 3);
		sl_stmt_list_free(&l);
		split_ok(&l, all[i], latin1);
		assert_int_equal(l.n, 2);
		assert_string_equal(l.items[0].text, "INSERT INTO t VALUES ('caf\xe9;')");
		assert_string_equal(l.items[1].text, "SELECT '\xff\xfe'");
		sl_stmt_list_free(&l);
		expect_error(all[i], nul, sizeof(nul) - 1, "line 2: NUL byte");
	}
}

static void test_empty_inputs(void **state)
{
	static const sl_engine all[] = { SL_ENGINE_SQLITE, SL_ENGINE_POSTGRES, SL_ENGINE_MYSQL };
	(void)state;
	for (size_t i = 0; i < 3; i++) {
		sl_stmt_list l;
		assert_int_equal(sl_sql_split(&l, all[i], "", 0), 0);
		assert_int_equal(l.n, 0);
		assert_int_equal(sl_sql_split(&l, all[i], NULL, 0), 0);
		split_ok(&l, all[i], "  -- only\n/* comments */\n ; ;\n");
		assert_int_equal(l.n, 0);
		sl_stmt_list_free(&l);
	}
	assert_int_equal(sl_sql_split(&(sl_stmt_list)SL_STMT_LIST_INIT, SL_ENGINE_NONE, "x", 1), SL_EINVALID);
}

/* ---- Atlas golden splits ---- */

/* Trims whitespace and one trailing ';' (goldens keep ';', sluice drops the delimiter). */
static void norm(const char **p, size_t *n)
{
	const char *s = *p;
	size_t len = *n;
	while (len && strchr(" \t\r\n", *s)) {
		s++;
		len--;
	}
	while (len && strchr(" \t\r\n", s[len - 1]))
		len--;
	if (len && s[len - 1] == ';')
		len--;
	while (len && strchr(" \t\r\n", s[len - 1]))
		len--;
	*p = s;
	*n = len;
}

/*
 * Compares the split of X with X.golden. skip_from: golden statements from
 * this index on are a documented divergence (see the table in check_golden's
 * callers) and are not compared; SIZE_MAX compares all and the count.
 */
static void check_golden(sl_engine d, const char *rel, size_t skip_from, size_t skip_one)
{
	char path[512], gpath[520];
	size_t len, glen, i = 0;
	char *sql, *golden;
	sl_stmt_list l;

	snprintf(path, sizeof(path), ATLAS "%s", rel);
	snprintf(gpath, sizeof(gpath), "%s.golden", path);
	sql = slurp(path, &len);
	golden = slurp(gpath, &glen);
	assert_non_null(sql);
	assert_non_null(golden);
	if (sl_sql_split(&l, d, sql, len) != 0)
		fail_msg("%s: %s", rel, sl_error_last()->message);
	const char *g = golden, *sep;
	for (;;) {
		sep = strstr(g, "\n-- end --\n");
		const char *ge = sep ? sep : golden + glen;
		if (i >= skip_from)
			break;
		if (i >= l.n)
			fail_msg("%s: only %zu statements, golden has more", rel, l.n);
		if (i == skip_one) {
			i++;
			g = sep + strlen("\n-- end --\n");
			continue;
		}
		const char *a = g, *b = l.items[i].text;
		size_t an = (size_t)(ge - g), bn = l.items[i].len;
		norm(&a, &an);
		norm(&b, &bn);
		if (an != bn || memcmp(a, b, an) != 0)
			fail_msg("%s: statement %zu differs:\n--- golden\n%.*s\n--- sluice\n%.*s", rel, i,
				 (int)an, a, (int)bn, b);
		i++;
		if (!sep)
			break;
		g = sep + strlen("\n-- end --\n");
	}
	if (skip_from == (size_t)-1)
		assert_int_equal(l.n, i);
	sl_stmt_list_free(&l);
	free(sql);
	free(golden);
}

static void test_atlas_golden(void **state)
{
	const size_t all = (size_t)-1;
	(void)state;
	if (!have_data())
		skip();
	check_golden(SL_ENGINE_MYSQL, "lex/1.sql", all, all);
	check_golden(SL_ENGINE_SQLITE, "lex/1.sql", all, all);
	check_golden(SL_ENGINE_MYSQL, "lex/2_mysql.sql", all, all);
	check_golden(SL_ENGINE_MYSQL, "lex/6_skip_comment.sql", all, all);
	check_golden(SL_ENGINE_MYSQL, "lex/11_delimiter_mysql_command.sql", all, all);
	check_golden(SL_ENGINE_MYSQL, "lex/12_delimiter_mysql_command.sql", all, all);
	/* from statement 20 on: "delimiter \n\n" is an Atlas escape, not a mysql client one */
	check_golden(SL_ENGINE_MYSQL, "lex/13_delimiter_mysql_command.sql", 21, all);
	check_golden(SL_ENGINE_MYSQL, "lex/14_delimiter_mysql_command.sql", all, all);
	check_golden(SL_ENGINE_MYSQL, "lexescaped/1.my.sql", all, all);
	check_golden(SL_ENGINE_MYSQL, "lexgroup/2_function.sql", all, all);
	check_golden(SL_ENGINE_MYSQL, "lexgroup/3_delimiter.sql", all, all);
	/* statement 8: "# Shorter examples." is the # operator in PostgreSQL, not a comment */
	check_golden(SL_ENGINE_POSTGRES, "lex/15_dollar_quote.sql", all, 8);
	check_golden(SL_ENGINE_POSTGRES, "lex/16_begin_atomic.sql", all, all);
	check_golden(SL_ENGINE_POSTGRES, "lex/17_paren.sql", all, all);
	check_golden(SL_ENGINE_POSTGRES, "lex/18_pg_expr.sql", all, all);
	check_golden(SL_ENGINE_POSTGRES, "lexescaped/2.pg.sql", all, all);
	/* the last trigger nests BEGIN ... END, which SQLite rejects: sqlite3_complete
	   ends the statement at the inner END; */
	check_golden(SL_ENGINE_SQLITE, "lexgroup/1_trigger.sql", 25, all);
}

/* ---- Flyway fixtures (counts verified by reading each file) ---- */

static void test_flyway_fixtures(void **state)
{
	static const struct {
		sl_engine d;
		const char *path;
		size_t n;
	} cases[] = {
		{ SL_ENGINE_MYSQL, "dbsupport/mysql/sql/delimiter/V1__Delimiter.sql", 5 },
		{ SL_ENGINE_MYSQL, "dbsupport/mysql/sql/escape/V1__Escape.sql", 6 },
		{ SL_ENGINE_MYSQL, "dbsupport/mysql/sql/event/V1__Event.sql", 2 },
		{ SL_ENGINE_MYSQL, "dbsupport/mysql/sql/hashcomment/V1__HashComment.sql", 1 },
		{ SL_ENGINE_MYSQL, "dbsupport/mysql/sql/procedure/V1__Procedure.sql", 10 },
		{ SL_ENGINE_MYSQL, "dbsupport/mysql/sql/trigger/V1__Trigger.sql", 7 },
		{ SL_ENGINE_MYSQL, "dbsupport/mysql/sql/dump/V1__Dump.sql", 153 },
		{ SL_ENGINE_POSTGRES, "dbsupport/postgresql/sql/dollar/V1__Dollar.sql", 10 },
		{ SL_ENGINE_POSTGRES, "dbsupport/postgresql/sql/dollar/V2__Even_more_dollars.sql", 3 },
		{ SL_ENGINE_POSTGRES, "dbsupport/postgresql/sql/function/V1__Function.sql", 1 },
		{ SL_ENGINE_POSTGRES, "dbsupport/postgresql/sql/trigger/V1__Trigger.sql", 10 },
		{ SL_ENGINE_POSTGRES, "dbsupport/postgresql/sql/vacuum/V1__Vacuum.sql", 3 },
		{ SL_ENGINE_SQLITE, "dbsupport/sqlite/sql/trigger/V1__Trigger.sql", 2 },
		{ SL_ENGINE_SQLITE, "dbsupport/sqlite/sql/foreign_key/V1__ForeignKey.sql", 4 },
		{ SL_ENGINE_POSTGRES, "semicolon/V1_1__Populate_table.sql", 3 },
		{ SL_ENGINE_MYSQL, "semicolon/V1_1__Populate_table.sql", 3 },
		{ SL_ENGINE_SQLITE, "semicolon/V1_1__Populate_table.sql", 3 },
		{ SL_ENGINE_POSTGRES, "comment/V1__Comment.sql", 4 },
		{ SL_ENGINE_MYSQL, "comment/V1__Comment.sql", 4 },
		{ SL_ENGINE_SQLITE, "comment/V1__Comment.sql", 4 },
		{ SL_ENGINE_POSTGRES, "quote/V1__TableNameQuote.sql", 4 },
	};
	char path[512];
	(void)state;
	if (!have_data())
		skip();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(path, sizeof(path), FLYWAY "%s", cases[i].path);
		size_t n = count_ok(cases[i].d, path);
		if (n != cases[i].n)
			fail_msg("%s: %zu statements, expected %zu", cases[i].path, n, cases[i].n);
	}
	size_t len;
	char *sql =
		slurp(FLYWAY "dbsupport/postgresql/sql/copy/V003__fill_copy_test_table_with_copy.sql", &len);
	assert_non_null(sql);
	expect_error(SL_ENGINE_POSTGRES, sql, len, "line 33: COPY ... FROM stdin");
	free(sql);
}

/* ---- real schemas ---- */

static size_t pg_parser_count(const char *path)
{
	size_t len;
	char *sql = slurp(path, &len);
	PgQuerySplitResult r = pg_query_split_with_parser(sql);
	size_t n = r.error ? (size_t)-1 : (size_t)r.n_stmts;
	pg_query_free_split_result(r);
	free(sql);
	return n;
}

static void test_real_schemas(void **state)
{
	size_t len;
	char *sql;
	(void)state;
	if (!have_data())
		skip();
	/* DELIMITER ;; // $$ around 3 triggers, 3 procedures and 3 functions (counted by hand) */
	assert_int_equal(count_ok(SL_ENGINE_MYSQL, DATA "sakila/mysql/sakila-mv-schema.sql"), 42);
	assert_int_equal(count_ok(SL_ENGINE_MYSQL, DATA "employees/objects.sql"), 17);
	sql = slurp(DATA "employees/employees.sql", &len);
	assert_non_null(sql);
	expect_error(SL_ENGINE_MYSQL, sql, len,
		     "line 113: mysql client command \"source load_departments.dump\"");
	free(sql);
	/* dollar-quoted plpgsql bodies: the server's parser agrees on the count */
	size_t n = count_ok(SL_ENGINE_POSTGRES, DATA "pagila/pagila-schema.sql");
	assert_int_equal(n, pg_parser_count(DATA "pagila/pagila-schema.sql"));
	assert_int_equal(n, 233);
	n = count_ok(SL_ENGINE_POSTGRES, DATA "sakila/postgres/postgres-sakila-schema.sql");
	assert_int_equal(n, pg_parser_count(DATA "sakila/postgres/postgres-sakila-schema.sql"));
	/* 16 tables, 24 indexes, 30 triggers, 5 views (actor_info is commented out) */
	assert_int_equal(count_ok(SL_ENGINE_SQLITE, DATA "sakila/sqlite/sqlite-sakila-schema.sql"), 75);
	sql = slurp(DATA "pagila/pagila-data.sql", &len);
	assert_non_null(sql);
	expect_error(SL_ENGINE_POSTGRES, sql, len, "COPY ... FROM stdin");
	free(sql);
}

/* Every corpus file either splits or fails with a "line N:" message; never crashes. */
static void walk_corpus(const char *dir, int *files)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	static const sl_engine all[] = { SL_ENGINE_SQLITE, SL_ENGINE_POSTGRES, SL_ENGINE_MYSQL };

	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[1024];
		struct stat st;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			walk_corpus(path, files);
			continue;
		}
		size_t len = strlen(e->d_name);
		if (len < 4 || strcmp(e->d_name + len - 4, ".sql") != 0)
			continue;
		char *sql = slurp(path, &len);
		if (!sql)
			continue;
		for (size_t i = 0; i < 3; i++) {
			sl_stmt_list l;
			int rc = sl_sql_split(&l, all[i], sql, len);
			if (rc != 0 && (rc != SL_EINVALID || strncmp(sl_error_last()->message, "line ", 5)))
				fail_msg("%s: rc %d: %s", path, rc, sl_error_last()->message);
			sl_stmt_list_free(&l);
		}
		free(sql);
		(*files)++;
	}
	closedir(d);
}

static void test_corpus_never_crashes(void **state)
{
	int files = 0;
	(void)state;
	if (!have_data())
		skip();
	walk_corpus(DATA "sql-parser-corpus", &files);
	assert_true(files > 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mysql_basics),
		cmocka_unit_test(test_mysql_delimiter),
		cmocka_unit_test(test_mysql_compound_without_delimiter),
		cmocka_unit_test(test_mysql_errors),
		cmocka_unit_test(test_pg_basics),
		cmocka_unit_test(test_pg_errors),
		cmocka_unit_test(test_sqlite_basics),
		cmocka_unit_test(test_crlf_and_bytes),
		cmocka_unit_test(test_empty_inputs),
		cmocka_unit_test(test_atlas_golden),
		cmocka_unit_test(test_flyway_fixtures),
		cmocka_unit_test(test_real_schemas),
		cmocka_unit_test(test_corpus_never_crashes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
