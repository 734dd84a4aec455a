/*
 * canon_enc.h - what canon.c (columns, payload writers, the public API) and
 * canon_coerce.c (turning a value into a tag and payload directed by its
 * column's kind) share: the tags, the coerced pair and the coercion context.
 * Not installed; only those two files include it.
 */
#ifndef SLUICE_CANON_ENC_H
#define SLUICE_CANON_ENC_H

#include "check/canon_int.h"

#include <stdbool.h>
#include <stdint.h>

/* Tags of the canonical classes. */
enum {
	TAG_NULL = 'N',
	TAG_BOOL = 'B',
	TAG_NUM = '#',
	TAG_FLOAT = 'F',
	TAG_TEXT = 'T',
	TAG_BLOB = 'X',
	TAG_DATE = 'd',
	TAG_TIME = 't',
	TAG_TS = 'S',
	TAG_TSTZ = 'Z',
	TAG_UUID = 'U',
	TAG_JSON = 'J',
	TAG_LIST = 'L'
};

/* A coerced value: payload p/n points into the value or into a scratch buffer. */
typedef struct canon {
	char tag;
	const char *p;
	size_t n;
	double d; /* TAG_FLOAT: the value after float32 rounding */
} canon;

/* The coercion family of a column kind. */
typedef enum kclass {
	K_ANY,
	K_BOOL,
	K_INT,
	K_DECIMAL,
	K_FLOAT,
	K_FLOAT32,
	K_TEXT,
	K_CHAR,
	K_BLOB,
	K_DATE,
	K_TIME,
	K_TS,
	K_TSTZ,
	K_UUID,
	K_LIST,
	K_JSON,
	K_BIT
} kclass;

typedef struct cctx {
	const sl_canon_col *col;
	const sl_canon_opts *o;
	kclass k;
	bool for_key; /* keys ignore ci, pad and precision */
	sl_buf *tmp;  /* payload storage; cleared by the caller */
} cctx;

/* canon.c: the payload writers and readers of numbers, text, JSON and temporals */
const char *canon_double_special(double d);
bool canon_epoch_usec(const sl_value *v, const sl_canon_opts *o, int64_t *out);
int canon_fold_text(sl_buf *out, const char *s, size_t n);
int canon_json_canon(sl_buf *out, const char *s, size_t n);
int canon_json_put_number(sl_buf *out, double d);
int canon_json_put_string(sl_buf *out, const char *s, size_t n);
int canon_put_double(sl_buf *out, double d, bool f32);
int canon_put_int(sl_buf *out, int64_t x);
int canon_put_time_of_day(sl_buf *out, int64_t us);
int canon_put_timestamp(sl_buf *out, int64_t us, bool utc);
bool canon_text_double(const char *s, size_t n, double *out);
int64_t canon_truncate_usec(int64_t us, const sl_canon_opts *o);
bool canon_value_double(const sl_value *v, double *out);
/* canon_coerce.c: v as the (tag, payload) pair x->col calls for (0, or SL_E* on memory) */
int canon_coerce(canon *c, const cctx *x, const sl_value *v);

#endif
