/*
 * cutover_int.h - what the files of src/cutover/ share (internal; the API is
 * include/sluice/cutover.h, the design docs/runbook.md and
 * docs/commands/cutover.md).
 *
 *   runbook.c, runbook_check.c   the file, its shape, its names
 *   plan.c                       the plan as text
 *   run.c                        the step machine: lock, journal, resume, phases, rollback
 *   steps.c, steps_sync.c        what each step type does
 *   gates.c                      rules, diff, shadow, lag, rehearsal and freeze measurements
 *   approve.c                    evidence, its digest, waiting for and recording approvals
 *   freeze_step.c                freeze, unfreeze and the watchdog
 *   follower.c                   sync run --follow in a thread while later steps run
 *   proc.c, notify.c             hook commands with a timeout; notifications
 *   score.c                      the scorecard
 *   scratch.c                    the scratch databases of --dry-run
 *   report.c                     timeline, scorecard, JSON
 */
#ifndef SLUICE_CUTOVER_INT_H
#define SLUICE_CUTOVER_INT_H

#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "sluice/buf.h"
#include "sluice/cutover.h"
#include "sluice/journal.h"
#include "sluice/sync.h"

struct fy_node;

/* ---- runbook ---- */

/* SL_EINVALID "path:line:col: msg" at n. */
int co_err(const sl_runbook *rb, struct fy_node *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A duration with ms, s, m, h or d. */
int co_parse_duration(const char *s, int64_t *ms);
/* Checks what the file alone tells: ids, roles, the order of sync and freeze steps. */
int co_runbook_structure(sl_runbook *rb);

/* ---- hook commands (proc.c) ---- */

typedef struct co_proc_result {
	int status;     /* exit status, or 128 + signal; -1 when it could not start */
	bool timed_out; /* killed after the timeout */
	double seconds; /* wall time */
	char *output;   /* the last 2 KiB of stdout and stderr, passwords in URLs masked; malloc'd */
} co_proc_result;

/*
 * Runs command with /bin/sh -c in dir, payload on its stdin, the variables
 * env ("NAME=value", NULL-terminated, may be NULL) added to the environment,
 * in its own process group, killed (the group) after timeout_s. Never waits
 * longer than timeout_s plus a second, whatever the command does.
 */
int co_proc_run(co_proc_result *out, const char *command, const char *dir, const char *payload,
		const char *const *env, double timeout_s, void (*started)(void *ud, int64_t pid), void *ud);
void co_proc_result_clear(co_proc_result *r);
/* Starts argv detached (own session, stdio on /dev/null, no inherited descriptors); *pid is its pid. */
int co_proc_spawn_detached(const char *const *argv, int64_t *pid);
/* Masks the password of every URL in s in place ("://user:***@"). */
void co_redact(char *s);

/* ---- sync followers (follower.c) ---- */

typedef struct co_follower {
	pthread_t thread;
	bool running;
	volatile sig_atomic_t stop;
	sl_sync_opts opts;
	pthread_mutex_t mu;
	int rc;          /* the thread's result, once it ended */
	char *error;     /* its message */
	double last_lag; /* of the last batch, -1 unknown */
	int64_t applied; /* changes applied by this follower */
	bool elsewhere;  /* another run applies to the target: this one left it to that */
} co_follower;

/* ---- the run ---- */

typedef struct co_ctx co_ctx;

/* Per phase, what the journal says has happened (rebuilt from it on resume). */
typedef struct co_phase_state {
	int sync;         /* 0 none, 1 forward capture, 2 reverse capture */
	bool switched;    /* a switch step started (the application may point at the target) */
	bool switch_done; /* it completed */
	bool switched_back;
	bool rolled_back; /* its rollback ran */
} co_phase_state;

struct co_ctx {
	const sl_cutover_opts *o;
	const sl_runbook *rb;
	sl_state *st;
	int64_t run_id;
	bool dry;
	char scratch[2][64]; /* dry run: scratch database names of source and target ("" when real) */
	sl_conn *beside[2];  /* dry run: connections to the real databases, for scratch URLs */
	pthread_mutex_t connect_mu;
	co_follower fwd, rev;
	int follower_phase; /* phase the followers belong to, -1 */
	co_phase_state *ps; /* per phase */
	size_t phase;       /* under way */
	const sl_rb_step *current;
	int64_t current_row; /* journal row of the step under way */
	char *rehearsal_id;  /* from the rehearse-required gate, for approvals' evidence */
	struct co_sync_ud {
		co_ctx *x;
		bool swap; /* the reverse direction: sync's source is the runbook's target */
	} sync_ud[2];
};

/* Opens side (the scratch copy in a dry run). */
int co_connect(co_ctx *x, sl_side side, sl_conn **out);
/* sync options for phase p in the forward (reverse: false) or reverse direction. */
void co_sync_opts(co_ctx *x, const sl_rb_phase *p, bool reverse, sl_sync_opts *out);
/* Tables of step s in phase p (the step's own, else the phase's). */
void co_step_tables(const sl_rb_phase *p, const sl_rb_step *s, const char *const **t, size_t *n);

/* Emits an event to the caller and, when the runbook asks, to the notify hook; journals it. */
void co_event(co_ctx *x, unsigned kind, const char *step, const char *detail_json, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
bool co_cancelled(const co_ctx *x);
/* The thread's last error kept across calls that may overwrite it (best-effort journaling). */
typedef struct co_saved_error {
	int code;
	char sqlstate[6];
	int engine_code;
	char *message;
} co_saved_error;
void co_error_save(co_saved_error *e);
/* Puts the saved error back (nothing when there was none) and frees the copy. */
void co_error_restore(co_saved_error *e);
/* UTC now, ISO 8601 with milliseconds. */
void co_now_iso(char *out, size_t n);
/* UTC now in microseconds (this machine's clock). */
int64_t co_now_us(void);
double co_mono(void);
void co_nap(double seconds);

/* Followers. */
int co_follower_start(co_ctx *x, co_follower *f, const sl_rb_phase *p, bool reverse);
/* Stops and joins; returns the thread's error, if any, with its message set. */
int co_follower_stop(co_follower *f);
/* The follower's error so far (0 while healthy). */
int co_follower_health(co_follower *f, char *msg, size_t n);

/* Gates: adds the figures of g to fig (a JSON object) and sets *pass; why says what failed. */
int co_gate_eval(co_ctx *x, const sl_rb_phase *p, const sl_rb_step *s, const sl_rb_gate *g, json_t *fig,
		 bool *pass, sl_buf *why);
/* Waits until the lag gate passes or timeout_s passes. */
int co_gate_wait_lag(co_ctx *x, const sl_rb_phase *p, const sl_rb_gate *g, double timeout_s, json_t *fig,
		     bool *pass, sl_buf *why);
/* Diff of tables between the two sides; counts discrepancies and, with lost, rows of old missing on truth. */
int co_diff_tables(co_ctx *x, const char *const *tables, size_t n, sl_side truth, int64_t *discrepancies,
		   int64_t *lost, json_t *fig);
/* Runs rules (names or groups, none: all) on side; counts halts and errors. */
int co_rules_eval(co_ctx *x, const char *const *names, size_t n, sl_side on, int64_t *failing, json_t *fig);
/* Runs shadow queries (none: all); counts differences. */
int co_shadow_eval(co_ctx *x, const char *const *names, size_t n, int64_t *differences, json_t *fig);

/* Steps: runs s of phase p (journaled by the caller). *gate_ok false when its gate failed. */
int co_step_run(co_ctx *x, size_t pi, const sl_rb_step *s, json_t *fig, bool *gate_ok, sl_buf *why);
/*
 * Before re-running an interrupted step: 1 when it completed after all
 * (nothing to do), 0 to run it. prev_figures: what the interrupted attempt
 * journaled (a hook's pid), or NULL.
 */
int co_step_recover(co_ctx *x, size_t pi, const sl_rb_step *s, const char *prev_figures, json_t *fig);

/* Freeze. */
int co_freeze(co_ctx *x, size_t pi, const sl_rb_step *s, json_t *fig);
/* Lifts the fences of phase pi on side (SL_SIDE_BOTH: all) and measures them; by names who lifted. */
int co_unfreeze(co_ctx *x, size_t pi, sl_side side, const char *by, json_t *fig);
/* Seconds the standing fences of phase pi hold at least (their deadline, the server's clock); -1 none. */
int co_freeze_left(co_ctx *x, size_t pi, double *left);
/* Whether a fence of phase pi has passed its deadline while standing (the budget ran out). */
int co_freeze_exceeded(co_ctx *x, size_t pi, bool *exceeded, char *which, size_t n);

/* Approvals. */
int co_approve_step(co_ctx *x, size_t pi, const sl_rb_step *s, json_t *fig, bool *waiting, bool *ok,
		    sl_buf *why);
/* The evidence an approval of step binds to (journal figures so far) and its digest. */
int co_evidence(co_ctx *x, const char *step, char **out, char digest[72]);
/* The user the process runs as (for the record). */
const char *co_os_user(void);

/* Notify hook (notify.c): runs it for kind when the runbook asks; never fails the run. */
void co_notify(co_ctx *x, unsigned kind, const char *step, const char *message, const char *detail_json);

/* Scorecard (score.c): evaluates the criteria of phase pi (SIZE_MAX: those left at the end). */
int co_score(co_ctx *x, size_t pi, bool at_end);

/* Dry run (scratch.c). */
int co_scratch_setup(co_ctx *x);
void co_scratch_teardown(co_ctx *x);

/* JSON helpers (report.c): appends s as a JSON string. */
int co_json_str(sl_buf *b, const char *s);

#endif
