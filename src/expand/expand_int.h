/*
 * expand_int.h - internals of the expand/contract module (src/expand/).
 *
 *   parse.c     the vocabulary of an expand section
 *   plan.c      operations + the schema model -> per-table changes and the
 *               action lists of each phase (plan_int.c: names and scopes)
 *   exec.c      running action lists: lock timeout, retries with backoff,
 *               one transaction where the engine allows, skipping what is
 *               already done (a resumed run)
 *   backfill.c  batches by key, checkpointed in the same transaction
 *   state.c     the state tables (<history>_expand, <history>_backfill) and
 *               the stored contract/rollback actions (JSON)
 *   phases.c    expand, contract, rollback, status
 *
 * Names sluice gives its columns and triggers start with "_sluice_"; the
 * planner never counts such a column as part of a shape.
 */
#ifndef SLUICE_EXPAND_INT_H
#define SLUICE_EXPAND_INT_H

#include "sluice/expand.h"
#include "sluice/migrate.h"
#include "sluice/schema.h"
#include "sluice/sys/expand_dialect.h"

#define XPREFIX     "_sluice_"
#define XNEW_PREFIX "_sluice_new_"

/* A column of the new shape that a migration adds (new columns, or a column's replacement). */
typedef struct xadd {
	const char *name;     /* in the new shape */
	const char *physical; /* the column added to the base table */
	const char *decl;
	const char *default_expr;
	const char *at; /* old column whose place it takes in the view, NULL: at the end */
} xadd;

typedef struct xrename {
	const char *from, *to;
} xrename;

/* An index of the table copied onto a replacement column. */
typedef struct xindex_copy {
	const char *orig;       /* the index replaced at contract */
	const char *copy;       /* the index built after backfill */
	const char **cols;      /* the copy's columns (physical) */
	const char **orig_cols; /* the original's columns: the copy's once contract renamed them */
	size_t ncols;
	bool unique;
	bool constraint; /* orig is a unique constraint: the copy becomes one at contract */
} xindex_copy;

/* Everything a migration does to one base table. */
typedef struct xtab {
	sl_table *t;
	const char *name_new; /* the table's name in the new version */
	const char **hidden;  /* old columns the new shape does not have (dropped at contract) */
	size_t nhidden, cap_hidden;
	xrename *renames;
	size_t nrenames, cap_renames;
	xadd *adds;
	size_t nadds, cap_adds;
	sl_xassign *up, *down;
	size_t nup, ndown, cap_up, cap_down;
	const char **not_null; /* replacement columns the new shape requires */
	size_t nnot_null, cap_not_null;
	xindex_copy *copies;
	size_t ncopies, cap_copies;
	const char **key; /* physical key columns for backfill and SQLite's view triggers */
	size_t nkey;
	bool touched;  /* some operation names it */
	bool backfill; /* up assignments exist: existing rows need them */
	sl_xsync sync; /* filled when up or down assignments exist */
	bool has_sync;
} xtab;

/* An ordered list of actions. */
typedef struct xacts {
	sl_xact *items;
	size_t n, cap;
} xacts;

typedef struct xplan {
	sl_arena *arena;
	sl_conn *c;
	const sl_expand_dialect *d;
	const sl_schema *model; /* borrowed */
	const char *id;
	const char *version;
	const char *old_version; /* NULL: the base tables */
	const char *base;        /* schema / database of the base tables */
	xtab *tabs;              /* one per base table, in model order */
	size_t ntabs;
	xacts expand;   /* before backfill: columns, NOT VALID constraints, triggers */
	xacts validate; /* after backfill: validations and index builds, one unit each */
	xacts contract; /* the physical changes of contract (views are made from the live model) */
	xacts rollback; /* undoes expand */
	const char **warnings;
	size_t nwarnings, cap_warnings;
} xplan;

/*
 * Resolves ops against model (the base tables of c's schema) into a plan.
 * Errors name origin and the operation's line. model must outlive the plan.
 */
int xplan_build(xplan **out, sl_conn *c, const sl_schema *model, const sl_xops *ops, const char *origin,
		const char *id, const char *version, const char *old_version);
void xplan_free(xplan *p);

/* Helpers shared by the planner's files (plan_int.c). */
int xplan_push_act(xplan *p, xacts *list, const sl_xact *a);
const char *xplan_name(xplan *p, const char *prefix, const char *name);
bool xcol_is_ours(const char *name);
/* Physical columns of scope that expr names (unquoted words match without regard to case). */
int xplan_sources(xplan *p, const char *expr, const sl_xscope_col *scope, size_t n, const char ***out,
		  size_t *nout);
/* The columns of t in the old shape (every column not sluice's own). */
int xplan_old_scope(xplan *p, const xtab *x, sl_xscope_col **out, size_t *n);
/* The columns of t in the new shape, in view order. */
int xplan_new_cols(xplan *p, const xtab *x, sl_xview_col **out, size_t *n);
/* A view of the new version for x (cols from xplan_new_cols). */
int xplan_view(xplan *p, const xtab *x, sl_xview *out);
/* The key a table's rows are found by: its primary key, else a unique index of NOT NULL columns. */
void xplan_table_key(const sl_table *t, const char *const **key, size_t *n);
/* A view of version over the live table t, every column as it is (contract, re-created versions). */
int xplan_plain_view(sl_arena *a, const sl_table *t, const char *version, const char *base, sl_xview *out);

/* ---- executing ---------------------------------------------------------------------- */

typedef struct xexec {
	sl_conn *c;
	const sl_expand_dialect *d;
	const sl_expand_opts *o;
	const char *id;
} xexec;

/*
 * Runs the actions as one unit: in one transaction when the engine has
 * transactional DDL and no statement needs to run outside one, else
 * statement by statement. Actions already done (the live schema shows it)
 * are skipped. Lock timeouts are retried with backoff up to o->retries.
 */
int xexec_unit(xexec *x, const sl_xact *acts, size_t n);
/* Runs sql (one statement) with the lock discipline, outside any unit. */
int xexec_sql(xexec *x, const char *sql, unsigned flags);
/* Sleeps ms milliseconds. */
void xexec_sleep(long ms);

/* ---- state ------------------------------------------------------------------------------- */

struct xcheckpoint;

typedef struct xstate {
	char *id, *version, *old_version, *base, *phase, *started_at, *expanded_at, *contracted_at, *plan;
} xstate;

int xstate_ensure(sl_conn *c, const sl_expand_dialect *d, const char *history);
/* Loads the record of id; SL_ENOTFOUND when absent (also when the tables are). */
int xstate_load(sl_conn *c, const char *history, const char *id, xstate *out);
void xstate_clear(xstate *s);
int xstate_insert(sl_conn *c, const char *history, const xstate *s);
int xstate_set_phase(sl_conn *c, const char *history, const char *id, sl_xphase phase);
int xstate_delete(sl_conn *c, const char *history, const char *id);
/* Every record, ordered by id (none when the tables do not exist). */
int xstate_list(sl_conn *c, const char *history, xstate **out, size_t *n);
/* Calls fn for each backfill checkpoint of id, ordered by table. */
int xcheckpoint_list(sl_conn *c, const char *history, const char *id,
		     int (*fn)(void *ud, const char *table, const struct xcheckpoint *cp), void *ud);
/* The version of the newest contracted record (NULL when none). */
int xstate_current_version(sl_conn *c, const char *history, char **out);
sl_xphase xphase_parse(const char *s);

/* Backfill checkpoints. */
typedef struct xcheckpoint {
	char *last_key; /* SQL literal list "(1, 'a')" or NULL before the first batch */
	int64_t rows_done, rows_total, batches;
	bool done;
	bool exists;
} xcheckpoint;

int xcheckpoint_load(sl_conn *c, const char *history, const char *id, const char *table, xcheckpoint *out);
int xcheckpoint_save(sl_conn *c, const char *history, const char *id, const char *table,
		     const xcheckpoint *cp);
void xcheckpoint_clear(xcheckpoint *cp);

/*
 * What contract and rollback need, stored as JSON when the migration is
 * expanded: their actions, and the new version's views as they are once
 * contracted (columns in the order the version shows them).
 */
typedef struct xstored {
	xacts contract, rollback;
	sl_xview *views;
	size_t nviews;
} xstored;

int xplan_to_json(const xplan *p, char **out);
/* Loads s; views get version and base (strings must outlive s, as must a). */
int xstored_from_json(sl_arena *a, const char *json, const char *version, const char *base, xstored *out);

/* ---- backfill ------------------------------------------------------------------------------ */

/* Fills every row of x's table with its up assignments, in batches from the checkpoint. */
int xbackfill_table(xexec *x, const xplan *p, const xtab *t, const char *history);

#endif
