/*
 * exec.c - running expand/contract actions with the locking discipline
 * (expand_int.h).
 *
 * Every unit first sets the session's lock timeout (the dialect's
 * statement), so no DDL statement queues behind a long transaction while
 * the application's statements queue behind it. A statement that gives up
 * waiting (or dies in a deadlock) is retried after a pause that doubles
 * each time, up to opts->retries times: in a transaction the whole unit
 * rolls back and runs again; statement by statement, the failed statement
 * runs again. Actions the live schema shows as done are skipped, so a run
 * killed half-way (MySQL, whose DDL commits one statement at a time) picks
 * up where it stopped.
 */
#include "expand_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sluice/error.h"

void xexec_sleep(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
	while (ms > 0 && nanosleep(&ts, &ts) != 0)
		;
}

/* The pause before attempt n (1-based): 100 ms doubling to 5 s, with up to half again at random. */
static long backoff(long n)
{
	long ms = 100;
	for (long i = 1; i < n && ms < 5000; i++)
		ms *= 2;
	if (ms > 5000)
		ms = 5000;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	unsigned long r = (unsigned long)ts.tv_nsec * 2654435761u + (unsigned long)getpid();
	return ms + (long)(r % (unsigned long)(ms / 2 + 1));
}

static void notice(xexec *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void notice(xexec *x, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	if (!x->o->on_notice)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	x->o->on_notice(x->o->ud, x->id, msg);
}

/* ---- what the live schema shows as done ---------------------------------------------------- */

static bool has_check(const sl_table *t, const char *name)
{
	for (size_t i = 0; t && i < t->nchecks; i++)
		if (t->checks[i].name && strcmp(t->checks[i].name, name) == 0)
			return true;
	return false;
}

static bool has_fkey(const sl_table *t, const char *name)
{
	for (size_t i = 0; t && i < t->nfkeys; i++)
		if (t->fkeys[i].name && strcmp(t->fkeys[i].name, name) == 0)
			return true;
	return false;
}

static bool has_index(const sl_table *t, const char *name)
{
	for (size_t i = 0; t && i < t->nindexes; i++)
		if (t->indexes[i].name && strcmp(t->indexes[i].name, name) == 0)
			return true;
	return false;
}

static bool has_unique(const sl_table *t, const char *name)
{
	for (size_t i = 0; t && i < t->nuniques; i++)
		if (t->uniques[i].name && strcmp(t->uniques[i].name, name) == 0)
			return true;
	return false;
}

/*
 * 1 when a is already done in m, 0 when it must run, or SL_ECONFLICT when
 * the schema is in a state the action cannot come from.
 */
static int done_already(const sl_schema *m, const sl_xact *a)
{
	const sl_table *t = a->table ? sl_schema_find_table(m, NULL, a->table) : NULL;
	const sl_column *c = t && a->column ? sl_table_find_column(t, a->column) : NULL;
	switch (a->kind) {
	case SL_XA_ADD_COLUMN:
		return c != NULL;
	case SL_XA_DROP_COLUMN:
		return c == NULL;
	case SL_XA_RENAME_COLUMN:
		if (c)
			return 0;
		if (t && sl_table_find_column(t, a->to))
			return 1;
		return sl_error_set(SL_ECONFLICT, "table \"%s\" has neither column \"%s\" nor \"%s\"",
				    a->table, a->column, a->to);
	case SL_XA_RENAME_TABLE:
		if (t)
			return 0;
		if (sl_schema_find_table(m, NULL, a->to))
			return 1;
		return sl_error_set(SL_ECONFLICT, "neither table \"%s\" nor \"%s\" exists", a->table, a->to);
	case SL_XA_SET_NOT_NULL:
		return c && !c->nullable;
	case SL_XA_ADD_NOT_NULL_CHECK:
	case SL_XA_ADD_CHECK:
		return has_check(t, a->name);
	case SL_XA_ADD_FOREIGN_KEY:
		return has_fkey(t, a->name);
	case SL_XA_DROP_INDEX:
		return !has_index(t, a->name);
	case SL_XA_RENAME_INDEX:
		return !has_index(t, a->name) && has_index(t, a->to);
	case SL_XA_ATTACH_UNIQUE:
		return has_unique(t, a->to);
	case SL_XA_DROP_CONSTRAINT:
		if (a->what == SL_XA_ADD_FOREIGN_KEY)
			return !has_fkey(t, a->name);
		if (a->what == SL_XA_ATTACH_UNIQUE)
			return !has_unique(t, a->name) && !has_index(t, a->name);
		return !has_check(t, a->name);
	default:
		return 0;
	}
}

static bool needs_model(const sl_xact *acts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		switch (acts[i].kind) {
		case SL_XA_VALIDATE:
		case SL_XA_SYNC_CREATE:
		case SL_XA_SYNC_DROP:
		case SL_XA_VERSION_CREATE:
		case SL_XA_VERSION_DROP:
		case SL_XA_VIEW_CREATE:
		case SL_XA_VIEW_DROP:
		case SL_XA_ADD_INDEX:
			break;
		default:
			return true;
		}
	return false;
}

/*
 * Statements that try each expression of a sync on no rows, so a wrong
 * column name or type fails before the triggers exist (PL/pgSQL and MySQL
 * only find out on the first write).
 */
static int probes(xexec *x, const sl_xsync *s, sl_xsql *out)
{
	int rc = 0;
	for (int up = 1; !rc && up >= 0; up--) {
		const sl_xassign *as = up ? s->up : s->down;
		const sl_xscope_col *scope = up ? s->old_scope : s->new_scope;
		size_t n = up ? s->nup : s->ndown, ns = up ? s->nold : s->nnew;
		for (size_t i = 0; !rc && i < n; i++) {
			sl_buf b = SL_BUF_INIT;
			rc = sl_buf_printf(&b, "SELECT (%s) FROM (SELECT ", as[i].expr);
			for (size_t j = 0; !rc && j < ns; j++) {
				if (j)
					rc = sl_buf_puts(&b, ", ");
				if (!rc)
					rc = sl_conn_quote_ident(x->c, &b, scope[j].physical);
				if (!rc)
					rc = sl_buf_puts(&b, " AS ");
				if (!rc)
					rc = sl_conn_quote_ident(x->c, &b, scope[j].name);
			}
			if (!rc)
				rc = sl_buf_puts(&b, " FROM ");
			if (!rc)
				rc = sl_conn_quote_ident(x->c, &b, s->base);
			if (!rc)
				rc = sl_buf_putc(&b, '.');
			if (!rc)
				rc = sl_conn_quote_ident(x->c, &b, s->table);
			if (!rc)
				rc = sl_buf_puts(&b, " WHERE 1 = 0) sluice_probe");
			if (!rc)
				rc = sl_xsql_add_buf(out, SL_XS_EXPECT_EMPTY, &b);
			sl_buf_free(&b);
		}
	}
	return rc;
}

/* Renders the actions still to do into one list of statements. */
static int render(xexec *x, const sl_xact *acts, size_t n, sl_xsql *out)
{
	sl_schema *m = NULL;
	int rc = 0;
	if (needs_model(acts, n)) {
		sl_introspect_opts io = SL_INTROSPECT_OPTS_INIT;
		io.exact_counts = false;
		if ((rc = sl_conn_introspect(&m, x->c, &io)))
			return rc;
	}
	for (size_t i = 0; !rc && i < n; i++) {
		int done = m ? done_already(m, &acts[i]) : 0;
		if (done < 0)
			rc = done;
		else if (!done && acts[i].kind == SL_XA_SYNC_CREATE && acts[i].sync)
			rc = probes(x, acts[i].sync, out);
		if (!rc && !done)
			rc = x->d->render(x->c, &acts[i], out);
	}
	sl_schema_free(m);
	return rc;
}

static bool lock_failed(xexec *x)
{
	return x->d->lock_failed(sl_error_last());
}

/* Runs a query that must return no rows; a row is a violation named in the message. */
static int expect_empty(xexec *x, const char *sql)
{
	sl_cursor *cur = NULL;
	sl_batch b = { 0 };
	int rc = sl_conn_query(&cur, x->c, sql);
	if (!rc)
		rc = sl_batch_init(&b, sl_cursor_ncols(cur), 1);
	if (!rc) {
		int n = sl_cursor_fetch(cur, &b, 1);
		if (n > 0) {
			sl_buf d = SL_BUF_INIT;
			const sl_value *v = sl_batch_row(&b, 0);
			for (size_t i = 0; i < b.ncols; i++) {
				sl_buf_printf(&d, "%s%s=", i ? ", " : "", sl_cursor_col(cur, i)->name);
				if (v[i].type == SL_V_NULL)
					sl_buf_puts(&d, "NULL");
				else
					sl_value_format(&d, &v[i]);
			}
			rc = sl_error_set(SL_ECHECK, "rows violate it; first: %s", sl_buf_cstr(&d));
			sl_buf_free(&d);
		} else {
			rc = n;
		}
	}
	sl_cursor_close(cur);
	sl_batch_free(&b);
	return rc;
}

static int run_one(xexec *x, const sl_xstmt *s)
{
	if (x->o->on_statement)
		x->o->on_statement(x->o->ud, x->id, s->sql);
	if (x->o->dry_run)
		return 0;
	return (s->flags & SL_XS_EXPECT_EMPTY) ? expect_empty(x, s->sql) : sl_conn_exec(x->c, s->sql);
}

static int set_timeout(xexec *x)
{
	sl_buf b = SL_BUF_INIT;
	int rc = x->d->lock_timeout(&b, x->o->lock_timeout_ms > 0 ? x->o->lock_timeout_ms : 2000);
	if (!rc && !x->o->dry_run)
		rc = sl_conn_exec(x->c, sl_buf_cstr(&b));
	sl_buf_free(&b);
	return rc;
}

/* Keeps the first error's message while something else runs (a rollback). */
typedef struct saved_err {
	int code;
	char *msg;
	char state[6];
	int engine;
} saved_err;

static void save_err(saved_err *s, int code)
{
	const sl_error *e = sl_error_last();
	s->code = code;
	s->msg = strdup(e->message ? e->message : "");
	memcpy(s->state, e->sqlstate, sizeof(s->state));
	s->engine = e->engine_code;
}

static int restore_err(saved_err *s)
{
	int rc = s->code;
	if (s->msg)
		sl_error_set_db(rc, s->state[0] ? s->state : NULL, s->engine, "%s", s->msg);
	free(s->msg);
	s->msg = NULL;
	return rc;
}

static int unit_tx(xexec *x, const sl_xsql *q)
{
	int rc = 0;
	for (long attempt = 0;; attempt++) {
		rc = set_timeout(x);
		if (!rc && !x->o->dry_run)
			rc = sl_conn_begin(x->c);
		for (size_t i = 0; !rc && i < q->n; i++) {
			rc = run_one(x, &q->items[i]);
			if (rc)
				sl_error_prefix("%.200s", q->items[i].sql);
		}
		if (!rc && !x->o->dry_run)
			rc = sl_conn_commit(x->c);
		if (!rc)
			return 0;
		bool retry = lock_failed(x) && attempt < x->o->retries;
		if (sl_conn_in_transaction(x->c)) {
			saved_err s;
			save_err(&s, rc);
			sl_conn_rollback(x->c);
			rc = restore_err(&s);
		}
		if (!retry)
			return rc;
		long ms = backoff(attempt + 1);
		notice(x, "a lock was not granted within %ld ms; trying again in %ld ms (attempt %ld of %ld)",
		       x->o->lock_timeout_ms, ms, attempt + 2, x->o->retries + 1);
		xexec_sleep(ms);
	}
}

static int unit_steps(xexec *x, const sl_xsql *q)
{
	int rc = set_timeout(x);
	size_t i = 0;
	for (; !rc && i < q->n; i++) {
		for (long attempt = 0;; attempt++) {
			rc = run_one(x, &q->items[i]);
			if (!rc || !lock_failed(x) || attempt >= x->o->retries ||
			    (q->items[i].flags & SL_XS_SESSION))
				break;
			long ms = backoff(attempt + 1);
			notice(x,
			       "a lock was not granted within %ld ms; trying again in %ld ms (attempt %ld of "
			       "%ld)",
			       x->o->lock_timeout_ms, ms, attempt + 2, x->o->retries + 1);
			xexec_sleep(ms);
		}
		if (rc)
			sl_error_prefix("%.200s", q->items[i].sql);
	}
	if (rc) {
		saved_err s;
		save_err(&s, rc);
		for (; i < q->n; i++)
			if (q->items[i].flags & SL_XS_CLEANUP)
				run_one(x, &q->items[i]);
		rc = restore_err(&s);
	}
	return rc;
}

int xexec_unit(xexec *x, const sl_xact *acts, size_t n)
{
	sl_xsql q = { 0 };
	int rc = render(x, acts, n, &q);
	if (!rc && x->d->coalesce)
		rc = x->d->coalesce(&q);
	bool tx = sl_conn_has(x->c, SL_CAP_TRANSACTIONAL_DDL);
	for (size_t i = 0; i < q.n; i++)
		tx = tx && !(q.items[i].flags & SL_XS_NO_TX);
	if (!rc && q.n)
		rc = tx ? unit_tx(x, &q) : unit_steps(x, &q);
	sl_xsql_free(&q);
	return rc;
}

int xexec_sql(xexec *x, const char *sql, unsigned flags)
{
	sl_xsql q = { 0 };
	int rc = sl_xsql_add(&q, flags, sql);
	if (!rc)
		rc = unit_steps(x, &q);
	sl_xsql_free(&q);
	return rc;
}
