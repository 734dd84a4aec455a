/*
 * test_value.c - src/core/value.c: calendar arithmetic across eras, parsing
 * of dates, times, timestamps and uuids, canonical formatting (doubles,
 * blobs, temporals) and row batches.
 */
#include "testutil.h"

#include "sluice/value.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *fmt(const sl_value *v)
{
	static char out[256];
	sl_buf b = SL_BUF_INIT;
	SL_OK_OR_FAIL(sl_value_format(&b, v));
	snprintf(out, sizeof(out), "%s", sl_buf_cstr(&b));
	sl_buf_free(&b);
	return out;
}

static void test_civil_days(void **state)
{
	(void)state;
	assert_int_equal(sl_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(sl_days_from_civil(1969, 12, 31), -1);
	assert_int_equal(sl_days_from_civil(2000, 3, 1), 11017);
	assert_int_equal(sl_days_from_civil(2038, 1, 19), 24855);
	assert_int_equal(sl_days_from_civil(1, 1, 1), -719162);
	assert_int_equal(sl_days_from_civil(0, 12, 31), -719163); /* 1 BC */
	assert_int_equal(sl_days_from_civil(0, 2, 29), -719469);  /* 1 BC was leap */
	assert_int_equal(sl_days_from_civil(10000, 1, 1), 2932897);
	/* every day from 4801 BC to 10400 round-trips, and days are consecutive */
	int32_t prev = sl_days_from_civil(-4800, 1, 1) - 1;
	for (int64_t y = -4800; y <= 10400; y += 37) {
		for (unsigned m = 1; m <= 12; m++) {
			unsigned last = (m == 2) ? ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28)
					: (m == 4 || m == 6 || m == 9 || m == 11) ? 30
										  : 31;
			for (unsigned d = 1; d <= last; d++) {
				int32_t days = sl_days_from_civil(y, m, d);
				if (m != 1 || d != 1 || y == -4800)
					assert_int_equal(days, prev + 1);
				prev = days;
				int64_t yy;
				unsigned mm, dd;
				sl_civil_from_days(days, &yy, &mm, &dd);
				if (yy != y || mm != m || dd != d)
					fail_msg("%lld-%u-%u -> %d -> %lld-%u-%u", (long long)y, m, d, days,
						 (long long)yy, mm, dd);
			}
		}
		prev = sl_days_from_civil(y + 37, 1, 1) - 1;
	}
}

static void test_parse_date(void **state)
{
	(void)state;
	int32_t d;
	assert_int_equal(sl_parse_date("1970-01-01", 10, &d), 0);
	assert_int_equal(d, 0);
	assert_int_equal(sl_parse_date("2024-02-29", 10, &d), 0);
	assert_int_equal(d, sl_days_from_civil(2024, 2, 29));
	assert_int_equal(sl_parse_date("10000-01-01", 11, &d), 0);
	assert_int_equal(d, sl_days_from_civil(10000, 1, 1));
	assert_int_equal(sl_parse_date("-0044-03-15", 11, &d), 0);
	assert_int_equal(d, sl_days_from_civil(-44, 3, 15));
	assert_int_equal(sl_parse_date("0044-03-15 BC", 13, &d), 0);
	assert_int_equal(d, sl_days_from_civil(-43, 3, 15)); /* 44 BC is year -43 */
	const char *bad[] = { "2023-02-29", "2024-13-01", "2024-00-10",  "2024-01-00",
			      "24-01-01",   "2024-1-01",  "2024-01-01x", "",
			      "2024/01/01", "1900-02-29", "0000-00-00" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (sl_parse_date(bad[i], strlen(bad[i]), &d) != SL_EINVALID)
			fail_msg("\"%s\" accepted as a date", bad[i]);
		assert_non_null(strstr(sl_error_last()->message, "is not a valid date"));
	}
	/* length is honoured: no reading past len */
	assert_int_equal(sl_parse_date("2024-01-019", 10, &d), 0);
	assert_int_equal(d, sl_days_from_civil(2024, 1, 1));
}

static void test_parse_time(void **state)
{
	(void)state;
	int64_t t;
	assert_int_equal(sl_parse_time("00:00", 5, &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(sl_parse_time("12:34:56.123456", 15, &t), 0);
	assert_int_equal(t, ((12 * 60 + 34) * 60 + 56) * SL_USEC_PER_SEC + 123456);
	assert_int_equal(sl_parse_time("12:34:56.5", 10, &t), 0);
	assert_int_equal(t % SL_USEC_PER_SEC, 500000);
	assert_int_equal(sl_parse_time("00:00:00.0000004", 16, &t), 0);
	assert_int_equal(t, 0); /* rounds down below half */
	assert_int_equal(sl_parse_time("00:00:00.0000005", 16, &t), 0);
	assert_int_equal(t, 1); /* half rounds up */
	assert_int_equal(sl_parse_time("00:00:00.1234569999", 19, &t), 0);
	assert_int_equal(t, 123457);
	assert_int_equal(sl_parse_time("00:00:59.9999995", 16, &t), 0);
	assert_int_equal(t, 60 * SL_USEC_PER_SEC); /* carries into the next minute */
	assert_int_equal(sl_parse_time("24:00:00", 8, &t), 0);
	assert_int_equal(t, SL_USEC_PER_DAY);
	const char *bad[] = {
		"24:00:01", "25:00", "12:60", "12:30:61", "1:00", "12:00:00.", "12:00:00x", ""
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (sl_parse_time(bad[i], strlen(bad[i]), &t) != SL_EINVALID)
			fail_msg("\"%s\" accepted as a time", bad[i]);
}

static void test_parse_timestamp(void **state)
{
	(void)state;
	int64_t ts;
	bool z;
	assert_int_equal(sl_parse_timestamp("1970-01-01 00:00:00", 19, &ts, &z), 0);
	assert_int_equal(ts, 0);
	assert_false(z);
	assert_int_equal(sl_parse_timestamp("1970-01-01T00:00:01Z", 20, &ts, &z), 0);
	assert_int_equal(ts, SL_USEC_PER_SEC);
	assert_true(z);
	assert_int_equal(sl_parse_timestamp("1970-01-01t00:00:00+05:30", 25, &ts, &z), 0);
	assert_int_equal(ts, -(5 * 3600 + 30 * 60) * SL_USEC_PER_SEC);
	assert_int_equal(sl_parse_timestamp("2000-01-01 00:00:00-0800", 24, &ts, &z), 0);
	assert_int_equal(ts, ((int64_t)sl_days_from_civil(2000, 1, 1) * 86400 + 8 * 3600) * SL_USEC_PER_SEC);
	assert_int_equal(sl_parse_timestamp("2000-01-01 00:00:00+01", 22, &ts, &z), 0);
	assert_int_equal(ts, ((int64_t)sl_days_from_civil(2000, 1, 1) * 86400 - 3600) * SL_USEC_PER_SEC);
	assert_int_equal(sl_parse_timestamp("1900-01-01 00:00:00+00:19:32", 28, &ts, &z), 0);
	assert_int_equal(ts, ((int64_t)sl_days_from_civil(1900, 1, 1) * 86400 - 1172) * SL_USEC_PER_SEC);
	/* before 1970, with a fraction: microseconds stay positive within the second */
	assert_int_equal(sl_parse_timestamp("1969-12-31 23:59:59.999999", 26, &ts, &z), 0);
	assert_int_equal(ts, -1);
	assert_int_equal(sl_parse_timestamp("1969-12-31 23:59:59.9999995", 27, &ts, &z), 0);
	assert_int_equal(ts, 0);
	/* date alone is midnight */
	assert_int_equal(sl_parse_timestamp("2038-01-19", 10, &ts, &z), 0);
	assert_int_equal(ts, (int64_t)sl_days_from_civil(2038, 1, 19) * SL_USEC_PER_DAY);
	/* BC after the time */
	assert_int_equal(sl_parse_timestamp("0001-01-01 00:00:00 BC", 22, &ts, &z), 0);
	assert_int_equal(ts, (int64_t)sl_days_from_civil(0, 1, 1) * SL_USEC_PER_DAY);
	assert_int_equal(sl_parse_timestamp("9999-12-31 23:59:59.999999", 26, &ts, &z), 0);
	assert_int_equal(ts, (int64_t)sl_days_from_civil(10000, 1, 1) * SL_USEC_PER_DAY - 1);
	const char *bad[] = { "2024-01-01 ",      "2024-01-01 25:00",   "2024-01-01 10:00+16",
			      "2024-01-01X10:00", "2024-01-01 10:00 Z", "2024-02-30 00:00:00" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (sl_parse_timestamp(bad[i], strlen(bad[i]), &ts, &z) != SL_EINVALID)
			fail_msg("\"%s\" accepted as a timestamp", bad[i]);
	/* has_zone may be NULL */
	assert_int_equal(sl_parse_timestamp("2024-01-01 10:00Z", 17, &ts, NULL), 0);
}

static void test_parse_uuid(void **state)
{
	(void)state;
	static const uint8_t want[16] = { 0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b, 0x12, 0xd3,
					  0xa4, 0x56, 0x42, 0x66, 0x14, 0x17, 0x40, 0x00 };
	const char *good[] = { "123e4567-e89b-12d3-a456-426614174000", "123E4567-E89B-12D3-A456-426614174000",
			       "{123e4567-e89b-12d3-a456-426614174000}", "123e4567e89b12d3a456426614174000" };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		uint8_t u[16];
		SL_OK_OR_FAIL(sl_parse_uuid(good[i], strlen(good[i]), u));
		assert_memory_equal(u, want, 16);
	}
	const char *bad[] = {
		"123e4567-e89b-12d3-a456-42661417400",   "123e4567-e89b-12d3-a456-4266141740000",
		"123e4567xe89b-12d3-a456-426614174000",  "g23e4567-e89b-12d3-a456-426614174000",
		" 123e4567-e89b-12d3-a456-426614174000", "{123e4567e89b12d3a456426614174000",
		"123e4567-e89b12d3-a456-4266141740000",  ""
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t u[16];
		if (sl_parse_uuid(bad[i], strlen(bad[i]), u) != SL_EINVALID)
			fail_msg("\"%s\" accepted as a uuid", bad[i]);
	}
	sl_value v = { .type = SL_V_UUID };
	memcpy(v.u.uuid, want, 16);
	assert_string_equal(fmt(&v), "123e4567-e89b-12d3-a456-426614174000");
}

static void check_double(double d, const char *want)
{
	sl_buf b = SL_BUF_INIT;
	SL_OK_OR_FAIL(sl_format_double(&b, d));
	if (strcmp(sl_buf_cstr(&b), want) != 0)
		fail_msg("%a formats as \"%s\", want \"%s\"", d, sl_buf_cstr(&b), want);
	if (!isnan(d) && !isinf(d)) {
		double back = strtod(b.ptr, NULL);
		assert_true(back == d && signbit(back) == signbit(d));
	}
	sl_buf_free(&b);
}

static void test_format_double(void **state)
{
	(void)state;
	check_double(NAN, "NaN");
	check_double(INFINITY, "Infinity");
	check_double(-INFINITY, "-Infinity");
	check_double(0.0, "0");
	check_double(-0.0, "-0");
	check_double(0.1, "0.1");
	check_double(0.1 + 0.2, "0.30000000000000004");
	check_double(1.0 / 3.0, "0.3333333333333333");
	check_double(1e300, "1e+300");
	check_double(5e-324, "5e-324"); /* smallest subnormal: shortest form */
	check_double(2.2250738585072014e-308, "2.2250738585072014e-308");
	check_double(1.5e-310, "1.5e-310"); /* a subnormal with two digits */
	check_double(DBL_MAX, "1.7976931348623157e+308");
	check_double(123456789012345678.0, "1.2345678901234568e+17");
	check_double(100, "100");
	check_double(-2.5, "-2.5");
	check_double(9007199254740993.0, "9007199254740992");
}

static void test_format_other(void **state)
{
	(void)state;
	sl_value v = sl_bytes(SL_V_BLOB, "\x00\x01\xab\xff", 4);
	assert_string_equal(fmt(&v), "\\x0001abff");
	v = sl_bytes(SL_V_BLOB, "", 0);
	assert_string_equal(fmt(&v), "\\x");
	v = sl_bool(true);
	assert_string_equal(fmt(&v), "true");
	v = sl_int(INT64_MIN);
	assert_string_equal(fmt(&v), "-9223372036854775808");
	v = sl_null();
	assert_string_equal(fmt(&v), "");

	v = (sl_value){ .type = SL_V_DATE, .u.date = sl_days_from_civil(-44, 3, 15) };
	assert_string_equal(fmt(&v), "-0044-03-15");
	v.u.date = sl_days_from_civil(10000, 1, 1);
	assert_string_equal(fmt(&v), "10000-01-01");
	v.u.date = sl_days_from_civil(0, 1, 1);
	assert_string_equal(fmt(&v), "0000-01-01");

	v = (sl_value){ .type = SL_V_TIME, .u.time = 45296 * SL_USEC_PER_SEC + 120000 };
	assert_string_equal(fmt(&v), "12:34:56.12");
	v.u.time = 1;
	assert_string_equal(fmt(&v), "00:00:00.000001");

	v = (sl_value){ .type = SL_V_TIMESTAMP, .u.ts = -1 };
	assert_string_equal(fmt(&v), "1969-12-31T23:59:59.999999");
	v.u.ts = -SL_USEC_PER_DAY;
	assert_string_equal(fmt(&v), "1969-12-31T00:00:00");
	v.u.ts = (int64_t)sl_days_from_civil(1900, 1, 1) * SL_USEC_PER_DAY + 500000;
	assert_string_equal(fmt(&v), "1900-01-01T00:00:00.5");
	v.type = SL_V_TIMESTAMPTZ;
	v.u.ts = (int64_t)sl_days_from_civil(2038, 1, 19) * SL_USEC_PER_DAY + 11648 * SL_USEC_PER_SEC;
	assert_string_equal(fmt(&v), "2038-01-19T03:14:08Z");

	/* format and parse agree for a spread of instants, before 1970 included */
	for (int64_t ts = -62135596800LL * SL_USEC_PER_SEC; ts < 253402300800LL * SL_USEC_PER_SEC;
	     ts += 987654321012345LL) {
		sl_value w = { .type = SL_V_TIMESTAMPTZ, .u.ts = ts };
		const char *s = fmt(&w);
		int64_t back;
		bool z;
		SL_OK_OR_FAIL(sl_parse_timestamp(s, strlen(s), &back, &z));
		assert_int_equal(back, ts);
		assert_true(z);
	}
}

static void test_equal_and_copy(void **state)
{
	(void)state;
	sl_value a = sl_double(NAN), b = sl_double(NAN);
	assert_true(sl_value_equal(&a, &b));
	a = sl_double(0.0), b = sl_double(-0.0);
	assert_false(sl_value_equal(&a, &b));
	a = sl_int(1), b = sl_bool(true);
	assert_false(sl_value_equal(&a, &b));
	a = sl_bytes(SL_V_TEXT, "a\0b", 3), b = sl_bytes(SL_V_TEXT, "a\0c", 3);
	assert_false(sl_value_equal(&a, &b));
	sl_arena *ar = sl_arena_new(0);
	sl_value c;
	char src[] = "hello";
	a = sl_text(src);
	SL_OK_OR_FAIL(sl_value_copy(&c, &a, ar));
	src[0] = 'j';
	assert_int_equal(c.u.s.len, 5);
	assert_memory_equal(c.u.s.ptr, "hello", 5);
	sl_arena_free(ar);
	assert_string_equal(sl_vtype_name(SL_V_TIMESTAMPTZ), "timestamptz");
	assert_string_equal(sl_vtype_name((sl_vtype)99), "?");
}

static void test_batch_growth(void **state)
{
	(void)state;
	sl_batch b;
	SL_OK_OR_FAIL(sl_batch_init(&b, 3, 2));
	assert_int_equal(b.cap, 2);
	for (int i = 0; i < 1000; i++) {
		sl_value *r = sl_batch_add_row(&b);
		assert_non_null(r);
		assert_int_equal(r[0].type, SL_V_NULL);
		r[0] = sl_int(i);
		char s[16];
		int n = snprintf(s, sizeof(s), "r%d", i);
		SL_OK_OR_FAIL(sl_batch_set_bytes(&b, &r[1], SL_V_TEXT, s, (size_t)n));
		SL_OK_OR_FAIL(sl_batch_set_bytes(&b, &r[2], SL_V_BLOB, "\0\1", 2));
	}
	assert_int_equal(b.nrows, 1000);
	assert_true(b.cap >= 1000);
	for (int i = 0; i < 1000; i++) {
		const sl_value *r = sl_batch_row(&b, (size_t)i);
		char s[16];
		int n = snprintf(s, sizeof(s), "r%d", i);
		assert_int_equal(r[0].u.i, i);
		assert_int_equal(r[1].u.s.len, (size_t)n);
		assert_memory_equal(r[1].u.s.ptr, s, (size_t)n);
		assert_memory_equal(r[2].u.s.ptr, "\0\1", 2);
	}
	assert_true(sl_batch_bytes(&b) >= 1000 * 3 * sizeof(sl_value));
	size_t cap = b.cap;
	sl_batch_reset(&b);
	assert_int_equal(b.nrows, 0);
	assert_int_equal(b.cap, cap); /* memory kept for reuse */
	sl_value *r = sl_batch_add_row(&b);
	assert_int_equal(r[1].type, SL_V_NULL); /* a fresh row is all NULL */
	sl_batch_free(&b);

	/* a batch that starts with no capacity grows too */
	SL_OK_OR_FAIL(sl_batch_init(&b, 1, 0));
	for (int i = 0; i < 100; i++)
		assert_non_null(sl_batch_add_row(&b));
	assert_int_equal(b.nrows, 100);
	sl_batch_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_civil_days),   cmocka_unit_test(test_parse_date),
		cmocka_unit_test(test_parse_time),   cmocka_unit_test(test_parse_timestamp),
		cmocka_unit_test(test_parse_uuid),   cmocka_unit_test(test_format_double),
		cmocka_unit_test(test_format_other), cmocka_unit_test(test_equal_and_copy),
		cmocka_unit_test(test_batch_growth),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
