/*
 * test_postgres_driver.c - the PostgreSQL driver against a real server:
 * value round trips through the query path, quote_literal and the COPY
 * writer (binary and text fallback), streaming, cursors closed early,
 * transactions, advisory locks, awkward identifiers and connect errors.
 * Each test works in a fresh scratch database (tests/support/testutil.h).
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NCOL 19

static const char TABLE_DDL[] =
	"(id int4 PRIMARY KEY, b bool, i2 int2, i4 int4, i8 int8, f4 float4, f8 float8,"
	" n numeric, t text, vc varchar(60), bl bytea, d date, tm time, ts timestamp,"
	" tz timestamptz, u uuid, j json, jb jsonb, e mood)";
static const char COLS[] = "id, b, i2, i4, i8, f4, f8, n, t, vc, bl, d, tm, ts, tz, u, j, jb, e";
static const char *const COLNAMES[NCOL] = { "id", "b", "i2", "i4", "i8", "f4", "f8", "n",  "t", "vc",
					    "bl", "d", "tm", "ts", "tz", "u",  "j",  "jb", "e" };

typedef struct fixture {
	char *url;
	sl_conn *c;
} fixture;

static int setup(void **state)
{
	if (!sl_test_available(SL_TEST_PG))
		skip();
	fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->url = sl_test_scratch_url(SL_TEST_PG);
	f->c = sl_test_open(f->url);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	if (f) {
		sl_conn_close(f->c);
		sl_test_scratch_drop(SL_TEST_PG, f->url);
		free(f);
	}
	return 0;
}

/* ---- value helpers ---- */

static sl_value txt(const char *s)
{
	return sl_bytes(SL_V_TEXT, s, strlen(s));
}
static sl_value dec(const char *s)
{
	return sl_bytes(SL_V_DECIMAL, s, strlen(s));
}
static sl_value json(const char *s)
{
	return sl_bytes(SL_V_JSON, s, strlen(s));
}

static sl_value date(int64_t y, unsigned m, unsigned d)
{
	sl_value v = { .type = SL_V_DATE };
	v.u.date = sl_days_from_civil(y, m, d);
	return v;
}

static sl_value tod(const char *s)
{
	sl_value v = { .type = SL_V_TIME };
	assert_int_equal(sl_parse_time(s, strlen(s), &v.u.time), 0);
	return v;
}

static sl_value stamp(sl_vtype t, const char *s)
{
	sl_value v = { .type = t };
	assert_int_equal(sl_parse_timestamp(s, strlen(s), &v.u.ts, NULL), 0);
	return v;
}

static sl_value uuid(const char *s)
{
	sl_value v = { .type = SL_V_UUID };
	assert_int_equal(sl_parse_uuid(s, strlen(s), v.u.uuid), 0);
	return v;
}

static void describe(char *out, size_t n, const sl_value *v)
{
	sl_buf b = SL_BUF_INIT;
	sl_value_format(&b, v);
	snprintf(out, n, "%s:%s", sl_vtype_name(v->type), sl_buf_cstr(&b));
	sl_buf_free(&b);
}

static void assert_value(const sl_value *got, const sl_value *want, size_t row, const char *col)
{
	if (!sl_value_equal(got, want)) {
		char g[200], w[200];
		describe(g, sizeof(g), got);
		describe(w, sizeof(w), want);
		fail_msg("row %zu column %s: got %s, want %s", row, col, g, w);
	}
}

/* The test rows: what goes in, and what reads back (NULL want = same). */
#define NROWS 7
static sl_value rows_in[NROWS][NCOL];
static sl_value rows_want[NROWS][NCOL];
static const char BLOB1[] = { 'a', 0, 'b', (char)0xff, 0 };

static void build_rows(void)
{
	for (int r = 0; r < NROWS; r++)
		for (int c = 0; c < NCOL; c++)
			rows_in[r][c] = sl_null();
	for (int r = 0; r < NROWS; r++)
		rows_in[r][0] = sl_int(r + 1);
	sl_value *x = rows_in[1];
	x[1] = sl_bool(true);
	x[2] = sl_int(-32768);
	x[3] = sl_int(INT32_MIN);
	x[4] = sl_int(INT64_MIN);
	x[5] = sl_double(NAN);
	x[6] = sl_double(NAN);
	x[7] = dec("123456789012345678901234567890.123456789");
	x[8] = txt("");
	x[9] = txt("");
	x[10] = sl_bytes(SL_V_BLOB, BLOB1, 4);
	x[11] = date(1969, 12, 31);
	x[12] = tod("23:59:59.999999");
	x[13] = stamp(SL_V_TIMESTAMP, "1900-01-01 00:00:00.000001");
	x[14] = stamp(SL_V_TIMESTAMPTZ, "1901-12-13T20:45:52.123456Z");
	x[15] = uuid("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
	x[16] = json("{\"k\": [1, \"x\"]}");
	x[17] = json("{\"a\": 1, \"b\": [true, null]}");
	x[18] = txt("happy");
	x = rows_in[2];
	x[1] = sl_bool(false);
	x[2] = sl_int(32767);
	x[3] = sl_int(INT32_MAX);
	x[4] = sl_int(INT64_MAX);
	x[5] = sl_double(INFINITY);
	x[6] = sl_double(INFINITY);
	x[7] = dec("0.000000001");
	x[8] = txt("\xf0\x9f\x98\x80 emoji \xe5\x90\x8d\xe5\x89\x8d");
	x[9] = txt("it's \"quoted\" \\ back\ttab\nnewline\r\\N");
	x[10] = sl_bytes(SL_V_BLOB, "", 0);
	x[11] = date(2040, 2, 29);
	x[12] = tod("00:00:00.000001");
	x[13] = stamp(SL_V_TIMESTAMP, "2100-06-30 23:59:59.999999");
	x[14] = stamp(SL_V_TIMESTAMPTZ, "2262-04-11T23:47:16.854775+02:00");
	x[15] = uuid("00000000-0000-0000-0000-000000000000");
	x[16] = json("[]");
	x[17] = json("[]");
	x[18] = txt("sad");
	x = rows_in[3];
	x[5] = sl_double(-INFINITY);
	x[6] = sl_double(-INFINITY);
	x[7] = dec("-1.10");
	x[8] = txt("\\x41 \\\\ '' \"\"");
	x[11] = date(9999, 12, 31);
	x[12] = tod("24:00:00");
	x[13] = stamp(SL_V_TIMESTAMP, "10000-01-01 00:00:00");
	x[14] = stamp(SL_V_TIMESTAMPTZ, "1969-12-31T23:59:59.999999Z");
	x = rows_in[4];
	x[5] = sl_double(1.5);
	x[6] = sl_double(-0.0);
	x[7] = dec("NaN");
	x[11] = date(-43, 3, 15); /* 44 BC */
	x[13] = stamp(SL_V_TIMESTAMP, "-0043-03-15 12:30:00.5");
	x[14] = stamp(SL_V_TIMESTAMPTZ, "-0043-03-15T12:30:00.25Z");
	x = rows_in[5];
	x[5] = sl_double(-0.0);
	x[6] = sl_double(1.7976931348623157e308);
	x[7] = dec("1e-20");
	x[11] = date(10000, 1, 1);
	x = rows_in[6];
	x[4] = sl_int(0);
	x[6] = sl_double(0.1);
	x[7] = dec("0");
	x[2] = sl_int(0);
	memcpy(rows_want, rows_in, sizeof(rows_in));
	rows_want[5][7] = dec("0.00000000000000000001");
}

static void create_tables(sl_conn *c)
{
	sl_test_exec(c, "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')");
	char sql[512];
	snprintf(sql, sizeof(sql), "CREATE TABLE rt %s; CREATE TABLE rt2 %s", TABLE_DDL, TABLE_DDL);
	sl_test_exec(c, sql);
}

static void check_table(sl_conn *c, const char *table)
{
	char sql[1024];
	snprintf(sql, sizeof(sql), "SELECT %s FROM %s ORDER BY id", COLS, table);
	sl_cursor *cur = NULL;
	SL_OK_OR_FAIL(sl_conn_query(&cur, c, sql));
	assert_int_equal(sl_cursor_ncols(cur), NCOL);
	assert_string_equal(sl_cursor_col(cur, 4)->decl, "int8");
	assert_string_equal(sl_cursor_col(cur, 18)->decl, "mood");
	assert_int_equal(sl_cursor_col(cur, 14)->type, SL_V_TIMESTAMPTZ);
	assert_int_equal(sl_cursor_col(cur, 7)->type, SL_V_DECIMAL);
	sl_batch b;
	SL_OK_OR_FAIL(sl_batch_init(&b, NCOL, 16));
	int n = sl_cursor_fetch(cur, &b, 100);
	assert_int_equal(n, NROWS);
	assert_int_equal(sl_cursor_fetch(cur, &b, 100), 0);
	for (size_t r = 0; r < NROWS; r++)
		for (size_t k = 0; k < NCOL; k++) {
			const sl_value *got = &sl_batch_row(&b, r)[k];
			sl_value want = rows_want[r][k];
			if (k == 16 || k == 17) {
				if (want.type == SL_V_NULL)
					assert_int_equal(got->type, SL_V_NULL);
				else
					assert_int_equal(got->type, SL_V_JSON);
			}
			assert_value(got, &want, r + 1, COLNAMES[k]);
		}
	sl_cursor_close(cur);
	sl_batch_free(&b);
	/* the server agrees on what was stored (not only our own decoder) */
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM %s WHERE (id = 2 AND d = '1969-12-31' AND i8 = -9223372036854775808"
		 " AND n = 123456789012345678901234567890.123456789 AND tz = '1901-12-13 20:45:52.123456+00'"
		 " AND bl = '\\x610062ff'::bytea AND e = 'happy' AND f8 = 'NaN')"
		 " OR (id = 4 AND d = '9999-12-31' AND ts = '10000-01-01' AND tm = '24:00:00' AND n = -1.10)"
		 " OR (id = 5 AND d = '0044-03-15 BC' AND ts = '0044-03-15 12:30:00.5 BC' AND n = 'NaN')"
		 " OR (id = 6 AND n::text = '0.00000000000000000001' AND d = '10000-01-01')"
		 " OR (id = 3 AND length(t) = 10 AND tz = '2262-04-11 21:47:16.854775+00')",
		 table);
	assert_int_equal(sl_test_int(c, sql), 5);
	snprintf(sql, sizeof(sql), "SELECT n::text FROM %s WHERE id = 4", table);
	char *s = NULL;
	SL_OK_OR_FAIL(sl_conn_query_text(c, sql, &s));
	assert_string_equal(s, "-1.10");
	free(s);
}

static void write_batch(sl_conn *c, const char *table)
{
	sl_writer *w = NULL;
	SL_OK_OR_FAIL(sl_writer_open(&w, c, NULL, table, COLNAMES, NCOL));
	sl_batch b;
	SL_OK_OR_FAIL(sl_batch_init(&b, NCOL, NROWS));
	for (int r = 0; r < NROWS; r++) {
		sl_value *row = sl_batch_add_row(&b);
		memcpy(row, rows_in[r], sizeof(rows_in[r]));
	}
	SL_OK_OR_FAIL(sl_writer_write(w, &b));
	SL_OK_OR_FAIL(sl_writer_close(w));
	sl_batch_free(&b);
}

static void test_writer_roundtrip(void **state)
{
	fixture *f = *state;
	build_rows();
	create_tables(f->c);
	write_batch(f->c, "rt");
	check_table(f->c, "rt");
}

static void test_literal_roundtrip(void **state)
{
	fixture *f = *state;
	build_rows();
	create_tables(f->c);
	for (int r = 0; r < NROWS; r++) {
		sl_buf sql = SL_BUF_INIT;
		sl_buf_printf(&sql, "INSERT INTO rt2 (%s) VALUES (", COLS);
		for (int k = 0; k < NCOL; k++) {
			if (k)
				sl_buf_puts(&sql, ", ");
			SL_OK_OR_FAIL(sl_conn_quote_literal(f->c, &sql, &rows_in[r][k]));
		}
		sl_buf_putc(&sql, ')');
		sl_test_exec(f->c, sql.ptr);
		assert_int_equal(sl_conn_changes(f->c), 1);
		sl_buf_free(&sql);
	}
	check_table(f->c, "rt2");
}

static void test_text_with_nul(void **state)
{
	fixture *f = *state;
	sl_test_exec(f->c, "CREATE TABLE tn (id int, t text)");
	sl_value v = sl_bytes(SL_V_TEXT, "a\0b", 3);
	sl_buf out = SL_BUF_INIT;
	assert_int_equal(sl_conn_quote_literal(f->c, &out, &v), SL_EINVALID);
	assert_non_null(strstr(sl_error_last()->message, "NUL"));
	sl_buf_free(&out);

	const char *cols[] = { "id", "t" };
	sl_writer *w = NULL;
	SL_OK_OR_FAIL(sl_writer_open(&w, f->c, NULL, "tn", cols, 2));
	sl_batch b;
	SL_OK_OR_FAIL(sl_batch_init(&b, 2, 4));
	sl_value *row = sl_batch_add_row(&b);
	row[0] = sl_int(1);
	row[1] = txt("fine");
	row = sl_batch_add_row(&b);
	row[0] = sl_int(2);
	row[1] = v;
	assert_int_equal(sl_writer_write(w, &b), SL_EINVALID);
	const char *msg = sl_error_last()->message;
	assert_non_null(strstr(msg, "row 2: column \"t\": "));
	assert_non_null(strstr(msg, "NUL"));
	sl_writer_abort(w);
	/* the connection is usable after the aborted COPY */
	assert_int_equal(sl_test_int(f->c, "SELECT 41 + 1"), 42);
	sl_batch_free(&b);
}

static void test_writer_conversions(void **state)
{
	fixture *f = *state;
	sl_test_exec(f->c,
		     "CREATE TABLE cv (a int2, b numeric(10,2), c float4, d timestamptz, e text, g int8)");
	const char *cols[] = { "a", "b", "c", "d", "e", "g" };
	sl_writer *w = NULL;
	SL_OK_OR_FAIL(sl_writer_open(&w, f->c, NULL, "cv", cols, 6));
	sl_batch b;
	SL_OK_OR_FAIL(sl_batch_init(&b, 6, 4));
	sl_value *row = sl_batch_add_row(&b);
	row[0] = txt("12");
	row[1] = sl_int(7);
	row[2] = sl_int(3);
	row[3] = date(2000, 1, 2);
	row[4] = sl_int(-5);
	row[5] = dec("9000000000");
	row = sl_batch_add_row(&b);
	row[0] = sl_double(4.0);
	row[1] = dec("1.005");
	row[2] = dec("2.5");
	row[3] = txt("2001-02-03 04:05:06+01");
	row[4] = date(1999, 12, 31);
	row[5] = sl_bool(true);
	SL_OK_OR_FAIL(sl_writer_write(w, &b));
	SL_OK_OR_FAIL(sl_writer_flush(w));
	assert_int_equal(
		sl_test_int(f->c,
			    "SELECT count(*) FROM cv WHERE (a = 12 AND b = 7 AND c = 3"
			    " AND d = '2000-01-02Z' AND e = '-5' AND g = 9000000000) OR (a = 4 AND b = 1.01"
			    " AND c = 2.5 AND d = '2001-02-03 03:05:06Z' AND e = '1999-12-31' AND g = 1)"),
		2);
	/* values that do not fit */
	sl_batch_reset(&b);
	row = sl_batch_add_row(&b);
	row[0] = sl_int(40000);
	assert_int_equal(sl_writer_write(w, &b), SL_EINVALID);
	assert_non_null(strstr(sl_error_last()->message, "row 1: column \"a\": "));
	assert_non_null(strstr(sl_error_last()->message, "out of range"));
	row[0] = txt("abc");
	assert_int_equal(sl_writer_write(w, &b), SL_EINVALID);
	assert_non_null(strstr(sl_error_last()->message, "\"abc\" is not an integer"));
	row[0] = sl_null();
	row[1] = txt("12x");
	assert_int_equal(sl_writer_write(w, &b), SL_EINVALID);
	assert_non_null(strstr(sl_error_last()->message, "column \"b\""));
	sl_writer_abort(w);
	assert_int_equal(sl_test_int(f->c, "SELECT count(*) FROM cv"), 2);
	sl_batch_free(&b);
}

/* interval and inet have no binary encoder: the writer falls back to text COPY */
static void test_writer_text_fallback(void **state)
{
	fixture *f = *state;
	sl_test_exec(f->c,
		     "CREATE TABLE tf (id int, iv interval, ip inet, t text, bl bytea, d date, arr int[])");
	const char *cols[] = { "id", "iv", "ip", "t", "bl", "d", "arr" };
	sl_writer *w = NULL;
	SL_OK_OR_FAIL(sl_writer_open(&w, f->c, NULL, "tf", cols, 7));
	sl_batch b;
	SL_OK_OR_FAIL(sl_batch_init(&b, 7, 4));
	sl_value *row = sl_batch_add_row(&b);
	row[0] = sl_int(1);
	row[1] = txt("P1DT2H");
	row[2] = txt("10.0.0.1/32");
	row[3] = txt("tab\there\nnl\\bs\r\\N");
	row[4] = sl_bytes(SL_V_BLOB, BLOB1, 4);
	row[5] = date(-43, 3, 15);
	row[6] = txt("{1,2,3}");
	row = sl_batch_add_row(&b);
	row[0] = sl_int(2);
	SL_OK_OR_FAIL(sl_writer_write(w, &b));
	SL_OK_OR_FAIL(sl_writer_close(w));
	assert_int_equal(sl_test_int(f->c,
				     "SELECT count(*) FROM tf WHERE id = 1 AND iv = '1 day 2 hours'"
				     " AND ip = '10.0.0.1' AND t = E'tab\\there\\nnl\\\\bs\\r\\\\N'"
				     " AND bl = '\\x610062ff' AND d = '0044-03-15 BC' AND arr = '{1,2,3}'"),
			 1);
	assert_int_equal(sl_test_int(f->c,
				     "SELECT count(*) FROM tf WHERE id = 2 AND iv IS NULL AND t IS NULL"),
			 1);
	/* read back through the query path: interval as ISO 8601 text, arrays as text */
	sl_cursor *cur = NULL;
	SL_OK_OR_FAIL(sl_conn_query(&cur, f->c, "SELECT iv, ip, arr, t FROM tf WHERE id = 1"));
	assert_string_equal(sl_cursor_col(cur, 2)->decl, "_int4");
	sl_batch rb;
	SL_OK_OR_FAIL(sl_batch_init(&rb, 4, 1));
	assert_int_equal(sl_cursor_fetch(cur, &rb, 10), 1);
	sl_value want = txt("P1DT2H");
	assert_value(&sl_batch_row(&rb, 0)[0], &want, 1, "iv");
	want = txt("{1,2,3}");
	assert_value(&sl_batch_row(&rb, 0)[2], &want, 1, "arr");
	want = txt("tab\there\nnl\\bs\r\\N");
	assert_value(&sl_batch_row(&rb, 0)[3], &want, 1, "t");
	sl_cursor_close(cur);
	sl_batch_free(&rb);
	sl_batch_free(&b);
}

static void test_query_specials(void **state)
{
	fixture *f = *state;
	sl_cursor *cur = NULL;
	SL_OK_OR_FAIL(sl_conn_query(
		&cur, f->c,
		"SELECT 'infinity'::date, '-infinity'::timestamptz, 'NaN'::numeric, 1::oid,"
		" 'x'::name, 'ab'::char(3), '00:00:01'::interval, NULL::int, 'Infinity'::float4"));
	sl_batch b;
	SL_OK_OR_FAIL(sl_batch_init(&b, 9, 1));
	assert_int_equal(sl_cursor_fetch(cur, &b, 5), 1);
	const sl_value *r = sl_batch_row(&b, 0);
	sl_value w = txt("infinity");
	assert_value(&r[0], &w, 1, "date");
	w = txt("-infinity");
	assert_value(&r[1], &w, 1, "timestamptz");
	w = dec("NaN");
	assert_value(&r[2], &w, 1, "numeric");
	w = sl_int(1);
	assert_value(&r[3], &w, 1, "oid");
	w = txt("ab ");
	assert_value(&r[5], &w, 1, "bpchar");
	w = txt("PT1S");
	assert_value(&r[6], &w, 1, "interval");
	assert_int_equal(r[7].type, SL_V_NULL);
	w = sl_double(INFINITY);
	assert_value(&r[8], &w, 1, "float4");
	sl_cursor_close(cur);
	sl_batch_free(&b);
	/* errors carry SQLSTATE and the server's message */
	assert_int_equal(sl_conn_exec(f->c, "SELECT * FROM no_such_table"), SL_EDB);
	assert_string_equal(sl_error_last()->sqlstate, "42P01");
	assert_non_null(strstr(sl_error_last()->message, "no_such_table"));
	assert_int_equal(sl_conn_query(&cur, f->c, "SELECT 1/0"), SL_EDB);
	assert_string_equal(sl_error_last()->sqlstate, "22012");
	sl_test_exec(f->c, "CREATE TABLE hint_t (id int PRIMARY KEY); INSERT INTO hint_t VALUES (1)");
	assert_int_equal(sl_conn_exec(f->c, "INSERT INTO hint_t VALUES (1)"), SL_EDB);
	assert_string_equal(sl_error_last()->sqlstate, "23505");
	assert_non_null(strstr(sl_error_last()->message, "detail: Key (id)=(1) already exists"));
	assert_int_equal(sl_test_int(f->c, "SELECT 1"), 1);
}

static void test_streaming(void **state)
{
	fixture *f = *state;
	sl_cursor *cur = NULL;
	SL_OK_OR_FAIL(sl_conn_query(&cur, f->c, "SELECT g, md5(g::text) FROM generate_series(1, 200000) g"));
	sl_batch b;
	SL_OK_OR_FAIL(sl_batch_init(&b, 2, 1000));
	int64_t total = 0, sum = 0;
	size_t max_bytes = 0;
	for (;;) {
		sl_batch_reset(&b);
		int n = sl_cursor_fetch(cur, &b, 1000);
		assert_true(n >= 0);
		if (n == 0)
			break;
		assert_true(n <= 1000);
		assert_int_equal((size_t)n, b.nrows);
		for (int i = 0; i < n; i++)
			sum += sl_batch_row(&b, (size_t)i)[0].u.i;
		total += n;
		if (sl_batch_bytes(&b) > max_bytes)
			max_bytes = sl_batch_bytes(&b);
	}
	assert_int_equal(total, 200000);
	assert_int_equal(sum, (int64_t)200000 * 200001 / 2);
	/* one batch of 1000 short rows stays far below the whole result's size */
	assert_true(max_bytes < 1024 * 1024);
	sl_cursor_close(cur);
	sl_batch_free(&b);
}

static void test_cursor_close_early(void **state)
{
	fixture *f = *state;
	sl_batch b;
	SL_OK_OR_FAIL(sl_batch_init(&b, 1, 10));
	for (int in_tx = 0; in_tx < 2; in_tx++) {
		if (in_tx)
			SL_OK_OR_FAIL(sl_conn_begin(f->c));
		sl_cursor *cur = NULL;
		SL_OK_OR_FAIL(sl_conn_query(&cur, f->c, "SELECT g FROM generate_series(1, 5000000) g"));
		sl_batch_reset(&b);
		assert_int_equal(sl_cursor_fetch(cur, &b, 10), 10);
		sl_cursor_close(cur);
		assert_int_equal(sl_test_int(f->c, "SELECT 7"), 7);
		if (in_tx)
			SL_OK_OR_FAIL(sl_conn_commit(f->c));
	}
	/* a cursor never fetched at all */
	sl_cursor *cur = NULL;
	SL_OK_OR_FAIL(sl_conn_query(&cur, f->c, "SELECT g FROM generate_series(1, 100) g"));
	sl_cursor_close(cur);
	assert_int_equal(sl_test_int(f->c, "SELECT 8"), 8);
	sl_batch_free(&b);
}

static void test_transactions(void **state)
{
	fixture *f = *state;
	sl_test_exec(f->c, "CREATE TABLE tx (v int)");
	SL_OK_OR_FAIL(sl_conn_begin(f->c));
	assert_true(sl_conn_in_transaction(f->c));
	sl_test_exec(f->c, "INSERT INTO tx VALUES (1)");
	SL_OK_OR_FAIL(sl_conn_savepoint(f->c, "sp \"one\""));
	sl_test_exec(f->c, "INSERT INTO tx VALUES (2)");
	SL_OK_OR_FAIL(sl_conn_rollback_to(f->c, "sp \"one\""));
	SL_OK_OR_FAIL(sl_conn_release(f->c, "sp \"one\""));
	SL_OK_OR_FAIL(sl_conn_savepoint(f->c, "s2"));
	assert_int_equal(sl_conn_exec(f->c, "INSERT INTO tx VALUES ('x')"), SL_EDB);
	SL_OK_OR_FAIL(sl_conn_rollback_to(f->c, "s2"));
	sl_test_exec(f->c, "INSERT INTO tx VALUES (3)");
	SL_OK_OR_FAIL(sl_conn_commit(f->c));
	assert_false(sl_conn_in_transaction(f->c));
	assert_int_equal(sl_test_int(f->c, "SELECT sum(v) FROM tx"), 4);
	SL_OK_OR_FAIL(sl_conn_begin(f->c));
	sl_test_exec(f->c, "CREATE TABLE tx_gone (v int); INSERT INTO tx VALUES (100)");
	SL_OK_OR_FAIL(sl_conn_rollback(f->c));
	assert_int_equal(sl_test_int(f->c, "SELECT sum(v) FROM tx"), 4);
	assert_int_equal(sl_test_int(f->c, "SELECT count(*) FROM pg_class WHERE relname = 'tx_gone'"), 0);
	sl_test_exec(f->c, "UPDATE tx SET v = v + 1");
	assert_int_equal(sl_conn_changes(f->c), 2);
}

static int64_t ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_advisory_lock(void **state)
{
	fixture *f = *state;
	sl_conn *other = sl_test_open(f->url);
	SL_OK_OR_FAIL(sl_conn_lock(f->c, "sluice migrate", 0));
	int64_t t0 = ms_now();
	assert_int_equal(sl_conn_lock(other, "sluice migrate", 200), SL_ELOCKED);
	int64_t waited = ms_now() - t0;
	assert_true(waited >= 190 && waited < 2000);
	assert_non_null(strstr(sl_error_last()->message, "\"sluice migrate\""));
	assert_int_equal(sl_conn_lock(other, "sluice migrate", 0), SL_ELOCKED);
	/* another name is free */
	SL_OK_OR_FAIL(sl_conn_lock(other, "something else", 0));
	SL_OK_OR_FAIL(sl_conn_unlock(other, "something else"));
	assert_int_equal(sl_conn_unlock(other, "something else"), SL_ENOTFOUND);
	SL_OK_OR_FAIL(sl_conn_unlock(f->c, "sluice migrate"));
	SL_OK_OR_FAIL(sl_conn_lock(other, "sluice migrate", 200));
	/* closing the session releases its lock; a blocking wait then succeeds */
	sl_conn_close(other);
	SL_OK_OR_FAIL(sl_conn_lock(f->c, "sluice migrate", -1));
	SL_OK_OR_FAIL(sl_conn_unlock(f->c, "sluice migrate"));
}

static void test_identifiers(void **state)
{
	fixture *f = *state;
	const char *names[] = { "user", "select", "a\"b", "\xe5\x90\x8d\xe5\x89\x8d", "Mixed Case" };
	sl_buf sql = SL_BUF_INIT;
	sl_buf_puts(&sql, "CREATE TABLE ");
	sl_conn_quote_ident(f->c, &sql, "select");
	sl_buf_puts(&sql, " (");
	for (int i = 0; i < 5; i++) {
		if (i)
			sl_buf_puts(&sql, ", ");
		SL_OK_OR_FAIL(sl_conn_quote_ident(f->c, &sql, names[i]));
		sl_buf_puts(&sql, " text");
	}
	sl_buf_puts(&sql, ")");
	assert_non_null(strstr(sql.ptr, "\"a\"\"b\""));
	sl_test_exec(f->c, sql.ptr);
	sl_writer *w = NULL;
	SL_OK_OR_FAIL(sl_writer_open(&w, f->c, "public", "select", names, 5));
	sl_batch b;
	SL_OK_OR_FAIL(sl_batch_init(&b, 5, 1));
	sl_value *row = sl_batch_add_row(&b);
	for (int i = 0; i < 5; i++)
		row[i] = txt(names[i]);
	SL_OK_OR_FAIL(sl_writer_write(w, &b));
	SL_OK_OR_FAIL(sl_writer_close(w));
	sl_buf_clear(&sql);
	sl_buf_puts(&sql, "SELECT ");
	for (int i = 0; i < 5; i++) {
		if (i)
			sl_buf_puts(&sql, ", ");
		sl_conn_quote_ident(f->c, &sql, names[i]);
	}
	sl_buf_puts(&sql, " FROM \"select\"");
	sl_cursor *cur = NULL;
	SL_OK_OR_FAIL(sl_conn_query(&cur, f->c, sql.ptr));
	sl_batch rb;
	SL_OK_OR_FAIL(sl_batch_init(&rb, 5, 1));
	assert_int_equal(sl_cursor_fetch(cur, &rb, 10), 1);
	for (int i = 0; i < 5; i++) {
		assert_string_equal(sl_cursor_col(cur, (size_t)i)->name, names[i]);
		sl_value want = txt(names[i]);
		assert_value(&sl_batch_row(&rb, 0)[i], &want, 1, names[i]);
	}
	sl_cursor_close(cur);
	/* a missing table or column is SL_ENOTFOUND */
	assert_int_equal(sl_writer_open(&w, f->c, NULL, "nope", names, 1), SL_ENOTFOUND);
	const char *bad[] = { "missing" };
	assert_int_equal(sl_writer_open(&w, f->c, NULL, "select", bad, 1), SL_ENOTFOUND);
	sl_batch_free(&rb);
	sl_batch_free(&b);
	sl_buf_free(&sql);
}

static void test_open_info(void **state)
{
	fixture *f = *state;
	const char *v = sl_conn_server_version(f->c);
	assert_true(v[0] >= '1' && v[0] <= '9');
	assert_non_null(strchr(v, '.'));
	assert_non_null(strstr(f->url, sl_conn_database(f->c)));
	assert_true(sl_conn_has(f->c, SL_CAP_TRANSACTIONAL_DDL));
	assert_true(sl_conn_has(f->c, SL_CAP_ADVISORY_LOCK));
	assert_false(sl_conn_has(f->c, SL_CAP_NUL_IN_TEXT));
	char *tz = NULL;
	SL_OK_OR_FAIL(sl_conn_query_text(f->c, "SHOW TimeZone", &tz));
	assert_string_equal(tz, "UTC");
	free(tz);
}

static void test_connect_error(void **state)
{
	(void)state;
	sl_conn *c = NULL;
	int rc = sl_conn_open(&c, "postgresql://u:SECRETPW@127.0.0.1:1/x?connect_timeout=5");
	assert_int_equal(rc, SL_ECONNECT);
	assert_null(c);
	const char *msg = sl_error_last()->message;
	assert_non_null(strstr(msg, "127.0.0.1"));
	assert_non_null(strstr(msg, ":1"));
	assert_null(strstr(msg, "SECRETPW"));
}

static void bench_writer(void **state)
{
	fixture *f = *state;
	if (!getenv("SLUICE_BENCH"))
		skip();
	sl_test_exec(f->c, "CREATE UNLOGGED TABLE bench (a int8, b int4)");
	sl_writer *w = NULL;
	const char *cols[] = { "a", "b" };
	SL_OK_OR_FAIL(sl_writer_open(&w, f->c, NULL, "bench", cols, 2));
	sl_batch b;
	SL_OK_OR_FAIL(sl_batch_init(&b, 2, 10000));
	int64_t t0 = ms_now();
	for (int k = 0; k < 100; k++) {
		sl_batch_reset(&b);
		for (int i = 0; i < 10000; i++) {
			sl_value *row = sl_batch_add_row(&b);
			row[0] = sl_int((int64_t)k * 10000 + i);
			row[1] = sl_int(i);
		}
		SL_OK_OR_FAIL(sl_writer_write(w, &b));
	}
	SL_OK_OR_FAIL(sl_writer_close(w));
	int64_t ms = ms_now() - t0;
	print_message("writer: 1000000 rows in %lld ms (%.0f rows/s)\n", (long long)ms,
		      1e6 * 1000.0 / (double)(ms ? ms : 1));
	assert_int_equal(sl_test_int(f->c, "SELECT count(*) FROM bench"), 1000000);
	sl_batch_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_connect_error),
		cmocka_unit_test_setup_teardown(test_open_info, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_literal_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_with_nul, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_conversions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_text_fallback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_specials, setup, teardown),
		cmocka_unit_test_setup_teardown(test_streaming, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cursor_close_early, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_advisory_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_identifiers, setup, teardown),
		cmocka_unit_test_setup_teardown(bench_writer, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
