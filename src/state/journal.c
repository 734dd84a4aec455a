/*
 * journal.c - the cutover journal in the state store (include/sluice/journal.h,
 * docs/state.md, version 5): runs, steps, events, approval requests and
 * approvals, freeze windows and the scorecard.
 *
 * Every write is one short statement in autocommit (or one small
 * transaction), so a process killed between two writes leaves each row as
 * it was last written; the SQLite driver waits on a busy file, so the
 * cutover, the approver's `cutover approve` and the freeze watchdog can
 * write at the same time.
 */
#include "state_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"
#include "sluice/journal.h"

/* Version 5 of the store's schema (state.c, migrate_schema). */
static const char journal_sql[] =
	"CREATE TABLE IF NOT EXISTS cutover_runs ("
	" id INTEGER PRIMARY KEY,"
	" runbook TEXT NOT NULL,"
	" path TEXT,"
	" digest TEXT NOT NULL,"
	" source TEXT,"
	" target TEXT,"
	" dry_run INTEGER NOT NULL,"
	" status TEXT NOT NULL,"
	" phase TEXT,"
	" message TEXT,"
	" started_at TEXT NOT NULL,"
	" finished_at TEXT,"
	" pid INTEGER,"
	" host TEXT,"
	" os_user TEXT);"
	"CREATE INDEX IF NOT EXISTS cutover_runs_name_idx ON cutover_runs (runbook, dry_run, id);"
	"CREATE TABLE IF NOT EXISTS cutover_steps ("
	" id INTEGER PRIMARY KEY,"
	" run_id INTEGER NOT NULL REFERENCES cutover_runs (id),"
	" step TEXT NOT NULL,"
	" phase TEXT NOT NULL,"
	" type TEXT NOT NULL,"
	" path TEXT NOT NULL,"
	" attempt INTEGER NOT NULL,"
	" status TEXT NOT NULL,"
	" gate TEXT,"
	" figures TEXT,"
	" message TEXT,"
	" started_at TEXT NOT NULL,"
	" finished_at TEXT,"
	" duration_ms INTEGER);"
	"CREATE INDEX IF NOT EXISTS cutover_steps_run_idx ON cutover_steps (run_id, id);"
	"CREATE TABLE IF NOT EXISTS cutover_events ("
	" id INTEGER PRIMARY KEY,"
	" run_id INTEGER NOT NULL REFERENCES cutover_runs (id),"
	" at TEXT NOT NULL,"
	" kind TEXT NOT NULL,"
	" step TEXT,"
	" detail TEXT);"
	"CREATE INDEX IF NOT EXISTS cutover_events_run_idx ON cutover_events (run_id, id);"
	"CREATE TABLE IF NOT EXISTS cutover_requests ("
	" id INTEGER PRIMARY KEY,"
	" run_id INTEGER NOT NULL REFERENCES cutover_runs (id),"
	" step TEXT NOT NULL,"
	" digest TEXT NOT NULL,"
	" evidence TEXT NOT NULL,"
	" requested_at TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS cutover_approvals ("
	" id INTEGER PRIMARY KEY,"
	" run_id INTEGER NOT NULL REFERENCES cutover_runs (id),"
	" step TEXT NOT NULL,"
	" name TEXT NOT NULL,"
	" role TEXT NOT NULL,"
	" note TEXT,"
	" digest TEXT NOT NULL,"
	" approved_at TEXT NOT NULL,"
	" os_user TEXT);"
	"CREATE TABLE IF NOT EXISTS cutover_freezes ("
	" id INTEGER PRIMARY KEY,"
	" run_id INTEGER NOT NULL REFERENCES cutover_runs (id),"
	" phase TEXT NOT NULL,"
	" step TEXT NOT NULL,"
	" side TEXT NOT NULL,"
	" token TEXT NOT NULL,"
	" tables TEXT,"
	" method TEXT NOT NULL,"
	" budget_ms INTEGER NOT NULL,"
	" started_us INTEGER NOT NULL,"
	" deadline_us INTEGER NOT NULL,"
	" ended_us INTEGER,"
	" lifted_by TEXT,"
	" watchdog_pid INTEGER,"
	" scratch TEXT);"
	"CREATE TABLE IF NOT EXISTS cutover_scorecard ("
	" run_id INTEGER NOT NULL REFERENCES cutover_runs (id),"
	" criterion TEXT NOT NULL,"
	" type TEXT NOT NULL,"
	" phase TEXT,"
	" ok INTEGER NOT NULL,"
	" figure TEXT,"
	" limit_text TEXT,"
	" detail TEXT,"
	" evaluated_at TEXT NOT NULL,"
	" PRIMARY KEY (run_id, criterion))";

int sl_state_journal_schema(sl_conn *c)
{
	return sl_conn_exec(c, journal_sql);
}

/*
 * Builds SQL from fmt: %Q a text literal (NULL for a NULL pointer), %L an
 * int64_t, %s raw text, %% a percent sign. Values are quoted by the driver.
 */
static int build(sl_state *s, sl_buf *b, const char *fmt, va_list ap)
{
	int rc = 0;
	for (const char *p = fmt; !rc && *p; p++) {
		if (*p != '%') {
			rc = sl_buf_putc(b, *p);
			continue;
		}
		switch (*++p) {
		case 'Q':
			rc = sl_state_put_text(s, b, va_arg(ap, const char *));
			break;
		case 'L':
			rc = sl_buf_printf(b, "%lld", (long long)va_arg(ap, int64_t));
			break;
		case 's':
			rc = sl_buf_puts(b, va_arg(ap, const char *));
			break;
		case '%':
			rc = sl_buf_putc(b, '%');
			break;
		default:
			rc = sl_error_set(SL_ERROR, "journal: bad format \"%s\"", fmt);
		}
	}
	return rc;
}

static int build_fmt(sl_state *s, sl_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = build(s, b, fmt, ap);
	va_end(ap);
	return rc;
}

static int q_exec(sl_state *s, const char *fmt, ...)
{
	sl_buf b = SL_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	int rc = build(s, &b, fmt, ap);
	va_end(ap);
	if (!rc)
		rc = sl_conn_exec(s->conn, b.ptr);
	sl_buf_free(&b);
	return rc;
}

static int q_int(sl_state *s, int64_t *out, const char *fmt, ...)
{
	sl_buf b = SL_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	int rc = build(s, &b, fmt, ap);
	va_end(ap);
	if (!rc)
		rc = sl_conn_query_int(s->conn, b.ptr, out);
	sl_buf_free(&b);
	return rc;
}

static int last_id(sl_state *s, int64_t *out)
{
	return sl_conn_query_int(s->conn, "SELECT last_insert_rowid()", out);
}

static int done_(sl_state *s, int rc, const char *what)
{
	if (rc)
		sl_error_prefix("%s in the state store \"%s\"", what, s->path);
	return rc;
}

int sl_journal_run_find(sl_state *s, const char *runbook, bool dry_run, int64_t *out_id)
{
	*out_id = 0;
	int rc = q_int(s, out_id,
		       "SELECT coalesce(max(id), 0) FROM cutover_runs WHERE runbook = %Q AND dry_run = %L",
		       runbook, (int64_t)dry_run);
	return done_(s, rc, "look up cutover runs");
}

int sl_journal_run_latest(sl_state *s, bool dry_run, int64_t *ids, size_t max, size_t *n)
{
	sl_buf b = SL_BUF_INIT;
	char *list = NULL;
	*n = 0;
	int rc = max ? build_fmt(s, &b,
				 "SELECT group_concat(id) FROM (SELECT max(id) AS id FROM cutover_runs WHERE "
				 "dry_run = %L GROUP BY runbook ORDER BY 1 DESC LIMIT %L)",
				 (int64_t)dry_run, (int64_t)max)
		     : 0;
	if (!rc && max)
		rc = sl_conn_query_text(s->conn, b.ptr, &list);
	for (const char *p = list; !rc && p && *p && *n < max;) {
		char *end = NULL;
		ids[(*n)++] = strtoll(p, &end, 10);
		p = end && *end == ',' ? end + 1 : "";
	}
	/* newest first, whatever order group_concat kept */
	for (size_t i = 1; i < *n; i++)
		for (size_t k = i; k > 0 && ids[k] > ids[k - 1]; k--) {
			int64_t t = ids[k];
			ids[k] = ids[k - 1];
			ids[k - 1] = t;
		}
	free(list);
	sl_buf_free(&b);
	return done_(s, rc, "list cutover runs");
}

int sl_journal_run_begin(sl_state *s, int64_t *out_id, const sl_journal_run *r)
{
	char now[40];
	sl_state_now_utc(now, sizeof(now));
	int rc = q_exec(
		s,
		"INSERT INTO cutover_runs (runbook, path, digest, source, target, dry_run, status, phase, "
		"started_at, pid, host, os_user) VALUES (%Q, %Q, %Q, %Q, %Q, %L, 'running', NULL, %Q, %L, "
		"%Q, %Q)",
		r->runbook, r->path, r->digest, r->source, r->target, (int64_t)r->dry_run, now, r->pid,
		r->host, r->os_user);
	if (!rc)
		rc = last_id(s, out_id);
	return done_(s, rc, "record a cutover run");
}

int sl_journal_run_update(sl_state *s, int64_t id, const char *status, const char *phase, const char *message,
			  bool finished)
{
	char now[40];
	sl_state_now_utc(now, sizeof(now));
	int rc = q_exec(s,
			"UPDATE cutover_runs SET status = %Q, phase = coalesce(%Q, phase), message = %Q, "
			"finished_at = %Q WHERE id = %L",
			status, phase, message, finished ? now : NULL, id);
	return done_(s, rc, "update the cutover run");
}

int sl_journal_run_claim(sl_state *s, int64_t id, int64_t pid, const char *host, const char *digest)
{
	int rc = q_exec(s,
			"UPDATE cutover_runs SET pid = %L, host = %Q, digest = coalesce(%Q, digest), "
			"status = 'running', finished_at = NULL WHERE id = %L",
			pid, host, digest, id);
	return done_(s, rc, "claim the cutover run");
}

int sl_journal_step_begin(sl_state *s, int64_t run_id, const sl_journal_step *st, int64_t *out_row)
{
	char now[40];
	sl_state_now_utc(now, sizeof(now));
	int rc = q_exec(
		s,
		"INSERT INTO cutover_steps (run_id, step, phase, type, path, attempt, status, started_at, "
		"duration_ms) VALUES (%L, %Q, %Q, %Q, %Q, %L, 'running', %Q, -1)",
		run_id, st->step, st->phase, st->type, st->path, (int64_t)st->attempt, now);
	if (!rc)
		rc = last_id(s, out_row);
	return done_(s, rc, "journal the start of a step");
}

int sl_journal_step_figures(sl_state *s, int64_t row, const char *figures)
{
	int rc = q_exec(s, "UPDATE cutover_steps SET figures = %Q WHERE id = %L", figures, row);
	return done_(s, rc, "journal a step under way");
}

int sl_journal_step_end(sl_state *s, int64_t row, const char *status, const char *gate, const char *figures,
			const char *message, int64_t duration_ms)
{
	char now[40];
	sl_state_now_utc(now, sizeof(now));
	int rc = q_exec(s,
			"UPDATE cutover_steps SET status = %Q, gate = %Q, figures = %Q, message = %Q, "
			"finished_at = %Q, duration_ms = %L WHERE id = %L",
			status, gate, figures, message, now, duration_ms, row);
	return done_(s, rc, "journal the end of a step");
}

int sl_journal_event_add(sl_state *s, int64_t run_id, const char *kind, const char *step, const char *detail)
{
	char now[40];
	sl_state_now_utc(now, sizeof(now));
	int rc = q_exec(
		s, "INSERT INTO cutover_events (run_id, at, kind, step, detail) VALUES (%L, %Q, %Q, %Q, %Q)",
		run_id, now, kind, step, detail);
	return done_(s, rc, "journal an event");
}

int sl_journal_request_add(sl_state *s, int64_t run_id, const char *step, const char *digest,
			   const char *evidence)
{
	char now[40];
	int64_t n = 0;
	sl_state_now_utc(now, sizeof(now));
	int rc =
		q_int(s, &n,
		      "SELECT count(*) FROM cutover_requests WHERE run_id = %L AND step = %Q AND digest = %Q",
		      run_id, step, digest);
	if (!rc && n == 0)
		rc = q_exec(s,
			    "INSERT INTO cutover_requests (run_id, step, digest, evidence, requested_at) "
			    "VALUES (%L, %Q, %Q, %Q, %Q)",
			    run_id, step, digest, evidence, now);
	return done_(s, rc, "journal an approval request");
}

int sl_journal_approval_add(sl_state *s, int64_t run_id, const sl_journal_approval *a)
{
	char now[40];
	sl_state_now_utc(now, sizeof(now));
	int rc = q_exec(s,
			"INSERT INTO cutover_approvals (run_id, step, name, role, note, digest, approved_at, "
			"os_user) VALUES (%L, %Q, %Q, %Q, %Q, %Q, %Q, %Q)",
			run_id, a->step, a->name, a->role, a->note, a->digest, now, a->os_user);
	return done_(s, rc, "record an approval");
}

int sl_journal_freeze_begin(sl_state *s, int64_t run_id, const sl_journal_freeze *f, int64_t *out_id)
{
	int rc = q_exec(
		s,
		"INSERT INTO cutover_freezes (run_id, phase, step, side, token, tables, method, "
		"budget_ms, started_us, deadline_us, scratch) VALUES (%L, %Q, %Q, %Q, %Q, %Q, %Q, %L, %L, "
		"%L, %Q)",
		run_id, f->phase, f->step, f->side, f->token, f->tables, f->method, f->budget_ms,
		f->started_us, f->deadline_us, f->scratch);
	if (!rc)
		rc = last_id(s, out_id);
	return done_(s, rc, "journal a freeze");
}

int sl_journal_freeze_watchdog(sl_state *s, int64_t id, int64_t pid)
{
	return done_(s, q_exec(s, "UPDATE cutover_freezes SET watchdog_pid = %L WHERE id = %L", pid, id),
		     "journal the freeze watchdog");
}

int sl_journal_freeze_end(sl_state *s, int64_t id, int64_t ended_us, const char *lifted_by)
{
	/* the first end recorded wins: the watchdog and the run may both get there */
	int rc = q_exec(
		s,
		"UPDATE cutover_freezes SET ended_us = %L, lifted_by = %Q WHERE id = %L AND ended_us IS "
		"NULL",
		ended_us, lifted_by, id);
	return done_(s, rc, "journal the end of a freeze");
}

int sl_journal_score_set(sl_state *s, int64_t run_id, const sl_journal_score *sc)
{
	char now[40];
	sl_state_now_utc(now, sizeof(now));
	int rc = q_exec(
		s,
		"INSERT OR REPLACE INTO cutover_scorecard (run_id, criterion, type, phase, ok, figure, "
		"limit_text, detail, evaluated_at) VALUES (%L, %Q, %Q, %Q, %L, %Q, %Q, %Q, %Q)",
		run_id, sc->criterion, sc->type, sc->phase, (int64_t)sc->ok, sc->figure, sc->limit,
		sc->detail, now);
	return done_(s, rc, "record a scorecard verdict");
}

/* ---- reading a run back ---- */

/* A run being read: the journal and the room of its arrays. */
typedef struct loader {
	sl_journal *j;
	size_t cap_steps, cap_events, cap_requests, cap_approvals, cap_freezes, cap_scores;
} loader;

/* Called per row with its cells as text in the journal's arena (NULL for SQL NULL). */
typedef int (*row_fn)(loader *l, char **cells);

static int each_row(sl_state *s, loader *l, const char *sql, size_t ncols, row_fn fn)
{
	sl_cursor *cur = NULL;
	sl_batch b = { 0 };
	sl_buf cell = SL_BUF_INIT;
	char *cells[16];
	int rc = ncols <= 16 ? sl_conn_query(&cur, s->conn, sql)
			     : sl_error_set(SL_ERROR, "journal: too many columns");
	if (!rc)
		rc = sl_batch_init(&b, ncols, 64);
	while (!rc) {
		sl_batch_reset(&b);
		int n = sl_cursor_fetch(cur, &b, 64);
		if (n <= 0) {
			rc = n;
			break;
		}
		for (size_t r = 0; !rc && r < b.nrows; r++) {
			const sl_value *row = sl_batch_row(&b, r);
			for (size_t c = 0; !rc && c < ncols; c++) {
				cells[c] = NULL;
				if (row[c].type == SL_V_NULL)
					continue;
				sl_buf_clear(&cell);
				rc = sl_value_format(&cell, &row[c]);
				if (!rc && !(cells[c] = sl_arena_strdup(l->j->arena, sl_buf_cstr(&cell))))
					rc = sl_error_nomem();
			}
			if (!rc)
				rc = fn(l, cells);
		}
	}
	sl_cursor_close(cur);
	sl_batch_free(&b);
	sl_buf_free(&cell);
	return rc;
}

static int64_t num(const char *s)
{
	return s ? strtoll(s, NULL, 10) : 0;
}

static int run_row(loader *l, char **c)
{
	l->j->run = (sl_journal_run){ .id = num(c[0]),
				      .runbook = c[1],
				      .path = c[2],
				      .digest = c[3],
				      .source = c[4],
				      .target = c[5],
				      .dry_run = num(c[6]) != 0,
				      .status = c[7],
				      .phase = c[8],
				      .message = c[9],
				      .started_at = c[10],
				      .finished_at = c[11],
				      .pid = num(c[12]),
				      .host = c[13],
				      .os_user = c[14] };
	return 0;
}

static int step_row(loader *l, char **c)
{
	sl_journal *j = l->j;
	sl_journal_step *st = sl_arena_push(j->arena, &j->steps, &j->nsteps, &l->cap_steps, sizeof(*st));
	if (!st)
		return sl_error_nomem();
	*st = (sl_journal_step){ .row = num(c[0]),
				 .step = c[1],
				 .phase = c[2],
				 .type = c[3],
				 .path = c[4],
				 .attempt = (int)num(c[5]),
				 .status = c[6],
				 .gate = c[7],
				 .figures = c[8],
				 .message = c[9],
				 .started_at = c[10],
				 .finished_at = c[11],
				 .duration_ms = c[12] ? num(c[12]) : -1 };
	return 0;
}

static int event_row(loader *l, char **c)
{
	sl_journal *j = l->j;
	sl_journal_event *e = sl_arena_push(j->arena, &j->events, &j->nevents, &l->cap_events, sizeof(*e));
	if (!e)
		return sl_error_nomem();
	*e = (sl_journal_event){ .id = num(c[0]), .at = c[1], .kind = c[2], .step = c[3], .detail = c[4] };
	return 0;
}

static int request_row(loader *l, char **c)
{
	sl_journal *j = l->j;
	sl_journal_request *r =
		sl_arena_push(j->arena, &j->requests, &j->nrequests, &l->cap_requests, sizeof(*r));
	if (!r)
		return sl_error_nomem();
	*r = (sl_journal_request){ .step = c[0], .digest = c[1], .evidence = c[2], .requested_at = c[3] };
	return 0;
}

static int approval_row(loader *l, char **c)
{
	sl_journal *j = l->j;
	sl_journal_approval *a =
		sl_arena_push(j->arena, &j->approvals, &j->napprovals, &l->cap_approvals, sizeof(*a));
	if (!a)
		return sl_error_nomem();
	*a = (sl_journal_approval){ .step = c[0],
				    .name = c[1],
				    .role = c[2],
				    .note = c[3],
				    .digest = c[4],
				    .approved_at = c[5],
				    .os_user = c[6] };
	return 0;
}

static int freeze_row(loader *l, char **c)
{
	sl_journal *j = l->j;
	sl_journal_freeze *f =
		sl_arena_push(j->arena, &j->freezes, &j->nfreezes, &l->cap_freezes, sizeof(*f));
	if (!f)
		return sl_error_nomem();
	*f = (sl_journal_freeze){ .id = num(c[0]),
				  .phase = c[1],
				  .step = c[2],
				  .side = c[3],
				  .token = c[4],
				  .tables = c[5],
				  .method = c[6],
				  .budget_ms = num(c[7]),
				  .started_us = num(c[8]),
				  .deadline_us = num(c[9]),
				  .ended_us = num(c[10]),
				  .lifted_by = c[11],
				  .watchdog_pid = num(c[12]),
				  .scratch = c[13] };
	return 0;
}

static int score_row(loader *l, char **c)
{
	sl_journal *j = l->j;
	sl_journal_score *sc = sl_arena_push(j->arena, &j->scores, &j->nscores, &l->cap_scores, sizeof(*sc));
	if (!sc)
		return sl_error_nomem();
	*sc = (sl_journal_score){ .criterion = c[0],
				  .type = c[1],
				  .phase = c[2],
				  .ok = num(c[3]) != 0,
				  .figure = c[4],
				  .limit = c[5],
				  .detail = c[6],
				  .evaluated_at = c[7] };
	return 0;
}

int sl_journal_load(sl_journal **out, sl_state *s, int64_t run_id)
{
	static const struct {
		const char *sql, *order;
		size_t ncols;
		row_fn fn;
	} parts[] = {
		{ "SELECT id, runbook, path, digest, source, target, dry_run, status, phase, message, "
		  "started_at, "
		  "finished_at, pid, host, os_user FROM cutover_runs WHERE id = ",
		  "", 15, run_row },
		{ "SELECT id, step, phase, type, path, attempt, status, gate, figures, message, started_at, "
		  "finished_at, duration_ms FROM cutover_steps WHERE run_id = ",
		  " ORDER BY id", 13, step_row },
		{ "SELECT id, at, kind, step, detail FROM cutover_events WHERE run_id = ", " ORDER BY id", 5,
		  event_row },
		{ "SELECT step, digest, evidence, requested_at FROM cutover_requests WHERE run_id = ",
		  " ORDER BY id", 4, request_row },
		{ "SELECT step, name, role, note, digest, approved_at, os_user FROM cutover_approvals WHERE "
		  "run_id = ",
		  " ORDER BY id", 7, approval_row },
		{ "SELECT id, phase, step, side, token, tables, method, budget_ms, started_us, deadline_us, "
		  "ended_us, lifted_by, watchdog_pid, scratch FROM cutover_freezes WHERE run_id = ",
		  " ORDER BY id", 14, freeze_row },
		{ "SELECT criterion, type, phase, ok, figure, limit_text, detail, evaluated_at FROM "
		  "cutover_scorecard WHERE run_id = ",
		  " ORDER BY evaluated_at, criterion", 8, score_row },
	};
	loader l = { .j = calloc(1, sizeof(sl_journal)) };
	sl_buf q = SL_BUF_INIT;
	int rc = l.j && (l.j->arena = sl_arena_new(8192)) ? 0 : sl_error_nomem();
	*out = NULL;
	for (size_t i = 0; !rc && i < sizeof(parts) / sizeof(parts[0]); i++) {
		sl_buf_clear(&q);
		rc = sl_buf_printf(&q, "%s%lld%s", parts[i].sql, (long long)run_id, parts[i].order);
		if (!rc)
			rc = each_row(s, &l, q.ptr, parts[i].ncols, parts[i].fn);
	}
	if (!rc && l.j->run.id == 0)
		rc = sl_error_set(SL_ENOTFOUND, "no cutover run %lld in \"%s\"", (long long)run_id, s->path);
	sl_buf_free(&q);
	if (rc) {
		sl_journal_free(l.j);
		return done_(s, rc, "read the cutover journal");
	}
	*out = l.j;
	return 0;
}

void sl_journal_free(sl_journal *j)
{
	if (!j)
		return;
	sl_arena_free(j->arena);
	free(j);
}
