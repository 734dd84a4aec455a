/*
 * expand_int.h - helpers the expand dialects share (src/db/expand_*.c).
 * The dialect interface itself is include/sluice/sys/expand_dialect.h.
 */
#ifndef SLUICE_DB_EXPAND_INT_H
#define SLUICE_DB_EXPAND_INT_H

#include "sluice/sys/expand_dialect.h"

/* The helper table of SQLite's view triggers (writes of the new version in progress). */
#define XD_GUARD "_sluice_expand_guard"
/* MySQL's column recording which database a row was inserted from. */
#define XD_WRITER "_sluice_writer"

/* Quotes name for c's engine. */
int xd_q(sl_conn *c, sl_buf *b, const char *name);
/* "base"."table" (just "table" when base is NULL or empty). */
int xd_qt(sl_conn *c, sl_buf *b, const char *base, const char *table);
/* A string literal, or NULL. */
int xd_lit(sl_conn *c, sl_buf *b, const char *s);
/* "a", "b", "c" */
int xd_cols(sl_conn *c, sl_buf *b, const char *const *cols, size_t n);

/* Calls fn for each row of sql. */
int xd_rows(sl_conn *c, const char *sql, int (*fn)(void *ud, const sl_value *row, size_t ncols), void *ud);

/* Rows of a query as text, columns joined by tabs. */
typedef struct xd_strings {
	char **items;
	size_t n, cap;
} xd_strings;
int xd_strings_query(sl_conn *c, const char *sql, xd_strings *out);
void xd_strings_free(xd_strings *s);

/* True when one of the assignments (for updates: those not insert-only) reads col. */
bool xd_scope_used(const sl_xscope_col *col, const sl_xassign *as, size_t n, bool update);
/* True when there is an assignment (for updates: one not insert-only). */
bool xd_any(const sl_xassign *as, size_t n, bool update);
/* How an engine compares two values with NULL equal to NULL. */
typedef enum { XD_CMP_PG, XD_CMP_MY, XD_CMP_SQLITE } xd_cmp;
/*
 * The update condition of assignment a: one of its sources differs between
 * the records old and new_, and its target does not.
 */
int xd_change_cond(sl_conn *c, sl_buf *b, const sl_xassign *a, xd_cmp style, const char *old,
		   const char *new_);

/* True when hay holds word as a whole name, not inside a longer identifier. */
bool xd_names(const char *hay, const char *word);

#endif
