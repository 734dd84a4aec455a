/*
 * backfill.c - filling the new columns of existing rows, in batches
 * (expand_int.h).
 *
 * Rows are walked by key: each batch finds the key of the batch-size-th row
 * after the last one done, then updates the rows up to it with the up
 * assignments, in one transaction with the checkpoint that records the new
 * last key. A killed run loses at most the batch in flight (rolled back with
 * its checkpoint) and the next run starts after the last committed one; a
 * row is never filled twice by the backfill, and rows written meanwhile are
 * kept in step by the triggers. The session marks itself as the backfill
 * (the dialect's backfill_session) so the triggers leave its writes alone.
 * A batch that loses a lock wait is retried with backoff like any DDL.
 */
#include "expand_int.h"
#include "sluice/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sluice/error.h"

typedef struct bf {
	xexec *x;
	const xplan *p;
	const xtab *t;
	const char *history;
	sl_buf table;  /* quoted table */
	sl_buf keys;   /* quoted key list "a, b" */
	sl_buf keyrow; /* "a" or "(a, b)" for comparisons */
	sl_buf set;    /* "tgt = (expr), ..." */
	xcheckpoint cp;
} bf;

static int quoted(sl_conn *c, sl_buf *b, const char *name)
{
	return sl_conn_quote_ident(c, b, name);
}

static int prepare(bf *f)
{
	sl_conn *c = f->x->c;
	const xtab *t = f->t;
	int rc = quoted(c, &f->table, t->t->name);
	for (size_t i = 0; !rc && i < t->nkey; i++) {
		if (i)
			rc = sl_buf_puts(&f->keys, ", ");
		if (!rc)
			rc = quoted(c, &f->keys, t->key[i]);
	}
	if (!rc)
		rc = t->nkey > 1 ? sl_buf_printf(&f->keyrow, "(%s)", sl_buf_cstr(&f->keys))
				 : sl_buf_puts(&f->keyrow, sl_buf_cstr(&f->keys));
	for (size_t i = 0; !rc && i < t->nup; i++) {
		if (i)
			rc = sl_buf_puts(&f->set, ", ");
		if (!rc)
			rc = quoted(c, &f->set, t->up[i].target);
		if (!rc)
			rc = sl_buf_printf(&f->set, " = (%s)", t->up[i].expr);
	}
	return rc;
}

/* The key of the row batch-size rows after the checkpoint, as a literal; NULL when fewer remain. */
static int next_bound(bf *f, char **out)
{
	sl_conn *c = f->x->c;
	sl_buf q = SL_BUF_INIT, lit = SL_BUF_INIT;
	sl_cursor *cur = NULL;
	sl_batch b = { 0 };
	long batch = f->x->o->batch_size > 0 ? f->x->o->batch_size : 1000;
	*out = NULL;
	int rc = sl_buf_printf(&q, "SELECT %s FROM %s", sl_buf_cstr(&f->keys), sl_buf_cstr(&f->table));
	if (!rc && f->cp.last_key)
		rc = sl_buf_printf(&q, " WHERE %s > %s", sl_buf_cstr(&f->keyrow), f->cp.last_key);
	if (!rc)
		rc = sl_buf_printf(&q, " ORDER BY %s LIMIT 1 OFFSET %ld", sl_buf_cstr(&f->keys), batch - 1);
	if (!rc)
		rc = sl_conn_query(&cur, c, q.ptr);
	if (!rc)
		rc = sl_batch_init(&b, sl_cursor_ncols(cur), 1);
	if (!rc) {
		int n = sl_cursor_fetch(cur, &b, 1);
		if (n > 0) {
			const sl_value *v = sl_batch_row(&b, 0);
			if (f->t->nkey > 1)
				rc = sl_buf_putc(&lit, '(');
			for (size_t i = 0; !rc && i < b.ncols; i++) {
				if (i)
					rc = sl_buf_puts(&lit, ", ");
				if (!rc)
					rc = sl_conn_quote_literal(c, &lit, &v[i]);
			}
			if (!rc && f->t->nkey > 1)
				rc = sl_buf_putc(&lit, ')');
			if (!rc && !(*out = strdup(sl_buf_cstr(&lit))))
				rc = sl_error_nomem();
		} else {
			rc = n;
		}
	}
	sl_cursor_close(cur);
	sl_batch_free(&b);
	sl_buf_free(&q);
	sl_buf_free(&lit);
	return rc;
}

/* One batch: the rows after the checkpoint up to bound (all that remain when bound is NULL). */
static int batch(bf *f, const char *bound, int64_t *rows)
{
	sl_conn *c = f->x->c;
	sl_buf q = SL_BUF_INIT;
	xcheckpoint next = f->cp;
	int rc = sl_buf_printf(&q, "UPDATE %s SET %s", sl_buf_cstr(&f->table), sl_buf_cstr(&f->set));
	if (!rc && (f->cp.last_key || bound))
		rc = sl_buf_puts(&q, " WHERE ");
	if (!rc && f->cp.last_key)
		rc = sl_buf_printf(&q, "%s > %s", sl_buf_cstr(&f->keyrow), f->cp.last_key);
	if (!rc && bound)
		rc = sl_buf_printf(&q, "%s%s <= %s", f->cp.last_key ? " AND " : "", sl_buf_cstr(&f->keyrow),
				   bound);
	if (rc)
		goto done;
	if (f->x->o->on_statement && f->cp.batches == 0)
		f->x->o->on_statement(f->x->o->ud, f->x->id, q.ptr);
	if (f->x->o->dry_run)
		goto done;
	if ((rc = sl_conn_begin(c)))
		goto done;
	/* rows in the range, not rows changed (MySQL counts only rows whose values differ) */
	if (bound) {
		*rows = f->x->o->batch_size > 0 ? f->x->o->batch_size : 1000;
	} else {
		sl_buf cq = SL_BUF_INIT;
		rc = sl_buf_printf(&cq, "SELECT count(*) FROM %s", sl_buf_cstr(&f->table));
		if (!rc && f->cp.last_key)
			rc = sl_buf_printf(&cq, " WHERE %s > %s", sl_buf_cstr(&f->keyrow), f->cp.last_key);
		if (!rc)
			rc = sl_conn_query_int(c, cq.ptr, rows);
		sl_buf_free(&cq);
	}
	if (!rc)
		rc = sl_conn_exec(c, q.ptr);
	if (rc)
		goto done;
	next.last_key = (char *)(bound ? bound : f->cp.last_key);
	next.rows_done += *rows;
	next.batches++;
	next.done = bound == NULL;
	next.exists = true;
	if ((rc = xcheckpoint_save(c, f->history, f->p->id, f->t->t->name, &next)))
		goto done;
	rc = sl_conn_commit(c);
done:
	if (rc && sl_conn_in_transaction(c)) {
		char *msg = strdup(sl_error_last()->message);
		const sl_error *e = sl_error_last();
		char state[6];
		int code = e->engine_code;
		memcpy(state, e->sqlstate, sizeof(state));
		sl_conn_rollback(c);
		if (msg)
			sl_error_set_db(rc, state[0] ? state : NULL, code, "%s", msg);
		free(msg);
	}
	sl_buf_free(&q);
	return rc;
}

static void report(bf *f, double t0, int64_t rows_this_run)
{
	if (!f->x->o->on_progress)
		return;
	double dt = sl_now_s() - t0;
	sl_xprogress pr = { .migration_id = f->p->id,
			    .table = f->t->t->name,
			    .rows_done = f->cp.rows_done,
			    .rows_total = f->cp.rows_total,
			    .batches = f->cp.batches,
			    .rows_per_sec = dt > 0 ? (double)rows_this_run / dt : 0,
			    .done = f->cp.done };
	f->x->o->on_progress(f->x->o->ud, &pr);
}

/* Starts the checkpoint of a table seen for the first time, with an estimate of its rows. */
static int start(bf *f)
{
	if (f->cp.exists)
		return 0;
	int64_t n = f->t->t->row_count;
	if (n < 0) {
		sl_buf q = SL_BUF_INIT;
		int rc = sl_buf_printf(&q, "SELECT count(*) FROM %s", sl_buf_cstr(&f->table));
		if (!rc)
			rc = sl_conn_query_int(f->x->c, q.ptr, &n);
		sl_buf_free(&q);
		if (rc)
			return rc;
	}
	f->cp.rows_total = n;
	if (f->x->o->dry_run)
		return 0;
	int rc = xcheckpoint_save(f->x->c, f->history, f->p->id, f->t->t->name, &f->cp);
	f->cp.exists = rc == 0;
	return rc;
}

static int session(bf *f)
{
	sl_xsql q = { 0 };
	int rc = f->x->d->backfill_session(f->x->c, &q);
	for (size_t i = 0; !rc && i < q.n; i++)
		rc = f->x->o->dry_run ? 0 : sl_conn_exec(f->x->c, q.items[i].sql);
	sl_xsql_free(&q);
	if (!rc) {
		sl_buf b = SL_BUF_INIT;
		rc = f->x->d->lock_timeout(&b,
					   f->x->o->lock_timeout_ms > 0 ? f->x->o->lock_timeout_ms : 2000);
		if (!rc && !f->x->o->dry_run)
			rc = sl_conn_exec(f->x->c, sl_buf_cstr(&b));
		sl_buf_free(&b);
	}
	return rc;
}

/* A dry run's backfill: the statement of one batch, shown; nothing read or written. */
static int dry_run(bf *f)
{
	xexec *x = f->x;
	char *bound = NULL;
	int rc = next_bound(f, &bound);
	if (!rc && x->o->on_statement) {
		sl_buf q = SL_BUF_INIT;
		rc = sl_buf_printf(&q, "UPDATE %s SET %s WHERE %s <= %s", sl_buf_cstr(&f->table),
				   sl_buf_cstr(&f->set), sl_buf_cstr(&f->keyrow),
				   bound ? bound : "(the last key)");
		if (!rc)
			x->o->on_statement(x->o->ud, x->id, q.ptr);
		sl_buf_free(&q);
	}
	free(bound);
	return rc;
}

int xbackfill_table(xexec *x, const xplan *p, const xtab *t, const char *history)
{
	bf f = { .x = x, .p = p, .t = t, .history = history };
	double t0 = sl_now_s();
	int64_t this_run = 0, batches = 0;
	int rc = prepare(&f);
	if (!rc && x->o->dry_run) { /* the statement of a batch, once; nothing read or written */
		rc = dry_run(&f);
		goto done;
	}
	if (!rc)
		rc = xcheckpoint_load(x->c, history, p->id, t->t->name, &f.cp);
	if (!rc && f.cp.done) {
		report(&f, t0, 0);
		goto done;
	}
	if (!rc)
		rc = session(&f);
	if (!rc)
		rc = start(&f);
	while (!rc) {
		char *bound = NULL;
		int64_t n = 0;
		for (long attempt = 0;; attempt++) {
			free(bound);
			bound = NULL;
			rc = next_bound(&f, &bound);
			if (!rc)
				rc = batch(&f, bound, &n);
			if (!rc || !x->d->lock_failed(sl_error_last()) || attempt >= x->o->retries)
				break;
			xexec_sleep(100L << (attempt < 5 ? attempt : 5));
		}
		if (!rc) {
			char *old = f.cp.last_key;
			f.cp.last_key = bound ? bound : old;
			if (bound)
				free(old);
			else
				free(bound);
			f.cp.rows_done += n;
			f.cp.batches++;
			f.cp.done = bound == NULL;
			this_run += n;
			batches++;
			report(&f, t0, this_run);
		} else {
			free(bound);
			sl_error_prefix("backfill of \"%s\" after key %s", t->t->name,
					f.cp.last_key ? f.cp.last_key : "(start)");
		}
		if (rc || f.cp.done || x->o->dry_run)
			break;
		if (x->o->max_batches > 0 && batches >= x->o->max_batches) {
			rc = sl_error_set(SL_EINTERRUPTED,
					  "backfill of \"%s\" stopped after %lld batch(es) as asked; the "
					  "next run resumes "
					  "after key %s",
					  t->t->name, (long long)batches,
					  f.cp.last_key ? f.cp.last_key : "(start)");
			break;
		}
		if (x->o->throttle_ms > 0)
			xexec_sleep(x->o->throttle_ms);
	}
done:
	xcheckpoint_clear(&f.cp);
	sl_buf_free(&f.table);
	sl_buf_free(&f.keys);
	sl_buf_free(&f.keyrow);
	sl_buf_free(&f.set);
	return rc;
}
