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
	return sl_copy_convert(out, &in, &f->cc, &f->cx, &f->dst, &f->reason);
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
	assert_int_equal(conv(&f, &o, sl_text("2020-00-15")), 0);
	assert_int_equal(o.type, SL_V_NULL);
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
