/*
 * progress.c - where a distributed run stands, read from the work tables:
 * per table (chunks done, running, failed; rows against the estimate) and
 * per worker (attempts finished, held, lost; rows and rows/s), with the
 * run's throughput and ETA (`sluice status --distributed`, the
 * coordinator's progress line). PostgreSQL SQL, like store.c.
 */
#include "dist_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sluice/error.h"
#include "sluice/util.h"

static int table_row(const sl_value *row, void *ud)
{
	sl_dist_progress *p = ud;
	sl_dist_table_progress *v = realloc(p->tables, (p->ntables + 1) * sizeof(*v));
	if (!v)
		return sl_error_nomem();
	p->tables = v;
	sl_dist_table_progress *t = &v[p->ntables++];
	memset(t, 0, sizeof(*t));
	dist_text(t->table, sizeof(t->table), &row[0]);
	t->chunks = (int)dist_i64(&row[1]);
	t->done = (int)dist_i64(&row[2]);
	t->running = (int)dist_i64(&row[3]);
	t->failed = (int)dist_i64(&row[4]);
	t->expected = dist_i64(&row[5]);
	t->rows = dist_i64(&row[6]);
	t->missing = dist_i64(&row[7]);
	t->extra = dist_i64(&row[8]);
	t->changed = dist_i64(&row[9]);
	p->chunks += t->chunks;
	p->done += t->done;
	p->running += t->running;
	p->failed += t->failed;
	p->expected += t->expected;
	p->rows += t->rows;
	return 0;
}

static int worker_row(const sl_value *row, void *ud)
{
	sl_dist_progress *p = ud;
	sl_dist_worker_progress *v = realloc(p->workers, (p->nworkers + 1) * sizeof(*v));
	if (!v)
		return sl_error_nomem();
	p->workers = v;
	sl_dist_worker_progress *w = &v[p->nworkers++];
	memset(w, 0, sizeof(*w));
	dist_text(w->worker, sizeof(w->worker), &row[0]);
	w->done = (int)dist_i64(&row[1]);
	w->running = (int)dist_i64(&row[2]);
	w->lost = (int)dist_i64(&row[3]);
	w->rows = dist_i64(&row[4]);
	w->seconds = dist_f64(&row[5]);
	w->last_seen_ago = dist_f64(&row[6]);
	p->attempts += dist_i64(&row[7]);
	p->done_records += w->done;
	return 0;
}

static int attempt_row(const sl_value *row, void *ud)
{
	sl_dist_progress *p = ud;
	sl_dist_attempt_info *v = realloc(p->log, (p->nlog + 1) * sizeof(*v));
	if (!v)
		return sl_error_nomem();
	p->log = v;
	sl_dist_attempt_info *a = &v[p->nlog++];
	memset(a, 0, sizeof(*a));
	dist_text(a->table, sizeof(a->table), &row[0]);
	a->chunk = (int)dist_i64(&row[1]);
	a->attempt = (int)dist_i64(&row[2]);
	dist_text(a->worker, sizeof(a->worker), &row[3]);
	dist_text(a->outcome, sizeof(a->outcome), &row[4]);
	dist_text(a->source_pos, sizeof(a->source_pos), &row[5]);
	a->error = dist_strdup(&row[6]);
	return 0;
}

/* The attempt log of the run into p->log. b is scratch. */
static int get_attempts(sl_dist *d, sl_buf *b, const char *run_id, sl_dist_progress *p)
{
	sl_buf_clear(b);
	int rc = sl_buf_puts(
		b, "SELECT c.tbl, a.chunk, a.attempt, a.worker, a.outcome, COALESCE(a.source_pos, ''), "
		   "a.error FROM " DIST_ATTEMPT_TABLE " a JOIN " DIST_CHUNK_TABLE
		   " c USING (run_id, chunk) WHERE a.run_id = ");
	if (!rc)
		rc = dist_q(d, b, run_id);
	if (!rc)
		rc = sl_buf_puts(b, " ORDER BY a.chunk, a.attempt");
	return rc ? rc : dist_rows(d, b->ptr, 7, attempt_row, p);
}

static int elapsed_row(const sl_value *row, void *ud)
{
	sl_dist_progress *p = ud;
	p->elapsed = dist_f64(&row[0]);
	return 1;
}

int sl_dist_progress_get(sl_dist *d, const char *run_id, sl_dist_progress *out)
{
	sl_buf b = SL_BUF_INIT;
	memset(out, 0, sizeof(*out));
	out->eta_s = -1;
	int rc = sl_buf_puts(
		&b, "SELECT tbl, count(*), count(*) FILTER (WHERE status = 'done'), "
		    "count(*) FILTER (WHERE status = 'running'), count(*) FILTER (WHERE status = "
		    "'failed'), COALESCE(sum(expected), 0)::bigint, COALESCE(sum(rows_written), 0)::bigint, "
		    "COALESCE(sum((result->>'missing')::bigint), 0)::bigint, "
		    "COALESCE(sum((result->>'extra')::bigint), 0)::bigint, "
		    "COALESCE(sum((result->>'changed')::bigint), 0)::bigint FROM " DIST_CHUNK_TABLE
		    " WHERE run_id = ");
	if (!rc)
		rc = dist_q(d, &b, run_id);
	if (!rc)
		rc = sl_buf_puts(&b, " GROUP BY tbl ORDER BY tbl");
	if (!rc)
		rc = dist_rows(d, b.ptr, 10, table_row, out);
	sl_buf_clear(&b);
	if (!rc)
		rc = sl_buf_puts(
			&b,
			"SELECT a.worker, count(*) FILTER (WHERE a.outcome = 'done'), "
			"count(*) FILTER (WHERE a.outcome = 'running'), count(*) FILTER (WHERE "
			"a.outcome IN ('expired', 'fenced')), COALESCE(sum(CASE a.outcome WHEN 'done' "
			"THEN a.rows_written WHEN 'running' THEN c.rows_written ELSE 0 END), 0)::bigint, "
			"extract(epoch FROM max(COALESCE(a.ended_at, now())) - min(a.started_at))::float8, "
			"extract(epoch FROM now() - max(GREATEST(a.started_at, COALESCE(a.ended_at, "
			"a.started_at), CASE a.outcome WHEN 'running' THEN c.lease_until - "
			"make_interval(secs "
			"=> r.lease_s) END)))::float8, count(*) FROM " DIST_ATTEMPT_TABLE
			" a JOIN " DIST_CHUNK_TABLE " c USING (run_id, chunk) JOIN " DIST_RUN_TABLE
			" r ON r.id = a.run_id WHERE a.run_id = ");
	if (!rc)
		rc = dist_q(d, &b, run_id);
	if (!rc)
		rc = sl_buf_puts(&b, " GROUP BY a.worker ORDER BY a.worker");
	if (!rc)
		rc = dist_rows(d, b.ptr, 8, worker_row, out);
	if (!rc)
		rc = get_attempts(d, &b, run_id, out);
	sl_buf_clear(&b);
	if (!rc)
		rc = sl_buf_puts(
			&b,
			"SELECT extract(epoch FROM COALESCE((SELECT max(a.ended_at) FROM " DIST_ATTEMPT_TABLE
			" a WHERE a.run_id = r.id AND NOT EXISTS (SELECT 1 FROM " DIST_CHUNK_TABLE
			" c WHERE c.run_id = r.id AND c.status <> 'done')), now()) - COALESCE((SELECT "
			"min(a.started_at) FROM " DIST_ATTEMPT_TABLE
			" a WHERE a.run_id = r.id), now()))::float8 "
			"FROM " DIST_RUN_TABLE " r WHERE r.id = ");
	if (!rc)
		rc = dist_q(d, &b, run_id);
	if (!rc) {
		rc = dist_rows(d, b.ptr, 1, elapsed_row, out);
		rc = rc == 1 ? 0 : rc;
	}
	if (!rc && out->elapsed > 0)
		out->rows_per_s = (double)out->rows / out->elapsed;
	if (!rc && out->rows_per_s > 0 && out->expected >= out->rows)
		out->eta_s = (double)(out->expected - out->rows) / out->rows_per_s;
	if (rc)
		sl_error_prefix("read the progress of run %s", run_id);
	sl_buf_free(&b);
	return rc;
}

void sl_dist_progress_free(sl_dist_progress *p)
{
	for (size_t i = 0; i < p->nlog; i++)
		free(p->log[i].error);
	free(p->log);
	free(p->tables);
	free(p->workers);
	memset(p, 0, sizeof(*p));
}

static void fmt_eta(char *out, size_t n, double s)
{
	if (s < 0)
		snprintf(out, n, "?");
	else if (s < 120)
		snprintf(out, n, "%.0fs", s);
	else
		snprintf(out, n, "%.0fm%02.0fs", s / 60 - 0.5, s - 60 * (double)(int64_t)(s / 60));
}

/* The failed attempts, the last ten, with their errors. */
static int text_failures(sl_buf *out, const sl_dist_progress *p)
{
	size_t nf = 0, shown = 0;
	int rc = 0;
	for (size_t i = 0; i < p->nlog; i++)
		nf += p->log[i].error != NULL;
	for (size_t i = 0; !rc && i < p->nlog; i++) {
		const sl_dist_attempt_info *a = &p->log[i];
		if (!a->error || nf - shown++ > 10)
			continue;
		rc = sl_buf_printf(out, "failed: chunk %d (\"%s\") attempt %d on %s: %s\n", a->chunk,
				   a->table, a->attempt, a->worker, a->error);
	}
	return rc;
}

int sl_dist_progress_text(sl_buf *out, const sl_dist_run *r, const sl_dist_progress *p)
{
	char eta[32];
	bool diff = strcmp(r->kind, "diff") == 0;
	fmt_eta(eta, sizeof(eta), p->eta_s);
	int rc = sl_buf_printf(out,
			       "run %s (%s, %s): %s -> %s\n"
			       "chunks: %d done, %d running, %d failed, %d in all\n"
			       "rows: %" PRId64 " %s of ~%" PRId64 ", %.0f rows/s, elapsed %.0fs, eta %s\n"
			       "attempts: %" PRId64 " (%" PRId64 " recorded done), at most %d per chunk for "
			       "failures\n"
			       "%s: %s\n",
			       r->id, r->kind, r->state, r->source, r->target, p->done, p->running, p->failed,
			       p->chunks, p->rows, diff ? "compared" : "written", p->expected, p->rows_per_s,
			       p->elapsed, eta, p->attempts, p->done_records, r->max_attempts,
			       diff ? "snapshots" : "source snapshot",
			       r->snapshot_mode[0] ? r->snapshot_mode : "not recorded");
	if (!rc && r->finished_by[0])
		rc = sl_buf_printf(out, "post-data by: %s\n", r->finished_by);
	if (!rc)
		rc = text_failures(out, p);
	if (!rc)
		rc = sl_buf_putc(out, '\n');
	if (!rc)
		rc = sl_buf_printf(out, "%-28s %7s %6s %8s %7s %12s %12s%s\n", "table", "chunks", "done",
				   "running", "failed", "rows", "expected",
				   diff ? "  missing/extra/changed" : "");
	for (size_t i = 0; !rc && i < p->ntables; i++) {
		const sl_dist_table_progress *t = &p->tables[i];
		rc = sl_buf_printf(out, "%-28s %7d %6d %8d %7d %12" PRId64 " %12" PRId64, t->table, t->chunks,
				   t->done, t->running, t->failed, t->rows, t->expected);
		if (!rc && diff)
			rc = sl_buf_printf(out, "  %" PRId64 "/%" PRId64 "/%" PRId64, t->missing, t->extra,
					   t->changed);
		if (!rc)
			rc = sl_buf_putc(out, '\n');
	}
	if (!rc)
		rc = sl_buf_printf(out, "\n%-28s %6s %8s %6s %12s %10s %10s\n", "worker", "done", "running",
				   "lost", "rows", "rows/s", "last seen");
	for (size_t i = 0; !rc && i < p->nworkers; i++) {
		const sl_dist_worker_progress *w = &p->workers[i];
		rc = sl_buf_printf(out, "%-28s %6d %8d %6d %12" PRId64 " %10.0f %9.0fs\n", w->worker, w->done,
				   w->running, w->lost, w->rows,
				   w->seconds > 0 ? (double)w->rows / w->seconds : 0, w->last_seen_ago);
	}
	return rc;
}

int sl_dist_progress_json(sl_buf *out, const sl_dist_run *r, const sl_dist_progress *p)
{
	json_t *o =
		json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:i, s:i, s:I, s:I, s:f, s:f, s:f, s:I, s:I}",
			  "run", r->id, "kind", r->kind, "state", r->state, "source", r->source, "target",
			  r->target, "chunks", p->chunks, "done", p->done, "running", p->running, "failed",
			  p->failed, "rows", (json_int_t)p->rows, "expected", (json_int_t)p->expected,
			  "rows_per_s", p->rows_per_s, "elapsed_s", p->elapsed, "eta_s", p->eta_s, "attempts",
			  (json_int_t)p->attempts, "done_records", (json_int_t)p->done_records);
	json_t *tables = json_array(), *workers = json_array(), *log = json_array();
	int rc = o && tables && workers && log ? 0 : sl_error_nomem();
	if (!rc &&
	    (json_object_set_new(o, "snapshot", r->snapshot[0] ? json_string(r->snapshot) : json_null()) ||
	     json_object_set_new(o, "target_snapshot",
				 r->target_snapshot[0] ? json_string(r->target_snapshot) : json_null()) ||
	     json_object_set_new(o, "snapshot_mode", json_string(r->snapshot_mode)) ||
	     json_object_set_new(o, "max_attempts", json_integer(r->max_attempts)) ||
	     json_object_set_new(o, "detached", json_boolean(r->detached)) ||
	     json_object_set_new(o, "finished_by",
				 r->finished_by[0] ? json_string(r->finished_by) : json_null())))
		rc = sl_error_nomem();
	for (size_t i = 0; !rc && i < p->nlog; i++) {
		const sl_dist_attempt_info *a = &p->log[i];
		if (json_array_append_new(log,
					  json_pack("{s:s, s:i, s:i, s:s, s:s, s:s?, s:s?}", "table",
						    a->table, "chunk", a->chunk, "attempt", a->attempt,
						    "worker", a->worker, "outcome", a->outcome, "source_pos",
						    a->source_pos[0] ? a->source_pos : NULL, "error",
						    a->error)))
			rc = sl_error_nomem();
	}
	for (size_t i = 0; !rc && i < p->ntables; i++) {
		const sl_dist_table_progress *t = &p->tables[i];
		if (json_array_append_new(tables,
					  json_pack("{s:s, s:i, s:i, s:i, s:i, s:I, s:I, s:I, s:I, s:I}",
						    "table", t->table, "chunks", t->chunks, "done", t->done,
						    "running", t->running, "failed", t->failed, "rows",
						    (json_int_t)t->rows, "expected", (json_int_t)t->expected,
						    "missing", (json_int_t)t->missing, "extra",
						    (json_int_t)t->extra, "changed", (json_int_t)t->changed)))
			rc = sl_error_nomem();
	}
	for (size_t i = 0; !rc && i < p->nworkers; i++) {
		const sl_dist_worker_progress *w = &p->workers[i];
		if (json_array_append_new(workers,
					  json_pack("{s:s, s:i, s:i, s:i, s:I, s:f, s:f}", "worker",
						    w->worker, "done", w->done, "running", w->running, "lost",
						    w->lost, "rows", (json_int_t)w->rows, "seconds",
						    w->seconds, "last_seen_ago_s", w->last_seen_ago)))
			rc = sl_error_nomem();
	}
	if (!rc && (json_object_set(o, "tables", tables) || json_object_set(o, "workers", workers) ||
		    json_object_set(o, "attempt_log", log)))
		rc = sl_error_nomem();
	char *s = rc ? NULL : json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!rc && !s)
		rc = sl_error_nomem();
	if (!rc)
		rc = sl_buf_printf(out, "%s\n", s);
	free(s);
	json_decref(tables);
	json_decref(workers);
	json_decref(log);
	json_decref(o);
	return rc;
}
