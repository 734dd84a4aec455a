/*
 * test_json_check.c - sl_json_check (src/core/json_check.c) decides exactly
 * as jansson's json_loadb(JSON_DECODE_ANY) does: on a list of cases (grammar,
 * numbers at the edges of int64 and double, escapes and surrogates, UTF-8,
 * control characters, nesting depth) and on 200,000 mutations of valid texts
 * (bytes replaced, inserted, deleted, cut), from a fixed seed.
 */
#include "testutil.h"

#include "sluice/util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool jansson_ok(const char *s, size_t n)
{
	json_error_t err;
	json_t *j = json_loadb(s, n, JSON_DECODE_ANY, &err);
	json_decref(j);
	return j != NULL;
}

static void same(const char *s, size_t n)
{
	bool want = jansson_ok(s, n), got = sl_json_check(s, n);
	if (want != got) {
		char shown[200];
		size_t k = 0;
		for (size_t i = 0; i < n && k + 5 < sizeof(shown); i++) {
			unsigned char c = (unsigned char)s[i];
			k += (size_t)snprintf(shown + k, sizeof(shown) - k,
					      c >= 0x20 && c < 0x7f ? "%c" : "\\x%02x", c);
		}
		fail_msg("\"%s\" (%zu bytes): jansson %s, sl_json_check %s", shown, n,
			 want ? "accepts" : "refuses", got ? "accepts" : "refuses");
	}
}

static const char *const cases[] = {
	"",
	" ",
	"null",
	"true",
	"false",
	"nul",
	"nulll",
	"True",
	"NULL",
	"truex",
	"true1",
	"0",
	"-0",
	"01",
	"-01",
	"-",
	"+1",
	"1.",
	".5",
	"1.5",
	"1e5",
	"1E+5",
	"1e-5",
	"1e",
	"1e+",
	"1.5e3",
	"-1.5E-3",
	"9223372036854775807",
	"9223372036854775808",
	"-9223372036854775808",
	"-9223372036854775809",
	"123456789012345678901234567890",
	"1e308",
	"1e309",
	"-1e309",
	"1e-400",
	"0.0",
	"\"\"",
	"\"a\"",
	"\"a",
	"\"\\\"\"",
	"\"\\\\\"",
	"\"\\/\"",
	"\"\\b\\f\\n\\r\\t\"",
	"\"\\x\"",
	"\"\\u0041\"",
	"\"\\u00e9\"",
	"\"\\u0000\"",
	"\"\\u004\"",
	"\"\\u004g\"",
	"\"\\ud83d\\ude00\"",
	"\"\\ud83d\"",
	"\"\\ud83d\\u0041\"",
	"\"\\ude00\"",
	"\"\\ud83dx\"",
	"\"caf\xc3\xa9\"",
	"\"\xc3\"",
	"\"\xc0\x80\"",
	"\"\xe0\x80\x80\"",
	"\"\xed\xa0\x80\"",
	"\"\xf4\x90\x80\x80\"",
	"\"\xf0\x9f\x98\x80\"",
	"\"\xff\"",
	"\"tab\there\"",
	"\"nl\nhere\"",
	"[]",
	"[1]",
	"[1,]",
	"[,1]",
	"[1 2]",
	"[1,2]",
	" [ 1 , 2 ] ",
	"[",
	"]",
	"{}",
	"{\"a\":1}",
	"{\"a\":1,}",
	"{\"a\"}",
	"{\"a\":}",
	"{a:1}",
	"{\"a\":1 \"b\":2}",
	"{\"a\":1,\"a\":2}",
	"{\"a\":[{\"b\":null}]}",
	"{",
	"}",
	"1 2",
	"[] []",
	"\"a\" x",
	"\r\n\t1\r\n\t",
	"\xef\xbb\xbf\061", /* a byte order mark, then 1 */
	"1\xc3\xa9",
	"nan",
	"NaN",
	"Infinity",
	"-Infinity",
	"0x10",
	"1_000",
};

static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		same(cases[i], strlen(cases[i]));
	same("\"a\0b\"", 5); /* a NUL byte in a string */
	same("1\0", 2);
	same("\0", 1);
}

/* [[[...]]] and {"a":{"a":...}} around the limit of nesting */
static void test_depth(void **state)
{
	(void)state;
	static char buf[3 * 4200];
	for (int d = 2040; d <= 2060; d++) {
		size_t n = 0;
		for (int i = 0; i < d; i++)
			buf[n++] = '[';
		for (int i = 0; i < d; i++)
			buf[n++] = ']';
		same(buf, n);
		n = 0;
		for (int i = 0; i < d; i++)
			buf[n++] = '[';
		buf[n++] = '1';
		for (int i = 0; i < d; i++)
			buf[n++] = ']';
		same(buf, n);
		n = 0;
		for (int i = 0; i < d; i++) {
			memcpy(buf + n, "{\"a\":", 5);
			n += 5;
		}
		buf[n++] = '0';
		for (int i = 0; i < d; i++)
			buf[n++] = '}';
		same(buf, n);
	}
}

static const char *const seeds[] = {
	"{\"id\": 12, \"tags\": [\"a\", \"b\\n\"], \"price\": -12.50e1, \"ok\": true, \"none\": null}",
	"[1, 2.5, -0, 1e10, \"caf\xc3\xa9 \\u00e9 \\ud83d\\ude00\", {\"k\": {}}, [], false]",
	"\"just a string with \\\"quotes\\\" and \\\\ slashes \\/\"",
	"{\"deep\": [[[[{\"x\": [9223372036854775807, -9223372036854775808, 1.7976931348623157e308]}]]]]}",
};

static void test_mutations(void **state)
{
	(void)state;
	static const char alphabet[] =
		"{}[],:\"\\/ -+.0123456789eEuatrfnlsx\t\n\r\x01\x7f\xc3\xa9\xed\xa0\x80\xff";
	unsigned long long x = 0x9e3779b97f4a7c15ULL;
	char buf[512];
	for (int round = 0; round < 200000; round++) {
		const char *seed = seeds[round % (sizeof(seeds) / sizeof(seeds[0]))];
		size_t n = strlen(seed);
		memcpy(buf, seed, n);
		int edits = 1 + (int)(x % 3);
		for (int e = 0; e < edits; e++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			size_t at = n ? (size_t)(x % n) : 0;
			char c = alphabet[(x >> 20) % (sizeof(alphabet) - 1)];
			switch ((x >> 40) % 4) {
			case 0: /* replace */
				if (n)
					buf[at] = c;
				break;
			case 1: /* insert */
				if (n + 1 < sizeof(buf)) {
					memmove(buf + at + 1, buf + at, n - at);
					buf[at] = c;
					n++;
				}
				break;
			case 2: /* delete */
				if (n) {
					memmove(buf + at, buf + at + 1, n - at - 1);
					n--;
				}
				break;
			default: /* cut */
				n = at;
				break;
			}
		}
		same(buf, n);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_mutations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
