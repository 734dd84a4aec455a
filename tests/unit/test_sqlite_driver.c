/*
 * test_sqlite_driver.c - the SQLite driver (src/db/sqlite.c) end to end:
 * value round trips through the bulk writer and through literals, dynamic
 * typing, streaming, transactions, the write-transaction lock, awkward
 * identifiers and open errors. Set SLUICE_BENCH=1 to also time 1M inserts.
 */
#include "testutil.h"

#include "sluice/conn.h"
#include "sluice/error.h"
#include "sluice/value.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_sec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads the whole result of sql into b (initialised here; caller frees). */
static void fetch_all(sl_conn *c, const char *sql, sl_batch *b)
{
	sl_cursor *cur = NULL;
	SL_OK_OR_FAIL(sl_conn_query(&cur, c, sql));
	SL_OK_OR_FAIL(sl_batch_init(b, sl_cursor_ncols(cur), 4));
	int n;
	while ((n = sl_cursor_fetch(cur, b, 100)) > 0)
		;
	if (n < 0)
		fail_msg("fetch %s: %s", sql, sl_error_last()->message);
	sl_cursor_close(cur);
}

static sl_value v_date(int64_t y, unsigned m, unsigned d)
{
	sl_value v = { .type = SL_V_DATE };
	v.u.date = sl_days_from_civil(y, m, d);
	return v;
}

static sl_value v_ts(sl_vtype t, const char *iso)
{
	sl_value v = { .type = t };
	bool z;
	assert_int_equal(sl_parse_timestamp(iso, strlen(iso), &v.u.ts, &z), 0);
	return v;
}

static sl_value v_time(const char *iso)
{
	sl_value v = { .type = SL_V_TIME };
	assert_int_equal(sl_parse_time(iso, strlen(iso), &v.u.time), 0);
	return v;
}

static sl_value v_uuid(const char *s)
{
	sl_value v = { .type = SL_V_UUID };
	assert_int_equal(sl_parse_uuid(s, strlen(s), v.u.uuid), 0);
	return v;
}

struct rt_case {
	const char *decl; /* declared column type */
	sl_value in;
	sl_value want; /* what reads back */
};

static void print_value(const char *label, const sl_value *v)
{
	sl_buf b = SL_BUF_INIT;
	sl_value_format(&b, v);
	print_message("  %s: %s %s\n", label, sl_vtype_name(v->type), sl_buf_cstr(&b));
	sl_buf_free(&b);
}

static void check_case(sl_conn *c, const struct rt_case *k, size_t idx, bool via_literal)
{
	char sql[256];
	sl_test_exec(c, "DROP TABLE IF EXISTS rt");
	snprintf(sql, sizeof(sql), "CREATE TABLE rt(x %s)", k->decl);
	sl_test_exec(c, sql);
	if (via_literal) {
		sl_buf b = SL_BUF_INIT;
		SL_OK_OR_FAIL(sl_buf_puts(&b, "INSERT INTO rt(x) VALUES ("));
		SL_OK_OR_FAIL(sl_conn_quote_literal(c, &b, &k->in));
		SL_OK_OR_FAIL(sl_buf_putc(&b, ')'));
		sl_test_exec(c, b.ptr);
		sl_buf_free(&b);
	} else {
		const char *cols[] = { "x" };
		sl_writer *w = NULL;
		sl_batch in;
		SL_OK_OR_FAIL(sl_batch_init(&in, 1, 1));
		sl_value *row = sl_batch_add_row(&in);
		row[0] = k->in;
		SL_OK_OR_FAIL(sl_writer_open(&w, c, NULL, "rt", cols, 1));
		SL_OK_OR_FAIL(sl_writer_write(w, &in));
		SL_OK_OR_FAIL(sl_writer_close(w));
		sl_batch_free(&in);
	}
	sl_batch out;
	fetch_all(c, "SELECT x FROM rt", &out);
	assert_int_equal(out.nrows, 1);
	const sl_value *got = sl_batch_row(&out, 0);
	if (!sl_value_equal(got, &k->want)) {
		print_message("case %zu (%s, %s) differs:\n", idx, k->decl,
			      via_literal ? "literal" : "writer");
		print_value("want", &k->want);
		print_value("got ", got);
		fail();
	}
	sl_batch_free(&out);
}

static void test_roundtrip(void **state)
{
	(void)state;
	static const char nul_text[] = "a\0b";
	static const char blob[] = "\0\1\2\0\xff";
	static const char bad_utf8[] = "ok \xff\xfe \xc3 end";
	static const char emoji[] = "caf\xc3\xa9 \xf0\x9f\x98\x80";
	const char *uuid = "0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d";
	struct rt_case cases[] = {
		{ "TEXT", sl_null(), sl_null() },
		{ "TEXT", sl_bytes(SL_V_TEXT, "", 0), sl_bytes(SL_V_TEXT, "", 0) },
		{ "TEXT", sl_text(emoji), sl_text(emoji) },
		{ "TEXT", sl_bytes(SL_V_TEXT, bad_utf8, sizeof(bad_utf8) - 1),
		  sl_bytes(SL_V_TEXT, bad_utf8, sizeof(bad_utf8) - 1) },
		{ "TEXT", sl_bytes(SL_V_TEXT, nul_text, 3), sl_bytes(SL_V_TEXT, nul_text, 3) },
		{ "BLOB", sl_bytes(SL_V_BLOB, blob, 5), sl_bytes(SL_V_BLOB, blob, 5) },
		{ "BLOB", sl_bytes(SL_V_BLOB, "", 0), sl_bytes(SL_V_BLOB, "", 0) },
		{ "INTEGER", sl_int(INT64_MIN), sl_int(INT64_MIN) },
		{ "INTEGER", sl_int(INT64_MAX), sl_int(INT64_MAX) },
		{ "BIGINT", sl_int(0), sl_int(0) },
		{ "REAL", sl_double(INFINITY), sl_double(INFINITY) },
		{ "REAL", sl_double(-INFINITY), sl_double(-INFINITY) },
		/* a REAL column stores integral values as integers: -0.0 loses its sign */
		{ "REAL", sl_double(-0.0), sl_double(0.0) },
		{ "", sl_double(-0.0), sl_double(-0.0) },
		{ "REAL", sl_double(3.0), sl_double(3.0) },
		{ "", sl_double(3.0), sl_double(3.0) },
		{ "REAL", sl_double(0.1), sl_double(0.1) },
		{ "DOUBLE PRECISION", sl_double(1e300), sl_double(1e300) },
		{ "FLOAT", sl_double(5e-324), sl_double(5e-324) },
		/* NUMERIC affinity turns decimal text into REAL: documented pitfall */
		{ "DECIMAL(10,2)", sl_bytes(SL_V_DECIMAL, "12.50", 5), sl_double(12.5) },
		{ "NUMERIC", sl_bytes(SL_V_DECIMAL, "42", 2), sl_int(42) },
		/* TEXT storage under DECIMAL keeps every digit */
		{ "TEXT", sl_bytes(SL_V_DECIMAL, "12345678901234567890.125", 24),
		  sl_bytes(SL_V_TEXT, "12345678901234567890.125", 24) },
		{ "DATE", v_date(1969, 7, 20), v_date(1969, 7, 20) },
		{ "DATE", v_date(2100, 2, 28), v_date(2100, 2, 28) },
		{ "DATE", v_date(9999, 12, 31), v_date(9999, 12, 31) },
		{ "DATE", v_date(1, 1, 1), v_date(1, 1, 1) },
		{ "TIME", v_time("12:34:56.123456"), v_time("12:34:56.123456") },
		{ "TIME", v_time("00:00:00"), v_time("00:00:00") },
		{ "TIMESTAMP", v_ts(SL_V_TIMESTAMP, "1901-12-13 20:45:52.000001"),
		  v_ts(SL_V_TIMESTAMP, "1901-12-13 20:45:52.000001") },
		{ "DATETIME", v_ts(SL_V_TIMESTAMP, "2038-01-19 03:14:08.5"),
		  v_ts(SL_V_TIMESTAMP, "2038-01-19 03:14:08.5") },
		{ "DATETIME", v_ts(SL_V_TIMESTAMP, "9999-12-31 23:59:59.999999"),
		  v_ts(SL_V_TIMESTAMP, "9999-12-31 23:59:59.999999") },
		{ "TIMESTAMPTZ", v_ts(SL_V_TIMESTAMPTZ, "2024-02-29 10:00:00.25+02:00"),
		  v_ts(SL_V_TIMESTAMPTZ, "2024-02-29 08:00:00.25Z") },
		/* text with a zone under a plain TIMESTAMP still decodes as an instant */
		{ "TIMESTAMP", v_ts(SL_V_TIMESTAMPTZ, "1960-01-01 00:00:00Z"),
		  v_ts(SL_V_TIMESTAMPTZ, "1960-01-01 00:00:00Z") },
		{ "UUID", v_uuid(uuid), v_uuid(uuid) },
		{ "JSON", sl_bytes(SL_V_JSON, "{\"a\": [1, 2]}", 13),
		  sl_bytes(SL_V_JSON, "{\"a\": [1, 2]}", 13) },
		{ "BOOLEAN", sl_bool(true), sl_bool(true) },
		{ "BOOL", sl_bool(false), sl_bool(false) },
	};
	char *url = sl_test_scratch_url(SL_TEST_SQLITE);
	sl_conn *c = sl_test_open(url);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		check_case(c, &cases[i], i, false);
		check_case(c, &cases[i], i, true);
	}
	/* a 16-byte blob under UUID decodes as a uuid too */
	sl_test_exec(c, "DROP TABLE rt; CREATE TABLE rt(x UUID);"
			"INSERT INTO rt VALUES (X'0A1B2C3D4E5F6A7B8C9D0E1F2A3B4C5D')");
	sl_batch out;
	fetch_all(c, "SELECT x FROM rt", &out);
	sl_value want = v_uuid(uuid);
	assert_true(sl_value_equal(sl_batch_row(&out, 0), &want));
	sl_batch_free(&out);
	sl_conn_close(c);
	sl_test_scratch_drop(SL_TEST_SQLITE, url);
}

static void test_nan_refused(void **state)
{
	(void)state;
	sl_conn *c = sl_test_open("sqlite::memory:");
	sl_test_exec(c, "CREATE TABLE f(id INTEGER, x REAL)");
	const char *cols[] = { "id", "x" };
	sl_writer *w = NULL;
	sl_batch b;
	SL_OK_OR_FAIL(sl_batch_init(&b, 2, 2));
	sl_value *r = sl_batch_add_row(&b);
	r[0] = sl_int(1), r[1] = sl_double(1.5);
	r = sl_batch_add_row(&b);
	r[0] = sl_int(2), r[1] = sl_double(NAN);
	SL_OK_OR_FAIL(sl_writer_open(&w, c, NULL, "f", cols, 2));
	assert_int_equal(sl_writer_write(w, &b), SL_EINVALID);
	assert_non_null(strstr(sl_error_last()->message, "row 2"));
	assert_non_null(strstr(sl_error_last()->message, "NaN"));
	assert_non_null(strstr(sl_error_last()->message, "\"x\""));
	sl_writer_abort(w);
	sl_buf lit = SL_BUF_INIT;
	sl_value nan = sl_double(NAN);
	assert_int_equal(sl_conn_quote_literal(c, &lit, &nan), SL_EINVALID);
	sl_buf_free(&lit);
	sl_batch_free(&b);
	sl_conn_close(c);
}

/* A failing query through the one-value helpers returns its error (it used to free an uninitialised batch).
 */
static void test_query_value_error(void **state)
{
	(void)state;
	sl_conn *c = sl_test_open("sqlite::memory:");
	char *text = (char *)"unchanged";
	int64_t n = 7;
	assert_int_equal(sl_conn_query_text(c, "SELECT nope FROM nowhere", &text), SL_EDB);
	assert_null(text);
	assert_int_equal(sl_conn_query_int(c, "SELEC 1", &n), SL_EDB);
	assert_int_equal(n, 7);
	sl_conn_close(c);
}

static void test_writer_constraint(void **state)
{
	(void)state;
	sl_conn *c = sl_test_open("sqlite::memory:");
	sl_test_exec(c, "CREATE TABLE k(id INTEGER PRIMARY KEY, v TEXT NOT NULL)");
	const char *cols[] = { "id", "v" };
	sl_writer *w = NULL;
	sl_batch b;
	SL_OK_OR_FAIL(sl_batch_init(&b, 2, 3));
	for (int i = 0; i < 3; i++) {
		sl_value *r = sl_batch_add_row(&b);
		r[0] = sl_int(i == 2 ? 1 : i + 1);
		r[1] = sl_text("x");
	}
	SL_OK_OR_FAIL(sl_conn_begin(c));
	SL_OK_OR_FAIL(sl_writer_open(&w, c, "main", "k", cols, 2));
	assert_int_equal(sl_writer_write(w, &b), SL_EDB);
	const sl_error *e = sl_error_last();
	assert_non_null(strstr(e->message, "row 3: UNIQUE constraint failed: k.id"));
	assert_string_equal(e->sqlstate, "23505");
	assert_int_equal(e->engine_code, 1555); /* SQLITE_CONSTRAINT_PRIMARYKEY */
	sl_writer_abort(w);
	SL_OK_OR_FAIL(sl_conn_rollback(c));
	assert_int_equal(sl_test_int(c, "SELECT count(*) FROM k"), 0);
	sl_batch_free(&b);
	sl_conn_close(c);
}

static void test_mixed_storage(void **state)
{
	(void)state;
	sl_conn *c = sl_test_open("sqlite::memory:");
	sl_test_exec(c, "CREATE TABLE m(n INTEGER, d DATE, b BOOLEAN);"
			"INSERT INTO m VALUES (7, '2020-02-30', 2), ('abc', 1234567, 1),"
			" (2.5, 'yesterday', 'true'), (X'00FF', '2020-02-29', 0), (NULL, NULL, NULL),"
			" ('12', ' 2020-01-01', '1')");
	sl_batch b;
	fetch_all(c, "SELECT n, d, b FROM m", &b);
	assert_int_equal(b.nrows, 6);
	const sl_value *r = sl_batch_row(&b, 0);
	assert_int_equal(r[0].type, SL_V_INT);
	assert_int_equal(r[0].u.i, 7);
	assert_int_equal(r[1].type, SL_V_TEXT); /* not a real date: left as text */
	assert_int_equal(r[2].type, SL_V_INT);  /* 2 is not a bool */
	r = sl_batch_row(&b, 1);
	assert_int_equal(r[0].type, SL_V_TEXT);
	assert_int_equal(r[0].u.s.len, 3);
	assert_int_equal(r[1].type, SL_V_INT); /* epoch-ish number under DATE stays a number */
	assert_int_equal(r[2].type, SL_V_BOOL);
	assert_true(r[2].u.b);
	r = sl_batch_row(&b, 2);
	assert_int_equal(r[0].type, SL_V_DOUBLE);
	assert_true(r[0].u.d == 2.5);
	assert_int_equal(r[1].type, SL_V_TEXT);
	assert_int_equal(r[2].type, SL_V_TEXT);
	r = sl_batch_row(&b, 3);
	assert_int_equal(r[0].type, SL_V_BLOB);
	assert_int_equal(r[0].u.s.len, 2);
	assert_int_equal(r[1].type, SL_V_DATE);
	assert_int_equal(r[1].u.date, sl_days_from_civil(2020, 2, 29));
	assert_int_equal(r[2].type, SL_V_BOOL);
	assert_false(r[2].u.b);
	r = sl_batch_row(&b, 4);
	for (int i = 0; i < 3; i++)
		assert_int_equal(r[i].type, SL_V_NULL);
	r = sl_batch_row(&b, 5);
	assert_int_equal(r[0].type, SL_V_INT); /* INTEGER affinity converted '12' */
	assert_int_equal(r[1].type, SL_V_TEXT);
	assert_int_equal(r[2].type, SL_V_BOOL); /* NUMERIC affinity made '1' an integer */
	sl_batch_free(&b);

	/* column info: declared types, and SL_V_NULL for expressions */
	sl_cursor *cur = NULL;
	SL_OK_OR_FAIL(sl_conn_query(&cur, c, "SELECT n, d, b, n + 1 AS e FROM m"));
	assert_int_equal(sl_cursor_ncols(cur), 4);
	assert_string_equal(sl_cursor_col(cur, 0)->name, "n");
	assert_string_equal(sl_cursor_col(cur, 0)->decl, "INTEGER");
	assert_int_equal(sl_cursor_col(cur, 0)->type, SL_V_INT);
	assert_int_equal(sl_cursor_col(cur, 1)->type, SL_V_DATE);
	assert_int_equal(sl_cursor_col(cur, 2)->type, SL_V_BOOL);
	assert_string_equal(sl_cursor_col(cur, 3)->name, "e");
	assert_int_equal(sl_cursor_col(cur, 3)->type, SL_V_NULL);
	sl_cursor_close(cur);
	sl_conn_close(c);
}

static void test_streaming(void **state)
{
	(void)state;
	const int64_t n = 200000;
	sl_conn *c = sl_test_open("sqlite::memory:");
	sl_cursor *cur = NULL;
	SL_OK_OR_FAIL(sl_conn_query(
		&cur, c,
		"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000)"
		" SELECT x, 'row ' || x FROM c"));
	sl_batch b;
	SL_OK_OR_FAIL(sl_batch_init(&b, 2, 1000));
	int64_t rows = 0, sum = 0, fetches = 0;
	int got;
	while ((got = sl_cursor_fetch(cur, &b, 1000)) > 0) {
		assert_true(got <= 1000);
		assert_int_equal((size_t)got, b.nrows);
		for (size_t i = 0; i < b.nrows; i++) {
			const sl_value *r = sl_batch_row(&b, i);
			assert_int_equal(r[0].type, SL_V_INT);
			sum += r[0].u.i;
		}
		rows += got;
		fetches++;
		sl_batch_reset(&b);
	}
	assert_int_equal(got, 0);
	assert_int_equal(rows, n);
	assert_int_equal(sum, n * (n + 1) / 2);
	assert_int_equal(fetches, 200);
	assert_int_equal(sl_cursor_fetch(cur, &b, 1000), 0); /* stays at the end */
	sl_cursor_close(cur);

	/* close early, then the connection is free again */
	SL_OK_OR_FAIL(sl_conn_query(
		&cur, c,
		"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000)"
		" SELECT x, x FROM c"));
	assert_int_equal(sl_cursor_fetch(cur, &b, 10), 10);
	assert_int_equal(sl_conn_exec(c, "CREATE TABLE t(x)"), SL_ERROR); /* cursor open */
	sl_cursor_close(cur);
	assert_int_equal(sl_test_int(c, "SELECT 41 + 1"), 42);
	sl_batch_free(&b);

	/* more than one statement in a query is refused; errors carry the engine's text */
	assert_int_equal(sl_conn_query(&cur, c, "SELECT 1; SELECT 2"), SL_EINVALID);
	assert_int_equal(sl_conn_query(&cur, c, "SELECT 1; -- trailing comment\n"), 0);
	sl_cursor_close(cur);
	assert_int_equal(sl_conn_query(&cur, c, "SELECT * FROM nope"), SL_EDB);
	assert_non_null(strstr(sl_error_last()->message, "no such table: nope"));
	sl_conn_close(c);
}

static void test_exec_changes(void **state)
{
	(void)state;
	sl_conn *c = sl_test_open("sqlite::memory:");
	sl_test_exec(c, "CREATE TABLE t(x); INSERT INTO t VALUES (1), (2), (3);\n"
			"-- a comment\n UPDATE t SET x = x + 1 WHERE x > 1;");
	assert_int_equal(sl_conn_changes(c), 5);
	sl_test_exec(c, "DELETE FROM t");
	assert_int_equal(sl_conn_changes(c), 3);
	assert_int_equal(sl_conn_exec(c, "INSERT INTO t VALUES (1); INSERT INTO nope VALUES (1)"), SL_EDB);
	assert_non_null(strstr(sl_error_last()->message, "no such table: nope"));
	assert_int_equal(sl_test_int(c, "SELECT count(*) FROM t"), 1); /* first statement ran */
	/* a one-value query that fails is an error, and frees nothing it did not allocate */
	int64_t n = 7;
	char *text = NULL;
	assert_int_equal(sl_conn_query_int(c, "SELECT nope FROM t", &n), SL_EDB);
	assert_non_null(strstr(sl_error_last()->message, "no such column: nope"));
	assert_int_equal(n, 7);
	assert_int_equal(sl_conn_query_text(c, "SELECT nope FROM t", &text), SL_EDB);
	assert_null(text);
	assert_true(sl_conn_has(c, SL_CAP_TRANSACTIONAL_DDL));
	assert_true(sl_conn_has(c, SL_CAP_RETURNING));
	assert_false(sl_conn_has(c, SL_CAP_FLOAT_SPECIALS));
	assert_false(sl_conn_has(c, SL_CAP_ADVISORY_LOCK));
	assert_string_equal(sl_conn_database(c), ":memory:");
	assert_int_equal(sl_conn_engine(c), SL_ENGINE_SQLITE);
	assert_true(strlen(sl_conn_server_version(c)) >= 5);
	/* foreign keys are enforced */
	sl_test_exec(c,
		     "CREATE TABLE p(id INTEGER PRIMARY KEY); CREATE TABLE ch(p INTEGER REFERENCES p(id))");
	assert_int_equal(sl_conn_exec(c, "INSERT INTO ch VALUES (9)"), SL_EDB);
	assert_string_equal(sl_error_last()->sqlstate, "23503");
	sl_conn_close(c);
}

static void test_transactions(void **state)
{
	(void)state;
	sl_conn *c = sl_test_open("sqlite::memory:");
	sl_test_exec(c, "CREATE TABLE t(x)");
	SL_OK_OR_FAIL(sl_conn_begin(c));
	assert_true(sl_conn_in_transaction(c));
	sl_test_exec(c, "INSERT INTO t VALUES (1); CREATE TABLE ddl(y)");
	SL_OK_OR_FAIL(sl_conn_rollback(c));
	assert_false(sl_conn_in_transaction(c));
	assert_int_equal(sl_test_int(c, "SELECT count(*) FROM t"), 0);
	assert_int_equal(sl_test_int(c, "SELECT count(*) FROM sqlite_schema WHERE name = 'ddl'"), 0);

	SL_OK_OR_FAIL(sl_conn_begin(c));
	sl_test_exec(c, "INSERT INTO t VALUES (1)");
	SL_OK_OR_FAIL(sl_conn_savepoint(c, "s p\"1"));
	sl_test_exec(c, "INSERT INTO t VALUES (2)");
	SL_OK_OR_FAIL(sl_conn_rollback_to(c, "s p\"1"));
	SL_OK_OR_FAIL(sl_conn_release(c, "s p\"1"));
	SL_OK_OR_FAIL(sl_conn_commit(c));
	assert_int_equal(sl_test_int(c, "SELECT count(*) FROM t"), 1);
	assert_int_equal(sl_test_int(c, "SELECT sum(x) FROM t"), 1);
	assert_int_equal(sl_conn_begin(c), 0);
	assert_int_equal(sl_conn_begin(c), SL_ERROR); /* core refuses nesting */
	SL_OK_OR_FAIL(sl_conn_rollback(c));
	assert_int_equal(sl_conn_commit(c), SL_EDB); /* nothing to commit */
	sl_conn_close(c);
}

static void test_lock(void **state)
{
	(void)state;
	char *url = sl_test_scratch_url(SL_TEST_SQLITE);
	sl_conn *a = sl_test_open(url), *b = sl_test_open(url);
	sl_test_exec(a, "CREATE TABLE t(x)");

	SL_OK_OR_FAIL(sl_conn_lock(a, "sluice_migrate", 0));
	double t0 = now_sec();
	assert_int_equal(sl_conn_lock(b, "sluice_migrate", 200), SL_ELOCKED);
	double waited = now_sec() - t0;
	assert_true(waited >= 0.15 && waited < 1.5);
	assert_non_null(strstr(sl_error_last()->message, "locked by another process"));
	t0 = now_sec();
	assert_int_equal(sl_conn_lock(b, "sluice_migrate", 0), SL_ELOCKED);
	assert_true(now_sec() - t0 < 0.1);

	/* under the lock, begin/commit/rollback nest as savepoints */
	SL_OK_OR_FAIL(sl_conn_begin(a));
	sl_test_exec(a, "INSERT INTO t VALUES (1)");
	SL_OK_OR_FAIL(sl_conn_commit(a));
	SL_OK_OR_FAIL(sl_conn_begin(a));
	sl_test_exec(a, "INSERT INTO t VALUES (2)");
	SL_OK_OR_FAIL(sl_conn_rollback(a));
	assert_int_equal(sl_test_int(b, "SELECT count(*) FROM t"), 0); /* not yet committed */
	/* a stray commit or rollback without begin keeps the lock and the work */
	SL_OK_OR_FAIL(sl_conn_rollback(a));
	SL_OK_OR_FAIL(sl_conn_commit(a));
	assert_int_equal(sl_conn_lock(b, "sluice_migrate", 0), SL_ELOCKED);
	assert_int_equal(sl_test_int(a, "SELECT count(*) FROM t"), 1);
	SL_OK_OR_FAIL(sl_conn_unlock(a, "sluice_migrate"));
	assert_int_equal(sl_test_int(b, "SELECT count(*) FROM t"), 1);
	assert_int_equal(sl_test_int(b, "SELECT x FROM t"), 1);

	SL_OK_OR_FAIL(sl_conn_lock(b, "sluice_migrate", 200));
	assert_int_equal(sl_conn_lock(a, "sluice_migrate", 0), SL_ELOCKED);
	SL_OK_OR_FAIL(sl_conn_unlock(b, "sluice_migrate"));
	SL_OK_OR_FAIL(sl_conn_unlock(b, "sluice_migrate")); /* unlocking twice is harmless */
	SL_OK_OR_FAIL(sl_conn_lock(a, "x", -1));
	sl_conn_close(a); /* closing drops the lock */
	SL_OK_OR_FAIL(sl_conn_lock(b, "x", 0));
	SL_OK_OR_FAIL(sl_conn_unlock(b, "x"));
	sl_conn_close(b);
	sl_test_scratch_drop(SL_TEST_SQLITE, url);
}

static void test_identifiers(void **state)
{
	(void)state;
	const char *names[] = { "select",          "a\"b", "\xe5\x90\x8d\xe5\x89\x8d", "Mixed Case",
				"[Order Details]", "user" };
	const size_t n = sizeof(names) / sizeof(names[0]);
	sl_conn *c = sl_test_open("sqlite::memory:");
	sl_buf sql = SL_BUF_INIT;
	const char *tables[] = { "user", "Order Details", "x\"y z" };
	for (size_t t = 0; t < 3; t++) {
		sl_buf_clear(&sql);
		SL_OK_OR_FAIL(sl_buf_puts(&sql, "CREATE TABLE "));
		SL_OK_OR_FAIL(sl_conn_quote_ident(c, &sql, tables[t]));
		for (size_t i = 0; i < n; i++) {
			SL_OK_OR_FAIL(sl_buf_puts(&sql, i ? ", " : " ("));
			SL_OK_OR_FAIL(sl_conn_quote_ident(c, &sql, names[i]));
			SL_OK_OR_FAIL(sl_buf_puts(&sql, " TEXT"));
		}
		SL_OK_OR_FAIL(sl_buf_putc(&sql, ')'));
		sl_test_exec(c, sql.ptr);

		sl_writer *w = NULL;
		sl_batch b;
		SL_OK_OR_FAIL(sl_batch_init(&b, n, 1));
		sl_value *r = sl_batch_add_row(&b);
		for (size_t i = 0; i < n; i++)
			r[i] = sl_text(names[i]);
		SL_OK_OR_FAIL(sl_writer_open(&w, c, NULL, tables[t], names, n));
		SL_OK_OR_FAIL(sl_writer_write(w, &b));
		SL_OK_OR_FAIL(sl_writer_close(w));
		sl_batch_free(&b);

		sl_buf_clear(&sql);
		SL_OK_OR_FAIL(sl_buf_puts(&sql, "SELECT * FROM "));
		SL_OK_OR_FAIL(sl_conn_quote_ident(c, &sql, tables[t]));
		sl_cursor *cur = NULL;
		SL_OK_OR_FAIL(sl_conn_query(&cur, c, sql.ptr));
		SL_OK_OR_FAIL(sl_batch_init(&b, n, 1));
		assert_int_equal(sl_cursor_fetch(cur, &b, 10), 1);
		for (size_t i = 0; i < n; i++) {
			assert_string_equal(sl_cursor_col(cur, i)->name, names[i]);
			const sl_value *v = &sl_batch_row(&b, 0)[i];
			assert_int_equal(v->u.s.len, strlen(names[i]));
			assert_memory_equal(v->u.s.ptr, names[i], v->u.s.len);
		}
		sl_cursor_close(cur);
		sl_batch_free(&b);
	}
	/* bracket quoting, as in Northwind, reaches the same table */
	assert_int_equal(sl_test_int(c, "SELECT count(*) FROM [Order Details]"), 1);
	sl_buf_free(&sql);
	sl_conn_close(c);
}

static void test_open_errors(void **state)
{
	(void)state;
	sl_conn *c = NULL;
	assert_int_equal(sl_conn_open(&c, "sqlite:/nonexistent-sluice-dir/sub/x.db?mode=rwc"), SL_ECONNECT);
	assert_null(c);
	assert_non_null(strstr(sl_error_last()->message, "\"/nonexistent-sluice-dir/sub/x.db\""));

	char path[] = "/tmp/sluice_notdb_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd,
			       "this is not a database, just some text padding it out to more than a hundred "
			       "bytes .......................",
			       107),
			 107);
	close(fd);
	char url[64];
	snprintf(url, sizeof(url), "sqlite:%s", path);
	assert_int_equal(sl_conn_open(&c, url), SL_ECONNECT);
	assert_non_null(strstr(sl_error_last()->message, path));
	assert_non_null(strstr(sl_error_last()->message, "not a database"));
	unlink(path);

	/* read-only URIs work and refuse writes */
	char *scratch = sl_test_scratch_url(SL_TEST_SQLITE);
	c = sl_test_open(scratch);
	sl_test_exec(c, "CREATE TABLE t(x); INSERT INTO t VALUES (1)");
	sl_conn_close(c);
	snprintf(url, sizeof(url), "sqlite:file:%s?mode=ro", scratch + 7);
	c = sl_test_open(url);
	assert_int_equal(sl_test_int(c, "SELECT x FROM t"), 1);
	assert_int_equal(sl_conn_exec(c, "INSERT INTO t VALUES (2)"), SL_EDB);
	assert_non_null(strstr(sl_error_last()->message, "readonly"));
	sl_conn_close(c);
	sl_test_scratch_drop(SL_TEST_SQLITE, scratch);
}

/* A missing file is an error, never a new empty database - unless the URL or the caller asks. */
static void test_open_missing_file(void **state)
{
	(void)state;
	char dir[] = "/tmp/sluice_missing_XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[128], url[160];
	snprintf(path, sizeof(path), "%s/typo.db", dir);
	const char *forms[][2] = { { "sqlite:", "" },         { "sqlite://", "" },
				   { "sqlite:file:", "" },    { "sqlite:file:", "?mode=rw" },
				   { "sqlite:", "?mode=rw" }, { "sqlite:file:", "?mode=ro" } };
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		sl_conn *c = NULL;
		snprintf(url, sizeof(url), "%s%s%s", forms[i][0], path, forms[i][1]);
		if (sl_conn_open(&c, url) != SL_ENOTFOUND)
			fail_msg("%s: expected SL_ENOTFOUND, got: %s", url, sl_error_last()->message);
		assert_null(c);
		assert_non_null(strstr(sl_error_last()->message, "no such SQLite file"));
		assert_non_null(strstr(sl_error_last()->message, path));
		assert_int_equal(access(path, F_OK), -1);
	}
	/* ?mode=rwc asks for it, and so does a caller that opens a target */
	sl_conn *c = NULL;
	snprintf(url, sizeof(url), "sqlite:%s?mode=rwc", path);
	SL_OK_OR_FAIL(sl_conn_open(&c, url));
	sl_test_exec(c, "CREATE TABLE t (x)");
	sl_conn_close(c);
	assert_int_equal(access(path, F_OK), 0);
	unlink(path);
	sl_url *u = NULL;
	snprintf(url, sizeof(url), "sqlite:%s", path);
	SL_OK_OR_FAIL(sl_url_parse(&u, url));
	u->create = true;
	SL_OK_OR_FAIL(sl_conn_open_url(&c, u));
	sl_conn_close(c);
	sl_url_free(u);
	assert_int_equal(access(path, F_OK), 0);
	/* the created file now opens without asking */
	SL_OK_OR_FAIL(sl_conn_open(&c, url));
	sl_conn_close(c);
	unlink(path);
	rmdir(dir);
}

static void test_quote_literal(void **state)
{
	(void)state;
	sl_conn *c = sl_test_open("sqlite::memory:");
	struct {
		sl_value v;
		const char *want;
	} cases[] = {
		{ sl_null(), "NULL" },
		{ sl_int(-5), "-5" },
		{ sl_bool(true), "1" },
		{ sl_double(INFINITY), "9e999" },
		{ sl_double(-INFINITY), "-9e999" },
		{ sl_double(0.1), "0.1" },
		{ sl_double(3.0), "3.0" },
		{ sl_double(-0.0), "-0.0" },
		{ sl_double(1e300), "1e+300" },
		{ sl_text("it's"), "'it''s'" },
		{ sl_bytes(SL_V_TEXT, "a\0b", 3), "CAST(X'610062' AS TEXT)" },
		{ sl_bytes(SL_V_BLOB, "\x01\xab", 2), "X'01AB'" },
		{ sl_bytes(SL_V_DECIMAL, "12.50", 5), "'12.50'" },
		{ v_date(-44, 3, 15), "'-0044-03-15'" },
		{ v_ts(SL_V_TIMESTAMPTZ, "2020-01-02T03:04:05.5+01:00"), "'2020-01-02 02:04:05.5Z'" },
		{ v_uuid("{0A1B2C3D-4E5F-6A7B-8C9D-0E1F2A3B4C5D}"),
		  "'0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d'" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sl_buf b = SL_BUF_INIT;
		SL_OK_OR_FAIL(sl_conn_quote_literal(c, &b, &cases[i].v));
		assert_string_equal(sl_buf_cstr(&b), cases[i].want);
		sl_buf_free(&b);
	}
	sl_buf b = SL_BUF_INIT;
	SL_OK_OR_FAIL(sl_conn_quote_ident(c, &b, "a\"b"));
	assert_string_equal(b.ptr, "\"a\"\"b\"");
	sl_buf_free(&b);
	sl_conn_close(c);
}

/* SLUICE_BENCH=1: 1M rows of (integer, text, real) in one transaction. */
static void test_bench_writer(void **state)
{
	(void)state;
	const char *bench = getenv("SLUICE_BENCH");
	if (!bench || strcmp(bench, "1") != 0)
		skip();
	char *url = sl_test_scratch_url(SL_TEST_SQLITE);
	sl_conn *c = sl_test_open(url);
	sl_test_exec(c, "CREATE TABLE b(id INTEGER, name TEXT, score REAL)");
	const char *cols[] = { "id", "name", "score" };
	const size_t total = 1000000, per = 10000;
	sl_batch b;
	SL_OK_OR_FAIL(sl_batch_init(&b, 3, per));
	sl_writer *w = NULL;
	double t0 = now_sec();
	SL_OK_OR_FAIL(sl_conn_begin(c));
	SL_OK_OR_FAIL(sl_writer_open(&w, c, NULL, "b", cols, 3));
	for (size_t done = 0; done < total; done += per) {
		sl_batch_reset(&b);
		for (size_t i = 0; i < per; i++) {
			sl_value *r = sl_batch_add_row(&b);
			char name[32];
			int len = snprintf(name, sizeof(name), "name %zu", done + i);
			r[0] = sl_int((int64_t)(done + i));
			SL_OK_OR_FAIL(sl_batch_set_bytes(&b, &r[1], SL_V_TEXT, name, (size_t)len));
			r[2] = sl_double((double)(done + i) * 0.5);
		}
		SL_OK_OR_FAIL(sl_writer_write(w, &b));
	}
	SL_OK_OR_FAIL(sl_writer_close(w));
	SL_OK_OR_FAIL(sl_conn_commit(c));
	double dt = now_sec() - t0;
	print_message("sqlite writer: %zu rows in %.2f s = %.0f rows/s\n", total, dt, (double)total / dt);
	assert_int_equal(sl_test_int(c, "SELECT count(*) FROM b"), (int64_t)total);

	t0 = now_sec();
	sl_cursor *cur = NULL;
	SL_OK_OR_FAIL(sl_conn_query(&cur, c, "SELECT id, name, score FROM b"));
	size_t rows = 0;
	int got;
	while (sl_batch_reset(&b), (got = sl_cursor_fetch(cur, &b, per)) > 0)
		rows += (size_t)got;
	sl_cursor_close(cur);
	dt = now_sec() - t0;
	print_message("sqlite reader: %zu rows in %.2f s = %.0f rows/s\n", rows, dt, (double)rows / dt);
	assert_int_equal(rows, total);
	sl_batch_free(&b);
	sl_conn_close(c);
	sl_test_scratch_drop(SL_TEST_SQLITE, url);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),         cmocka_unit_test(test_nan_refused),
		cmocka_unit_test(test_writer_constraint), cmocka_unit_test(test_mixed_storage),
		cmocka_unit_test(test_streaming),         cmocka_unit_test(test_exec_changes),
		cmocka_unit_test(test_transactions),      cmocka_unit_test(test_lock),
		cmocka_unit_test(test_identifiers),       cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_open_missing_file), cmocka_unit_test(test_quote_literal),
		cmocka_unit_test(test_bench_writer),      cmocka_unit_test(test_query_value_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
