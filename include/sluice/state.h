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

#ifdef __cplusplus
}
#endif
#endif
