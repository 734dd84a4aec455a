/*
 * dist_work.h - the state of one `sluice worker` shared by worker.c (the
 * claim loop, the lease, copy chunks) and diff.c (diff chunks).
 */
#ifndef SLUICE_DIST_WORK_H
#define SLUICE_DIST_WORK_H

#include "dist_int.h"

#include <jansson.h>

typedef struct dist_worker {
	sl_dist *d;
	const sl_dist_worker_opts *o;
	sl_dist_run run; /* the run of the chunk in hand (and of the open runner) */
	json_t *opts_json;
	const char **tables, **schemas; /* borrowed from opts_json */
	sl_copy_opts copy;              /* the run's options as copy's */
	sl_copy_part_runner *runner;    /* copy runs */
	sl_conn *dsrc, *ddst;           /* diff runs: the worker's connections */
	sl_schema *smodel, *dmodel;     /* diff runs: both sides' models */
	sl_dist_chunk *chunk;           /* in hand, NULL between chunks */
	bool lost;                      /* a renewal found a later attempt */
	bool stopped;                   /* interrupted */
	bool reopen;                    /* a transient failure: reopen the run's connections */
	double renewed;
	int64_t written;
	char source_pos[160]; /* diff chunks: where the source's snapshot stood */
} dist_worker;

void dist_log(const dist_worker *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Renews the lease when due; true when the chunk must stop (lost or interrupted). */
bool dist_poll(dist_worker *w);
/* w->run's options JSON into w->copy (tables, schemas, batch_rows, max_rejects...). */
int dist_opts_from_run(dist_worker *w);

/* diff.c */
int dist_diff_open(dist_worker *w);
void dist_diff_close(dist_worker *w);
/* Compares the chunk's key range; *result (malloc'd JSON) holds its counts and first examples. */
int dist_diff_chunk(dist_worker *w, const sl_dist_chunk *c, sl_dist_outcome *out, char **result);

#endif
