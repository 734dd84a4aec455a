/*
 * convert.c - turns each source value into what the target column takes, as
 * the cast plan says (docs/casts.md, docs/copy.md "Conversions").
 *
 * Every conversion is explicit: a value either converts without changing
 * meaning, converts the way a lossy note announced (zero date to NULL,
 * timestamptz to UTC wall clock), or is refused with a reason and ends up in
 * sluice_rejects. Nothing is silently replaced. Between the same engine
 * values pass through untouched: the declared types are identical.
 */
#include "copy/convert_int.h"
#include "copy_int.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sluice/error.h"
#include "sluice/util.h"

/* Appends "<value> <message>" to reason and returns REFUSE. */
int cv_refuse(sl_buf *reason, const sl_value *v, const char *fmt, ...)
{
	va_list ap;
	int rc = v->type == SL_V_TEXT || v->type == SL_V_DECIMAL || v->type == SL_V_JSON
			 ? sl_buf_putc(reason, '"')
			 : 0;
	if (!rc)
		rc = sl_copy_value_text(reason, v, 60);
	if (!rc)
		rc = sl_buf_puts(reason,
				 v->type == SL_V_TEXT || v->type == SL_V_DECIMAL || v->type == SL_V_JSON
					 ? "\" "
					 : " ");
	va_start(ap, fmt);
	if (!rc)
		rc = sl_buf_vprintf(reason, fmt, ap);
	va_end(ap);
	return rc ? rc : REFUSE;
}

/* Length of the valid UTF-8 sequence at p, 0 when invalid. */
static size_t utf8_len(const unsigned char *p, size_t avail)
{
	size_t n;
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xC2 && p[0] <= 0xDF)
		n = 2;
	else if (p[0] >= 0xE0 && p[0] <= 0xEF)
		n = 3;
	else if (p[0] >= 0xF0 && p[0] <= 0xF4)
		n = 4;
	else
		return 0;
	if (n > avail)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xC0) != 0x80)
			return 0;
	if (n == 3 && ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] >= 0xA0)))
		return 0;
	if (n == 4 && ((p[0] == 0xF0 && p[1] < 0x90) || (p[0] == 0xF4 && p[1] >= 0x90)))
		return 0;
	return n;
}

int sl_copy_value_text(sl_buf *out, const sl_value *v, size_t max)
{
	sl_buf t = SL_BUF_INIT;
	int rc = 0;
	if (v->type == SL_V_NULL)
		rc = sl_buf_puts(&t, "NULL");
	else if (v->type == SL_V_TEXT || v->type == SL_V_DECIMAL || v->type == SL_V_JSON) {
		/* printable copy: NUL, control bytes and invalid UTF-8 shown escaped */
		const unsigned char *p = (const unsigned char *)v->u.s.ptr;
		size_t len = v->u.s.len;
		for (size_t i = 0; !rc && i < len;) {
			size_t n = utf8_len(p + i, len - i);
			if (n == 0 || p[i] < 0x20 || p[i] == 0x7f) {
				rc = sl_buf_printf(&t, "\\x%02x", p[i]);
				i++;
			} else {
				rc = sl_buf_put(&t, p + i, n);
				i += n;
			}
		}
	} else
		rc = sl_value_format(&t, v);
	if (!rc) {
		size_t n = t.len;
		if (n > max) {
			n = max;
			while (n > 0 && ((unsigned char)t.ptr[n] & 0xC0) == 0x80)
				n--; /* cut on a UTF-8 boundary */
		}
		rc = sl_buf_put(out, t.ptr ? t.ptr : "", n);
		if (!rc && n < t.len)
			rc = sl_buf_puts(out, "...");
	}
	sl_buf_free(&t);
	return rc;
}

static bool parse_double(const char *s, size_t len, double *out)
{
	char tmp[128];
	if (len == 0 || len >= sizeof(tmp) || isspace((unsigned char)s[0]))
		return false;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	char *end = NULL;
	errno = 0;
	double d = strtod(tmp, &end);
	if (*end || end == tmp)
		return false;
	*out = d;
	return true;
}

/* [-]digits[.digits] */
bool cv_is_plain_number(const char *s, size_t len)
{
	size_t i = 0, digits = 0;
	if (i < len && (s[i] == '-' || s[i] == '+'))
		i++;
	for (; i < len && isdigit((unsigned char)s[i]); i++)
		digits++;
	if (i < len && s[i] == '.') {
		i++;
		for (; i < len && isdigit((unsigned char)s[i]); i++)
			digits++;
	}
	return digits > 0 && i == len;
}

static bool int_in_range(int64_t i, const sl_type *t, bool uns)
{
	switch (t->kind) {
	case SL_T_INT16:
		return uns ? (i >= 0 && i <= 65535) : (i >= INT16_MIN && i <= INT16_MAX);
	case SL_T_INT32:
		return uns ? (i >= 0 && i <= UINT32_MAX) : (i >= INT32_MIN && i <= INT32_MAX);
	default:
		return uns ? i >= 0 : true;
	}
}

int cv_put_bytes(sl_value *out, sl_batch *dst, sl_vtype t, const void *p, size_t len)
{
	return sl_batch_set_bytes(dst, out, t, p, len);
}

int cv_put_printf(sl_value *out, sl_batch *dst, sl_vtype t, const char *s)
{
	return cv_put_bytes(out, dst, t, s, strlen(s));
}

bool cv_is_zero_date_text(const sl_value *v)
{
	if (v->type != SL_V_TEXT || v->u.s.len < 10)
		return false;
	const char *s = v->u.s.ptr;
	/* YYYY-MM-DD with a zero year, month or day (MySQL zero and partial dates) */
	if (s[4] != '-' || s[7] != '-')
		return false;
	return memcmp(s, "0000", 4) == 0 || memcmp(s + 5, "00", 2) == 0 || memcmp(s + 8, "00", 2) == 0;
}

/* Whether the target's date type holds the day days (a dialect with min_year limits its years). */
bool cv_date_ok(const sl_dialect *dl, int64_t days)
{
	int64_t y;
	unsigned m, d;
	if (!dl->min_year)
		return true;
	sl_civil_from_days((int32_t)days, &y, &m, &d);
	return y >= dl->min_year && y <= dl->max_year;
}

int cv_out_of_years(sl_buf *reason, const sl_value *v, const sl_dialect *dl)
{
	return cv_refuse(reason, v, "is outside the years %d-%d that %s stores", dl->min_year, dl->max_year,
			 dl->title);
}

static int conv_bool(sl_value *out, const sl_value *v, sl_buf *reason)
{
	switch (v->type) {
	case SL_V_BOOL:
		*out = *v;
		return 0;
	case SL_V_INT:
		if (v->u.i == 0 || v->u.i == 1) {
			*out = sl_bool(v->u.i == 1);
			return 0;
		}
		return cv_refuse(reason, v, "is not a boolean (only 0 and 1 are)");
	case SL_V_DOUBLE:
		if (v->u.d == 0 || v->u.d == 1) {
			*out = sl_bool(v->u.d == 1);
			return 0;
		}
		return cv_refuse(reason, v, "is not a boolean (only 0 and 1 are)");
	case SL_V_TEXT:
	case SL_V_DECIMAL: {
		int b = sl_read_bool(v->u.s.ptr, v->u.s.len);
		if (b >= 0) {
			*out = sl_bool(b == 1);
			return 0;
		}
		break;
	}
	default:
		break;
	}
	return cv_refuse(reason, v, "is not a boolean");
}

static int conv_int(sl_value *out, const sl_value *v, const sl_type *t, const sl_copy_conv *cx, sl_batch *dst,
		    sl_buf *reason)
{
	bool uns = t->is_unsigned && sl_copy_conv_dst(cx)->unsigned_types;
	int64_t i = 0;
	switch (v->type) {
	case SL_V_INT:
		i = v->u.i;
		break;
	case SL_V_BOOL:
		i = v->u.b;
		break;
	case SL_V_DOUBLE:
		if (!isfinite(v->u.d) || v->u.d != floor(v->u.d) || fabs(v->u.d) >= 9.2e18)
			return cv_refuse(reason, v, "is not an integer");
		i = (int64_t)v->u.d;
		break;
	case SL_V_TEXT:
	case SL_V_DECIMAL: {
		if (sl_parse_i64(v->u.s.ptr, v->u.s.len, &i))
			break;
		/* "12.0" and big unsigned values */
		if (cv_is_plain_number(v->u.s.ptr, v->u.s.len)) {
			const char *dot = memchr(v->u.s.ptr, '.', v->u.s.len);
			bool frac_zero = dot != NULL;
			for (const char *q = dot ? dot + 1 : NULL; q && q < v->u.s.ptr + v->u.s.len; q++)
				if (*q != '0')
					frac_zero = false;
			if (frac_zero && sl_parse_i64(v->u.s.ptr, (size_t)(dot - v->u.s.ptr), &i))
				break;
			if (t->kind == SL_T_INT64 && uns && !dot && v->u.s.ptr[0] != '-' &&
			    v->u.s.len <= 20) {
				/* BIGINT UNSIGNED on MySQL: the writer takes the digits */
				if (v->u.s.len < 20 || memcmp(v->u.s.ptr, "18446744073709551615", 20) <= 0)
					return cv_put_bytes(out, dst, SL_V_DECIMAL, v->u.s.ptr, v->u.s.len);
			}
			return cv_refuse(reason, v, "is out of range for %s", sl_tkind_name(t->kind));
		}
		return cv_refuse(reason, v, "is not an integer");
	}
	default:
		return cv_refuse(reason, v, "is not an integer (it is %s)", sl_vtype_name(v->type));
	}
	if (!int_in_range(i, t, uns))
		return cv_refuse(reason, v, "is out of range for %s", sl_tkind_name(t->kind));
	*out = sl_int(i);
	return 0;
}

/* Whether the decimal text s[0..n) names exactly the double d (no digit lost in reading it). */
static int decimal_is_double(bool *exact, const char *s, size_t n, double d)
{
	sl_buf a = SL_BUF_INIT, b = SL_BUF_INIT, f = SL_BUF_INIT;
	int rc = sl_format_double(&f, d);
	int ra = rc ? rc : sl_decimal_norm(&a, s, n, -1);
	int rb = rc || ra < 0 ? 0 : sl_decimal_norm(&b, f.ptr, f.len, -1);
	rc = ra < 0 ? ra : rb < 0 ? rb : rc;
	*exact = ra != 0 || rb != 0 || (a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0);
	sl_buf_free(&a);
	sl_buf_free(&b);
	sl_buf_free(&f);
	return rc;
}

/*
 * A number for a FLOAT column. Counted as lossy: a decimal (or integer
 * beyond 2^53) with more digits than a double holds, and a double rounded
 * to single precision for a real/FLOAT column whose source was not one.
 */
static int conv_float(sl_value *out, sl_copy_loss *loss, const sl_value *v, const sl_cast_column *cc,
		      const sl_copy_conv *cx, sl_buf *reason)
{
	double d;
	bool exact = true;
	int rc = 0;
	switch (v->type) {
	case SL_V_DOUBLE:
		d = v->u.d;
		break;
	case SL_V_INT:
		d = (double)v->u.i;
		exact = d < 9.2e18 && d >= -9.2e18 && (int64_t)d == v->u.i;
		break;
	case SL_V_BOOL:
		d = v->u.b;
		break;
	case SL_V_TEXT:
	case SL_V_DECIMAL:
		if (!parse_double(v->u.s.ptr, v->u.s.len, &d))
			return cv_refuse(reason, v, "is not a number");
		if (isfinite(d))
			rc = decimal_is_double(&exact, v->u.s.ptr, v->u.s.len, d);
		break;
	default:
		return cv_refuse(reason, v, "is not a number (it is %s)", sl_vtype_name(v->type));
	}
	if (rc)
		return rc;
	if (isnan(d) && (!(cx->target_caps & SL_CAP_FLOAT_SPECIALS)))
		return cv_refuse(reason, v, "cannot be stored in %s", sl_engine_name(cx->target));
	if (isinf(d) && !(cx->target_caps & SL_CAP_FLOAT_SPECIALS) && !sl_copy_conv_dst(cx)->float_infinity)
		return cv_refuse(reason, v, "cannot be stored in %s", sl_engine_name(cx->target));
	if (!exact)
		*loss = SL_COPY_LOSS_DOUBLE;
	else if (cc->type.kind == SL_T_FLOAT32 && cc->src->type.kind != SL_T_FLOAT32 && isfinite(d) &&
		 (double)(float)d != d)
		*loss = SL_COPY_LOSS_SINGLE;
	*out = sl_double(d);
	return 0;
}

/* Digits before the point of a plain number ([-]digits[.digits]), leading zeros not counted. */
static size_t int_digits(const char *s, size_t n)
{
	size_t i = s[0] == '-' || s[0] == '+' ? 1 : 0, d = 0;
	while (i < n && s[i] == '0')
		i++;
	while (i < n && isdigit((unsigned char)s[i]))
		i++, d++;
	return d;
}

static size_t frac_digits(const char *s, size_t n)
{
	const char *dot = memchr(s, '.', n);
	return dot ? n - (size_t)(dot - s) - 1 : 0;
}

/*
 * Decimal text s[0..n) for the DECIMAL column cc: exponent forms written
 * out exactly; with a declared precision, rounded half away from zero to the
 * column's scale (counted as SL_COPY_LOSS_SCALE when that drops a non-zero
 * digit) and refused when the integer part does not fit. Plain numbers that
 * already fit pass untouched (when v holds them, out borrows v's bytes).
 */
/* Significant digits of a plain number (leading zeros not counted, trailing ones are). */
static size_t sig_digits(const char *s, size_t n)
{
	size_t d = 0;
	bool lead = true;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]) || (lead && s[i] == '0'))
			continue;
		lead = false;
		d++;
	}
	return d;
}

/*
 * SQLite keeps a number written into a NUMERIC column as an integer or a
 * double: a decimal with more digits than a double holds is rounded there
 * (the plan's lossy note); counted as SL_COPY_LOSS_DOUBLE.
 */
static int sqlite_digits(sl_copy_loss *loss, const sl_value *out, const sl_copy_conv *cx)
{
	bool exact = true;
	double d;
	int rc = 0;
	if (!sl_copy_conv_dst(cx)->decimal_as_double || out->type != SL_V_DECIMAL ||
	    sig_digits(out->u.s.ptr, out->u.s.len) <= 15)
		return 0;
	if (parse_double(out->u.s.ptr, out->u.s.len, &d))
		rc = decimal_is_double(&exact, out->u.s.ptr, out->u.s.len, d);
	if (!rc && !exact)
		*loss = SL_COPY_LOSS_DOUBLE;
	return rc;
}

static int put_decimal(sl_value *out, sl_copy_loss *loss, const sl_value *v, const char *s, size_t n,
		       const sl_cast_column *cc, const sl_copy_conv *cx, sl_batch *dst, sl_buf *reason)
{
	const sl_type *t = &cc->type;
	bool fixed = t->precision > 0 && t->scale >= 0 && t->scale <= t->precision;
	sl_buf norm = SL_BUF_INIT, exact = SL_BUF_INIT;
	int rc = 0;
	if (cv_is_plain_number(s, n) && (!fixed || frac_digits(s, n) <= (size_t)t->scale)) {
		if (fixed && int_digits(s, n) > (size_t)(t->precision - t->scale))
			return cv_refuse(reason, v, "is out of range for decimal(%d,%d)", t->precision,
					 t->scale);
		if (v->type == SL_V_DECIMAL && v->u.s.ptr == s)
			*out = *v;
		else if ((rc = cv_put_bytes(out, dst, SL_V_DECIMAL, s, n)) != 0)
			return rc;
		return sqlite_digits(loss, out, cx);
	}
	rc = sl_decimal_norm(&norm, s, n, fixed ? t->scale : -1);
	if (rc == 1)
		return cv_refuse(reason, v, "is not a decimal number");
	if (!rc && fixed) {
		rc = sl_decimal_norm(&exact, s, n, -1);
		if (!rc && (exact.len != norm.len || memcmp(exact.ptr, norm.ptr, norm.len) != 0))
			*loss = SL_COPY_LOSS_SCALE;
		if (!rc && int_digits(norm.ptr, norm.len) > (size_t)(t->precision - t->scale)) {
			*loss = SL_COPY_LOSS_NONE;
			rc = cv_refuse(reason, v, "is out of range for decimal(%d,%d)", t->precision,
				       t->scale);
		}
	}
	if (!rc)
		rc = cv_put_bytes(out, dst, SL_V_DECIMAL, norm.ptr, norm.len);
	if (!rc)
		rc = sqlite_digits(loss, out, cx);
	sl_buf_free(&norm);
	sl_buf_free(&exact);
	return rc;
}

static int conv_decimal(sl_value *out, sl_copy_loss *loss, const sl_value *v, const sl_cast_column *cc,
			const sl_copy_conv *cx, sl_batch *dst, sl_buf *reason)
{
	char tmp[64];
	switch (v->type) {
	case SL_V_DECIMAL:
	case SL_V_TEXT: {
		double d;
		if (!cv_is_plain_number(v->u.s.ptr, v->u.s.len) && sl_copy_conv_dst(cx)->decimal_specials &&
		    v->type == SL_V_DECIMAL && parse_double(v->u.s.ptr, v->u.s.len, &d) && !isfinite(d)) {
			*out = *v; /* NaN, Infinity: numeric takes them */
			return 0;
		}
		return put_decimal(out, loss, v, v->u.s.ptr, v->u.s.len, cc, cx, dst, reason);
	}
	case SL_V_INT: {
		int n = snprintf(tmp, sizeof(tmp), "%" PRId64, v->u.i);
		return put_decimal(out, loss, v, tmp, (size_t)n, cc, cx, dst, reason);
	}
	case SL_V_BOOL:
		return put_decimal(out, loss, v, v->u.b ? "1" : "0", 1, cc, cx, dst, reason);
	case SL_V_DOUBLE: {
		if (!isfinite(v->u.d)) {
			if (sl_copy_conv_dst(cx)->decimal_specials) {
				*out = *v;
				return 0;
			}
			return cv_refuse(reason, v, "is not a decimal number");
		}
		sl_buf b = SL_BUF_INIT;
		int rc = sl_format_double(&b, v->u.d);
		if (!rc)
			rc = put_decimal(out, loss, v, b.ptr, b.len, cc, cx, dst, reason);
		sl_buf_free(&b);
		return rc;
	}
	default:
		return cv_refuse(reason, v, "is not a decimal number (it is %s)", sl_vtype_name(v->type));
	}
}

int cv_conv_text(sl_value *out, const sl_value *v, const sl_copy_conv *cx, sl_batch *dst, sl_buf *reason)
{
	if (v->type == SL_V_BLOB)
		return cv_refuse(reason, v, "is binary data, not text");
	if (v->type == SL_V_TEXT || v->type == SL_V_JSON || v->type == SL_V_DECIMAL) {
		if (!(cx->target_caps & SL_CAP_NUL_IN_TEXT) && memchr(v->u.s.ptr, '\0', v->u.s.len))
			return cv_refuse(reason, v, "holds a NUL byte (0x00), which %s cannot store in text",
					 sl_engine_name(cx->target));
		*out = sl_bytes(SL_V_TEXT, v->u.s.ptr, v->u.s.len);
		return 0;
	}
	sl_buf b = SL_BUF_INIT;
	int rc = sl_value_format(&b, v);
	if (!rc)
		rc = cv_put_bytes(out, dst, SL_V_TEXT, b.ptr ? b.ptr : "", b.len);
	sl_buf_free(&b);
	return rc;
}

static int conv_blob(sl_value *out, const sl_value *v, sl_batch *dst, sl_buf *reason)
{
	switch (v->type) {
	case SL_V_BLOB:
		*out = *v;
		return 0;
	case SL_V_TEXT:
	case SL_V_JSON:
		*out = sl_bytes(SL_V_BLOB, v->u.s.ptr, v->u.s.len);
		return 0;
	case SL_V_UUID:
		return cv_put_bytes(out, dst, SL_V_BLOB, v->u.uuid, 16);
	default:
		return cv_refuse(reason, v, "is not binary data (it is %s)", sl_vtype_name(v->type));
	}
}

/* Money text ("$1,234.50", "-$3.00") into a decimal column: the sign and digits without '$' and ','. */
static int conv_money(sl_value *out, sl_copy_loss *loss, const sl_value *v, const sl_cast_column *cc,
		      const sl_copy_conv *cx, sl_batch *dst, sl_buf *reason)
{
	sl_buf b = SL_BUF_INIT;
	int rc = 0;
	for (size_t i = 0; !rc && i < v->u.s.len; i++)
		if (v->u.s.ptr[i] != '$' && v->u.s.ptr[i] != ',')
			rc = sl_buf_putc(&b, v->u.s.ptr[i]);
	sl_value t = sl_bytes(SL_V_TEXT, b.ptr ? b.ptr : "", b.len);
	if (!rc)
		rc = conv_decimal(out, loss, &t, cc, cx, dst, reason);
	if (rc == 0 && out->u.s.ptr == b.ptr)
		rc = cv_put_bytes(out, dst, SL_V_DECIMAL, b.ptr, b.len);
	sl_buf_free(&b);
	return rc;
}

/* A UUID column kept as text (MySQL CHAR(36)): "{A0EE...}", " a0ee... " normalised, else the text. */
static int conv_uuid_text(sl_value *out, const sl_value *v, const sl_copy_conv *cx, sl_batch *dst,
			  sl_buf *reason)
{
	sl_buf ignore = SL_BUF_INIT;
	int rc = cv_conv_uuid(out, v, &ignore);
	sl_buf_free(&ignore);
	if (rc <= 0)
		return rc;
	return cv_conv_text(out, v, cx, dst, reason);
}

int sl_copy_convert(sl_value *out, sl_copy_loss *loss, const sl_value *v, const sl_cast_column *cc,
		    const sl_copy_conv *cx, sl_batch *dst, sl_buf *reason)
{
	*loss = SL_COPY_LOSS_NONE;
	if (v->type == SL_V_NULL || cx->same) {
		*out = *v;
		return 0;
	}
	/* zero dates arrive as TEXT whatever the target type */
	sl_tkind sk = cc->src->type.kind;
	if ((sk == SL_T_DATE || sk == SL_T_TIMESTAMP || sk == SL_T_TIMESTAMPTZ) && cv_is_zero_date_text(v) &&
	    cc->type.kind != SL_T_DATE && cc->type.kind != SL_T_TIMESTAMP &&
	    cc->type.kind != SL_T_TIMESTAMPTZ)
		return cv_zero_date(out, loss, v, cc, reason);
	if (sk == SL_T_UUID && v->type == SL_V_TEXT && cc->type.kind != SL_T_UUID)
		return conv_uuid_text(out, v, cx, dst, reason);
	if (sk == SL_T_BIT || cc->type.kind == SL_T_BIT)
		return cv_conv_bit(out, v, cc, cx, dst, reason);
	switch (cc->type.kind) {
	case SL_T_BOOL:
		return conv_bool(out, v, reason);
	case SL_T_INT16:
	case SL_T_INT32:
	case SL_T_INT64:
		return conv_int(out, v, &cc->type, cx, dst, reason);
	case SL_T_FLOAT32:
	case SL_T_FLOAT64:
		return conv_float(out, loss, v, cc, cx, reason);
	case SL_T_DECIMAL:
		if (v->type == SL_V_TEXT && sk == SL_T_OTHER && v->u.s.len &&
		    memchr(v->u.s.ptr, '$', v->u.s.len))
			return conv_money(out, loss, v, cc, cx, dst, reason);
		return conv_decimal(out, loss, v, cc, cx, dst, reason);
	case SL_T_CHAR:
	case SL_T_VARCHAR:
	case SL_T_TEXT:
	case SL_T_INTERVAL:
	case SL_T_OTHER:
	case SL_T_UNKNOWN:
		if (sk == SL_T_ARRAY)
			return cv_conv_array(out, v, cc, cx, dst, reason);
		if (v->type == SL_V_BLOB && (sk == SL_T_UNKNOWN || sk == SL_T_BLOB)) {
			*out = *v; /* untyped SQLite columns keep their blobs */
			return 0;
		}
		return cv_conv_text(out, v, cx, dst, reason);
	case SL_T_BLOB:
	case SL_T_GEOMETRY:
		return conv_blob(out, v, dst, reason);
	case SL_T_DATE:
		return cv_conv_date(out, loss, v, cc, cx, reason);
	case SL_T_TIMESTAMP:
	case SL_T_TIMESTAMPTZ:
		return cv_conv_ts(out, loss, v, cc, cx, reason);
	case SL_T_TIME:
		return cv_conv_time(out, loss, v, cc, cx, reason);
	case SL_T_UUID:
		return cv_conv_uuid(out, v, reason);
	case SL_T_JSON:
		if (sk == SL_T_ARRAY || sk == SL_T_SET)
			return cv_conv_array(out, v, cc, cx, dst, reason);
		return cv_conv_json(out, v, cx, dst, reason);
	case SL_T_ENUM:
		return cv_conv_enum(out, v, cc, cx, dst, reason);
	case SL_T_ARRAY:
		return cv_conv_array(out, v, cc, cx, dst, reason);
	case SL_T_BIT:
		return cv_conv_bit(out, v, cc, cx, dst, reason);
	case SL_T_SET:
	default:
		*out = *v;
		return 0;
	}
}

const char *sl_copy_loss_name(sl_copy_loss k)
{
	static const char *const n[SL_COPY_LOSS__N] = {
		[SL_COPY_LOSS_NONE] = "none",
		[SL_COPY_LOSS_ZERO_DATE] = "zero_date_to_null",
		[SL_COPY_LOSS_SCALE] = "rounded_to_scale",
		[SL_COPY_LOSS_SINGLE] = "rounded_to_single_precision",
		[SL_COPY_LOSS_DOUBLE] = "rounded_to_double",
		[SL_COPY_LOSS_FRACTION] = "rounded_fractional_seconds",
	};
	return (unsigned)k < SL_COPY_LOSS__N ? n[k] : "?";
}

const char *sl_copy_loss_text(sl_copy_loss k)
{
	static const char *const t[SL_COPY_LOSS__N] = {
		[SL_COPY_LOSS_NONE] = "unchanged",
		[SL_COPY_LOSS_ZERO_DATE] = "MySQL zero date became NULL",
		[SL_COPY_LOSS_SCALE] = "rounded to the column's scale",
		[SL_COPY_LOSS_SINGLE] = "rounded to single precision",
		[SL_COPY_LOSS_DOUBLE] = "decimal digits beyond a double's precision rounded",
		[SL_COPY_LOSS_FRACTION] = "fractional seconds rounded to the column's precision",
	};
	return (unsigned)k < SL_COPY_LOSS__N ? t[k] : "?";
}
