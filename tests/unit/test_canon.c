/*
 * test_canon.c - canonical encoding (include/sluice/canon.h): every rule of
 * docs/canonical.md with an "equal" and a "different" case, the exact
 * encodings of a few values, key ordering, and row hashes. No database.
 */
#include "testutil.h"

#include "sluice/canon.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sl_canon_col col_of(sl_tkind k)
{
	sl_canon_col c = SL_CANON_COL_INIT;
	c.kind = k;
	return c;
}

static sl_value dec(const char *s)
{
	return sl_bytes(SL_V_DECIMAL, s, strlen(s));
}

static sl_value blob(const void *p, size_t n)
{
	return sl_bytes(SL_V_BLOB, p, n);
}

static sl_value json(const char *s)
{
	return sl_bytes(SL_V_JSON, s, strlen(s));
}

static sl_value tsv(sl_vtype t, const char *s)
{
	sl_value v = { .type = t };
	SL_OK_OR_FAIL(sl_parse_timestamp(s, strlen(s), &v.u.ts, NULL));
	return v;
}

/* The encoding as a malloc'd string (NULs shown as \0). */
static char *enc(const sl_value *v, const sl_canon_col *c, const sl_canon_opts *o)
{
	sl_buf b = SL_BUF_INIT;
	SL_OK_OR_FAIL(sl_canon_value(&b, v, c, o));
	char *s = sl_buf_detach(&b);
	return s;
}

static void expect_enc(sl_value v, const sl_canon_col *c, const sl_canon_opts *o, const char *want)
{
	char *got = enc(&v, c, o);
	if (strcmp(got, want) != 0)
		fail_msg("encoding: got \"%s\", want \"%s\"", got, want);
	free(got);
}

/* Equality both through sl_canon_equal and through the encodings. */
static void check_eq(sl_value a, sl_value b, const sl_canon_col *c, const sl_canon_opts *o, bool want,
		     const char *what)
{
	bool got = sl_canon_equal(&a, &b, c, o);
	if (got != want)
		fail_msg("%s: sl_canon_equal says %s", what, got ? "equal" : "different");
	bool tol = o && (o->float_abs_tol > 0 || o->float_rel_tol > 0);
	if (!tol) {
		sl_buf ea = SL_BUF_INIT, eb = SL_BUF_INIT;
		SL_OK_OR_FAIL(sl_canon_value(&ea, &a, c, o));
		SL_OK_OR_FAIL(sl_canon_value(&eb, &b, c, o));
		bool same = ea.len == eb.len && memcmp(ea.ptr, eb.ptr, ea.len) == 0;
		if (same != want)
			fail_msg("%s: encodings \"%s\" and \"%s\" disagree with expectation", what,
				 sl_buf_cstr(&ea), sl_buf_cstr(&eb));
		sl_buf_free(&ea);
		sl_buf_free(&eb);
	}
}

#define EQ(a, b, c, o) check_eq((a), (b), (c), (o), true, #a " == " #b)
#define NE(a, b, c, o) check_eq((a), (b), (c), (o), false, #a " != " #b)

static void test_null_and_sentinels(void **state)
{
	(void)state;
	sl_canon_col t = col_of(SL_T_TEXT);
	sl_value n = sl_null();
	NE(n, sl_text(""), &t, NULL);
	NE(n, sl_text("NULL"), &t, NULL);
	NE(n, sl_text("<null>"), &t, NULL);
	NE(n, sl_text("\\N"), &t, NULL);
	NE(n, sl_text("|"), &t, NULL);
	NE(n, sl_text("N"), &t, NULL);
	NE(sl_text(""), sl_text("|"), &t, NULL);
	EQ(n, sl_null(), &t, NULL);
	EQ(n, sl_null(), NULL, NULL);
	expect_enc(n, &t, NULL, "N");
	expect_enc(sl_text(""), &t, NULL, "T0:");
	expect_enc(sl_text("N"), &t, NULL, "T1:N");
	expect_enc(sl_text("<null>"), NULL, NULL, "T6:<null>");
}

static void test_integers_and_bools(void **state)
{
	(void)state;
	sl_canon_col b = col_of(SL_T_BOOL), i = col_of(SL_T_INT64);
	expect_enc(sl_int(-42), &i, NULL, "#3:-42");
	expect_enc(sl_int(INT64_MIN), NULL, NULL, "#20:-9223372036854775808");
	EQ(sl_bool(true), sl_int(1), &b, NULL);
	EQ(sl_bool(false), sl_int(0), &b, NULL);
	NE(sl_bool(true), sl_int(2), &b, NULL);
	NE(sl_bool(true), sl_int(-1), &b, NULL);
	NE(sl_int(2), sl_int(1), &b, NULL);
	expect_enc(sl_int(1), &b, NULL, "B4:true");
	expect_enc(sl_int(2), &b, NULL, "#1:2");
	EQ(sl_bool(true), sl_text("t"), &b, NULL);
	/* the words the copy reads as booleans (sl_read_bool), in any case */
	EQ(sl_bool(true), sl_text("yes"), &b, NULL);
	EQ(sl_bool(false), sl_text("No"), &b, NULL);
	EQ(sl_bool(true), sl_text("Y"), &b, NULL);
	EQ(sl_bool(false), sl_text("off"), &b, NULL);
	NE(sl_bool(true), sl_text("yess"), &b, NULL);
	/* without a BOOL kind, a bool and an int differ */
	NE(sl_bool(true), sl_int(1), NULL, NULL);
	/* bigint unsigned beyond int64 arrives as a decimal */
	sl_canon_col u = col_of(SL_T_INT64);
	EQ(dec("18446744073709551615"), dec("18446744073709551615.0"), &u, NULL);
	EQ(sl_int(7), dec("7"), &u, NULL);
	EQ(sl_int(7), sl_double(7.0), &u, NULL);
	NE(sl_int(7), sl_double(7.5), &u, NULL);
}

static void test_decimals(void **state)
{
	(void)state;
	sl_canon_col d = col_of(SL_T_DECIMAL);
	EQ(dec("1.10"), dec("1.1"), &d, NULL);
	NE(dec("1.10"), dec("1.11"), &d, NULL);
	EQ(dec("0.0"), dec("0"), &d, NULL);
	EQ(dec("-0"), dec("0"), &d, NULL);
	EQ(dec("-0.000"), dec("0"), &d, NULL);
	EQ(dec("+5"), dec("5"), &d, NULL);
	EQ(dec("007.50"), dec("7.5"), &d, NULL);
	EQ(dec(".5"), dec("0.5"), &d, NULL);
	EQ(dec("1e3"), dec("1000"), &d, NULL);
	EQ(dec("1.5E-3"), dec("0.0015"), &d, NULL);
	NE(dec("10"), dec("1"), &d, NULL);
	NE(dec("100"), dec("1"), &d, NULL);
	NE(dec("-1.1"), dec("1.1"), &d, NULL);
	expect_enc(dec("-0012.3400"), &d, NULL, "#6:-12.34");
	expect_enc(dec("0.000100"), &d, NULL, "#6:0.0001");
	expect_enc(dec("1200"), &d, NULL, "#4:1200");
	EQ(sl_int(12), dec("12.000"), &d, NULL);
	EQ(sl_double(1.1), dec("1.10"), &d, NULL);
	EQ(sl_double(1e20), dec("100000000000000000000"), &d, NULL);
	/* a scale rounds digits a double brings beyond it, half away from zero */
	sl_canon_col s2 = d;
	s2.scale = 2;
	EQ(sl_double(0.1 + 0.2), dec("0.30"), &s2, NULL);
	EQ(dec("1.005"), dec("1.01"), &s2, NULL);
	EQ(dec("-1.005"), dec("-1.01"), &s2, NULL);
	EQ(dec("9.999"), dec("10"), &s2, NULL);
	EQ(dec("0.004"), dec("0"), &s2, NULL);
	NE(dec("1.23"), dec("1.24"), &s2, NULL);
	NE(sl_double(0.1 + 0.2), dec("0.3"), &d, NULL);
	/* doubles in a decimal column (money in SQLite REAL): the printf-free fast path
	 * must give exactly the shortest decimal, and hand the rest to printf */
	static const struct {
		double v;
		const char *want;
	} dbl[] = {
		{ 0.5, "#3:0.5" },
		{ 123.45, "#6:123.45" },
		{ -0.07, "#5:-0.07" },
		{ 100, "#3:100" },
		{ -0.0, "#1:0" },
		{ 1e-6, "#8:0.000001" },
		{ 1e-7, "#9:0.0000001" },                     /* 7 places: fallback */
		{ 0.1 + 0.2, "#19:0.30000000000000004" },     /* fallback */
		{ 99999999999999.9, "#16:99999999999999.9" }, /* 15 digits: fallback */
		{ 12345678.901234, "#15:12345678.901234" },
		{ -9007199254.74099, "#17:-9007199254.74099" },
	};
	for (size_t i = 0; i < sizeof(dbl) / sizeof(dbl[0]); i++)
		expect_enc(sl_double(dbl[i].v), &d, NULL, dbl[i].want);
	/* not a number: compared as text */
	expect_enc(dec("abc"), &d, NULL, "T3:abc");
	expect_enc(dec("NaN"), &d, NULL, "#3:NaN");
}

static void test_floats(void **state)
{
	(void)state;
	sl_canon_col f = col_of(SL_T_FLOAT64), f32 = col_of(SL_T_FLOAT32);
	EQ(sl_double(NAN), sl_double(NAN), &f, NULL);
	EQ(sl_double(-0.0), sl_double(0.0), &f, NULL);
	NE(sl_double(INFINITY), sl_double(-INFINITY), &f, NULL);
	NE(sl_double(INFINITY), sl_double(NAN), &f, NULL);
	expect_enc(sl_double(-0.0), &f, NULL, "F1:0");
	expect_enc(sl_double(INFINITY), &f, NULL, "F8:Infinity");
	expect_enc(sl_double(-INFINITY), &f, NULL, "F9:-Infinity");
	expect_enc(sl_double(0.1), &f, NULL, "F3:0.1");
	expect_enc(sl_double(0.1 + 0.2), &f, NULL, "F19:0.30000000000000004");
	NE(sl_double(0.1 + 0.2), sl_double(0.3), &f, NULL);
	sl_canon_opts tol = SL_CANON_OPTS_INIT;
	tol.float_abs_tol = 1e-9;
	EQ(sl_double(0.1 + 0.2), sl_double(0.3), &f, &tol);
	NE(sl_double(0.3001), sl_double(0.3), &f, &tol);
	EQ(sl_double(NAN), sl_double(NAN), &f, &tol);
	sl_canon_opts rel = SL_CANON_OPTS_INIT;
	rel.float_rel_tol = 1e-6;
	EQ(sl_double(1e12), sl_double(1e12 + 1), &f, &rel);
	NE(sl_double(1.0), sl_double(1.1), &f, &rel);
	/* text and ints in a float column are numbers */
	EQ(sl_int(3), sl_double(3.0), &f, NULL);
	EQ(dec("2.50"), sl_double(2.5), &f, NULL);
	/* 15 vs 17 digits: the same double, however it was printed */
	EQ(sl_text("0.1"), sl_text("0.10000000000000001"), &f, NULL);
	/* MySQL FLOAT: compared at single precision */
	EQ(sl_double(0.1), sl_double((double)0.1f), &f32, NULL);
	NE(sl_double(0.1), sl_double((double)0.1f), &f, NULL);
	expect_enc(sl_double((double)0.1f), &f32, NULL, "F3:0.1");
	NE(sl_double(0.1), sl_double(0.2), &f32, NULL);
}

static void test_text(void **state)
{
	(void)state;
	sl_canon_col t = col_of(SL_T_VARCHAR), ch = col_of(SL_T_CHAR);
	NE(sl_text("Alice"), sl_text("alice"), &t, NULL);
	NE(sl_text("a "), sl_text("a"), &t, NULL);
	NE(sl_text(" a"), sl_text("a"), &t, NULL);
	sl_canon_opts ci = SL_CANON_OPTS_INIT;
	ci.ci_text = SL_CANON_CI_ALL;
	EQ(sl_text("Alice"), sl_text("aLICE"), &t, &ci);
	EQ(sl_text("ÉCOLE Ärger"), sl_text("école ärger"), &t, &ci);
	EQ(sl_text("ΑΘΗΝΑ"), sl_text("αθηνα"), &t, &ci);
	EQ(sl_text("МОСКВА"), sl_text("москва"), &t, &ci);
	EQ(sl_text("ŁÓDŹ"), sl_text("łódź"), &t, &ci);
	NE(sl_text("Alice"), sl_text("Alicia"), &t, &ci);
	NE(sl_text("e"), sl_text("é"), &t, &ci);
	/* invalid UTF-8 survives folding */
	EQ(sl_text("A\xff"), sl_text("a\xff"), &t, &ci);
	NE(sl_text("A\xff"), sl_text("a\xfe"), &t, &ci);
	/* per collation: only columns marked ci */
	sl_canon_opts bycoll = SL_CANON_OPTS_INIT;
	bycoll.ci_text = SL_CANON_CI_COLLATION;
	NE(sl_text("A"), sl_text("a"), &t, &bycoll);
	sl_canon_col tci = t;
	tci.ci = true;
	EQ(sl_text("A"), sl_text("a"), &tci, &bycoll);
	/* CHAR padding is insignificant by default (SQL semantics: PostgreSQL pads, MySQL
	 * strips); only in CHAR columns; pad_char = false makes it count */
	sl_canon_opts pad = SL_CANON_OPTS_INIT, nopad = SL_CANON_OPTS_INIT;
	nopad.pad_char = false;
	EQ(sl_text("ab   "), sl_text("ab"), &ch, NULL);
	NE(sl_text("ab   "), sl_text("ab"), &ch, &nopad);
	EQ(sl_text("ab   "), sl_text("ab"), &ch, &pad);
	NE(sl_text("ab   "), sl_text("ab"), &t, &pad);
	NE(sl_text("  ab"), sl_text("ab"), &ch, &pad);
	/* other values in a text column compare by their text */
	EQ(sl_int(5), sl_text("5"), &t, NULL);
	/* NUL bytes are bytes */
	NE(sl_bytes(SL_V_TEXT, "a\0b", 3), sl_bytes(SL_V_TEXT, "a\0c", 3), &t, NULL);
	EQ(sl_bytes(SL_V_TEXT, "a\0b", 3), sl_bytes(SL_V_TEXT, "a\0b", 3), &t, NULL);
	NE(sl_bytes(SL_V_TEXT, "a\0", 2), sl_bytes(SL_V_TEXT, "a", 1), &t, NULL);
}

/* Lists: a PostgreSQL array, its copy as a JSON array, and MySQL SET text compare by elements. */
static void test_lists(void **state)
{
	(void)state;
	sl_canon_col l = col_of(SL_T_ARRAY);
	EQ(sl_text("{a,\"b c\",NULL}"), sl_bytes(SL_V_JSON, "[\"a\", \"b c\", null]", 18), &l, NULL);
	EQ(sl_text("{Trailers,\"Deleted Scenes\"}"), sl_text("Trailers,Deleted Scenes"), &l, NULL);
	EQ(sl_text("{}"), sl_text("[]"), &l, NULL);
	EQ(sl_text("{1,2,3}"), sl_text("[1, 2, 3]"), &l, NULL);
	EQ(sl_text("{\"q\\\"uote\",\"back\\\\slash\"}"), sl_text("[\"q\\\"uote\", \"back\\\\slash\"]"), &l,
	   NULL);
	NE(sl_text("{a,b}"), sl_text("[\"b\",\"a\"]"), &l, NULL);       /* order counts */
	NE(sl_text("{a,NULL}"), sl_text("[\"a\",\"NULL\"]"), &l, NULL); /* NULL element vs the text */
	NE(sl_text("{a,b}"), sl_text("{a,b,c}"), &l, NULL);
	expect_enc(sl_text("{x,\"y z\"}"), &l, NULL, "L11:[\"x\",\"y z\"]");
	/* nested arrays are compared as their text */
	expect_enc(sl_text("{{1,2},{3,4}}"), &l, NULL, "T13:{{1,2},{3,4}}");
	/* a column that is an array on one side and JSON or text on the other merges to a list */
	sl_column a = { .name = "f" }, b = { .name = "f" };
	a.type.kind = SL_T_ARRAY;
	b.type.kind = SL_T_JSON;
	sl_canon_col m;
	sl_canon_col_merge(&m, &a, &b);
	assert_int_equal(m.kind, SL_T_ARRAY);
	b.type.kind = SL_T_TEXT;
	sl_canon_col_merge(&m, &b, &a);
	assert_int_equal(m.kind, SL_T_ARRAY);
}

static void test_blobs(void **state)
{
	(void)state;
	sl_canon_col b = col_of(SL_T_BLOB), t = col_of(SL_T_TEXT);
	EQ(blob("\0\1\0", 3), blob("\0\1\0", 3), &b, NULL);
	NE(blob("\0\1\0", 3), blob("\0\1", 2), &b, NULL);
	NE(blob("\0\1\0", 3), blob("\0\1\1", 3), &b, NULL);
	NE(blob("", 0), sl_null(), &b, NULL);
	/* by value type a blob never equals text; the column kind decides otherwise */
	NE(blob("abc", 3), sl_text("abc"), NULL, NULL);
	EQ(blob("abc", 3), sl_text("abc"), &b, NULL);
	EQ(blob("abc", 3), sl_text("abc"), &t, NULL);
	char *e = enc(&(sl_value){ .type = SL_V_BLOB, .u.s = { "\0x", 2 } }, &b, NULL);
	assert_memory_equal(e, "X2:\0x", 5);
	free(e);
}

static void test_temporals(void **state)
{
	(void)state;
	sl_canon_col ts = col_of(SL_T_TIMESTAMP), tz = col_of(SL_T_TIMESTAMPTZ), d = col_of(SL_T_DATE);
	sl_canon_col tm = col_of(SL_T_TIME);
	sl_value a = tsv(SL_V_TIMESTAMP, "2024-03-01 12:34:56.123456");
	sl_value b = a;
	b.u.ts += 1;
	NE(a, b, &ts, NULL);
	expect_enc(a, &ts, NULL, "S26:2024-03-01T12:34:56.123456");
	expect_enc(tsv(SL_V_TIMESTAMP, "1969-12-31 23:59:59.5"), &ts, NULL, "S26:1969-12-31T23:59:59.500000");
	/* SQLite text in a timestamp column */
	EQ(a, sl_text("2024-03-01 12:34:56.123456"), &ts, NULL);
	EQ(a, sl_text("2024-03-01T12:34:56.123456"), &ts, NULL);
	NE(a, sl_text("2024-03-01 12:34:56.123457"), &ts, NULL);
	/* timestamptz: text with an offset equals the UTC instant */
	sl_value utc = tsv(SL_V_TIMESTAMPTZ, "2024-03-01 10:00:00Z");
	EQ(utc, sl_text("2024-03-01 12:00:00+02:00"), &tz, NULL);
	NE(utc, sl_text("2024-03-01 12:00:00+01:00"), &tz, NULL);
	expect_enc(utc, &tz, NULL, "Z27:2024-03-01T10:00:00.000000Z");
	/* a naive value in a timestamptz column is UTC */
	EQ(utc, tsv(SL_V_TIMESTAMP, "2024-03-01 10:00:00"), &tz, NULL);
	/* a zoned value in a naive column (SQLite text with an offset) is its UTC wall clock, as the
	 * copy writes it */
	EQ(tsv(SL_V_TIMESTAMPTZ, "2024-03-01 10:00:00Z"), tsv(SL_V_TIMESTAMP, "2024-03-01 10:00:00"), &ts,
	   NULL);
	EQ(sl_text("2024-03-01 12:00:00+02:00"), tsv(SL_V_TIMESTAMP, "2024-03-01 10:00:00"), &ts, NULL);
	NE(sl_text("2024-03-01 12:00:00+02:00"), tsv(SL_V_TIMESTAMP, "2024-03-01 12:00:00"), &ts, NULL);
	/* epoch numbers (SQLite), read as the copy reads them: seconds, ms, us, Julian days */
	EQ(sl_int(0), tsv(SL_V_TIMESTAMP, "1970-01-01 00:00:00"), &ts, NULL);
	EQ(sl_int(1709287200), utc, &tz, NULL);
	EQ(sl_double(1709287200.5), tsv(SL_V_TIMESTAMPTZ, "2024-03-01 10:00:00.5Z"), &tz, NULL);
	EQ(sl_int(1709287200000), utc, &tz, NULL);
	EQ(sl_int(1709287200000000), utc, &tz, NULL);
	EQ(sl_double(2460370.875), tsv(SL_V_TIMESTAMPTZ, "2024-03-01 09:00:00Z"), &tz, NULL); /* Julian day */
	EQ(sl_double(2460310.5), tsv(SL_V_TIMESTAMP, "2024-01-01 00:00:00"), &ts, NULL);
	sl_canon_opts noep = SL_CANON_OPTS_INIT;
	noep.epoch = SL_CANON_EPOCH_NONE;
	NE(sl_int(1709287200), utc, &tz, &noep);
	sl_canon_opts secs = SL_CANON_OPTS_INIT;
	secs.epoch = SL_CANON_EPOCH_SECONDS;
	NE(sl_int(1709287200000), utc, &tz, &secs);
	EQ(sl_int(1709287200), utc, &tz, &secs);
	/* precision: truncate both sides */
	sl_canon_opts p0 = SL_CANON_OPTS_INIT;
	p0.timestamp_precision = 0;
	EQ(a, tsv(SL_V_TIMESTAMP, "2024-03-01 12:34:56"), &ts, &p0);
	NE(a, tsv(SL_V_TIMESTAMP, "2024-03-01 12:34:57"), &ts, &p0);
	sl_canon_opts p3 = SL_CANON_OPTS_INIT;
	p3.timestamp_precision = 3;
	EQ(a, tsv(SL_V_TIMESTAMP, "2024-03-01 12:34:56.123999"), &ts, &p3);
	NE(a, tsv(SL_V_TIMESTAMP, "2024-03-01 12:34:56.124"), &ts, &p3);
	sl_canon_opts p1 = SL_CANON_OPTS_INIT;
	p1.timestamp_precision = 1;
	EQ(tsv(SL_V_TIMESTAMP, "1969-12-31 23:59:59.9999"), tsv(SL_V_TIMESTAMP, "1969-12-31 23:59:59.9"), &ts,
	   &p1);
	p3.timestamp_precision = 7;
	sl_buf o = SL_BUF_INIT;
	assert_int_equal(sl_canon_value(&o, &a, &ts, &p3), SL_EINVALID);
	sl_buf_free(&o);
	/* dates */
	sl_value dv = { .type = SL_V_DATE, .u.date = sl_days_from_civil(2024, 2, 29) };
	expect_enc(dv, &d, NULL, "d10:2024-02-29");
	EQ(dv, sl_text("2024-02-29"), &d, NULL);
	EQ(dv, tsv(SL_V_TIMESTAMP, "2024-02-29 00:00:00"), &d, NULL);
	NE(dv, tsv(SL_V_TIMESTAMP, "2024-02-29 00:00:01"), &d, NULL);
	NE(dv, sl_text("2024-03-01"), &d, NULL);
	/* times */
	sl_value tv = { .type = SL_V_TIME, .u.time = 3723 * SL_USEC_PER_SEC };
	expect_enc(tv, &tm, NULL, "t15:01:02:03.000000");
	EQ(tv, sl_text("01:02:03"), &tm, NULL);
	/* unparsable text stays text */
	expect_enc(sl_text("yesterday"), &ts, NULL, "T9:yesterday");
}

static void test_uuids(void **state)
{
	(void)state;
	sl_canon_col u = col_of(SL_T_UUID);
	const char *lower = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11";
	sl_value uv = { .type = SL_V_UUID };
	SL_OK_OR_FAIL(sl_parse_uuid(lower, strlen(lower), uv.u.uuid));
	EQ(uv, sl_text("A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"), &u, NULL);
	EQ(uv, sl_text("A0eebc99-9c0B-4ef8-bb6d-6bb9bd380a11"), &u, NULL);
	EQ(uv, sl_text(" a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\n"), &u, NULL);
	EQ(uv, sl_text("{a0eebc999c0b4ef8bb6d6bb9bd380a11}"), &u, NULL);
	EQ(uv, blob(uv.u.uuid, 16), &u, NULL);
	NE(uv, sl_text("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12"), &u, NULL);
	expect_enc(sl_text("A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"), &u, NULL,
		   "U36:a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
	/* without the UUID kind, text keeps its case */
	NE(sl_text("A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"), sl_text(lower), NULL, NULL);
}

static void test_json(void **state)
{
	(void)state;
	sl_canon_col j = col_of(SL_T_JSON);
	EQ(json("{\"b\":1,\"a\":[1,2]}"), json("{ \"a\": [1,2], \"b\": 1 }"), &j, NULL);
	expect_enc(json("{ \"b\" : 1, \"a\" : [1, 2.50, true, null, \"x\"] }"), &j, NULL,
		   "J33:{\"a\":[1,2.5,true,null,\"x\"],\"b\":1}");
	NE(json("{\"a\":[1,2]}"), json("{\"a\":[2,1]}"), &j, NULL);
	NE(json("{\"a\":1}"), json("{\"a\":\"1\"}"), &j, NULL);
	/* numbers compare as values: 1.0 == 1, 1e2 == 100 */
	EQ(json("[1.0, 1e2, -0]"), json("[1,100,0]"), &j, NULL);
	/* escapes decode: \u00e9 == é */
	EQ(json("\"caf\\u00e9\""), json("\"café\""), &j, NULL);
	/* nested objects sorted at every level */
	EQ(json("{\"x\":{\"d\":1,\"c\":2}}"), json("{\"x\":{\"c\":2,\"d\":1}}"), &j, NULL);
	/* MySQL JSON as text, PG jsonb as json */
	EQ(sl_text("{\"k\": \"v\"}"), json("{\"k\":\"v\"}"), &j, NULL);
	/* invalid JSON compared as text */
	expect_enc(json("{oops"), &j, NULL, "T5:{oops");
	NE(json("{oops"), json("{ oops"), &j, NULL);
	/* a value of type json in an untyped column is canonical too */
	EQ(json("{\"b\":1,\"a\":2}"), json("{\"a\":2,\"b\":1}"), NULL, NULL);
	/* SQLite keeps a JSON number as INTEGER or REAL: it is that JSON number */
	EQ(sl_double(123.5), json("123.5"), &j, NULL);
	expect_enc(sl_double(123.5), &j, NULL, "J5:123.5");
	EQ(sl_int(123), json("123"), &j, NULL);
	EQ(sl_int(123), json("123.0"), &j, NULL);
	EQ(sl_double(-0.25), json("-2.5e-1"), &j, NULL);
	EQ(sl_double(1e300), json("1e300"), &j, NULL);
	NE(sl_double(123.5), json("\"123.5\""), &j, NULL);
	EQ(sl_bool(true), json("true"), &j, NULL);
	EQ(dec("12.50"), json("12.5"), &j, NULL);
	/* a blob holding JSON text is that document */
	EQ(sl_bytes(SL_V_BLOB, "{\"a\": 1}", 8), json("{\"a\":1}"), &j, NULL);
	/* no JSON number: compared as itself */
	expect_enc(sl_double(NAN), &j, NULL, "F3:NaN");
}

/* A bit string compares by the number its bits spell, however it arrives. */
static void test_bits(void **state)
{
	(void)state;
	sl_canon_col b = col_of(SL_T_BIT);
	EQ(sl_int(0), sl_text("0"), &b, NULL);
	EQ(sl_int(1), sl_text("1"), &b, NULL);
	EQ(sl_int(5), sl_text("00000101"), &b, NULL);
	EQ(sl_int(21), sl_text("10101"), &b, NULL);
	expect_enc(sl_text("10101"), &b, NULL, "#2:21");
	NE(sl_int(5), sl_text("00000110"), &b, NULL);
	/* BIT(64): MySQL sends values beyond 2^63 as decimals; a signed read is the same bits */
	EQ(dec("18446744073709551615"),
	   sl_text("1111111111111111111111111111111111111111111111111111111111111111"), &b, NULL);
	EQ(sl_int(-1), dec("18446744073709551615"), &b, NULL);
	EQ(sl_bytes(SL_V_BLOB, "\x01\x00", 2), sl_int(256), &b, NULL);
	/* not a bit string: itself */
	expect_enc(sl_text("12"), &b, NULL, "T2:12");
}

static void test_merge(void **state)
{
	(void)state;
	sl_column a = { .name = "x" }, b = { .name = "x" };
	sl_canon_col c;
	a.type.kind = SL_T_INT32, b.type.kind = SL_T_BOOL;
	sl_canon_col_merge(&c, &a, &b);
	assert_int_equal(c.kind, SL_T_BOOL);
	a.type.kind = SL_T_TIMESTAMP, b.type.kind = SL_T_TIMESTAMPTZ;
	sl_canon_col_merge(&c, &a, &b);
	assert_int_equal(c.kind, SL_T_TIMESTAMPTZ);
	a.type.kind = SL_T_TEXT, b.type.kind = SL_T_UUID;
	sl_canon_col_merge(&c, &a, &b);
	assert_int_equal(c.kind, SL_T_UUID);
	a.type.kind = SL_T_DECIMAL, a.type.precision = 10, a.type.scale = 2;
	b.type.kind = SL_T_DECIMAL, b.type.precision = 12, b.type.scale = 4;
	sl_canon_col_merge(&c, &a, &b);
	assert_int_equal(c.kind, SL_T_DECIMAL);
	assert_int_equal(c.scale, 4);
	a.type = (sl_type){ .kind = SL_T_VARCHAR };
	b.type = (sl_type){ .kind = SL_T_CHAR };
	b.collation = "utf8mb4_general_ci";
	sl_canon_col_merge(&c, &a, &b);
	assert_int_equal(c.kind, SL_T_CHAR);
	assert_true(c.ci);
	sl_canon_col_merge(&c, &a, NULL);
	assert_int_equal(c.kind, SL_T_VARCHAR);
	assert_false(c.ci);
}

static int kcmp(sl_value a, sl_value b, const sl_canon_col *c)
{
	int r = 99;
	SL_OK_OR_FAIL(sl_canon_key_cmp(&r, &a, &b, c, NULL));
	return r;
}

static void test_key_order(void **state)
{
	(void)state;
	sl_canon_col i = col_of(SL_T_INT64), t = col_of(SL_T_TEXT), d = col_of(SL_T_DECIMAL);
	assert_int_equal(kcmp(sl_int(-5), sl_int(3), &i), -1);
	assert_int_equal(kcmp(sl_int(10), sl_int(9), &i), 1);
	assert_int_equal(kcmp(dec("18446744073709551615"), sl_int(9), &i), 1);
	assert_int_equal(kcmp(dec("-10.5"), dec("-9"), &d), -1);
	assert_int_equal(kcmp(dec("2.50"), dec("2.5"), &d), 0);
	assert_int_equal(kcmp(dec("0.05"), dec("0.5"), &d), -1);
	assert_int_equal(kcmp(dec("100"), dec("99.9"), &d), 1);
	/* binary order: upper case before lower case, bytes of UTF-8 */
	assert_int_equal(kcmp(sl_text("B"), sl_text("a"), &t), -1);
	assert_int_equal(kcmp(sl_text("z"), sl_text("é"), &t), -1);
	assert_int_equal(kcmp(sl_text("ab"), sl_text("abc"), &t), -1);
	assert_int_equal(kcmp(sl_text("abc"), sl_text("abc"), &t), 0);
	/* keys are byte-exact even with ci_text */
	sl_canon_opts ci = SL_CANON_OPTS_INIT;
	ci.ci_text = SL_CANON_CI_ALL;
	sl_value a = sl_text("A"), b = sl_text("a");
	int r = 0;
	SL_OK_OR_FAIL(sl_canon_key_cmp(&r, &a, &b, &t, &ci));
	assert_int_equal(r, -1);
	/* timestamps chronologically, naive text against values */
	sl_canon_col ts = col_of(SL_T_TIMESTAMP);
	assert_int_equal(kcmp(sl_text("2024-01-02 00:00:00"), tsv(SL_V_TIMESTAMP, "2024-01-01 23:59:59"),
			      &ts),
			 1);
	/* NULL first */
	assert_int_equal(kcmp(sl_null(), sl_int(-100), &i), -1);
	assert_int_equal(kcmp(sl_null(), sl_text(""), &t), -1);
}

static void hash_of(uint64_t h[2], const sl_value *row, size_t n, const sl_canon_col *cols)
{
	SL_OK_OR_FAIL(sl_canon_row_hash(h, row, cols, n, NULL));
}

static void test_row_hash(void **state)
{
	(void)state;
	uint64_t h1[2], h2[2], h3[2];
	sl_value r1[] = { sl_text("a|"), sl_text("b") };
	sl_value r2[] = { sl_text("a"), sl_text("|b") };
	sl_value r3[] = { sl_text("ab"), sl_text("") };
	sl_value r4[] = { sl_text("ab"), sl_null() };
	hash_of(h1, r1, 2, NULL);
	hash_of(h2, r2, 2, NULL);
	assert_false(h1[0] == h2[0] && h1[1] == h2[1]);
	hash_of(h1, r3, 2, NULL);
	hash_of(h2, r4, 2, NULL);
	assert_false(h1[0] == h2[0] && h1[1] == h2[1]);
	/* column permutation changes the hash */
	sl_value p1[] = { sl_int(1), sl_int(2) }, p2[] = { sl_int(2), sl_int(1) };
	hash_of(h1, p1, 2, NULL);
	hash_of(h2, p2, 2, NULL);
	assert_false(h1[0] == h2[0] && h1[1] == h2[1]);
	/* stable: same logical row from different representations */
	sl_canon_col cols[3] = { col_of(SL_T_DECIMAL), col_of(SL_T_BOOL), col_of(SL_T_JSON) };
	sl_value s1[] = { dec("1.10"), sl_bool(true), json("{\"b\":1,\"a\":2}") };
	sl_value s2[] = { dec("1.1"), sl_int(1), sl_text("{\"a\": 2, \"b\": 1}") };
	hash_of(h1, s1, 3, cols);
	hash_of(h2, s2, 3, cols);
	assert_true(h1[0] == h2[0] && h1[1] == h2[1]);
	hash_of(h3, s1, 3, cols);
	assert_true(h1[0] == h3[0] && h1[1] == h3[1]);
	/* a fixed value: the hash is part of the on-disk spill format */
	sl_value one[] = { sl_int(1) };
	hash_of(h1, one, 1, NULL);
	hash_of(h2, one, 1, NULL);
	assert_true(h1[0] == h2[0] && h1[1] == h2[1]);
	/* empty row */
	hash_of(h1, NULL, 0, NULL);
	hash_of(h2, r4, 0, NULL);
	assert_true(h1[0] == h2[0] && h1[1] == h2[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_null_and_sentinels),
		cmocka_unit_test(test_integers_and_bools),
		cmocka_unit_test(test_decimals),
		cmocka_unit_test(test_floats),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_blobs),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_temporals),
		cmocka_unit_test(test_uuids),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_bits),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_key_order),
		cmocka_unit_test(test_row_hash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
