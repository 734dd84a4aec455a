/*
 * cutover.h - `sluice cutover`: a written runbook, run step by step with
 * gates, approvals, a measured write freeze, a switch hook and a way back,
 * journaled in the state store so that a run killed at any moment resumes
 * where it stopped without repeating a completed step.
 *
 * The runbook (docs/runbook.md) names a source and a target, roles, and
 * phases - one per domain - each a list of steps (rehearse-required, copy,
 * sync-start, wait-lag, check, diff, shadow, approve, freeze, drain,
 * sync-reverse, switch, unfreeze, watch, sync-stop, command) and the steps
 * that undo it (rollback). It composes what the other modules do: rehearse's
 * GO record (state.h), copy, sync (start, run, reverse, stop), the rules,
 * diff and shadow reads, and the write freeze fences of freeze.h.
 *
 * Life of a runbook: sl_runbook_parse() reads and checks the file's shape
 * (unknown keys and step types with file:line:col and a suggestion);
 * sl_runbook_resolve() checks its names against sluice.yaml (environments,
 * domains, rules, shadow queries); sl_runbook_check_tables() against the
 * source database. sl_cutover_run() runs it. Library code never prints:
 * progress goes to on_event, the record to the journal (journal.h).
 */
#ifndef SLUICE_CUTOVER_H
#define SLUICE_CUTOVER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/arena.h"
#include "sluice/buf.h"
#include "sluice/cast.h"
#include "sluice/config.h"
#include "sluice/flavour.h"
#include "sluice/conn.h"
#include "sluice/journal.h"
#include "sluice/migration.h"
#include "sluice/rules.h"
#include "sluice/schema.h"
#include "sluice/state.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sl_step_type {
	SL_STEP_REHEARSE_REQUIRED = 1,
	SL_STEP_COPY,
	SL_STEP_SYNC_START,
	SL_STEP_WAIT_LAG,
	SL_STEP_CHECK,
	SL_STEP_DIFF,
	SL_STEP_SHADOW,
	SL_STEP_APPROVE,
	SL_STEP_FREEZE,
	SL_STEP_DRAIN,
	SL_STEP_SYNC_REVERSE,
	SL_STEP_SWITCH,
	SL_STEP_UNFREEZE,
	SL_STEP_WATCH,
	SL_STEP_SYNC_STOP,
	SL_STEP_COMMAND,
	SL_STEP__N
} sl_step_type;

/* "rehearse-required", "sync-start", ... (as written in a runbook); NULL for an unknown type. */
const char *sl_step_type_name(sl_step_type t);

typedef enum sl_on_fail { SL_ON_FAIL_STOP = 0, SL_ON_FAIL_ROLLBACK, SL_ON_FAIL_CONTINUE } sl_on_fail;
typedef enum sl_side {
	SL_SIDE_SOURCE = 0,
	SL_SIDE_TARGET = 1,
	SL_SIDE_BOTH = 2,
	SL_SIDE_DEFAULT = 3
} sl_side;

/*
 * Checks a step requires before it runs (`require:`), and the measurement of
 * the gate steps (check, diff, shadow, wait-lag, rehearse-required, watch).
 * Each has_* says whether that check is asked.
 */
typedef struct sl_rb_gate {
	bool has_rules;
	const char **rules; /* rule names or rule groups of sluice.yaml; none: every rule */
	size_t nrules;
	sl_side rules_on; /* where non-reconcile rules run (default: target) */
	bool has_diff;
	int64_t max_discrepancies;
	bool has_lag;
	double max_lag_s;
	bool has_shadow;
	const char **queries; /* shadow queries of sluice.yaml; none: every query */
	size_t nqueries;
	int64_t max_differences;
	bool has_freeze;
	double min_freeze_left_s; /* the fence holds at least this much longer (freeze under budget) */
	bool has_rehearsal;
	double max_age_days;  /* <= 0: any age */
	sl_side rehearsal_on; /* the database whose pending migrations were rehearsed (default: source) */
} sl_rb_gate;

typedef struct sl_rb_step {
	sl_step_type type;
	const char *id;    /* "billing.freeze"; unique in the runbook */
	const char *where; /* "file:line:col" of the step, for messages */
	const char *note;  /* shown in the plan and the timeline, or NULL */
	bool rollback;     /* listed under a phase's rollback: */
	sl_on_fail on_fail;
	sl_rb_gate require; /* checked before the step runs */
	sl_rb_gate gate;    /* the measurement of check, diff, shadow, wait-lag, rehearse-required, watch */
	sl_side side;       /* freeze/unfreeze: the fenced database; check: rules_on */
	const char **roles; /* approve: one approval from each */
	size_t nroles;
	const char **tables; /* copy, diff: tables (none: the phase's) */
	size_t ntables;
	double timeout_s;     /* wait-lag, drain, switch, command, approve, freeze commands (0: default) */
	int64_t budget_ms;    /* freeze: the downtime budget (0: the runbook's) */
	bool exceed_rollback; /* freeze: rolling back when the budget runs out (else stop) */
	const char *command;  /* switch, command; freeze: an external fence instead of triggers */
	const char *check;    /* switch: exits 0 when the switch is already done (after a crash) */
	const char *lift;     /* freeze with command: lifts the external fence */
	bool run_in_dry_run;  /* switch, command: run the command in --dry-run too */
	double watch_for_s;   /* watch: how long */
	double watch_every_s; /* watch: between rounds (default 5 s) */
	int jobs;             /* copy, sync-start: workers (default 2) */
} sl_rb_step;

typedef struct sl_rb_phase {
	const char *name;
	const char *domain;  /* or NULL when tables were listed */
	const char **tables; /* the phase's tables (from the domain after sl_runbook_resolve) */
	size_t ntables;
	sl_side truth; /* the side of truth until the switch (default source) */
	sl_rb_step *steps;
	size_t nsteps;
	sl_rb_step *rollback;
	size_t nrollback;
	const char *where;
	const char *where_domain; /* position of domain: or tables: */
	const char **where_tables;
} sl_rb_phase;

typedef struct sl_rb_role {
	const char *name;
	const char **members;
	size_t nmembers;
} sl_rb_role;

typedef enum sl_criterion_type {
	SL_CRIT_LOST_ROWS = 1, /* rows of the old side the side of truth lacks */
	SL_CRIT_RULES,         /* rules pass on the side of truth */
	SL_CRIT_DOWNTIME,      /* measured freeze windows within max */
	SL_CRIT_SHADOW,        /* workflow queries give equal results on both sides */
	SL_CRIT_DIFF           /* every row equal on both sides */
} sl_criterion_type;

typedef struct sl_rb_criterion {
	const char *name;
	sl_criterion_type type;
	const char **tables; /* lost_rows, diff */
	size_t ntables;
	const char **where_tables;
	const char **rules; /* rules */
	size_t nrules;
	const char **queries; /* shadow (none: every query) */
	size_t nqueries;
	int64_t max;    /* lost_rows, diff, rules: violations allowed; shadow: differences */
	int64_t max_ms; /* downtime */
	bool per_phase; /* downtime: the longest phase's freeze, not the sum */
	const char *where;
} sl_rb_criterion;

typedef struct sl_runbook {
	const char *name;
	const char *path;
	const char *dir;     /* of path: commands run there, relative paths resolve from it */
	const char *project; /* the sluice.yaml it names, resolved against dir (NULL: not named) */
	const char *source,
		*target; /* environments of sluice.yaml or URLs (may hold a secret: see display) */
	const char *source_display, *target_display; /* environment names or URLs with the password masked */
	char digest[72];                             /* "sha256:" + hex of the file */
	sl_rb_role *roles;
	size_t nroles;
	int64_t downtime_budget_ms; /* default freeze budget (default 60 s) */
	double approval_timeout_s;  /* 0: wait until stopped */
	const char *notify;         /* hook command per event, or NULL */
	double notify_timeout_s;    /* default 10 s */
	unsigned notify_events;     /* bits of SL_CO_EV_* */
	bool notify_dry_run;        /* notify during --dry-run too */
	sl_rb_phase *phases;
	size_t nphases;
	sl_rb_criterion *criteria;
	size_t ncriteria;
	sl_arena *arena;
	struct fy_document *doc;
	char *text;
} sl_runbook;

/* Reads path and checks its shape. Errors are SL_EINVALID "path:line:col: ... (did you mean ...)". */
int sl_runbook_load(sl_runbook **out, const char *path);
int sl_runbook_parse(sl_runbook **out, const char *path, const char *text, size_t len);
void sl_runbook_free(sl_runbook *rb);
/* Borrowed: the step with this id (or a unique id suffix after the phase, "freeze"), or NULL. */
const sl_rb_step *sl_runbook_find_step(const sl_runbook *rb, const char *id, const sl_rb_phase **phase);

/*
 * Checks the runbook's names against the project: the environments of
 * source and target, domains (filling each phase's tables), rules and rule
 * groups (rules may be NULL: none defined), shadow queries. Errors name the
 * runbook's position and suggest the nearest existing name.
 */
int sl_runbook_resolve(sl_runbook *rb, sl_config *cfg, const sl_rules *rules);

/* Checks every table the runbook names against the source's model (a suggestion for a misspelt one). */
int sl_runbook_check_tables(const sl_runbook *rb, const sl_schema *source);

/* The plan as text: phases, steps, their gates, the side of truth at each step, the rollback. */
int sl_runbook_plan_text(sl_buf *out, const sl_runbook *rb);

/* ---- running ---- */

/* Events (also the bits of notify_events). */
enum {
	SL_CO_EV_STEP_STARTED = 1u << 0,
	SL_CO_EV_STEP_DONE = 1u << 1,
	SL_CO_EV_GATE_FAILED = 1u << 2,
	SL_CO_EV_APPROVAL_NEEDED = 1u << 3,
	SL_CO_EV_APPROVED = 1u << 4,
	SL_CO_EV_FREEZE = 1u << 5,   /* writes frozen */
	SL_CO_EV_UNFREEZE = 1u << 6, /* writes allowed again: the window measured */
	SL_CO_EV_SWITCHED = 1u << 7,
	SL_CO_EV_ROLLBACK_STARTED = 1u << 8,
	SL_CO_EV_ROLLBACK_DONE = 1u << 9,
	SL_CO_EV_STOPPED = 1u << 10,
	SL_CO_EV_DONE = 1u << 11,
	SL_CO_EV_NOTICE = 1u << 12, /* something the operator must read (never notified) */
	SL_CO_EV_ALL = (1u << 12) - 1
};

/* "step_started", ...; 0 when unknown. */
const char *sl_cutover_event_name(unsigned kind);
unsigned sl_cutover_event_from_name(const char *name);

/* Borrowed for the callback. */
typedef struct sl_cutover_event {
	unsigned kind;
	const char *phase, *step; /* may be NULL */
	const char *message;      /* one line */
	const char *detail;       /* JSON object (the notification's payload), or NULL */
} sl_cutover_event;

typedef void (*sl_cutover_event_fn)(void *ud, const sl_cutover_event *ev);

/*
 * Opens the source (side SL_SIDE_SOURCE) or the target, or, in a dry run,
 * the scratch database named scratch beside it (beside: an open connection
 * to the real one; apply sl_conn_scratch_url). create: a SQLite target that
 * does not exist yet may be created. Called from worker threads too: it must
 * be thread-safe.
 */
typedef int (*sl_cutover_connect_fn)(sl_conn **out, void *ud, sl_side side, const sl_conn *beside,
				     const char *scratch, bool create);

typedef struct sl_cutover_opts {
	const sl_runbook *rb; /* resolved */
	sl_config *cfg;
	const sl_rules *rules;      /* may be NULL */
	const sl_cast_rules *casts; /* for copy and sync; may be NULL */
	/* the target's flavour (flavour.h) and copy.distribution, for copy and sync start; may be NULL */
	const sl_flavour *flavour;
	const char *const *shard_tables;
	const char *const *shard_columns;
	size_t nshard;
	const sl_migration_set *set; /* rehearse-required: the migration files; may be NULL */
	const char *history_table;   /* default "sluice_migrations" */
	sl_state *state;
	const char *state_path; /* for the lock file and the watchdog */
	sl_cutover_connect_fn connect;
	void *connect_ud;
	/*
	 * The command that runs `sluice cutover watchdog` for this runbook (the
	 * binary and its leading arguments); the library appends "--run ID
	 * --freeze ID". NULL: no watchdog process (the fence still lifts itself
	 * at the deadline).
	 */
	const char *const *watchdog_argv;
	bool dry_run;
	bool practice_rollback; /* dry run: roll each phase back at the end of its window, timed */
	bool no_wait;           /* stop at an approval that is missing instead of waiting */
	bool new_run;           /* begin a new run even if the last one can be resumed */
	bool accept_changes;    /* resume although the runbook file changed since the run began */
	double lock_wait_s;     /* wait this long for another run of the runbook (0: exit at once) */
	const volatile sig_atomic_t *cancel; /* set by a signal handler: stop after the step under way */
	sl_cutover_event_fn on_event;
	void *event_ud;
} sl_cutover_opts;

#define SL_CUTOVER_OPTS_INIT                                                                                 \
	{                                                                                                    \
		.rb = NULL, .cfg = NULL, .rules = NULL, .casts = NULL, .flavour = NULL,                      \
		.shard_tables = NULL, .shard_columns = NULL, .nshard = 0, .set = NULL,                       \
		.history_table = "sluice_migrations", .state = NULL, .state_path = NULL, .connect = NULL,    \
		.connect_ud = NULL, .watchdog_argv = NULL, .dry_run = false, .practice_rollback = true,      \
		.no_wait = false, .new_run = false, .accept_changes = false, .lock_wait_s = 0,               \
		.cancel = NULL, .on_event = NULL, .event_ud = NULL                                           \
	}

typedef enum sl_cutover_outcome {
	SL_CUTOVER_DONE = 0,        /* every phase done; the scorecard says whether it succeeded */
	SL_CUTOVER_WAITING,         /* stopped at an approval (no_wait) */
	SL_CUTOVER_STOPPED,         /* a gate or a step failed with on_fail stop: resumable */
	SL_CUTOVER_ROLLED_BACK,     /* a rollback ran to its end */
	SL_CUTOVER_ROLLBACK_FAILED, /* a rollback step failed: a person must look */
	SL_CUTOVER_INTERRUPTED      /* cancel was set: resumable */
} sl_cutover_outcome;

typedef struct sl_cutover_result {
	int64_t run_id;
	sl_cutover_outcome outcome;
	bool scorecard_ok; /* every criterion passed (true when there are none) */
	size_t criteria_failed;
	char *message; /* why it stopped, or NULL */
} sl_cutover_result;

void sl_cutover_result_clear(sl_cutover_result *r);

/*
 * Runs the runbook, or resumes its last unfinished run. Returns 0 when the
 * run reached an outcome (read out->outcome) and SL_E* when it could not
 * start or a step failed in a way no gate covers (a database unreachable):
 * the journal then says where it stopped and a later run resumes there.
 * SL_ELOCKED when another process runs the runbook (after lock_wait_s);
 * SL_ECONFLICT when the runbook changed since the run began (accept_changes)
 * or the last run finished (new_run).
 */
int sl_cutover_run(sl_cutover_result *out, const sl_cutover_opts *o);

/* Rolls back the phase under way of the last run (a person's decision). Same contract. */
int sl_cutover_rollback(sl_cutover_result *out, const sl_cutover_opts *o);

/*
 * Records an approval of step by name (one of the step's roles; role picks
 * one when name is in several), bound to the digest of the evidence the
 * waiting run shows. digest_seen (may be NULL) is the digest the approver
 * reviewed: SL_ECONFLICT when the evidence changed since. SL_EREFUSED when
 * name is not in the step's roles or already approved it for another role;
 * SL_ENOTFOUND when no run waits at step. evidence (may be NULL) receives
 * the evidence JSON and digest_out (72 bytes, may be NULL) its digest.
 */
int sl_cutover_approve(const sl_cutover_opts *o, const char *step, const char *name, const char *role,
		       const char *note, const char *digest_seen, sl_buf *evidence, char *digest_out);

/*
 * The freeze watchdog (`sluice cutover watchdog`, started detached when a
 * fence goes up): waits until the fence of freeze_id is lifted or its
 * deadline passes, then removes it and records who lifted it. Returns when
 * the fence is gone.
 */
int sl_cutover_watchdog(const sl_cutover_opts *o, int64_t run_id, int64_t freeze_id);

/* Whether a process runs the runbook now (holds its lock). */
bool sl_cutover_running(const char *state_path, const char *runbook);

/* Lifts every fence the last run left standing (an operator's way out). *lifted counts them. */
int sl_cutover_unfreeze(const sl_cutover_opts *o, size_t *lifted);

/* ---- reading the record ---- */

/* The run to show: run_id, or the newest run of the runbook (dry runs or real ones). SL_ENOTFOUND: none. */
int sl_cutover_journal(sl_journal **out, sl_state *s, const char *runbook, bool dry_run, int64_t run_id);
/* The timeline: steps with times, durations, figures and gates; truth per phase; freezes; approvals. */
int sl_cutover_timeline_text(sl_buf *out, const sl_journal *j, const sl_runbook *rb, bool color);
/* The scorecard as a table. */
int sl_cutover_scorecard_text(sl_buf *out, const sl_journal *j, bool color);
/* Everything of the run as one JSON document ("sluice-cutover/1"; docs/commands/cutover.md). */
int sl_cutover_journal_json(sl_buf *out, const sl_journal *j, const sl_runbook *rb);

#ifdef __cplusplus
}
#endif
#endif
