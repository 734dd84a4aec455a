/*
 * keys.c - change-log keys: the JSON array the capture triggers write
 * (json_build_array, JSON_ARRAY, json_array), one scalar per key column.
 * Numbers keep their exact text (as SL_V_DECIMAL), so a decimal or a
 * 64-bit key survives; strings are unescaped into UTF-8.
 */
#include "sync_int.h"

#include <string.h>

#include "sluice/error.h"

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static int hex4(const char *p, const char *end, unsigned *out)
{
	unsigned v = 0;
	if (end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static int put_utf8(sl_buf *b, unsigned cp)
{
	char u[4];
	size_t n;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	return sl_buf_put(b, u, n);
}

/* Parses a string starting after its opening quote; *pp ends after the closing one. */
static int parse_string(sl_buf *b, const char **pp, const char *end)
{
	const char *p = *pp;
	int rc = 0;
	while (!rc && p < end && *p != '"') {
		if (*p != '\\') {
			rc = sl_buf_putc(b, *p++);
			continue;
		}
		if (++p >= end)
			return -1;
		char e = *p++;
		unsigned cp = 0, lo = 0;
		switch (e) {
		case '"':
		case '\\':
		case '/':
			rc = sl_buf_putc(b, e);
			break;
		case 'b':
			rc = sl_buf_putc(b, '\b');
			break;
		case 'f':
			rc = sl_buf_putc(b, '\f');
			break;
		case 'n':
			rc = sl_buf_putc(b, '\n');
			break;
		case 'r':
			rc = sl_buf_putc(b, '\r');
			break;
		case 't':
			rc = sl_buf_putc(b, '\t');
			break;
		case 'u':
			if (hex4(p, end, &cp))
				return -1;
			p += 4;
			if (cp >= 0xD800 && cp < 0xDC00 && end - p >= 6 && p[0] == '\\' && p[1] == 'u' &&
			    !hex4(p + 2, end, &lo) && lo >= 0xDC00 && lo < 0xE000) {
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				p += 6;
			}
			rc = put_utf8(b, cp);
			break;
		default:
			return -1;
		}
	}
	if (rc)
		return rc;
	if (p >= end)
		return -1;
	*pp = p + 1;
	return 0;
}

int sl_sync_key_parse(sl_sync_key *out, const char *text, size_t len, sl_arena *a)
{
	const char *p = text, *end = text + len;
	sl_buf s = SL_BUF_INIT;
	int rc = 0;
	out->n = 0;
	p = skip_ws(p, end);
	if (p >= end || *p++ != '[')
		goto bad;
	p = skip_ws(p, end);
	if (p < end && *p == ']')
		goto bad;
	for (;;) {
		if (out->n == sizeof(out->v) / sizeof(out->v[0]))
			goto bad;
		sl_value *v = &out->v[out->n];
		p = skip_ws(p, end);
		if (p >= end)
			goto bad;
		if (*p == '"') {
			p++;
			sl_buf_clear(&s);
			if ((rc = parse_string(&s, &p, end)) != 0) {
				if (rc == -1)
					goto bad;
				goto done;
			}
			char *copy = sl_arena_alloc(a, s.len + 1);
			if (!copy) {
				rc = sl_error_nomem();
				goto done;
			}
			if (s.len)
				memcpy(copy, s.ptr, s.len);
			copy[s.len] = '\0';
			*v = sl_bytes(SL_V_TEXT, copy, s.len);
		} else if (end - p >= 4 && memcmp(p, "true", 4) == 0) {
			*v = sl_bool(true);
			p += 4;
		} else if (end - p >= 5 && memcmp(p, "false", 5) == 0) {
			*v = sl_bool(false);
			p += 5;
		} else if (end - p >= 4 && memcmp(p, "null", 4) == 0) {
			*v = sl_null();
			p += 4;
		} else {
			const char *q = p;
			if (q < end && *q == '-')
				q++;
			const char *digits = q;
			while (q < end && ((*q >= '0' && *q <= '9') || *q == '.' || *q == 'e' || *q == 'E' ||
					   *q == '+' || *q == '-'))
				q++;
			if (q == digits || !(*digits >= '0' && *digits <= '9'))
				goto bad;
			*v = sl_bytes(SL_V_DECIMAL, p, (size_t)(q - p));
			p = q;
		}
		out->n++;
		p = skip_ws(p, end);
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p < end && *p == ']') {
			p = skip_ws(p + 1, end);
			if (p != end)
				goto bad;
			break;
		}
		goto bad;
	}
	goto done;
bad:
	rc = sl_error_set(SL_EINVALID, "change-log key %.*s is not a JSON array of scalars",
			  (int)(len > 200 ? 200 : len), text);
done:
	sl_buf_free(&s);
	return rc;
}
