/*
 * schemadiff.h - what changed between two schema models (schema.h).
 *
 * sl_schema_diff() compares the tables of two models - columns (type,
 * nullability, default), primary keys, unique keys, indexes, foreign keys
 * and checks - and lists every change, ordered by table then object. Tables
 * match by name (and schema when opts->match_schema); columns, indexes,
 * keys, foreign keys and checks by name, or by their definition when the
 * engine gives them none (SQLite checks, unnamed keys). Views, triggers,
 * sequences and enum types are not compared yet. Used by `sluice lint`.
 */
#ifndef SLUICE_SCHEMADIFF_H
#define SLUICE_SCHEMADIFF_H

#include <stdbool.h>
#include <stddef.h>

#include "sluice/arena.h"
#include "sluice/buf.h"
#include "sluice/schema.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sl_change_kind {
	SL_CHG_TABLE_ADDED = 0,
	SL_CHG_TABLE_DROPPED,
	SL_CHG_COLUMN_ADDED,
	SL_CHG_COLUMN_DROPPED,
	SL_CHG_COLUMN_TYPE,     /* portable type or declared type differs */
	SL_CHG_COLUMN_NULLABLE, /* nullability differs */
	SL_CHG_COLUMN_DEFAULT,  /* default expression differs */
	SL_CHG_PKEY_CHANGED,    /* added, dropped or other columns */
	SL_CHG_UNIQUE_ADDED,
	SL_CHG_UNIQUE_DROPPED,
	SL_CHG_INDEX_ADDED,
	SL_CHG_INDEX_DROPPED,
	SL_CHG_INDEX_CHANGED, /* same name, other columns, uniqueness, method or predicate */
	SL_CHG_FKEY_ADDED,
	SL_CHG_FKEY_DROPPED,
	SL_CHG_FKEY_CHANGED,
	SL_CHG_CHECK_ADDED,
	SL_CHG_CHECK_DROPPED,
	SL_CHG_CHECK_CHANGED
} sl_change_kind;

/*
 * One change. Pointers into the compared models are borrowed (keep both
 * alive); old_* is NULL for an addition, new_* for a removal.
 */
typedef struct sl_schema_change {
	sl_change_kind kind;
	const char *table;  /* table name */
	const char *object; /* column, index, key, fkey or check name; NULL for tables */
	const sl_table *old_table, *new_table;
	const sl_column *old_column, *new_column; /* column changes only */
	const char *detail; /* e.g. "int64 -> int32", "NOT NULL -> NULL"; in the diff's arena */
} sl_schema_change;

/* Every change, owning the detail strings. */
typedef struct sl_schemadiff {
	sl_schema_change *items;
	size_t n, cap;
	sl_arena *arena;
} sl_schemadiff;

typedef struct sl_schemadiff_opts {
	bool match_schema;    /* tables match by schema and name (default: name only) */
	bool ignore_defaults; /* do not compare default expressions */
} sl_schemadiff_opts;

#define SL_SCHEMADIFF_OPTS_INIT                                                                              \
	{                                                                                                    \
		.match_schema = false, .ignore_defaults = false                                              \
	}

/* Changes from a (before) to b (after). opts NULL: SL_SCHEMADIFF_OPTS_INIT. */
int sl_schema_diff(sl_schemadiff **out, const sl_schema *a, const sl_schema *b,
		   const sl_schemadiff_opts *opts);
void sl_schemadiff_free(sl_schemadiff *d);

/* "column added", "index dropped", ... */
const char *sl_change_kind_name(sl_change_kind k);
/* Appends one line: `column "orders"."total" type changed: decimal(12,2) -> decimal(10,2)`. */
int sl_schema_change_format(sl_buf *out, const sl_schema_change *c);

/*
 * True when a value of type from may not fit in type to: a smaller integer,
 * float64 -> float32, fewer decimal digits before or after the point, a
 * shorter or bounded string (text -> varchar(n)). *why (may be NULL) gets a
 * static phrase.
 */
bool sl_type_narrows(const sl_type *from, const sl_type *to, const char **why);

#ifdef __cplusplus
}
#endif
#endif
