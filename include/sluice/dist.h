/*
 * dist.h - copy and diff shared by cooperating worker processes on any
 * number of machines, coordinated through a work table in a PostgreSQL
 * database (docs/commands/distributed.md).
 *
 * The coordinator (`sluice copy --distributed`, `sluice diff --distributed`)
 * writes a run row (its plan: the sides by display name, never a password)
 * and one chunk row per key range of each table, sized from the source's
 * row estimates by copy's own splitter. Workers (`sluice worker`) claim
 * chunks with SELECT ... FOR UPDATE SKIP LOCKED under a lease, renew the
 * lease between batches, and record what they did. Every claim raises the
 * chunk's attempt number; the result of an attempt is recorded only while the
 * chunk still holds that number (the fence), and for a copy the same number
 * guards the checkpoints in the target, so a worker whose lease expired can
 * neither write more rows of the chunk nor mark it done.
 *
 * The state store must be PostgreSQL (postgres:// or postgresql://).
 */
#ifndef SLUICE_DIST_H
#define SLUICE_DIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/buf.h"
#include "sluice/conn.h"
#include "sluice/copy.h"
#include "sluice/diff.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sl_dist sl_dist;

/* SL_EINVALID (nothing opened) when url is not a PostgreSQL URL; creates the work tables. */
int sl_dist_open(sl_dist **out, const char *url);
void sl_dist_close(sl_dist *d);
/* Borrowed: the store's URL with the password masked. */
const char *sl_dist_display(const sl_dist *d);

#define SL_DIST_NAME_MAX 512

/* A run: one distributed copy or diff. */
typedef struct sl_dist_run {
	char id[64];
	char kind[16];  /* "copy", "diff" */
	char state[16]; /* copy: "loading", "post-data", "finished"; diff: "diffing", "finished"; "failed" */
	/* how the coordinator named the sides: an environment or a URL with the password masked */
	char source[SL_DIST_NAME_MAX], target[SL_DIST_NAME_MAX];
	/*
	 * What a worker may connect with when it is not told: the environment's
	 * name (resolved in the worker's own sluice.yaml) or a URL that has no
	 * password; "" when the coordinator's URL held one (the worker must be
	 * given --source/--target).
	 */
	char source_ref[SL_DIST_NAME_MAX], target_ref[SL_DIST_NAME_MAX];
	char copy_run[64];    /* copy: the run id recorded in the target */
	char fingerprint[17]; /* copy: the plan's (sl_copy_part_runner_fingerprint) */
	char *options;        /* JSON: tables, schemas, batch_rows, max_rejects, ... (malloc'd) */
	int lease_s;
	double created; /* epoch seconds */
	/*
	 * The source snapshot every chunk reads ("": none), diff: the target's
	 * too, and what holds for the run's reads.
	 */
	char snapshot[128];
	char target_snapshot[128];
	char snapshot_mode[512];
	int max_attempts; /* tries of a chunk that fails transiently (lost connection, deadlock) */
	bool detached;    /* planned with --detach: the worker that finishes the last chunk runs post-data */
	char finished_by[128]; /* who ran post-data (a worker's id, "coordinator") */
} sl_dist_run;

void sl_dist_run_clear(sl_dist_run *r);

/* A chunk: one key range of one table (part/nparts of copy's split). */
typedef struct sl_dist_chunk {
	char run_id[64];
	int chunk;
	int attempt;
	char table[SL_DIST_NAME_MAX];
	int part, nparts;
	bool has_lo, has_hi;
	int64_t lo, hi, expected;
	char status[16]; /* pending, running, done, failed */
	char worker[128];
} sl_dist_chunk;

/* What one attempt at a chunk did (result: JSON, may be NULL). */
typedef struct sl_dist_outcome {
	int64_t read, written, rejected;
	const char *result;
	const char *error; /* set: the chunk failed */
	bool transient;    /* the failure may pass (lost connection, deadlock): retried below max_attempts */
	const char *source_pos; /* where the source snapshot stood (binlog position), may be NULL */
	bool retried;           /* out: the chunk went back to pending for another attempt */
} sl_dist_outcome;

/* Writes the run and its chunks in one transaction; r->id is filled when empty. */
int sl_dist_run_create(sl_dist *d, sl_dist_run *r, const sl_dist_chunk *chunks, size_t n);
/* The run id (NULL: the newest one), SL_ENOTFOUND when there is none. */
int sl_dist_run_get(sl_dist *d, const char *id, sl_dist_run *out);
int sl_dist_run_set_state(sl_dist *d, const char *id, const char *state);
/* The run is finished; who ran its last step (a worker's id, "coordinator"). */
int sl_dist_run_finished(sl_dist *d, const char *id, const char *who);
/*
 * Moves the run from state `from` to `to` only when it is in `from` and all
 * its chunks are done: 0 when this call moved it, SL_ECONFLICT otherwise (so
 * exactly one of several callers goes on, e.g. with the post-data phase).
 */
int sl_dist_run_advance(sl_dist *d, const char *id, const char *from, const char *to);

/*
 * Claims one chunk of run_id (NULL: any run in state "loading" or
 * "diffing" but the nskip runs of skip): a pending one, or a running one
 * whose lease expired, with FOR UPDATE SKIP LOCKED. Its attempt is raised
 * and an attempt row recorded. lease_s <= 0: the run's lease. SL_ENOTFOUND
 * when nothing is claimable; *busy then says how many chunks of those runs
 * are still running under live leases.
 */
int sl_dist_claim(sl_dist *d, const char *run_id, const char *const *skip, size_t nskip, const char *worker,
		  int lease_s, sl_dist_chunk *out, int64_t *busy);
/* Extends the lease; SL_ECONFLICT when the chunk no longer holds this attempt. */
int sl_dist_renew(sl_dist *d, const sl_dist_chunk *c, int lease_s, int64_t written);
/*
 * Records the attempt's outcome: done, or failed with o->error. A transient
 * failure puts the chunk back to pending while it has failed fewer times than
 * the run's max_attempts (o->retried); else it stays failed. SL_ECONFLICT
 * when fenced off.
 */
int sl_dist_finish(sl_dist *d, const sl_dist_chunk *c, sl_dist_outcome *o);
/* Puts the run's failed chunks back to pending with their failure count cleared; *n of them. */
int sl_dist_retry_failed(sl_dist *d, const char *run_id, int64_t *n);
/*
 * Records the run's source snapshot (NULL or "": none any more, nor a
 * target snapshot) and what holds for its reads.
 */
int sl_dist_run_set_snapshot(sl_dist *d, const char *run_id, const char *snapshot, const char *mode);
/* Gives the chunk back (pending) when the attempt stops without an outcome (Ctrl-C). */
int sl_dist_release(sl_dist *d, const sl_dist_chunk *c);

/* Progress of a run: per table and per worker. */
typedef struct sl_dist_table_progress {
	char table[SL_DIST_NAME_MAX];
	int chunks, done, running, failed;
	int64_t expected, rows; /* rows: written (copy) or compared (diff) by finished and running chunks */
	int64_t missing, extra, changed; /* diff */
} sl_dist_table_progress;

typedef struct sl_dist_worker_progress {
	char worker[128];
	int done, running, lost; /* attempts: finished, holding a chunk, fenced off or expired */
	int64_t rows;
	double seconds; /* between its first claim and its last report */
	double last_seen_ago;
} sl_dist_worker_progress;

/* One attempt at a chunk: who, how it ended, where its source snapshot stood, its error. */
typedef struct sl_dist_attempt_info {
	char table[SL_DIST_NAME_MAX];
	int chunk, attempt;
	char worker[128];
	char outcome[16];     /* running, done, failed, expired, fenced, released */
	char source_pos[160]; /* the binlog position of its snapshot, "" when none was recorded */
	char *error;          /* malloc'd, NULL when it did not fail */
} sl_dist_attempt_info;

typedef struct sl_dist_progress {
	sl_dist_attempt_info *log; /* every attempt, by chunk and attempt */
	size_t nlog;
	sl_dist_table_progress *tables;
	size_t ntables;
	sl_dist_worker_progress *workers;
	size_t nworkers;
	int chunks, done, running, failed;
	int64_t expected, rows;
	double elapsed;       /* from the first claim to the last chunk done (or now) */
	double rows_per_s;    /* rows / elapsed */
	double eta_s;         /* -1: unknown */
	int64_t attempts;     /* attempt rows */
	int64_t done_records; /* attempts recorded done (== done chunks: no chunk finished twice) */
} sl_dist_progress;

int sl_dist_progress_get(sl_dist *d, const char *run_id, sl_dist_progress *out);
void sl_dist_progress_free(sl_dist_progress *p);
int sl_dist_progress_text(sl_buf *out, const sl_dist_run *r, const sl_dist_progress *p);
int sl_dist_progress_json(sl_buf *out, const sl_dist_run *r, const sl_dist_progress *p);

/* ---- the worker ---- */

/* Opens one side for a run (the caller resolves what the run or its command line names). */
typedef int (*sl_dist_connect_fn)(sl_conn **out, const sl_dist_run *run, sl_copy_side side, void *ud);

typedef struct sl_dist_worker_opts {
	const char *name;   /* the worker's id in the work table */
	const char *run_id; /* NULL: any active run */
	int idle_s;         /* exit after this long with nothing to claim and nothing running (default 5) */
	double poll_s;      /* between claims when nothing is claimable (default 1) */
	long max_chunks;    /* stop after this many chunks (0: no limit) */
	sl_dist_connect_fn connect;
	void *connect_ud;
	const sl_cast_rules *rules; /* the worker's cast rules (its plan must print as the coordinator's) */
	const char *const *sensitive;
	size_t nsensitive;
	/* sluice.yaml's copy.distribution on this worker (sl_copy_opts.shard_tables; the plan must match) */
	const char *const *shard_tables;
	const char *const *shard_columns;
	size_t nshard;
	void (*log)(void *ud, const char *line); /* progress lines (may be NULL) */
	void *log_ud;
	bool verbose; /* a line per committed batch too */
	bool (*interrupted)(void *ud);
	void *interrupt_ud;
} sl_dist_worker_opts;

typedef struct sl_dist_worker_stats {
	int chunks_done, chunks_lost, chunks_failed;
	int64_t rows;
} sl_dist_worker_stats;

/*
 * Claims and processes chunks until nothing is left (idle_s), max_chunks,
 * or interrupted (SL_EINTERRUPTED; the chunk in hand is given back, its
 * committed batches kept). A chunk that fails is recorded failed and the
 * worker goes on; a transient failure (a lost source or target connection,
 * a deadlock, a serialization failure) puts it back for another attempt
 * below the run's max_attempts, and the worker reopens its connections. A
 * lost store connection ends the worker (its lease expires and another
 * takes the chunk). The worker that finishes the last chunk of a run
 * planned with --detach runs its post-data. A run this worker cannot
 * join (its sides cannot be reached from here, its plan differs) gets its
 * chunk back; with o->run_id the worker stops there, otherwise it leaves
 * that run to other workers, goes on with the others, and returns the
 * first such error once nothing is left.
 */
int sl_dist_worker_run(sl_dist *d, const sl_dist_worker_opts *o, sl_dist_worker_stats *st);

/* ---- the coordinator: copy ---- */

/* How a distributed run is planned. */
typedef struct sl_dist_plan_opts {
	int lease_s;      /* a worker's hold on a chunk between renewals (default 30) */
	int max_attempts; /* tries of a chunk that fails transiently (default 3) */
} sl_dist_plan_opts;

/*
 * Plans a distributed copy: runs copy's pre-data phase (sl_copy_run with
 * external_data: tables created, parts recorded in the target), then writes
 * the run and one chunk per part. o->part_rows sizes the chunks. source and
 * target: display names and worker refs (see sl_dist_run). *run is filled.
 * holder: the caller waits for the run (NULL: --detach, the worker that
 * finishes the last chunk runs post-data). Where the source exports
 * snapshots, *holder is then the source session whose open transaction
 * holds the snapshot every chunk reads: keep it open until every chunk is
 * done, then close it. NULL when the source has none (run->snapshot_mode
 * says what holds instead).
 */
int sl_dist_copy_plan(sl_dist *d, const sl_copy_opts *o, const char *const names[4],
		      const sl_dist_plan_opts *plo, sl_dist_run *run, sl_copy_result **res, sl_conn **holder);
/*
 * Post-data: once every chunk is done, moves the run to "post-data" (only
 * one caller wins) and resumes the copy in the target (indexes, constraints,
 * foreign keys, sequences...), then "finished" by who. One caller at a time
 * runs it (a lock in the store); a caller that waited for another finds the
 * run finished and returns 0 with *res NULL. SL_ECONFLICT when chunks are
 * not all done.
 */
int sl_dist_copy_finish(sl_dist *d, const sl_dist_run *run, const sl_copy_opts *o, const char *who,
			sl_copy_result **res);
/*
 * `--finish --retry-failed`: puts the failed chunks back (*n of them). When
 * the run's exported snapshot no longer exists, records that the run goes on
 * without one (*lost; run->snapshot_mode in the store says so).
 */
int sl_dist_copy_retry(sl_dist *d, const sl_dist_run *run, const sl_copy_opts *o, int64_t *n, bool *lost);

/* ---- the coordinator: diff ---- */

/*
 * Plans a distributed diff: the tables paired as `sluice diff` pairs them,
 * each cut into key ranges. With hold (a coordinator that waits), each
 * side that exports snapshots gets one before the chunks can be claimed,
 * in a transaction left open on src or dst: keep them open until every
 * chunk is done; every chunk compares that side as of the plan.
 */
int sl_dist_diff_plan(sl_dist *d, sl_conn *src, sl_conn *dst, const sl_diff_pairing *pairing,
		      int64_t chunk_rows, const char *const names[4], const sl_dist_plan_opts *plo, bool hold,
		      sl_dist_run *run);
/*
 * `--finish --retry-failed` of a diff: as sl_dist_copy_retry, the run's
 * snapshots checked on src and dst (NULL: a side not checked).
 */
int sl_dist_diff_retry(sl_dist *d, const sl_dist_run *run, sl_conn *src, sl_conn *dst, int64_t *n,
		       bool *lost);
/* Sums the chunks' results: missing, extra, changed, and the first examples (JSON lines into examples). */
typedef struct sl_dist_diff_sum {
	int64_t src_rows, dst_rows, missing, extra, changed;
	int tables_differing;
	int chunks_failed;
} sl_dist_diff_sum;
int sl_dist_diff_sum_get(sl_dist *d, const char *run_id, sl_dist_diff_sum *out, sl_buf *text);

#ifdef __cplusplus
}
#endif
#endif
