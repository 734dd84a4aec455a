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
 * Asked before --restart drops tables that no run of sluice created (the
 * target held them before, or a --data-only run loaded into them): the target
 * names (borrowed for the call). True drops them; false refuses.
 */
typedef bool (*sl_copy_confirm_fn)(void *ud, const char *const *tables, size_t n);
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
	const char *const *tables; /* source tables to copy, by the names they get on the target; NULL: all */
	size_t ntables;
	/* PostgreSQL source schemas (sl_introspect_opts); neither: the search path's first */
	const char *const *schemas;
	size_t nschemas;
	bool all_schemas;
	const sl_cast_rules *rules; /* user cast rules, may be NULL */
	/*
	 * Sensitive columns: "table.column" patterns (fnmatch, case-insensitive,
	 * "!pattern" exempts), on top of the naming rule of docs/copy.md
	 * ("Rejects"). Their values are masked in sluice_rejects.
	 */
	const char *const *sensitive;
	size_t nsensitive;
	bool schema_only;    /* create the schema, copy no rows */
	bool data_only;      /* target tables exist: copy rows only */
	bool resume;         /* continue the unfinished run in the target */
	bool restart;        /* forget an unfinished run (drops its tables) and start again */
	bool force;          /* run although the plan has error notes; --restart drops tables
				sluice did not create without asking */
	int64_t max_rejects; /* halt when more rows than this are rejected (default 0) */
	int jobs;            /* worker threads (default 2) */
	size_t batch_rows;   /* rows per committed batch (default 10000) */
	size_t batch_bytes;  /* ... or fewer when the batch holds this much (default 16 MiB) */
	int64_t split_rows;  /* split tables with an integer key above this many rows (default 200000) */
	sl_copy_connect_fn connect;
	void *connect_ud;
	sl_copy_event_fn on_event; /* may be NULL */
	void *event_ud;
	sl_copy_confirm_fn confirm_drop; /* may be NULL: refuse (SL_EREFUSED) unless force */
	void *confirm_ud;
	/*
	 * Polled between batches and statements, from worker threads too (may be
	 * NULL). When it returns true the run stops at the next batch boundary,
	 * every committed batch kept with its checkpoint, and returns
	 * SL_EINTERRUPTED: --resume goes on from there.
	 */
	bool (*interrupted)(void *ud);
	void *interrupt_ud;
	const sl_copy_hooks *hooks; /* may be NULL */
	/*
	 * The data phase is run by others (`sluice worker`, docs/commands/distributed.md):
	 * the run creates the tables and plans the parts, then returns with
	 * result->parts_pending set instead of loading rows; run again with resume
	 * once every part is done, it goes on with indexes and constraints.
	 */
	bool external_data;
	/* Split into parts of about this many rows (by the source's estimate), 0: jobs * 2 parts */
	int64_t part_rows;
	/*
	 * The target's flavour (flavour.h; --target-flavour), NULL: the base
	 * engine; with the shard column of each listed table (sluice.yaml
	 * copy.distribution; sl_ddl_opts says what the lists mean).
	 */
	const sl_flavour *flavour;
	const char *const *shard_tables;
	const char *const *shard_columns;
	size_t nshard;
} sl_copy_opts;

#define SL_COPY_OPTS_INIT                                                                                    \
	{                                                                                                    \
		.tables = NULL, .ntables = 0, .schemas = NULL, .nschemas = 0, .all_schemas = false,          \
		.rules = NULL, .sensitive = NULL, .nsensitive = 0, .schema_only = false, .data_only = false, \
		.resume = false, .restart = false, .force = false, .max_rejects = 0, .jobs = 2,              \
		.batch_rows = 10000, .batch_bytes = (size_t)16 << 20, .split_rows = 200000, .connect = NULL, \
		.connect_ud = NULL, .on_event = NULL, .event_ud = NULL, .confirm_drop = NULL,                \
		.confirm_ud = NULL, .interrupted = NULL, .interrupt_ud = NULL, .hooks = NULL,                \
		.external_data = false, .part_rows = 0, .flavour = NULL, .shard_tables = NULL,               \
		.shard_columns = NULL, .nshard = 0                                                           \
	}

/*
 * The ways a written value can differ from the source's, each announced by a
 * lossy note of the cast plan; the copy counts the values each one changed
 * (docs/copy.md, "Lossy casts"). Values whose meaning is kept (a UUID's case,
 * a JSON document's spacing, a time zone written as UTC) are not counted.
 */
typedef enum sl_copy_loss {
	SL_COPY_LOSS_NONE = 0,
	SL_COPY_LOSS_ZERO_DATE, /* a MySQL zero date ('0000-00-00', a zero month or day) became NULL */
	SL_COPY_LOSS_SCALE,     /* a decimal rounded to the target column's scale */
	SL_COPY_LOSS_SINGLE,    /* a number rounded to single precision (real, FLOAT) */
	SL_COPY_LOSS_DOUBLE,    /* a decimal with more digits than a double holds, rounded to one */
	SL_COPY_LOSS_FRACTION,  /* a time or timestamp rounded to the column's fractional seconds */
	SL_COPY_LOSS__N
} sl_copy_loss;

/* "zero_date_to_null", "rounded_to_scale", ... (the names --json uses). */
const char *sl_copy_loss_name(sl_copy_loss k);
/* "MySQL zero date became NULL", ... */
const char *sl_copy_loss_text(sl_copy_loss k);

/* Values of one column changed by one lossy cast. */
typedef struct sl_copy_loss_count {
	char *column; /* source column */
	sl_copy_loss kind;
	int64_t values;
} sl_copy_loss_count;

/* Per source table, summed over its parts. read = written + rejected always. */
typedef struct sl_copy_table_result {
	char *table;  /* source name */
	char *target; /* target name */
	int64_t read, written, rejected;
	int nparts;
	bool keyless; /* no usable key: reloaded whole */
	bool done;
	sl_copy_loss_count *losses; /* values written changed by lossy casts, by column and kind */
	size_t nlosses;
	int64_t changed; /* their sum */
	bool failed;     /* the target refused its CREATE TABLE: not copied; --resume retries it */
	char *error;     /* when failed: the column, the engine's message, the fix and the statement */
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
	int64_t changed;       /* values written changed by lossy casts (sl_copy_table_result.losses) */
	size_t not_translated; /* views, triggers, indexes... listed, not created */
	size_t failed;         /* tables the target refused to create (see tables[].error) */
	int64_t left_behind;   /* tables in PostgreSQL schemas not selected (a notice says where) */
	bool halted;           /* stopped by --max-rejects: resumable */
	bool finished;         /* every phase done and every table created */
	double seconds;
	int64_t parts_pending; /* external_data: parts no worker has finished yet (the run waits for them) */
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
/*
 * Checks the plan's CREATE TABLE statements on the target before anything
 * is copied (`--plan`): PostgreSQL in a transaction on a scratch schema,
 * rolled back; SQLite in an in-memory database (target may be NULL); MySQL,
 * whose DDL cannot be rolled back, by rule (row size, key length). Each
 * statement the target refuses is pinned on its column (the default or the
 * type) and becomes an error note of the cast plan naming the fix.
 * 0, or SL_E* when the check itself could not run (nothing is changed then).
 */
int sl_copy_plan_validate(sl_copy_plan *p, sl_conn *target);
/*
 * sl_copy_plan_validate, connecting to the target through o->connect only
 * when the target's dialect checks DDL on the target itself (ddl_check in
 * dialect.h). When that connection fails the DDL is reported unchecked and
 * *unreached (malloc'd, the caller frees; NULL otherwise) says why.
 */
int sl_copy_plan_check(sl_copy_plan *p, const sl_copy_opts *o, char **unreached);

/* Lossy notes and errors of the plan. */
size_t sl_copy_plan_count(const sl_copy_plan *p, sl_cast_severity sev);
/* `--plan` text: the cast plan, then the DDL by phase, then what is not translated. */
int sl_copy_plan_text(sl_buf *out, const sl_copy_plan *p);
/* "left behind: N tables in schemas not selected: "a" (3), ..." for a source model s. */
int sl_copy_left_behind(sl_buf *out, const sl_schema *s);

/*
 * Runs the copy. Opens its own connections through opts->connect. *out is
 * filled (also on most failures, with what was done); the caller frees it.
 * Returns 0 when every phase ran (rows may still have been rejected within
 * the limit, foreign keys may have failed validation, and tables the target
 * refused to create are listed with failed set: see the result),
 * SL_ECHECK when halted by max_rejects, SL_ECONFLICT when the target holds a
 * recorded run and neither resume nor restart was asked (or resume was asked
 * and there is none), SL_EREFUSED before anything is written when source and
 * target are the same database, when the target already has a table of the
 * plan (without restart or data_only) or when restart would drop tables
 * sluice did not create (see confirm_drop), SL_EINVALID for plan errors,
 * SL_EDB/SL_ECONNECT for database failures (the state stays resumable).
 */
int sl_copy_run(sl_copy_result **out, const sl_copy_opts *opts);

/*
 * The copy recorded in the target c (created by an earlier sl_copy_run):
 * 0 with *run_id and *phase (malloc'd; phase "finished" when it completed),
 * SL_ENOTFOUND when c holds none. Creates copy's state tables when absent.
 */
int sl_copy_target_run(sl_conn *c, char **run_id, char **phase);

/*
 * ---- one part at a time, for a data phase that others run ----
 *
 * A run started with external_data leaves its parts in the target's
 * sluice_copy_state. A part runner (one per process or thread) copies any of
 * them: it opens its own source and target connections through o->connect,
 * builds the same plan from the source, and pumps one part with copy's own
 * batches and checkpoints. Each attempt at a part carries a number (the
 * fence): claiming the part in the target raises its number, and a batch
 * commits only while the number in the target is still its own, so a runner
 * that lost the part can no longer write a row of it.
 */
typedef struct sl_copy_part_info {
	char *table; /* source table (flat name) */
	int part, nparts;
	bool has_lo, has_hi;
	int64_t lo, hi; /* key range [lo, hi) of the table's integer key */
	int64_t expected, read, written, rejected;
	int attempt;
	bool done, failed;
} sl_copy_part_info;

typedef struct sl_copy_part_runner sl_copy_part_runner;

/*
 * Connects, builds the plan and checks the target holds run run_id (NULL:
 * any) waiting in its data phase. SL_ECONFLICT when the target holds another
 * run or none.
 */
int sl_copy_part_runner_open(sl_copy_part_runner **out, const sl_copy_opts *o, const char *run_id);
void sl_copy_part_runner_close(sl_copy_part_runner *w);
/* Borrowed: the target's run id. */
const char *sl_copy_part_runner_run_id(const sl_copy_part_runner *w);
/* The plan's fingerprint: 16 hex digits over the cast plan and DDL (equal plans, equal prints). */
int sl_copy_part_runner_fingerprint(const sl_copy_part_runner *w, char out[17]);
/* The parts recorded in the target (malloc'd; free with sl_copy_part_infos_free). */
int sl_copy_part_runner_parts(sl_copy_part_runner *w, sl_copy_part_info **out, size_t *n);
void sl_copy_part_infos_free(sl_copy_part_info *p, size_t n);
/*
 * Copies part `part` of table, as attempt number `attempt` (> every earlier
 * attempt's): claims it in the target, resumes after its checkpoint, and
 * marks it done there. *res (may be NULL) gets its counts. SL_ECONFLICT
 * when a later attempt holds the part (nothing more is written),
 * SL_EINTERRUPTED when o->interrupted said stop (committed batches kept),
 * SL_ECHECK when the run's rejects exceed max_rejects.
 */
int sl_copy_part_runner_run(sl_copy_part_runner *w, const char *table, int part, int attempt,
			    sl_copy_part_info *res);
/*
 * How the next parts read the source (docs/commands/distributed.md,
 * "Consistent snapshots"): with snapshot, in a read transaction on that
 * exported snapshot (SL_ENOTFOUND from the run when it no longer exists);
 * without, where the source has SL_CAP_SNAPSHOT_READ, each part in a
 * consistent snapshot of its own; otherwise as one statement.
 */
int sl_copy_part_runner_set_snapshot(sl_copy_part_runner *w, const char *snapshot);
/* Borrowed: where the last part's source snapshot stood (binlog position), "" when unknown. */
const char *sl_copy_part_runner_source_pos(const sl_copy_part_runner *w);

/*
 * How copy splits a table into key ranges (also what a distributed diff
 * chunks by): with key (an integer key column, NULL: never split) and at
 * least o->split_rows estimated rows, the span min(key)..max(key) of src is
 * cut into o->jobs * 2 ranges, or one per o->part_rows estimated rows; else
 * one range, the whole table. *out is malloc'd (*n ranges).
 */
typedef struct sl_copy_range {
	bool has_lo, has_hi;
	int64_t lo, hi; /* [lo, hi) */
	int64_t expected;
} sl_copy_range;
int sl_copy_split(sl_copy_range **out, int *n, sl_conn *src, const sl_table *t, const char *key,
		  const sl_copy_opts *o);

/* The summary as JSON (for --json). Appends to out. */
int sl_copy_result_json(sl_buf *out, const sl_copy_result *r);

/* What a copy quarantined, read back from sluice_rejects (`sluice copy --rejects`). */
typedef struct sl_copy_reject_failure {
	char *column; /* source column, NULL when the target refused the row as a whole */
	char *value;  /* printable, cut to 200 bytes; "***" for a sensitive column */
	char *reason;
} sl_copy_reject_failure;

typedef struct sl_copy_reject_row {
	char *run_id;
	char *table;       /* source table */
	char *key;         /* JSON object of the row's key; {"row": N} for a table without one */
	char *rejected_at; /* UTC, "YYYY-MM-DD HH:MM:SSZ" */
	sl_copy_reject_failure *failures; /* each failing column (or the row) */
	size_t nfailures;
} sl_copy_reject_row;

typedef struct sl_copy_rejects {
	sl_copy_reject_row *rows;
	size_t nrows;
	size_t nrecords; /* records of sluice_rejects read (one per failure) */
} sl_copy_rejects;

/*
 * Reads sluice_rejects in target, oldest first, one entry per rejected row.
 * tables (NULL: all) keeps those source tables. sensitive: the patterns of
 * sl_copy_opts; values of sensitive columns are masked again on reading, in
 * the value, the key and the reason. SL_ENOTFOUND when no copy recorded
 * rejects there. Free with sl_copy_rejects_free().
 */
int sl_copy_rejects_read(sl_copy_rejects **out, sl_conn *target, const char *const *tables, size_t ntables,
			 const char *const *sensitive, size_t nsensitive);
void sl_copy_rejects_free(sl_copy_rejects *r);
/* "N rejected rows in M tables", then per row its table, key, run and each failing column. */
int sl_copy_rejects_text(sl_buf *out, const sl_copy_rejects *r);
/* {"rows", "records", "rejects": [{"run_id", "table", "key", "rejected_at", "failures": [{"column", "value",
 * "reason"}]}]} */
int sl_copy_rejects_json(sl_buf *out, const sl_copy_rejects *r);

#ifdef __cplusplus
}
#endif
#endif
