/*
 * sync.h - `sluice sync`: keep a target in step with a live source, any two
 * engines, in either direction (docs/sync.md has the design and the argument
 * for its correctness; docs/commands/sync.md the command).
 *
 * start installs capture triggers on the source tables (they write the key
 * of every changed row to a change log in the source) and then copies the
 * tables with sl_copy_run(). run consumes the log: for each changed key it
 * re-reads the current source row and upserts it into the target (or
 * deletes it there when the source has none), in batches, each committed in
 * the target with its checkpoint; consumed log rows are then deleted by
 * their identity (seq), never by a high-water mark, so a transaction that
 * commits late is still seen. stop removes the triggers, the log and every
 * table sync made; reverse points capture the other way after a cutover.
 *
 * Connections are made through the copy module's callback (SL_COPY_SOURCE,
 * SL_COPY_TARGET), so the library never sees how a password was resolved.
 * Library code never prints: notices and progress go to on_event.
 */
#ifndef SLUICE_SYNC_H
#define SLUICE_SYNC_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/buf.h"
#include "sluice/cast.h"
#include "sluice/copy.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SL_SYNC_META_TABLE  "sluice_sync_meta"  /* in the source: the run and its tables */
#define SL_SYNC_STATE_TABLE "sluice_sync_state" /* in the target: the checkpoint */

typedef enum sl_sync_event_kind {
	SL_SYNC_EV_NOTICE = 1, /* message */
	SL_SYNC_EV_BATCH,      /* a batch of changes, or a heartbeat alone, was committed: counters */
	SL_SYNC_EV_RETRY,      /* a connection failed; retrying after a pause: message */
	SL_SYNC_EV_IDLE        /* the log is drained */
} sl_sync_event_kind;

/* Borrowed for the duration of the callback. */
typedef struct sl_sync_event {
	sl_sync_event_kind kind;
	const char *message;
	int64_t batch_changes; /* changes consumed by this batch (heartbeats excluded) */
	int64_t applied;       /* total for the run (checkpoint) */
	int64_t upserts, deletes, rejects;
	double lag_seconds; /* -1: unknown */
} sl_sync_event;

typedef void (*sl_sync_event_fn)(void *ud, const sl_sync_event *ev);

typedef struct sl_sync_opts {
	const char *const *tables; /* start: source tables to capture (NULL: all) */
	size_t ntables;
	const sl_cast_rules *rules; /* cast rules, as for copy */
	sl_copy_connect_fn connect; /* opens the source or the target */
	void *connect_ud;
	bool no_copy;                   /* start: the target already holds the rows (reverse) */
	bool resume;                    /* start: continue a start whose initial copy stopped */
	int copy_jobs;                  /* start: workers of the initial copy */
	sl_copy_event_fn on_copy_event; /* start: the initial copy's events (may be NULL) */
	void *copy_event_ud;
	size_t batch_rows;        /* run: log rows per batch (default 5000) */
	double max_rate;          /* run: at most this many changes per second (0: no limit) */
	bool follow;              /* run: keep running when drained, until *stop */
	double poll_seconds;      /* run: pause when drained (default 0.2) */
	double heartbeat_seconds; /* run: heartbeat interval (default 1) */
	double retry_seconds; /* run: give up after failing to reconnect this long (default 300, <0 never) */
	double schema_check_seconds;       /* run: re-check captured tables' schema this often (default 10) */
	const volatile sig_atomic_t *stop; /* run: set (by a signal handler) to stop after the batch */
	bool force; /* stop: also remove sluice triggers of other runs; reverse: undrained */
	sl_sync_event_fn on_event;
	void *event_ud;
	/*
	 * start: the target holds a finished copy of other tables (an earlier
	 * phase of a cutover): forget that record and copy these tables
	 * (copy's restart, which drops only tables of this copy that sluice
	 * made). Without it such a target is SL_ECONFLICT.
	 */
	bool copy_restart;
	/*
	 * start: the target's flavour for the initial copy (flavour.h; NULL: the
	 * base engine) and sluice.yaml's copy.distribution, as copy takes them.
	 */
	const sl_flavour *flavour;
	const char *const *shard_tables;
	const char *const *shard_columns;
	size_t nshard;
} sl_sync_opts;

#define SL_SYNC_OPTS_INIT                                                                                    \
	{                                                                                                    \
		.tables = NULL, .ntables = 0, .rules = NULL, .connect = NULL, .connect_ud = NULL,            \
		.no_copy = false, .resume = false, .copy_jobs = 2, .on_copy_event = NULL,                    \
		.copy_event_ud = NULL, .batch_rows = 5000, .max_rate = 0, .follow = false,                   \
		.poll_seconds = 0.2, .heartbeat_seconds = 1, .retry_seconds = 300,                           \
		.schema_check_seconds = 10, .stop = NULL, .force = false, .on_event = NULL,                  \
		.event_ud = NULL, .copy_restart = false, .flavour = NULL, .shard_tables = NULL,              \
		.shard_columns = NULL, .nshard = 0                                                           \
	}

/*
 * Installs capture and runs the initial copy. SL_EINVALID when a selected
 * table has no primary key or unique NOT NULL key (named) or the source
 * engine cannot capture; SL_ECONFLICT when the source already carries sync
 * triggers or a change log (of this run: use resume), or the target already
 * has sync state. When the copy fails, capture stays installed and a later
 * start with resume continues the copy.
 */
int sl_sync_start(const sl_sync_opts *opts);

/* Totals of one sl_sync_run() call. */
typedef struct sl_sync_stats {
	int64_t consumed; /* changes consumed (heartbeats excluded) */
	int64_t upserts, deletes, rejects;
	int64_t batches;
	int reconnects;
	double seconds;
} sl_sync_stats;

/*
 * Applies the change log until it is drained (or, with follow, until *stop).
 * Reconnects with backoff when a connection is lost. SL_ECONFLICT when a
 * captured table's schema changed (the table is named) or the target holds
 * no state of this run; SL_ENOTFOUND when no sync was started on the source;
 * SL_ELOCKED when another run applies to the target.
 */
int sl_sync_run(sl_sync_stats *out, const sl_sync_opts *opts);

typedef struct sl_sync_status {
	char *run_id;
	char *source, *target; /* display names (no password) */
	char **tables;
	size_t ntables;
	int64_t applied, batches;
	int64_t behind;     /* changes waiting in the log (heartbeats excluded), -1 unknown */
	double lag_seconds; /* now - source time of the newest applied heartbeat, -1 unknown */
	double rate;        /* changes/s of the recent batches */
	double avg_rate;    /* changes/s since the start */
	int64_t started_us; /* UTC microseconds */
	int64_t updated_us; /* last checkpoint */
	bool paused;
	char *last_error; /* NULL when none */
} sl_sync_status;

int sl_sync_status_get(sl_sync_status **out, const sl_sync_opts *opts);
void sl_sync_status_free(sl_sync_status *s);
int sl_sync_status_json(sl_buf *out, const sl_sync_status *s);

/* Removes capture (triggers, log, meta) from the source and sync's tables from the target. */
int sl_sync_stop(const sl_sync_opts *opts);

/* Pauses (or resumes) the runs applying to the target: they idle until resumed. */
int sl_sync_pause(const sl_sync_opts *opts, bool paused);

/*
 * After a cutover: opts names the forward pair (source = the old primary).
 * Refuses (SL_ECONFLICT) while the forward log still holds changes, unless
 * force. Removes forward capture, then starts capture on the target toward
 * the source without a copy. The reverse sync is then run with the sides
 * swapped: sl_sync_run() with the target as source.
 */
int sl_sync_reverse(const sl_sync_opts *opts);

#ifdef __cplusplus
}
#endif
#endif
