/*
 * watch_int.h - what the files of src/watch/ share (the public API is
 * include/sluice/watch.h): one run's context, its databases (opened once per
 * run, closed at its end), the figures it collects, the checks, the hook.
 *
 *   config.c  sluice.yaml `watch:`         level.c   levels, limits, the state machine
 *   dbs.c     the run's connections         figure.c  figures, gaps, failures as figures
 *   check_rules.c check_diff.c check_sync.c check_shadow.c: the four checks
 *   run.c     one run: checks, record, changes, hook
 *   hook.c    the hook command              payload.c its JSON
 *   loop.c    sl_watch_run: lock, schedule, backoff, stop
 *   status.c  sl_watch_status_json
 */
#ifndef SLUICE_WATCH_INT_H
#define SLUICE_WATCH_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/arena.h"
#include "sluice/buf.h"
#include "sluice/schema.h"
#include "sluice/state.h"
#include "sluice/watch.h"

/* A database of one run, by the spec that names it. */
typedef struct watch_db {
	const char *spec;    /* environment name or URL (in the run's arena) */
	const char *display; /* never a password */
	sl_conn *conn;
	sl_schema *schema; /* read on first need */
	int failed;        /* the code it failed with: every later use fails alike */
	const char *error; /* ... and the message */
} watch_db;

#define WATCH_MAX_DBS 16

struct sl_rules;
struct sl_shadow_query;

/* One run. Everything in it lives until the run is recorded. */
typedef struct watch_run {
	const sl_watch_opts *o;
	unsigned checks;
	const struct sl_rules *rules;          /* read once, when the watch starts */
	const struct sl_shadow_query *queries; /* the selected shadow queries */
	size_t nqueries;
	sl_arena *a; /* strings and figures */
	watch_db dbs[WATCH_MAX_DBS];
	size_t ndbs;
	sl_state_watch_figure *figs;
	size_t nfigs, capfigs;
	bool complete;          /* no figure is a gap */
	const char *gap_reason; /* the first gap's why */
	bool stopped;           /* *o->stop was seen */
} watch_run;

/* sl_watch_checks_format's names, by bit position. */
extern const char *const watch_check_names[];

/* Display name of spec: an environment name as it is, a URL with its password masked. In a. */
const char *watch_display(sl_arena *a, const char *spec);

/* The database spec names, connected (read-only) on first use. */
int watch_db_get(watch_db **out, watch_run *r, const char *spec);
/* Its schema, read on first use. */
int watch_db_schema(const sl_schema **out, watch_db *db);
void watch_dbs_close(watch_run *r);

/* True when the run should stop now (*o->stop); remembers it. */
bool watch_stopping(watch_run *r);

/* Adds a figure; strings are copied. level is "ok", "warn", "breach" or "gap". */
int watch_figure(watch_run *r, const char *check, const char *item, double value, const char *unit,
		 const char *level, const char *threshold, const char *detail, int64_t ms);
/*
 * A step of a check failed with rc: a lost or refused connection becomes a
 * gap figure, any other error a breach figure carrying the message (a rule
 * that no longer runs on the new database is a finding). 0, or rc when the
 * run itself cannot go on (out of memory).
 */
int watch_failed(watch_run *r, int rc, const char *check, const char *item, const char *unit, int64_t ms);
/* "warn 30s, breach 5m" (seconds as durations) or "warn 1, breach 10"; NULL when neither. In a. */
const char *watch_limit_text(sl_arena *a, sl_watch_limit lim, bool seconds);
int64_t watch_mono_ms(void);

int watch_check_rules(watch_run *r);
int watch_check_diff(watch_run *r);
int watch_check_sync(watch_run *r);
int watch_check_shadow(watch_run *r);

/* The watch: what the loop keeps from run to run. */
typedef struct watch_loop {
	const sl_watch_opts *o;
	unsigned checks;
	struct sl_rules *rules;
	struct sl_shadow_query *queries;
	size_t nqueries;
	sl_watch_level state; /* the watch's state so far */
	const char *target_display, *source_display;
	sl_watch_summary *sum;
	sl_arena *a;       /* display names, for the loop's life */
	int64_t next;      /* when the next run starts (monotonic ms) */
	int64_t backoff;   /* the pause after the last incomplete run, 0 after a complete one */
	int64_t run_start; /* when the current run started */
} watch_loop;

/*
 * Runs once; *complete tells whether every check reached its databases.
 * next_ms schedules the next run (the loop's), told whether this one was complete.
 */
int watch_run_once(watch_loop *l, bool *complete, int64_t (*next_ms)(watch_loop *, bool));
/* Delivers hooks a stopped watch left pending. */
int watch_deliver_pending(watch_loop *l);

/* How the hook went. */
typedef struct watch_hook_result {
	int exit_code; /* -1 when it did not exit by itself */
	bool timed_out;
	int64_t ms;
	char error[256]; /* "" when it exited 0 */
} watch_hook_result;

/*
 * Runs command with /bin/sh -c in its own process group, payload on its
 * stdin, its stdout sent to stderr, SLUICE_WATCH_EVENT/STATE/PREVIOUS in
 * its environment; kills the group after timeout_ms. 0 unless the command
 * could not be started at all (then SL_EIO); *out says how it went.
 */
int watch_hook_exec(watch_hook_result *out, const char *command, int64_t timeout_ms, const char *payload,
		    const char *event, const char *state, const char *previous);

/* A recorded run with its figures as JSON (status.c): new reference. */
struct json_t;
struct json_t *watch_run_json(const sl_state_watch_run *r);

/* What a payload says (strings borrowed). */
typedef struct watch_payload_in {
	const char *event; /* state | gap_started | gap_ended */
	const char *project, *target, *source;
	const char *state, *previous;
	const sl_state_watch_run *run;
	const sl_state_watch_gap_change *gap; /* gap events */
	const char *at;
} watch_payload_in;

/* The hook's JSON payload (docs/commands/watch.md, "The hook"). Appends to out. */
int watch_payload(sl_buf *out, const watch_payload_in *in);

#endif
