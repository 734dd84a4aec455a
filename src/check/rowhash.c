/*
 * rowhash.c - 128-bit row hashes over canonical encodings (canon.h).
 *
 * A row's hash is XXH3-128 over the concatenated encodings of its values.
 * Each encoding is self-delimiting (tag, length, payload), so two rows hash
 * the same only when every value encodes the same - ("a|", "b") and
 * ("a", "|b") differ - barring a 128-bit collision.
 */
#include "check/canon_int.h"
#include "sluice/error.h"

#include <xxhash.h>

int sl_canon_row_hash_scratch(uint64_t out[2], const sl_value *row, const sl_canon_col *cols, size_t n,
			      const sl_canon_opts *o, sl_buf *enc, sl_buf *scratch)
{
	int rc = 0;
	sl_buf_clear(enc);
	for (size_t i = 0; i < n; i++) {
		rc = sl_canon_value_scratch(enc, scratch, &row[i], cols ? &cols[i] : NULL, o);
		if (rc)
			return rc;
	}
	XXH128_hash_t h = XXH3_128bits(enc->ptr ? enc->ptr : "", enc->len);
	out[0] = h.low64;
	out[1] = h.high64;
	return 0;
}

int sl_canon_row_hash(uint64_t out[2], const sl_value *row, const sl_canon_col *cols, size_t n,
		      const sl_canon_opts *o)
{
	sl_buf enc = SL_BUF_INIT, scratch = SL_BUF_INIT;
	int rc = sl_canon_row_hash_scratch(out, row, cols, n, o, &enc, &scratch);
	sl_buf_free(&enc);
	sl_buf_free(&scratch);
	return rc;
}
