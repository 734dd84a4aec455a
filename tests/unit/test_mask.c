/*
 * test_mask.c - unit tests of the masking rules (src/mask/): parsing from
 * sluice.yaml with file:line:col and "did you mean", determinism under a
 * key (same key and input: same output; another key: another output), the
 * shape of every fake, date shifts per entity, noise keeping sign and scale,
 * partial, json paths, type checks, and the injective map for unique columns.
 */
#include "testutil.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfyaml.h>

#include "mask/mask_int.h"
#include "sluice/config.h"
#include "sluice/mask.h"
#include "sluice/strmap.h"

/* configs whose strings the parsed rules borrow, freed at the end */
static sl_config *configs[256];
static size_t nconfigs;

typedef struct fx {
	sl_masker *m, *m2;
	sl_mask_ctx *x, *x2;
	sl_arena *a;
} fx;

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	SL_OK_OR_FAIL(sl_masker_new(&f->m, "key one", 7));
	SL_OK_OR_FAIL(sl_masker_new(&f->m2, "key two", 7));
	SL_OK_OR_FAIL(sl_mask_ctx_new(&f->x, f->m));
	SL_OK_OR_FAIL(sl_mask_ctx_new(&f->x2, f->m2));
	f->a = sl_arena_new(0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	sl_mask_ctx_free(f->x);
	sl_mask_ctx_free(f->x2);
	sl_masker_free(f->m);
	sl_masker_free(f->m2);
	sl_arena_free(f->a);
	free(f);
	for (size_t i = 0; i < nconfigs; i++)
		sl_config_free(configs[i]);
	nconfigs = 0;
	return 0;
}

/* Parses "r: <yaml>" and returns the rule of key r (fails the test on error). */
static sl_mask_rule *rule_of(sl_arena *a, const char *yaml)
{
	sl_config *c = NULL;
	char text[1024];
	snprintf(text, sizeof(text), "snapshot:\n  r: %s\n", yaml);
	SL_OK_OR_FAIL(sl_config_parse(&c, "sluice.yaml", text, strlen(text)));
	struct fy_node *sec = sl_config_section(c, "snapshot");
	sl_mask_rule *r = sl_arena_calloc(a, 1, sizeof(*r));
	SL_OK_OR_FAIL(
		sl_mask_rule_parse(r, c, fy_node_mapping_lookup_by_string(sec, "r", FY_NT), "r", false, a));
	assert_true(nconfigs < sizeof(configs) / sizeof(configs[0]));
	configs[nconfigs++] = c;
	return r;
}

static void parse_err(const char *yaml, const char *want)
{
	sl_config *c = NULL;
	sl_arena *a = sl_arena_new(0);
	char text[1024];
	sl_mask_rule r;
	snprintf(text, sizeof(text), "snapshot:\n  r: %s\n", yaml);
	SL_OK_OR_FAIL(sl_config_parse(&c, "sluice.yaml", text, strlen(text)));
	struct fy_node *sec = sl_config_section(c, "snapshot");
	int rc = sl_mask_rule_parse(&r, c, fy_node_mapping_lookup_by_string(sec, "r", FY_NT), "r", false, a);
	assert_int_equal(rc, SL_EINVALID);
	if (strcmp(sl_error_last()->message, want) != 0)
		fail_msg("message\n  [%s]\nexpected\n  [%s]", sl_error_last()->message, want);
	sl_config_free(c);
	sl_arena_free(a);
}

static void test_parse(void **state)
{
	fx *f = *state;
	sl_mask_rule *r = rule_of(f->a, "email");
	assert_int_equal(r->kind, SL_MASK_EMAIL);
	assert_string_equal(r->where, "sluice.yaml:2:6");
	r = rule_of(f->a, "{ rule: hash, length: 16 }");
	assert_int_equal(r->kind, SL_MASK_HASH);
	assert_int_equal(r->length, 16);
	r = rule_of(f->a, "{ rule: noise, ratio: 5% }");
	assert_true(r->ratio > 0.0499 && r->ratio < 0.0501);
	r = rule_of(f->a, "null");
	assert_int_equal(r->kind, SL_MASK_NULL);
	r = rule_of(f->a, "{ rule: fixed, value: \"\" }");
	assert_string_equal(r->value, "");
	r = rule_of(
		f->a,
		"{ rule: json, paths: { \"$.contact.email\": email, \"$.tags[*]\": { rule: hash, length: 8 "
		"} } }");
	assert_int_equal(r->npaths, 2);
	assert_int_equal(r->paths[1].rule->length, 8);
	sl_buf b = SL_BUF_INIT;
	SL_OK_OR_FAIL(sl_mask_rule_text(&b, r));
	assert_string_equal(b.ptr, "json($.contact.email=email,$.tags[*]=hash(length=8))");
	sl_buf_free(&b);

	parse_err("emial", "sluice.yaml:2:6: \"r\": unknown rule \"emial\" (did you mean \"email\"?)");
	parse_err("{ rule: hash, lenght: 3 }", "sluice.yaml:2:20: \"r\": unknown key \"lenght\" for rule "
					       "\"hash\" (did you mean \"length\"?)");
	parse_err("{ rule: hash, days: 3 }",
		  "sluice.yaml:2:20: \"r\": key \"days\" belongs to rule \"date_shift\", not \"hash\"");
	parse_err("{ rule: date_shift }",
		  "sluice.yaml:2:8: \"r\": rule \"date_shift\" needs \"days\" (the largest shift, e.g. 30)");
	parse_err("{ rule: noise, ratio: 2 }", "sluice.yaml:2:28: \"r\": \"ratio\" must be above 0 and below "
					       "1 (\"0.1\" or \"10%\"), not \"2\"");
	parse_err("{ rule: json, paths: { \"email\": email } }",
		  "sluice.yaml:2:30: \"r\": bad JSON path \"email\": a path starts with \"$\"");
	parse_err("{ rule: json, paths: { \"$.a\": { rule: date_shift, days: 3 } } }",
		  "sluice.yaml:2:38: \"r.paths.$.a\": rule \"date_shift\" cannot be used inside a json rule");
	parse_err("{ length: 3 }",
		  "sluice.yaml:2:8: \"r\": a rule written as a mapping needs \"rule\" (e.g. { "
		  "rule: hash, length: 16 })");
}

static sl_value mask(fx *f, sl_mask_ctx *x, const char *yaml, sl_value v, const sl_mask_target *t)
{
	sl_mask_rule *r = rule_of(f->a, yaml);
	sl_value out;
	SL_OK_OR_FAIL(sl_mask_value(x, &out, &v, r, t, NULL, 0, 0, f->a));
	return out;
}

static char *text(fx *f, sl_value v)
{
	assert_true(v.type == SL_V_TEXT || v.type == SL_V_DECIMAL || v.type == SL_V_JSON);
	return sl_arena_strndup(f->a, v.u.s.ptr, v.u.s.len);
}

static const sl_mask_target TEXT = { .kind = SL_T_TEXT };

static void test_keyed_and_deterministic(void **state)
{
	fx *f = *state;
	const char *rules[] = {
		"email", "name", "phone", "address", "ip", "hash", "{ rule: partial, first: 2 }"
	};
	const char *inputs[] = { "anna@example.com", "Anna Smith",
				 "+44 20 7946 0000", "12 High Street, Leeds",
				 "192.0.2.7",        "secret",
				 "abcdefgh" };
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		sl_value in = sl_text(inputs[i]);
		char *a = text(f, mask(f, f->x, rules[i], in, &TEXT));
		char *b = text(f, mask(f, f->x, rules[i], in, &TEXT));
		char *c = text(f, mask(f, f->x2, rules[i], in, &TEXT));
		assert_string_equal(a, b);
		if (strcmp(a, inputs[i]) == 0)
			fail_msg("rule %s kept \"%s\"", rules[i], a);
		if (i < 6 && strcmp(a, c) == 0)
			fail_msg("rule %s: two keys gave \"%s\"", rules[i], a);
	}
}

static void test_shapes(void **state)
{
	fx *f = *state;
	char *e = text(f, mask(f, f->x, "email", sl_text("someone@corp.example.org"), &TEXT));
	assert_non_null(strchr(e, '@'));
	assert_true(sl_fake_is_email(e, strlen(e), false));
	e = text(f, mask(f, f->x, "{ rule: email, keep_domain: true }", sl_text("someone@corp.org"), &TEXT));
	assert_non_null(strstr(e, "@corp.org"));
	char *n = text(f, mask(f, f->x, "name", sl_text("Zoe Quinn"), &TEXT));
	assert_non_null(strchr(n, ' '));
	assert_true(sl_fake_is_name(n, strlen(n)));
	n = text(f, mask(f, f->x, "name", sl_text("Cher"), &TEXT));
	assert_null(strchr(n, ' '));
	char *p = text(f, mask(f, f->x, "{ rule: phone, keep: 2 }", sl_text("+44 (20) 7946-0000"), &TEXT));
	assert_int_equal(strlen(p), strlen("+44 (20) 7946-0000"));
	assert_memory_equal(p, "+44 (", 5);
	assert_int_equal(p[7], ')');
	assert_int_equal(p[13], '-');
	char *ip = text(f, mask(f, f->x, "ip", sl_text("192.0.2.7"), &TEXT));
	assert_memory_equal(ip, "10.", 3);
	ip = text(f, mask(f, f->x, "ip", sl_text("2001:db8::1/64"), &TEXT));
	assert_memory_equal(ip, "fd", 2);
	assert_non_null(strstr(ip, "/64"));
	char *ad = text(f, mask(f, f->x, "address", sl_text("1 Rue X, Paris, 75001"), &TEXT));
	assert_true(sl_fake_is_address(ad, strlen(ad)));
	assert_int_equal(2, (int)(strchr(ad, ',') != NULL) + (int)(strrchr(ad, ',') != strchr(ad, ',')));
	/* text is cut to the column length */
	sl_mask_target short_col = { .kind = SL_T_VARCHAR, .length = 10 };
	e = text(f, mask(f, f->x, "email", sl_text("someone@corp.org"), &short_col));
	assert_int_equal(strlen(e), 10);
	char *h = text(f, mask(f, f->x, "hash", sl_text("x"), &short_col));
	assert_int_equal(strlen(h), 10);
	/* hash keeps integers integers within the column's range */
	sl_mask_target i16 = { .kind = SL_T_INT16 };
	sl_value hv = mask(f, f->x, "hash", sl_int(42), &i16);
	assert_int_equal(hv.type, SL_V_INT);
	assert_true(hv.u.i >= 1 && hv.u.i <= 32767);
	/* partial */
	char *pa = text(f, mask(f, f->x, "{ rule: partial, first: 2, last: 1 }", sl_text("Jürgen"), &TEXT));
	assert_string_equal(pa, "Jü***n");
	pa = text(f, mask(f, f->x, "{ rule: partial, first: 2, last: 2 }", sl_text("abc"), &TEXT));
	assert_string_equal(pa, "***");
	/* NULL stays NULL under every rule */
	assert_int_equal(mask(f, f->x, "email", sl_null(), &TEXT).type, SL_V_NULL);
	assert_int_equal(mask(f, f->x, "{ rule: fixed, value: x }", sl_null(), &TEXT).type, SL_V_NULL);
}

static void test_date_shift(void **state)
{
	fx *f = *state;
	sl_mask_rule *r = rule_of(f->a, "{ rule: date_shift, days: 10 }");
	sl_mask_target ts = { .kind = SL_T_TIMESTAMP };
	sl_value a = { .type = SL_V_TIMESTAMP, .u.ts = 1000 * SL_USEC_PER_DAY + 5 };
	sl_value b = { .type = SL_V_TIMESTAMP, .u.ts = 1003 * SL_USEC_PER_DAY };
	sl_value oa, ob, ot;
	/* one entity: one shift, so intervals (due >= issued) hold */
	SL_OK_OR_FAIL(sl_mask_value(f->x, &oa, &a, r, &ts, "customer 7", 10, 0, f->a));
	SL_OK_OR_FAIL(sl_mask_value(f->x, &ob, &b, r, &ts, "customer 7", 10, 0, f->a));
	assert_int_equal(ob.u.ts - oa.u.ts, b.u.ts - a.u.ts);
	int64_t days = (oa.u.ts - a.u.ts) / SL_USEC_PER_DAY;
	assert_true(days != 0 && days >= -10 && days <= 10);
	assert_int_equal((oa.u.ts - a.u.ts) % SL_USEC_PER_DAY, 0);
	/* SQLite text keeps its form: only the date part changes */
	sl_value t = sl_text("2024-02-28 13:45:01.123");
	SL_OK_OR_FAIL(sl_mask_value(f->x, &ot, &t, r, &ts, "customer 7", 10, 0, f->a));
	char *s = text(f, ot);
	assert_string_equal(s + 10, " 13:45:01.123");
	int32_t d0, d1;
	SL_OK_OR_FAIL(sl_parse_date("2024-02-28", 10, &d0));
	SL_OK_OR_FAIL(sl_parse_date(s, 10, &d1));
	assert_int_equal(d1 - d0, days);
	/* a zero date is not a date: kept */
	t = sl_text("0000-00-00");
	SL_OK_OR_FAIL(sl_mask_value(f->x, &ot, &t, r, &ts, "customer 7", 10, 0, f->a));
	assert_string_equal(text(f, ot), "0000-00-00");
}

static void test_noise(void **state)
{
	fx *f = *state;
	sl_mask_rule *r = rule_of(f->a, "{ rule: noise, ratio: 0.2 }");
	sl_mask_target dec = { .kind = SL_T_DECIMAL, .precision = 10, .scale = 2 };
	const char *in[] = { "19.99", "-4.50", "0.00", "0.01", "99999999.99", "1000" };
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		sl_value v = sl_bytes(SL_V_DECIMAL, in[i], strlen(in[i])), o;
		SL_OK_OR_FAIL(sl_mask_value(f->x, &o, &v, r, &dec, NULL, 0, 0, f->a));
		char *s = text(f, o);
		double a = strtod(in[i], NULL), b = strtod(s, NULL);
		const char *da = strchr(in[i], '.'), *db = strchr(s, '.');
		assert_int_equal(da ? (int)strlen(da) : 0, db ? (int)strlen(db) : 0);
		assert_true((a > 0) == (b > 0) && (a < 0) == (b < 0));
		assert_true(b <= a * 1.2 + 0.01 || a < 0);
		assert_true(fabs(b) < 1e8);
	}
	sl_value iv = sl_int(3), io;
	sl_mask_target i32 = { .kind = SL_T_INT32 };
	SL_OK_OR_FAIL(sl_mask_value(f->x, &io, &iv, r, &i32, NULL, 0, 0, f->a));
	assert_true(io.type == SL_V_INT && io.u.i >= 2 && io.u.i <= 4);
}

static void test_json(void **state)
{
	fx *f = *state;
	const char *doc =
		"{\"contact\":{\"email\":\"anna@example.com\",\"age\":41},\"tags\":[\"a\",\"b\"],\"n\":null}";
	sl_mask_target j = { .kind = SL_T_JSON };
	sl_value out = mask(
		f, f->x,
		"{ rule: json, paths: { \"$.contact.email\": email, \"$.contact.age\": { rule: fixed, value: "
		"0 }, \"$.tags[*]\": { rule: hash, length: 4 }, \"$.n\": email } }",
		sl_bytes(SL_V_JSON, doc, strlen(doc)), &j);
	char *s = text(f, out);
	assert_null(strstr(s, "anna@example.com"));
	assert_non_null(strstr(s, "\"age\":0"));
	assert_non_null(strstr(s, "\"n\":null"));
	assert_null(strstr(s, "\"a\""));
	/* a document without the key is kept as it is, without parsing */
	const char *other = "{\"x\": 1}";
	out = mask(f, f->x, "{ rule: json, paths: { \"$.email\": email } }",
		   sl_bytes(SL_V_JSON, other, strlen(other)), &j);
	assert_string_equal(text(f, out), other);
	/* not JSON: becomes JSON null, never passes through */
	out = mask(f, f->x, "{ rule: json, paths: { \"$.email\": email } }", sl_text("\"email\" not json"),
		   &j);
	assert_string_equal(text(f, out), "null");
}

static void test_check(void **state)
{
	fx *f = *state;
	sl_mask_target date = { .kind = SL_T_DATE }, num = { .kind = SL_T_DECIMAL },
		       v5 = { .kind = SL_T_VARCHAR, .length = 5 };
	assert_int_equal(sl_mask_rule_check(rule_of(f->a, "hash"), &date), SL_EINVALID);
	assert_string_equal(
		sl_error_last()->message,
		"rule \"hash\" does not apply to a date column: use date_shift, fixed, null or keep");
	assert_int_equal(sl_mask_rule_check(rule_of(f->a, "email"), &num), SL_EINVALID);
	assert_int_equal(sl_mask_rule_check(rule_of(f->a, "{ rule: fixed, value: abc }"), &num), SL_EINVALID);
	assert_int_equal(sl_mask_rule_check(rule_of(f->a, "{ rule: fixed, value: toolong }"), &v5),
			 SL_EINVALID);
	SL_OK_OR_FAIL(sl_mask_rule_check(rule_of(f->a, "{ rule: date_shift, days: 3 }"), &date));
	SL_OK_OR_FAIL(sl_mask_rule_check(rule_of(f->a, "noise"), &num));
}

static void test_unique_map(void **state)
{
	fx *f = *state;
	/* 2000 distinct inputs into a 3-character hash: collisions are certain, outputs stay distinct */
	sl_mask_rule *r = rule_of(f->a, "{ rule: hash, length: 3 }");
	sl_mask_map *m = NULL, *m2 = NULL;
	SL_OK_OR_FAIL(sl_mask_map_new(&m, r, &TEXT));
	SL_OK_OR_FAIL(sl_mask_map_new(&m2, r, &TEXT));
	char buf[32];
	for (int i = 0; i < 2000; i++) {
		snprintf(buf, sizeof(buf), "value %d", i);
		sl_value v = sl_text(buf);
		SL_OK_OR_FAIL(sl_mask_map_add(m, &v));
		SL_OK_OR_FAIL(sl_mask_map_add(m, &v)); /* duplicates are one input */
		snprintf(buf, sizeof(buf), "value %d", 1999 - i);
		v = sl_text(buf);
		SL_OK_OR_FAIL(sl_mask_map_add(m2, &v)); /* another order */
	}
	SL_OK_OR_FAIL(sl_mask_map_build(m, f->x));
	SL_OK_OR_FAIL(sl_mask_map_build(m2, f->x));
	assert_int_equal(sl_mask_map_count(m), 2000);
	sl_strmap *seen = NULL;
	SL_OK_OR_FAIL(sl_strmap_new(&seen));
	for (int i = 0; i < 2000; i++) {
		int n = snprintf(buf, sizeof(buf), "value %d", i);
		const sl_value *o = sl_mask_map_get(m, buf, (size_t)n),
			       *o2 = sl_mask_map_get(m2, buf, (size_t)n);
		assert_non_null(o);
		assert_int_equal(o->u.s.len, 3);
		assert_memory_equal(o->u.s.ptr, o2->u.s.ptr, 3); /* independent of the order of arrival */
		bool created = false;
		assert_non_null(sl_strmap_slot(seen, o->u.s.ptr, o->u.s.len, &created));
		assert_true(created);
	}
	assert_null(sl_mask_map_get(m, "absent", 6));
	sl_strmap_free(seen);
	sl_mask_map_free(m);
	sl_mask_map_free(m2);
}

static void test_key_check(void **state)
{
	fx *f = *state;
	char a[17], b[17], c[17];
	sl_masker *again = NULL;
	SL_OK_OR_FAIL(sl_masker_new(&again, "key one", 7));
	SL_OK_OR_FAIL(sl_masker_key_check(f->m, a));
	SL_OK_OR_FAIL(sl_masker_key_check(again, b));
	SL_OK_OR_FAIL(sl_masker_key_check(f->m2, c));
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_null(strstr(a, "key"));
	sl_masker_free(again);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),     cmocka_unit_test(test_keyed_and_deterministic),
		cmocka_unit_test(test_shapes),    cmocka_unit_test(test_date_shift),
		cmocka_unit_test(test_noise),     cmocka_unit_test(test_json),
		cmocka_unit_test(test_check),     cmocka_unit_test(test_unique_map),
		cmocka_unit_test(test_key_check),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
