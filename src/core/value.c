/*
 * value.c - sl_value helpers: calendar arithmetic, parsing of the text forms
 * engines send, canonical display formatting, and row batches.
 *
 * The calendar is proleptic Gregorian with astronomical year numbering
 * (year 0 is 1 BC), the convention ISO 8601 uses.
 */
#include "sluice/value.h"
#include "sluice/error.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const vtype_names[SL_V__COUNT] = {
	[SL_V_NULL] = "null",
	[SL_V_BOOL] = "bool",
	[SL_V_INT] = "int",
	[SL_V_DOUBLE] = "double",
	[SL_V_DECIMAL] = "decimal",
	[SL_V_TEXT] = "text",
	[SL_V_BLOB] = "blob",
	[SL_V_DATE] = "date",
	[SL_V_TIME] = "time",
	[SL_V_TIMESTAMP] = "timestamp",
	[SL_V_TIMESTAMPTZ] = "timestamptz",
	[SL_V_UUID] = "uuid",
	[SL_V_JSON] = "json",
};

const char *sl_vtype_name(sl_vtype t)
{
	return (unsigned)t < SL_V__COUNT ? vtype_names[t] : "?";
}

sl_value sl_bytes(sl_vtype t, const void *p, size_t len)
{
	sl_value v = { .type = t };
	v.u.s.ptr = p;
	v.u.s.len = len;
	return v;
}

sl_value sl_text(const char *s)
{
	return sl_bytes(SL_V_TEXT, s, strlen(s));
}

/* Days from civil date: eras of 400 years, each 146097 days. */
int32_t sl_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (int32_t)(era * 146097 + doe - 719468);
}

void sl_civil_from_days(int32_t days, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t z = (int64_t)days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static bool leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned month_days(int64_t y, unsigned m)
{
	static const unsigned md[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && leap(y) ? 29 : md[m - 1];
}

/* Reads exactly n digits at *p; returns -1 when they are not all digits. */
static int64_t digits(const char **p, const char *end, int n)
{
	int64_t v = 0;
	for (int i = 0; i < n; i++) {
		if (*p >= end || !isdigit((unsigned char)**p))
			return -1;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	return v;
}

static int bad(const char *what, const char *s, size_t len)
{
	return sl_error_set(SL_EINVALID, "\"%.*s\" is not a valid %s", (int)(len > 64 ? 64 : len), s, what);
}

/* Parses a date prefix; leaves *p after it. */
static int parse_date_at(const char **p, const char *end, int32_t *out)
{
	bool neg = false;
	if (*p < end && (**p == '-' || **p == '+')) {
		neg = **p == '-';
		(*p)++;
	}
	int64_t y = 0;
	int nd = 0;
	while (*p < end && isdigit((unsigned char)**p) && nd < 7) {
		y = y * 10 + (**p - '0');
		(*p)++;
		nd++;
	}
	if (nd < 4 || *p >= end || **p != '-')
		return -1;
	(*p)++;
	int64_t m = digits(p, end, 2);
	if (m < 1 || m > 12 || *p >= end || **p != '-')
		return -1;
	(*p)++;
	int64_t d = digits(p, end, 2);
	if (neg)
		y = -y;
	if (end - *p >= 3 && memcmp(*p, " BC", 3) == 0) {
		y = 1 - y;
		*p += 3;
	}
	if (d < 1 || (unsigned)d > month_days(y, (unsigned)m))
		return -1;
	*out = sl_days_from_civil(y, (unsigned)m, (unsigned)d);
	return 0;
}

static int parse_time_at(const char **p, const char *end, int64_t *out)
{
	int64_t h = digits(p, end, 2);
	if (h < 0 || h > 24 || *p >= end || **p != ':')
		return -1;
	(*p)++;
	int64_t mi = digits(p, end, 2);
	if (mi < 0 || mi > 59)
		return -1;
	int64_t s = 0, frac = 0;
	if (*p < end && **p == ':') {
		(*p)++;
		s = digits(p, end, 2);
		if (s < 0 || s > 60)
			return -1;
		if (*p < end && **p == '.') {
			(*p)++;
			int n = 0;
			bool round_up = false;
			while (*p < end && isdigit((unsigned char)**p)) {
				if (n < 6)
					frac = frac * 10 + (**p - '0');
				else if (n == 6)
					round_up = **p >= '5';
				n++;
				(*p)++;
			}
			if (n == 0)
				return -1;
			for (int i = n; i < 6; i++)
				frac *= 10;
			frac += round_up;
		}
	}
	int64_t v = ((h * 60 + mi) * 60 + s) * SL_USEC_PER_SEC + frac;
	if (v > SL_USEC_PER_DAY)
		return -1;
	*out = v;
	return 0;
}

int sl_parse_date(const char *s, size_t len, int32_t *out)
{
	const char *p = s, *end = s + len;
	if (parse_date_at(&p, end, out) || p != end)
		return bad("date", s, len);
	return 0;
}

int sl_parse_time(const char *s, size_t len, int64_t *out)
{
	const char *p = s, *end = s + len;
	if (parse_time_at(&p, end, out) || p != end)
		return bad("time", s, len);
	return 0;
}

static int parse_zone(const char **p, const char *end, int64_t *offset_sec)
{
	if (**p == 'Z' || **p == 'z') {
		(*p)++;
		*offset_sec = 0;
		return 0;
	}
	int sign = **p == '-' ? -1 : 1;
	(*p)++;
	int64_t h = digits(p, end, 2), m = 0, s = 0;
	if (h < 0 || h > 15)
		return -1;
	if (*p < end && **p == ':')
		(*p)++;
	if (*p < end && isdigit((unsigned char)**p)) {
		m = digits(p, end, 2);
		if (m < 0 || m > 59)
			return -1;
		if (*p < end && **p == ':') {
			(*p)++;
			s = digits(p, end, 2);
			if (s < 0 || s > 59)
				return -1;
		}
	}
	*offset_sec = sign * (h * 3600 + m * 60 + s);
	return 0;
}

int sl_parse_timestamp(const char *s, size_t len, int64_t *out, bool *has_zone)
{
	const char *p = s, *end = s + len;
	int32_t days;
	int64_t t = 0, off = 0;
	bool zone = false, bc = false;
	if (parse_date_at(&p, end, &days))
		return bad("timestamp", s, len);
	if (p < end && (*p == 'T' || *p == 't' || *p == ' ')) {
		p++;
		if (parse_time_at(&p, end, &t))
			return bad("timestamp", s, len);
		if (p < end && (*p == '+' || *p == '-' || *p == 'Z' || *p == 'z')) {
			if (parse_zone(&p, end, &off))
				return bad("timestamp", s, len);
			zone = true;
		}
		if (end - p >= 3 && memcmp(p, " BC", 3) == 0) {
			bc = true;
			p += 3;
		}
	}
	if (p != end)
		return bad("timestamp", s, len);
	if (bc) {
		/* the BC marker came after the time: redo the date as BC */
		int64_t y;
		unsigned m, d;
		sl_civil_from_days(days, &y, &m, &d);
		days = sl_days_from_civil(1 - y, m, d);
	}
	*out = (int64_t)days * SL_USEC_PER_DAY + t - off * SL_USEC_PER_SEC;
	if (has_zone)
		*has_zone = zone;
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int sl_parse_uuid(const char *s, size_t len, uint8_t out[16])
{
	const char *p = s;
	size_t n = len;
	if (n >= 2 && p[0] == '{' && p[n - 1] == '}') {
		p++;
		n -= 2;
	}
	bool dashed = n == 36;
	if (!dashed && n != 32)
		return bad("uuid", s, len);
	int nib = 0;
	for (size_t i = 0; i < n; i++) {
		if (dashed && (i == 8 || i == 13 || i == 18 || i == 23)) {
			if (p[i] != '-')
				return bad("uuid", s, len);
			continue;
		}
		int h = hexval((unsigned char)p[i]);
		if (h < 0)
			return bad("uuid", s, len);
		if (nib % 2 == 0)
			out[nib / 2] = (uint8_t)(h << 4);
		else
			out[nib / 2] |= (uint8_t)h;
		nib++;
	}
	return 0;
}

int sl_format_date(sl_buf *out, int32_t days)
{
	int64_t y;
	unsigned m, d;
	sl_civil_from_days(days, &y, &m, &d);
	if (y < 0)
		return sl_buf_printf(out, "-%04" PRId64 "-%02u-%02u", -y, m, d);
	return sl_buf_printf(out, "%04" PRId64 "-%02u-%02u", y, m, d);
}

int sl_format_time(sl_buf *out, int64_t usec)
{
	int64_t s = usec / SL_USEC_PER_SEC, f = usec % SL_USEC_PER_SEC;
	int rc = sl_buf_printf(out, "%02" PRId64 ":%02" PRId64 ":%02" PRId64, s / 3600, s / 60 % 60, s % 60);
	if (!rc && f) {
		char frac[8];
		snprintf(frac, sizeof(frac), "%06" PRId64, f);
		size_t n = 6;
		while (n > 1 && frac[n - 1] == '0')
			n--;
		rc = sl_buf_printf(out, ".%.*s", (int)n, frac);
	}
	return rc;
}

int sl_format_timestamp(sl_buf *out, int64_t usec, bool utc_z)
{
	int64_t days = usec / SL_USEC_PER_DAY, rem = usec % SL_USEC_PER_DAY;
	if (rem < 0) {
		rem += SL_USEC_PER_DAY;
		days--;
	}
	int rc = sl_format_date(out, (int32_t)days);
	if (!rc)
		rc = sl_buf_putc(out, 'T');
	if (!rc)
		rc = sl_format_time(out, rem);
	if (!rc && utc_z)
		rc = sl_buf_putc(out, 'Z');
	return rc;
}

int sl_format_uuid(sl_buf *out, const uint8_t u[16])
{
	static const char hex[] = "0123456789abcdef";
	char s[37];
	int j = 0;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			s[j++] = '-';
		s[j++] = hex[u[i] >> 4];
		s[j++] = hex[u[i] & 15];
	}
	s[j] = '\0';
	return sl_buf_put(out, s, 36);
}

int sl_format_double(sl_buf *out, double d)
{
	if (isnan(d))
		return sl_buf_puts(out, "NaN");
	if (isinf(d))
		return sl_buf_puts(out, d > 0 ? "Infinity" : "-Infinity");
	char tmp[40];
	/*
	 * For normal doubles a 15-digit form that round-trips is already the
	 * shortest (%g drops trailing zeros). Subnormals carry fewer digits:
	 * 5e-324 would print as 4.94065645841247e-324, so search from 1.
	 */
	for (int prec = isnormal(d) ? 15 : 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	return sl_buf_puts(out, tmp);
}

int sl_value_format(sl_buf *out, const sl_value *v)
{
	switch (v->type) {
	case SL_V_NULL:
		return 0;
	case SL_V_BOOL:
		return sl_buf_puts(out, v->u.b ? "true" : "false");
	case SL_V_INT:
		return sl_buf_printf(out, "%" PRId64, v->u.i);
	case SL_V_DOUBLE:
		return sl_format_double(out, v->u.d);
	case SL_V_DECIMAL:
	case SL_V_TEXT:
	case SL_V_JSON:
		return sl_buf_put(out, v->u.s.ptr, v->u.s.len);
	case SL_V_BLOB: {
		static const char hex[] = "0123456789abcdef";
		int rc = sl_buf_grow(out, 2 + 2 * v->u.s.len);
		if (rc)
			return rc;
		sl_buf_puts(out, "\\x");
		for (size_t i = 0; i < v->u.s.len; i++) {
			unsigned char c = (unsigned char)v->u.s.ptr[i];
			char two[2] = { hex[c >> 4], hex[c & 15] };
			sl_buf_put(out, two, 2);
		}
		return 0;
	}
	case SL_V_DATE:
		return sl_format_date(out, v->u.date);
	case SL_V_TIME:
		return sl_format_time(out, v->u.time);
	case SL_V_TIMESTAMP:
		return sl_format_timestamp(out, v->u.ts, false);
	case SL_V_TIMESTAMPTZ:
		return sl_format_timestamp(out, v->u.ts, true);
	case SL_V_UUID:
		return sl_format_uuid(out, v->u.uuid);
	default:
		return sl_error_set(SL_ERROR, "unknown value type %d", (int)v->type);
	}
}

static bool has_payload(sl_vtype t)
{
	return t == SL_V_DECIMAL || t == SL_V_TEXT || t == SL_V_BLOB || t == SL_V_JSON;
}

int sl_value_copy(sl_value *out, const sl_value *v, sl_arena *a)
{
	*out = *v;
	if (has_payload(v->type)) {
		char *p = sl_arena_memdup(a, v->u.s.ptr, v->u.s.len);
		if (!p)
			return SL_ENOMEM;
		out->u.s.ptr = p;
	}
	return 0;
}

bool sl_value_equal(const sl_value *a, const sl_value *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case SL_V_NULL:
		return true;
	case SL_V_BOOL:
		return a->u.b == b->u.b;
	case SL_V_INT:
		return a->u.i == b->u.i;
	case SL_V_DOUBLE:
		if (isnan(a->u.d) || isnan(b->u.d))
			return isnan(a->u.d) && isnan(b->u.d);
		return a->u.d == b->u.d && signbit(a->u.d) == signbit(b->u.d);
	case SL_V_DATE:
		return a->u.date == b->u.date;
	case SL_V_TIME:
		return a->u.time == b->u.time;
	case SL_V_TIMESTAMP:
	case SL_V_TIMESTAMPTZ:
		return a->u.ts == b->u.ts;
	case SL_V_UUID:
		return memcmp(a->u.uuid, b->u.uuid, 16) == 0;
	default:
		return a->u.s.len == b->u.s.len &&
		       (a->u.s.len == 0 || memcmp(a->u.s.ptr, b->u.s.ptr, a->u.s.len) == 0);
	}
}

int sl_batch_init(sl_batch *b, size_t ncols, size_t cap_rows)
{
	memset(b, 0, sizeof(*b));
	b->ncols = ncols;
	b->arena = sl_arena_new(0);
	if (!b->arena)
		return SL_ENOMEM;
	if (cap_rows && ncols) {
		if (cap_rows > SIZE_MAX / ncols / sizeof(sl_value))
			return sl_error_nomem();
		b->values = calloc(cap_rows * ncols, sizeof(sl_value));
		if (!b->values)
			return sl_error_nomem();
		b->cap = cap_rows;
	}
	return 0;
}

void sl_batch_reset(sl_batch *b)
{
	b->nrows = 0;
	if (b->arena)
		sl_arena_reset(b->arena);
}

void sl_batch_free(sl_batch *b)
{
	free(b->values);
	sl_arena_free(b->arena);
	memset(b, 0, sizeof(*b));
}

sl_value *sl_batch_add_row(sl_batch *b)
{
	size_t ncols = b->ncols ? b->ncols : 1;
	if (b->nrows == b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 64;
		if (ncap > SIZE_MAX / ncols / sizeof(sl_value)) {
			sl_error_nomem();
			return NULL;
		}
		sl_value *nv = realloc(b->values, ncap * ncols * sizeof(sl_value));
		if (!nv) {
			sl_error_nomem();
			return NULL;
		}
		b->values = nv;
		b->cap = ncap;
	}
	sl_value *row = b->values + b->nrows * b->ncols;
	memset(row, 0, b->ncols * sizeof(sl_value));
	b->nrows++;
	return row;
}

int sl_batch_set_bytes(sl_batch *b, sl_value *v, sl_vtype t, const void *p, size_t len)
{
	char *d = sl_arena_memdup(b->arena, p, len);
	if (!d)
		return SL_ENOMEM;
	v->type = t;
	v->u.s.ptr = d;
	v->u.s.len = len;
	return 0;
}

size_t sl_batch_bytes(const sl_batch *b)
{
	return b->cap * b->ncols * sizeof(sl_value) + (b->arena ? sl_arena_used(b->arena) : 0);
}
