/*
 * canon_int.h - internals of the canonical encoding shared with rowhash.c
 * and the diff engine. Not installed.
 */
#ifndef SLUICE_CANON_INT_H
#define SLUICE_CANON_INT_H

#include "sluice/canon.h"

/*
 * sl_canon_value with a caller-owned scratch buffer (cleared here), so hot
 * loops make no allocation per value once the buffers have grown.
 */
int sl_canon_value_scratch(sl_buf *out, sl_buf *scratch, const sl_value *v, const sl_canon_col *col,
			   const sl_canon_opts *opts);

/* sl_canon_row_hash with caller-owned buffers for the encoding and scratch. */
int sl_canon_row_hash_scratch(uint64_t out[2], const sl_value *row, const sl_canon_col *cols, size_t n,
			      const sl_canon_opts *o, sl_buf *enc, sl_buf *scratch);

#endif
