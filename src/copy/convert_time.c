/*
 * convert_time.c - dates, timestamps and times into what the target column
 * takes (convert_int.h, docs/casts.md): fractional seconds rounded as the
 * target rounds them, zero dates, years the target cannot hold refused.
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

/* 2000-01-01 as microseconds since 1970: PostgreSQL's epoch, which its rounding is relative to. */
#define PG_EPOCH_USEC INT64_C(946684800000000)

/* Fractional-second digits the target column keeps: its precision, else the engine's default. */
static int target_frac(const sl_cast_column *cc, const sl_copy_conv *cx)
{
	int p = cc->type.precision;
	const sl_dialect *d = sl_copy_conv_dst(cx);
	if (d->temporal_as_text)
		return 6; /* kept as text, whole */
	if (p < 0)
		return d->default_frac_digits;
	return p > 6 ? 6 : p;
}

/*
 * us rounded to the column's fractional digits as the engine would round
 * it: half away from zero counted from origin (PostgreSQL counts from
 * 2000-01-01; MySQL rounds half up, the same for every later value).
 * Counted as a lossy cast when a non-zero digit goes.
 */
static int64_t round_frac(int64_t us, int64_t origin, int digits, sl_copy_loss *loss)
{
	static const int64_t scale[7] = { 1000000, 100000, 10000, 1000, 100, 10, 1 };
	int64_t s = scale[digits < 0 ? 0 : digits > 6 ? 6 : digits], t = us - origin;
	if (s == 1 || t % s == 0)
		return us;
	*loss = SL_COPY_LOSS_FRACTION;
	return origin + (t >= 0 ? (t + s / 2) / s * s : -((-t + s / 2) / s * s));
}

/* A MySQL zero date: NULL where the column allows it (a lossy cast), refused where it does not. */
int cv_zero_date(sl_value *out, sl_copy_loss *loss, const sl_value *v, const sl_cast_column *cc,
		 sl_buf *reason)
{
	if (!cc->src->nullable)
		return cv_refuse(reason, v, "is a zero date in a NOT NULL column");
	*out = sl_null();
	*loss = SL_COPY_LOSS_ZERO_DATE;
	return 0;
}

int cv_conv_date(sl_value *out, sl_copy_loss *loss, const sl_value *v, const sl_cast_column *cc,
		 const sl_copy_conv *cx, sl_buf *reason)
{
	int32_t days = 0;
	int64_t us;
	bool zone;
	switch (v->type) {
	case SL_V_DATE:
		days = v->u.date;
		break;
	case SL_V_TIMESTAMP:
	case SL_V_TIMESTAMPTZ:
		if (v->u.ts % SL_USEC_PER_DAY != 0)
			return cv_refuse(reason, v, "has a time of day: not a date");
		days = (int32_t)(v->u.ts / SL_USEC_PER_DAY);
		break;
	case SL_V_TEXT:
		if (cv_is_zero_date_text(v))
			goto zero;
		if (sl_parse_date(v->u.s.ptr, v->u.s.len, &days) == 0)
			break;
		if (sl_parse_timestamp(v->u.s.ptr, v->u.s.len, &us, &zone) == 0 &&
		    us % SL_USEC_PER_DAY == 0) {
			days = (int32_t)(us / SL_USEC_PER_DAY);
			break;
		}
		sl_error_clear();
		return cv_refuse(reason, v, "is not a date");
	case SL_V_INT:
	case SL_V_DOUBLE:
		if (!sl_read_epoch(v, &us) || us % SL_USEC_PER_DAY != 0)
			return cv_refuse(reason, v, "is not a date (an epoch number that is not a midnight)");
		days = (int32_t)(us / SL_USEC_PER_DAY);
		break;
	default:
		return cv_refuse(reason, v, "is not a date (it is %s)", sl_vtype_name(v->type));
	}
	if (!cv_date_ok(sl_copy_conv_dst(cx), days))
		return cv_out_of_years(reason, v, sl_copy_conv_dst(cx));
	out->type = SL_V_DATE;
	out->u.date = days;
	return 0;
zero:
	return cv_zero_date(out, loss, v, cc, reason);
}

int cv_conv_ts(sl_value *out, sl_copy_loss *loss, const sl_value *v, const sl_cast_column *cc,
	       const sl_copy_conv *cx, sl_buf *reason)
{
	bool tz_target = cc->type.kind == SL_T_TIMESTAMPTZ;
	int64_t us = 0;
	bool zone = false;
	switch (v->type) {
	case SL_V_TIMESTAMP:
	case SL_V_TIMESTAMPTZ:
		us = v->u.ts;
		break;
	case SL_V_DATE:
		us = (int64_t)v->u.date * SL_USEC_PER_DAY;
		break;
	case SL_V_TEXT:
		if (cv_is_zero_date_text(v))
			goto zero;
		if (sl_parse_timestamp(v->u.s.ptr, v->u.s.len, &us, &zone) != 0) {
			int32_t d;
			sl_error_clear();
			if (sl_parse_date(v->u.s.ptr, v->u.s.len, &d) != 0) {
				sl_error_clear();
				return cv_refuse(reason, v, "is not a timestamp");
			}
			us = (int64_t)d * SL_USEC_PER_DAY;
		}
		break;
	case SL_V_INT:
	case SL_V_DOUBLE:
		if (!sl_read_epoch(v, &us))
			return cv_refuse(reason, v,
					 "is not a timestamp (not an epoch number or a Julian day)");
		zone = true;
		break;
	default:
		return cv_refuse(reason, v, "is not a timestamp (it is %s)", sl_vtype_name(v->type));
	}
	if (sl_copy_conv_dst(cx)->min_year) {
		int64_t days = us / SL_USEC_PER_DAY - (us % SL_USEC_PER_DAY < 0);
		if (!cv_date_ok(sl_copy_conv_dst(cx), days))
			return cv_out_of_years(reason, v, sl_copy_conv_dst(cx));
	}
	out->type = tz_target ? SL_V_TIMESTAMPTZ : SL_V_TIMESTAMP;
	out->u.ts = round_frac(us, PG_EPOCH_USEC, target_frac(cc, cx), loss);
	return 0;
zero:
	return cv_zero_date(out, loss, v, cc, reason);
}

int cv_conv_time(sl_value *out, sl_copy_loss *loss, const sl_value *v, const sl_cast_column *cc,
		 const sl_copy_conv *cx, sl_buf *reason)
{
	int64_t us;
	if (v->type == SL_V_TIME) {
		*out = *v;
		out->u.time = round_frac(v->u.time, 0, target_frac(cc, cx), loss);
		return 0;
	}
	if (v->type == SL_V_TEXT) {
		if (sl_parse_time(v->u.s.ptr, v->u.s.len, &us) == 0) {
			out->type = SL_V_TIME;
			out->u.time = round_frac(us, 0, target_frac(cc, cx), loss);
			return 0;
		}
		sl_error_clear();
		if (sl_copy_conv_dst(cx)->time_beyond_day) { /* MySQL TIME holds -838:59:59 .. 838:59:59 */
			*out = *v;
			return 0;
		}
		return cv_refuse(reason, v, "is not a time of day");
	}
	if (v->type == SL_V_TIMESTAMP || v->type == SL_V_TIMESTAMPTZ) {
		int64_t t = v->u.ts % SL_USEC_PER_DAY;
		if (v->u.ts / SL_USEC_PER_DAY != 0)
			return cv_refuse(reason, v, "has a date: not a time of day");
		out->type = SL_V_TIME;
		out->u.time = round_frac(t < 0 ? t + SL_USEC_PER_DAY : t, 0, target_frac(cc, cx), loss);
		return 0;
	}
	return cv_refuse(reason, v, "is not a time of day (it is %s)", sl_vtype_name(v->type));
}
