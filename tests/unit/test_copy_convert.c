/*
 * test_copy_convert.c - the value conversions of sluice copy (src/copy/convert.c,
 * docs/copy.md "Conversions"): what converts, what is refused, and the reason.
 */
#include "testutil.h"

#include <math.h>
#include <string.h>

#include "copy/copy_int.h"

typedef struct fx {
	sl_column src;
	sl_cast_column cc;
	sl_copy_conv cx;
	sl_batch dst;
	sl_buf reason;
	sl_copy_loss loss; /* of the last conversion */
} fx;

static void setup(fx *f, sl_tkind from, sl_tkind to, sl_engine target, bool nullable)
{
	memset(f, 0, sizeof(*f));
	f->src.name = "c";
	f->src.type.kind = from;
	f->src.nullable = nullable;
	f->cc.src = &f->src;
	f->cc.name = "c";
	f->cc.type.kind = to;
	f->cx.source = SL_ENGINE_MYSQL;
	f->cx.target = target;
	f->cx.target_caps = target == SL_ENGINE_POSTGRES ? SL_CAP_FLOAT_SPECIALS : SL_CAP_NUL_IN_TEXT;
	assert_int_equal(sl_batch_init(&f->dst, 1, 4), 0);
}

static int conv(fx *f, sl_value *out, sl_value in)
{
	sl_buf_clear(&f->reason);
	return sl_copy_convert(out, &f->loss, &in, &f->cc, &f->cx, &f->dst, &f->reason);
}

static void done(fx *f)
{
	sl_batch_free(&f->dst);
	sl_buf_free(&f->reason);
}

static void tinyint_bool(void **state)
{
	(void)state;
	fx f;
	sl_value o;
	setup(&f, SL_T_BOOL, SL_T_BOOL, SL_ENGINE_POSTGRES, true);
	assert_int_equal(conv(&f, &o, sl_int(1)), 0);
	assert_true(o.type == SL_V_BOOL && o.u.b);
	assert_int_equal(conv(&f, &o, sl_int(2)), 1);
	assert_string_equal(sl_buf_cstr(&f.reason), "2 is not a boolean (only 0 and 1 are)");
	assert_int_equal(conv(&f, &o, sl_int(-1)), 1);
	done(&f);
}

static void zero_dates(void **state)
{
	(void)state;
	fx f;
	sl_value o;
	setup(&f, SL_T_DATE, SL_T_DATE, SL_ENGINE_POSTGRES, true);
	assert_int_equal(conv(&f, &o, sl_text("0000-00-00")), 0);
	assert_int_equal(o.type, SL_V_NULL);
	assert_int_equal(f.loss, SL_COPY_LOSS_ZERO_DATE);
	assert_int_equal(conv(&f, &o, sl_text("2020-00-15")), 0);
	assert_int_equal(o.type, SL_V_NULL);
	assert_int_equal(f.loss, SL_COPY_LOSS_ZERO_DATE);
	assert_int_equal(conv(&f, &o, sl_text("2020-01-15")), 0);
	assert_int_equal(f.loss, SL_COPY_LOSS_NONE);
	done(&f);
	/* into a text column the zero date is counted too */
	setup(&f, SL_T_TIMESTAMP, SL_T_TEXT, SL_ENGINE_SQLITE, true);
	assert_int_equal(conv(&f, &o, sl_text("0000-00-00 00:00:00")), 0);
	assert_true(o.type == SL_V_NULL && f.loss == SL_COPY_LOSS_ZERO_DATE);
	done(&f);
	setup(&f, SL_T_DATE, SL_T_DATE, SL_ENGINE_POSTGRES, false);
	assert_int_equal(conv(&f, &o, sl_text("0000-00-00")), 1);
	assert_string_equal(sl_buf_cstr(&f.reason), "\"0000-00-00\" is a zero date in a NOT NULL column");
	done(&f);
}

static void loose_integers(void **state)
{
	(void)state;
	fx f;
	sl_value o;
	setup(&f, SL_T_INT64, SL_T_INT64, SL_ENGINE_POSTGRES, true);
	f.cx.source = SL_ENGINE_SQLITE;
	assert_int_equal(conv(&f, &o, sl_text("42")), 0);
	assert_true(o.type == SL_V_INT && o.u.i == 42);
	assert_int_equal(conv(&f, &o, sl_text("abc")), 1);
	assert_string_equal(sl_buf_cstr(&f.reason), "\"abc\" is not an integer");
	assert_int_equal(conv(&f, &o, sl_double(1.5)), 1);
	assert_int_equal(conv(&f, &o, sl_bytes(SL_V_DECIMAL, "18446744073709551615", 20)), 1);
	assert_string_equal(sl_buf_cstr(&f.reason), "\"18446744073709551615\" is out of range for int64");
	done(&f);
}

static void floats_and_text(void **state)
{
	(void)state;
	fx f;
	sl_value o;
	setup(&f, SL_T_FLOAT64, SL_T_FLOAT64, SL_ENGINE_MYSQL, true);
	f.cx.source = SL_ENGINE_POSTGRES;
	assert_int_equal(conv(&f, &o, sl_double(NAN)), 1);
	assert_string_equal(sl_buf_cstr(&f.reason), "NaN cannot be stored in mysql");
	assert_int_equal(conv(&f, &o, sl_double(-INFINITY)), 1);
	done(&f);
	setup(&f, SL_T_TEXT, SL_T_TEXT, SL_ENGINE_POSTGRES, true);
	f.cx.target_caps = 0;
	assert_int_equal(conv(&f, &o, sl_bytes(SL_V_TEXT, "a\0b", 3)), 1);
	assert_string_equal(sl_buf_cstr(&f.reason),
			    "\"a\\x00b\" holds a NUL byte (0x00), which postgres cannot store in text");
	done(&f);
}

static void sets_uuids_epochs(void **state)
{
	(void)state;
	fx f;
	sl_value o;
	setup(&f, SL_T_SET, SL_T_ARRAY, SL_ENGINE_POSTGRES, true);
	assert_int_equal(conv(&f, &o, sl_text("red,blue")), 0);
	assert_int_equal(o.type, SL_V_TEXT);
	assert_memory_equal(o.u.s.ptr, "{\"red\",\"blue\"}", o.u.s.len);
	done(&f);
	setup(&f, SL_T_UUID, SL_T_UUID, SL_ENGINE_POSTGRES, true);
	assert_int_equal(conv(&f, &o, sl_text(" A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11 ")), 0);
	assert_int_equal(o.type, SL_V_UUID);
	assert_int_equal(o.u.uuid[0], 0xa0);
	assert_int_equal(conv(&f, &o, sl_text("not-a-uuid")), 1);
	done(&f);
	setup(&f, SL_T_TIMESTAMP, SL_T_TIMESTAMP, SL_ENGINE_POSTGRES, true);
	assert_int_equal(conv(&f, &o, sl_int(1700000000)), 0);
	assert_true(o.type == SL_V_TIMESTAMP && o.u.ts == INT64_C(1700000000) * 1000000);
	assert_int_equal(conv(&f, &o, sl_int(INT64_C(1700000000000))), 0);
	assert_true(o.u.ts == INT64_C(1700000000) * 1000000);
	assert_int_equal(conv(&f, &o, sl_text("yesterday")), 1);
	done(&f);
}

/* SQLite's loose storage: JSON numbers, blobs, boolean words, Julian days and microseconds. */
static void loose_storage(void **state)
{
	(void)state;
	fx f;
	sl_value o;
	setup(&f, SL_T_JSON, SL_T_JSON, SL_ENGINE_POSTGRES, true);
	f.cx.source = SL_ENGINE_SQLITE;
	assert_int_equal(conv(&f, &o, sl_double(123.5)), 0);
	assert_true(o.type == SL_V_JSON && o.u.s.len == 5 && memcmp(o.u.s.ptr, "123.5", 5) == 0);
	assert_int_equal(conv(&f, &o, sl_int(-7)), 0);
	assert_true(o.type == SL_V_JSON && o.u.s.len == 2 && memcmp(o.u.s.ptr, "-7", 2) == 0);
	assert_int_equal(conv(&f, &o, sl_bytes(SL_V_BLOB, "[1, 2]", 6)), 0);
	assert_int_equal(o.type, SL_V_JSON);
	assert_int_equal(conv(&f, &o, sl_double(NAN)), 1);
	assert_string_equal(sl_buf_cstr(&f.reason), "NaN is not a JSON number");
	/* SQLite hands a JSON column's text over as JSON unchecked: the copy checks it */
	assert_int_equal(conv(&f, &o, sl_bytes(SL_V_JSON, "{broken", 7)), 1);
	assert_string_equal(sl_buf_cstr(&f.reason), "\"{broken\" is not valid JSON");
	done(&f);
	setup(&f, SL_T_BOOL, SL_T_BOOL, SL_ENGINE_POSTGRES, true);
	const char *yes[] = { "yes", "Y", "TRUE", "on", "1" }, *no[] = { "no", "n", "False", "OFF", "0" };
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(conv(&f, &o, sl_text(yes[i])), 0);
		assert_true(o.type == SL_V_BOOL && o.u.b);
		assert_int_equal(conv(&f, &o, sl_text(no[i])), 0);
		assert_true(o.type == SL_V_BOOL && !o.u.b);
	}
	assert_int_equal(conv(&f, &o, sl_text("maybe")), 1);
	done(&f);
	setup(&f, SL_T_TIMESTAMP, SL_T_TIMESTAMP, SL_ENGINE_POSTGRES, true);
	assert_int_equal(conv(&f, &o, sl_double(2460310.75)), 0); /* Julian day: 2024-01-01 06:00 */
	assert_true(o.type == SL_V_TIMESTAMP && o.u.ts == INT64_C(1704088800) * 1000000);
	assert_int_equal(conv(&f, &o, sl_int(INT64_C(1704088800000000))), 0); /* microseconds */
	assert_true(o.u.ts == INT64_C(1704088800) * 1000000);
	done(&f);
}

/* Numbers: rounded to the column's scale and counted, refused when they do not fit. */
static void number_losses(void **state)
{
	(void)state;
	fx f;
	sl_value o;
	setup(&f, SL_T_DECIMAL, SL_T_DECIMAL, SL_ENGINE_MYSQL, true);
	f.cx.source = SL_ENGINE_SQLITE;
	f.cc.type.precision = 5;
	f.cc.type.scale = 2;
	assert_int_equal(conv(&f, &o, sl_double(0.1 + 0.2)), 0);
	assert_true(o.type == SL_V_DECIMAL && o.u.s.len == 3 && memcmp(o.u.s.ptr, "0.3", 3) == 0);
	assert_int_equal(f.loss, SL_COPY_LOSS_SCALE);
	assert_int_equal(conv(&f, &o, sl_text("-2.675")), 0);
	assert_true(o.u.s.len == 5 && memcmp(o.u.s.ptr, "-2.68", 5) == 0);
	assert_int_equal(f.loss, SL_COPY_LOSS_SCALE);
	assert_int_equal(conv(&f, &o, sl_text("2.500")), 0); /* only zeros go: not a loss */
	assert_int_equal(f.loss, SL_COPY_LOSS_NONE);
	assert_int_equal(conv(&f, &o, sl_text("1.5e2")), 0);
	assert_true(o.u.s.len == 3 && memcmp(o.u.s.ptr, "150", 3) == 0 && f.loss == SL_COPY_LOSS_NONE);
	assert_int_equal(conv(&f, &o, sl_bytes(SL_V_DECIMAL, "999.99", 6)), 0);
	assert_int_equal(conv(&f, &o, sl_bytes(SL_V_DECIMAL, "999.995", 7)), 1);
	assert_string_equal(sl_buf_cstr(&f.reason), "\"999.995\" is out of range for decimal(5,2)");
	assert_int_equal(conv(&f, &o, sl_int(1000)), 1);
	done(&f);
	/* SQLite keeps 15 digits of a decimal */
	setup(&f, SL_T_DECIMAL, SL_T_DECIMAL, SL_ENGINE_SQLITE, true);
	f.cc.type.precision = 30;
	f.cc.type.scale = 10;
	assert_int_equal(conv(&f, &o, sl_bytes(SL_V_DECIMAL, "12345678901234567890.1234567891", 31)), 0);
	assert_int_equal(f.loss, SL_COPY_LOSS_DOUBLE);
	assert_int_equal(conv(&f, &o, sl_bytes(SL_V_DECIMAL, "123456789012.125", 16)), 0);
	assert_int_equal(f.loss, SL_COPY_LOSS_NONE);
	done(&f);
	/* single precision, unless the source was single precision already */
	setup(&f, SL_T_FLOAT64, SL_T_FLOAT32, SL_ENGINE_POSTGRES, true);
	assert_int_equal(conv(&f, &o, sl_double(0.1)), 0);
	assert_int_equal(f.loss, SL_COPY_LOSS_SINGLE);
	assert_int_equal(conv(&f, &o, sl_double(0.5)), 0);
	assert_int_equal(f.loss, SL_COPY_LOSS_NONE);
	assert_int_equal(conv(&f, &o, sl_bytes(SL_V_DECIMAL, "0.12345678901234567890", 22)), 0);
	assert_int_equal(f.loss, SL_COPY_LOSS_DOUBLE);
	done(&f);
	setup(&f, SL_T_FLOAT32, SL_T_FLOAT32, SL_ENGINE_POSTGRES, true);
	assert_int_equal(conv(&f, &o, sl_double(0.1)), 0);
	assert_int_equal(f.loss, SL_COPY_LOSS_NONE);
	done(&f);
	/* fractional seconds beyond the column's precision: rounded as the engine rounds, counted */
	setup(&f, SL_T_TIMESTAMP, SL_T_TIMESTAMP, SL_ENGINE_POSTGRES, true);
	f.cx.source = SL_ENGINE_SQLITE;
	f.cc.type.precision = 3;
	int64_t base = INT64_C(1709296496) * 1000000; /* 2024-03-01 12:34:56 */
	assert_int_equal(conv(&f, &o, sl_text("2024-03-01 12:34:56.123456")), 0);
	assert_true(o.u.ts == base + 123000 && f.loss == SL_COPY_LOSS_FRACTION);
	assert_int_equal(conv(&f, &o, sl_text("2024-03-01 12:34:56.1235")), 0);
	assert_true(o.u.ts == base + 124000 && f.loss == SL_COPY_LOSS_FRACTION);
	assert_int_equal(conv(&f, &o, sl_text("2024-03-01 12:34:56.12")), 0);
	assert_true(o.u.ts == base + 120000 && f.loss == SL_COPY_LOSS_NONE);
	f.cc.type.precision = -1; /* PostgreSQL's default keeps microseconds */
	assert_int_equal(conv(&f, &o, sl_text("2024-03-01 12:34:56.123456")), 0);
	assert_true(o.u.ts == base + 123456 && f.loss == SL_COPY_LOSS_NONE);
	f.cx.target = SL_ENGINE_MYSQL; /* MySQL's default keeps none */
	assert_int_equal(conv(&f, &o, sl_text("2024-03-01 12:34:56.5")), 0);
	assert_true(o.u.ts == base + 1000000 && f.loss == SL_COPY_LOSS_FRACTION);
	done(&f);
}

static void checkpoint_keys(void **state)
{
	(void)state;
	sl_value in[3] = { sl_int(-5), sl_bytes(SL_V_TEXT, "a\"b\0c", 5), sl_null() };
	in[2].type = SL_V_DATE;
	in[2].u.date = -1;
	sl_buf b = SL_BUF_INIT;
	assert_int_equal(sl_copy_key_encode(&b, in, 3), 0);
	sl_arena *a = sl_arena_new(0);
	sl_value out[3];
	assert_int_equal(sl_copy_key_decode(out, 3, b.ptr, a), 0);
	for (int i = 0; i < 3; i++)
		assert_true(sl_value_equal(&in[i], &out[i]));
	sl_arena_free(a);
	sl_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tinyint_bool),      cmocka_unit_test(zero_dates),
		cmocka_unit_test(loose_integers),    cmocka_unit_test(floats_and_text),
		cmocka_unit_test(sets_uuids_epochs), cmocka_unit_test(checkpoint_keys),
		cmocka_unit_test(loose_storage),     cmocka_unit_test(number_losses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
