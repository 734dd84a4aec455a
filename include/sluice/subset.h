/*
 * subset.h - referentially complete subsets of a database, for `sluice
 * snapshot --subset` (docs/commands/snapshot.md, "Subsets").
 *
 * Roots are rows of one or more tables chosen by a condition or as a sample
 * ("customers: 5%"). From them the subset follows relationships - the
 * source's foreign keys and those declared in sluice.yaml - down (every row
 * that references a chosen row through a followed path is chosen) and up
 * (every row a chosen row references is required). Rows reached only upward
 * do not pull their own children, so the subset stays small; cycles end
 * because a row is taken once. Tables not connected to any root are copied
 * whole; connected tables no path reached are empty.
 *
 * The chosen keys are kept in memory; each connection the copy reads
 * through gets them as temporary tables (sl_subset_prepare_session) and the
 * copy reads `WHERE key IN (SELECT ... FROM <temporary table>)`. Only SQL
 * that SQLite, PostgreSQL and MySQL/MariaDB all accept is used.
 */
#ifndef SLUICE_SUBSET_H
#define SLUICE_SUBSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/arena.h"
#include "sluice/buf.h"
#include "sluice/config.h"
#include "sluice/conn.h"
#include "sluice/schema.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One root of a subset: "TABLE: N%" or "TABLE: <condition in the source's SQL>". */
typedef struct sl_subset_root {
	const char *table;
	double percent;    /* > 0 with a sample: this percentage of the rows (at least one) */
	const char *where; /* NULL with a sample */
} sl_subset_root;

/*
 * Parses "customers: 5%" or "customers: country = 'FR'; orders: total > 100"
 * (roots separated by ";"). Strings live in a. SL_EINVALID naming the part.
 */
int sl_subset_parse(sl_subset_root **out, size_t *n, const char *spec, sl_arena *a);

/* A relationship rows are followed through: a foreign key, or one declared in sluice.yaml. */
typedef struct sl_relationship {
	const char *name; /* constraint name, or "table(columns) -> ref_table(ref_columns)" */
	const char *table;
	const char **columns;
	size_t ncolumns;
	const char *ref_table;
	const char **ref_columns;
	const char *where; /* declared: only rows of table meeting this condition reference (source SQL) */
	bool declared;     /* from sluice.yaml: the database does not enforce it */
	const char *pos;   /* "file:line:col" when declared */
} sl_relationship;

/*
 * Reads snapshot.relationships: a list of
 * { table, columns (or column), references: { table, columns (or column) }, where }.
 * Checked against the schema s: unknown tables and columns are errors naming
 * file:line:col with the nearest name. partial: s holds only some of the
 * source's tables (--tables), and relationships naming others are left out.
 */
int sl_relationships_parse(sl_relationship **out, size_t *n, sl_config *cfg, struct fy_node *list,
			   const sl_schema *s, bool partial, sl_arena *a);

/* Every foreign key of s, then the declared ones: the list subsets and orphan checks follow. */
int sl_relationships_all(sl_relationship **out, size_t *n, const sl_schema *s,
			 const sl_relationship *declared, size_t ndeclared, sl_arena *a);

typedef enum sl_subset_mode {
	SL_SUBSET_ALL = 0, /* not connected to a root: copied whole */
	SL_SUBSET_SOME,    /* the chosen rows */
	SL_SUBSET_NONE     /* connected, but no chosen row reaches it */
} sl_subset_mode;

typedef struct sl_subset sl_subset;

typedef void (*sl_subset_notice_fn)(void *ud, const char *message);

typedef struct sl_subset_opts {
	const sl_subset_root *roots;
	size_t nroots;
	const sl_relationship *rels; /* sl_relationships_all() */
	size_t nrels;
	sl_subset_notice_fn notice; /* may be NULL */
	void *notice_ud;
} sl_subset_opts;

/* Chooses the rows of s's tables on src. The result is read-only and may be shared by threads. */
int sl_subset_compute(sl_subset **out, sl_conn *src, const sl_schema *s, const sl_subset_opts *o);
void sl_subset_free(sl_subset *s);

/* How table is copied; *rows (may be NULL) gets the chosen rows (SOME), 0 (NONE) or -1 (ALL). */
sl_subset_mode sl_subset_table(const sl_subset *s, const char *table, int64_t *rows);

/* Creates the temporary key tables on this connection (a connection the copy reads through). */
int sl_subset_prepare_session(const sl_subset *s, sl_conn *src);

/*
 * Appends the condition that picks table's chosen rows on src (after
 * sl_subset_prepare_session) and returns 1; returns 0 when every row is
 * copied.
 */
int sl_subset_filter(const sl_subset *s, sl_buf *out, sl_conn *src, const char *table);

/* 32 hex characters identifying the chosen rows of every table (for resume checks). */
void sl_subset_digest(const sl_subset *s, char out[33]);

#ifdef __cplusplus
}
#endif
#endif
