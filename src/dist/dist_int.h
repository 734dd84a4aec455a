/*
 * dist_int.h - what the files of the distributed module share (src/dist/):
 * the store connection (store.c: the work tables, PostgreSQL SQL only, since
 * the state store of a distributed run is always PostgreSQL), small helpers
 * to read result rows, the worker loop (worker.c), the copy and diff
 * coordinators (copy.c, diff.c) and the progress report (progress.c).
 */
#ifndef SLUICE_DIST_INT_H
#define SLUICE_DIST_INT_H

#include "sluice/dist.h"

#include <jansson.h>

#define DIST_RUN_TABLE     "sluice_dist_run"
#define DIST_CHUNK_TABLE   "sluice_dist_chunk"
#define DIST_ATTEMPT_TABLE "sluice_dist_attempt"

struct sl_dist {
	sl_conn *c;
};

/* Appends s as a literal (NULL: NULL). */
int dist_q(sl_dist *d, sl_buf *b, const char *s);
/*
 * Runs sql and hands each row (ncols values) to fn; fn returns 0 to go on.
 * Values are borrowed for the call.
 */
int dist_rows(sl_dist *d, const char *sql, size_t ncols, int (*fn)(const sl_value *row, void *ud), void *ud);
/* Helpers over a result value: an integer, a double, text into out (n bytes), "" for NULL. */
int64_t dist_i64(const sl_value *v);
double dist_f64(const sl_value *v);
void dist_text(char *out, size_t n, const sl_value *v);
/* A malloc'd copy of a text value, NULL for NULL. */
char *dist_strdup(const sl_value *v);
/* One chunk row from the columns of DIST_CHUNK_COLS. */
#define DIST_CHUNK_COLS                                                                                      \
	"run_id, chunk, attempt, tbl, part, nparts, range_lo, range_hi, expected, status, COALESCE(worker, " \
	"'')"
#define DIST_CHUNK_NCOLS 11
void dist_chunk_from_row(sl_dist_chunk *c, const sl_value *row);

/*
 * copy.c: the run's options (JSON of its row) into o: tables, schemas,
 * all_schemas, force, batch_rows, max_rejects, part_rows. The strings stay
 * in *json; *tables and *schemas are malloc'd arrays. The three are freed
 * (and replaced) by the next call with the same holders.
 */
int dist_copy_options(const sl_dist_run *run, sl_copy_opts *o, json_t **json, const char ***tables,
		      const char ***schemas);

/* snapshot.c: what a side's chunk reads see (the run's snapshot_mode is made of them). */
typedef enum dist_snap_kind {
	DIST_SNAP_EXPORTED,  /* the run's exported snapshot, held by the waiting coordinator */
	DIST_SNAP_DETACHED,  /* it could export one, but nobody waits to hold it (--detach) */
	DIST_SNAP_PER_CHUNK, /* each chunk reads a consistent snapshot of its own */
	DIST_SNAP_STATEMENT  /* each chunk reads in its statements' own moments */
} dist_snap_kind;
/*
 * With hold and a side that exports snapshots: opens a transaction on c
 * and exports its snapshot into id[n] (keep c open while the chunks are
 * read); else id "". *kind says which.
 */
int dist_snapshot_export(sl_conn *c, bool hold, char *id, size_t n, dist_snap_kind *kind);
/* SL_ENOTFOUND for the run's snapshot id: the message gains the way on (`sluice cmd ... --retry-failed`). */
int dist_snapshot_hint(int rc, const char *id, const char *cmd);
/*
 * A chunk's read of c: in snapshot id ("" or NULL: one of its own) where c
 * has consistent reads (*open: a transaction to end with dist_snapshot_end);
 * pos[n]: where the snapshot stood (binlog position), "" when not told.
 */
int dist_snapshot_begin(sl_conn *c, const char *id, const char *cmd, char *pos, size_t n, bool *open);
/* Ends the read begun by dist_snapshot_begin; returns rc, its error kept over the rollback's. */
int dist_snapshot_end(sl_conn *c, bool open, int rc);
/*
 * --finish --retry-failed: when one of the run's exported snapshots is gone
 * (checked on src for the source's, dst for the target's; NULL: not
 * checked), records that the run goes on without them (*lost; what: what
 * the retried chunks read, for the record); then puts the failed chunks
 * back (*n).
 */
int dist_snapshot_retry(sl_dist *d, const sl_dist_run *run, sl_conn *src, sl_conn *dst, const char *what,
			int64_t *n, bool *lost);

#endif
