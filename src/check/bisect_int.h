/*
 * bisect_int.h - internals of sl_diff_bisect shared by bisect.c (segments,
 * descent, row diffs of leaves) and bisect_sql.c (the canonical row text in
 * SQL and in C, and its 60-bit md5 fingerprint). Not installed; the tests
 * include it to check that C and SQL produce the same bytes.
 *
 * The row text is the concatenation of every compared column's canonical
 * encoding (canon.h: "N" for NULL, else tag, byte length, ':' and payload),
 * in the result's column order. In C it is sl_canon_value itself; in SQL it
 * is an expression that rebuilds the same bytes for the (canonical kind,
 * declared type) pairs listed in docs/diff.md, and otherwise a "poison"
 * token that no canonical encoding starts with, so a value the SQL cannot
 * render exactly makes its segment differ (and be row-diffed) instead of
 * hiding a difference.
 */
#ifndef SLUICE_BISECT_INT_H
#define SLUICE_BISECT_INT_H

#include "sluice/dialect.h"
#include "sluice/diff.h"

#include <openssl/evp.h>

__extension__ typedef unsigned __int128 bisect_u128;

/* Which side a poison token is for: tokens differ per side so they never match. */
enum { BISECT_SRC = 0, BISECT_DST = 1 };

/*
 * Appends the SQL expression (never NULL-valued) of one column's canonical
 * encoding, spelled with the engine's row-hash hooks h (NULL: the engine has
 * none): col is the column as that side declares it, q its quoted name, cc
 * the merged canonical column. Returns 0, 1 when the pair
 * cannot be rendered identically (why says which column and why), or a
 * negative SL_E* code.
 */
int bisect_col_expr(sl_buf *out, const sl_rowhash_ops *h, const sl_column *col, const char *q,
		    const sl_canon_col *cc, const sl_canon_opts *o, int side, char *why, size_t whylen);

/* Appends row[0..n)'s canonical row text (the bytes the SQL expressions build). */
int bisect_row_text(sl_buf *out, sl_buf *scratch, const sl_value *row, const sl_canon_col *cc, size_t n,
		    const sl_canon_opts *o);

/* The first 15 hex digits of md5(p[0..n)) as a number (the SQL fingerprint of a row). */
int bisect_hash60(EVP_MD_CTX *md, const void *p, size_t n, uint64_t *out);

/* Reads a non-negative integer result value (INT, DECIMAL or TEXT digits). */
int bisect_value_u128(const sl_value *v, bisect_u128 *out);

#endif
