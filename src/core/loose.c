/*
 * loose.c - how a loosely typed value (SQLite keeps any storage class in
 * any column) is read as a boolean or as a point in time. The copy
 * (src/copy/convert.c) and the canonical encoding of diff
 * (src/check/canon.c) both read values through these functions, so what
 * the copy writes for a stored value is what diff compares it with.
 * docs/copy.md ("Conversions") and docs/canonical.md give the rules.
 */
#include "sluice/value.h"

#include <math.h>
#include <string.h>
#include <strings.h>

int sl_read_bool(const char *s, size_t n)
{
	static const char *const yes[] = { "1", "t", "true", "y", "yes", "on" };
	static const char *const no[] = { "0", "f", "false", "n", "no", "off" };
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (n == strlen(yes[i]) && strncasecmp(s, yes[i], n) == 0)
			return 1;
		if (n == strlen(no[i]) && strncasecmp(s, no[i], n) == 0)
			return 0;
	}
	return -1;
}

/* Julian day numbers of 0001-01-01 and 10000-01-01 at midnight. */
#define JD_MIN        1721425.5
#define JD_MAX        5373484.5
#define JD_UNIX_EPOCH 2440587.5

bool sl_read_epoch(const sl_value *v, int64_t *usec)
{
	double d;
	if (v->type == SL_V_INT) {
		int64_t i = v->u.i, a = i < 0 ? -(i + 1) : i;
		if (a < INT64_C(100000000000))
			*usec = i * SL_USEC_PER_SEC;
		else if (a < INT64_C(100000000000000))
			*usec = i * 1000;
		else if (a < INT64_C(100000000000000000))
			*usec = i;
		else
			return false;
		return true;
	}
	if (v->type != SL_V_DOUBLE || !isfinite(v->u.d))
		return false;
	d = v->u.d;
	if (d >= JD_MIN && d < JD_MAX && d != floor(d)) /* a Julian day number with a fraction */
		d = (d - JD_UNIX_EPOCH) * 86400.0;
	double a = fabs(d), mul = a < 1e11 ? 1e6 : a < 1e14 ? 1e3 : a < 1e17 ? 1 : 0;
	if (mul == 0)
		return false;
	*usec = (int64_t)llround(d * mul);
	return true;
}
