/*
 * run.c - one `sluice copy` run: refuses or resumes according to the state
 * in the target, then walks the phases TABLES -> data -> INDEXES ->
 * CONSTRAINTS -> FOREIGN_KEYS -> SEQUENCES -> VIEWS -> TRIGGERS, recording
 * the next phase in the run row of sluice_copy_state (docs/copy.md).
 *
 * The data phase runs opts->jobs worker threads; each opens its own source
 * and target connections and takes table parts from a shared queue (the
 * mutex in sl_copy_shared guards the queue, the reject total, the first
 * error and event delivery). Errors are thread-local: a worker's first error
 * is copied into the shared state and set again on the calling thread.
 */
#include "copy_int.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "sluice/error.h"

static const char *const phases[] = { "tables",    "data",  "indexes",  "constraints", "foreign_keys",
				      "sequences", "views", "triggers", "finished" };
#define NPHASES (sizeof(phases) / sizeof(phases[0]))

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

/* ---- shared helpers used by the pump ---- */

bool sl_copy_should_stop(sl_copy_shared *sh)
{
	pthread_mutex_lock(sh->mutex);
	if (!sh->stop && sh->opts->interrupted && sh->opts->interrupted(sh->opts->interrupt_ud))
		sh->stop = sh->interrupted = true;
	bool s = sh->stop;
	pthread_mutex_unlock(sh->mutex);
	return s;
}

/* SL_EINTERRUPTED when the run was asked to stop (between phases and after the data phase). */
static int check_interrupt(run *r)
{
	if (!sl_copy_should_stop(&r->sh) || !r->sh.interrupted)
		return 0;
	return sl_error_set(
		SL_EINTERRUPTED,
		"interrupted: resume with --resume (the copy stopped after its last committed batch)");
}

bool sl_copy_add_rejects(sl_copy_shared *sh, int64_t n)
{
	pthread_mutex_lock(sh->mutex);
	sh->total_rejects += n;
	bool over = sh->total_rejects > sh->opts->max_rejects;
	if (over && n > 0) {
		sh->halted = true;
		sh->stop = true;
	}
	pthread_mutex_unlock(sh->mutex);
	return over && n > 0;
}

void sl_copy_emit(sl_copy_shared *sh, const sl_copy_event *ev)
{
	if (!sh->opts->on_event)
		return;
	pthread_mutex_lock(sh->mutex);
	sh->opts->on_event(sh->opts->event_ud, ev);
	pthread_mutex_unlock(sh->mutex);
}

void sl_copy_notice(const sl_copy_opts *o, const char *fmt, ...)
{
	if (!o->on_event)
		return;
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sl_copy_event ev = { .kind = SL_COPY_EV_NOTICE, .message = buf };
	o->on_event(o->event_ud, &ev);
}

static void notice(run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void notice(run *r, const char *fmt, ...)
{
	if (!r->o->on_event)
		return;
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sl_copy_event ev = { .kind = SL_COPY_EV_NOTICE, .message = buf };
	sl_copy_emit(&r->sh, &ev);
}

static void phase_event(run *r, const char *phase)
{
	sl_copy_event ev = { .kind = SL_COPY_EV_PHASE, .phase = phase };
	sl_copy_emit(&r->sh, &ev);
}

/* ---- sessions ---- */

static int setup_target(sl_conn *c, bool load)
{
	int rc = sl_conn_bulk_session(c, load);
	if (rc)
		sl_error_prefix("prepare the target session");
	return rc;
}

static int open_side(run *r, sl_conn **out, sl_copy_side side)
{
	int rc = r->o->connect(out, side, r->o->connect_ud);
	if (!rc && side == SL_COPY_TARGET)
		rc = setup_target(*out, true);
	if (rc && *out) {
		sl_conn_close(*out);
		*out = NULL;
	}
	return rc;
}

/* ---- workers ---- */

static void record_error(run *r, int rc)
{
	pthread_mutex_lock(&r->mu);
	if (!r->err_code && rc != SL_EINTERRUPTED) {
		r->err_code = rc;
		r->err_msg = strdup(sl_error_last()->message);
	}
	r->sh.stop = true;
	pthread_mutex_unlock(&r->mu);
}

static int cmp_parts(const void *a, const void *b)
{
	const sl_copy_part *x = *(sl_copy_part *const *)a, *y = *(sl_copy_part *const *)b;
	return (x->expected < y->expected) - (x->expected > y->expected);
}

typedef struct worker_arg {
	run *r;
	sl_copy_part **queue;
	size_t nqueue;
} worker_arg;

static void *worker(void *ud)
{
	worker_arg *wa = ud;
	run *r = wa->r;
	sl_conn *src = NULL, *dst = NULL;
	int rc = open_side(r, &src, SL_COPY_SOURCE);
	if (!rc)
		rc = open_side(r, &dst, SL_COPY_TARGET);
	if (rc)
		record_error(r, rc);
	while (!rc) {
		sl_copy_part *p = NULL;
		pthread_mutex_lock(&r->mu);
		if (!r->sh.stop && r->next_part < wa->nqueue)
			p = wa->queue[r->next_part++];
		pthread_mutex_unlock(&r->mu);
		if (!p)
			break;
		const sl_copy_tplan *t = sl_copy_plan_find(r->plan, p->table);
		if (!t)
			continue;
		rc = sl_copy_pump(&r->sh, src, dst, t, p);
		if (rc)
			record_error(r, rc);
	}
	sl_conn_close(src);
	sl_conn_close(dst);
	sl_error_clear(); /* the thread's message buffer dies with the thread */
	return NULL;
}

static int run_workers(run *r)
{
	sl_copy_part **queue = calloc(r->nparts + 1, sizeof(*queue));
	size_t nq = 0;
	int jobs = r->o->jobs > 0 ? r->o->jobs : 1;
	pthread_t th[64];
	int started = 0;
	if (!queue)
		return sl_error_nomem();
	for (size_t i = 0; i < r->nparts; i++)
		if (!r->parts[i].done && !r->parts[i].failed)
			queue[nq++] = &r->parts[i];
	qsort(queue, nq, sizeof(*queue), cmp_parts);
	if (sl_conn_has(r->dst, SL_CAP_DB_WRITE_LOCK))
		jobs = 1; /* one writer per database */
	if (jobs > 64)
		jobs = 64;
	if ((size_t)jobs > nq)
		jobs = nq ? (int)nq : 1;
	worker_arg wa = { .r = r, .queue = queue, .nqueue = nq };
	r->next_part = 0;
	if (nq) {
		if (jobs == 1) {
			worker(&wa);
		} else {
			for (int i = 0; i < jobs; i++) {
				if (pthread_create(&th[i], NULL, worker, &wa) != 0) {
					record_error(r,
						     sl_error_set(SL_ERROR, "start copy worker %d", i + 1));
					break;
				}
				started++;
			}
			for (int i = 0; i < started; i++)
				pthread_join(th[i], NULL);
		}
	}
	free(queue);
	if (r->err_code)
		return sl_error_set(r->err_code, "%s", r->err_msg ? r->err_msg : "copy failed");
	if (r->sh.interrupted)
		return check_interrupt(r);
	if (r->sh.halted)
		return sl_error_set(SL_ECHECK,
				    "copy halted: %" PRId64 " rows rejected, more than --max-rejects %" PRId64
				    " (see %s; the copy can be resumed)",
				    r->sh.total_rejects, r->o->max_rejects, SL_COPY_REJECTS_TABLE);
	return 0;
}

/* ---- parts ---- */

static int make_parts(run *r, const sl_copy_tplan *t)
{
	int n = 1;
	int64_t lo = 0, hi = 0;
	int jobs = r->o->jobs > 0 ? r->o->jobs : 1;
	int rc = 0;
	if (t->int_key && jobs > 1 && !sl_conn_has(r->dst, SL_CAP_DB_WRITE_LOCK) &&
	    t->src->row_count >= (r->o->split_rows > 0 ? r->o->split_rows : 200000)) {
		sl_buf b = SL_BUF_INIT;
		rc = sl_buf_puts(&b, "SELECT min(");
		if (!rc)
			rc = sl_conn_quote_ident(r->src, &b, t->key[0]);
		if (!rc)
			rc = sl_buf_puts(&b, ") FROM ");
		if (!rc && sl_conn_has(r->src, SL_CAP_SCHEMAS) && t->src->schema) {
			rc = sl_conn_quote_ident(r->src, &b, t->src->schema);
			if (!rc)
				rc = sl_buf_putc(&b, '.');
		}
		if (!rc)
			rc = sl_conn_quote_ident(r->src, &b, t->src->name);
		if (!rc)
			rc = sl_conn_query_int(r->src, b.ptr, &lo);
		char *from = rc ? NULL : strstr(b.ptr, ") FROM ");
		sl_buf c = SL_BUF_INIT;
		if (from) {
			rc = sl_buf_puts(&c, "SELECT max(");
			if (!rc)
				rc = sl_conn_quote_ident(r->src, &c, t->key[0]);
			if (!rc)
				rc = sl_buf_puts(&c, from);
			if (!rc)
				rc = sl_conn_query_int(r->src, c.ptr, &hi);
		}
		sl_buf_free(&b);
		sl_buf_free(&c);
		if (rc)
			return rc;
		if (hi > lo)
			n = jobs * 2;
	}
	uint64_t span = (uint64_t)hi - (uint64_t)lo;
	uint64_t step = span / (uint64_t)n + 1;
	for (int i = 0; !rc && i < n; i++) {
		sl_copy_part p = { .table = (char *)t->ref, .part = i, .nparts = n };
		p.has_lo = i > 0;
		p.lo = (int64_t)((uint64_t)lo + step * (uint64_t)i);
		p.has_hi = i < n - 1;
		p.hi = (int64_t)((uint64_t)lo + step * (uint64_t)(i + 1));
		p.expected = t->src->row_count >= 0 ? t->src->row_count / n : -1;
		rc = sl_copy_state_add_part(r->dst, r->run_id, &p);
	}
	return rc;
}

static int make_all_parts(run *r)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < r->plan->ntables; i++)
		rc = make_parts(r, &r->plan->tables[i]);
	if (rc)
		sl_error_prefix("plan the table parts");
	return rc;
}

/* ---- phases ---- */

static int phase_index(const char *phase, int *stmt_done)
{
	*stmt_done = 0;
	for (size_t i = 0; i < NPHASES; i++) {
		size_t n = strlen(phases[i]);
		if (strncmp(phase, phases[i], n) == 0 && (phase[n] == '\0' || phase[n] == ':')) {
			if (phase[n] == ':')
				*stmt_done = (int)strtol(phase + n + 1, NULL, 10); /* written by set_phase */
			return (int)i;
		}
	}
	return -1;
}

static int set_phase(run *r, const char *phase, int stmt)
{
	char buf[64];
	if (stmt > 0)
		snprintf(buf, sizeof(buf), "%s:%d", phase, stmt);
	else
		snprintf(buf, sizeof(buf), "%s", phase);
	return sl_copy_state_set_phase(r->dst, r->run_id, buf);
}

static bool transactional(run *r)
{
	return sl_conn_has(r->dst, SL_CAP_TRANSACTIONAL_DDL);
}

/*
 * Runs the statements of a DDL phase from number `from`. Transactional
 * targets: all of them and the phase change in one transaction. Others: one
 * by one, the count recorded after each (a crash repeats at most one, and a
 * repeated statement that finds its object already there is skipped).
 */
static int add_violation(run *r, const char *table, const char *constraint, int64_t rows, const char *msg);
static bool already_exists(const sl_error *e);
static bool on_failed_table(const run *r, const sl_ddl_stmt *st);

/*
 * Runs the statements of a DDL phase from number `from`. Transactional
 * targets: all of them and the phase change in one transaction. Others: one
 * by one, the count recorded after each (a crash repeats at most one, and a
 * repeated statement that finds its object already there is skipped).
 * tolerant: a statement the data refuses (a unique key over duplicates, a
 * check the rows break) is reported as a violation and the phase goes on.
 */
static int run_ddl_phase(run *r, const sl_ddl *d, sl_ddl_phase ph, int from, const char *next, bool tolerant)
{
	size_t n = sl_ddl_count(d, ph);
	bool tx = transactional(r);
	int rc = tx ? sl_conn_begin(r->dst) : 0;
	for (size_t i = (size_t)from; !rc && i < n; i++) {
		const sl_ddl_stmt *st = sl_ddl_statement(d, ph, i);
		if ((rc = check_interrupt(r)) != 0)
			break;
		if (on_failed_table(r, st)) {
			rc = tx ? 0 : set_phase(r, sl_ddl_phase_name(ph), (int)i + 1);
			continue; /* its table was not created: --resume runs it */
		}
		if (tx && tolerant)
			rc = sl_conn_savepoint(r->dst, "sluice_ddl");
		if (!rc)
			rc = sl_conn_exec(r->dst, st->sql);
		if (rc == SL_EDB && tolerant && already_exists(sl_error_last())) {
			/* made by an earlier attempt of this copy (a resume) */
			rc = tx ? sl_conn_rollback_to(r->dst, "sluice_ddl") : 0;
		} else if (rc && !tx && (int)i == from && from > 0) {
			/* repeated after a crash: the object may exist already */
			notice(r, "statement %zu of phase %s was already run before the interruption: %s",
			       i + 1, sl_ddl_phase_name(ph), sl_error_last()->message);
			rc = 0;
		}
		if (rc == SL_EDB && tolerant) {
			char *m = strdup(sl_error_last()->message);
			rc = tx ? sl_conn_rollback_to(r->dst, "sluice_ddl") : 0;
			notice(r, "phase %s: %s failed: %s", sl_ddl_phase_name(ph), st->sql, m ? m : "");
			if (!rc)
				rc = add_violation(r, st->table, st->sql, -1, m ? m : "");
			free(m);
		} else if (rc) {
			sl_error_prefix("phase %s: %s", sl_ddl_phase_name(ph), st->sql);
		}
		if (!rc && tx && tolerant)
			rc = sl_conn_release(r->dst, "sluice_ddl");
		if (!rc && !tx)
			rc = set_phase(r, sl_ddl_phase_name(ph), (int)i + 1);
	}
	if (!rc)
		rc = set_phase(r, next, 0);
	if (tx) {
		if (!rc)
			rc = sl_conn_commit(r->dst);
		else {
			char *m = strdup(sl_error_last()->message);
			int code = sl_error_last()->code;
			sl_conn_rollback(r->dst);
			sl_error_set(code, "%s", m ? m : "ddl failed");
			free(m);
		}
	}
	return rc;
}

/*
 * The INDEXES phase on --jobs connections at once (largest tables first, each
 * statement to the least loaded connection); each statement commits on its own, so
 * the phase is not one transaction: after an interruption it runs again from
 * its first statement and a statement whose object already exists is skipped.
 * A statement the data refuses (a unique key over duplicates) is a violation,
 * as in run_ddl_phase.
 */
typedef struct idx_job {
	run *r;
	const sl_ddl_stmt **stmts;
	size_t n;
	int64_t load; /* rows of the tables assigned, to balance */
} idx_job;

/* SQLSTATE / MySQL errors that mean "that index or constraint exists already". */
static bool already_exists(const sl_error *e)
{
	return sl_error_is(e, SL_ERRCLASS_EXISTS);
}

static void *index_worker(void *ud)
{
	idx_job *j = ud;
	run *r = j->r;
	sl_conn *c = NULL;
	int rc = open_side(r, &c, SL_COPY_TARGET);
	for (size_t i = 0; !rc && i < j->n && !sl_copy_should_stop(&r->sh); i++) {
		if (on_failed_table(r, j->stmts[i]))
			continue; /* its table was not created: --resume runs it */
		rc = sl_conn_exec(c, j->stmts[i]->sql);
		if (rc && already_exists(sl_error_last())) {
			rc = 0; /* built before an interruption */
		} else if (rc == SL_EDB) {
			char *m = strdup(sl_error_last()->message);
			notice(r, "phase indexes: %s failed: %s", j->stmts[i]->sql, m ? m : "");
			pthread_mutex_lock(&r->mu);
			rc = add_violation(r, j->stmts[i]->table, j->stmts[i]->sql, -1, m ? m : "");
			pthread_mutex_unlock(&r->mu);
			free(m);
		} else if (rc) {
			sl_error_prefix("phase indexes: %s", j->stmts[i]->sql);
		}
	}
	if (rc)
		record_error(r, rc);
	sl_conn_close(c);
	sl_error_clear(); /* the thread's message buffer dies with the thread */
	return NULL;
}

static int64_t table_rows(run *r, const char *target_table)
{
	for (size_t i = 0; target_table && i < r->plan->ntables; i++)
		if (strcmp(r->plan->tables[i].cast->name, target_table) == 0)
			return r->plan->tables[i].src->row_count > 0 ? r->plan->tables[i].src->row_count : 0;
	return 0;
}

/*
 * The connection (0..jobs-1) each statement goes to: largest tables' statements
 * first, each to the least loaded connection. Two statements on one table may
 * land on two connections; where the engine's locks make them wait for each
 * other they simply run one after the other.
 */
static void assign_index_jobs(run *r, const sl_ddl *d, size_t n, int jobs, idx_job *job, int *owner)
{
	for (size_t i = 0; i < n; i++)
		owner[i] = -1;
	for (size_t done = 0; done < n; done++) {
		size_t pick = n;
		int64_t pick_rows = -1;
		for (size_t i = 0; i < n; i++) {
			int64_t rows = table_rows(r, sl_ddl_statement(d, SL_DDL_INDEXES, i)->table);
			if (owner[i] < 0 && rows > pick_rows) {
				pick = i;
				pick_rows = rows;
			}
		}
		int best = 0;
		for (int w = 1; w < jobs; w++)
			if (job[w].load < job[best].load)
				best = w;
		owner[pick] = best;
		job[best].load += pick_rows + 1;
		job[best].n++;
	}
}

static int run_index_phase(run *r)
{
	const sl_ddl *d = r->plan->ddl;
	size_t n = sl_ddl_count(d, SL_DDL_INDEXES);
	int jobs = r->o->jobs > 16 ? 16 : r->o->jobs;
	if (jobs <= 1 || n < 2 || sl_conn_has(r->dst, SL_CAP_DB_WRITE_LOCK))
		return run_ddl_phase(r, d, SL_DDL_INDEXES, 0, "constraints", true);
	idx_job job[16] = { 0 };
	pthread_t th[16];
	int started = 0, rc = 0;
	const sl_ddl_stmt **all = calloc(n, sizeof(*all));
	int *owner = calloc(n, sizeof(*owner));
	if (!all || !owner) {
		free(all);
		free(owner);
		return sl_error_nomem();
	}
	assign_index_jobs(r, d, n, jobs, job, owner);
	size_t off = 0;
	for (int w = 0; w < jobs; w++) {
		job[w].r = r;
		job[w].stmts = all + off;
		off += job[w].n;
		job[w].n = 0;
	}
	for (size_t i = 0; i < n; i++)
		job[owner[i]].stmts[job[owner[i]].n++] = sl_ddl_statement(d, SL_DDL_INDEXES, i);
	for (int w = 0; w < jobs; w++) {
		if (!job[w].n)
			continue;
		if (pthread_create(&th[started], NULL, index_worker, &job[w]) != 0) {
			record_error(r, sl_error_set(SL_ERROR, "start index worker %d", w + 1));
			break;
		}
		started++;
	}
	for (int w = 0; w < started; w++)
		pthread_join(th[w], NULL);
	free(all);
	free(owner);
	if (r->err_code)
		rc = sl_error_set(r->err_code, "%s", r->err_msg ? r->err_msg : "index phase failed");
	if (!rc)
		rc = check_interrupt(r); /* statements were left: the phase runs again on --resume */
	if (!rc)
		rc = set_phase(r, "constraints", 0);
	return rc;
}

static int add_violation(run *r, const char *table, const char *constraint, int64_t rows, const char *msg)
{
	sl_copy_result *res = r->res;
	sl_copy_violation *v = realloc(res->violations, (res->nviolations + 1) * sizeof(*v));
	if (!v)
		return sl_error_nomem();
	res->violations = v;
	v = &v[res->nviolations++];
	v->table = strdup(table ? table : "");
	v->constraint = strdup(constraint ? constraint : "");
	v->rows = rows;
	v->message = strdup(msg ? msg : "");
	if (!v->table || !v->constraint || !v->message)
		return sl_error_nomem();
	return 0;
}

static const char *col_target(const sl_cast_table *ct, const char *src_col)
{
	const sl_cast_column *c = sl_cast_table_find_column(ct, src_col);
	return c ? c->name : src_col;
}

/* Counts the rows of table t violating foreign key fk, on the target. */
static int count_fk_violations(run *r, const sl_copy_tplan *t, const sl_fkey *fk, int64_t *out)
{
	const sl_cast_table *pt = sl_cast_plan_find_ref(r->plan->casts, t->src, fk);
	sl_buf b = SL_BUF_INIT;
	int rc = 0;
	*out = -1;
	if (!pt)
		return 0;
	rc = sl_buf_puts(&b, "SELECT count(*) FROM ");
	if (!rc)
		rc = sl_conn_quote_ident(r->dst, &b, t->cast->name);
	if (!rc)
		rc = sl_buf_puts(&b, " c WHERE ");
	for (size_t i = 0; !rc && i < fk->ncolumns; i++) {
		rc = sl_buf_puts(&b, "c.");
		if (!rc)
			rc = sl_conn_quote_ident(r->dst, &b, col_target(t->cast, fk->columns[i]));
		if (!rc)
			rc = sl_buf_puts(&b, " IS NOT NULL AND ");
	}
	if (!rc)
		rc = sl_buf_puts(&b, "NOT EXISTS (SELECT 1 FROM ");
	if (!rc)
		rc = sl_conn_quote_ident(r->dst, &b, pt->name);
	if (!rc)
		rc = sl_buf_puts(&b, " p WHERE ");
	for (size_t i = 0; !rc && i < fk->ncolumns; i++) {
		rc = sl_buf_puts(&b, i ? " AND p." : "p.");
		if (!rc)
			rc = sl_conn_quote_ident(r->dst, &b, col_target(pt, fk->ref_columns[i]));
		if (!rc)
			rc = sl_buf_puts(&b, " = c.");
		if (!rc)
			rc = sl_conn_quote_ident(r->dst, &b, col_target(t->cast, fk->columns[i]));
	}
	if (!rc)
		rc = sl_buf_putc(&b, ')');
	if (!rc)
		rc = sl_conn_query_int(r->dst, b.ptr, out);
	sl_buf_free(&b);
	return rc;
}

static int fk_failed(run *r, const char *target_table, const char *msg)
{
	int rc = 0;
	bool counted = false;
	for (size_t i = 0; i < r->res->nviolations; i++)
		if (strcmp(r->res->violations[i].table, target_table ? target_table : "") == 0)
			return 0; /* already reported */
	for (size_t i = 0; !rc && i < r->plan->ntables; i++) {
		const sl_copy_tplan *t = &r->plan->tables[i];
		if (!target_table || strcmp(t->cast->name, target_table) != 0)
			continue;
		for (size_t j = 0; !rc && j < t->src->nfkeys; j++) {
			int64_t n = -1;
			const sl_fkey *fk = &t->src->fkeys[j];
			if (count_fk_violations(r, t, fk, &n))
				n = -1;
			if (n != 0) {
				rc = add_violation(r, t->cast->name, fk->name ? fk->name : fk->ref_table, n,
						   msg);
				notice(r,
				       "foreign key \"%s\" of \"%s\" -> \"%s\" failed validation: %" PRId64
				       " violating rows (%s)",
				       fk->name ? fk->name : "", t->cast->name, fk->ref_table, n, msg);
				counted = true;
			}
		}
	}
	if (!rc && !counted) {
		rc = add_violation(r, target_table, NULL, -1, msg);
		notice(r, "foreign key on \"%s\" failed: %s", target_table ? target_table : "", msg);
	}
	return rc;
}

static int fk_violation(void *ud, const char *table, const char *parent, int64_t rows, const char *check)
{
	run *r = ud;
	int rc = add_violation(r, table, parent, rows, check);
	notice(r, "foreign key of \"%s\" -> \"%s\" failed validation: %" PRId64 " violating rows", table,
	       parent, rows);
	return rc;
}

/* Foreign keys: each statement on its own; a failure is counted and reported, never dropped. */
static int run_fk_phase(run *r, int from)
{
	const sl_ddl *d = r->plan->ddl;
	size_t n = sl_ddl_count(d, SL_DDL_FOREIGN_KEYS);
	int rc = sl_conn_bulk_fk_checks(r->dst, true);
	for (size_t i = (size_t)from; !rc && i < n; i++) {
		const sl_ddl_stmt *st = sl_ddl_statement(d, SL_DDL_FOREIGN_KEYS, i);
		int erc = on_failed_table(r, st) ? 0 : sl_conn_exec(r->dst, st->sql);
		if (erc == SL_EDB && already_exists(sl_error_last())) {
			rc = 0; /* added by an earlier attempt of this copy (a resume) */
		} else if (erc == SL_EDB) {
			char *msg = strdup(sl_error_last()->message);
			rc = fk_failed(r, st->table, msg ? msg : "");
			free(msg);
		} else
			rc = erc;
		if (!rc)
			rc = set_phase(r, "foreign_keys", (int)i + 1);
	}
	if (!rc) /* keys the engine did not enforce during the load */
		rc = sl_conn_fk_violations(r->dst, fk_violation, r);
	if (!rc)
		rc = set_phase(r, "sequences", 0);
	return rc;
}

/* Views and triggers: created when translated; failures and untranslated items are listed. */
static int run_optional_phase(run *r, sl_ddl_phase ph, int from, const char *next)
{
	const sl_ddl *d = r->plan->ddl;
	size_t n = sl_ddl_count(d, ph);
	int rc = 0;
	for (size_t i = (size_t)from; !rc && i < n; i++) {
		const sl_ddl_stmt *st = sl_ddl_statement(d, ph, i);
		if (sl_conn_exec(r->dst, st->sql) && !already_exists(sl_error_last())) {
			if (sl_error_last()->code == SL_ECONNECT)
				return sl_error_last()->code;
			notice(r, "%s: not created: %s", sl_ddl_phase_name(ph), sl_error_last()->message);
			r->res->not_translated++;
		}
		rc = set_phase(r, sl_ddl_phase_name(ph), (int)i + 1);
	}
	if (!rc)
		rc = set_phase(r, next, 0);
	return rc;
}

static void list_untranslated(run *r)
{
	const sl_ddl *d = r->plan->ddl;
	for (size_t i = 0; i < sl_ddl_nitems(d); i++) {
		const sl_ddl_item *it = sl_ddl_item_at(d, i);
		notice(r, "not translated: %s \"%s\"%s%s%s: %s", it->kind, it->name ? it->name : "",
		       it->table ? " on \"" : "", it->table ? it->table : "", it->table ? "\"" : "",
		       it->reason);
		r->res->not_translated++;
	}
}

/*
 * Tables in PostgreSQL schemas the copy does not read are never skipped in
 * silence: a notice says how many and where, and a selection that holds no
 * table at all while other schemas do is a usage error.
 */
static int left_behind(run *r)
{
	const sl_schema *s = r->plan->schema;
	int64_t n = sl_schema_others_count(s);
	sl_buf b = SL_BUF_INIT;
	int rc = 0;
	r->res->left_behind = n;
	if (n == 0)
		return 0;
	rc = sl_copy_left_behind(&b, s);
	if (!rc && r->plan->ntables == 0)
		rc = sl_error_set(SL_EINVALID, "nothing to copy: the schema%s read hold%s no table; %.*s",
				  s->nschemas == 1 ? "" : "s", s->nschemas == 1 ? "s" : "",
				  (int)(b.len ? b.len - 1 : 0), sl_buf_cstr(&b));
	else if (!rc)
		notice(r, "%.*s", (int)(b.len ? b.len - 1 : 0), sl_buf_cstr(&b));
	sl_buf_free(&b);
	return rc;
}

/* ---- start: refuse, restart or resume ---- */

static int drop_plan_objects(run *r)
{
	sl_buf b = SL_BUF_INIT;
	const char *cascade = sl_conn_dialect(r->dst)->drop_cascade;
	bool enums = sl_conn_has(r->dst, SL_CAP_ENUM_TYPES);
	const sl_schema *s = r->plan->schema;
	int rc = sl_conn_bulk_fk_checks(r->dst, false);
	for (size_t i = 0; !rc && i < s->nviews; i++) {
		sl_buf_clear(&b);
		rc = sl_buf_puts(&b, "DROP VIEW IF EXISTS ");
		if (!rc)
			rc = sl_conn_quote_ident(r->dst, &b, s->views[i].name);
		if (!rc)
			rc = sl_buf_puts(&b, cascade);
		if (!rc)
			sl_conn_exec(r->dst, b.ptr); /* a materialized view is not a view: ignore */
	}
	for (size_t i = 0; !rc && i < r->plan->ntables; i++) {
		sl_buf_clear(&b);
		rc = sl_buf_puts(&b, "DROP TABLE IF EXISTS ");
		if (!rc)
			rc = sl_conn_quote_ident(r->dst, &b, r->plan->tables[i].cast->name);
		if (!rc)
			rc = sl_buf_puts(&b, cascade);
		if (!rc)
			rc = sl_conn_exec(r->dst, b.ptr);
	}
	for (size_t i = 0; !rc && enums && i < r->plan->ntables; i++) {
		const sl_cast_table *ct = r->plan->tables[i].cast;
		for (size_t j = 0; !rc && j < ct->ncolumns; j++) {
			if (!ct->columns[j].enum_type)
				continue;
			sl_buf_clear(&b);
			rc = sl_buf_puts(&b, "DROP TYPE IF EXISTS ");
			if (!rc)
				rc = sl_conn_quote_ident(r->dst, &b, ct->columns[j].enum_type);
			if (!rc)
				rc = sl_buf_puts(&b, cascade);
			if (!rc)
				rc = sl_conn_exec(r->dst, b.ptr);
		}
	}
	/* named enum types of the source (only an engine with them has any) */
	for (size_t i = 0; !rc && enums && i < s->nenums; i++) {
		sl_buf_clear(&b);
		rc = sl_buf_puts(&b, "DROP TYPE IF EXISTS ");
		if (!rc)
			rc = sl_conn_quote_ident(r->dst, &b, s->enums[i].name);
		if (!rc)
			rc = sl_buf_puts(&b, cascade);
		if (!rc)
			rc = sl_conn_exec(r->dst, b.ptr);
	}
	if (!rc)
		rc = sl_conn_bulk_fk_checks(r->dst, true);
	sl_buf_free(&b);
	if (rc)
		sl_error_prefix("--restart: drop the tables of the previous copy");
	return rc;
}

/* What the target holds before a run starts: read before anything is written to it. */
typedef struct target_state {
	sl_schema *model;    /* the target's tables, sluice's own included */
	char *run_id;        /* the recorded run, NULL when there is none */
	char *phase;         /* its next phase */
	bool run_data_only;  /* it loaded into tables it did not create */
	sl_copy_part *parts; /* its parts: the tables it copied */
	size_t nparts;
} target_state;

static int read_target(run *r, target_state *ts)
{
	sl_introspect_opts io = SL_INTROSPECT_OPTS_INIT;
	io.exact_counts = false;
	io.include_sluice = true;
	int rc = sl_conn_introspect(&ts->model, r->dst, &io);
	if (rc || !sl_schema_find_table(ts->model, NULL, SL_COPY_STATE_TABLE))
		return rc;
	rc = sl_copy_state_upgrade(r->dst);
	if (!rc)
		rc = sl_copy_state_run(r->dst, &ts->run_id, &ts->phase, &ts->run_data_only);
	if (rc == SL_ENOTFOUND)
		return 0;
	if (!rc)
		rc = sl_copy_state_parts(r->dst, &ts->parts, &ts->nparts);
	return rc;
}

static void target_state_free(target_state *ts)
{
	sl_schema_free(ts->model);
	free(ts->run_id);
	free(ts->phase);
	sl_copy_parts_free(ts->parts, ts->nparts);
}

/* True when the recorded run created the target table of source table src (so --restart may drop it). */
static bool created_by_sluice(const target_state *ts, const char *src)
{
	for (size_t i = 0; ts->run_id && !ts->run_data_only && i < ts->nparts; i++)
		if (strcmp(ts->parts[i].table, src) == 0)
			return true;
	return false;
}

/* Refuses to create tables over existing ones (unless --data-only). */
static int check_target_empty(run *r, const target_state *ts)
{
	for (size_t i = 0; i < r->plan->ntables; i++) {
		const char *name = r->plan->tables[i].cast->name;
		if (sl_schema_find_table(ts->model, NULL, name))
			return sl_error_set(SL_EREFUSED,
					    "the target already has a table \"%s\": copy into an empty "
					    "database, load into the existing tables with --data-only, or "
					    "drop them with --restart",
					    name);
	}
	return 0;
}

/*
 * --restart drops the plan's tables the target holds. Those a recorded run
 * of sluice created go without a question; any other (the target had them
 * before sluice came, or a --data-only run loaded into them) is dropped only
 * with --force or when opts->confirm_drop says yes. Nothing is written
 * before this decision.
 */
static int confirm_drops(run *r, const target_state *ts)
{
	const char **foreign = calloc(r->plan->ntables + 1, sizeof(*foreign));
	sl_buf names = SL_BUF_INIT;
	size_t n = 0;
	int rc = foreign ? 0 : sl_error_nomem();
	for (size_t i = 0; !rc && i < r->plan->ntables; i++) {
		const sl_copy_tplan *t = &r->plan->tables[i];
		if (sl_schema_find_table(ts->model, NULL, t->cast->name) && !created_by_sluice(ts, t->ref))
			foreign[n++] = t->cast->name;
	}
	if (rc || n == 0 || r->o->force)
		goto done;
	if (r->o->confirm_drop && r->o->confirm_drop(r->o->confirm_ud, foreign, n))
		goto done;
	for (size_t i = 0; !rc && i < n && i < 10; i++)
		rc = sl_buf_printf(&names, "%s\"%s\"", i ? ", " : "", foreign[i]);
	if (!rc && n > 10)
		rc = sl_buf_printf(&names, " and %zu more", n - 10);
	if (!rc)
		rc = sl_error_set(
			SL_EREFUSED,
			"--restart would drop %zu table%s that sluice did not create: %s; nothing was "
			"dropped (%s)",
			n, n == 1 ? "" : "s", sl_buf_cstr(&names),
			r->o->confirm_drop ? "not confirmed" : "confirm on a terminal or add --force");
done:
	free(foreign);
	sl_buf_free(&names);
	return rc;
}

static char *new_run_id(void)
{
	char buf[64];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(buf + n, sizeof(buf) - n, "-%05x%04lx", (unsigned)getpid() & 0xfffff,
		 (long)(ts.tv_nsec / 1000) & 0xffff);
	return strdup(buf);
}

static int start(run *r, int *phase, int *stmt)
{
	target_state ts = { 0 };
	int rc = read_target(r, &ts);
	if (rc)
		goto done;
	if (ts.run_id && !r->o->restart) {
		if (!r->o->resume) {
			bool fin = strcmp(ts.phase, "finished") == 0;
			if (strcmp(ts.phase, "incomplete") == 0)
				rc = sl_error_set(
					SL_ECONFLICT,
					"the target holds an incomplete copy (run %s): tables the "
					"target refused to create were left out; fix them (a cast rule "
					"in sluice.yaml) and continue with --resume, or start again "
					"with --restart",
					ts.run_id);
			else
				rc = sl_error_set(
					SL_ECONFLICT,
					fin ? "the target already holds a finished copy (run %s): use "
					      "--restart to copy again"
					    : "the target holds an unfinished copy (run %s, phase %s): "
					      "continue it with "
					      "--resume, or start again with --restart",
					ts.run_id, ts.phase);
			goto done;
		}
		int64_t nfailed = 0;
		rc = sl_conn_query_int(r->dst,
				       "SELECT count(*) FROM " SL_COPY_STATE_TABLE
				       " WHERE part >= 0 AND status = 'failed'",
				       &nfailed);
		if (rc)
			goto done;
		*phase = strcmp(ts.phase, "incomplete") == 0 ? 0 : phase_index(ts.phase, stmt);
		if (nfailed > 0) {
			/* tables the target refused: from the tables phase again, skipping what is done */
			*phase = 0;
			*stmt = 0;
		}
		if (*phase < 0) {
			rc = sl_error_set(SL_ECONFLICT,
					  "the copy state in the target names an unknown phase \"%s\"",
					  ts.phase);
			goto done;
		}
		r->run_id = ts.run_id;
		ts.run_id = NULL;
		notice(r, "resuming copy %s at phase %s", r->run_id, ts.phase);
		goto done;
	}
	/* every refusal comes before the first write */
	if (!r->o->data_only)
		rc = r->o->restart ? confirm_drops(r, &ts) : check_target_empty(r, &ts);
	if (!rc)
		rc = sl_copy_state_create(r->dst);
	if (!rc && ts.run_id) {
		notice(r, "--restart: forgetting copy %s (phase %s) and dropping its tables", ts.run_id,
		       ts.phase);
		rc = sl_copy_state_clear(r->dst);
		if (!rc)
			rc = sl_conn_exec(r->dst, "DELETE FROM " SL_COPY_REJECTS_TABLE);
	}
	if (!rc && r->o->restart && !r->o->data_only)
		rc = drop_plan_objects(r);
	if (rc)
		goto done;
	r->run_id = new_run_id();
	if (!r->run_id) {
		rc = sl_error_nomem();
		goto done;
	}
	*phase = r->o->data_only ? 1 : 0;
	*stmt = 0;
	rc = sl_copy_state_new_run(r->dst, r->run_id, phases[*phase], r->o->data_only);
	if (!rc && r->o->data_only) {
		rc = sl_conn_begin(r->dst);
		if (!rc)
			rc = make_all_parts(r);
		rc = rc ? (sl_conn_rollback(r->dst), rc) : sl_conn_commit(r->dst);
	}
done:
	target_state_free(&ts);
	return rc;
}

/* Index in the plan of the table whose target name is name, or SIZE_MAX. */
static size_t table_index(const run *r, const char *target_name)
{
	for (size_t i = 0; target_name && i < r->plan->ntables; i++)
		if (strcmp(r->plan->tables[i].cast->name, target_name) == 0)
			return i;
	return SIZE_MAX;
}

/* A statement of a later phase that belongs to, or references, a table the target refused. */
static bool on_failed_table(const run *r, const sl_ddl_stmt *st)
{
	size_t a = table_index(r, st->table), b = table_index(r, st->ref_table);
	return r->failed && ((a != SIZE_MAX && r->failed[a]) || (b != SIZE_MAX && r->failed[b]));
}

/*
 * A CREATE TABLE the target refused: pinned on its columns (ddl_check.c).
 * With --force and only defaults at fault, the table is created without
 * them; otherwise it is marked failed and reported with the statement and
 * the engine's message, and the rest of the run leaves it out.
 */
static int table_refused(run *r, size_t ti, const sl_ddl_stmt *st, const char *msg)
{
	sl_copy_tplan *t = &r->plan->tables[ti];
	sl_copy_diag d = { 0 };
	sl_buf text = SL_BUF_INIT, sql = SL_BUF_INIT;
	bool tx = transactional(r);
	sl_engine e = sl_conn_engine(r->dst);
	int rc = sl_copy_diagnose(&d, r->dst, r->plan, t, msg);
	if (!rc)
		rc = sl_copy_diag_text(&text, &d, t, e);
	if (!rc && r->o->force && sl_copy_diag_defaults_only(&d)) {
		sl_cast_table *ct = (sl_cast_table *)t->cast;
		for (size_t i = 0; i < d.n; i++)
			ct->columns[d.v[i].column].default_sql = NULL;
		rc = sl_ddl_create_cast_table(&sql, ct, r->plan->casts, e, !tx);
		rc = rc ? rc : tx ? sl_conn_savepoint(r->dst, "sluice_table") : 0;
		int erc = rc ? 0 : sl_conn_exec(r->dst, sql.ptr);
		if (!rc && erc == 0) {
			rc = tx ? sl_conn_release(r->dst, "sluice_table") : 0;
			notice(r,
			       "table \"%s\" created without the defaults the target refuses (--force): %s",
			       t->src->name, sl_buf_cstr(&text));
			goto done;
		}
		if (!rc && erc != SL_EDB)
			rc = erc;
		else if (!rc && tx) {
			rc = sl_conn_rollback_to(r->dst, "sluice_table");
			rc = rc ? rc : sl_conn_release(r->dst, "sluice_table");
		}
	}
	if (!rc)
		rc = sl_buf_printf(&text, "; statement: %s", st->sql);
	if (!rc) {
		r->failed[ti] = true;
		free(r->ferr[ti]);
		r->ferr[ti] = strdup(sl_buf_cstr(&text));
		r->nfailed++;
		notice(r, "table \"%s\" not created: %s", t->src->name, sl_buf_cstr(&text));
	}
done:
	sl_copy_diag_free(&d);
	sl_buf_free(&text);
	sl_buf_free(&sql);
	return rc;
}

/* Runs one statement of the tables phase; a refusal is the table's, not the run's. */
static int table_statement(run *r, const sl_ddl_stmt *st)
{
	bool tx = transactional(r);
	size_t ti = table_index(r, st->table);
	int rc = tx ? sl_conn_savepoint(r->dst, "sluice_table") : 0;
	int erc = rc ? 0 : sl_conn_exec(r->dst, st->sql);
	if (rc || erc == 0)
		return rc ? rc : tx ? sl_conn_release(r->dst, "sluice_table") : 0;
	if (erc != SL_EDB) {
		sl_error_prefix("phase tables: %s", st->sql);
		return erc;
	}
	char *msg = strdup(sl_error_last()->message);
	bool exists = already_exists(sl_error_last());
	if (!msg)
		return sl_error_nomem();
	if (tx) {
		rc = sl_conn_rollback_to(r->dst, "sluice_table");
		rc = rc ? rc : sl_conn_release(r->dst, "sluice_table");
	}
	if (!rc && exists && ti == SIZE_MAX)
		; /* a type or sequence made by an earlier attempt */
	else if (!rc && ti == SIZE_MAX)
		notice(r, "phase tables: not created: %s: %s", st->sql, msg);
	else if (!rc)
		rc = table_refused(r, ti, st, msg);
	free(msg);
	return rc;
}

/*
 * TABLES: the DDL, the parts and the phase change (one transaction where DDL
 * is transactional). Tables that already have parts were created by an
 * earlier attempt and are skipped, so a --resume after tables were refused
 * creates only those, with the plan (and cast rules) of this run.
 */
static int phase_tables(run *r)
{
	const sl_ddl *d = transactional(r) ? r->plan->ddl : r->plan->ddl_ine;
	size_t n = sl_ddl_count(d, SL_DDL_TABLES);
	bool tx = transactional(r);
	sl_copy_part *parts = NULL;
	size_t np = 0;
	bool *have = calloc(r->plan->ntables + 1, sizeof(*have));
	int rc = have ? sl_copy_state_parts(r->dst, &parts, &np) : sl_error_nomem();
	for (size_t j = 0; !rc && j < np; j++) {
		const sl_copy_tplan *t = sl_copy_plan_find(r->plan, parts[j].table);
		if (t && !parts[j].failed)
			have[t - r->plan->tables] = true;
	}
	if (!rc && tx)
		rc = sl_conn_begin(r->dst);
	for (size_t i = 0; !rc && i < n; i++) {
		const sl_ddl_stmt *st = sl_ddl_statement(d, SL_DDL_TABLES, i);
		size_t ti = table_index(r, st->table);
		if (ti == SIZE_MAX || !have[ti])
			rc = table_statement(r, st);
	}
	if (!rc)
		rc = sl_copy_state_clear_failed(r->dst);
	if (!rc && !tx)
		rc = sl_conn_begin(r->dst);
	for (size_t i = 0; !rc && i < r->plan->ntables; i++) {
		if (have[i])
			continue;
		rc = r->failed[i] ? sl_copy_state_add_failed(r->dst, r->run_id, r->plan->tables[i].src->name)
				  : make_parts(r, &r->plan->tables[i]);
		if (rc)
			sl_error_prefix("plan the table parts");
	}
	if (!rc)
		rc = set_phase(r, r->o->schema_only ? "indexes" : "data", 0);
	if (!rc)
		rc = sl_conn_commit(r->dst);
	if (rc && sl_conn_in_transaction(r->dst)) {
		char *m = strdup(sl_error_last()->message);
		int code = sl_error_last()->code;
		sl_conn_rollback(r->dst);
		sl_error_set(code, "%s", m ? m : "tables phase failed");
		free(m);
	}
	sl_copy_parts_free(parts, np);
	free(have);
	return rc;
}

static int phase_data(run *r)
{
	int rc = sl_copy_state_parts(r->dst, &r->parts, &r->nparts);
	if (rc)
		return rc;
	int64_t prior = sl_copy_state_total_rejects(r->dst);
	r->sh.total_rejects = prior > 0 ? prior : 0;
	if (r->sh.total_rejects > r->o->max_rejects) {
		r->sh.halted = true;
		return sl_error_set(SL_ECHECK,
				    "copy halted: %" PRId64
				    " rows already rejected, more than --max-rejects %" PRId64
				    " (raise the limit to go on with --resume)",
				    r->sh.total_rejects, r->o->max_rejects);
	}
	for (size_t i = 0; i < r->nparts; i++) {
		const sl_copy_tplan *t = sl_copy_plan_find(r->plan, r->parts[i].table);
		if (t && t->keyless && !r->parts[i].done && !r->parts[i].failed)
			notice(r,
			       "\"%s\" has no usable key (no primary key or unique NOT NULL key): it is "
			       "loaded whole in "
			       "one transaction, and reloaded from the start after an interruption",
			       t->ref);
	}
	rc = run_workers(r);
	if (!rc)
		rc = set_phase(r, r->o->data_only ? "finished" : "indexes", 0);
	return rc;
}

static int walk_phases(run *r, int phase, int stmt)
{
	int rc = 0;
	for (int ph = phase; !rc && ph < (int)NPHASES - 1; ph++) {
		int from = ph == phase ? stmt : 0;
		if ((rc = check_interrupt(r)) != 0)
			break;
		phase_event(r, phases[ph]);
		switch (ph) {
		case 0:
			rc = phase_tables(r);
			if (!rc && r->o->schema_only)
				ph = 1; /* skip data */
			break;
		case 1:
			rc = phase_data(r);
			if (!rc && r->o->data_only)
				return 0;
			break;
		case 2:
			rc = from ? run_ddl_phase(r, r->plan->ddl, SL_DDL_INDEXES, from, "constraints", true)
				  : run_index_phase(r);
			break;
		case 3:
			rc = run_ddl_phase(r, r->plan->ddl, SL_DDL_CONSTRAINTS, from, "foreign_keys", true);
			break;
		case 4:
			rc = run_fk_phase(r, from);
			break;
		case 5:
			rc = run_ddl_phase(r, r->plan->ddl, SL_DDL_SEQUENCES, from, "views", false);
			break;
		case 6:
			rc = run_optional_phase(r, SL_DDL_VIEWS, from, "triggers");
			break;
		case 7:
			rc = run_optional_phase(r, SL_DDL_TRIGGERS, from, "finished");
			if (!rc)
				list_untranslated(r);
			break;
		}
	}
	if (!rc && r->nfailed) {
		/* tables were left out: not finished until --resume has created and copied them */
		rc = set_phase(r, "incomplete", 0);
		notice(r,
		       "copy incomplete: %zu table%s not created (listed above); fix them (a cast rule in "
		       "sluice.yaml) and run again with --resume to copy them",
		       r->nfailed, r->nfailed == 1 ? " was" : "s were");
	}
	return rc;
}

/* ---- results ---- */

/* Adds n values of column/kind to the table's loss counts. */
static int add_loss(sl_copy_table_result *tr, const char *column, sl_copy_loss kind, int64_t n)
{
	for (size_t i = 0; i < tr->nlosses; i++)
		if (tr->losses[i].kind == kind && strcmp(tr->losses[i].column, column) == 0) {
			tr->losses[i].values += n;
			tr->changed += n;
			return 0;
		}
	sl_copy_loss_count *l = realloc(tr->losses, (tr->nlosses + 1) * sizeof(*l));
	if (!l)
		return sl_error_nomem();
	tr->losses = l;
	l[tr->nlosses] = (sl_copy_loss_count){ .column = strdup(column), .kind = kind, .values = n };
	if (!l[tr->nlosses].column)
		return sl_error_nomem();
	tr->nlosses++;
	tr->changed += n;
	return 0;
}

/* A part's saved counts ({"column": {"kind": n}}) into the table's result. */
static int add_part_losses(sl_copy_table_result *tr, const char *losses)
{
	json_error_t err;
	json_t *o = losses ? json_loads(losses, 0, &err) : NULL, *col;
	const char *cname;
	int rc = 0;
	json_object_foreach(o, cname, col)
	{
		for (int k = 1; !rc && k < SL_COPY_LOSS__N; k++) {
			json_t *n = json_object_get(col, sl_copy_loss_name((sl_copy_loss)k));
			if (json_is_integer(n) && json_integer_value(n) > 0)
				rc = add_loss(tr, cname, (sl_copy_loss)k, json_integer_value(n));
		}
	}
	json_decref(o);
	return rc;
}

static int fill_result(run *r)
{
	sl_copy_result *res = r->res;
	sl_copy_part *parts = NULL;
	size_t np = 0;
	if (!r->parts) {
		if (sl_copy_state_parts(r->dst, &parts, &np))
			np = 0;
	} else {
		parts = r->parts;
		np = r->nparts;
	}
	res->tables = calloc(r->plan->ntables + 1, sizeof(*res->tables));
	if (!res->tables) {
		if (parts != r->parts)
			sl_copy_parts_free(parts, np);
		return sl_error_nomem();
	}
	int rc = 0;
	for (size_t i = 0; !rc && i < r->plan->ntables; i++) {
		const sl_copy_tplan *t = &r->plan->tables[i];
		sl_copy_table_result *tr = &res->tables[res->ntables++];
		tr->table = strdup(t->ref);
		tr->target = strdup(t->cast->name);
		tr->keyless = t->keyless;
		tr->done = true;
		for (size_t j = 0; j < np; j++) {
			if (strcmp(parts[j].table, t->ref) != 0)
				continue;
			tr->nparts++;
			tr->read += parts[j].read;
			tr->written += parts[j].written;
			tr->rejected += parts[j].rejected;
			tr->done = tr->done && parts[j].done;
			if (!rc)
				rc = add_part_losses(tr, parts[j].losses);
			tr->failed = tr->failed || parts[j].failed || r->failed[i];
		}
		if (!tr->nparts)
			tr->done = false;
		if (tr->failed) {
			res->failed++;
			tr->error = strdup(
				r->ferr[i] ? r->ferr[i]
					   : "the target refused its CREATE TABLE in an earlier attempt; "
					     "--resume tries it again");
		}
		res->read += tr->read;
		res->written += tr->written;
		res->rejected += tr->rejected;
		res->changed += tr->changed;
	}
	if (parts != r->parts)
		sl_copy_parts_free(parts, np);
	return rc;
}

void sl_copy_result_free(sl_copy_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->ntables; i++) {
		free(r->tables[i].error);
		free(r->tables[i].table);
		free(r->tables[i].target);
		for (size_t k = 0; k < r->tables[i].nlosses; k++)
			free(r->tables[i].losses[k].column);
		free(r->tables[i].losses);
	}
	for (size_t i = 0; i < r->nviolations; i++) {
		free(r->violations[i].table);
		free(r->violations[i].constraint);
		free(r->violations[i].message);
	}
	free(r->tables);
	free(r->violations);
	free(r->run_id);
	free(r);
}

int sl_copy_result_json(sl_buf *out, const sl_copy_result *r)
{
	json_t *o = json_object(), *tables = json_array(), *viol = json_array();
	int rc = 0;
	if (!o || !tables || !viol) {
		json_decref(o);
		json_decref(tables);
		json_decref(viol);
		return sl_error_nomem();
	}
	for (size_t i = 0; i < r->ntables; i++) {
		const sl_copy_table_result *t = &r->tables[i];
		json_t *losses = json_array();
		for (size_t k = 0; losses && k < t->nlosses; k++)
			json_array_append_new(losses,
					      json_pack("{s:s,s:s,s:s,s:I}", "column", t->losses[k].column,
							"cast", sl_copy_loss_name(t->losses[k].kind), "what",
							sl_copy_loss_text(t->losses[k].kind), "values",
							(json_int_t)t->losses[k].values));
		json_t *jt = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:o*,s:i,s:b,s:b}", "table", t->table,
				       "target", t->target, "read", (json_int_t)t->read, "written",
				       (json_int_t)t->written, "rejected", (json_int_t)t->rejected, "changed",
				       (json_int_t)t->changed, "losses", losses, "parts", t->nparts,
				       "keyless", t->keyless, "done", t->done);
		if (jt && t->failed) {
			json_object_set_new(jt, "failed", json_true());
			json_object_set_new(jt, "error", json_string(t->error ? t->error : ""));
		}
		json_array_append_new(tables, jt);
	}
	for (size_t i = 0; i < r->nviolations; i++) {
		const sl_copy_violation *v = &r->violations[i];
		json_array_append_new(viol, json_pack("{s:s,s:s,s:I,s:s}", "table", v->table, "constraint",
						      v->constraint, "rows", (json_int_t)v->rows, "message",
						      v->message));
	}
	json_object_set_new(o, "run_id", json_string(r->run_id ? r->run_id : ""));
	json_object_set_new(o, "finished", json_boolean(r->finished));
	json_object_set_new(o, "halted", json_boolean(r->halted));
	json_object_set_new(o, "read", json_integer(r->read));
	json_object_set_new(o, "written", json_integer(r->written));
	json_object_set_new(o, "rejected", json_integer(r->rejected));
	json_object_set_new(o, "changed", json_integer(r->changed));
	json_object_set_new(o, "not_translated", json_integer((json_int_t)r->not_translated));
	json_object_set_new(o, "failed", json_integer((json_int_t)r->failed));
	json_object_set_new(o, "left_behind", json_integer(r->left_behind));
	json_object_set_new(o, "seconds", json_real(r->seconds));
	json_object_set_new(o, "tables", tables);
	json_object_set_new(o, "violations", viol);
	char *txt = json_dumps(o, JSON_INDENT(2));
	rc = txt ? sl_buf_puts(out, txt) : sl_error_nomem();
	if (!rc)
		rc = sl_buf_putc(out, '\n');
	free(txt);
	json_decref(o);
	return rc;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int sl_copy_run(sl_copy_result **out, const sl_copy_opts *opts)
{
	run r = { .o = opts };
	int rc = 0, phase = 0, stmt = 0;
	double t0 = now_s();
	bool mu_init = false;
	*out = NULL;
	if (!opts || !opts->connect)
		return sl_error_set(SL_EINVALID, "copy: no connect callback");
	if (opts->schema_only && opts->data_only)
		return sl_error_set(SL_EINVALID, "copy: --schema-only and --data-only exclude each other");
	r.res = calloc(1, sizeof(*r.res));
	if (!r.res || pthread_mutex_init(&r.mu, NULL) != 0) {
		free(r.res);
		return sl_error_nomem();
	}
	mu_init = true;
	r.sh.opts = opts;
	r.sh.mutex = &r.mu;
	rc = opts->connect(&r.src, SL_COPY_SOURCE, opts->connect_ud);
	if (!rc)
		rc = opts->connect(&r.dst, SL_COPY_TARGET, opts->connect_ud);
	if (!rc)
		rc = sl_conn_refuse_same_database(r.src, r.dst, "copy");
	if (!rc)
		rc = setup_target(r.dst, false);
	if (!rc)
		rc = sl_copy_plan_new(&r.plan, r.src, sl_conn_engine(r.dst), opts);
	if (!rc) {
		r.failed = calloc(r.plan->ntables + 1, sizeof(*r.failed));
		r.ferr = calloc(r.plan->ntables + 1, sizeof(*r.ferr));
		if (!r.failed || !r.ferr)
			rc = sl_error_nomem();
	}
	if (rc)
		goto done;
	rc = left_behind(&r);
	if (rc)
		goto done;
	size_t nerr = sl_copy_plan_count(r.plan, SL_CAST_ERROR);
	if (nerr && !opts->force) {
		rc = sl_error_set(
			SL_EINVALID,
			"the cast plan has %zu error note%s (see `sluice copy --plan`): add cast rules "
			"or run with --force",
			nerr, nerr == 1 ? "" : "s");
		goto done;
	}
	rc = start(&r, &phase, &stmt);
	if (rc)
		goto done;
	r.sh.run_id = r.run_id;
	if (phase == (int)NPHASES - 1) {
		notice(&r, "copy %s is already finished", r.run_id);
	} else {
		rc = walk_phases(&r, phase, stmt);
	}
done:
	if (r.plan && r.dst && r.run_id) {
		char *m = rc ? strdup(sl_error_last()->message) : NULL;
		int code = rc ? sl_error_last()->code : 0;
		fill_result(&r);
		char *rid = NULL, *ph = NULL;
		if (!sl_copy_state_run(r.dst, &rid, &ph, NULL))
			r.res->finished = strcmp(ph, "finished") == 0;
		free(rid);
		free(ph);
		if (rc)
			sl_error_set(code ? code : rc, "%s", m ? m : "copy failed");
		free(m);
	}
	r.res->run_id = r.run_id;
	r.res->halted = r.sh.halted;
	r.res->seconds = now_s() - t0;
	*out = r.res;
	sl_copy_parts_free(r.parts, r.nparts);
	for (size_t i = 0; r.ferr && i < r.plan->ntables; i++)
		free(r.ferr[i]);
	free(r.ferr);
	free(r.failed);
	sl_copy_plan_free(r.plan);
	sl_conn_close(r.src);
	sl_conn_close(r.dst);
	free(r.err_msg);
	if (mu_init)
		pthread_mutex_destroy(&r.mu);
	return rc;
}
