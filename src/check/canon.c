/*
 * canon.c - canonical encoding of values (include/sluice/canon.h).
 *
 * Two steps: coerce() turns a value into a (tag, payload) pair directed by
 * the column's kind, then put_encoded() writes it as tag, payload length,
 * ':' and payload ("#3:1.5", "T0:", "N"). Comparison and key ordering work on
 * the coerced pairs. The coercion is in canon_coerce.c; this file holds the
 * column kinds, the payload writers (numbers, text folding, JSON, temporals)
 * and the public API. docs/canonical.md lists every rule; when one changes
 * here, change it there and in tests/unit/test_canon.c.
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

static const sl_canon_opts default_opts = SL_CANON_OPTS_INIT;

static kclass kind_class(const sl_canon_col *col)
{
	if (!col)
		return K_ANY;
	switch (col->kind) {
	case SL_T_BOOL:
		return K_BOOL;
	case SL_T_INT16:
	case SL_T_INT32:
	case SL_T_INT64:
		return K_INT;
	case SL_T_DECIMAL:
		return K_DECIMAL;
	case SL_T_FLOAT32:
		return K_FLOAT32;
	case SL_T_FLOAT64:
		return K_FLOAT;
	case SL_T_CHAR:
		return K_CHAR;
	case SL_T_VARCHAR:
	case SL_T_TEXT:
	case SL_T_ENUM:
	case SL_T_SET:
		return K_TEXT;
	case SL_T_BLOB:
		return K_BLOB;
	case SL_T_DATE:
		return K_DATE;
	case SL_T_TIME:
		return K_TIME;
	case SL_T_TIMESTAMP:
		return K_TS;
	case SL_T_TIMESTAMPTZ:
		return K_TSTZ;
	case SL_T_UUID:
		return K_UUID;
	case SL_T_JSON:
		return K_JSON;
	case SL_T_ARRAY:
		return K_LIST;
	case SL_T_BIT:
		return K_BIT;
	default:
		return K_ANY;
	}
}

/* ---- columns ---------------------------------------------------------- */

static bool collation_ci(const char *coll)
{
	if (!coll)
		return false;
	size_t n = strlen(coll);
	if (n >= 3 && strcasecmp(coll + n - 3, "_ci") == 0)
		return true;
	return strcasestr(coll, "nocase") != NULL || strcasestr(coll, "_ci_") != NULL ||
	       strcasestr(coll, "-ks-level1") != NULL || strcasestr(coll, "-ks-level2") != NULL;
}

void sl_canon_col_from_column(sl_canon_col *out, const sl_column *c)
{
	sl_canon_col d = SL_CANON_COL_INIT;
	if (c) {
		d.kind = c->type.kind;
		if (d.kind == SL_T_DECIMAL && (c->type.precision > 0 || c->type.scale > 0))
			d.scale = c->type.scale;
		d.ci = collation_ci(c->collation);
	}
	*out = d;
}

static bool is_int_kind(sl_tkind k)
{
	return k == SL_T_INT16 || k == SL_T_INT32 || k == SL_T_INT64;
}

static bool is_text_kind(sl_tkind k)
{
	return k == SL_T_CHAR || k == SL_T_VARCHAR || k == SL_T_TEXT || k == SL_T_ENUM || k == SL_T_SET;
}

static bool is_generic_kind(sl_tkind k)
{
	return k == SL_T_UNKNOWN || k == SL_T_OTHER || k == SL_T_VARCHAR || k == SL_T_TEXT;
}

/* The kind that wins when two engines disagree; a is the source's. */
static sl_tkind merge_kind(sl_tkind a, sl_tkind b)
{
	if (a == b)
		return a;
	/* a list on one side (PostgreSQL array) and its copy as JSON, SET or text on the other */
	if ((a == SL_T_ARRAY || b == SL_T_ARRAY) &&
	    (is_text_kind(a) || is_text_kind(b) || a == SL_T_JSON || b == SL_T_JSON || a == SL_T_UNKNOWN ||
	     b == SL_T_UNKNOWN))
		return SL_T_ARRAY;
	if (a == SL_T_BOOL || b == SL_T_BOOL)
		return SL_T_BOOL;
	if (a == SL_T_FLOAT32 || b == SL_T_FLOAT32)
		return SL_T_FLOAT32;
	if (a == SL_T_FLOAT64 || b == SL_T_FLOAT64)
		return SL_T_FLOAT64;
	if (a == SL_T_DECIMAL || b == SL_T_DECIMAL)
		return SL_T_DECIMAL;
	if (is_int_kind(a) && is_int_kind(b))
		return SL_T_INT64;
	if ((a == SL_T_TIMESTAMP && b == SL_T_TIMESTAMPTZ) || (b == SL_T_TIMESTAMP && a == SL_T_TIMESTAMPTZ))
		return SL_T_TIMESTAMPTZ;
	if (a == SL_T_CHAR && is_text_kind(b))
		return SL_T_CHAR;
	if (b == SL_T_CHAR && is_text_kind(a))
		return SL_T_CHAR;
	if (is_generic_kind(a) && !is_generic_kind(b))
		return b;
	if (is_generic_kind(b) && !is_generic_kind(a))
		return a;
	if (is_text_kind(a) && is_text_kind(b))
		return SL_T_TEXT;
	return a != SL_T_UNKNOWN ? a : b;
}

void sl_canon_col_merge(sl_canon_col *out, const sl_column *src, const sl_column *dst)
{
	sl_canon_col a, b;
	sl_canon_col_from_column(&a, src);
	sl_canon_col_from_column(&b, dst);
	if (!src) {
		*out = b;
		return;
	}
	if (!dst) {
		*out = a;
		return;
	}
	out->kind = merge_kind(a.kind, b.kind);
	out->scale = a.scale > b.scale ? a.scale : b.scale;
	if (out->kind != SL_T_DECIMAL)
		out->scale = -1;
	out->ci = a.ci || b.ci;
}

/* ---- numbers ---------------------------------------------------------- */

/* Named special doubles; NULL for finite values. */
const char *canon_double_special(double d)
{
	if (isnan(d))
		return "NaN";
	if (isinf(d))
		return d > 0 ? "Infinity" : "-Infinity";
	return NULL;
}

/* Shortest round-trip text of d; float32 when f32. -0 is written as 0. */
int canon_put_double(sl_buf *out, double d, bool f32)
{
	const char *sp = canon_double_special(d);
	if (sp)
		return sl_buf_puts(out, sp);
	if (d == 0)
		return sl_buf_putc(out, '0');
	char tmp[40];
	if (f32) {
		float f = (float)d;
		for (int prec = 6; prec <= 9; prec++) {
			snprintf(tmp, sizeof(tmp), "%.*g", prec, (double)f);
			if (strtof(tmp, NULL) == f)
				break;
		}
	} else {
		for (int prec = 15; prec <= 17; prec++) {
			snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
			if (strtod(tmp, NULL) == d)
				break;
		}
	}
	return sl_buf_puts(out, tmp);
}

/* Parses text as a double (whole input, surrounding blanks refused). */
bool canon_text_double(const char *s, size_t n, double *out)
{
	char tmp[128];
	if (n == 0 || n >= sizeof(tmp) || isspace((unsigned char)s[0]))
		return false;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (strcasecmp(tmp, "nan") == 0) {
		*out = NAN;
		return true;
	}
	if (strcasecmp(tmp, "infinity") == 0 || strcasecmp(tmp, "inf") == 0) {
		*out = INFINITY;
		return true;
	}
	if (strcasecmp(tmp, "-infinity") == 0 || strcasecmp(tmp, "-inf") == 0) {
		*out = -INFINITY;
		return true;
	}
	char *end = NULL;
	double d = strtod(tmp, &end);
	if (end != tmp + n || isnan(d) || isinf(d))
		return false;
	*out = d;
	return true;
}

/* The value as a double, for float columns and tolerances. */
bool canon_value_double(const sl_value *v, double *out)
{
	switch (v->type) {
	case SL_V_DOUBLE:
		*out = v->u.d;
		return true;
	case SL_V_INT:
		*out = (double)v->u.i;
		return true;
	case SL_V_DECIMAL:
	case SL_V_TEXT:
		return canon_text_double(v->u.s.ptr, v->u.s.len, out);
	default:
		return false;
	}
}

/* ---- text --------------------------------------------------------------- */

/* Simple case folding: ASCII, Latin-1, Latin Extended-A, Greek, Cyrillic. */
static uint32_t fold_cp(uint32_t c)
{
	if (c < 0x80)
		return c >= 'A' && c <= 'Z' ? c + 32 : c;
	if (c >= 0xC0 && c <= 0xDE && c != 0xD7)
		return c + 32;
	if ((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177))
		return c | 1u;
	if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E))
		return (c & 1u) ? c + 1 : c;
	if (c == 0x178)
		return 0xFF;
	if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2)
		return c + 32;
	if (c >= 0x410 && c <= 0x42F)
		return c + 32;
	if (c >= 0x400 && c <= 0x40F)
		return c + 80;
	return c;
}

/* Length of the valid UTF-8 sequence at s (1-4) with its code point, or 0. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	size_t len = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
	if (!len || len > n || s[0] > 0xF4)
		return 0;
	uint32_t c = s[0] & (0x3Fu >> (len - 1));
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3Fu);
	}
	static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	if (c < min[len] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return len;
}

static int utf8_put(sl_buf *out, uint32_t c)
{
	char b[4];
	size_t n;
	if (c < 0x80) {
		b[0] = (char)c, n = 1;
	} else if (c < 0x800) {
		b[0] = (char)(0xC0 | (c >> 6)), b[1] = (char)(0x80 | (c & 0x3F)), n = 2;
	} else if (c < 0x10000) {
		b[0] = (char)(0xE0 | (c >> 12)), b[1] = (char)(0x80 | ((c >> 6) & 0x3F));
		b[2] = (char)(0x80 | (c & 0x3F)), n = 3;
	} else {
		b[0] = (char)(0xF0 | (c >> 18)), b[1] = (char)(0x80 | ((c >> 12) & 0x3F));
		b[2] = (char)(0x80 | ((c >> 6) & 0x3F)), b[3] = (char)(0x80 | (c & 0x3F)), n = 4;
	}
	return sl_buf_put(out, b, n);
}

/* Appends s folded to lower case; bytes that are not valid UTF-8 pass unchanged. */
int canon_fold_text(sl_buf *out, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	int rc = sl_buf_grow(out, n);
	for (size_t i = 0; !rc && i < n;) {
		uint32_t cp;
		size_t k = utf8_decode(u + i, n - i, &cp);
		if (!k) {
			rc = sl_buf_putc(out, s[i]);
			i++;
			continue;
		}
		rc = k == 1 ? sl_buf_putc(out, (char)fold_cp(cp)) : utf8_put(out, fold_cp(cp));
		i += k;
	}
	return rc;
}

/* ---- JSON --------------------------------------------------------------- */

int canon_json_put_string(sl_buf *out, const char *s, size_t n)
{
	int rc = sl_buf_putc(out, '"');
	for (size_t i = 0; !rc && i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			rc = sl_buf_put(out, e, 2);
		} else if (c < 0x20) {
			rc = sl_buf_printf(out, "\\u%04x", c);
		} else {
			rc = sl_buf_putc(out, (char)c);
		}
	}
	return rc ? rc : sl_buf_putc(out, '"');
}

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Numbers: integral values below 2^53 as integers, others shortest round-trip. */
int canon_json_put_number(sl_buf *out, double d)
{
	if (d == 0)
		return sl_buf_putc(out, '0');
	if (d == floor(d) && fabs(d) < 9007199254740992.0)
		return sl_buf_printf(out, "%.0f", d);
	return canon_put_double(out, d, false);
}

static int json_put(sl_buf *out, json_t *j)
{
	int rc = 0;
	const char **keys = NULL;
	switch (json_typeof(j)) {
	case JSON_OBJECT: {
		size_t n = json_object_size(j), i = 0;
		keys = malloc((n ? n : 1) * sizeof(*keys));
		if (!keys) {
			rc = sl_error_nomem();
			goto done;
		}
		const char *k;
		json_t *v;
		json_object_foreach(j, k, v) keys[i++] = k;
		qsort(keys, n, sizeof(*keys), cmp_cstr);
		rc = sl_buf_putc(out, '{');
		for (i = 0; !rc && i < n; i++) {
			if (i)
				rc = sl_buf_putc(out, ',');
			if (!rc)
				rc = canon_json_put_string(out, keys[i], strlen(keys[i]));
			if (!rc)
				rc = sl_buf_putc(out, ':');
			if (!rc)
				rc = json_put(out, json_object_get(j, keys[i]));
		}
		if (!rc)
			rc = sl_buf_putc(out, '}');
		break;
	}
	case JSON_ARRAY:
		rc = sl_buf_putc(out, '[');
		for (size_t i = 0; !rc && i < json_array_size(j); i++) {
			if (i)
				rc = sl_buf_putc(out, ',');
			if (!rc)
				rc = json_put(out, json_array_get(j, i));
		}
		if (!rc)
			rc = sl_buf_putc(out, ']');
		break;
	case JSON_STRING:
		rc = canon_json_put_string(out, json_string_value(j), json_string_length(j));
		break;
	case JSON_INTEGER:
		rc = sl_buf_printf(out, "%" PRId64, (int64_t)json_integer_value(j));
		break;
	case JSON_REAL:
		rc = canon_json_put_number(out, json_real_value(j));
		break;
	case JSON_TRUE:
		rc = sl_buf_puts(out, "true");
		break;
	case JSON_FALSE:
		rc = sl_buf_puts(out, "false");
		break;
	default:
		rc = sl_buf_puts(out, "null");
		break;
	}
done:
	free(keys);
	return rc;
}

/* Canonical JSON of s into out; 1 when s is not valid JSON (out untouched). */
int canon_json_canon(sl_buf *out, const char *s, size_t n)
{
	json_error_t err;
	json_t *j = json_loadb(s, n, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, &err);
	if (!j)
		return 1;
	size_t mark = out->len;
	int rc = json_put(out, j);
	json_decref(j);
	if (rc)
		out->len = mark;
	return rc;
}

/* Appends the decimal digits of x (no printf: this is the hot path). */
int canon_put_int(sl_buf *out, int64_t x)
{
	char tmp[24];
	size_t i = sizeof(tmp);
	uint64_t u = x < 0 ? (uint64_t)0 - (uint64_t)x : (uint64_t)x;
	do {
		tmp[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (x < 0)
		tmp[--i] = '-';
	return sl_buf_put(out, tmp + i, sizeof(tmp) - i);
}

/* Appends x as exactly width digits (0 <= x < 10^width). */
static void put_fixed(char *p, int64_t x, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + x % 10);
		x /= 10;
	}
}

/* ---- temporals ---------------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Drops fractional digits beyond the option's precision (toward -infinity). */
int64_t canon_truncate_usec(int64_t us, const sl_canon_opts *o)
{
	static const int64_t unit[] = { 1000000, 100000, 10000, 1000, 100, 10, 1 };
	int p = o->timestamp_precision;
	if (p < 0 || p >= 6)
		return us;
	return floor_div(us, unit[p]) * unit[p];
}

int canon_put_time_of_day(sl_buf *out, int64_t us)
{
	int64_t s = us / SL_USEC_PER_SEC;
	if (s / 3600 > 99)
		return sl_buf_printf(out, "%" PRId64, us);
	char t[15] = "00:00:00.000000";
	put_fixed(t, s / 3600, 2);
	put_fixed(t + 3, s / 60 % 60, 2);
	put_fixed(t + 6, s % 60, 2);
	put_fixed(t + 9, us % SL_USEC_PER_SEC, 6);
	return sl_buf_put(out, t, sizeof(t));
}

int canon_put_timestamp(sl_buf *out, int64_t us, bool utc)
{
	int64_t days = floor_div(us, SL_USEC_PER_DAY);
	int64_t rem = us - days * SL_USEC_PER_DAY;
	if (days < INT32_MIN || days > INT32_MAX)
		return sl_buf_printf(out, "@%" PRId64, us);
	int rc = sl_format_date(out, (int32_t)days);
	if (!rc)
		rc = sl_buf_putc(out, 'T');
	if (!rc)
		rc = canon_put_time_of_day(out, rem);
	if (!rc && utc)
		rc = sl_buf_putc(out, 'Z');
	return rc;
}

/*
 * A number in a temporal column as microseconds since the epoch
 * (opts->epoch): AUTO reads it as the copy does (sl_read_epoch: seconds,
 * milliseconds or microseconds by magnitude, Julian day numbers);
 * SECONDS as Unix seconds only.
 */
bool canon_epoch_usec(const sl_value *v, const sl_canon_opts *o, int64_t *out)
{
	double d;
	if (o->epoch == SL_CANON_EPOCH_NONE)
		return false;
	if (o->epoch == SL_CANON_EPOCH_AUTO) {
		if (v->type != SL_V_DECIMAL)
			return sl_read_epoch(v, out);
		if (!canon_value_double(v, &d))
			return false;
		sl_value dv = sl_double(d);
		return sl_read_epoch(&dv, out);
	}
	if (v->type == SL_V_INT) {
		if (v->u.i > INT64_MAX / SL_USEC_PER_SEC || v->u.i < INT64_MIN / SL_USEC_PER_SEC)
			return false;
		*out = v->u.i * SL_USEC_PER_SEC;
		return true;
	}
	if ((v->type != SL_V_DOUBLE && v->type != SL_V_DECIMAL) || !canon_value_double(v, &d) || !isfinite(d))
		return false;
	double us = nearbyint(d * 1e6);
	if (us >= 9.2e18 || us <= -9.2e18)
		return false;
	*out = (int64_t)us;
	return true;
}

static int check_opts(const sl_canon_opts *o)
{
	if (o->timestamp_precision < 0 || o->timestamp_precision > 6)
		return sl_error_set(SL_EINVALID, "timestamp precision %d is not between 0 and 6",
				    o->timestamp_precision);
	if (o->float_abs_tol < 0 || o->float_rel_tol < 0 || isnan(o->float_abs_tol) ||
	    isnan(o->float_rel_tol))
		return sl_error_set(SL_EINVALID, "float tolerance must be a non-negative number");
	return 0;
}

static int put_encoded(sl_buf *out, const canon *c)
{
	if (c->tag == TAG_NULL)
		return sl_buf_putc(out, TAG_NULL);
	int rc = sl_buf_putc(out, c->tag);
	if (!rc)
		rc = canon_put_int(out, (int64_t)c->n);
	if (!rc)
		rc = sl_buf_putc(out, ':');
	return rc ? rc : sl_buf_put(out, c->p, c->n);
}

int sl_canon_value_scratch(sl_buf *out, sl_buf *scratch, const sl_value *v, const sl_canon_col *col,
			   const sl_canon_opts *opts)
{
	const sl_canon_opts *o = opts ? opts : &default_opts;
	canon c;
	int rc = check_opts(o);
	if (rc)
		return rc;
	sl_buf_clear(scratch);
	cctx x = { .col = col, .o = o, .k = kind_class(col), .for_key = false, .tmp = scratch };
	rc = canon_coerce(&c, &x, v);
	if (!rc)
		rc = put_encoded(out, &c);
	return rc;
}

int sl_canon_value(sl_buf *out, const sl_value *v, const sl_canon_col *col, const sl_canon_opts *opts)
{
	sl_buf tmp = SL_BUF_INIT;
	int rc = sl_canon_value_scratch(out, &tmp, v, col, opts);
	sl_buf_free(&tmp);
	return rc;
}

static bool tolerance_applies(const sl_value *a, const sl_value *b, const sl_canon_col *col,
			      const sl_canon_opts *o)
{
	if (o->float_abs_tol <= 0 && o->float_rel_tol <= 0)
		return false;
	kclass k = kind_class(col);
	if (k == K_FLOAT || k == K_FLOAT32)
		return true;
	return (a->type == SL_V_DOUBLE || b->type == SL_V_DOUBLE) &&
	       (k == K_ANY || k == K_DECIMAL || k == K_INT);
}

static bool within_tolerance(double a, double b, const sl_canon_opts *o)
{
	if (isnan(a) || isnan(b))
		return isnan(a) && isnan(b);
	if (a == b)
		return true;
	if (isinf(a) || isinf(b))
		return false;
	double diff = fabs(a - b);
	if (o->float_abs_tol > 0 && diff <= o->float_abs_tol)
		return true;
	double m = fmax(fabs(a), fabs(b));
	return o->float_rel_tol > 0 && diff <= o->float_rel_tol * m;
}

bool sl_canon_equal(const sl_value *a, const sl_value *b, const sl_canon_col *col, const sl_canon_opts *o)
{
	if (!o)
		o = &default_opts;
	if (tolerance_applies(a, b, col, o)) {
		double da, db;
		if (canon_value_double(a, &da) && canon_value_double(b, &db)) {
			if (kind_class(col) == K_FLOAT32 && isfinite(da) && isfinite(db))
				da = (double)(float)da, db = (double)(float)db;
			return within_tolerance(da, db, o);
		}
	}
	if (a->type == b->type && sl_value_equal(a, b))
		return true; /* the encoding is a function of the value */
	sl_buf ta = SL_BUF_INIT, tb = SL_BUF_INIT;
	canon ca, cb;
	bool eq = false;
	cctx xa = { .col = col, .o = o, .k = kind_class(col), .for_key = false, .tmp = &ta };
	cctx xb = xa;
	xb.tmp = &tb;
	if (canon_coerce(&ca, &xa, a) || canon_coerce(&cb, &xb, b))
		goto done;
	eq = ca.tag == cb.tag && ca.n == cb.n && memcmp(ca.p, cb.p, ca.n) == 0;
done:
	sl_buf_free(&ta);
	sl_buf_free(&tb);
	return eq;
}

/* Orders normalised decimal texts numerically; specials after numbers. */
static int decimal_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	bool sa = an && (isdigit((unsigned char)a[0]) || a[0] == '-');
	bool sb = bn && (isdigit((unsigned char)b[0]) || b[0] == '-');
	if (sa != sb)
		return sa ? -1 : 1;
	bool na = an && a[0] == '-', nb = bn && b[0] == '-';
	if (!sa || na != nb) {
		if (!sa) {
			int r = memcmp(a, b, an < bn ? an : bn);
			return r ? r : (an > bn) - (an < bn);
		}
		return na ? -1 : 1;
	}
	if (na)
		a++, an--, b++, bn--;
	const char *da = memchr(a, '.', an), *db = memchr(b, '.', bn);
	size_t ia = da ? (size_t)(da - a) : an, ib = db ? (size_t)(db - b) : bn;
	int r;
	if (ia != ib) {
		r = ia < ib ? -1 : 1;
	} else {
		r = memcmp(a, b, an < bn ? an : bn);
		if (!r)
			r = (an > bn) - (an < bn);
	}
	return na ? -r : r;
}

int sl_canon_key_cmp(int *out, const sl_value *a, const sl_value *b, const sl_canon_col *col,
		     const sl_canon_opts *o)
{
	if (!o)
		o = &default_opts;
	kclass k = kind_class(col);
	if (a->type == SL_V_INT && b->type == SL_V_INT && (k == K_ANY || k == K_INT || k == K_DECIMAL)) {
		*out = (a->u.i > b->u.i) - (a->u.i < b->u.i);
		return 0;
	}
	if (a->type == SL_V_TEXT && b->type == SL_V_TEXT && (k == K_ANY || k == K_TEXT || k == K_CHAR)) {
		size_t n = a->u.s.len < b->u.s.len ? a->u.s.len : b->u.s.len;
		int r = n ? memcmp(a->u.s.ptr, b->u.s.ptr, n) : 0;
		*out = r ? (r > 0) - (r < 0) : (a->u.s.len > b->u.s.len) - (a->u.s.len < b->u.s.len);
		return 0;
	}
	sl_buf ta = SL_BUF_INIT, tb = SL_BUF_INIT;
	canon ca, cb;
	cctx xa = { .col = col, .o = o, .k = k, .for_key = true, .tmp = &ta };
	cctx xb = xa;
	xb.tmp = &tb;
	int rc = canon_coerce(&ca, &xa, a);
	if (!rc)
		rc = canon_coerce(&cb, &xb, b);
	if (rc)
		goto done;
	int r;
	if (ca.tag != cb.tag) {
		/* NULL first, as the engine queries order them */
		r = ca.tag == TAG_NULL ? -1 : cb.tag == TAG_NULL ? 1 : ca.tag < cb.tag ? -1 : 1;
	} else if (ca.tag == TAG_NUM) {
		r = decimal_cmp(ca.p, ca.n, cb.p, cb.n);
	} else if (ca.tag == TAG_FLOAT) {
		bool an = isnan(ca.d), bn = isnan(cb.d);
		r = an || bn ? (an > bn) - (an < bn) : (ca.d > cb.d) - (ca.d < cb.d);
	} else {
		size_t n = ca.n < cb.n ? ca.n : cb.n;
		r = n ? memcmp(ca.p, cb.p, n) : 0;
		if (!r)
			r = (ca.n > cb.n) - (ca.n < cb.n);
	}
	*out = r < 0 ? -1 : r > 0;
done:
	sl_buf_free(&ta);
	sl_buf_free(&tb);
	return rc;
}
