/*
 * convert_int.h - internal to the value conversions (src/copy/convert*.c).
 * convert.c holds the entry point and the scalar kinds (booleans, integers,
 * floats, decimals, text, binary); convert_time.c dates, timestamps and
 * times; convert_struct.c UUIDs, JSON, arrays and sets, enums and bits.
 */
#ifndef SLUICE_COPY_CONVERT_INT_H
#define SLUICE_COPY_CONVERT_INT_H

#include "copy_int.h"

#define REFUSE 1

int cv_zero_date(sl_value *out, sl_copy_loss *loss, const sl_value *v, const sl_cast_column *cc,
		 sl_buf *reason);
int cv_conv_date(sl_value *out, sl_copy_loss *loss, const sl_value *v, const sl_cast_column *cc,
		 const sl_copy_conv *cx, sl_buf *reason);
int cv_conv_ts(sl_value *out, sl_copy_loss *loss, const sl_value *v, const sl_cast_column *cc,
	       const sl_copy_conv *cx, sl_buf *reason);
int cv_conv_time(sl_value *out, sl_copy_loss *loss, const sl_value *v, const sl_cast_column *cc,
		 const sl_copy_conv *cx, sl_buf *reason);
int cv_conv_uuid(sl_value *out, const sl_value *v, sl_buf *reason);
int cv_conv_json(sl_value *out, const sl_value *v, const sl_copy_conv *cx, sl_batch *dst, sl_buf *reason);
int cv_conv_array(sl_value *out, const sl_value *v, const sl_cast_column *cc, const sl_copy_conv *cx,
		  sl_batch *dst, sl_buf *reason);
int cv_conv_enum(sl_value *out, const sl_value *v, const sl_cast_column *cc, const sl_copy_conv *cx,
		 sl_batch *dst, sl_buf *reason);
int cv_conv_bit(sl_value *out, const sl_value *v, const sl_cast_column *cc, const sl_copy_conv *cx,
		sl_batch *dst, sl_buf *reason);
int cv_refuse(sl_buf *reason, const sl_value *v, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
bool cv_is_plain_number(const char *s, size_t len);
int cv_put_bytes(sl_value *out, sl_batch *dst, sl_vtype t, const void *p, size_t len);
int cv_put_printf(sl_value *out, sl_batch *dst, sl_vtype t, const char *s);
bool cv_is_zero_date_text(const sl_value *v);
bool cv_date_ok(const sl_dialect *dl, int64_t days);
int cv_out_of_years(sl_buf *reason, const sl_value *v, const sl_dialect *dl);
int cv_conv_text(sl_value *out, const sl_value *v, const sl_copy_conv *cx, sl_batch *dst, sl_buf *reason);

#endif
