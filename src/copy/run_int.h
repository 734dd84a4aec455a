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
} run;

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

/* phases.c: the DDL phases */
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
