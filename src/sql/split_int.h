/*
 * split_int.h - internals shared by the per-dialect statement splitters.
 *
 * split.c owns the entry point and the statement list; split_mysql.c,
 * split_pg.c and split_sqlite.c each find statement boundaries and hand each
 * [start, end) byte range to sl_split_emit(), in increasing order.
 */
#ifndef SLUICE_SQL_SPLIT_INT_H
#define SLUICE_SQL_SPLIT_INT_H

#include <stddef.h>

#include "sluice/sql.h"

/* Marks "no statement started yet" in the splitters' start offsets. */
#define SL_SPLIT_NONE ((size_t)-1)

typedef struct sl_split {
	sl_stmt_list *out;
	const char *sql;
	size_t len;
	size_t line_pos; /* line_no is the line of byte line_pos */
	size_t line_no;
	const char *origin; /* for error messages, or NULL */
	size_t line_base;   /* line number of the text's first line */
} sl_split;

/* Line of byte off, counted from line_base. Cheap when offsets are asked in increasing order. */
size_t sl_split_line(sl_split *sp, size_t off);

/* Appends sql[start, end) trimmed of whitespace; an empty range is skipped. */
int sl_split_emit(sl_split *sp, size_t start, size_t end);

/* Sets SL_EINVALID with "line N: <msg>" (or "origin:N: <msg>") for the line holding byte off. */
int sl_split_fail(sl_split *sp, size_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

int sl_split_mysql(sl_split *sp);
int sl_split_pg(sl_split *sp);
int sl_split_sqlite(sl_split *sp);

#endif
