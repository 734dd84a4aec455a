/*
 * watch.c - `sluice watch` in the state store (include/sluice/state.h,
 * docs/state.md): watch_runs (one row per run, written when it starts and
 * completed with its outcome, so a killed run shows as unfinished),
 * watch_figures (what each run measured), watch_events (changes of state
 * and of gaps, with the hook's payload and how the hook went) and watch_gaps
 * (stretches of runs that could not reach a database). State store version 6.
 */
#include "state_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/arena.h"
#include "sluice/error.h"

/* Version 6 of the store's schema (state.c, migrate_schema). */
static const char watch_sql[] = "CREATE TABLE IF NOT EXISTS watch_runs ("
				" id INTEGER PRIMARY KEY,"
				" started_at TEXT NOT NULL,"
				" finished_at TEXT,"
				" target TEXT NOT NULL,"
				" source TEXT,"
				" checks TEXT NOT NULL,"
				" status TEXT,"
				" complete INTEGER,"
				" state TEXT,"
				" gap_reason TEXT,"
				" duration_ms INTEGER);"
				"CREATE TABLE IF NOT EXISTS watch_figures ("
				" run_id INTEGER NOT NULL REFERENCES watch_runs (id),"
				" seq INTEGER NOT NULL,"
				" check_name TEXT NOT NULL,"
				" item TEXT NOT NULL,"
				" value REAL,"
				" unit TEXT,"
				" level TEXT NOT NULL,"
				" threshold TEXT,"
				" detail TEXT,"
				" duration_ms INTEGER,"
				" PRIMARY KEY (run_id, seq));"
				"CREATE TABLE IF NOT EXISTS watch_events ("
				" id INTEGER PRIMARY KEY,"
				" run_id INTEGER REFERENCES watch_runs (id),"
				" target TEXT,"
				" at TEXT NOT NULL,"
				" kind TEXT NOT NULL,"
				" state TEXT,"
				" previous TEXT,"
				" payload TEXT,"
				" hook TEXT,"
				" hook_exit INTEGER,"
				" hook_ms INTEGER,"
				" hook_error TEXT);"
				"CREATE TABLE IF NOT EXISTS watch_gaps ("
				" id INTEGER PRIMARY KEY,"
				" target TEXT NOT NULL,"
				" started_at TEXT NOT NULL,"
				" ended_at TEXT,"
				" first_run_id INTEGER NOT NULL,"
				" last_run_id INTEGER NOT NULL,"
				" runs INTEGER NOT NULL,"
				" reason TEXT);"
				"CREATE INDEX IF NOT EXISTS watch_runs_target_idx ON watch_runs (target, id)";

int sl_state_watch_schema(sl_conn *c)
{
	return sl_conn_exec(c, watch_sql);
}

/* Appends sep and text as a literal (NULL: NULL), when *rc is still 0. */
static void put(sl_state *s, sl_buf *b, int *rc, const char *sep, const char *text)
{
	if (!*rc)
		*rc = sl_buf_puts(b, sep);
	if (!*rc)
		*rc = sl_state_put_text(s, b, text);
}

int sl_state_watch_begin(sl_state *s, int64_t *out_id, const sl_state_watch_run *r)
{
	char now[40];
	sl_buf sql = SL_BUF_INIT;
	int rc = 0;
	sl_state_now_utc(now, sizeof(now));
	put(s, &sql, &rc, "INSERT INTO watch_runs (started_at, target, source, checks) VALUES (", now);
	put(s, &sql, &rc, ", ", r->target ? r->target : "");
	put(s, &sql, &rc, ", ", r->source);
	put(s, &sql, &rc, ", ", r->checks ? r->checks : "");
	if (!rc)
		rc = sl_buf_puts(&sql, ")");
	if (!rc)
		rc = sl_conn_exec(s->conn, sl_buf_cstr(&sql));
	if (!rc)
		rc = sl_conn_query_int(s->conn, "SELECT last_insert_rowid()", out_id);
	sl_buf_free(&sql);
	if (rc)
		sl_error_prefix("record watch run in \"%s\"", s->path);
	return rc;
}

static int add_figure(sl_state *s, int64_t run_id, size_t seq, const sl_state_watch_figure *f)
{
	sl_buf sql = SL_BUF_INIT;
	int rc =
		sl_buf_printf(&sql,
			      "INSERT INTO watch_figures (run_id, seq, check_name, item, value, unit, level, "
			      "threshold, detail, duration_ms) VALUES (%lld, %zu",
			      (long long)run_id, seq);
	put(s, &sql, &rc, ", ", f->check);
	put(s, &sql, &rc, ", ", f->item);
	if (!rc)
		rc = isfinite(f->value) ? sl_buf_printf(&sql, ", %.17g", f->value)
					: sl_buf_puts(&sql, ", NULL");
	put(s, &sql, &rc, ", ", f->unit);
	put(s, &sql, &rc, ", ", f->level);
	put(s, &sql, &rc, ", ", f->threshold);
	put(s, &sql, &rc, ", ", f->detail);
	if (!rc)
		rc = sl_buf_printf(&sql, ", %lld)", (long long)f->duration_ms);
	if (!rc)
		rc = sl_conn_exec(s->conn, sl_buf_cstr(&sql));
	sl_buf_free(&sql);
	return rc;
}

/* The id of target's open gap, or 0. */
static int open_gap(sl_state *s, const char *target, int64_t *id)
{
	sl_buf q = SL_BUF_INIT;
	int rc = 0;
	*id = 0;
	put(s, &q, &rc,
	    "SELECT coalesce(max(id), 0) FROM watch_gaps WHERE ended_at IS NULL AND target = ", target);
	if (!rc)
		rc = sl_conn_query_int(s->conn, sl_buf_cstr(&q), id);
	sl_buf_free(&q);
	return rc;
}

/* Opens, extends or closes the gap for run id (see sl_state_watch_finish). */
static int track_gap(sl_state *s, int64_t id, const sl_state_watch_run *r, sl_state_watch_gap_change *g)
{
	sl_buf sql = SL_BUF_INIT;
	int64_t gap = 0;
	char *started = NULL;
	int rc = open_gap(s, r->target ? r->target : "", &gap);
	if (rc || strcmp(r->status, "stopped") == 0 || (r->complete && !gap))
		goto done;
	if (!r->complete && gap) {
		rc = sl_buf_printf(&sql, "UPDATE watch_gaps SET runs = runs + 1, last_run_id = %lld",
				   (long long)id);
		put(s, &sql, &rc, ", reason = ", r->gap_reason);
		if (!rc)
			rc = sl_buf_printf(&sql, " WHERE id = %lld", (long long)gap);
	} else if (!r->complete) {
		rc = sl_buf_puts(
			&sql,
			"INSERT INTO watch_gaps (target, started_at, first_run_id, last_run_id, runs, reason)"
			" SELECT target, started_at, id, id, 1, ");
		if (!rc)
			rc = sl_state_put_text(s, &sql, r->gap_reason);
		if (!rc)
			rc = sl_buf_printf(&sql, " FROM watch_runs WHERE id = %lld", (long long)id);
		g->change = 1;
	} else {
		rc = sl_buf_printf(
			&sql,
			"UPDATE watch_gaps SET ended_at = (SELECT started_at FROM watch_runs WHERE id = "
			"%lld) WHERE id = %lld",
			(long long)id, (long long)gap);
		g->change = -1;
		g->gap_id = gap;
	}
	if (!rc)
		rc = sl_conn_exec(s->conn, sl_buf_cstr(&sql));
	if (!rc && g->change == 1)
		rc = sl_conn_query_int(s->conn, "SELECT last_insert_rowid()", &g->gap_id);
	sl_buf_clear(&sql);
	if (!rc && g->change)
		rc = sl_buf_printf(&sql, "SELECT started_at FROM watch_gaps WHERE id = %lld",
				   (long long)g->gap_id);
	if (!rc && g->change)
		rc = sl_conn_query_text(s->conn, sl_buf_cstr(&sql), &started);
	if (!rc && started)
		snprintf(g->started_at, sizeof(g->started_at), "%s", started);
	sl_buf_clear(&sql);
	if (!rc && g->change)
		rc = sl_buf_printf(&sql, "SELECT runs FROM watch_gaps WHERE id = %lld", (long long)g->gap_id);
	if (!rc && g->change)
		rc = sl_conn_query_int(s->conn, sl_buf_cstr(&sql), &g->runs);
done:
	free(started);
	sl_buf_free(&sql);
	return rc;
}

int sl_state_watch_finish(sl_state *s, int64_t id, const sl_state_watch_run *r,
			  sl_state_watch_gap_change *gap)
{
	char now[40];
	sl_buf sql = SL_BUF_INIT;
	sl_state_watch_gap_change local = { 0 };
	sl_state_watch_gap_change *g = gap ? gap : &local;
	memset(g, 0, sizeof(*g));
	sl_state_now_utc(now, sizeof(now));
	int rc = sl_conn_begin(s->conn);
	for (size_t i = 0; !rc && i < r->nfigures; i++)
		rc = add_figure(s, id, i, &r->figures[i]);
	put(s, &sql, &rc, "UPDATE watch_runs SET finished_at = ", now);
	put(s, &sql, &rc, ", status = ", r->status);
	if (!rc)
		rc = sl_buf_printf(&sql, ", complete = %d", r->complete ? 1 : 0);
	put(s, &sql, &rc, ", state = ", r->state);
	put(s, &sql, &rc, ", gap_reason = ", r->gap_reason);
	if (!rc)
		rc = sl_buf_printf(&sql, ", duration_ms = %lld WHERE id = %lld", (long long)r->duration_ms,
				   (long long)id);
	if (!rc)
		rc = sl_conn_exec(s->conn, sl_buf_cstr(&sql));
	if (!rc)
		rc = track_gap(s, id, r, g);
	if (!rc)
		rc = sl_conn_commit(s->conn);
	else if (sl_conn_in_transaction(s->conn))
		sl_conn_rollback(s->conn);
	sl_buf_free(&sql);
	if (rc)
		sl_error_prefix("record watch run %lld in \"%s\"", (long long)id, s->path);
	return rc;
}

int sl_state_watch_event_add(sl_state *s, int64_t *out_id, const sl_state_watch_event *e, bool with_hook)
{
	char now[40];
	sl_buf sql = SL_BUF_INIT;
	int rc = 0;
	sl_state_now_utc(now, sizeof(now));
	if (e->run_id > 0)
		rc = sl_buf_printf(
			&sql,
			"INSERT INTO watch_events (run_id, target, at, kind, state, previous, payload, "
			"hook) VALUES (%lld",
			(long long)e->run_id);
	else
		rc = sl_buf_puts(&sql, "INSERT INTO watch_events (run_id, target, at, kind, state, previous, "
				       "payload, hook) VALUES (NULL");
	put(s, &sql, &rc, ", ", e->target);
	put(s, &sql, &rc, ", ", e->at ? e->at : now);
	put(s, &sql, &rc, ", ", e->kind);
	put(s, &sql, &rc, ", ", e->state);
	put(s, &sql, &rc, ", ", e->previous);
	put(s, &sql, &rc, ", ", e->payload);
	put(s, &sql, &rc, ", ", with_hook ? "pending" : NULL);
	if (!rc)
		rc = sl_buf_puts(&sql, ")");
	if (!rc)
		rc = sl_conn_exec(s->conn, sl_buf_cstr(&sql));
	if (!rc && out_id)
		rc = sl_conn_query_int(s->conn, "SELECT last_insert_rowid()", out_id);
	sl_buf_free(&sql);
	if (rc)
		sl_error_prefix("record watch event in \"%s\"", s->path);
	return rc;
}

int sl_state_watch_event_hook(sl_state *s, int64_t id, const char *hook, int exit_code, int64_t ms,
			      const char *error)
{
	sl_buf sql = SL_BUF_INIT;
	int rc = 0;
	put(s, &sql, &rc, "UPDATE watch_events SET hook = ", hook);
	if (!rc)
		rc = sl_buf_printf(&sql, ", hook_exit = %d, hook_ms = %lld", exit_code, (long long)ms);
	put(s, &sql, &rc, ", hook_error = ", error);
	if (!rc)
		rc = sl_buf_printf(&sql, " WHERE id = %lld", (long long)id);
	if (!rc)
		rc = sl_conn_exec(s->conn, sl_buf_cstr(&sql));
	sl_buf_free(&sql);
	if (rc)
		sl_error_prefix("record the hook of watch event %lld in \"%s\"", (long long)id, s->path);
	return rc;
}

int sl_state_watch_state(sl_state *s, const char *target, char *out, size_t n)
{
	char *st = NULL;
	sl_buf q = SL_BUF_INIT;
	int rc = sl_buf_puts(&q, "SELECT (SELECT state FROM watch_runs WHERE state IS NOT NULL");
	if (target)
		put(s, &q, &rc, " AND target = ", target);
	if (!rc)
		rc = sl_buf_puts(&q, " ORDER BY id DESC LIMIT 1)");
	if (!rc)
		rc = sl_conn_query_text(s->conn, sl_buf_cstr(&q), &st);
	sl_buf_free(&q);
	snprintf(out, n, "%s", !rc && st ? st : "");
	free(st);
	if (rc)
		sl_error_prefix("read the watch state in \"%s\"", s->path);
	return rc;
}

/* ---- reading ---- */

/* Batch text is not NUL-terminated: copied into a, reset by the caller. */
static const char *text_of(sl_arena *a, const sl_value *v)
{
	return v->type == SL_V_TEXT ? sl_arena_strndup(a, v->u.s.ptr, v->u.s.len) : NULL;
}

static int64_t int_of(const sl_value *v, int64_t dflt)
{
	return v->type == SL_V_INT ? v->u.i : dflt;
}

static double real_of(const sl_value *v)
{
	return v->type == SL_V_DOUBLE ? v->u.d : v->type == SL_V_INT ? (double)v->u.i : NAN;
}

typedef int (*row_fn)(sl_arena *a, const sl_value *row, void *ud);

/* Runs query on the store and calls fn for each row; a's strings are valid during the call. */
static int each_row(sl_state *s, const char *query, row_fn fn, void *ud)
{
	sl_cursor *cur = NULL;
	sl_batch b = { 0 };
	bool ready = false;
	sl_arena *a = sl_arena_new(4096);
	int rc = a ? sl_conn_query(&cur, s->conn, query) : sl_error_nomem();
	if (!rc && !(rc = sl_batch_init(&b, sl_cursor_ncols(cur), 64)))
		ready = true;
	while (!rc) {
		sl_batch_reset(&b);
		int n = sl_cursor_fetch(cur, &b, 64);
		if (n <= 0) {
			rc = n;
			break;
		}
		for (size_t i = 0; !rc && i < b.nrows; i++) {
			rc = fn(a, sl_batch_row(&b, i), ud);
			sl_arena_reset(a);
		}
	}
	sl_cursor_close(cur);
	if (ready)
		sl_batch_free(&b);
	sl_arena_free(a);
	return rc;
}

/* The runs being read: copied out of the cursor first, since figures need a second query. */
typedef struct runs_read {
	sl_arena *a;
	sl_state_watch_run *runs;
	size_t n, cap;
	size_t *nfig, *capfig; /* per run, while figures are read */
	sl_state_watch_figure **figs;
} runs_read;

static const char *keep(sl_arena *a, const char *s)
{
	return s ? sl_arena_strdup(a, s) : NULL;
}

static int read_run(sl_arena *tmp, const sl_value *v, void *ud)
{
	runs_read *x = ud;
	sl_state_watch_run *r = sl_arena_push(x->a, &x->runs, &x->n, &x->cap, sizeof(*r));
	if (!r)
		return sl_error_nomem();
	*r = (sl_state_watch_run){
		.id = int_of(&v[0], 0),
		.started_at = keep(x->a, text_of(tmp, &v[1])),
		.finished_at = keep(x->a, text_of(tmp, &v[2])),
		.target = keep(x->a, text_of(tmp, &v[3])),
		.source = keep(x->a, text_of(tmp, &v[4])),
		.checks = keep(x->a, text_of(tmp, &v[5])),
		.status = keep(x->a, text_of(tmp, &v[6])),
		.complete = int_of(&v[7], 0) != 0,
		.state = keep(x->a, text_of(tmp, &v[8])),
		.gap_reason = keep(x->a, text_of(tmp, &v[9])),
		.duration_ms = int_of(&v[10], 0),
	};
	return 0;
}

static int read_figure(sl_arena *tmp, const sl_value *v, void *ud)
{
	runs_read *x = ud;
	int64_t run = int_of(&v[0], 0);
	size_t lo = 0, hi = x->n; /* runs are newest first: ids descending */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (x->runs[mid].id > run)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t i = lo;
	if (i == x->n || x->runs[i].id != run)
		return 0;
	sl_state_watch_figure *f = sl_arena_push(x->a, &x->figs[i], &x->nfig[i], &x->capfig[i], sizeof(*f));
	if (!f)
		return sl_error_nomem();
	*f = (sl_state_watch_figure){
		.check = keep(x->a, text_of(tmp, &v[1])),
		.item = keep(x->a, text_of(tmp, &v[2])),
		.value = real_of(&v[3]),
		.unit = keep(x->a, text_of(tmp, &v[4])),
		.level = keep(x->a, text_of(tmp, &v[5])),
		.threshold = keep(x->a, text_of(tmp, &v[6])),
		.detail = keep(x->a, text_of(tmp, &v[7])),
		.duration_ms = int_of(&v[8], 0),
	};
	return 0;
}

int sl_state_watch_runs(sl_state *s, size_t limit, sl_state_watch_run_cb cb, void *ud)
{
	runs_read x = { .a = sl_arena_new(8192) };
	sl_buf q = SL_BUF_INIT;
	int rc = x.a ? 0 : sl_error_nomem();
	if (!rc)
		rc = sl_buf_puts(
			&q, "SELECT id, started_at, finished_at, target, source, checks, status, complete,"
			    " state, gap_reason, duration_ms FROM watch_runs ORDER BY id DESC");
	if (!rc && limit)
		rc = sl_buf_printf(&q, " LIMIT %zu", limit);
	if (!rc)
		rc = each_row(s, sl_buf_cstr(&q), read_run, &x);
	if (!rc && x.n) {
		x.nfig = sl_arena_calloc(x.a, x.n, sizeof(size_t));
		x.capfig = sl_arena_calloc(x.a, x.n, sizeof(size_t));
		x.figs = sl_arena_calloc(x.a, x.n, sizeof(*x.figs));
		if (!x.nfig || !x.capfig || !x.figs)
			rc = sl_error_nomem();
		sl_buf_clear(&q);
		if (!rc)
			rc = sl_buf_printf(
				&q,
				"SELECT run_id, check_name, item, value, unit, level, threshold, detail,"
				" duration_ms FROM watch_figures WHERE run_id >= %lld AND run_id <= %lld"
				" ORDER BY run_id, seq",
				(long long)x.runs[x.n - 1].id, (long long)x.runs[0].id);
		if (!rc)
			rc = each_row(s, sl_buf_cstr(&q), read_figure, &x);
	}
	for (size_t i = 0; !rc && i < x.n; i++) {
		x.runs[i].figures = x.figs[i];
		x.runs[i].nfigures = x.nfig[i];
		rc = cb(&x.runs[i], ud);
	}
	sl_buf_free(&q);
	sl_arena_free(x.a);
	return rc;
}

typedef struct event_read {
	sl_state_watch_event_cb cb;
	sl_state_watch_gap_cb gcb;
	void *ud;
} event_read;

static int read_event(sl_arena *a, const sl_value *v, void *ud)
{
	event_read *x = ud;
	sl_state_watch_event e = {
		.id = int_of(&v[0], 0),
		.run_id = int_of(&v[1], 0),
		.at = text_of(a, &v[2]),
		.kind = text_of(a, &v[3]),
		.state = text_of(a, &v[4]),
		.previous = text_of(a, &v[5]),
		.payload = text_of(a, &v[6]),
		.hook = text_of(a, &v[7]),
		.hook_exit = (int)int_of(&v[8], -1),
		.hook_ms = int_of(&v[9], 0),
		.hook_error = text_of(a, &v[10]),
		.target = text_of(a, &v[11]),
	};
	return x->cb(&e, x->ud);
}

static int events(sl_state *s, const char *where, const char *order, size_t limit, sl_state_watch_event_cb cb,
		  void *ud)
{
	event_read x = { .cb = cb, .ud = ud };
	sl_buf q = SL_BUF_INIT;
	int rc = sl_buf_printf(
		&q,
		"SELECT id, run_id, at, kind, state, previous, payload, hook, hook_exit, hook_ms,"
		" hook_error, target FROM watch_events%s ORDER BY id %s",
		where, order);
	if (!rc && limit)
		rc = sl_buf_printf(&q, " LIMIT %zu", limit);
	if (!rc)
		rc = each_row(s, sl_buf_cstr(&q), read_event, &x);
	sl_buf_free(&q);
	return rc;
}

int sl_state_watch_events(sl_state *s, size_t limit, sl_state_watch_event_cb cb, void *ud)
{
	return events(s, "", "DESC", limit, cb, ud);
}

int sl_state_watch_pending(sl_state *s, sl_state_watch_event_cb cb, void *ud)
{
	return events(s, " WHERE hook = 'pending'", "ASC", 0, cb, ud);
}

static int read_gap(sl_arena *a, const sl_value *v, void *ud)
{
	event_read *x = ud;
	sl_state_watch_gap g = {
		.id = int_of(&v[0], 0),
		.started_at = text_of(a, &v[1]),
		.ended_at = text_of(a, &v[2]),
		.first_run_id = int_of(&v[3], 0),
		.last_run_id = int_of(&v[4], 0),
		.runs = int_of(&v[5], 0),
		.reason = text_of(a, &v[6]),
		.target = text_of(a, &v[7]),
	};
	return x->gcb(&g, x->ud);
}

int sl_state_watch_gaps(sl_state *s, size_t limit, sl_state_watch_gap_cb cb, void *ud)
{
	event_read x = { .gcb = cb, .ud = ud };
	sl_buf q = SL_BUF_INIT;
	int rc = sl_buf_puts(&q, "SELECT id, started_at, ended_at, first_run_id, last_run_id, runs, reason,"
				 " target FROM watch_gaps ORDER BY id DESC");
	if (!rc && limit)
		rc = sl_buf_printf(&q, " LIMIT %zu", limit);
	if (!rc)
		rc = each_row(s, sl_buf_cstr(&q), read_gap, &x);
	sl_buf_free(&q);
	return rc;
}

typedef struct targets_read {
	sl_state_watch_target_cb cb;
	void *ud;
} targets_read;

static int read_target(sl_arena *a, const sl_value *v, void *ud)
{
	targets_read *x = ud;
	sl_state_watch_target t = {
		.target = text_of(a, &v[0]),
		.state = text_of(a, &v[1]),
		.since = text_of(a, &v[2]),
		.previous = text_of(a, &v[3]),
		.runs = int_of(&v[4], 0),
		.last_run_id = int_of(&v[5], 0),
		.last_run_at = text_of(a, &v[6]),
		.last_status = text_of(a, &v[7]),
		.gap_id = int_of(&v[8], 0),
		.gap_started_at = text_of(a, &v[9]),
		.gap_reason = text_of(a, &v[10]),
		.gap_runs = int_of(&v[11], 0),
	};
	return x->cb(&t, x->ud);
}

int sl_state_watch_targets(sl_state *s, sl_state_watch_target_cb cb, void *ud)
{
	targets_read x = { .cb = cb, .ud = ud };
	int rc = each_row(
		s,
		"SELECT r.target,"
		" (SELECT state FROM watch_runs w WHERE w.target = r.target AND w.state IS NOT NULL"
		"  ORDER BY w.id DESC LIMIT 1),"
		" (SELECT at FROM watch_events e WHERE e.target = r.target AND e.kind = 'state'"
		"  ORDER BY e.id DESC LIMIT 1),"
		" (SELECT previous FROM watch_events e WHERE e.target = r.target AND e.kind = 'state'"
		"  ORDER BY e.id DESC LIMIT 1),"
		" r.n, r.last,"
		" (SELECT started_at FROM watch_runs w WHERE w.id = r.last),"
		" (SELECT status FROM watch_runs w WHERE w.id = r.last),"
		" g.id, g.started_at, g.reason, g.runs"
		" FROM (SELECT target, count(*) AS n, max(id) AS last FROM watch_runs GROUP BY target) r"
		" LEFT JOIN watch_gaps g ON g.id = (SELECT max(id) FROM watch_gaps o WHERE o.target = "
		"r.target"
		"  AND o.ended_at IS NULL)"
		" ORDER BY r.last DESC",
		read_target, &x);
	if (rc)
		sl_error_prefix("read the watched targets in \"%s\"", s->path);
	return rc;
}
