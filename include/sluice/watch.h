/*
 * watch.h - `sluice watch`: hypercare after a cutover (docs/commands/watch.md).
 *
 * A watch runs checks on a schedule against the database that now serves
 * (the target), and where one is named, against the one it replaced (the
 * source): the integrity rules (rules.h), a row diff of the tables (diff.h;
 * bisection for large tables across a slow link), sync lag (sync.h) and
 * shadow reads (shadow.h). Each check yields figures; thresholds of
 * sluice.yaml's `watch:` section judge each figure ok, warn or breach, and
 * the worst figure is the run's level. The watch keeps a state (ok, warn,
 * breach) in the state store (state.h): a complete run sets it, a run that
 * could not reach a database (a gap) can only raise it - recovery needs a
 * run that saw everything. On each change of state a hook command gets a
 * JSON payload on stdin, once.
 *
 * Every run is recorded with its figures, and every stretch of incomplete
 * runs as a gap (never as a pass). Each run opens its connections and closes
 * them, so a database restart costs a gap and nothing else; after an
 * incomplete run the next comes sooner (1s, doubling up to the interval).
 * One watch at a time per state store (sl_state_lock_take, "watch").
 * Library code never prints: what happens goes to on_event.
 */
#ifndef SLUICE_WATCH_H
#define SLUICE_WATCH_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/arena.h"
#include "sluice/buf.h"
#include "sluice/config.h"
#include "sluice/conn.h"
#include "sluice/state.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sl_watch_level {
	SL_WATCH_NONE = -1, /* no state yet (nothing measured) */
	SL_WATCH_OK = 0,
	SL_WATCH_WARN,
	SL_WATCH_BREACH
} sl_watch_level;

/* "ok", "warn", "breach"; NULL for SL_WATCH_NONE. */
const char *sl_watch_level_name(sl_watch_level l);
/* The level called name, SL_WATCH_NONE for NULL or an unknown name. */
sl_watch_level sl_watch_level_from_name(const char *name);

/* The checks a watch can run (bits). */
enum {
	SL_WATCH_RULES = 1u << 0,
	SL_WATCH_DIFF = 1u << 1,
	SL_WATCH_SYNC = 1u << 2,
	SL_WATCH_SHADOW = 1u << 3
};

/* "rules,diff" into bits. SL_EINVALID naming an unknown check (with "did you mean"). */
int sl_watch_checks_parse(unsigned *out, const char *list);
/* Appends "rules,diff,..." for bits. */
int sl_watch_checks_format(sl_buf *out, unsigned checks);

/* A figure's limits: at or above breach it is a breach, else at or above warn a warning (< 0: none). */
typedef struct sl_watch_limit {
	double warn, breach;
} sl_watch_limit;

/* The level of value under lim. */
sl_watch_level sl_watch_judge(double value, sl_watch_limit lim);

/*
 * The state after a run: a complete run sets it to the run's level; an
 * incomplete one (a gap) can only raise it, and leaves "no state" as it is
 * when it saw nothing wrong.
 */
sl_watch_level sl_watch_next_state(sl_watch_level current, sl_watch_level run, bool complete);

typedef enum sl_watch_diff_mode {
	SL_WATCH_DIFF_AUTO = 0, /* bisect tables estimated at bisect_above rows or more */
	SL_WATCH_DIFF_FULL,     /* the streaming row diff of every table */
	SL_WATCH_DIFF_BISECT    /* bisection for every table that allows it */
} sl_watch_diff_mode;

/*
 * sluice.yaml `watch:` (docs/config.md). Strings live in the config's
 * arenas; lists are NULL when not given. Every key is checked when loaded,
 * with file:line:col and "did you mean": names of environments, rules,
 * domains and shadow queries too.
 */
typedef struct sl_watch_config {
	const char *target, *source; /* environment names or URLs (NULL: not set) */
	int64_t every_ms;            /* default 5 minutes */
	int64_t for_ms;              /* -1: until stopped (default) */
	unsigned checks;             /* 0: not set */
	const char *rules_domain;    /* rules.domain */
	const char **rules_only;     /* rules.only: rule names */
	size_t nrules_only;
	const char **diff_tables; /* diff.tables (NULL: every table both sides have) */
	size_t ndiff_tables;
	sl_watch_diff_mode diff_mode; /* diff.mode */
	int64_t bisect_above;         /* diff.bisect_above (default 1,000,000 rows) */
	bool sync_set;                /* a `sync:` key was given */
	const char *sync_source, *sync_target;
	const char **shadow_queries; /* shadow.queries (NULL: every query of `shadow:`) */
	size_t nshadow_queries;
	sl_watch_limit diff;        /* rows differing per table (default breach 1) */
	sl_watch_limit shadow;      /* result rows differing per query (default breach 1) */
	sl_watch_limit sync_lag;    /* seconds (default warn 60, breach 300) */
	sl_watch_limit sync_behind; /* changes (default none) */
	const char *hook;           /* hook.command, run with /bin/sh -c */
	int64_t hook_timeout_ms;    /* hook.timeout (default 10s) */
	bool hook_gaps;             /* hook.gaps: also when a gap starts and ends */
	sl_arena *arena;
} sl_watch_config;

/* Reads cfg's `watch:` section (cfg NULL or no section: every default). */
int sl_watch_config_load(sl_watch_config **out, sl_config *cfg);
void sl_watch_config_free(sl_watch_config *c);

/* Opens the database spec names (an environment of sluice.yaml or a URL). */
typedef int (*sl_watch_open_fn)(sl_conn **out, const char *spec, void *ud);

typedef enum sl_watch_event_kind {
	SL_WATCH_EV_START = 1, /* the store is locked, the first run comes: target, source, checks */
	SL_WATCH_EV_RUN,       /* a run was recorded: run */
	SL_WATCH_EV_CHANGE,    /* a change was recorded: change ("state", "gap_started", "gap_ended"), state,
				  previous */
	SL_WATCH_EV_HOOK,      /* the hook ran: message, hook_failed */
	SL_WATCH_EV_NOTICE     /* message */
} sl_watch_event_kind;

/* Borrowed for the duration of the callback. */
typedef struct sl_watch_event {
	sl_watch_event_kind kind;
	const sl_state_watch_run *run; /* RUN */
	int64_t next_ms;               /* RUN: the next run starts in this many ms (-1: none) */
	const char *change;            /* CHANGE */
	const char *state, *previous;  /* CHANGE of state: names, previous NULL when none */
	const char *message;           /* HOOK, NOTICE; CHANGE: what caused it */
	const char *target, *source;   /* START: display names (never a password); source NULL when none */
	const char *checks;            /* START: "rules,diff,..." */
	bool hook_failed;              /* HOOK */
} sl_watch_event;

typedef void (*sl_watch_event_fn)(void *ud, const sl_watch_event *ev);

typedef struct sl_watch_opts {
	const sl_watch_config *config; /* thresholds, diff, sync and shadow settings, hook */
	sl_config *project;            /* sluice.yaml: its rules and shadow queries (may be NULL) */
	sl_state *state;               /* where runs are recorded */
	const char *target, *source;   /* environment names or URLs; source may be NULL */
	unsigned checks;               /* SL_WATCH_* bits to run (0: sl_watch_checks_of's defaults) */
	int64_t every_ms;              /* from the start of one run to the start of the next */
	int64_t for_ms;                /* no run starts this long after the first (-1: until stopped) */
	long rounds;                   /* stop after this many runs (0: no limit) */
	bool exit_on_breach;           /* stop after a run that leaves the state at breach */
	int64_t lock_wait_ms; /* another watch holds the store: 0 refuse, > 0 wait, < 0 wait until stopped */
	int64_t retry_ms;     /* the pause after a first incomplete run (default 1000) */
	sl_watch_open_fn open;
	void *open_ud;
	const volatile sig_atomic_t *stop; /* set (by a signal handler) to stop after the current check */
	sl_watch_event_fn on_event;
	void *event_ud;
} sl_watch_opts;

#define SL_WATCH_OPTS_INIT                                                                                   \
	{                                                                                                    \
		.config = NULL, .project = NULL, .state = NULL, .target = NULL, .source = NULL, .checks = 0, \
		.every_ms = 300000, .for_ms = -1, .rounds = 0, .exit_on_breach = false, .lock_wait_ms = 0,   \
		.retry_ms = 1000, .open = NULL, .open_ud = NULL, .stop = NULL, .on_event = NULL,             \
		.event_ud = NULL                                                                             \
	}

/*
 * Fills o's config, project, target, source, checks, every_ms and for_ms
 * from c: the sluice.yaml defaults a caller then overrides.
 */
void sl_watch_opts_from_config(sl_watch_opts *o, const sl_watch_config *c, sl_config *project);

/*
 * The checks a run makes: o->checks, or when it names none: rules when
 * o->project has rules, diff when there is a source, shadow when there is
 * a source and o->project has shadow queries, sync when the config has a
 * `sync:` key.
 */
unsigned sl_watch_checks_of(const sl_watch_opts *o);

typedef struct sl_watch_summary {
	long runs;
	long incomplete;      /* runs that could not reach a database */
	sl_watch_level state; /* after the last run */
	bool breached;        /* stopped by exit_on_breach */
	bool stopped;         /* stopped by *stop */
	long hooks_failed;
} sl_watch_summary;

/*
 * Takes the store's watch lock, delivers hooks a stopped watch left
 * pending, then runs o->checks every o->every_ms until o->for_ms passed,
 * o->rounds runs were made, *o->stop was set, or (exit_on_breach) the state
 * is breach. Problems found are results, not errors: 0 unless the store
 * cannot be written, the lock is held (SL_ELOCKED) or o is invalid.
 * (A runbook's `watch` step does not call it: it judges its own gates in
 * rounds and journals them with the cutover; docs/runbook.md.)
 */
int sl_watch_run(sl_watch_summary *out, const sl_watch_opts *o);

/* One recorded run with its figures as a JSON object (as in the status's "runs"). Appends to out. */
int sl_watch_run_json(sl_buf *out, const sl_state_watch_run *r);

/*
 * The watch as recorded in s, as one JSON object (docs/commands/watch.md,
 * "Status"): the state and since when, the open gap, the last `runs` runs
 * with their figures (newest first), the recent events and gaps, and per
 * figure its trend over those runs. Appends to out. The form the HTML
 * report charts.
 */
int sl_watch_status_json(sl_buf *out, sl_state *s, size_t runs);

#ifdef __cplusplus
}
#endif
#endif
