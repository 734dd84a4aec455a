/*
 * rehearse_int.h - what the files of src/rehearse/ share (internal).
 *
 *   run.c          the order of things: scratch, fingerprint, rules, up, verify, down, verdict
 *   scratch.c      scratch databases: name, create (clone or copy), drop, cleanup
 *   fingerprint.c  schema + per-table/per-column hashes, and naming what differs
 *   observe.c      the migration runner's events: timing, locks, rewrites, faults
 *   verdict.c      thresholds -> GO / NO-GO, the migrations key
 *   forecast.c     three sample sizes, a fitted curve per migration
 *   report.c       text, JSON and Markdown
 */
#ifndef SLUICE_REHEARSE_INT_H
#define SLUICE_REHEARSE_INT_H

#include <pthread.h>

#include "sluice/migrate.h"
#include "sluice/rehearse.h"
#include "sluice/schema.h"

int64_t rh_now_us(void);
/* strdup that records ENOMEM; NULL in gives NULL out. */
char *rh_strdup(const char *s);
/* Appends a malloc'd copy of line to (*list, *n). */
int rh_push_line(char ***list, size_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void rh_progress(const sl_rehearse_opts *o, const char *phase, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- scratch.c ---- */
typedef struct rh_scratch {
	char name[64];
	bool created;
	bool cloned;
} rh_scratch;

/* A run id: UTC time and process id, "20261203t064520_12345". */
void rh_run_id(char *out, size_t n);
/*
 * Creates the scratch database prefix+run_id (+ "_" + suffix) beside admin's
 * database and fills it: a native clone where the engine has one, else
 * sluice copy and the history rows. *method says which.
 */
int rh_scratch_make(rh_scratch *s, sl_conn *admin, const sl_rehearse_opts *o, sl_rehearsal *r,
		    const char *prefix, const char *run_id, const char *suffix, const char **method);
/* Drops it when created (keeps the current error). */
int rh_scratch_drop(rh_scratch *s, sl_conn *admin);

/* ---- fingerprint.c ---- */
typedef struct rh_fp rh_fp;
/* c2 (may be NULL): a second connection to the same database, read from a second thread. */
int rh_fingerprint(rh_fp **out, sl_conn *c, sl_conn *c2);
void rh_fp_free(rh_fp *fp);
/*
 * Compares before and after; each difference becomes a line in r's
 * fidelity_diffs. Rows of a differing table are named by a keyed diff of the
 * source against the scratch database when the source still matches before.
 */
int rh_fp_compare(sl_rehearsal *r, const rh_fp *before, const rh_fp *after, sl_conn *source,
		  sl_conn *scratch);
/* Total rows in the fingerprinted tables. */
int64_t rh_fp_rows(const rh_fp *fp);

/* ---- observe.c ---- */
typedef struct rh_target {
	const char *migration;
	size_t statement;
} rh_target;

typedef struct rh_observer rh_observer;
/* observer_conn may be NULL (no SL_CAP_LOCK_OBSERVE); critical(table) says whether a table is critical. */
int rh_observer_new(rh_observer **out, sl_rehearsal *r, sl_conn *scratch, sl_conn *observer_conn,
		    const sl_rehearse_opts *o, bool (*critical)(void *ud, const char *table), void *crit_ud);
void rh_observer_free(rh_observer *ob);
/* Arms the fault targets (NULL: none) for the next up. */
void rh_observer_faults(rh_observer *ob, const rh_target *fail_at, const rh_target *drop_at);
void rh_observer_round(rh_observer *ob, int round, bool record);
/* The runner's on_event callback (ud = the observer). */
void rh_observer_event(void *ud, const sl_migrate_event *ev);
/* Statements of migration id that ran in the last up (fault accounting). */
size_t rh_observer_ran(const rh_observer *ob, const char *id);
bool rh_observer_fired(const rh_observer *ob);
/* Per-migration durations of the last up / down (us, -1 when it did not run). */
int64_t rh_observer_mig_us(const rh_observer *ob, const char *id, bool down);

/* ---- verdict.c ---- */
int rh_judge(sl_rehearsal *r, const sl_config_rehearsal *t);
void rh_spread(sl_rh_spread *s, int64_t *us, size_t n);

/* ---- forecast.c ---- */
int rh_forecast(sl_rehearsal *r, sl_conn *source, const sl_rehearse_opts *o, const char *prefix,
		const sl_migrate_opts *mo, int64_t full_rows);
/* Least-squares fits over three points; picks the one with the smaller error. */
void rh_fit(sl_rh_forecast *f, int64_t target_rows);

#endif
