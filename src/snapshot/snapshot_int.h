/*
 * snapshot_int.h - what the files of the snapshot module share: the rules
 * bound to the source's columns (bind.c), the maps made before the copy
 * (prepare.c), the copy hooks (hooks.c), the checks after it (checks.c,
 * leak.c) and the run that ties them together (run.c).
 *
 * Threads: everything in a snap is read-only once the copy starts, except
 * the counters behind mu.
 */
#ifndef SLUICE_SNAPSHOT_INT_H
#define SLUICE_SNAPSHOT_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "sluice/copy.h"
#include "sluice/mask.h"
#include "sluice/snapshot.h"
#include "sluice/strmap.h"
#include "sluice/subset.h"

/* One column's rule, bound to the source schema. */
typedef struct colbind {
	const sl_column *c;
	const sl_mask_rule *rule;
	const char *text; /* sl_mask_rule_text */
	sl_mask_target target;
	bool unique;         /* in a primary key, unique key or unique index */
	const char *flagged; /* why the column looks like personal data, or NULL */
	sl_mask_map *map;    /* injective outputs (shared with columns of the same rule), or NULL */
	sl_strmap *shuffle;  /* shuffle: row identity -> sl_value* */
	int64_t masked;      /* under snap.mu */
} colbind;

/* One table's rules. */
typedef struct tbind {
	const sl_table *t;
	colbind *cols;
	size_t ncols;
	const char **ident; /* row identity: primary key or unique NOT NULL key (NULL: none) */
	size_t nident;
	bool transform; /* some rule is applied in the pump */
} tbind;

typedef struct snap {
	const sl_snapshot_opts *o;
	sl_conn *src, *dst;
	sl_copy_plan *plan;
	const sl_schema *schema; /* the plan's: the selected tables */
	tbind *tables;           /* parallel to schema->tables */
	sl_masker *masker;
	sl_mask_ctx *x; /* the calling thread's */
	sl_subset *subset;
	sl_relationship *rels;
	size_t nrels;
	sl_mask_map **maps;
	size_t nmaps, capmaps;
	sl_copy_hooks hooks;
	sl_copy_opts copy;
	pthread_mutex_t mu;
	sl_snapshot_report *rep;
	sl_arena *a;
} snap;

/* bind.c */
int sl_snap_bind(snap *s);
int sl_snap_fail_closed(snap *s);
tbind *sl_snap_table(const snap *s, const char *table);
/* A column's rule in table tb, or NULL. */
colbind *sl_snap_column(const tbind *tb, const char *column);

/* prepare.c: the injective maps of unique columns and the permutations of shuffled ones */
int sl_snap_prepare(snap *s);
/* The text of a row identity: the input text of each value, separated by 0x1f. */
int sl_snap_ident_text(sl_buf *out, const sl_value *const *vals, size_t n);

/* hooks.c */
void sl_snap_hooks(snap *s);

/* checks.c: orphans and duplicates on the target */
int sl_snap_check_orphans(snap *s);
int sl_snap_check_unique(snap *s);
/* leak.c */
int sl_snap_check_leaks(snap *s);

/* report entries (run.c) */
int sl_snap_add_check(snap *s, sl_snapshot_check_kind kind, const char *table, const char *object,
		      int64_t found, int64_t allowed, int64_t checked, const char *detail, bool ok);
/* The target name of a source table / column. */
const char *sl_snap_target_table(const snap *s, const char *table);
const char *sl_snap_target_column(const snap *s, const char *table, const char *column);
/* Appends a table name qualified for c ("schema"."table" where the engine has schemas and t has one). */
int sl_snap_put_source_table(sl_buf *b, sl_conn *c, const sl_table *t);
/* Runs sql (one integer) and returns it in *out. */
int sl_snap_count(sl_conn *c, const char *sql, int64_t *out);

#endif
