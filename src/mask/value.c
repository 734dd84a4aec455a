/*
 * value.c - one value through one masking rule (sl_mask_value), and what
 * decides whether a rule applies to a column (sl_mask_rule_check).
 *
 * A masked value keeps the type it arrived with (an integer stays an
 * integer, text stays text, a date stays a date), so conversion for the
 * target works on it exactly as on the original (src/copy/convert.c). Text
 * is cut to the column's length on a UTF-8 boundary. The input every keyed
 * rule hashes is the value's text (sl_mask_input_text): the same email in
 * two tables, or the same number stored as integer and as decimal, gives
 * the same output.
 */
#include "mask_int.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"

/* ---- UTF-8 ---- */

static size_t char_len(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if ((c & 0xE0) == 0xC0)
		return 2;
	if ((c & 0xF0) == 0xE0)
		return 3;
	if ((c & 0xF8) == 0xF0)
		return 4;
	return 1;
}

size_t sl_mask_utf8_chars(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; n++)
		i += char_len((unsigned char)s[i]);
	return n;
}

size_t sl_mask_utf8_prefix(const char *s, size_t len, size_t n)
{
	size_t i = 0;
	for (size_t k = 0; k < n && i < len; k++)
		i += char_len((unsigned char)s[i]);
	return i > len ? len : i;
}

/* ---- targets ---- */

void sl_mask_target_from_column(sl_mask_target *out, const sl_column *c)
{
	memset(out, 0, sizeof(*out));
	out->kind = c->type.kind;
	if (c->type.kind == SL_T_CHAR || c->type.kind == SL_T_VARCHAR)
		out->length = c->type.length > 0 ? c->type.length : 0;
	out->precision = c->type.precision;
	out->scale = c->type.scale;
	out->is_unsigned = c->type.is_unsigned;
}

static bool kind_text(sl_tkind k)
{
	return k == SL_T_CHAR || k == SL_T_VARCHAR || k == SL_T_TEXT || k == SL_T_OTHER ||
	       k == SL_T_UNKNOWN || k == SL_T_INTERVAL;
}

static bool kind_int(sl_tkind k)
{
	return k == SL_T_INT16 || k == SL_T_INT32 || k == SL_T_INT64;
}

static bool kind_number(sl_tkind k)
{
	return kind_int(k) || k == SL_T_FLOAT32 || k == SL_T_FLOAT64 || k == SL_T_DECIMAL;
}

static bool kind_time(sl_tkind k)
{
	return k == SL_T_DATE || k == SL_T_TIMESTAMP || k == SL_T_TIMESTAMPTZ;
}

/* Parses a fixed value for kind k; 0 or SL_EINVALID. */
static int parse_fixed(sl_value *out, const char *s, sl_tkind k, bool want_text, sl_arena *a)
{
	size_t len = strlen(s);
	char *end = NULL;
	(void)a;
	if (want_text || kind_text(k) || k == SL_T_ENUM || k == SL_T_SET || k == SL_T_ARRAY ||
	    k == SL_T_BIT || k == SL_T_GEOMETRY) {
		*out = sl_bytes(SL_V_TEXT, s, len);
		return 0;
	}
	errno = 0;
	switch (k) {
	case SL_T_BOOL:
		if (!strcmp(s, "true") || !strcmp(s, "1"))
			*out = sl_bool(true);
		else if (!strcmp(s, "false") || !strcmp(s, "0"))
			*out = sl_bool(false);
		else
			return SL_EINVALID;
		return 0;
	case SL_T_INT16:
	case SL_T_INT32:
	case SL_T_INT64: {
		long long v = strtoll(s, &end, 10);
		if (errno || end == s || *end)
			return SL_EINVALID;
		*out = sl_int(v);
		return 0;
	}
	case SL_T_FLOAT32:
	case SL_T_FLOAT64: {
		double d = strtod(s, &end);
		if (errno || end == s || *end)
			return SL_EINVALID;
		*out = sl_double(d);
		return 0;
	}
	case SL_T_DECIMAL: {
		double d = strtod(s, &end);
		if (errno || end == s || *end || !isfinite(d) || strpbrk(s, "eEnNiI"))
			return SL_EINVALID;
		*out = sl_bytes(SL_V_DECIMAL, s, len);
		return 0;
	}
	case SL_T_DATE:
		out->type = SL_V_DATE;
		return sl_parse_date(s, len, &out->u.date) ? SL_EINVALID : 0;
	case SL_T_TIME:
		out->type = SL_V_TIME;
		return sl_parse_time(s, len, &out->u.time) ? SL_EINVALID : 0;
	case SL_T_TIMESTAMP:
	case SL_T_TIMESTAMPTZ: {
		bool zone = false;
		out->type = k == SL_T_TIMESTAMP ? SL_V_TIMESTAMP : SL_V_TIMESTAMPTZ;
		return sl_parse_timestamp(s, len, &out->u.ts, &zone) ? SL_EINVALID : 0;
	}
	case SL_T_UUID:
		out->type = SL_V_UUID;
		return sl_parse_uuid(s, len, out->u.uuid) ? SL_EINVALID : 0;
	case SL_T_JSON:
		*out = sl_bytes(SL_V_JSON, s, len);
		return 0;
	case SL_T_BLOB:
		*out = sl_bytes(SL_V_BLOB, s, len);
		return 0;
	default:
		*out = sl_bytes(SL_V_TEXT, s, len);
		return 0;
	}
}

/* The families a rule applies to. */
static bool rule_fits(sl_mask_kind r, sl_tkind k)
{
	switch (r) {
	case SL_MASK_KEEP:
	case SL_MASK_NULL:
	case SL_MASK_FIXED:
	case SL_MASK_SHUFFLE:
	case SL_MASK_SQL:
		return true;
	case SL_MASK_HASH:
		return kind_text(k) || kind_number(k) || k == SL_T_UUID || k == SL_T_BLOB || k == SL_T_BOOL ||
		       k == SL_T_JSON;
	case SL_MASK_EMAIL:
	case SL_MASK_NAME:
	case SL_MASK_ADDRESS:
	case SL_MASK_IP:
	case SL_MASK_PARTIAL:
		return kind_text(k);
	case SL_MASK_PHONE:
		return kind_text(k) || kind_int(k) || k == SL_T_DECIMAL;
	case SL_MASK_DATE_SHIFT:
		return kind_time(k) || kind_text(k) || kind_int(k);
	case SL_MASK_NOISE:
		return kind_number(k) || kind_text(k);
	case SL_MASK_JSON:
		return k == SL_T_JSON || kind_text(k);
	default:
		return false;
	}
}

static const char *hint(sl_mask_kind r, sl_tkind k)
{
	if (kind_time(k))
		return ": use date_shift, fixed, null or keep";
	if (kind_number(k))
		return ": use noise, hash, fixed, null or keep";
	if (k == SL_T_JSON)
		return ": use json (rules for paths inside the document), hash, fixed, null or keep";
	if (k == SL_T_ENUM || k == SL_T_SET)
		return ": use shuffle, fixed, null or keep";
	(void)r;
	return "";
}

int sl_mask_rule_check(const sl_mask_rule *r, const sl_mask_target *t)
{
	if (!rule_fits(r->kind, t->kind))
		return sl_error_set(SL_EINVALID, "rule \"%s\" does not apply to a %s column%s",
				    sl_mask_kind_name(r->kind), sl_tkind_name(t->kind),
				    hint(r->kind, t->kind));
	if (r->kind == SL_MASK_FIXED) {
		sl_value v;
		if (parse_fixed(&v, r->value, t->kind, false, NULL))
			return sl_error_set(SL_EINVALID, "rule \"fixed\": \"%s\" is not a %s value", r->value,
					    sl_tkind_name(t->kind));
		if (t->length > 0 && kind_text(t->kind) &&
		    sl_mask_utf8_chars(r->value, strlen(r->value)) > (size_t)t->length)
			return sl_error_set(SL_EINVALID,
					    "rule \"fixed\": \"%s\" is longer than the column (%d)", r->value,
					    t->length);
	}
	for (size_t i = 0; i < r->npaths; i++) {
		const sl_mask_rule *s = r->paths[i].rule;
		if (s->kind == SL_MASK_DATE_SHIFT || s->kind == SL_MASK_SHUFFLE)
			return sl_error_set(SL_EINVALID, "%s: rule \"%s\" cannot be used inside a json rule",
					    r->paths[i].where, sl_mask_kind_name(s->kind));
	}
	return 0;
}

/* ---- the input text ---- */

int sl_mask_input_text(sl_buf *out, const sl_value *v)
{
	switch (v->type) {
	case SL_V_TEXT:
	case SL_V_JSON:
	case SL_V_BLOB:
		return sl_buf_put(out, v->u.s.ptr, v->u.s.len);
	case SL_V_DECIMAL: {
		size_t n = v->u.s.len;
		if (memchr(v->u.s.ptr, '.', n)) {
			while (n > 0 && v->u.s.ptr[n - 1] == '0')
				n--;
			if (n > 0 && v->u.s.ptr[n - 1] == '.')
				n--;
		}
		return sl_buf_put(out, v->u.s.ptr, n);
	}
	case SL_V_DOUBLE:
		if (isfinite(v->u.d) && v->u.d == floor(v->u.d) && fabs(v->u.d) < 9e15)
			return sl_buf_printf(out, "%" PRId64, (int64_t)v->u.d);
		return sl_format_double(out, v->u.d);
	default:
		return sl_value_format(out, v);
	}
}

/* ---- helpers for the rules ---- */

static int put_text(sl_value *out, sl_vtype type, const sl_buf *b, const sl_mask_target *t, sl_arena *a)
{
	size_t len = b->len;
	if (t->length > 0)
		len = sl_mask_utf8_prefix(b->ptr ? b->ptr : "", b->len, (size_t)t->length);
	char *p = sl_arena_memdup(a, b->ptr ? b->ptr : "", len ? len : 1);
	if (!p)
		return SL_ENOMEM;
	*out = sl_bytes(type, p, len);
	return 0;
}

/* Text-like payload of v, or NULL. */
static const char *text_of(const sl_value *v, size_t *len)
{
	if (v->type == SL_V_TEXT || v->type == SL_V_JSON || v->type == SL_V_DECIMAL) {
		*len = v->u.s.len;
		return v->u.s.ptr;
	}
	return NULL;
}

static int64_t int_bound(const sl_mask_target *t)
{
	switch (t->kind) {
	case SL_T_INT16:
		return INT16_MAX;
	case SL_T_INT32:
		return t->is_unsigned ? (int64_t)UINT32_MAX : INT32_MAX;
	default:
		return INT64_MAX;
	}
}

/* hash: hex text, a positive integer, a uuid, bytes or a boolean, by the value's type. */
static int do_hash(sl_value *out, const sl_value *v, const uint8_t *d, const sl_mask_rule *r,
		   const sl_mask_target *t, sl_buf *b, sl_arena *a)
{
	static const char hex[] = "0123456789abcdef";
	switch (v->type) {
	case SL_V_INT: {
		int64_t bound = int_bound(t);
		*out = sl_int(1 + (int64_t)(sl_mask_word(d, 0) % (uint64_t)bound));
		return 0;
	}
	case SL_V_BOOL:
		*out = sl_bool(d[0] & 1);
		return 0;
	case SL_V_DOUBLE:
		*out = sl_double((double)(sl_mask_word(d, 0) % 1000000000) / 1000.0);
		return 0;
	case SL_V_UUID:
		*out = *v;
		memcpy(out->u.uuid, d, 16);
		out->u.uuid[6] = (uint8_t)((out->u.uuid[6] & 0x0f) | 0x40);
		out->u.uuid[8] = (uint8_t)((out->u.uuid[8] & 0x3f) | 0x80);
		return 0;
	case SL_V_BLOB: {
		size_t n = r->length ? (size_t)r->length : SL_MASK_DIGEST;
		if (n > SL_MASK_DIGEST)
			n = SL_MASK_DIGEST;
		void *p = sl_arena_memdup(a, d, n);
		if (!p)
			return SL_ENOMEM;
		*out = sl_bytes(SL_V_BLOB, p, n);
		return 0;
	}
	case SL_V_DECIMAL: {
		int digits = t->precision > 0 ? t->precision - t->scale : 12;
		if (digits > 15)
			digits = 15;
		if (digits < 1)
			digits = 1;
		uint64_t mod = 1;
		for (int i = 0; i < digits; i++)
			mod *= 10;
		int rc = sl_buf_printf(b, "%" PRIu64, sl_mask_word(d, 0) % mod);
		if (!rc)
			rc = put_text(out, SL_V_DECIMAL, b, &(sl_mask_target){ 0 }, a);
		return rc;
	}
	default:
		break;
	}
	int rc = 0;
	if (t->kind == SL_T_UUID) {
		uint8_t u[16];
		memcpy(u, d, 16);
		u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
		u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
		rc = sl_format_uuid(b, u);
		return rc ? rc : put_text(out, v->type, b, t, a);
	}
	size_t n = r->length ? (size_t)r->length : 2 * SL_MASK_DIGEST;
	if (!r->length && t->length > 0 && (size_t)t->length < n)
		n = (size_t)t->length;
	bool json = v->type == SL_V_JSON || t->kind == SL_T_JSON;
	if (json)
		rc = sl_buf_putc(b, '"');
	for (size_t i = 0; !rc && i < n; i++)
		rc = sl_buf_putc(b, hex[(d[i / 2] >> (i % 2 ? 0 : 4)) & 0xf]);
	if (!rc && json)
		rc = sl_buf_putc(b, '"');
	return rc ? rc : put_text(out, v->type, b, t, a);
}

static size_t count_words(const char *s, size_t len)
{
	size_t n = 0;
	bool in = false;
	for (size_t i = 0; i < len; i++) {
		bool sp = isspace((unsigned char)s[i]);
		if (!sp && !in)
			n++;
		in = !sp;
	}
	return n;
}

static int do_partial(sl_buf *b, const char *s, size_t len, const sl_mask_rule *r, const uint8_t *d,
		      unsigned attempt)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = sl_mask_utf8_chars(s, len);
	size_t first = (size_t)r->first, last = (size_t)r->last;
	if (n <= first + last)
		first = last = 0; /* too short: keeping the ends would keep it all */
	size_t head = sl_mask_utf8_prefix(s, len, first);
	size_t tail_at = sl_mask_utf8_prefix(s, len, n - last);
	int rc = sl_buf_put(b, s, head);
	for (size_t i = first; !rc && i < n - last; i++) {
		if (attempt)
			rc = sl_buf_putc(b, hex[(d[(i - first) % SL_MASK_DIGEST] >> (i % 2 ? 0 : 4)) & 0xf]);
		else
			rc = sl_buf_puts(b, r->fill);
	}
	if (!rc)
		rc = sl_buf_put(b, s + tail_at, len - tail_at);
	return rc;
}

/* The shift of date_shift in days: within [-days, days], never 0. */
static int64_t shift_days(const uint8_t *d, int days)
{
	uint64_t w = sl_mask_word(d, 0) % (uint64_t)(2 * days);
	int64_t s = (int64_t)w - days;
	return s >= 0 ? s + 1 : s;
}

static bool is_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

static int do_date_shift(sl_value *out, const sl_value *v, int64_t days, sl_buf *b, sl_arena *a)
{
	size_t len;
	const char *s;
	*out = *v;
	switch (v->type) {
	case SL_V_DATE:
		out->u.date = (int32_t)(v->u.date + days);
		return 0;
	case SL_V_TIMESTAMP:
	case SL_V_TIMESTAMPTZ:
		out->u.ts = v->u.ts + days * SL_USEC_PER_DAY;
		return 0;
	case SL_V_INT: /* Unix seconds */
		out->u.i = v->u.i + days * 86400;
		return 0;
	case SL_V_DOUBLE:
		out->u.d = v->u.d + (double)days * 86400.0;
		return 0;
	default:
		break;
	}
	s = text_of(v, &len);
	int32_t day;
	/* text dates (SQLite): the leading YYYY-MM-DD is replaced, the rest (time, zone) kept as written */
	if (!s || len < 10 || !is_digits(s, 4) || s[4] != '-' || !is_digits(s + 5, 2) || s[7] != '-' ||
	    !is_digits(s + 8, 2) || sl_parse_date(s, 10, &day))
		return 0; /* not a date (a zero date, free text): nothing to shift */
	int rc = sl_format_date(b, (int32_t)(day + days));
	if (!rc && b->len != 10) { /* outside years 0-9999: keep the value's own form */
		sl_buf_clear(b);
		return 0;
	}
	if (!rc)
		rc = sl_buf_put(b, s + 10, len - 10);
	return rc ? rc : put_text(out, v->type, b, &(sl_mask_target){ 0 }, a);
}

/* noise: value * f, f within [1 - ratio, 1 + ratio], same sign, same number of decimals. */
static int do_noise(sl_value *out, const sl_value *v, const uint8_t *d, const sl_mask_rule *r,
		    const sl_mask_target *t, sl_buf *b, sl_arena *a)
{
	double u = (double)(sl_mask_word(d, 0) % 2000001) / 1000000.0 - 1.0; /* [-1, 1] */
	long double f = 1.0L + (long double)(r->ratio * u);
	size_t len;
	const char *s;
	*out = *v;
	switch (v->type) {
	case SL_V_INT: {
		long double x = (long double)v->u.i * f;
		int64_t bound = int_bound(t);
		if (x > (long double)bound || x < -(long double)bound)
			x = (long double)v->u.i * (2.0L - f); /* the other side stays in range */
		int64_t i = (int64_t)llroundl(x);
		if (i == 0 && v->u.i != 0)
			i = v->u.i > 0 ? 1 : -1;
		out->u.i = i;
		return 0;
	}
	case SL_V_DOUBLE:
		out->u.d = (double)((long double)v->u.d * f);
		return 0;
	default:
		break;
	}
	s = text_of(v, &len);
	if (!s || len == 0 || len > 60)
		return 0;
	char tmp[64], *end = NULL;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	errno = 0;
	long double x = strtold(tmp, &end);
	if (errno || end == tmp || *end || !isfinite((double)x) || strpbrk(tmp, "eEnNiI"))
		return 0; /* not a plain number: kept (a number column holds numbers) */
	const char *dot = strchr(tmp, '.');
	int scale = dot ? (int)strlen(dot + 1) : 0;
	long double y = x * f;
	int digits = t->precision > 0 ? t->precision - (t->scale > 0 ? t->scale : 0) : 0;
	if (digits > 0 && fabsl(y) >= powl(10.0L, digits))
		y = x * (2.0L - f);
	long double unit = powl(10.0L, -scale);
	if (x != 0 && fabsl(y) < unit / 2)
		y = x > 0 ? unit : -unit;
	int rc = sl_buf_printf(b, "%.*Lf", scale, y);
	if (!rc && b->len && b->ptr[0] == '-' && x >= 0) { /* "-0.00" */
		memmove(b->ptr, b->ptr + 1, b->len);
		b->len--;
	}
	return rc ? rc : put_text(out, v->type, b, &(sl_mask_target){ 0 }, a);
}

static const char *label(const sl_mask_rule *r)
{
	return sl_mask_kind_name(r->kind);
}

/* The value a generating rule makes from the digest d of the input s[0..len). */
static int fake_value(sl_value *out, const sl_value *v, const sl_mask_rule *r, const sl_mask_target *t,
		      const uint8_t *d, const char *s, size_t len, unsigned attempt, sl_buf *b, sl_arena *a)
{
	int rc = 0;
	switch (r->kind) {
	case SL_MASK_HASH:
		rc = do_hash(out, v, d, r, t, b, a);
		break;
	case SL_MASK_EMAIL: {
		const char *at = memchr(s, '@', len);
		const char *dom = r->domain;
		size_t dl = dom ? strlen(dom) : 0;
		if (r->keep_domain && at) {
			dom = at + 1;
			dl = len - (size_t)(at + 1 - s);
		}
		rc = sl_fake_email(b, d, dom, dl);
		if (!rc)
			rc = put_text(out, v->type, b, t, a);
		break;
	}
	case SL_MASK_NAME: {
		size_t words = count_words(s, len);
		rc = sl_fake_name(b, d, r->part, words ? (int)words : 1);
		if (!rc && attempt > 8)
			rc = sl_buf_printf(b, " %u", attempt);
		if (!rc)
			rc = put_text(out, v->type, b, t, a);
		break;
	}
	case SL_MASK_PHONE:
		rc = sl_fake_phone(b, d, s, len, r->keep);
		if (!rc && v->type == SL_V_INT) {
			char *end = NULL;
			errno = 0;
			long long p = strtoll(b->ptr, &end, 10);
			*out = sl_int(errno || *end ? v->u.i : p);
		} else if (!rc) {
			rc = put_text(out, v->type, b, t, a);
		}
		break;
	case SL_MASK_ADDRESS: {
		int parts = 1;
		for (size_t i = 0; i < len; i++)
			parts += s[i] == ',';
		rc = sl_fake_address(b, d, parts > 3 ? 3 : parts);
		if (!rc)
			rc = put_text(out, v->type, b, t, a);
		break;
	}
	case SL_MASK_IP:
		rc = sl_fake_ip(b, d, s, len);
		if (!rc)
			rc = put_text(out, v->type, b, t, a);
		break;
	case SL_MASK_PARTIAL:
		rc = do_partial(b, s, len, r, d, attempt);
		if (!rc)
			rc = put_text(out, v->type, b, t, a);
		break;
	case SL_MASK_DATE_SHIFT:
		rc = do_date_shift(out, v, shift_days(d, r->days), b, a);
		break;
	case SL_MASK_NOISE:
		rc = do_noise(out, v, d, r, t, b, a);
		break;
	default:
		break;
	}
	return rc;
}

int sl_mask_value(sl_mask_ctx *x, sl_value *out, const sl_value *v, const sl_mask_rule *r,
		  const sl_mask_target *t, const char *entity, size_t entity_len, unsigned attempt,
		  sl_arena *a)
{
	sl_buf own_in = SL_BUF_INIT, own_b = SL_BUF_INIT;
	sl_mask_scratch *sc = NULL;
	sl_buf *in = &own_in, *b = &own_b;
	uint8_t d[SL_MASK_DIGEST];
	size_t len = 0;
	const char *s;
	int rc = 0;
	*out = *v;
	if (v->type == SL_V_NULL)
		return 0;
	switch (r->kind) {
	case SL_MASK_KEEP:
	case SL_MASK_SHUFFLE:
	case SL_MASK_SQL:
		return 0;
	case SL_MASK_NULL:
		*out = sl_null();
		return 0;
	case SL_MASK_FIXED:
		rc = parse_fixed(out, r->value, t->kind, text_of(v, &len) != NULL, a);
		if (rc)
			rc = sl_error_set(SL_EINVALID, "rule \"fixed\": \"%s\" is not a %s value", r->value,
					  sl_tkind_name(t->kind));
		else if (out->type == SL_V_TEXT && v->type != SL_V_TEXT)
			out->type = v->type == SL_V_JSON || v->type == SL_V_DECIMAL ? v->type : SL_V_TEXT;
		return rc;
	default:
		break;
	}
	if ((sc = sl_mask_scratch_take(x)) != NULL) {
		in = &sc->in;
		b = &sc->out;
	}
	rc = sl_mask_input_text(in, v);
	if (!rc && r->kind == SL_MASK_JSON) {
		bool changed = false;
		rc = sl_mask_json(x, b, in->ptr ? in->ptr : "", in->len, r, entity, entity_len, a, &changed);
		if (!rc && changed)
			rc = put_text(out, v->type == SL_V_TEXT ? SL_V_TEXT : SL_V_JSON, b,
				      &(sl_mask_target){ 0 }, a);
		goto done;
	}
	if (!rc) {
		bool by_entity = entity && (r->kind == SL_MASK_DATE_SHIFT || r->kind == SL_MASK_NOISE);
		rc = by_entity ? sl_mask_derive(x, d, label(r), entity, entity_len, attempt)
			       : sl_mask_derive(x, d, label(r), in->ptr ? in->ptr : "", in->len, attempt);
	}
	if (rc)
		goto done;
	s = in->ptr ? in->ptr : "";
	len = in->len;
	rc = fake_value(out, v, r, t, d, s, len, attempt, b, a);
done:
	sl_mask_scratch_give(x, sc);
	sl_buf_free(&own_in);
	sl_buf_free(&own_b);
	if (rc == SL_ENOMEM)
		rc = sl_error_nomem();
	return rc;
}

bool sl_mask_is_fake(const sl_mask_rule *r, const char *text, size_t len)
{
	switch (r->kind) {
	case SL_MASK_NAME:
		return sl_fake_is_name(text, len);
	case SL_MASK_EMAIL:
		return sl_fake_is_email(text, len, r->keep_domain || r->domain);
	case SL_MASK_ADDRESS:
		return sl_fake_is_address(text, len);
	case SL_MASK_IP:
		return sl_fake_is_ip(text, len);
	default:
		return false;
	}
}
