/*
 * state.h - the state store: a SQLite file (sluice.yaml's `state`, default
 * .sluice/state.db beside sluice.yaml) where sluice records what it checked
 * and rehearsed and when, so a later run can show history and trends, and
 * a cutover gate can ask for "a GO rehearsal of exactly these migrations".
 *
 * Created on first use (directory included). Tables and their columns are
 * described in docs/state.md; the schema carries a version in
 * PRAGMA user_version so later releases can migrate it. Environments are
 * stored by display name only: never a URL with a password.
 */
#ifndef SLUICE_STATE_H
#define SLUICE_STATE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sl_state sl_state;

/* Opens (creating when absent) the store at path. */
int sl_state_open(sl_state **out, const char *path);
void sl_state_close(sl_state *s);

/* Starts a check run against environment (a display name); *out_run_id is its id. */
int sl_state_run_begin(sl_state *s, int64_t *out_run_id, const char *environment);

/* One rule's outcome within a run. Strings are borrowed for the call. */
typedef struct sl_state_result {
	const char *rule;
	const char *domain;      /* NULL: none */
	const char *type;        /* rule type name */
	const char *environment; /* display name of the database checked */
	const char *status;      /* pass | warn | halt | error */
	int64_t violations;
	int64_t rows_checked;  /* -1: unknown */
	const char *threshold; /* as written ("0", "0.1%") */
	const char *examples;  /* JSON array text, or NULL */
	const char *message;   /* error or summary, or NULL */
	int64_t duration_ms;
} sl_state_result;

int sl_state_result_add(sl_state *s, int64_t run_id, const sl_state_result *r);

/* Ends a run with its overall status (pass | warn | halt | error). */
int sl_state_run_finish(sl_state *s, int64_t run_id, const char *status);

/* One row of history: a rule result with its run. Borrowed during the callback. */
typedef struct sl_state_history_row {
	int64_t run_id;
	const char *started_at, *finished_at; /* UTC, ISO 8601; finished_at NULL when interrupted */
	const char *run_status;
	const char *environment;
	sl_state_result result;
} sl_state_history_row;

typedef int (*sl_state_history_cb)(const sl_state_history_row *row, void *ud);

/*
 * Calls cb for the results of the last `limit` runs (0: all), newest run
 * first, optionally only those of rule (NULL: every rule). A non-zero
 * return from cb stops and is returned.
 */
int sl_state_history(sl_state *s, const char *rule, size_t limit, sl_state_history_cb cb, void *ud);

/* ---- rehearsals (sluice rehearse) ---- */

/* One rehearsed migration's figures. Strings borrowed for the call. */
typedef struct sl_state_rehearsal_mig {
	const char *id;
	const char *checksum; /* the checksum the history table would record */
	int64_t up_ms, down_ms;
	int64_t rewrites;          /* tables rewritten by its up */
	int64_t exclusive_lock_ms; /* longest time a table was locked against writers */
} sl_state_rehearsal_mig;

/* A finished rehearsal. Strings borrowed for the call. */
typedef struct sl_state_rehearsal {
	const char *verdict;        /* "GO", "NO-GO" or "ERROR" */
	const char *migrations_key; /* sl_rehearse_migrations_key() of the rehearsed migrations */
	const char *failed_json;    /* JSON array of failed thresholds */
	const char *report_json;    /* the whole report, every figure */
	int64_t total_ms;
	const sl_state_rehearsal_mig *migrations;
	size_t nmigrations;
} sl_state_rehearsal;

/* Records that a rehearsal of environment (display name) on engine starts; *out_id is its id. */
int sl_state_rehearsal_begin(sl_state *s, int64_t *out_id, const char *environment, const char *engine);
/* Records its verdict and figures (one transaction). */
int sl_state_rehearsal_finish(sl_state *s, int64_t id, const sl_state_rehearsal *r);

/*
 * The newest rehearsal (of environment; NULL: of any) as a JSON object:
 * {"id", "started_at", "finished_at", "environment", "engine", "verdict",
 * "migrations_key", "failed", "total_ms", "report"} - report is the recorded
 * report, verdict null when the rehearsal never finished. *out is malloc'd,
 * NULL when there is none.
 */
int sl_state_rehearsal_latest(sl_state *s, const char *environment, char **out);

/*
 * The gate: the id of the newest finished GO rehearsal whose migrations_key
 * is key and that finished at most max_age_days ago (<= 0: any age), or 0.
 */
int sl_state_rehearsal_go(sl_state *s, const char *key, double max_age_days, int64_t *out_id);
/*
 * Records a snapshot's report (sluice/snapshot.h): the run with the whole
 * report as JSON, and its tables, column rules and checks. *out_id (may be
 * NULL) is the run's id.
 */
struct sl_snapshot_report;
int sl_state_snapshot_add(sl_state *s, const struct sl_snapshot_report *r, int64_t *out_id);

/* One query of a shadow run (`sluice shadow`). Strings are borrowed for the call. */
typedef struct sl_state_shadow_row {
	const char *query;
	int ordered;
	int64_t source_rows, target_rows, differences;
	const char *examples; /* JSON array text, or NULL */
	const char *error;    /* or NULL */
	int64_t duration_ms;
} sl_state_shadow_row;

/*
 * Records one shadow run comparing source with target (display names) and
 * its queries; *out_run_id (may be NULL) gets the run's id. Tables
 * shadow_runs and shadow_results (docs/state.md).
 */
int sl_state_shadow_record(sl_state *s, int64_t *out_run_id, const char *source, const char *target,
			   const sl_state_shadow_row *rows, size_t n);

/* Called for each past shadow result, newest run first; a non-zero return stops and is returned. */
typedef int (*sl_state_shadow_cb)(int64_t run_id, const char *started_at, const sl_state_shadow_row *row,
				  void *ud);
int sl_state_shadow_history(sl_state *s, size_t limit_runs, sl_state_shadow_cb cb, void *ud);

/* ---- copy and diff runs (state store version 7) ---- */

/*
 * Records a `sluice copy` run: its totals and one row per table (copy_runs,
 * copy_tables). source and target are display names (never a password);
 * error is why the run stopped, or NULL. *out_id (may be NULL) gets its id.
 */
struct sl_copy_result;
int sl_state_copy_record(sl_state *s, const struct sl_copy_result *r, const char *source, const char *target,
			 const char *error, int64_t *out_id);

/* One compared table of a diff run. Strings borrowed for the call. */
typedef struct sl_state_diff_table {
	const char *table;
	int64_t source_rows, target_rows; /* -1: the table is on one side only */
	int64_t missing, extra, changed;
	const char *note; /* "only in the source", an error, ... or NULL */
} sl_state_diff_table;

/* A `sluice diff` run. Strings borrowed for the call. */
typedef struct sl_state_diff {
	const char *source, *target; /* display names */
	const char *status;          /* "ok", "problems" (over the threshold) or "error" */
	int64_t discrepancies, threshold;
	size_t errors; /* tables that could not be compared */
	double seconds;
	const sl_state_diff_table *tables;
	size_t ntables;
} sl_state_diff;

/* Records a diff run and its tables (diff_runs, diff_tables); *out_id may be NULL. */
int sl_state_diff_record(sl_state *s, const sl_state_diff *d, int64_t *out_id);

/* ---- reading records back ---- */

typedef enum sl_state_kind {
	SL_STATE_CHECKS = 0, /* check_runs, with "results" */
	SL_STATE_REHEARSALS, /* rehearsals, with "migrations"; "report" and "failed" parsed */
	SL_STATE_SNAPSHOTS,  /* snapshot_runs; "report" parsed */
	SL_STATE_SHADOWS,    /* shadow_runs, with "results" */
	SL_STATE_COPIES,     /* copy_runs, with "tables" */
	SL_STATE_DIFFS,      /* diff_runs, with "tables" */
	SL_STATE__KINDS
} sl_state_kind;

/*
 * The newest `limit` runs of kind (0: all), newest first, as a JSON array:
 * one object per run with its columns named as in docs/state.md, its child
 * rows nested, JSON text columns parsed. *out is malloc'd ("[]" when there
 * is none).
 */
int sl_state_records_json(sl_state *s, sl_state_kind kind, size_t limit, char **out);
/* ---- watch (sluice watch; docs/commands/watch.md) ---- */

/* One figure a watch run measured. Strings are borrowed for the call. */
typedef struct sl_state_watch_figure {
	const char *check;     /* rules | diff | sync | shadow */
	const char *item;      /* the rule, table or query; "lag" or "behind" for sync */
	double value;          /* the measure (NAN when it could not be measured: a gap) */
	const char *unit;      /* violations | rows | seconds | changes */
	const char *level;     /* ok | warn | breach | gap */
	const char *threshold; /* as configured ("warn 30s, breach 5m"), or NULL */
	const char *detail;    /* one line, or NULL; never a password */
	int64_t duration_ms;
} sl_state_watch_figure;

/*
 * One watch run. sl_state_watch_begin() reads target, source and checks;
 * sl_state_watch_finish() the outcome and figures. Read back by
 * sl_state_watch_runs(), which fills every field (borrowed during the
 * callback). Display names only: never a URL with a password.
 */
typedef struct sl_state_watch_run {
	int64_t id;
	const char *started_at, *finished_at; /* UTC ISO 8601; finished_at NULL while running or killed */
	const char *target, *source;          /* source NULL when none */
	const char *checks;                   /* "rules,diff,sync,shadow" as run */
	const char *status;                   /* ok | warn | breach | gap | stopped */
	bool complete;                        /* every check reached its databases */
	const char *state;      /* the watch's state after the run: ok | warn | breach, NULL: none yet */
	const char *gap_reason; /* why the run is incomplete, or NULL */
	int64_t duration_ms;
	const sl_state_watch_figure *figures;
	size_t nfigures;
} sl_state_watch_run;

/* What sl_state_watch_finish() did to the open gap (a stretch of incomplete runs). */
typedef struct sl_state_watch_gap_change {
	int change;          /* 0 none, 1 a gap opened with this run, -1 this run closed one */
	int64_t gap_id;      /* the gap opened or closed */
	char started_at[40]; /* when it began */
	int64_t runs;        /* incomplete runs it holds (closed) */
} sl_state_watch_gap_change;

/* Records that a watch run starts (target, source, checks of r); *out_id is its id. */
int sl_state_watch_begin(sl_state *s, int64_t *out_id, const sl_state_watch_run *r);
/*
 * Records run id's outcome and figures in one transaction, and the gaps of
 * its target: an incomplete run opens a gap (or extends the open one), a
 * complete run closes it; a stopped run leaves it as it is. *gap (may be NULL) says what
 * happened to it.
 */
int sl_state_watch_finish(sl_state *s, int64_t id, const sl_state_watch_run *r,
			  sl_state_watch_gap_change *gap);

/*
 * The state of the watch of target (a display name; NULL: of any) as the
 * newest run that set one left it ("ok", "warn", "breach"), or "" when none
 * did. Each target keeps its own state and gaps in a store.
 */
int sl_state_watch_state(sl_state *s, const char *target, char *out, size_t n);

/* A change the watch reported (watch_events). Borrowed during callbacks. */
typedef struct sl_state_watch_event {
	int64_t id, run_id;
	const char *target; /* the watched database's display name */
	const char *at;
	const char *kind;     /* state | gap_started | gap_ended */
	const char *state;    /* state: the new state; NULL for gap events */
	const char *previous; /* state: the state before, NULL when there was none */
	const char *payload;  /* the JSON the hook was given */
	const char *hook;     /* NULL: no hook configured; pending | ok | failed | timeout */
	int hook_exit;        /* the hook's exit status (-1 when it did not exit) */
	int64_t hook_ms;
	const char *hook_error; /* why it failed, or NULL */
} sl_state_watch_event;

/* Records an event (hook "pending" when with_hook, else NULL); *out_id is its id. */
int sl_state_watch_event_add(sl_state *s, int64_t *out_id, const sl_state_watch_event *e, bool with_hook);
/* Records how the hook of event id went (hook: ok | failed | timeout). */
int sl_state_watch_event_hook(sl_state *s, int64_t id, const char *hook, int exit_code, int64_t ms,
			      const char *error);

/* A stretch of incomplete runs (watch_gaps). Borrowed during callbacks. */
typedef struct sl_state_watch_gap {
	int64_t id;
	const char *started_at, *ended_at; /* ended_at: the first complete run after it; NULL while open */
	int64_t first_run_id, last_run_id, runs;
	const char *reason; /* the last incomplete run's */
	const char *target; /* the watched database's display name */
} sl_state_watch_gap;

typedef int (*sl_state_watch_run_cb)(const sl_state_watch_run *r, void *ud);
typedef int (*sl_state_watch_event_cb)(const sl_state_watch_event *e, void *ud);
typedef int (*sl_state_watch_gap_cb)(const sl_state_watch_gap *g, void *ud);

/*
 * The last `limit` runs (0: all) with their figures, newest first; the last
 * events and gaps, newest first; events whose hook is still "pending" (the
 * process stopped before it ran), oldest first. A non-zero return from cb
 * stops and is returned.
 */
int sl_state_watch_runs(sl_state *s, size_t limit, sl_state_watch_run_cb cb, void *ud);
int sl_state_watch_events(sl_state *s, size_t limit, sl_state_watch_event_cb cb, void *ud);
int sl_state_watch_gaps(sl_state *s, size_t limit, sl_state_watch_gap_cb cb, void *ud);
int sl_state_watch_pending(sl_state *s, sl_state_watch_event_cb cb, void *ud);

/* One watched database as the store holds it (borrowed during the callback). */
typedef struct sl_state_watch_target {
	const char *target;
	const char *state;    /* ok | warn | breach as the newest run that set one left it; NULL: none yet */
	const char *since;    /* when the newest change of state was recorded, or NULL */
	const char *previous; /* the state before that change, or NULL */
	int64_t runs;         /* runs recorded */
	int64_t last_run_id;
	const char *last_run_at, *last_status; /* the newest run's start and status */
	int64_t gap_id;                        /* the open gap, 0 when none */
	const char *gap_started_at, *gap_reason;
	int64_t gap_runs;
} sl_state_watch_target;

typedef int (*sl_state_watch_target_cb)(const sl_state_watch_target *t, void *ud);

/* Every target ever watched, the most recently watched first (`sluice report`). */
int sl_state_watch_targets(sl_state *s, sl_state_watch_target_cb cb, void *ud);

/* ---- locks ---- */

typedef struct sl_state_lock sl_state_lock;

/*
 * Takes the lock called name (letters, digits, '_') of the store: an
 * advisory lock on the file "<store>.<name>.lock" beside it, released when
 * the process ends however it ends. wait_ms 0 tries once, > 0 waits up to
 * that long, < 0 waits until *stop (may be NULL) is set. SL_ELOCKED, naming
 * the holder's process id and since when, when another process holds it.
 */
int sl_state_lock_take(sl_state_lock **out, sl_state *s, const char *name, int64_t wait_ms,
		       const volatile sig_atomic_t *stop);
void sl_state_lock_release(sl_state_lock *l);

#ifdef __cplusplus
}
#endif
#endif
