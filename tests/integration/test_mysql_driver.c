/*
 * test_mysql_driver.c - the MySQL/MariaDB driver against a real server:
 * value decoding and quoting, the LOAD DATA bulk writer, streaming,
 * transactions, GET_LOCK locks, awkward identifiers and connection errors.
 * Needs SLUICE_TEST_MY_URL (tests/servers/servers.sh); skipped without it.
 * SLUICE_BENCH_ROWS=N additionally times the writer against multi-row INSERT.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct fixture {
	char *url;
	sl_conn *c;
} fixture;

static int setup(void **state)
{
	if (!sl_test_available(SL_TEST_MY))
		skip();
	fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->url = sl_test_scratch_url(SL_TEST_MY);
	f->c = sl_test_open(f->url);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	if (!f)
		return 0;
	sl_conn_close(f->c);
	sl_test_scratch_drop(SL_TEST_MY, f->url);
	free(f);
	return 0;
}

/* Runs sql and returns every row in b (initialised here; caller frees). */
static void fetch_all(sl_conn *c, const char *sql, sl_batch *b)
{
	sl_cursor *cur = NULL;
	SL_OK_OR_FAIL(sl_conn_query(&cur, c, sql));
	SL_OK_OR_FAIL(sl_batch_init(b, sl_cursor_ncols(cur), 16));
	int n;
	while ((n = sl_cursor_fetch(cur, b, 100)) > 0)
		;
	if (n < 0)
		fail_msg("fetch: %s", sl_error_last()->message);
	sl_cursor_close(cur);
}

static void expect_text(const sl_value *v, sl_vtype t, const char *s, size_t len)
{
	if (v->type != t)
		fail_msg("expected %s \"%.*s\", got %s", sl_vtype_name(t), (int)len, s,
			 sl_vtype_name(v->type));
	assert_int_equal(v->u.s.len, len);
	assert_memory_equal(v->u.s.ptr, s, len);
}

#define EXPECT_STR(v, t, s) expect_text((v), (t), (s), strlen(s))

static void expect_int(const sl_value *v, int64_t i)
{
	if (v->type != SL_V_INT)
		fail_msg("expected int %lld, got %s", (long long)i, sl_vtype_name(v->type));
	assert_true(v->u.i == i);
}

static int64_t ts_of(const char *s)
{
	int64_t t = 0;
	SL_OK_OR_FAIL(sl_parse_timestamp(s, strlen(s), &t, NULL));
	return t;
}

static int32_t date_of(const char *s)
{
	int32_t d = 0;
	SL_OK_OR_FAIL(sl_parse_date(s, strlen(s), &d));
	return d;
}

/* ---- the test data shared by query and writer round trips ---------------- */

static const char TORTURE_TEXT[] = "it's \"quoted\" \\back\\slash\ttab\nnewline\rcr\0nul \032 end";
#define TORTURE_LEN (sizeof(TORTURE_TEXT) - 1)
static const char EMOJI[] = "caf\xc3\xa9 \xf0\x9f\x98\x80 \xe5\x90\x8d";

static const char *const ALL_TYPES_DDL =
	"CREATE TABLE vals (id int PRIMARY KEY, i64 bigint, u64 bigint unsigned, b tinyint(1), "
	"d65 decimal(65,0), d2 decimal(5,2), f float, dbl double, s varchar(100), t text, "
	"bl longblob, dt date, dtm datetime(6), ts timestamp(6) NULL DEFAULT NULL, tm time(6), "
	"j json, e enum('a','b''q','c\\\\d'), st set('x','y','z'), bt bit(8), "
	"ub binary(16), uc char(36))";

#define NALL     21
#define JSON_DOC "{\"a\": [1, 2, \"\xf0\x9f\x98\x80\"]}"

static char all_bytes[256];

/* Row 1: extremes; row 2: the other extremes; row 3: all NULL except id. */
static void fill_rows(sl_batch *b)
{
	for (int i = 0; i < 256; i++)
		all_bytes[i] = (char)i;
	static const char d65[] = "99999999999999999999999999999999999999999999999999999999999999999";
	uint8_t u[16];
	SL_OK_OR_FAIL(sl_parse_uuid("0123abcd-4567-89ef-0123-456789ABCDEF", 36, u));
	sl_value *r = sl_batch_add_row(b);
	r[0] = sl_int(1);
	r[1] = sl_int(INT64_MAX);
	r[2] = sl_bytes(SL_V_DECIMAL, "18446744073709551615", 20);
	r[3] = sl_int(2);
	r[4] = sl_bytes(SL_V_DECIMAL, d65, strlen(d65));
	r[5] = sl_bytes(SL_V_DECIMAL, "1.10", 4);
	r[6] = sl_double(1.5);
	r[7] = sl_double(0.1);
	r[8] = sl_text(EMOJI);
	r[9] = sl_bytes(SL_V_TEXT, TORTURE_TEXT, TORTURE_LEN);
	r[10] = sl_bytes(SL_V_BLOB, all_bytes, 256);
	r[11] = (sl_value){ .type = SL_V_DATE, .u.date = date_of("1000-01-01") };
	r[12] = (sl_value){ .type = SL_V_TIMESTAMP, .u.ts = ts_of("1969-07-20 20:17:40.000001") };
	r[13] = (sl_value){ .type = SL_V_TIMESTAMPTZ, .u.ts = ts_of("2038-01-19 03:14:07.999999") };
	r[14] = (sl_value){ .type = SL_V_TIME, .u.time = 0 };
	r[15] = sl_bytes(SL_V_JSON, JSON_DOC, strlen(JSON_DOC));
	r[16] = sl_text("b'q");
	r[17] = sl_text("x,z");
	r[18] = sl_int(165);
	r[19] = (sl_value){ .type = SL_V_UUID };
	memcpy(r[19].u.uuid, u, 16);
	r[20] = r[19];

	r = sl_batch_add_row(b);
	r[0] = sl_int(2);
	r[1] = sl_int(INT64_MIN);
	r[2] = sl_int(0);
	r[3] = sl_int(-1);
	r[4] = sl_bytes(SL_V_DECIMAL, "-1", 2);
	r[5] = sl_bytes(SL_V_DECIMAL, "-999.99", 7);
	r[6] = sl_double(-0.25);
	r[7] = sl_double(1e300);
	r[8] = sl_text("");
	r[9] = sl_text("");
	r[10] = sl_bytes(SL_V_BLOB, "", 0);
	r[11] = (sl_value){ .type = SL_V_DATE, .u.date = date_of("9999-12-31") };
	r[12] = (sl_value){ .type = SL_V_TIMESTAMP, .u.ts = ts_of("9999-12-31 23:59:59.999999") };
	r[13] = (sl_value){ .type = SL_V_TIMESTAMPTZ, .u.ts = ts_of("1970-01-01 00:00:01") };
	r[14] = (sl_value){ .type = SL_V_TIME, .u.time = SL_USEC_PER_DAY - 1 };
	r[15] = sl_bytes(SL_V_JSON, "[]", 2);
	r[16] = sl_text("c\\d");
	r[17] = sl_text("");
	r[18] = sl_bool(true);
	r[19] = sl_null();
	r[20] = sl_null();

	r = sl_batch_add_row(b);
	r[0] = sl_int(3);
}

/* Checks the rows of SELECT * FROM vals ORDER BY id against fill_rows. */
static void check_rows(sl_conn *c)
{
	sl_batch got;
	fetch_all(c, "SELECT * FROM vals ORDER BY id", &got);
	assert_int_equal(got.nrows, 3);
	const sl_value *r = sl_batch_row(&got, 0);
	expect_int(&r[1], INT64_MAX);
	EXPECT_STR(&r[2], SL_V_DECIMAL, "18446744073709551615");
	expect_int(&r[3], 2);
	EXPECT_STR(&r[4], SL_V_DECIMAL, "99999999999999999999999999999999999999999999999999999999999999999");
	EXPECT_STR(&r[5], SL_V_DECIMAL, "1.10");
	assert_int_equal(r[6].type, SL_V_DOUBLE);
	assert_true(r[6].u.d == 1.5);
	assert_true(r[7].u.d == 0.1);
	EXPECT_STR(&r[8], SL_V_TEXT, EMOJI);
	expect_text(&r[9], SL_V_TEXT, TORTURE_TEXT, TORTURE_LEN);
	expect_text(&r[10], SL_V_BLOB, all_bytes, 256);
	assert_int_equal(r[11].type, SL_V_DATE);
	assert_int_equal(r[11].u.date, date_of("1000-01-01"));
	assert_int_equal(r[12].type, SL_V_TIMESTAMP);
	assert_true(r[12].u.ts == ts_of("1969-07-20 20:17:40.000001"));
	assert_int_equal(r[13].type, SL_V_TIMESTAMPTZ);
	assert_true(r[13].u.ts == ts_of("2038-01-19 03:14:07.999999"));
	assert_int_equal(r[14].type, SL_V_TIME);
	assert_true(r[14].u.time == 0);
	assert_int_equal(r[15].type, SL_V_JSON);
	assert_non_null(strstr(r[15].u.s.ptr, "\xf0\x9f\x98\x80"));
	EXPECT_STR(&r[16], SL_V_TEXT, "b'q");
	EXPECT_STR(&r[17], SL_V_TEXT, "x,z");
	expect_int(&r[18], 165);
	assert_int_equal(r[19].type, SL_V_BLOB);
	assert_int_equal(r[19].u.s.len, 16);
	assert_int_equal((unsigned char)r[19].u.s.ptr[0], 0x01);
	assert_int_equal((unsigned char)r[19].u.s.ptr[15], 0xef);
	EXPECT_STR(&r[20], SL_V_TEXT, "0123abcd-4567-89ef-0123-456789abcdef");

	r = sl_batch_row(&got, 1);
	expect_int(&r[1], INT64_MIN);
	expect_int(&r[2], 0);
	expect_int(&r[3], -1);
	EXPECT_STR(&r[4], SL_V_DECIMAL, "-1");
	EXPECT_STR(&r[5], SL_V_DECIMAL, "-999.99");
	assert_true(r[6].u.d == -0.25);
	assert_true(r[7].u.d == 1e300);
	EXPECT_STR(&r[8], SL_V_TEXT, "");
	EXPECT_STR(&r[9], SL_V_TEXT, "");
	expect_text(&r[10], SL_V_BLOB, "", 0);
	assert_int_equal(r[11].u.date, date_of("9999-12-31"));
	assert_true(r[12].u.ts == ts_of("9999-12-31 23:59:59.999999"));
	assert_true(r[13].u.ts == ts_of("1970-01-01 00:00:01"));
	assert_int_equal(r[14].type, SL_V_TIME);
	assert_true(r[14].u.time == SL_USEC_PER_DAY - 1);
	EXPECT_STR(&r[15], SL_V_JSON, "[]");
	EXPECT_STR(&r[16], SL_V_TEXT, "c\\d");
	EXPECT_STR(&r[17], SL_V_TEXT, "");
	expect_int(&r[18], 1);
	assert_int_equal(r[19].type, SL_V_NULL);

	r = sl_batch_row(&got, 2);
	for (size_t i = 1; i < NALL; i++)
		assert_int_equal(r[i].type, SL_V_NULL);
	sl_batch_free(&got);
}

/* Every value type through quote_literal + INSERT, then through the query path. */
static void test_literals_roundtrip(void **state)
{
	fixture *f = *state;
	sl_batch b;
	SL_OK_OR_FAIL(sl_batch_init(&b, NALL, 4));
	fill_rows(&b);
	sl_test_exec(f->c, ALL_TYPES_DDL);
	for (size_t r = 0; r < b.nrows; r++) {
		sl_buf sql = SL_BUF_INIT;
		assert_int_equal(sl_buf_puts(&sql, "INSERT INTO vals VALUES ("), 0);
		for (size_t i = 0; i < NALL; i++) {
			const sl_value *v = &sl_batch_row(&b, r)[i];
			if (i)
				sl_buf_putc(&sql, ',');
			if (i == 18 && v->type == SL_V_INT)
				sl_buf_printf(&sql, "%lld", (long long)v->u.i);
			else if (i == 19 && v->type == SL_V_UUID)
				sl_buf_puts(&sql, "UNHEX('0123abcd456789ef0123456789abcdef')");
			else
				SL_OK_OR_FAIL(sl_conn_quote_literal(f->c, &sql, v));
		}
		sl_buf_putc(&sql, ')');
		sl_test_exec(f->c, sql.ptr);
		assert_int_equal(sl_conn_changes(f->c), 1);
		sl_buf_free(&sql);
	}
	check_rows(f->c);
	sl_batch_free(&b);
}

/* The same values through the LOAD DATA writer. */
static void test_writer_roundtrip(void **state)
{
	fixture *f = *state;
	sl_batch b;
	SL_OK_OR_FAIL(sl_batch_init(&b, NALL, 4));
	fill_rows(&b);
	sl_test_exec(f->c, ALL_TYPES_DDL);
	sl_writer *w = NULL;
	SL_OK_OR_FAIL(sl_writer_open(&w, f->c, NULL, "vals", NULL, 0));
	SL_OK_OR_FAIL(sl_writer_write(w, &b));
	SL_OK_OR_FAIL(sl_writer_close(w));
	check_rows(f->c);
	sl_batch_free(&b);
}

static void test_column_decoding(void **state)
{
	fixture *f = *state;
	sl_batch b;
	sl_test_exec(f->c, "CREATE TABLE t (tm time(6), y year, g geometry, n int unsigned)");
	sl_test_exec(f->c, "INSERT INTO t VALUES ('-01:00:00', 1999, POINT(1,2), 4294967295), "
			   "('100:00:00.5', 2155, NULL, 0), ('12:34:56.000001', NULL, NULL, NULL)");
	fetch_all(f->c, "SELECT tm, y, g, n FROM t ORDER BY y IS NULL, y", &b);
	assert_int_equal(b.nrows, 3);
	const sl_colinfo *ci = NULL;
	sl_cursor *cur = NULL;
	SL_OK_OR_FAIL(sl_conn_query(&cur, f->c, "SELECT tm, y, g, n FROM t"));
	ci = sl_cursor_col(cur, 0);
	assert_string_equal(ci->name, "tm");
	assert_string_equal(ci->decl, "TIME");
	assert_int_equal(ci->type, SL_V_TIME);
	assert_string_equal(sl_cursor_col(cur, 3)->decl, "INT UNSIGNED");
	assert_int_equal(sl_cursor_col(cur, 2)->type, SL_V_BLOB);
	sl_cursor_close(cur);

	const sl_value *r = sl_batch_row(&b, 0);
	EXPECT_STR(&r[0], SL_V_TEXT, "-01:00:00.000000");
	expect_int(&r[1], 1999);
	assert_int_equal(r[2].type, SL_V_BLOB);
	assert_true(r[2].u.s.len >= 21);
	expect_int(&r[3], 4294967295LL);
	r = sl_batch_row(&b, 1);
	EXPECT_STR(&r[0], SL_V_TEXT, "100:00:00.500000");
	r = sl_batch_row(&b, 2);
	assert_int_equal(r[0].type, SL_V_TIME);
	assert_true(r[0].u.time == ((12 * 60 + 34) * 60 + 56) * SL_USEC_PER_SEC + 1);
	sl_batch_free(&b);

	/* '' and NULL stay apart; tinyint(1) keeps 2 and -1 */
	fetch_all(f->c, "SELECT '', NULL, CAST(2 AS SIGNED), X'00FF'", &b);
	r = sl_batch_row(&b, 0);
	EXPECT_STR(&r[0], SL_V_TEXT, "");
	assert_int_equal(r[1].type, SL_V_NULL);
	expect_text(&r[3], SL_V_BLOB, "\x00\xff", 2);
	sl_batch_free(&b);
}

/* Zero and partial dates come back as their text; the writer puts them back. */
static void test_zero_dates(void **state)
{
	fixture *f = *state;
	sl_batch b;
	sl_test_exec(f->c, "SET SESSION sql_mode = ''");
	sl_test_exec(f->c, "CREATE TABLE z (id int, d date, dt datetime)");
	sl_test_exec(f->c, "INSERT INTO z VALUES (1, '0000-00-00', '0000-00-00 00:00:00'), "
			   "(2, '2020-00-15', '2020-01-00 10:00:00')");
	fetch_all(f->c, "SELECT id, d, dt FROM z ORDER BY id", &b);
	EXPECT_STR(&sl_batch_row(&b, 0)[1], SL_V_TEXT, "0000-00-00");
	EXPECT_STR(&sl_batch_row(&b, 0)[2], SL_V_TEXT, "0000-00-00 00:00:00");
	EXPECT_STR(&sl_batch_row(&b, 1)[1], SL_V_TEXT, "2020-00-15");
	EXPECT_STR(&sl_batch_row(&b, 1)[2], SL_V_TEXT, "2020-01-00 10:00:00");

	sl_test_exec(f->c, "CREATE TABLE z2 LIKE z");
	sl_writer *w = NULL;
	SL_OK_OR_FAIL(sl_writer_open(&w, f->c, NULL, "z2", NULL, 0));
	SL_OK_OR_FAIL(sl_writer_write(w, &b));
	SL_OK_OR_FAIL(sl_writer_close(w));
	assert_int_equal(sl_test_int(f->c, "SELECT count(*) FROM z2 JOIN z USING (id) "
					   "WHERE z2.d <=> z.d AND z2.dt <=> z.dt"),
			 2);
	sl_batch_free(&b);
}

static void test_nan_refused(void **state)
{
	fixture *f = *state;
	sl_test_exec(f->c, "CREATE TABLE fl (id int, x double)");
	sl_value nan = sl_double(NAN), inf = sl_double(-INFINITY);
	sl_buf out = SL_BUF_INIT;
	assert_int_equal(sl_conn_quote_literal(f->c, &out, &nan), SL_EINVALID);
	assert_int_equal(sl_conn_quote_literal(f->c, &out, &inf), SL_EINVALID);
	sl_buf_free(&out);

	sl_batch b;
	SL_OK_OR_FAIL(sl_batch_init(&b, 2, 2));
	sl_value *r = sl_batch_add_row(&b);
	r[0] = sl_int(1);
	r[1] = sl_double(2.5);
	r = sl_batch_add_row(&b);
	r[0] = sl_int(2);
	r[1] = nan;
	sl_writer *w = NULL;
	const char *cols[] = { "id", "x" };
	SL_OK_OR_FAIL(sl_writer_open(&w, f->c, NULL, "fl", cols, 2));
	assert_int_equal(sl_writer_write(w, &b), SL_EINVALID);
	assert_non_null(
		strstr(sl_error_last()->message, "row 2: column \"x\": NaN cannot be stored in MySQL"));
	sl_writer_abort(w);
	sl_batch_free(&b);
}

/* Silent truncation is data loss: the writer turns LOAD warnings into an error. */
static void test_writer_warnings(void **state)
{
	fixture *f = *state;
	sl_test_exec(f->c, "CREATE TABLE small (id int PRIMARY KEY, s varchar(3))");
	sl_batch b;
	SL_OK_OR_FAIL(sl_batch_init(&b, 2, 2));
	sl_value *r = sl_batch_add_row(&b);
	r[0] = sl_int(1);
	r[1] = sl_text("toolong");
	sl_writer *w = NULL;
	SL_OK_OR_FAIL(sl_writer_open(&w, f->c, NULL, "small", NULL, 0));
	SL_OK_OR_FAIL(sl_writer_write(w, &b));
	int rc = sl_writer_close(w);
	assert_int_equal(rc, SL_EDB);
	assert_non_null(strstr(sl_error_last()->message, "load into \"small\""));
	assert_non_null(strstr(sl_error_last()->message, "1265"));

	/* unknown table and column */
	assert_int_equal(sl_writer_open(&w, f->c, NULL, "nope", NULL, 0), SL_ENOTFOUND);
	const char *bad[] = { "id", "zz" };
	assert_int_equal(sl_writer_open(&w, f->c, NULL, "small", bad, 2), SL_ENOTFOUND);
	assert_non_null(strstr(sl_error_last()->message, "\"zz\""));
	sl_batch_free(&b);
}

#define SEQ_200K                                                                                             \
	"SELECT a.d + 10*b.d + 100*c.d + 1000*e.d + 10000*g.d + 100000*h.d AS n, "                           \
	"REPEAT('x', 20) AS pad FROM "                                                                       \
	"(SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 "           \
	"UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) "   \
	"a, "                                                                                                \
	"(SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 "           \
	"UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) "   \
	"b, "                                                                                                \
	"(SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 "           \
	"UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) "   \
	"c, "                                                                                                \
	"(SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 "           \
	"UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) "   \
	"e, "                                                                                                \
	"(SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 "           \
	"UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) "   \
	"g, "                                                                                                \
	"(SELECT 0 d UNION ALL SELECT 1) h"

static void test_streaming(void **state)
{
	fixture *f = *state;
	sl_cursor *cur = NULL;
	SL_OK_OR_FAIL(sl_conn_query(&cur, f->c, SEQ_200K));
	assert_int_equal(sl_cursor_ncols(cur), 2);
	sl_batch b;
	SL_OK_OR_FAIL(sl_batch_init(&b, 2, 1000));
	size_t total = 0, batches = 0;
	int64_t sum = 0;
	int n;
	while ((n = sl_cursor_fetch(cur, &b, 1000)) > 0) {
		assert_true(n <= 1000);
		assert_int_equal((size_t)n, b.nrows);
		for (size_t r = 0; r < b.nrows; r++)
			sum += sl_batch_row(&b, r)[0].u.i;
		total += (size_t)n;
		batches++;
		sl_batch_reset(&b);
	}
	assert_int_equal(n, 0);
	assert_int_equal(total, 200000);
	assert_int_equal(batches, 200);
	assert_true(sum == (int64_t)199999 * 200000 / 2);
	sl_cursor_close(cur);

	/* close after one batch: the rest is drained and the connection works */
	SL_OK_OR_FAIL(sl_conn_query(&cur, f->c, SEQ_200K));
	assert_int_equal(sl_cursor_fetch(cur, &b, 10), 10);
	/* a second statement while the cursor is open is refused by the core */
	assert_int_not_equal(sl_conn_exec(f->c, "SELECT 1"), 0);
	sl_cursor_close(cur);
	assert_int_equal(sl_test_int(f->c, "SELECT 41 + 1"), 42);
	sl_batch_free(&b);
}

static void test_exec_multi_and_errors(void **state)
{
	fixture *f = *state;
	sl_test_exec(f->c, "CREATE TABLE m (id int PRIMARY KEY); INSERT INTO m VALUES (1),(2),(3); "
			   "UPDATE m SET id = id + 10 WHERE id > 1");
	assert_int_equal(sl_test_int(f->c, "SELECT sum(id) FROM m"), 1 + 12 + 13);
	sl_test_exec(f->c, "DELETE FROM m WHERE id > 10");
	assert_int_equal(sl_conn_changes(f->c), 2);

	assert_int_equal(sl_conn_exec(f->c, "INSERT INTO m VALUES (1)"), SL_EDB);
	const sl_error *e = sl_error_last();
	assert_int_equal(e->engine_code, 1062);
	assert_string_equal(e->sqlstate, "23000");
	assert_non_null(strstr(e->message, "Duplicate"));

	/* an error in the second statement is reported */
	assert_int_equal(sl_conn_exec(f->c, "SELECT 1; SELECT * FROM missing_table"), SL_EDB);
	assert_int_equal(sl_error_last()->engine_code, 1146);
	assert_int_equal(sl_test_int(f->c, "SELECT 7"), 7);

	sl_cursor *cur = NULL;
	assert_int_equal(sl_conn_query(&cur, f->c, "SELEC nonsense"), SL_EDB);
	assert_null(cur);

	assert_non_null(strstr(sl_conn_server_version(f->c), "MariaDB"));
	assert_true(sl_conn_has(f->c, SL_CAP_SAVEPOINTS));
	assert_true(sl_conn_has(f->c, SL_CAP_ADVISORY_LOCK));
	assert_true(sl_conn_has(f->c, SL_CAP_NUL_IN_TEXT));
	assert_true(sl_conn_has(f->c, SL_CAP_CHECK_CONSTRAINTS));
	assert_false(sl_conn_has(f->c, SL_CAP_TRANSACTIONAL_DDL));
	assert_false(sl_conn_has(f->c, SL_CAP_FLOAT_SPECIALS));
	assert_false(sl_conn_has(f->c, SL_CAP_SCHEMAS));
	assert_int_equal(strncmp(sl_conn_database(f->c), "sluice_t_", 9), 0);
	char *tz = NULL;
	SL_OK_OR_FAIL(sl_conn_query_text(f->c, "SELECT @@session.time_zone", &tz));
	assert_string_equal(tz, "+00:00");
	free(tz);
}

static void test_transactions(void **state)
{
	fixture *f = *state;
	sl_test_exec(f->c, "CREATE TABLE tx (id int) ENGINE=InnoDB");
	SL_OK_OR_FAIL(sl_conn_begin(f->c));
	sl_test_exec(f->c, "INSERT INTO tx VALUES (1)");
	SL_OK_OR_FAIL(sl_conn_savepoint(f->c, "sp one"));
	sl_test_exec(f->c, "INSERT INTO tx VALUES (2)");
	SL_OK_OR_FAIL(sl_conn_rollback_to(f->c, "sp one"));
	SL_OK_OR_FAIL(sl_conn_savepoint(f->c, "sp`2"));
	sl_test_exec(f->c, "INSERT INTO tx VALUES (3)");
	SL_OK_OR_FAIL(sl_conn_release(f->c, "sp`2"));
	SL_OK_OR_FAIL(sl_conn_commit(f->c));
	assert_int_equal(sl_test_int(f->c, "SELECT sum(id) FROM tx"), 4);

	SL_OK_OR_FAIL(sl_conn_begin(f->c));
	sl_test_exec(f->c, "INSERT INTO tx VALUES (100)");
	/* the writer's rows land in the caller's transaction */
	sl_batch b;
	SL_OK_OR_FAIL(sl_batch_init(&b, 1, 1));
	*sl_batch_add_row(&b) = sl_int(1000);
	sl_writer *w = NULL;
	SL_OK_OR_FAIL(sl_writer_open(&w, f->c, NULL, "tx", NULL, 0));
	SL_OK_OR_FAIL(sl_writer_write(w, &b));
	SL_OK_OR_FAIL(sl_writer_flush(w));
	assert_int_equal(sl_test_int(f->c, "SELECT sum(id) FROM tx"), 1104);
	sl_writer_abort(w);
	SL_OK_OR_FAIL(sl_conn_rollback(f->c));
	assert_int_equal(sl_test_int(f->c, "SELECT sum(id) FROM tx"), 4);
	sl_batch_free(&b);
}

static double elapsed(struct timespec a)
{
	struct timespec b;
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
}

static void test_locks(void **state)
{
	fixture *f = *state;
	sl_conn *other = sl_test_open(f->url);
	SL_OK_OR_FAIL(sl_conn_lock(f->c, "sluice migrate", 0));
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(sl_conn_lock(other, "sluice migrate", 300), SL_ELOCKED);
	double s = elapsed(t0);
	assert_true(s >= 0.25 && s < 1.5);
	assert_non_null(strstr(sl_error_last()->message, "sluice migrate"));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(sl_conn_lock(other, "sluice migrate", 1000), SL_ELOCKED);
	s = elapsed(t0);
	assert_true(s >= 0.9 && s < 2.5);
	assert_int_equal(sl_conn_lock(other, "sluice migrate", 0), SL_ELOCKED);
	SL_OK_OR_FAIL(sl_conn_unlock(f->c, "sluice migrate"));
	SL_OK_OR_FAIL(sl_conn_lock(other, "sluice migrate", 0));
	assert_int_equal(sl_conn_unlock(f->c, "sluice migrate"), SL_ENOTFOUND);

	/* long names are hashed to fit 64 characters, and stay distinct */
	char long1[200], long2[200];
	memset(long1, 'n', sizeof(long1) - 1);
	long1[sizeof(long1) - 1] = '\0';
	memcpy(long2, long1, sizeof(long1));
	long2[150] = 'm';
	SL_OK_OR_FAIL(sl_conn_lock(f->c, long1, 0));
	SL_OK_OR_FAIL(sl_conn_lock(other, long2, 0));
	assert_int_equal(sl_conn_lock(other, long1, 0), SL_ELOCKED);

	/* a lock dies with its session */
	sl_conn_close(other);
	SL_OK_OR_FAIL(sl_conn_lock(f->c, "sluice migrate", 2000));
	SL_OK_OR_FAIL(sl_conn_lock(f->c, long2, -1));
}

static void test_identifiers(void **state)
{
	fixture *f = *state;
	static const char *const names[] = { "user",       "select",    "a`b", "\xe5\x90\x8d\xe5\x89\x8d",
					     "Mixed Case", "it's \"x\"" };
	const size_t n = sizeof(names) / sizeof(names[0]);
	sl_buf sql = SL_BUF_INIT;
	sl_buf_puts(&sql, "CREATE TABLE ");
	SL_OK_OR_FAIL(sl_conn_quote_ident(f->c, &sql, "we`ird table"));
	sl_buf_puts(&sql, " (");
	for (size_t i = 0; i < n; i++) {
		if (i)
			sl_buf_putc(&sql, ',');
		SL_OK_OR_FAIL(sl_conn_quote_ident(f->c, &sql, names[i]));
		sl_buf_puts(&sql, " varchar(20)");
	}
	sl_buf_putc(&sql, ')');
	sl_test_exec(f->c, sql.ptr);

	sl_batch b;
	SL_OK_OR_FAIL(sl_batch_init(&b, n, 1));
	sl_value *r = sl_batch_add_row(&b);
	for (size_t i = 0; i < n; i++)
		r[i] = sl_text(names[i]);
	sl_writer *w = NULL;
	SL_OK_OR_FAIL(sl_writer_open(&w, f->c, sl_conn_database(f->c), "we`ird table", names, n));
	SL_OK_OR_FAIL(sl_writer_write(w, &b));
	SL_OK_OR_FAIL(sl_writer_close(w));
	sl_batch_free(&b);

	sl_buf_clear(&sql);
	sl_buf_puts(&sql, "SELECT ");
	for (size_t i = 0; i < n; i++) {
		if (i)
			sl_buf_putc(&sql, ',');
		sl_conn_quote_ident(f->c, &sql, names[i]);
	}
	sl_buf_puts(&sql, " FROM `we``ird table`");
	fetch_all(f->c, sql.ptr, &b);
	assert_int_equal(b.nrows, 1);
	for (size_t i = 0; i < n; i++)
		EXPECT_STR(&sl_batch_row(&b, 0)[i], SL_V_TEXT, names[i]);
	sl_batch_free(&b);
	sl_buf_free(&sql);
}

/* quote_literal must follow sql_mode: under NO_BACKSLASH_ESCAPES a backslash is literal. */
static void test_no_backslash_escapes(void **state)
{
	fixture *f = *state;
	char url[1024];
	snprintf(url, sizeof(url), "%s%csql-mode=NO_BACKSLASH_ESCAPES,STRICT_ALL_TABLES", f->url,
		 strchr(f->url, '?') ? '&' : '?');
	sl_conn *c = sl_test_open(url);
	char *mode = NULL;
	SL_OK_OR_FAIL(sl_conn_query_text(c, "SELECT @@session.sql_mode", &mode));
	assert_non_null(strstr(mode, "NO_BACKSLASH_ESCAPES"));
	free(mode);
	sl_test_exec(c, "CREATE TABLE q (id int, s text)");
	sl_value v = sl_bytes(SL_V_TEXT, TORTURE_TEXT, TORTURE_LEN);
	sl_value plain = sl_text("back\\slash 'q'");
	sl_buf sql = SL_BUF_INIT;
	sl_buf_puts(&sql, "INSERT INTO q VALUES (1, ");
	SL_OK_OR_FAIL(sl_conn_quote_literal(c, &sql, &v));
	sl_buf_puts(&sql, "), (2, ");
	SL_OK_OR_FAIL(sl_conn_quote_literal(c, &sql, &plain));
	sl_buf_puts(&sql, ")");
	sl_test_exec(c, sql.ptr);
	sl_buf_free(&sql);

	/* the writer does not depend on sql_mode either */
	sl_batch b;
	SL_OK_OR_FAIL(sl_batch_init(&b, 2, 1));
	sl_value *r = sl_batch_add_row(&b);
	r[0] = sl_int(3);
	r[1] = v;
	sl_writer *w = NULL;
	SL_OK_OR_FAIL(sl_writer_open(&w, c, NULL, "q", NULL, 0));
	SL_OK_OR_FAIL(sl_writer_write(w, &b));
	SL_OK_OR_FAIL(sl_writer_close(w));
	sl_batch_free(&b);

	fetch_all(c, "SELECT s FROM q ORDER BY id", &b);
	assert_int_equal(b.nrows, 3);
	expect_text(&sl_batch_row(&b, 0)[0], SL_V_TEXT, TORTURE_TEXT, TORTURE_LEN);
	EXPECT_STR(&sl_batch_row(&b, 1)[0], SL_V_TEXT, "back\\slash 'q'");
	expect_text(&sl_batch_row(&b, 2)[0], SL_V_TEXT, TORTURE_TEXT, TORTURE_LEN);
	sl_batch_free(&b);
	sl_conn_close(c);
}

static void test_connect_errors(void **state)
{
	(void)state;
	if (!sl_test_available(SL_TEST_MY))
		skip();
	sl_conn *c = NULL;
	int rc = sl_conn_open(&c, "mysql://someone:SECRETPW@127.0.0.1:1/nodb?connect-timeout=3");
	assert_int_equal(rc, SL_ECONNECT);
	assert_null(c);
	const char *m = sl_error_last()->message;
	assert_non_null(strstr(m, "127.0.0.1:1"));
	assert_null(strstr(m, "SECRETPW"));

	/* wrong password against the real server */
	char url[512];
	snprintf(url, sizeof(url), "mysql://sluice:SECRETPW@127.0.0.1:%s/sluice_test",
		 getenv("SLUICE_TEST_MY_PORT") ? getenv("SLUICE_TEST_MY_PORT") : "3306");
	rc = sl_conn_open(&c, url);
	assert_int_equal(rc, SL_ECONNECT);
	m = sl_error_last()->message;
	assert_null(strstr(m, "SECRETPW"));
	assert_non_null(strstr(m, "Access denied"));

	snprintf(url, sizeof(url), "%s?connect-timeout=abc", sl_test_server_url(SL_TEST_MY));
	assert_int_equal(sl_conn_open(&c, url), SL_EINVALID);
}

/* Optional: SLUICE_BENCH_ROWS=1000000 times LOAD DATA against multi-row INSERT. */
static void bench_fill(sl_batch *b, size_t base, size_t n, char *txt)
{
	sl_batch_reset(b);
	for (size_t i = 0; i < n; i++) {
		sl_value *r = sl_batch_add_row(b);
		int len = snprintf(txt, 64, "name-%zu", base + i);
		r[0] = sl_int((int64_t)(base + i));
		sl_batch_set_bytes(b, &r[1], SL_V_TEXT, txt, (size_t)len);
		len = snprintf(txt, 64, "%zu.%02zu", (base + i) % 100000, i % 100);
		sl_batch_set_bytes(b, &r[2], SL_V_DECIMAL, txt, (size_t)len);
		r[3] = (sl_value){ .type = SL_V_TIMESTAMP, .u.ts = (int64_t)(base + i) * 1000003 };
	}
}

static void test_bench_writer(void **state)
{
	fixture *f = *state;
	const char *env = getenv("SLUICE_BENCH_ROWS");
	if (!env)
		skip();
	size_t total = (size_t)strtoul(env, NULL, 10), chunk = 10000;
	char txt[64];
	sl_batch b;
	SL_OK_OR_FAIL(sl_batch_init(&b, 4, chunk));
	sl_test_exec(f->c, "CREATE TABLE bl (id bigint PRIMARY KEY, name varchar(64), amount decimal(12,2), "
			   "at datetime(6)); CREATE TABLE bi LIKE bl");

	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	SL_OK_OR_FAIL(sl_conn_begin(f->c));
	sl_writer *w = NULL;
	SL_OK_OR_FAIL(sl_writer_open(&w, f->c, NULL, "bl", NULL, 0));
	for (size_t done = 0; done < total; done += chunk) {
		bench_fill(&b, done, chunk, txt);
		SL_OK_OR_FAIL(sl_writer_write(w, &b));
	}
	SL_OK_OR_FAIL(sl_writer_close(w));
	SL_OK_OR_FAIL(sl_conn_commit(f->c));
	double load = elapsed(t0);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	SL_OK_OR_FAIL(sl_conn_begin(f->c));
	sl_buf sql = SL_BUF_INIT;
	for (size_t done = 0; done < total; done += chunk) {
		bench_fill(&b, done, chunk, txt);
		for (size_t r = 0; r < b.nrows; r += 1000) {
			sl_buf_clear(&sql);
			sl_buf_puts(&sql, "INSERT INTO bi VALUES ");
			for (size_t k = r; k < r + 1000 && k < b.nrows; k++) {
				sl_buf_puts(&sql, k == r ? "(" : ",(");
				for (size_t i = 0; i < 4; i++) {
					if (i)
						sl_buf_putc(&sql, ',');
					SL_OK_OR_FAIL(
						sl_conn_quote_literal(f->c, &sql, &sl_batch_row(&b, k)[i]));
				}
				sl_buf_putc(&sql, ')');
			}
			sl_test_exec(f->c, sql.ptr);
		}
	}
	SL_OK_OR_FAIL(sl_conn_commit(f->c));
	double ins = elapsed(t0);
	assert_int_equal(sl_test_int(f->c, "SELECT count(*) FROM bl"), (int64_t)total);
	assert_int_equal(sl_test_int(f->c, "SELECT count(*) FROM bi"), (int64_t)total);
	assert_int_equal(sl_test_int(f->c, "SELECT count(*) FROM bl JOIN bi USING (id) WHERE "
					   "bl.name = bi.name AND bl.amount = bi.amount AND bl.at = bi.at"),
			 (int64_t)total);
	fprintf(stderr,
		"bench %zu rows: LOAD DATA writer %.2fs (%.0f rows/s); "
		"multi-row INSERT x1000 %.2fs (%.0f rows/s)\n",
		total, load, (double)total / load, ins, (double)total / ins);
	sl_buf_free(&sql);
	sl_batch_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_literals_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_column_decoding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zero_dates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nan_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_warnings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_streaming, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_multi_and_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_locks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_identifiers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_backslash_escapes, setup, teardown),
		cmocka_unit_test(test_connect_errors),
		cmocka_unit_test_setup_teardown(test_bench_writer, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
