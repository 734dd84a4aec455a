/*
 * diff_int.h - internals shared by diff.c (setup, SQL, keyed merge) and
 * diff_keyless.c (multiset of row hashes). Not installed.
 */
#ifndef SLUICE_DIFF_INT_H
#define SLUICE_DIFF_INT_H

#include "sluice/diff.h"

/* One compared column as each side names and declares it. */
typedef struct diff_col {
	const char *src_name, *dst_name;
	const sl_column *src_col, *dst_col; /* borrowed from the introspected schemas */
} diff_col;

typedef struct diff_ctx {
	sl_conn *src, *dst;
	const sl_diff_spec *spec;
	sl_diff_opts opts;
	sl_diff_result *res;
	diff_col *cols; /* res->ncolumns */
	sl_diff_cb cb;
	void *ud;
	const char *src_table, *dst_table;
	sl_schema *src_schema_model, *dst_schema_model; /* own the sl_column pointers */
	bool stopped;                                   /* the callback asked to stop */
} diff_ctx;

/* Calls the callback (if any); a non-zero answer sets stopped and is returned. */
int diff_emit(diff_ctx *x, const sl_diff_event *ev);

/* Which side a query is for. */
enum { DIFF_SRC = 0, DIFF_DST = 1 };

/* SELECT of the compared columns of one side; ordered by the key when ordered. */
int diff_build_select(const diff_ctx *x, int side, bool ordered, sl_buf *out);

/* The keyless comparison (diff_keyless.c). */
int diff_run_keyless(diff_ctx *x);

#endif
