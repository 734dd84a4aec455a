/*
 * test_url.c - database URL parsing: engines, parts, percent-decoding,
 * redaction, and errors that name the wrong part.
 */
#include "testutil.h"

#include "sluice/url.h"

#include <string.h>

static sl_url *parse_ok(const char *s)
{
	sl_url *u = NULL;
	int rc = sl_url_parse(&u, s);
	if (rc)
		fail_msg("parse \"%s\": %s", s, sl_error_last()->message);
	return u;
}

static void parse_bad(const char *s, const char *expect_in_msg)
{
	sl_url *u = NULL;
	int rc = sl_url_parse(&u, s);
	assert_int_equal(rc, SL_EINVALID);
	assert_null(u);
	const char *m = sl_error_last()->message;
	if (!strstr(m, expect_in_msg))
		fail_msg("error for \"%s\" is \"%s\", expected it to mention \"%s\"", s, m, expect_in_msg);
}

static void test_sqlite_forms(void **state)
{
	(void)state;
	sl_url *u = parse_ok("sqlite:/tmp/a b.db");
	assert_int_equal(u->engine, SL_ENGINE_SQLITE);
	assert_string_equal(u->path, "/tmp/a b.db");
	sl_url_free(u);
	u = parse_ok("sqlite::memory:");
	assert_string_equal(u->path, ":memory:");
	sl_url_free(u);
	u = parse_ok("sqlite://relative/x.db");
	assert_string_equal(u->path, "relative/x.db");
	sl_url_free(u);
	u = parse_ok("sqlite:file:x.db?mode=ro");
	assert_string_equal(u->path, "file:x.db?mode=ro");
	assert_string_equal(u->file, "x.db");
	assert_false(u->create);
	sl_url_free(u);
	/* parameters after a plain path become a SQLite URI; ?mode=rwc asks to create the file */
	u = parse_ok("sqlite:/tmp/a b%?.db?mode=rwc");
	assert_string_equal(u->path, "file:/tmp/a b%25%3F.db?mode=rwc");
	assert_string_equal(u->file, "/tmp/a b%?.db");
	assert_true(u->create);
	sl_url_free(u);
	u = parse_ok("sqlite:file:/tmp/a%20b.db?mode=rwc&cache=shared");
	assert_string_equal(u->file, "/tmp/a b.db");
	assert_true(u->create);
	sl_url_free(u);
	u = parse_ok("sqlite:file://localhost/tmp/x.db");
	assert_string_equal(u->file, "/tmp/x.db");
	sl_url_free(u);
	u = parse_ok("sqlite:x.db");
	assert_string_equal(u->file, "x.db");
	assert_false(u->create);
	sl_url_free(u);
	u = parse_ok("sqlite::memory:");
	assert_null(u->file);
	sl_url_free(u);
	u = parse_ok("sqlite:file:m?mode=memory&cache=shared");
	assert_null(u->file);
	sl_url_free(u);
	parse_bad("sqlite:", "missing file path");
	parse_bad("sqlite:x.db?mode=bogus", "invalid value \"bogus\" for option \"mode\"");
	parse_bad("sqlite:x.db?frobnicate=1", "unknown option \"frobnicate\"");
	parse_bad("sqlite:?mode=rwc", "missing file path");
}

static void test_mysql_parts(void **state)
{
	(void)state;
	sl_url *u = parse_ok(
		"mysql://app%40corp:p%3Ass%2Fw@db.local:3307/bill%20ing?socket=/tmp/m.sock&group=client");
	assert_int_equal(u->engine, SL_ENGINE_MYSQL);
	assert_string_equal(u->user, "app@corp");
	assert_string_equal(u->password, "p:ss/w");
	assert_string_equal(u->host, "db.local");
	assert_int_equal(u->port, 3307);
	assert_string_equal(u->database, "bill ing");
	assert_string_equal(sl_url_param_get(u, "socket"), "/tmp/m.sock");
	assert_string_equal(sl_url_param_get(u, "group"), "client");
	assert_null(strstr(u->redacted, "p:ss/w"));
	assert_non_null(strstr(u->redacted, "***"));
	sl_url_free(u);

	u = parse_ok("mariadb://[::1]:3306/");
	assert_int_equal(u->engine, SL_ENGINE_MYSQL);
	assert_string_equal(u->host, "::1");
	assert_null(u->database);
	assert_null(u->user);
	sl_url_free(u);

	u = parse_ok("mysql://");
	assert_null(u->host);
	assert_int_equal(u->port, 0);
	sl_url_free(u);
}

static void test_mysql_errors(void **state)
{
	(void)state;
	parse_bad("mysql://u@h:99x/db", "invalid port \"99x\"");
	parse_bad("mysql://u@h:0/db", "invalid port");
	parse_bad("mysql://u@h:70000/db", "invalid port");
	parse_bad("mysql://u@h:/db", "invalid port");
	parse_bad("mysql://u@h/db/extra", "database name");
	parse_bad("mysql://u%zz@h/db", "percent-encoding in the user name");
	parse_bad("mysql://u:p%4@h/db", "percent-encoding in the password");
	parse_bad("mysql://u@h/db?novalue", "option \"novalue\"");
	parse_bad("mysql://u@[::1/db", "'[' without ']'");
	parse_bad("mysql://u:p%00w@h/db", "percent-encoding");
	/* options are checked before anything connects, and the URL is named, masked */
	parse_bad("mysql://u:pw@h/db?conect-timeout=3",
		  "URL mysql://u:***@h/db?conect-timeout=3: unknown option \"conect-timeout\"");
	parse_bad("mysql://u@h/db?connect-timeout=soon", "invalid connect-timeout \"soon\"");
	parse_bad("mysql://u@h/db?ssl-mode=maybe", "invalid ssl-mode \"maybe\"");
	parse_bad("mysql://u@h/db?protocol=pipe", "invalid protocol \"pipe\"");
	parse_bad("mysql://u:pw@h:99x/db", "URL mysql://u:***@h:99x/db: invalid port \"99x\"");
}

static void test_password_never_in_errors(void **state)
{
	(void)state;
	const char *bad[] = {
		"mysql://u:SECRETPW@h:port/db",       "postgresql://u:SECRETPW@h:5432/db?sslmode=bogus&x",
		"postgres://u:SECRETPW@[::1/db",      "postgres://u:SECRETPW@:notaport/x",
		"postgres:host=x password='SECRETPW", "postgres:host=x password=SECRETPW port=12a",
		"mysql://u:SECRETPW@h/db?nope=1",     "mariadb://u:SECRETPW@h/db?ssl-mode=x",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sl_url *u = NULL;
		int rc = sl_url_parse(&u, bad[i]);
		assert_int_equal(rc, SL_EINVALID);
		assert_null(strstr(sl_error_last()->message, "SECRETPW"));
	}
}

static void test_postgres_forms(void **state)
{
	(void)state;
	sl_url *u = parse_ok("postgresql://app:pw@127.0.0.1:5433/billing?application_name=x");
	assert_int_equal(u->engine, SL_ENGINE_POSTGRES);
	assert_string_equal(u->user, "app");
	assert_string_equal(u->host, "127.0.0.1");
	assert_int_equal(u->port, 5433);
	assert_string_equal(u->database, "billing");
	assert_string_equal(u->redacted, "postgres://app@127.0.0.1:5433/billing");
	assert_string_equal(u->conninfo, "postgresql://app:pw@127.0.0.1:5433/billing?application_name=x");
	sl_url_free(u);

	u = parse_ok("postgres:host=127.0.0.1 port=5434 dbname=x user=y password=zzz");
	assert_int_equal(u->engine, SL_ENGINE_POSTGRES);
	assert_int_equal(u->port, 5434);
	assert_string_equal(u->database, "x");
	assert_null(strstr(u->redacted, "zzz"));
	sl_url_free(u);

	parse_bad("postgres:host=a bogus_keyword=1", "invalid PostgreSQL connection string");
	parse_bad("postgresql://h/db?nosuchoption=1", "invalid PostgreSQL connection string");
	/* what libpq checks only when it connects is a usage error here, naming the part */
	parse_bad("postgres://u@:notaport/x", "URL postgres://u@:notaport/x: invalid port \"notaport\"");
	parse_bad("postgresql://h1:5432,h2:5x/db", "invalid port \"5x\"");
	parse_bad("postgres:host=x port=70000", "invalid port \"70000\"");
	parse_bad("postgres://h/db?sslmode=bogus", "invalid sslmode \"bogus\"");
	parse_bad("postgres://h/db?connect_timeout=abc", "invalid connect_timeout \"abc\"");
	parse_bad("postgres:host=x password='abc", "unterminated quoted string");
	u = parse_ok("postgresql://h1:5432,h2:5433/db?sslmode=require&connect_timeout=3");
	sl_url_free(u);
}

static void test_schemes(void **state)
{
	(void)state;
	parse_bad("", "empty");
	parse_bad("oracle://x", "URL oracle://x: unknown scheme \"oracle\"");
	parse_bad("just-a-file.db", "missing scheme");
	parse_bad("MYSQL://x", "unknown scheme");
}

static void test_set_database(void **state)
{
	(void)state;
	sl_url *u = parse_ok("postgresql://app:SECRETPW@127.0.0.1:5433/billing?application_name=x");
	SL_OK_OR_FAIL(sl_url_set_database(u, "scratch 1"));
	assert_string_equal(u->database, "scratch 1");
	assert_string_equal(u->redacted, "postgres://app@127.0.0.1:5433/scratch 1");
	assert_non_null(strstr(u->conninfo, "dbname='scratch 1'"));
	assert_non_null(strstr(u->conninfo, "application_name='x'"));
	assert_non_null(strstr(u->conninfo, "password='SECRETPW'")); /* kept for libpq, never shown */
	assert_null(strstr(u->redacted, "SECRETPW"));
	sl_url_free(u);

	u = parse_ok("mariadb://app:pw@db:3307/billing?socket=/tmp/m.sock");
	SL_OK_OR_FAIL(sl_url_set_database(u, "lint_1"));
	assert_string_equal(u->database, "lint_1");
	assert_string_equal(u->redacted, "mariadb://app:***@db:3307/lint_1?socket=/tmp/m.sock");
	assert_string_equal(u->password, "pw");
	sl_url_free(u);

	u = parse_ok("sqlite:/tmp/x.db");
	assert_int_equal(sl_url_set_database(u, "other"), SL_EINVALID);
	sl_url_free(u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sqlite_forms),   cmocka_unit_test(test_mysql_parts),
		cmocka_unit_test(test_mysql_errors),   cmocka_unit_test(test_password_never_in_errors),
		cmocka_unit_test(test_postgres_forms), cmocka_unit_test(test_schemes),
		cmocka_unit_test(test_set_database),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
