/*
 * run_int.h - the state of one `sluice copy` run shared by the files that
 * make it: run.c (sessions, workers, parts, the data phase, the walk through
 * the phases), phases.c (the DDL phases, violations), resume.c (refuse,
 * restart or resume according to the target's state) and result.c (the
 * result and its JSON). Not installed.
 */
#ifndef SLUICE_COPY_RUN_INT_H
#define SLUICE_COPY_RUN_INT_H

#include "copy_int.h"

#include <pthread.h>

typedef struct copy_idx_queue copy_idx_queue;

typedef struct run {
	const sl_copy_opts *o;
	sl_conn *src, *dst;
	sl_copy_plan *plan;
	char *run_id;
	sl_copy_shared sh;
	pthread_mutex_t mu;
	sl_copy_part *parts;
	size_t nparts;
	size_t next_part; /* queue position, under mu */
	int err_code;     /* first worker error, under mu */
	char *err_msg;
	sl_copy_result *res;
	bool *failed; /* per plan table: the target refused its CREATE TABLE in this run */
	char **ferr;  /* per plan table: why, for the result */
	size_t nfailed;
	copy_idx_queue *iq; /* the INDEXES phase's statements (index_queue.c), NULL until made */
} run;

/* One piece of work for a worker: a table part to load or an index statement to run. */
typedef struct copy_work {
	sl_copy_part *part;
	const sl_ddl_stmt *stmt;
	size_t index; /* stmt's place in the queue */
} copy_work;

/* run.c: sessions, workers, parts, phase bookkeeping */
int copy_check_interrupt(run *r);
int copy_make_all_parts(run *r);
int copy_make_parts(run *r, const sl_copy_tplan *t);
void copy_notice(run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool copy_on_failed_table(const run *r, const sl_ddl_stmt *st);
int copy_open_side(run *r, sl_conn **out, sl_copy_side side);
/* The phases in order ("tables", "data", ... "finished"): the name of number i, the number of a name. */
const char *copy_phase_name(int i);
int copy_phase_index(const char *phase, int *stmt_done);
void copy_record_error(run *r, int rc);
int copy_set_phase(run *r, const char *phase, int stmt);
size_t copy_table_index(const run *r, const char *target_name);
bool copy_transactional(run *r);

/*
 * index_queue.c: the index statements in one queue for several connections.
 * copy_iq_applies: the target builds indexes on several connections (--jobs > 1).
 * copy_iq_new makes r->iq; copy_iq_add_part (under r->mu) holds a table's statements back until
 * that part is loaded. copy_iq_next waits for the next piece of work - a statement that may
 * start, else the next of parts[0..nparts) (r->next_part) - and returns 0 when there is none
 * left; copy_iq_done reports it finished (a part counts when it is done). copy_iq_run runs a
 * statement on c. copy_iq_wake wakes the waiting workers (under r->mu, after stop is set).
 * copy_iq_loaded releases every statement (the data phase has finished); copy_iq_left counts
 * the statements not taken yet.
 */
bool copy_iq_applies(const run *r);
int copy_iq_new(run *r);
void copy_iq_free(run *r);
void copy_iq_add_part(run *r, const sl_copy_part *p);
int copy_iq_next(run *r, sl_copy_part *const *parts, size_t nparts, copy_work *out);
void copy_iq_done(run *r, const copy_work *w);
int copy_iq_run(run *r, sl_conn *c, const sl_ddl_stmt *st);
void copy_iq_wake(run *r);
void copy_iq_loaded(run *r);
size_t copy_iq_left(run *r);

/* phases.c: the DDL phases */
/* Records a statement the data refused (under r->mu when workers run). */
int copy_add_violation(run *r, const char *table, const char *constraint, int64_t rows, const char *msg);
void copy_list_untranslated(run *r);
int copy_phase_tables(run *r);
int copy_run_ddl_phase(run *r, const sl_ddl *d, sl_ddl_phase ph, int from, const char *next, bool tolerant);
int copy_run_fk_phase(run *r, int from);
int copy_run_index_phase(run *r);
int copy_run_optional_phase(run *r, sl_ddl_phase ph, int from, const char *next);

/* resume.c: refuse, restart or resume */
int copy_left_behind(run *r);
int copy_start(run *r, int *phase, int *stmt);

/* result.c */
int copy_fill_result(run *r);

#endif
