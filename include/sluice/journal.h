/*
 * journal.h - the cutover journal in the state store (state store version
 * 5; tables cutover_* described in docs/state.md).
 *
 * `sluice cutover` writes every step's start before the step runs and its
 * end, figures (a JSON object) and outcome after it, so a process killed at
 * any moment leaves a journal that says exactly which steps completed; the
 * resumed run skips those. Beside the steps: the run itself, a timeline of
 * events (gates failed, approvals asked, notifications, rollbacks), approval
 * requests with the evidence shown and its digest, approvals bound to that
 * digest, freeze windows as the database clock measured them, and the
 * scorecard. Nothing here ever holds a password: sources and targets are
 * display names, hook output is redacted before it is written.
 *
 * sl_journal_load() reads one run back whole (the form `cutover status` and
 * the HTML report read); writers take borrowed strings.
 */
#ifndef SLUICE_JOURNAL_H
#define SLUICE_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/arena.h"
#include "sluice/state.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One run of a runbook (cutover_runs). */
typedef struct sl_journal_run {
	int64_t id;
	const char *runbook; /* the runbook's name: runs, locks and approvals go by it */
	const char *path;    /* the runbook file as given */
	const char *digest;  /* SHA-256 of the runbook file when the run began (or was last resumed) */
	const char *source, *target; /* display names (never a password) */
	bool dry_run;
	/* running | waiting | stopped | done | rolled_back | rollback_failed | abandoned */
	const char *status;
	const char *phase;                    /* the phase under way or last run */
	const char *message;                  /* why it stopped, or NULL */
	const char *started_at, *finished_at; /* UTC, ISO 8601; finished_at NULL while resumable */
	int64_t pid;                          /* the process that last ran it */
	const char *host, *os_user;
} sl_journal_run;

/* One attempt of one step (cutover_steps). */
typedef struct sl_journal_step {
	int64_t row;
	const char *step;  /* "billing.freeze" */
	const char *phase; /* "billing" */
	const char *type;  /* "freeze" */
	const char *path;  /* "forward" or "rollback" */
	int attempt;       /* 1, then 2 when a run resumed it after an interruption */
	/* running (interrupted when no process runs it) | done | failed | skipped */
	const char *status;
	const char *gate;    /* "pass", "fail" or NULL when the step has none */
	const char *figures; /* JSON object, or NULL */
	const char *message;
	const char *started_at, *finished_at;
	int64_t duration_ms; /* -1 while running */
} sl_journal_step;

/* Something that happened (cutover_events): kind names it, detail is JSON or NULL. */
typedef struct sl_journal_event {
	int64_t id;
	const char *at, *kind, *step, *detail;
} sl_journal_event;

/* An approval step waiting: the evidence shown (JSON) and its digest (cutover_requests). */
typedef struct sl_journal_request {
	const char *step, *digest, *evidence, *requested_at;
} sl_journal_request;

/* Who approved what, when, bound to the digest of the evidence (cutover_approvals). */
typedef struct sl_journal_approval {
	const char *step, *name, *role, *note, *digest, *approved_at, *os_user;
} sl_journal_approval;

/* One freeze window (cutover_freezes). Times: the fenced database's clock, UTC microseconds. */
typedef struct sl_journal_freeze {
	int64_t id;
	const char *phase, *step;
	const char *side;   /* "source" or "target" */
	const char *token;  /* the fence's row in the database */
	const char *tables; /* JSON array */
	const char *method; /* "triggers" or "command" */
	int64_t budget_ms, started_us, deadline_us;
	int64_t ended_us;      /* 0 while the fence stands */
	const char *lifted_by; /* "unfreeze", "rollback", "watchdog", "deadline"; NULL while it stands */
	int64_t watchdog_pid;
	const char *scratch; /* a dry run's scratch database the fence stands in, or NULL */
} sl_journal_freeze;

/* One success criterion's verdict (cutover_scorecard). */
typedef struct sl_journal_score {
	const char *criterion, *type, *phase;
	bool ok;
	const char *figure, *limit, *detail, *evaluated_at;
} sl_journal_score;

/* A whole run read back. Strings live in arena; free with sl_journal_free(). */
typedef struct sl_journal {
	sl_journal_run run;
	sl_journal_step *steps;
	size_t nsteps;
	sl_journal_event *events;
	size_t nevents;
	sl_journal_request *requests;
	size_t nrequests;
	sl_journal_approval *approvals;
	size_t napprovals;
	sl_journal_freeze *freezes;
	size_t nfreezes;
	sl_journal_score *scores;
	size_t nscores;
	sl_arena *arena;
} sl_journal;

int sl_journal_load(sl_journal **out, sl_state *s, int64_t run_id);
void sl_journal_free(sl_journal *j);

/* The newest run of runbook (dry runs or real ones) in *out_id, 0 when there is none. */
int sl_journal_run_find(sl_state *s, const char *runbook, bool dry_run, int64_t *out_id);
/*
 * The newest run of each runbook (dry runs or real ones), newest first:
 * at most max ids into ids, their count in *n. Reads only (`sluice report`).
 */
int sl_journal_run_latest(sl_state *s, bool dry_run, int64_t *ids, size_t max, size_t *n);
/* Records a new run (status "running") from info's runbook, path, digest, source, target, dry_run, pid, host,
 * os_user. */
int sl_journal_run_begin(sl_state *s, int64_t *out_id, const sl_journal_run *info);
/* Sets status, phase and message (NULL leaves phase as it is); finished stamps finished_at. */
int sl_journal_run_update(sl_state *s, int64_t id, const char *status, const char *phase, const char *message,
			  bool finished);
/* A resumed run: the process, host and runbook digest that carry it on. */
int sl_journal_run_claim(sl_state *s, int64_t id, int64_t pid, const char *host, const char *digest);

/* Records a step's start (status "running") from st's step, phase, type, path and attempt. */
int sl_journal_step_begin(sl_state *s, int64_t run_id, const sl_journal_step *st, int64_t *out_row);
/* Records what a step under way knows already (a hook's pid), so a run that takes it up again finds it. */
int sl_journal_step_figures(sl_state *s, int64_t row, const char *figures);
/* Records its end. figures: JSON object text or NULL. */
int sl_journal_step_end(sl_state *s, int64_t row, const char *status, const char *gate, const char *figures,
			const char *message, int64_t duration_ms);

int sl_journal_event_add(sl_state *s, int64_t run_id, const char *kind, const char *step, const char *detail);

/* Approval requests and approvals. */
int sl_journal_request_add(sl_state *s, int64_t run_id, const char *step, const char *digest,
			   const char *evidence);
int sl_journal_approval_add(sl_state *s, int64_t run_id, const sl_journal_approval *a);

/* Freeze windows. */
int sl_journal_freeze_begin(sl_state *s, int64_t run_id, const sl_journal_freeze *f, int64_t *out_id);
int sl_journal_freeze_watchdog(sl_state *s, int64_t id, int64_t pid);
int sl_journal_freeze_end(sl_state *s, int64_t id, int64_t ended_us, const char *lifted_by);

/* Sets (replaces) one criterion's verdict. */
int sl_journal_score_set(sl_state *s, int64_t run_id, const sl_journal_score *sc);

#ifdef __cplusplus
}
#endif
#endif
