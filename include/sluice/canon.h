/*
 * canon.h - canonical encoding of values, so that the same logical value
 * read from SQLite, PostgreSQL or MySQL/MariaDB encodes to the same bytes.
 *
 * The encoding is directed by the column's portable kind (sl_canon_col),
 * not only by the value's sl_vtype: a MySQL tinyint(1) arrives as INT but a
 * BOOL-kind column turns 0/1 into false/true; SQLite text in a TIMESTAMP
 * column is parsed as a timestamp. Every rule, with examples, is in
 * docs/canonical.md. The encoding is self-delimiting ("T5:hello", "N" for
 * NULL), so concatenations of encodings never collide.
 */
#ifndef SLUICE_CANON_H
#define SLUICE_CANON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/buf.h"
#include "sluice/schema.h"
#include "sluice/value.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How one compared column is read. Build it with sl_canon_col_merge(). */
typedef struct sl_canon_col {
	sl_tkind kind; /* portable kind that directs coercion (SL_T_UNKNOWN: by value type) */
	int scale;     /* DECIMAL scale to round extra digits to; -1 when unconstrained */
	bool ci;       /* a case-insensitive collation on either side (used with SL_CANON_CI_COLLATION) */
} sl_canon_col;

#define SL_CANON_COL_INIT                                                                                    \
	{                                                                                                    \
		.kind = SL_T_UNKNOWN, .scale = -1, .ci = false                                               \
	}

/* When text is compared case-insensitively. */
typedef enum sl_canon_ci {
	SL_CANON_CI_OFF = 0,   /* byte for byte (default) */
	SL_CANON_CI_COLLATION, /* only columns whose collation is case-insensitive (col->ci) */
	SL_CANON_CI_ALL        /* every text column */
} sl_canon_ci;

/* How numbers in DATE/TIMESTAMP/TIMESTAMPTZ columns are read (SQLite epochs). */
typedef enum sl_canon_epoch {
	SL_CANON_EPOCH_AUTO = 0, /* as the copy reads them (sl_read_epoch): by magnitude |x| < 1e11 s,
				    < 1e14 ms, < 1e17 us; Julian day numbers (default) */
	SL_CANON_EPOCH_SECONDS,  /* Unix seconds only, fractions kept to the microsecond */
	SL_CANON_EPOCH_NONE      /* numbers stay numbers, so they differ from any date */
} sl_canon_epoch;

typedef struct sl_canon_opts {
	sl_canon_ci ci_text;
	bool pad_char;           /* strip trailing spaces in CHAR-kind columns */
	double float_abs_tol;    /* doubles equal when |a-b| <= abs tol (0: off) */
	double float_rel_tol;    /* ... or when |a-b| <= rel tol * max(|a|,|b|) (0: off) */
	int timestamp_precision; /* 0-6 fractional digits kept (truncated) in times and timestamps */
	sl_canon_epoch epoch;
} sl_canon_opts;

#define SL_CANON_OPTS_INIT                                                                                   \
	{                                                                                                    \
		.ci_text = SL_CANON_CI_OFF, .pad_char = true, .float_abs_tol = 0, .float_rel_tol = 0,        \
		.timestamp_precision = 6, .epoch = SL_CANON_EPOCH_AUTO                                       \
	}

/* Fills out from one column (its kind, scale, collation). */
void sl_canon_col_from_column(sl_canon_col *out, const sl_column *c);

/*
 * Fills out for a column compared across two engines, from the source and
 * target columns (either may be NULL). The more specific kind wins (BOOL over
 * integers, DECIMAL over integers, FLOAT over exact numbers, TIMESTAMPTZ over
 * TIMESTAMP, UUID/JSON/temporals over text, CHAR over VARCHAR/TEXT); the
 * larger scale is kept; ci is set when either collation is case-insensitive.
 */
void sl_canon_col_merge(sl_canon_col *out, const sl_column *src, const sl_column *dst);

/*
 * Appends v's canonical encoding to out. col may be NULL (by value type),
 * opts may be NULL (defaults). Returns 0 or SL_ENOMEM / SL_EINVALID (bad
 * options). Floats are encoded without tolerance: with a tolerance set, use
 * sl_canon_equal() to compare.
 */
int sl_canon_value(sl_buf *out, const sl_value *v, const sl_canon_col *col, const sl_canon_opts *opts);

/*
 * True when a and b are the same logical value in this column: equal
 * encodings, or, with a float tolerance, doubles within it. When memory runs
 * out the answer is false (a reported difference, never a hidden one).
 */
bool sl_canon_equal(const sl_value *a, const sl_value *b, const sl_canon_col *col, const sl_canon_opts *o);

/*
 * Orders two key values the way the diff engine merges sorted streams:
 * numbers numerically, everything else by the bytes of the canonical form
 * (binary order of text; chronological for temporals; uuid bytes). Key
 * comparison ignores ci_text and pad_char. *out is <0, 0 or >0.
 */
int sl_canon_key_cmp(int *out, const sl_value *a, const sl_value *b, const sl_canon_col *col,
		     const sl_canon_opts *o);

/*
 * 128-bit XXH3 of the canonical encodings of row[0..n) (cols[i] for row[i];
 * cols may be NULL). out[0] is the low half, out[1] the high half. The hash
 * depends on column order: (a, b) and (b, a) hash differently.
 */
int sl_canon_row_hash(uint64_t out[2], const sl_value *row, const sl_canon_col *cols, size_t n,
		      const sl_canon_opts *o);

#ifdef __cplusplus
}
#endif
#endif
