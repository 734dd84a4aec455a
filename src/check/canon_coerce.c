/*
 * canon_coerce.c - the first step of the canonical encoding (canon.c): a
 * value of any storage becomes the (tag, payload) pair its column's kind
 * calls for - numbers from text, booleans from integers, temporals from
 * SQLite's loose text and numbers, JSON re-serialised, lists from
 * PostgreSQL array literals, JSON arrays or MySQL sets. docs/canonical.md
 * lists every rule.
 */
#include "check/canon_enc.h"
#include "sluice/error.h"

#include <ctype.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Points c at the payload written into x->tmp from offset mark. */
static void from_tmp(canon *c, const cctx *x, char tag, size_t mark)
{
	c->tag = tag;
	c->p = x->tmp->ptr ? x->tmp->ptr + mark : "";
	c->n = x->tmp->len - mark;
}

static void from_bytes(canon *c, char tag, const char *p, size_t n)
{
	c->tag = tag;
	c->p = n ? p : "";
	c->n = n;
}

static int put_ts_canon(canon *c, const cctx *x, int64_t us, bool utc)
{
	size_t mark = x->tmp->len;
	if (!x->for_key)
		us = canon_truncate_usec(us, x->o);
	int rc = canon_put_timestamp(x->tmp, us, utc);
	if (!rc)
		from_tmp(c, x, utc ? TAG_TSTZ : TAG_TS, mark);
	return rc;
}

static int put_date_canon(canon *c, const cctx *x, int32_t days)
{
	size_t mark = x->tmp->len;
	int rc = sl_format_date(x->tmp, days);
	if (!rc)
		from_tmp(c, x, TAG_DATE, mark);
	return rc;
}

static int put_time_canon(canon *c, const cctx *x, int64_t us)
{
	size_t mark = x->tmp->len;
	if (!x->for_key)
		us = canon_truncate_usec(us, x->o);
	int rc = canon_put_time_of_day(x->tmp, us);
	if (!rc)
		from_tmp(c, x, TAG_TIME, mark);
	return rc;
}

static int put_decimal_canon(canon *c, const cctx *x, const char *s, size_t n, int scale)
{
	size_t mark = x->tmp->len;
	int rc = sl_decimal_norm(x->tmp, s, n, scale);
	if (rc == 1) {
		double d;
		x->tmp->len = mark;
		if (canon_text_double(s, n, &d) && canon_double_special(d)) {
			from_bytes(c, TAG_NUM, canon_double_special(d), strlen(canon_double_special(d)));
			return 0;
		}
		from_bytes(c, TAG_TEXT, s, n);
		return 0;
	}
	if (!rc)
		from_tmp(c, x, TAG_NUM, mark);
	return rc;
}

/*
 * The shortest decimal of d without printf, when d has at most 6 decimal
 * places and fewer than 15 significant digits - the common case of money
 * kept in a REAL column (SQLite). If r = d * 10^s is an integer below 10^15
 * and r / 10^s == d (division rounds correctly), the decimal r * 10^-s reads
 * back as d, and no other decimal of at most 15 digits does, so it is the
 * shortest one. Writes it to out (at least 24 bytes) and returns its length,
 * or 0 when d is not such a number.
 */
static size_t short_decimal(char *out, double d)
{
	static const double p10[] = { 1, 10, 100, 1e3, 1e4, 1e5, 1e6 };
	for (int sc = 0; sc <= 6; sc++) {
		double m = d * p10[sc];
		if (!(fabs(m) < 1e15))
			return 0;
		double r = nearbyint(m);
		if (r / p10[sc] != d)
			continue;
		long long v = (long long)r;
		unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
		char digits[24];
		int nd = 0;
		do {
			digits[nd++] = (char)('0' + u % 10);
			u /= 10;
		} while (u);
		while (nd <= sc)
			digits[nd++] = '0'; /* at least one digit before the point */
		size_t j = 0;
		if (v < 0)
			out[j++] = '-';
		for (int k = nd - 1; k >= 0; k--) {
			out[j++] = digits[k];
			if (k == sc && sc > 0)
				out[j++] = '.';
		}
		out[j] = '\0';
		return j;
	}
	return 0;
}

static int put_double_as_decimal(canon *c, const cctx *x, double d, int scale)
{
	const char *sp = canon_double_special(d);
	if (sp) {
		from_bytes(c, TAG_NUM, sp, strlen(sp));
		return 0;
	}
	char tmp[40];
	size_t n = short_decimal(tmp, d);
	if (!n) {
		for (int prec = 15; prec <= 17; prec++) {
			snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
			if (strtod(tmp, NULL) == d)
				break;
		}
		n = strlen(tmp);
	}
	return put_decimal_canon(c, x, tmp, n, scale);
}

static int put_float_canon(canon *c, const cctx *x, double d)
{
	bool f32 = x->k == K_FLOAT32;
	size_t mark = x->tmp->len;
	if (f32 && isfinite(d))
		d = (double)(float)d;
	int rc = canon_put_double(x->tmp, d, f32);
	if (!rc) {
		from_tmp(c, x, TAG_FLOAT, mark);
		c->d = d == 0 ? 0 : d;
	}
	return rc;
}

static bool ci_applies(const cctx *x)
{
	if (x->for_key)
		return false;
	return x->o->ci_text == SL_CANON_CI_ALL ||
	       (x->o->ci_text == SL_CANON_CI_COLLATION && x->col && x->col->ci);
}

/* Text as the column says: CHAR padding stripped, case folded. */
static int put_text_canon(canon *c, const cctx *x, const char *s, size_t n)
{
	if (!x->for_key && x->o->pad_char && x->k == K_CHAR)
		while (n > 0 && s[n - 1] == ' ')
			n--;
	if (!ci_applies(x)) {
		from_bytes(c, TAG_TEXT, s, n);
		return 0;
	}
	size_t mark = x->tmp->len;
	int rc = canon_fold_text(x->tmp, s, n);
	if (!rc)
		from_tmp(c, x, TAG_TEXT, mark);
	return rc;
}

static int put_json_canon(canon *c, const cctx *x, const char *s, size_t n)
{
	size_t mark = x->tmp->len;
	int rc = canon_json_canon(x->tmp, s, n);
	if (rc == 1) {
		from_bytes(c, TAG_TEXT, s, n);
		return 0;
	}
	if (!rc)
		from_tmp(c, x, TAG_JSON, mark);
	return rc;
}

static int put_uuid_canon(canon *c, const cctx *x, const uint8_t u[16])
{
	size_t mark = x->tmp->len;
	int rc = sl_format_uuid(x->tmp, u);
	if (!rc)
		from_tmp(c, x, TAG_UUID, mark);
	return rc;
}

/* Coercion by the value's own type: the fallback of every column kind. */
static int coerce_generic(canon *c, const cctx *x, const sl_value *v)
{
	size_t mark = x->tmp->len;
	int rc = 0;
	switch (v->type) {
	case SL_V_NULL:
		from_bytes(c, TAG_NULL, "", 0);
		return 0;
	case SL_V_BOOL:
		from_bytes(c, TAG_BOOL, v->u.b ? "true" : "false", v->u.b ? 4 : 5);
		return 0;
	case SL_V_INT:
		rc = canon_put_int(x->tmp, v->u.i);
		if (!rc)
			from_tmp(c, x, TAG_NUM, mark);
		return rc;
	case SL_V_DOUBLE:
		return put_float_canon(c, x, v->u.d);
	case SL_V_DECIMAL:
		return put_decimal_canon(c, x, v->u.s.ptr, v->u.s.len, -1);
	case SL_V_TEXT:
		return put_text_canon(c, x, v->u.s.ptr, v->u.s.len);
	case SL_V_BLOB:
		from_bytes(c, TAG_BLOB, v->u.s.ptr, v->u.s.len);
		return 0;
	case SL_V_DATE:
		return put_date_canon(c, x, v->u.date);
	case SL_V_TIME:
		return put_time_canon(c, x, v->u.time);
	case SL_V_TIMESTAMP:
		return put_ts_canon(c, x, v->u.ts, false);
	case SL_V_TIMESTAMPTZ:
		return put_ts_canon(c, x, v->u.ts, true);
	case SL_V_UUID:
		return put_uuid_canon(c, x, v->u.uuid);
	case SL_V_JSON:
		return put_json_canon(c, x, v->u.s.ptr, v->u.s.len);
	default:
		return sl_error_set(SL_EINVALID, "unknown value type %d", (int)v->type);
	}
}

static bool is_textual(const sl_value *v)
{
	return v->type == SL_V_TEXT || v->type == SL_V_DECIMAL;
}

static int coerce_bool(canon *c, const cctx *x, const sl_value *v)
{
	int b = -1;
	if (v->type == SL_V_INT && (v->u.i == 0 || v->u.i == 1))
		b = v->u.i == 1;
	else if (v->type == SL_V_DOUBLE && (v->u.d == 0 || v->u.d == 1))
		b = v->u.d == 1;
	else if (is_textual(v))
		b = sl_read_bool(v->u.s.ptr, v->u.s.len);
	if (b < 0)
		return coerce_generic(c, x, v);
	from_bytes(c, TAG_BOOL, b ? "true" : "false", b ? 4 : 5);
	return 0;
}

static int coerce_exact(canon *c, const cctx *x, const sl_value *v)
{
	int scale = x->k == K_DECIMAL && x->col ? x->col->scale : -1;
	switch (v->type) {
	case SL_V_BOOL:
		from_bytes(c, TAG_NUM, v->u.b ? "1" : "0", 1);
		return 0;
	case SL_V_DOUBLE:
		return put_double_as_decimal(c, x, v->u.d, scale);
	case SL_V_DECIMAL:
	case SL_V_TEXT:
		return put_decimal_canon(c, x, v->u.s.ptr, v->u.s.len, scale);
	default:
		return coerce_generic(c, x, v);
	}
}

static int coerce_float(canon *c, const cctx *x, const sl_value *v)
{
	double d;
	if (v->type != SL_V_BOOL && canon_value_double(v, &d))
		return put_float_canon(c, x, d);
	return coerce_generic(c, x, v);
}

static int coerce_text(canon *c, const cctx *x, const sl_value *v)
{
	if (v->type == SL_V_NULL)
		return coerce_generic(c, x, v);
	if (v->type == SL_V_TEXT || v->type == SL_V_BLOB || v->type == SL_V_JSON || v->type == SL_V_DECIMAL)
		return put_text_canon(c, x, v->u.s.ptr, v->u.s.len);
	/* other values in a text column compare by their display text */
	sl_buf disp = SL_BUF_INIT;
	int rc = sl_value_format(&disp, v);
	size_t mark = x->tmp->len;
	if (!rc)
		rc = sl_buf_put(x->tmp, disp.ptr ? disp.ptr : "", disp.len);
	sl_buf_free(&disp);
	if (!rc) {
		/* re-run the text rules over the copy; x->tmp may grow, so keep offsets */
		canon t;
		from_tmp(&t, x, TAG_TEXT, mark);
		size_t n = t.n;
		if (ci_applies(x) || (x->o->pad_char && x->k == K_CHAR)) {
			char *copy = malloc(n ? n : 1);
			if (!copy)
				return sl_error_nomem();
			memcpy(copy, t.p, n);
			x->tmp->len = mark;
			rc = put_text_canon(c, x, copy, n);
			if (!rc && c->p == copy) {
				/* no folding happened: keep the bytes in tmp */
				mark = x->tmp->len;
				rc = sl_buf_put(x->tmp, copy, c->n);
				if (!rc)
					from_tmp(c, x, TAG_TEXT, mark);
			}
			free(copy);
		} else {
			*c = t;
		}
	}
	return rc;
}

static int coerce_blob(canon *c, const cctx *x, const sl_value *v)
{
	if (v->type == SL_V_BLOB || v->type == SL_V_TEXT) {
		from_bytes(c, TAG_BLOB, v->u.s.ptr, v->u.s.len);
		return 0;
	}
	if (v->type == SL_V_UUID) {
		size_t mark = x->tmp->len;
		int rc = sl_buf_put(x->tmp, v->u.uuid, 16);
		if (!rc)
			from_tmp(c, x, TAG_BLOB, mark);
		return rc;
	}
	return coerce_generic(c, x, v);
}

static int coerce_temporal(canon *c, const cctx *x, const sl_value *v)
{
	int64_t us = 0;
	bool zone = false;
	switch (v->type) {
	case SL_V_DATE:
		if (x->k == K_DATE || x->k == K_TIME)
			return put_date_canon(c, x, v->u.date);
		us = (int64_t)v->u.date * SL_USEC_PER_DAY;
		break;
	case SL_V_TIMESTAMP:
	case SL_V_TIMESTAMPTZ:
		us = v->u.ts;
		zone = v->type == SL_V_TIMESTAMPTZ;
		break;
	case SL_V_TEXT: {
		const char *s = v->u.s.ptr;
		size_t n = v->u.s.len;
		int32_t days;
		int64_t t;
		if (x->k == K_TIME && sl_parse_time(s, n, &t) == 0)
			return put_time_canon(c, x, t);
		if (x->k == K_DATE && sl_parse_date(s, n, &days) == 0)
			return put_date_canon(c, x, days);
		if (sl_parse_timestamp(s, n, &us, &zone) != 0) {
			sl_error_clear();
			return coerce_generic(c, x, v);
		}
		break;
	}
	case SL_V_INT:
	case SL_V_DOUBLE:
	case SL_V_DECIMAL:
		if (x->k == K_TIME || !canon_epoch_usec(v, x->o, &us))
			return coerce_generic(c, x, v);
		zone = x->k == K_TSTZ;
		break;
	default:
		return coerce_generic(c, x, v);
	}
	if (x->k == K_TIME)
		return coerce_generic(c, x, v);
	/* a zoned value in a naive column (SQLite text with an offset): its UTC wall clock, as the copy
	 * writes it */
	if (x->k == K_TS || x->k == K_DATE)
		zone = false;
	if (x->k == K_DATE && !zone && us % SL_USEC_PER_DAY == 0 && us / SL_USEC_PER_DAY >= INT32_MIN &&
	    us / SL_USEC_PER_DAY <= INT32_MAX)
		return put_date_canon(c, x, (int32_t)(us / SL_USEC_PER_DAY));
	return put_ts_canon(c, x, us, zone || x->k == K_TSTZ);
}

static int coerce_uuid(canon *c, const cctx *x, const sl_value *v)
{
	uint8_t u[16];
	if (v->type == SL_V_TEXT) {
		const char *s = v->u.s.ptr;
		size_t n = v->u.s.len;
		while (n && isspace((unsigned char)*s))
			s++, n--;
		while (n && isspace((unsigned char)s[n - 1]))
			n--;
		if (sl_parse_uuid(s, n, u) == 0)
			return put_uuid_canon(c, x, u);
		sl_error_clear();
	} else if (v->type == SL_V_BLOB && v->u.s.len == 16) {
		memcpy(u, v->u.s.ptr, 16);
		return put_uuid_canon(c, x, u);
	}
	return coerce_generic(c, x, v);
}

/*
 * A value in a JSON column means the JSON document it spells or is: text and
 * blobs are JSON text; a number or boolean (SQLite keeps a JSON number typed
 * into a JSON column as INTEGER or REAL) is that JSON scalar.
 */
static int coerce_json(canon *c, const cctx *x, const sl_value *v)
{
	if (v->type == SL_V_TEXT || v->type == SL_V_JSON || v->type == SL_V_BLOB)
		return put_json_canon(c, x, v->u.s.ptr, v->u.s.len);
	if (v->type != SL_V_INT && v->type != SL_V_BOOL && v->type != SL_V_DECIMAL &&
	    !(v->type == SL_V_DOUBLE && isfinite(v->u.d)))
		return coerce_generic(c, x, v);
	sl_buf t = SL_BUF_INIT;
	int rc = sl_value_format(&t, v);
	size_t mark = x->tmp->len;
	if (!rc)
		rc = canon_json_canon(x->tmp, t.ptr ? t.ptr : "", t.len);
	sl_buf_free(&t);
	if (rc == 1) { /* a decimal that is no JSON number (NaN) */
		x->tmp->len = mark;
		return coerce_generic(c, x, v);
	}
	if (!rc)
		from_tmp(c, x, TAG_JSON, mark);
	return rc;
}

/*
 * A bit string compares by the number its bits spell, however it arrives:
 * PostgreSQL bit text "00101", MySQL BIT as an integer (a decimal above
 * 2^63), SQLite INTEGER. Longer strings, and text that is no bit string,
 * compare as they are.
 */
static int coerce_bit(canon *c, const cctx *x, const sl_value *v)
{
	uint64_t u = 0;
	char tmp[24];
	switch (v->type) {
	case SL_V_INT:
		u = (uint64_t)v->u.i; /* a negative BIT(64) read as signed is the same bits */
		break;
	case SL_V_BOOL:
		u = v->u.b;
		break;
	case SL_V_TEXT:
		if (v->u.s.len > 64)
			return coerce_generic(c, x, v);
		for (size_t i = 0; i < v->u.s.len; i++) {
			if (v->u.s.ptr[i] != '0' && v->u.s.ptr[i] != '1')
				return coerce_generic(c, x, v);
			u = (u << 1) | (uint64_t)(v->u.s.ptr[i] - '0');
		}
		break;
	case SL_V_BLOB:
		if (v->u.s.len > 8)
			return coerce_generic(c, x, v);
		for (size_t i = 0; i < v->u.s.len; i++)
			u = (u << 8) | (unsigned char)v->u.s.ptr[i];
		break;
	default:
		return coerce_exact(c, x, v);
	}
	size_t mark = x->tmp->len;
	int n = snprintf(tmp, sizeof(tmp), "%" PRIu64, u);
	int rc = sl_buf_put(x->tmp, tmp, (size_t)n);
	if (!rc)
		from_tmp(c, x, TAG_NUM, mark);
	return rc;
}

/* ---- lists ---------------------------------------------------------------- */

/*
 * A list column compares its elements as texts, whatever form it arrives in:
 * a PostgreSQL array literal {a,"b c",NULL}, a JSON array ["a","b c",null]
 * (the copy of an array on MySQL and SQLite), or MySQL SET text a,b. The
 * canonical form is a compact JSON array of strings and nulls. Nested
 * arrays and anything that does not parse are compared as their text.
 * Returns 1 when v is not a flat list.
 */
static int list_elem(sl_buf *out, size_t *count, const char *p, size_t n, bool is_null)
{
	int rc = *count ? sl_buf_putc(out, ',') : 0;
	(*count)++;
	if (!rc)
		rc = is_null ? sl_buf_puts(out, "null") : canon_json_put_string(out, p, n);
	return rc;
}

static size_t skip_ws(const char *s, size_t n, size_t i)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

static int list_from_pg(sl_buf *out, const char *s, size_t n)
{
	sl_buf el = SL_BUF_INIT;
	size_t count = 0, i = skip_ws(s, n, 1);
	int rc = sl_buf_putc(out, '[');
	if (!rc && i < n && s[i] == '}') {
		i++;
	} else {
		while (!rc) {
			i = skip_ws(s, n, i);
			if (i >= n || s[i] == '{') {
				rc = 1;
				break;
			}
			if (s[i] == '"') {
				sl_buf_clear(&el);
				for (i++; !rc && i < n && s[i] != '"'; i++) {
					if (s[i] == '\\' && i + 1 < n)
						i++;
					rc = sl_buf_putc(&el, s[i]);
				}
				if (!rc && i >= n)
					rc = 1;
				if (!rc)
					rc = list_elem(out, &count, sl_buf_cstr(&el), el.len, false);
				i++;
			} else {
				size_t b = i;
				while (i < n && s[i] != ',' && s[i] != '}')
					i++;
				size_t e = i;
				while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t'))
					e--;
				bool null = e - b == 4 && strncasecmp(s + b, "NULL", 4) == 0;
				rc = list_elem(out, &count, s + b, e - b, null);
			}
			i = skip_ws(s, n, i);
			if (!rc && i < n && s[i] == ',') {
				i++;
				continue;
			}
			if (!rc && i < n && s[i] == '}') {
				i++;
				break;
			}
			if (!rc)
				rc = 1;
		}
	}
	if (!rc && skip_ws(s, n, i) != n)
		rc = 1;
	sl_buf_free(&el);
	return rc ? rc : sl_buf_putc(out, ']');
}

static int list_from_json(sl_buf *out, const char *s, size_t n)
{
	json_error_t err;
	json_t *j = json_loadb(s, n, JSON_ALLOW_NUL, &err);
	if (!j || !json_is_array(j)) {
		json_decref(j);
		return 1;
	}
	size_t count = 0, idx;
	json_t *v;
	int rc = sl_buf_putc(out, '[');
	sl_buf num = SL_BUF_INIT;
	json_array_foreach(j, idx, v)
	{
		if (rc)
			break;
		sl_buf_clear(&num);
		switch (json_typeof(v)) {
		case JSON_STRING:
			rc = list_elem(out, &count, json_string_value(v), json_string_length(v), false);
			break;
		case JSON_NULL:
			rc = list_elem(out, &count, NULL, 0, true);
			break;
		case JSON_INTEGER:
		case JSON_REAL:
			rc = canon_json_put_number(&num, json_number_value(v));
			if (!rc)
				rc = list_elem(out, &count, sl_buf_cstr(&num), num.len, false);
			break;
		case JSON_TRUE:
		case JSON_FALSE:
			rc = list_elem(out, &count, json_is_true(v) ? "true" : "false",
				       json_is_true(v) ? 4 : 5, false);
			break;
		default:
			rc = 1; /* nested */
		}
	}
	sl_buf_free(&num);
	json_decref(j);
	return rc ? rc : sl_buf_putc(out, ']');
}

static int list_from_set(sl_buf *out, const char *s, size_t n)
{
	size_t count = 0;
	int rc = sl_buf_putc(out, '[');
	for (size_t b = 0; !rc && n && b <= n;) {
		const char *comma = memchr(s + b, ',', n - b);
		size_t e = comma ? (size_t)(comma - s) : n;
		rc = list_elem(out, &count, s + b, e - b, false);
		b = e + 1;
	}
	return rc ? rc : sl_buf_putc(out, ']');
}

static int coerce_list(canon *c, const cctx *x, const sl_value *v)
{
	if (v->type != SL_V_TEXT && v->type != SL_V_JSON)
		return coerce_generic(c, x, v);
	const char *s = v->u.s.ptr;
	size_t n = v->u.s.len, mark = x->tmp->len, i = skip_ws(s, n, 0);
	int rc;
	if (i < n && s[i] == '{')
		rc = list_from_pg(x->tmp, s + i, n - i);
	else if (i < n && s[i] == '[')
		rc = list_from_json(x->tmp, s, n);
	else
		rc = list_from_set(x->tmp, s, n);
	if (rc == 1) {
		x->tmp->len = mark;
		return coerce_generic(c, x, v);
	}
	if (!rc)
		from_tmp(c, x, TAG_LIST, mark);
	return rc;
}

int canon_coerce(canon *c, const cctx *x, const sl_value *v)
{
	c->d = 0;
	if (v->type == SL_V_NULL)
		return coerce_generic(c, x, v);
	switch (x->k) {
	case K_BOOL:
		return coerce_bool(c, x, v);
	case K_INT:
	case K_DECIMAL:
		return coerce_exact(c, x, v);
	case K_FLOAT:
	case K_FLOAT32:
		return coerce_float(c, x, v);
	case K_TEXT:
	case K_CHAR:
		return coerce_text(c, x, v);
	case K_BLOB:
		return coerce_blob(c, x, v);
	case K_DATE:
	case K_TIME:
	case K_TS:
	case K_TSTZ:
		return coerce_temporal(c, x, v);
	case K_UUID:
		return coerce_uuid(c, x, v);
	case K_JSON:
		return coerce_json(c, x, v);
	case K_BIT:
		return coerce_bit(c, x, v);
	case K_LIST:
		return coerce_list(c, x, v);
	default:
		return coerce_generic(c, x, v);
	}
}
