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

#endif
