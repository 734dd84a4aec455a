/*
 * test_migration_file.c - unit tests of migration files: header metadata,
 * sections and directives, error messages, checksums, templates and
 * directory loading (in a temporary directory).
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sluice/migration.h"

static const char full[] =
	"-- id: 20261121093000\n" /* 1 */
	"-- title: Add invoices.currency\n"
	"-- ticket: BILL-142\n"
	"-- pr: https://git.example.com/acme/billing/pull/77\n"
	"-- author: Ana Ruiz <ana@example.com>\n" /* 5 */
	"-- why: Invoices must carry their currency\n"
	"--   before we bill in EUR.\n"
	"-- rollback: Drops the column.\n"
	"-- Team-Owner: billing\n"
	"-- requires: 20261120110000, 20261120120000\n" /* 10 */
	"-- a free comment line\n"
	"\n"
	"-- +sluice up\n"
	"ALTER TABLE invoices ADD COLUMN currency char(3) NOT NULL DEFAULT 'USD';\n"
	"\n" /* 15 */
	"-- +sluice up dialect=mysql\n"
	"ALTER TABLE invoices ADD COLUMN currency char(3) NOT NULL DEFAULT 'USD' AFTER total;\n"
	"\n"
	"-- +sluice down\n"
	"ALTER TABLE invoices DROP COLUMN currency;\n" /* 20 */
	"\n"
	"-- +sluice verify\n"
	"SELECT id FROM invoices WHERE currency IS NULL;\n";

static sl_migration *parse_ok(const char *path, const char *text)
{
	sl_migration *m = NULL;
	int rc = sl_migration_parse(&m, path, text, strlen(text));
	if (rc)
		fail_msg("parse failed: %s", sl_error_last()->message);
	return m;
}

static void parse_err(const char *path, const char *text, const char *want)
{
	sl_migration *m = (sl_migration *)1;
	int rc = sl_migration_parse(&m, path, text, strlen(text));
	assert_int_equal(rc, SL_EINVALID);
	assert_null(m);
	if (strcmp(sl_error_last()->message, want) != 0)
		fail_msg("message\n  [%s]\nexpected\n  [%s]", sl_error_last()->message, want);
}

static void test_parse_full(void **state)
{
	sl_migration *m = parse_ok("migrations/20261121093000_add_currency.sql", full);
	size_t len;
	bool no_tx = true;
	(void)state;
	assert_string_equal(m->id, "20261121093000");
	assert_string_equal(m->slug, "add_currency");
	assert_string_equal(m->title, "Add invoices.currency");
	assert_string_equal(sl_migration_meta_get(m, "why"),
			    "Invoices must carry their currency\nbefore we bill in EUR.");
	assert_string_equal(sl_migration_meta_get(m, "team-owner"), "billing");
	assert_null(sl_migration_meta_get(m, "domain"));
	assert_int_equal(m->nmeta, 9);
	assert_int_equal(m->meta[8].line, 10);
	assert_int_equal(m->nrequires, 2);
	assert_string_equal(m->requires[1], "20261120120000");
	assert_null(m->irreversible);
	assert_int_equal(m->nparts, 4);

	const char *up = sl_migration_section(m, SL_SECTION_UP, SL_ENGINE_POSTGRES, &len, &no_tx);
	assert_string_equal(up,
			    "ALTER TABLE invoices ADD COLUMN currency char(3) NOT NULL DEFAULT 'USD';\n\n");
	assert_int_equal(len, strlen(up));
	assert_false(no_tx);
	up = sl_migration_section(m, SL_SECTION_UP, SL_ENGINE_MYSQL, &len, NULL);
	assert_non_null(strstr(up, "AFTER total"));
	const sl_migration_part *pt = sl_migration_part_get(m, SL_SECTION_UP, SL_ENGINE_MYSQL);
	assert_int_equal(pt->line, 17);
	assert_int_equal(pt->directive_line, 16);
	assert_int_equal(pt->dialect, SL_ENGINE_MYSQL);
	pt = sl_migration_part_get(m, SL_SECTION_VERIFY, SL_ENGINE_SQLITE);
	assert_string_equal(pt->sql, "SELECT id FROM invoices WHERE currency IS NULL;\n");

	sl_stmt_list l;
	SL_OK_OR_FAIL(sl_migration_statements(&l, m, SL_SECTION_DOWN, SL_ENGINE_POSTGRES));
	assert_int_equal(l.n, 1);
	assert_int_equal(l.items[0].line, 20);
	assert_string_equal(l.items[0].text, "ALTER TABLE invoices DROP COLUMN currency");
	sl_stmt_list_free(&l);

	static const char *const req[] = { "ticket", "pr", "why", "rollback" };
	assert_int_equal(sl_migration_check_required(m, req, 4), 0);
	static const char *const req2[] = { "ticket", "domain" };
	assert_int_equal(sl_migration_check_required(m, req2, 2), SL_EINVALID);
	assert_string_equal(sl_error_last()->message,
			    "migrations/20261121093000_add_currency.sql: missing \"domain\" "
			    "(required by sluice.yaml)");
	sl_migration_free(m);
}

static void test_no_transaction_and_irreversible(void **state)
{
	const char *text = "\xEF\xBB\xBF-- irreversible: drops data nobody can restore\r\n"
			   "\r\n"
			   "-- +sluice up no-transaction dialect=postgres\r\n"
			   "CREATE INDEX CONCURRENTLY i ON t (a);\r\n"
			   "-- +sluice up\r\n"
			   "CREATE INDEX i ON t (a);\r\n";
	sl_migration *m = parse_ok("m/7_index.sql", text);
	bool no_tx = false;
	sl_stmt_list l;
	(void)state;
	assert_string_equal(m->id, "7");
	assert_string_equal(m->irreversible, "drops data nobody can restore");
	assert_non_null(sl_migration_section(m, SL_SECTION_UP, SL_ENGINE_POSTGRES, NULL, &no_tx));
	assert_true(no_tx);
	assert_non_null(sl_migration_section(m, SL_SECTION_UP, SL_ENGINE_SQLITE, NULL, &no_tx));
	assert_false(no_tx);
	assert_null(sl_migration_section(m, SL_SECTION_DOWN, SL_ENGINE_SQLITE, NULL, NULL));
	assert_int_equal(sl_migration_statements(&l, m, SL_SECTION_DOWN, SL_ENGINE_SQLITE), SL_ENOTFOUND);
	SL_OK_OR_FAIL(sl_migration_statements(&l, m, SL_SECTION_UP, SL_ENGINE_POSTGRES));
	assert_int_equal(l.n, 1);
	assert_int_equal(l.items[0].line, 4);
	sl_stmt_list_free(&l);
	sl_migration_free(m);
}

static void test_errors(void **state)
{
	const char *p = "migrations/20261121_x.sql";
	(void)state;
	parse_err(p, "-- title: x\n\n-- +sluice up\nSELECT 1;\n\n-- +sluice upp\nSELECT 2;\n",
		  "migrations/20261121_x.sql:6: unknown directive \"+sluice upp\"");
	parse_err(p, "-- +sluiceup\nSELECT 1;\n",
		  "migrations/20261121_x.sql:1: unknown directive \"+sluiceup\"");
	parse_err(p, "-- +sluice\nSELECT 1;\n", "migrations/20261121_x.sql:1: unknown directive \"+sluice\"");
	parse_err("notes.sql", "-- title: x\n-- +sluice up\nSELECT 1;\n",
		  "notes.sql:1: missing \"id\" (name the file <id>_<slug>.sql or add \"-- id: ...\")");
	parse_err(p, "-- +sluice up\n-- nothing here\n\n-- +sluice down\nSELECT 1;\n",
		  "migrations/20261121_x.sql:1: section \"up\" is empty");
	parse_err(p, "-- +sluice up\nSELECT 1;\n-- +sluice down\nSELECT 2;\n-- +sluice down\nSELECT 3;\n",
		  "migrations/20261121_x.sql:5: duplicate section \"down\" (first at line 3)");
	parse_err(p, "-- +sluice up dialect=mysql\nSELECT 1;\n-- +sluice up dialect=mariadb\nSELECT 3;\n",
		  "migrations/20261121_x.sql:3: duplicate section \"up dialect=mysql\" (first at line 1)");
	parse_err(p, "-- title: t\nCREATE TABLE t (a int);\n-- +sluice up\nSELECT 1;\n",
		  "migrations/20261121_x.sql:2: SQL before the first \"-- +sluice up\" directive");
	parse_err(p, "-- title: t\n",
		  "migrations/20261121_x.sql: missing section \"up\" (a line \"-- +sluice up\" before the "
		  "SQL)");
	parse_err(p, "-- irreversible: yes\n-- +sluice up\nSELECT 1;\n-- +sluice down\nSELECT 2;\n",
		  "migrations/20261121_x.sql:4: \"irreversible\" is set (line 1) but the file has a down "
		  "section");
	parse_err(p, "-- id: 20261122\n-- +sluice up\nSELECT 1;\n",
		  "migrations/20261121_x.sql:1: id \"20261122\" does not match the file name's id "
		  "\"20261121\"");
	parse_err(p, "-- id: 2026-11\n-- +sluice up\nSELECT 1;\n",
		  "migrations/20261121_x.sql:1: \"id\" must be digits (a YYYYMMDDHHMMSS timestamp or a "
		  "number), not \"2026-11\"");
	parse_err(p, "-- +sluice up dialect=oracle\nSELECT 1;\n",
		  "migrations/20261121_x.sql:1: unknown dialect \"oracle\" in directive \"+sluice up "
		  "dialect=oracle\" (sqlite, postgres or mysql)");
	parse_err(p, "-- +sluice up notx\nSELECT 1;\n",
		  "migrations/20261121_x.sql:1: unknown option \"notx\" in directive \"+sluice up notx\"");
	parse_err(p, "-- ticket: A\n-- Ticket: B\n-- +sluice up\nSELECT 1;\n",
		  "migrations/20261121_x.sql:2: duplicate metadata \"ticket\" (first at line 1)");
	parse_err(p, "-- requires: 1, two\n-- +sluice up\nSELECT 1;\n",
		  "migrations/20261121_x.sql:1: \"requires\" lists \"two\", which is not a migration id");
	const char nul[] = "-- +sluice up\nSELECT '\0';\n";
	sl_migration *m = NULL;
	assert_int_equal(sl_migration_parse(&m, p, nul, sizeof(nul) - 1), SL_EINVALID);
	assert_null(m);
}

static void test_statement_errors_name_file_line(void **state)
{
	sl_migration *m = parse_ok("m/5_x.sql", "-- +sluice up\nSELECT 1;\n\nSELECT 'oops;\n");
	sl_stmt_list l;
	(void)state;
	assert_int_equal(sl_migration_statements(&l, m, SL_SECTION_UP, SL_ENGINE_MYSQL), SL_EINVALID);
	assert_string_equal(sl_error_last()->message, "m/5_x.sql:4: unterminated string");
	assert_int_equal(l.n, 0);
	sl_migration_free(m);
}

static void test_checksum(void **state)
{
	char a[SL_CHECKSUM_SIZE], b[SL_CHECKSUM_SIZE];
	(void)state;
	SL_OK_OR_FAIL(sl_checksum_sql(a, "SELECT 1;", 9));
	assert_string_equal(a, "v1:17db4fd369edb9244b9f91d9aeed145c3d04ad8ba6e95d06247f07a63527d11a");
	SL_OK_OR_FAIL(sl_checksum_sql(b, "\n\n  \nSELECT 1;  \t\r\n\r\n\n", 19));
	assert_string_equal(a, b);
	const char *lf = "CREATE TABLE t (a int);\n\nINSERT INTO t VALUES (1);";
	const char *crlf = "\r\nCREATE TABLE t (a int); \r\n \r\nINSERT INTO t VALUES (1);\t\r\n";
	SL_OK_OR_FAIL(sl_checksum_sql(a, lf, strlen(lf)));
	SL_OK_OR_FAIL(sl_checksum_sql(b, crlf, strlen(crlf)));
	assert_string_equal(a, "v1:5e23301acd50b7e47f938cfc1af451f270e210560f591da10e5afe20b6f9429e");
	assert_string_equal(a, b);
	/* inner blank lines and leading indentation count */
	SL_OK_OR_FAIL(sl_checksum_sql(b, "CREATE TABLE t (a int);\nINSERT INTO t VALUES (1);", 49));
	assert_string_not_equal(a, b);
	SL_OK_OR_FAIL(sl_checksum_sql(b, " CREATE TABLE t (a int);\n\nINSERT INTO t VALUES (1);", 51));
	assert_string_not_equal(a, b);

	sl_migration *m = parse_ok("m/20261121093000_x.sql", full);
	SL_OK_OR_FAIL(sl_migration_checksum(a, m, SL_ENGINE_POSTGRES));
	SL_OK_OR_FAIL(
		sl_checksum_sql(b, "ALTER TABLE invoices ADD COLUMN currency char(3) NOT NULL DEFAULT 'USD';",
				72));
	assert_string_equal(a, b);
	SL_OK_OR_FAIL(sl_migration_checksum(b, m, SL_ENGINE_MYSQL));
	assert_string_not_equal(a, b);
	sl_migration_free(m);
}

static void test_template(void **state)
{
	sl_buf b = SL_BUF_INIT;
	static const char *const req[] = { "ticket", "pr", "why", "title", "ticket" };
	(void)state;
	SL_OK_OR_FAIL(sl_migration_render_template(&b, "20261121093000", "Add currency", req, 5));
	assert_string_equal(b.ptr,
			    "-- id: 20261121093000\n-- title: Add currency\n-- ticket:\n-- pr:\n-- why:\n"
			    "\n-- +sluice up\n\n\n-- +sluice down\n\n");
	/* filled in, it parses and lacks nothing but what is still empty */
	sl_buf f = SL_BUF_INIT;
	SL_OK_OR_FAIL(sl_buf_puts(&f, "-- id: 20261121093000\n-- title: Add currency\n-- ticket: B-1\n"
				      "-- pr:\n-- why: because\n\n-- +sluice up\nSELECT 1;\n\n"
				      "-- +sluice down\nSELECT 2;\n"));
	sl_migration *m = parse_ok("m/20261121093000_add_currency.sql", f.ptr);
	assert_int_equal(sl_migration_check_required(m, req, 5), SL_EINVALID);
	assert_string_equal(sl_error_last()->message,
			    "m/20261121093000_add_currency.sql:4: \"pr\" is empty (required by sluice.yaml)");
	sl_migration_free(m);
	assert_int_equal(sl_migration_render_template(&b, "12a", "x", NULL, 0), SL_EINVALID);
	assert_int_equal(sl_migration_render_template(&b, "12", "two\nlines", NULL, 0), SL_EINVALID);
	static const char *const bad[] = { "has space" };
	assert_int_equal(sl_migration_render_template(&b, "12", "x", bad, 1), SL_EINVALID);
	sl_buf_free(&b);
	sl_buf_free(&f);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void test_dir_load(void **state)
{
	char dir[] = "/tmp/sluice-mig-XXXXXX";
	char cmd[600];
	sl_migration_set *set = NULL;
	(void)state;
	assert_non_null(mkdtemp(dir));
	write_file(dir, "10_ten.sql", "-- +sluice up\nSELECT 10;\n");
	write_file(dir, "3_three.sql", "-- +sluice up\nSELECT 3;\n");
	write_file(dir, "20261121093000_ts.sql", "-- id: 20261121093000\n-- +sluice up\nSELECT 1;\n");
	write_file(dir, "README.md", "not a migration");
	write_file(dir, ".hidden.sql", "garbage");
	snprintf(cmd, sizeof(cmd), "%s/sub.sql", dir);
	assert_int_equal(mkdir(cmd, 0700), 0);

	SL_OK_OR_FAIL(sl_migration_dir_load(&set, dir));
	assert_int_equal(set->n, 3);
	assert_string_equal(set->items[0]->id, "3");
	assert_string_equal(set->items[1]->id, "10");
	assert_string_equal(set->items[2]->id, "20261121093000");
	assert_string_equal(sl_migration_set_find(set, "10")->slug, "ten");
	assert_null(sl_migration_set_find(set, "4"));
	sl_migration_set_free(set);

	write_file(dir, "010_again.sql", "-- +sluice up\nSELECT 10;\n");
	assert_int_equal(sl_migration_dir_load(&set, dir), SL_EINVALID);
	assert_null(set);
	assert_non_null(strstr(sl_error_last()->message, "duplicate migration id"));
	snprintf(cmd, sizeof(cmd), "%s/010_again.sql", dir);
	unlink(cmd);

	write_file(dir, "notes.sql", "-- +sluice up\nSELECT 1;\n");
	assert_int_equal(sl_migration_dir_load(&set, dir), SL_EINVALID);
	assert_non_null(strstr(sl_error_last()->message,
			       "notes.sql: a migration file must be named <id>_<slug>.sql"));
	snprintf(cmd, sizeof(cmd), "%s/notes.sql", dir);
	unlink(cmd);

	write_file(dir, "11_bad.sql", "-- +sluice upp\n");
	assert_int_equal(sl_migration_dir_load(&set, dir), SL_EINVALID);
	assert_non_null(strstr(sl_error_last()->message, "11_bad.sql:1: unknown directive \"+sluice upp\""));

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(sl_migration_dir_load(&set, dir), SL_ENOTFOUND);
	sl_migration *m = NULL;
	assert_int_equal(sl_migration_load(&m, "/nonexistent/1_x.sql"), SL_ENOTFOUND);
	assert_non_null(strstr(sl_error_last()->message, "\"/nonexistent/1_x.sql\""));
}

static void test_id_cmp(void **state)
{
	(void)state;
	assert_true(sl_migration_id_cmp("9", "10") < 0);
	assert_true(sl_migration_id_cmp("010", "10") == 0);
	assert_true(sl_migration_id_cmp("20261121093000", "20261120110000") > 0);
	assert_true(sl_migration_id_cmp("0", "000") == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_full), cmocka_unit_test(test_no_transaction_and_irreversible),
		cmocka_unit_test(test_errors),     cmocka_unit_test(test_statement_errors_name_file_line),
		cmocka_unit_test(test_checksum),   cmocka_unit_test(test_template),
		cmocka_unit_test(test_dir_load),   cmocka_unit_test(test_id_cmp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
