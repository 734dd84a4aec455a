/*
 * index_queue.c - the statements of the INDEXES phase in one queue taken by
 * several target connections at once: by the data workers as soon as every
 * part of a statement's table is loaded (while other tables still load), then
 * by the index phase for whatever is left (docs/copy.md, "Load order").
 *
 * Order: largest tables first, a table's statements in their own order. None
 * of a table's statements starts before its first one (its key: an ALTER
 * TABLE that locks the whole table) has finished, so two connections do not
 * sit on each other's locks. A statement whose object already exists (built
 * before an interruption) is skipped; one the data refuses (a unique key over
 * duplicates) is reported as a violation and the others go on.
 *
 * Everything in the queue is guarded by run.mu; workers that find nothing to
 * do while others are busy wait on the queue's condition variable.
 */
#include "run_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sluice/error.h"

enum { WAITING, TAKEN, FINISHED };

struct copy_idx_queue {
	const sl_ddl_stmt **stmts; /* largest tables first */
	size_t *table;             /* per statement: plan index of its table, SIZE_MAX: none */
	size_t *first;             /* per statement: queue index of its table's first statement */
	unsigned char *state;      /* per statement: WAITING, TAKEN, FINISHED */
	size_t n, low;             /* low: every statement before it is taken */
	size_t *pending;           /* per plan table: parts not loaded yet */
	size_t npending_all;       /* parts not loaded yet, of every table */
	int busy;                  /* workers running a part or a statement */
	pthread_cond_t cv;
};

bool copy_iq_applies(const run *r)
{
	return r->o->jobs > 1 && sl_ddl_count(r->plan->ddl, SL_DDL_INDEXES) >= 2 &&
	       !sl_conn_has(r->dst, SL_CAP_DB_WRITE_LOCK);
}

static int64_t plan_rows(const run *r, size_t ti)
{
	if (ti == SIZE_MAX)
		return 0;
	int64_t n = r->plan->tables[ti].src->row_count;
	return n > 0 ? n : 0;
}

/* Fills q->stmts, q->table and q->first: largest tables first, a table's statements in order. */
static void order_statements(const run *r, copy_idx_queue *q)
{
	const sl_ddl *d = r->plan->ddl;
	for (size_t i = 0; i < q->n; i++) {
		const sl_ddl_stmt *st = sl_ddl_statement(d, SL_DDL_INDEXES, i);
		size_t ti = copy_table_index(r, st->table);
		int64_t rw = plan_rows(r, ti);
		size_t j = i;
		for (; j > 0 && plan_rows(r, q->table[j - 1]) < rw; j--) {
			q->stmts[j] = q->stmts[j - 1];
			q->table[j] = q->table[j - 1];
		}
		q->stmts[j] = st;
		q->table[j] = ti;
	}
	for (size_t i = 0; i < q->n; i++) {
		q->first[i] = i;
		for (size_t j = 0; q->table[i] != SIZE_MAX && j < i; j++)
			if (q->table[j] == q->table[i]) {
				q->first[i] = j;
				break;
			}
	}
}

void copy_iq_free(run *r)
{
	copy_idx_queue *q = r->iq;
	if (!q)
		return;
	pthread_cond_destroy(&q->cv);
	free(q->stmts);
	free(q->table);
	free(q->first);
	free(q->state);
	free(q->pending);
	free(q);
	r->iq = NULL;
}

int copy_iq_new(run *r)
{
	copy_idx_queue *q = calloc(1, sizeof(*q));
	if (!q)
		return sl_error_nomem();
	q->n = sl_ddl_count(r->plan->ddl, SL_DDL_INDEXES);
	q->stmts = calloc(q->n + 1, sizeof(*q->stmts));
	q->table = calloc(q->n + 1, sizeof(*q->table));
	q->first = calloc(q->n + 1, sizeof(*q->first));
	q->state = calloc(q->n + 1, sizeof(*q->state));
	q->pending = calloc(r->plan->ntables + 1, sizeof(*q->pending));
	if (!q->stmts || !q->table || !q->first || !q->state || !q->pending ||
	    pthread_cond_init(&q->cv, NULL) != 0) {
		free(q->stmts);
		free(q->table);
		free(q->first);
		free(q->state);
		free(q->pending);
		free(q);
		return sl_error_nomem();
	}
	order_statements(r, q);
	r->iq = q;
	return 0;
}

/* Under r->mu: part p is to be loaded before its table's statements may start. */
void copy_iq_add_part(run *r, const sl_copy_part *p)
{
	const sl_copy_tplan *t = sl_copy_plan_find(r->plan, p->table);
	if (!r->iq)
		return;
	if (t)
		r->iq->pending[(size_t)(t - r->plan->tables)]++;
	r->iq->npending_all++;
}

/* A statement may start: its table is loaded and its table's first statement has finished. */
static bool ready(const copy_idx_queue *q, size_t i)
{
	size_t ti = q->table[i];
	if (ti == SIZE_MAX ? q->npending_all > 0 : q->pending[ti] > 0)
		return false;
	return q->first[i] == i || q->state[q->first[i]] == FINISHED;
}

/* Under r->mu: the next statement that may start (marked taken), NULL when none may now. */
static size_t take_ready(copy_idx_queue *q)
{
	while (q->low < q->n && q->state[q->low] != WAITING)
		q->low++;
	for (size_t i = q->low; i < q->n; i++)
		if (q->state[i] == WAITING && ready(q, i)) {
			q->state[i] = TAKEN;
			return i;
		}
	return SIZE_MAX;
}

/* Waits on the queue (a tenth of a second at most: Ctrl-C is polled, not signalled). */
static void wait_queue(run *r)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 100 * 1000 * 1000;
	if (ts.tv_nsec >= 1000 * 1000 * 1000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000 * 1000 * 1000;
	}
	pthread_cond_timedwait(&r->iq->cv, &r->mu, &ts);
}

/* Under r->mu: stop was asked (an error, --max-rejects, or Ctrl-C when the caller polls it). */
static bool stopping(run *r)
{
	if (!r->sh.stop && r->o->interrupted && r->o->interrupted(r->o->interrupt_ud))
		r->sh.stop = r->sh.interrupted = true;
	return r->sh.stop;
}

int copy_iq_next(run *r, sl_copy_part *const *parts, size_t nparts, copy_work *out)
{
	copy_idx_queue *q = r->iq;
	out->part = NULL;
	out->stmt = NULL;
	pthread_mutex_lock(&r->mu);
	for (;;) {
		if (stopping(r))
			break;
		size_t i = q ? take_ready(q) : SIZE_MAX;
		if (i != SIZE_MAX) {
			out->stmt = q->stmts[i];
			out->index = i;
			break;
		}
		if (r->next_part < nparts) {
			out->part = parts[r->next_part++];
			break;
		}
		/* statements left whose tables another worker is still loading or keying */
		if (!q || q->low >= q->n || q->busy == 0)
			break;
		wait_queue(r);
	}
	if (q && (out->part || out->stmt))
		q->busy++;
	pthread_mutex_unlock(&r->mu);
	return out->part || out->stmt;
}

void copy_iq_done(run *r, const copy_work *w)
{
	copy_idx_queue *q = r->iq;
	if (!q)
		return;
	pthread_mutex_lock(&r->mu);
	if (w->stmt)
		q->state[w->index] = FINISHED;
	if (w->part && w->part->done) {
		const sl_copy_tplan *t = sl_copy_plan_find(r->plan, w->part->table);
		if (t && q->pending[(size_t)(t - r->plan->tables)] > 0)
			q->pending[(size_t)(t - r->plan->tables)]--;
		if (q->npending_all > 0)
			q->npending_all--;
	}
	q->busy--;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&r->mu);
}

void copy_iq_wake(run *r)
{
	if (r->iq)
		pthread_cond_broadcast(&r->iq->cv);
}

int copy_iq_run(run *r, sl_conn *c, const sl_ddl_stmt *st)
{
	if (copy_on_failed_table(r, st))
		return 0; /* its table was not created: --resume runs it */
	int rc = sl_conn_exec(c, st->sql);
	if (rc && sl_error_is(sl_error_last(), SL_ERRCLASS_EXISTS)) {
		rc = 0; /* built before an interruption */
	} else if (rc == SL_EDB) {
		char *m = strdup(sl_error_last()->message);
		copy_notice(r, "phase indexes: %s failed: %s", st->sql, m ? m : "");
		pthread_mutex_lock(&r->mu);
		rc = copy_add_violation(r, st->table, st->sql, -1, m ? m : "");
		pthread_mutex_unlock(&r->mu);
		free(m);
	} else if (rc) {
		sl_error_prefix("phase indexes: %s", st->sql);
	}
	return rc;
}

void copy_iq_loaded(run *r)
{
	if (!r->iq)
		return;
	memset(r->iq->pending, 0, r->plan->ntables * sizeof(*r->iq->pending));
	r->iq->npending_all = 0;
}

size_t copy_iq_left(run *r)
{
	size_t n = 0;
	pthread_mutex_lock(&r->mu);
	for (size_t i = 0; r->iq && i < r->iq->n; i++)
		n += r->iq->state[i] == WAITING;
	pthread_mutex_unlock(&r->mu);
	return n;
}
