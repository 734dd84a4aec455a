/*
 * expand.h - expand/contract migrations: old and new application versions
 * side by side (docs/expand-contract.md).
 *
 * A migration file with an "-- +sluice expand" section declares operations
 * in a small vocabulary (rename column, change type, split, merge, add and
 * drop column, set not null, add unique / foreign key / check / index,
 * rename table), each with the expressions that map the old shape to the
 * new one ("up") and back ("down"). Three phases follow:
 *
 *   expand    new columns are added beside the old ones, triggers keep both
 *             in step for writes from either version, existing rows are
 *             backfilled in batches (checkpointed in the database, so a
 *             killed run resumes), constraints are added NOT VALID and then
 *             validated, and a versioned schema of views (PostgreSQL schema,
 *             MySQL database, SQLite prefixed views) exposes the new shape;
 *   contract  once no client uses the old shape: the old version's views,
 *             the triggers and the old columns go, new columns take their
 *             final names;
 *   rollback  (`sluice down` during expand) everything expand made goes and
 *             the old shape keeps every write of both versions.
 *
 * This header holds the parsed vocabulary and the phase functions. The
 * migration runner (migrate.h) decides which migration is in which phase and
 * keeps the history; engine SQL lives behind the driver's expand dialect
 * (sluice/sys/expand_dialect.h).
 */
#ifndef SLUICE_EXPAND_H
#define SLUICE_EXPAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/arena.h"
#include "sluice/conn.h"
#include "sluice/url.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the vocabulary ------------------------------------------------------------ */

typedef enum sl_xop_kind {
	SL_XOP_RENAME_TABLE = 0,
	SL_XOP_RENAME_COLUMN,
	SL_XOP_ADD_COLUMN,
	SL_XOP_DROP_COLUMN,
	SL_XOP_CHANGE_TYPE,
	SL_XOP_SPLIT_COLUMN,
	SL_XOP_MERGE_COLUMNS,
	SL_XOP_SET_NOT_NULL,
	SL_XOP_ADD_UNIQUE,
	SL_XOP_ADD_FOREIGN_KEY,
	SL_XOP_ADD_CHECK,
	SL_XOP_ADD_INDEX,
	SL_XOP__COUNT
} sl_xop_kind;

/* A column an operation makes (split) or folds away (merge), with its expression. */
typedef struct sl_xcolspec {
	const char *name;
	const char *type; /* declared type (split), NULL for merge's old columns */
	const char *expr; /* split: up expression of the new column; merge: down expression of the old one */
	size_t line;
} sl_xcolspec;

/*
 * One operation. Names are as written, unquoted; tables and columns are
 * named as they are before the migration. Expressions are the engine's SQL
 * without the surrounding parentheses.
 */
typedef struct sl_xop {
	sl_xop_kind kind;
	size_t line; /* file line of the operation's first word */
	const char *table;
	const char *column;       /* the column operated on (rename, add, drop, change, split, not null) */
	const char *to;           /* rename: new name; merge: the new column */
	const char *type;         /* add column, change type, merge: declared type */
	bool not_null;            /* add column ... not null */
	const char *default_expr; /* add column / change type / merge: DEFAULT text, NULL when none */
	const char *up;           /* expression over the old shape (add, change, merge, not null) */
	const char *down;         /* expression over the new shape (drop, change, split) */
	sl_xcolspec *cols;        /* split: the new columns; merge: the old columns after the first */
	size_t ncols;
	const char **keys; /* unique, foreign key, index: the columns */
	size_t nkeys;
	const char *ref_table; /* foreign key */
	const char **ref_cols;
	size_t nref_cols;
	const char *on_delete,
		*on_update; /* foreign key actions as written ("cascade", "set null"), or NULL */
	const char *check;  /* add check: the condition */
	const char *name;   /* constraint or index name, NULL: sluice picks one */
	bool unique;        /* add index ... unique */
} sl_xop;

/* The operations of one expand section, in order. Owns everything through its arena. */
typedef struct sl_xops {
	sl_xop *items;
	size_t n, cap;
	sl_arena *arena;
} sl_xops;

/*
 * Parses an expand section: text[0..len), whose first line is line
 * first_line of origin (a file path, for messages). dialect tells how
 * strings inside expressions escape (MySQL: backslashes); SL_ENGINE_NONE for
 * the generic variant. On SL_EINVALID the message reads
 * "origin:line: expand: what is wrong".
 */
int sl_expand_parse(sl_xops **out, const char *origin, size_t first_line, const char *text, size_t len,
		    sl_engine dialect);
void sl_xops_free(sl_xops *ops);

/* "rename column", "change type", ... */
const char *sl_xop_kind_name(sl_xop_kind k);

/*
 * Why op cannot run on engine e, or NULL when it can: SQLite cannot add a
 * constraint to an existing column without rebuilding its table, so NOT
 * NULL, check and foreign-key operations are refused there (and so is
 * changing the type of a NOT NULL column, which the planner finds).
 */
const char *sl_xop_unsupported(const sl_xop *op, sl_engine e);

/* ---- running the phases ----------------------------------------------------------- */

typedef enum sl_xphase {
	SL_XPHASE_NONE = 0,
	SL_XPHASE_EXPANDING,  /* columns, triggers and constraints being added */
	SL_XPHASE_BACKFILL,   /* existing rows being filled in batches */
	SL_XPHASE_VALIDATING, /* constraints validated, indexes built */
	SL_XPHASE_EXPANDED,   /* the new version is live beside the old one */
	SL_XPHASE_CONTRACTING,
	SL_XPHASE_CONTRACTED, /* done: the new shape is the only one */
	SL_XPHASE_ROLLING_BACK
} sl_xphase;

const char *sl_xphase_name(sl_xphase p);

/* Backfill progress of one table, reported while it runs and kept in the database. */
typedef struct sl_xprogress {
	const char *migration_id;
	const char *table;
	int64_t rows_done;
	int64_t rows_total; /* estimate taken when the backfill started; -1 unknown */
	int64_t batches;
	double rows_per_sec; /* over this run */
	bool done;
} sl_xprogress;

/* What to run and how; the runner fills the first block. */
typedef struct sl_expand_opts {
	const char *history_table; /* state tables are named after it */
	bool dry_run;
	/* backfill */
	long batch_size;  /* rows per batch (default 1000) */
	long throttle_ms; /* pause between batches (default 0) */
	long max_batches; /* stop after this many batches in this run, 0: no limit (tests) */
	/* locking discipline for every DDL statement */
	long lock_timeout_ms; /* per statement (default 2000) */
	long retries;         /* attempts after a lock timeout (default 10), with backoff */
	/* contract */
	bool confirm; /* the user confirms no client uses the old shape */
	/* the run lock the caller holds (sl_conn_lock); where that lock is the
	 * database's write lock (SQLite), it is released while the backfill runs
	 * so the applications keep writing, and taken again afterwards */
	const char *run_lock;
	/* reporting */
	void (*on_progress)(void *ud, const sl_xprogress *p);
	void (*on_statement)(void *ud, const char *migration_id, const char *sql);
	void (*on_notice)(void *ud, const char *migration_id, const char *message);
	void *ud;
} sl_expand_opts;

#define SL_EXPAND_OPTS_INIT                                                                                  \
	{                                                                                                    \
		.history_table = "sluice_migrations", .dry_run = false, .batch_size = 1000,                  \
		.throttle_ms = 0, .max_batches = 0, .lock_timeout_ms = 2000, .retries = 10,                  \
		.confirm = false, .run_lock = NULL, .on_progress = NULL, .on_statement = NULL,               \
		.on_notice = NULL, .ud = NULL                                                                \
	}

/* The expand section of one migration, as the runner hands it over. */
typedef struct sl_expand_target {
	const char *id;
	const char *origin; /* the file (or "(recorded in history)"), for messages */
	size_t first_line;  /* of the section's text in origin */
	const char *text;   /* the section */
	size_t len;
	const char *version; /* "version=" of the directive; NULL: <base>_v<id> (SQLite: v<id>) */
} sl_expand_target;

/*
 * Runs the expand phase of t, or resumes it where a killed or failed run
 * stopped: columns, constraints and triggers; the backfill; validation and
 * index builds; then the new version's views. On success the migration is
 * "expanded": both versions live. A failure before the backfill is undone;
 * a failure later leaves the migration in expand (resume with another run,
 * undo with sl_expand_rollback). *version gets the version's name
 * (malloc'd; may be NULL).
 */
int sl_expand_run(sl_conn *c, const sl_expand_target *t, const sl_expand_opts *o, char **version);

/*
 * Removes the old shape of the expanded migration id: refuses while a
 * client is seen using it, and, where the engine cannot tell, unless
 * o->confirm. SL_ECONFLICT names the sessions.
 */
int sl_expand_contract(sl_conn *c, const char *id, const sl_expand_opts *o);
/* Undoes the expand of id (not contracted): the old shape keeps every write. */
int sl_expand_rollback(sl_conn *c, const char *id, const sl_expand_opts *o);
/*
 * After a contracted expand migration was reverted by its down section:
 * drops its version, brings back the version it replaced (views over the
 * tables as they are now) and forgets its state. Nothing when id has none.
 */
int sl_expand_forget(sl_conn *c, const char *id, const sl_expand_opts *o);
/*
 * Runs t start to end on c, a scratch database: expand, rollback (the
 * schema must be as before: SL_ECONFLICT otherwise), expand again,
 * contract. For `sluice lint TARGET`; never on a database that matters.
 */
int sl_expand_rehearse(sl_conn *c, const sl_expand_target *t, const char *history_table);
/* The phase of id (SL_XPHASE_NONE when it has no expand state). */
int sl_expand_phase(sl_conn *c, const char *history_table, const char *id, sl_xphase *out);

/* A client session of the database (PostgreSQL, MySQL), for contract and status. */
typedef struct sl_xclient {
	int64_t session;         /* backend pid / connection id */
	const char *application; /* application_name, or "" */
	const char *user;
	const char *client;  /* address, or "" for a local socket */
	const char *version; /* the version it shows it uses ("" the base tables), NULL when nothing shows */
	const char *why;     /* what shows it ("application_name", "current database", ...) */
} sl_xclient;

/* The state of one expand/contract migration, as kept in the database. */
typedef struct sl_xrecord {
	const char *id;
	const char *version;     /* the new shape's versioned schema */
	const char *old_version; /* the old shape's, or NULL when the old shape is the base tables */
	sl_xphase phase;
	const char *started_at, *expanded_at, *contracted_at;
	sl_xprogress *progress; /* one per backfilled table */
	size_t nprogress;
	sl_xclient *clients_new, *clients_old; /* sessions seen on each version (status) */
	size_t nclients_new, nclients_old;
	size_t nclients_unknown; /* sessions that show no version */
	bool clients_known;      /* false where the engine cannot tell */
} sl_xrecord;

typedef struct sl_xstatus {
	sl_xrecord *items; /* ordered by id; the last not contracted is the one in expand */
	size_t n;
	const char *live[2]; /* versions applications may use now ("" for the base tables), NULL-terminated */
	sl_arena *arena;
} sl_xstatus;

/*
 * Reads the expand state of c (history_table names the state tables); an
 * absent table gives an empty status. With clients, asks the engine which
 * sessions use each live version.
 */
int sl_expand_status(sl_xstatus **out, sl_conn *c, const char *history_table, bool clients);
void sl_xstatus_free(sl_xstatus *s);
/* Borrowed: the record of the migration in expand (not contracted), or NULL. */
const sl_xrecord *sl_xstatus_active(const sl_xstatus *s);

#ifdef __cplusplus
}
#endif
#endif
