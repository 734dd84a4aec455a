/*
 * value.h - one value type for every engine, and batches of rows.
 *
 * A sl_value is a tagged union. Text-like payloads (text, decimal, blob, json)
 * point at bytes owned by someone else - in a batch, by the batch's arena -
 * and carry an explicit length, so NUL bytes survive. Temporal values are
 * integers: dates in days since 1970-01-01, times in microseconds since
 * midnight, timestamps in microseconds since 1970-01-01 00:00:00 (UTC for
 * SL_V_TIMESTAMPTZ, wall-clock for SL_V_TIMESTAMP). That covers years -290000
 * to +290000, so dates before 1970, after 2038 and after 9999 all fit.
 *
 * Decoding rules per engine are documented in docs/values.md.
 */
#ifndef SLUICE_VALUE_H
#define SLUICE_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/arena.h"
#include "sluice/buf.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sl_vtype {
	SL_V_NULL = 0,
	SL_V_BOOL,
	SL_V_INT,     /* int64 */
	SL_V_DOUBLE,  /* IEEE double; NaN and +-Infinity allowed */
	SL_V_DECIMAL, /* exact decimal as text: [-]digits[.digits]; also uint64 > INT64_MAX */
	SL_V_TEXT,    /* bytes, normally UTF-8 (not checked) */
	SL_V_BLOB,
	SL_V_DATE,        /* days since 1970-01-01 (proleptic Gregorian) */
	SL_V_TIME,        /* microseconds since midnight, 0 .. 86400000000 */
	SL_V_TIMESTAMP,   /* microseconds since epoch, no zone (wall clock) */
	SL_V_TIMESTAMPTZ, /* microseconds since epoch, UTC */
	SL_V_UUID,        /* 16 bytes */
	SL_V_JSON,        /* JSON document as text */
	SL_V__COUNT
} sl_vtype;

typedef struct sl_value {
	sl_vtype type;
	union {
		bool b;
		int64_t i;
		double d;
		struct {
			const char *ptr;
			size_t len;
		} s; /* DECIMAL, TEXT, BLOB, JSON */
		int32_t date;
		int64_t time;
		int64_t ts; /* TIMESTAMP and TIMESTAMPTZ */
		uint8_t uuid[16];
	} u;
} sl_value;

#define SL_USEC_PER_SEC INT64_C(1000000)
#define SL_USEC_PER_DAY INT64_C(86400000000)

/* The type's name as used in docs and JSON output ("timestamptz"). */
const char *sl_vtype_name(sl_vtype t);

/* Constructors for the common cases; text/blob/decimal/json values borrow p. */
static inline sl_value sl_null(void)
{
	sl_value v = { .type = SL_V_NULL };
	return v;
}
static inline sl_value sl_int(int64_t i)
{
	sl_value v = { .type = SL_V_INT, .u.i = i };
	return v;
}
static inline sl_value sl_double(double d)
{
	sl_value v = { .type = SL_V_DOUBLE, .u.d = d };
	return v;
}
static inline sl_value sl_bool(bool b)
{
	sl_value v = { .type = SL_V_BOOL, .u.b = b };
	return v;
}
sl_value sl_bytes(sl_vtype t, const void *p, size_t len);
sl_value sl_text(const char *s);

/* Calendar arithmetic (proleptic Gregorian; year 0 = 1 BC). */
int32_t sl_days_from_civil(int64_t y, unsigned m, unsigned d);
void sl_civil_from_days(int32_t days, int64_t *y, unsigned *m, unsigned *d);

/*
 * Parsers for the text forms engines send. Each accepts exactly the whole
 * input (len bytes) and returns 0, or SL_EINVALID with the error set.
 *   date:      [-]YYYY-MM-DD, optional " BC"
 *   time:      HH:MM[:SS[.ffffff]] (24:00:00 allowed)
 *   timestamp: date, 'T' or ' ', time, optional zone Z | +HH[:MM[:SS]] | -HH..
 * A zone is converted to UTC and *has_zone set; without one, the value is the
 * wall clock as given. Fractions beyond microseconds are rounded half up.
 */
int sl_parse_date(const char *s, size_t len, int32_t *out);
int sl_parse_time(const char *s, size_t len, int64_t *out);
int sl_parse_timestamp(const char *s, size_t len, int64_t *out, bool *has_zone);
/* 8-4-4-4-12 hex, any case, optional braces; also 32 bare hex digits. */
int sl_parse_uuid(const char *s, size_t len, uint8_t out[16]);

/*
 * Loosely typed values (src/core/loose.c), read the same way by copy and diff:
 * sl_read_bool: 1 or 0 for the words 1/0, t/f, true/false, y/n, yes/no,
 *   on/off (any case), -1 for anything else.
 * sl_read_epoch: a number stored as a point in time, as microseconds since
 *   1970-01-01 UTC: integers and doubles are Unix seconds when |x| < 1e11,
 *   milliseconds when < 1e14, microseconds when < 1e17; a double with a
 *   fraction between 1721425.5 and 5373484.5 (years 1-9999) is a Julian day
 *   number. false for anything else (other types, NaN, larger numbers).
 */
int sl_read_bool(const char *s, size_t n);
bool sl_read_epoch(const sl_value *v, int64_t *usec);

/*
 * Appends the decimal number s[0..n) ([+-]digits[.digits][e[+-]digits]) in
 * its normal form (src/core/decimal.c): no '+', no leading or trailing
 * zeros, no exponent, "0" for every zero. scale >= 0 first rounds half away
 * from zero to that many fractional digits. 0, 1 when s is no number (out
 * unchanged), or SL_ENOMEM.
 */
int sl_decimal_norm(sl_buf *out, const char *s, size_t n, int scale);

/*
 * Writes the value's canonical display text: ISO 8601 for temporals
 * (timestamptz with a trailing "Z"), lower-case uuid, "true"/"false",
 * shortest round-trip form for doubles ("NaN", "Infinity", "-Infinity"),
 * blobs as "\x" followed by hex. NULL writes nothing; callers decide how to
 * show it.
 */
int sl_value_format(sl_buf *out, const sl_value *v);
int sl_format_date(sl_buf *out, int32_t days);
int sl_format_time(sl_buf *out, int64_t usec);
int sl_format_timestamp(sl_buf *out, int64_t usec, bool utc_z);
int sl_format_uuid(sl_buf *out, const uint8_t u[16]);
int sl_format_double(sl_buf *out, double d);

/* Copies v's payload into the arena so the copy outlives v's owner. */
int sl_value_copy(sl_value *out, const sl_value *v, sl_arena *a);

/* Exact equality of type and content (no cross-type coercion; NaN equals NaN). */
bool sl_value_equal(const sl_value *a, const sl_value *b);

/*
 * A batch of rows. values holds nrows * ncols values, row-major; the payload
 * bytes live in arena. sl_batch_reset() drops the rows and the arena's
 * contents at once (pointers into the old rows become invalid).
 */
typedef struct sl_batch {
	size_t ncols;
	size_t nrows;
	size_t cap; /* rows allocated in values */
	sl_value *values;
	sl_arena *arena;
} sl_batch;

int sl_batch_init(sl_batch *b, size_t ncols, size_t cap_rows);
void sl_batch_reset(sl_batch *b);
void sl_batch_free(sl_batch *b);
/* Appends a row of ncols NULLs and returns it; NULL when out of memory. */
sl_value *sl_batch_add_row(sl_batch *b);
static inline sl_value *sl_batch_row(const sl_batch *b, size_t r)
{
	return b->values + r * b->ncols;
}
/* Copies bytes into the batch's arena and stores a text-like value; 0 or SL_ENOMEM. */
int sl_batch_set_bytes(sl_batch *b, sl_value *v, sl_vtype t, const void *p, size_t len);
/* Approximate memory held by the batch (values plus arena), for bounding memory. */
size_t sl_batch_bytes(const sl_batch *b);

#ifdef __cplusplus
}
#endif
#endif
