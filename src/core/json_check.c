/*
 * json_check.c - sl_json_check (util.h): whether bytes are one JSON text, as
 * jansson's json_loadb(JSON_DECODE_ANY) decides it, without building the
 * value. copy checks every JSON value it sends to a JSON column; building a
 * jansson tree for that alone (an allocation per member) was a third of
 * copy's CPU on a table with a JSON column. The rules are jansson's, so that
 * what copy accepts and what diff later parses agree: RFC 8259 grammar, UTF-8
 * checked everywhere, no control characters or \u0000 in strings, paired
 * surrogates, an integer within int64 and a real within double, values nested
 * at most 2048 levels deep (a scalar counts one), the input ending at a NUL byte.
 * tests/unit/test_json_check.c compares it with jansson.
 */
#include "sluice/util.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 2048

typedef struct scan {
	const unsigned char *p, *end;
} scan;

static void skip_ws(scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

/* One UTF-8 sequence at s->p (first byte >= 0x80): well formed, no surrogate, at most U+10FFFF. */
static bool utf8_seq(scan *s)
{
	unsigned c = *s->p;
	size_t n;
	unsigned v;
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
		v = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		v = c & 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		v = c & 0x07;
	} else {
		return false;
	}
	if ((size_t)(s->end - s->p) < n)
		return false;
	for (size_t i = 1; i < n; i++) {
		if ((s->p[i] & 0xC0) != 0x80)
			return false;
		v = (v << 6) | (s->p[i] & 0x3F);
	}
	if ((n == 3 && v < 0x800) || (n == 4 && v < 0x10000) || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return false;
	s->p += n;
	return true;
}

static int hex4(const unsigned char *p)
{
	int v = 0;
	for (int i = 0; i < 4; i++) {
		int c = p[i], d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* A \uXXXX escape at s->p (after the backslash and 'u'); a high surrogate takes its low half. */
static bool unicode_escape(scan *s)
{
	if (s->end - s->p < 4)
		return false;
	int v = hex4(s->p);
	s->p += 4;
	if (v <= 0 || (v >= 0xDC00 && v <= 0xDFFF))
		return false; /* \u0000, or a low surrogate alone */
	if (v >= 0xD800 && v <= 0xDBFF) {
		if (s->end - s->p < 6 || s->p[0] != '\\' || s->p[1] != 'u')
			return false;
		int lo = hex4(s->p + 2);
		if (lo < 0xDC00 || lo > 0xDFFF)
			return false;
		s->p += 6;
	}
	return true;
}

/* A string at s->p (the opening quote). */
static bool string(scan *s)
{
	s->p++;
	while (s->p < s->end) {
		unsigned c = *s->p;
		if (c == '"') {
			s->p++;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c >= 0x80) {
			if (!utf8_seq(s))
				return false;
			continue;
		}
		s->p++;
		if (c != '\\')
			continue;
		if (s->p >= s->end)
			return false;
		c = *s->p++;
		if (c == 'u') {
			if (!unicode_escape(s))
				return false;
		} else if (!strchr("\"\\/bfnrt", (int)c) || c == 0) {
			return false;
		}
	}
	return false;
}

static bool is_digit(const scan *s)
{
	return s->p < s->end && *s->p >= '0' && *s->p <= '9';
}

/* A number: the grammar, then its value in range (int64 without fraction or exponent, else double). */
static bool number(scan *s)
{
	const unsigned char *start = s->p;
	bool real = false;
	if (*s->p == '-')
		s->p++;
	if (!is_digit(s))
		return false;
	if (*s->p == '0') {
		s->p++;
		if (is_digit(s))
			return false;
	} else {
		while (is_digit(s))
			s->p++;
	}
	if (s->p < s->end && *s->p == '.') {
		real = true;
		s->p++;
		if (!is_digit(s))
			return false;
		while (is_digit(s))
			s->p++;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		real = true;
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (!is_digit(s))
			return false;
		while (is_digit(s))
			s->p++;
	}
	char buf[64];
	size_t n = (size_t)(s->p - start);
	char *copy = n < sizeof(buf) ? buf : malloc(n + 1);
	if (!copy)
		return false;
	memcpy(copy, start, n);
	copy[n] = '\0';
	errno = 0;
	bool ok;
	if (real) {
		double d = strtod(copy, NULL);
		ok = !(errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL));
	} else {
		(void)strtoll(copy, NULL, 10);
		ok = errno != ERANGE;
	}
	if (copy != buf)
		free(copy);
	return ok;
}

/* A literal: letters up to the next non-letter, which must spell true, false or null. */
static bool literal(scan *s)
{
	const unsigned char *start = s->p;
	while (s->p < s->end && ((*s->p >= 'a' && *s->p <= 'z') || (*s->p >= 'A' && *s->p <= 'Z')))
		s->p++;
	size_t n = (size_t)(s->p - start);
	return (n == 4 && (memcmp(start, "true", 4) == 0 || memcmp(start, "null", 4) == 0)) ||
	       (n == 5 && memcmp(start, "false", 5) == 0);
}

static bool value(scan *s, int depth);

static bool array(scan *s, int depth)
{
	s->p++;
	skip_ws(s);
	if (s->p < s->end && *s->p == ']') {
		s->p++;
		return true;
	}
	for (;;) {
		if (!value(s, depth))
			return false;
		skip_ws(s);
		if (s->p >= s->end)
			return false;
		if (*s->p == ']') {
			s->p++;
			return true;
		}
		if (*s->p++ != ',')
			return false;
	}
}

static bool object(scan *s, int depth)
{
	s->p++;
	skip_ws(s);
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		return true;
	}
	for (;;) {
		skip_ws(s);
		if (s->p >= s->end || *s->p != '"' || !string(s))
			return false;
		skip_ws(s);
		if (s->p >= s->end || *s->p++ != ':')
			return false;
		if (!value(s, depth))
			return false;
		skip_ws(s);
		if (s->p >= s->end)
			return false;
		if (*s->p == '}') {
			s->p++;
			return true;
		}
		if (*s->p++ != ',')
			return false;
	}
}

static bool value(scan *s, int depth)
{
	skip_ws(s);
	if (s->p >= s->end || depth + 1 > MAX_DEPTH) /* every value counts a level, scalars too */
		return false;
	unsigned c = *s->p;
	if (c == '{' || c == '[')
		return c == '{' ? object(s, depth + 1) : array(s, depth + 1);
	if (c == '"')
		return string(s);
	if (c == '-' || (c >= '0' && c <= '9'))
		return number(s);
	return literal(s);
}

bool sl_json_check(const char *text, size_t len)
{
	/* jansson reads a NUL byte as the end of the input */
	const char *nul = memchr(text, '\0', len);
	scan s = { (const unsigned char *)text, (const unsigned char *)(nul ? nul : text + len) };
	if (!value(&s, 0))
		return false;
	skip_ws(&s);
	return s.p == s.end;
}
