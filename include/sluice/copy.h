/*
 * copy.h - `sluice copy`: schema and data from one database to another, any
 * two engines, resumable after a crash, with bad rows quarantined.
 *
 * The run goes through phases (docs/copy.md): plan (introspect the source,
 * cast plan, DDL) -> TABLES -> data (bulk load, per table and key range, in
 * parallel) -> INDEXES -> CONSTRAINTS -> FOREIGN_KEYS (validated) ->
 * SEQUENCES -> views and triggers. Every batch of rows is committed in the
 * target together with its checkpoint row in sluice_copy_state and its
 * rejected rows in sluice_rejects, so a crash never loses or duplicates a row.
 *
 * Connections are made through a callback (workers need their own), so the
 * library never sees how a URL or a password was resolved. Library code never
 * prints: progress and notices go to on_event, from worker threads too (the
 * callback must be thread-safe).
 */
#ifndef SLUICE_COPY_H
#define SLUICE_COPY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/buf.h"
#include "sluice/cast.h"
#include "sluice/conn.h"
#include "sluice/ddl.h"
#include "sluice/schema.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sl_copy_side { SL_COPY_SOURCE = 0, SL_COPY_TARGET = 1 } sl_copy_side;

/* Opens a new connection to one side; called from worker threads. 0 or SL_E*. */
typedef int (*sl_copy_connect_fn)(sl_conn **out, sl_copy_side side, void *ud);

typedef enum sl_copy_event_kind {
	SL_COPY_EV_PHASE = 1,   /* a phase starts: phase */
	SL_COPY_EV_TABLE_START, /* a table (part) starts or resumes: table, part, read.. */
	SL_COPY_EV_PROGRESS,    /* after each committed batch */
	SL_COPY_EV_TABLE_DONE,  /* a part finished */
	SL_COPY_EV_NOTICE       /* something the user must read: message */
} sl_copy_event_kind;

/* Borrowed for the duration of the callback. */
typedef struct sl_copy_event {
	sl_copy_event_kind kind;
	const char *phase; /* "tables", "data", "indexes", ... */
	const char *table; /* source table name */
	int part;          /* key range number, 0 when the table is one piece */
	int nparts;
	int64_t read, written, rejected; /* cumulative for the part */
	int64_t expected;                /* source row estimate of the part, -1 unknown */
	const char *message;             /* NOTICE */
} sl_copy_event;

typedef void (*sl_copy_event_fn)(void *ud, const sl_copy_event *ev);

/*
 * Hooks that change what copy reads and what it writes, per table, without
 * copy knowing why (`sluice snapshot` masks and subsets through them). Every
 * member may be NULL. They are called from worker threads: ud is shared, the
 * state made by transform_open belongs to one table part on one thread.
 *
 * select_expr: appends an expression of the source dialect to read instead of
 *   column and returns 1, or returns 0 to read the column itself. Never asked
 *   for key columns: the ordering and the checkpoints read those as they are.
 * row_filter: appends a condition every row of t must meet and returns 1, or
 *   returns 0 (every row). It is ANDed into the part's WHERE on connections
 *   made by opts->connect, so it may name what the callback set up there.
 * transform_open: a transform for t's rows, read as columns cols[0..ncols)
 *   (source column names: the written columns, then any key column that is
 *   not written). *state NULL: no transform for t.
 * transform: fills out (ncols columns, emptied by the caller) with one row per
 *   row of in, changed. Payloads go to out's arena or borrow in's. Values are
 *   converted for the target afterwards, so a transform keeps source types.
 *   Rejects and error messages show the transformed values; checkpoints keep
 *   the values read.
 */
typedef struct sl_copy_hooks {
	int (*select_expr)(void *ud, sl_buf *out, sl_conn *src, const sl_table *t, const char *column);
	int (*row_filter)(void *ud, sl_buf *out, sl_conn *src, const sl_table *t);
	int (*transform_open)(void **state, void *ud, const sl_table *t, const char *const *cols,
			      size_t ncols);
	int (*transform)(void *state, const sl_batch *in, sl_batch *out);
	void (*transform_close)(void *state);
	void *ud;
} sl_copy_hooks;

typedef struct sl_copy_opts {
	const char *const *tables; /* source table names to copy; NULL: all */
	size_t ntables;
	const sl_cast_rules *rules; /* user cast rules, may be NULL */
	bool schema_only;           /* create the schema, copy no rows */
	bool data_only;             /* target tables exist: copy rows only */
	bool resume;                /* continue the unfinished run in the target */
	bool restart;               /* forget an unfinished run (drops its tables) and start again */
	bool force;                 /* run although the plan has error notes */
	int64_t max_rejects;        /* halt when more rows than this are rejected (default 0) */
	int jobs;                   /* worker threads (default 2) */
	size_t batch_rows;          /* rows per committed batch (default 10000) */
	size_t batch_bytes;         /* ... or fewer when the batch holds this much (default 16 MiB) */
	int64_t split_rows; /* split tables with an integer key above this many rows (default 200000) */
	sl_copy_connect_fn connect;
	void *connect_ud;
	sl_copy_event_fn on_event; /* may be NULL */
	void *event_ud;
	const sl_copy_hooks *hooks; /* may be NULL */
} sl_copy_opts;

#define SL_COPY_OPTS_INIT                                                                                    \
	{                                                                                                    \
		.tables = NULL, .ntables = 0, .rules = NULL, .schema_only = false, .data_only = false,       \
		.resume = false, .restart = false, .force = false, .max_rejects = 0, .jobs = 2,              \
		.batch_rows = 10000, .batch_bytes = (size_t)16 << 20, .split_rows = 200000, .connect = NULL, \
		.connect_ud = NULL, .on_event = NULL, .event_ud = NULL, .hooks = NULL                        \
	}

/* Per source table, summed over its parts. read = written + rejected always. */
typedef struct sl_copy_table_result {
	char *table;  /* source name */
	char *target; /* target name */
	int64_t read, written, rejected;
	int nparts;
	bool keyless; /* no usable key: reloaded whole */
	bool done;
} sl_copy_table_result;

/* A foreign key (or SQLite foreign_key_check entry) that failed validation. */
typedef struct sl_copy_violation {
	char *table;      /* target table */
	char *constraint; /* constraint name or referenced table */
	int64_t rows;     /* violating rows (-1 when they could not be counted) */
	char *message;
} sl_copy_violation;

typedef struct sl_copy_result {
	char *run_id;
	sl_copy_table_result *tables;
	size_t ntables;
	sl_copy_violation *violations;
	size_t nviolations;
	int64_t read, written, rejected;
	size_t not_translated; /* views, triggers, indexes... listed, not created */
	bool halted;           /* stopped by --max-rejects: resumable */
	bool finished;         /* every phase done */
	double seconds;
} sl_copy_result;

void sl_copy_result_free(sl_copy_result *r);

/*
 * The plan of a copy: the source model, the selected tables, the cast plan
 * and the DDL. sl_copy_plan_new() introspects src; target is the target
 * engine. Owns everything; free with sl_copy_plan_free().
 */
typedef struct sl_copy_plan sl_copy_plan;

int sl_copy_plan_new(sl_copy_plan **out, sl_conn *src, sl_engine target, const sl_copy_opts *opts);
void sl_copy_plan_free(sl_copy_plan *p);
/* Borrowed views of the plan. */
const sl_cast_plan *sl_copy_plan_casts(const sl_copy_plan *p);
const sl_ddl *sl_copy_plan_ddl(const sl_copy_plan *p);
const sl_schema *sl_copy_plan_schema(const sl_copy_plan *p);
/* Lossy notes and errors of the plan. */
size_t sl_copy_plan_count(const sl_copy_plan *p, sl_cast_severity sev);
/* `--plan` text: the cast plan, then the DDL by phase, then what is not translated. */
int sl_copy_plan_text(sl_buf *out, const sl_copy_plan *p);

/*
 * Runs the copy. Opens its own connections through opts->connect. *out is
 * filled (also on most failures, with what was done); the caller frees it.
 * Returns 0 when every phase ran (rows may still have been rejected within
 * the limit, and foreign keys may have failed validation: see the result),
 * SL_ECHECK when halted by max_rejects, SL_ECONFLICT when the target holds an
 * unfinished run and neither resume nor restart was asked (or resume was
 * asked and there is none), SL_EINVALID for plan errors, SL_EDB/SL_ECONNECT
 * for database failures (the state stays resumable).
 */
int sl_copy_run(sl_copy_result **out, const sl_copy_opts *opts);

/*
 * The copy recorded in the target c (created by an earlier sl_copy_run):
 * 0 with *run_id and *phase (malloc'd; phase "finished" when it completed),
 * SL_ENOTFOUND when c holds none. Creates copy's state tables when absent.
 */
int sl_copy_target_run(sl_conn *c, char **run_id, char **phase);

/* The summary as JSON (for --json). Appends to out. */
int sl_copy_result_json(sl_buf *out, const sl_copy_result *r);

#ifdef __cplusplus
}
#endif
#endif
