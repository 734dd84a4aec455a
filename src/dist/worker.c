/*
 * worker.c - `sluice worker`: claims chunks of distributed runs and processes
 * them until none is left (docs/commands/distributed.md, "Workers").
 *
 * A copy chunk is one part of copy's split: the worker keeps one part runner
 * (src/copy/part_runner.c) per run, with its own source and target
 * connections and its own plan, checked against the fingerprint the
 * coordinator recorded; the part runs with the chunk's attempt number as its
 * fence in the target. A diff chunk is a key range compared with the diff
 * library (diff.c). The lease is renewed between batches (copy's interrupt
 * poll is the hook); a renewal that finds a later attempt stops the chunk at
 * once, and the fence in the target rolls back the batch in flight.
 *
 * A copy chunk reads the source in the run's exported snapshot when it has
 * one (else a consistent snapshot of its own where the source has them). A
 * chunk that fails transiently (lost connection, deadlock) is recorded and
 * goes back for another attempt below the run's max_attempts; the worker
 * reopens its connections. The worker that finishes the last chunk of a run
 * planned with --detach runs the run's post-data.
 */
#include "dist_int.h"
#include "dist_work.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "sluice/error.h"
#include "sluice/util.h"

void dist_log(const dist_worker *w, const char *fmt, ...)
{
	if (!w->o->log)
		return;
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	w->o->log(w->o->log_ud, line);
}

/* ---- the lease, renewed from copy's interrupt poll ---- */

bool dist_poll(dist_worker *w)
{
	if (w->o->interrupted && w->o->interrupted(w->o->interrupt_ud)) {
		w->stopped = true;
		return true;
	}
	if (!w->chunk || w->lost)
		return w->lost;
	double now = sl_now_s();
	if (now - w->renewed < (double)w->run.lease_s / 3.0)
		return false;
	if (sl_dist_renew(w->d, w->chunk, w->run.lease_s, w->written) != 0) {
		/* a later attempt holds the chunk (or the store is gone): stop writing it */
		w->lost = true;
		dist_log(w, "worker %s: chunk %d (\"%s\" part %d) attempt %d: %s", w->o->name,
			 w->chunk->chunk, w->chunk->table, w->chunk->part, w->chunk->attempt,
			 sl_error_last()->message);
		return true;
	}
	w->renewed = now;
	return false;
}

static bool copy_interrupted(void *ud)
{
	return dist_poll(ud);
}

static void copy_event(void *ud, const sl_copy_event *ev)
{
	dist_worker *w = ud;
	if (ev->kind == SL_COPY_EV_PROGRESS) {
		w->written = ev->written;
		if (w->o->verbose && w->chunk)
			dist_log(w,
				 "worker %s: chunk %d (\"%s\" part %d/%d) attempt %d: %" PRId64
				 " rows committed",
				 w->o->name, w->chunk->chunk, ev->table, ev->part + 1, ev->nparts,
				 w->chunk->attempt, ev->written);
	} else if (ev->kind == SL_COPY_EV_NOTICE && ev->message) {
		dist_log(w, "worker %s: %s", w->o->name, ev->message);
	}
}

static int copy_connect(sl_conn **out, sl_copy_side side, void *ud)
{
	dist_worker *w = ud;
	return w->o->connect(out, &w->run, side, w->o->connect_ud);
}

int dist_opts_from_run(dist_worker *w)
{
	sl_copy_opts *o = &w->copy;
	*o = (sl_copy_opts)SL_COPY_OPTS_INIT;
	int rc = dist_copy_options(&w->run, o, &w->opts_json, &w->tables, &w->schemas);
	o->rules = w->o->rules;
	o->sensitive = w->o->sensitive;
	o->nsensitive = w->o->nsensitive;
	o->shard_tables = w->o->shard_tables;
	o->shard_columns = w->o->shard_columns;
	o->nshard = w->o->nshard;
	o->jobs = 1;
	o->connect = copy_connect;
	o->connect_ud = w;
	o->on_event = copy_event;
	o->event_ud = w;
	o->interrupted = copy_interrupted;
	o->interrupt_ud = w;
	return rc;
}

/* The part runner of w->run, opened and checked against the coordinator's plan. */
static int open_copy_runner(dist_worker *w)
{
	char fp[17];
	int rc = dist_opts_from_run(w);
	if (!rc)
		rc = sl_copy_part_runner_open(&w->runner, &w->copy, w->run.copy_run);
	if (!rc)
		rc = sl_copy_part_runner_fingerprint(w->runner, fp);
	if (!rc && strcmp(fp, w->run.fingerprint) != 0)
		rc = sl_error_set(
			SL_ECONFLICT,
			"run %s: this worker's copy plan (%s) is not the coordinator's (%s): the source "
			"schema or the cast rules of its sluice.yaml differ",
			w->run.id, fp, w->run.fingerprint);
	if (rc)
		sl_error_prefix("worker %s: run %s", w->o->name, w->run.id);
	return rc;
}

static void close_run(dist_worker *w)
{
	sl_copy_part_runner_close(w->runner);
	w->runner = NULL;
	dist_diff_close(w);
	sl_dist_run_clear(&w->run);
}

/* Makes w->run the chunk's run, opening what it needs. */
static int enter_run(dist_worker *w, const char *run_id)
{
	if (w->run.id[0] && strcmp(w->run.id, run_id) == 0)
		return 0;
	close_run(w);
	int rc = sl_dist_run_get(w->d, run_id, &w->run);
	if (!rc && strcmp(w->run.kind, "copy") == 0)
		rc = open_copy_runner(w);
	else if (!rc)
		rc = dist_diff_open(w);
	if (!rc)
		dist_log(w, "worker %s: joined %s run %s (%s -> %s)", w->o->name, w->run.kind, w->run.id,
			 w->run.source, w->run.target);
	return rc;
}

static int copy_chunk(dist_worker *w, sl_dist_chunk *c, sl_dist_outcome *out, char **result)
{
	sl_copy_part_info info = { 0 };
	(void)result;
	/* the run's exported snapshot, if it has one; else each part reads a snapshot of its own */
	int rc = sl_copy_part_runner_set_snapshot(w->runner, w->run.snapshot);
	if (!rc)
		rc = sl_copy_part_runner_run(w->runner, c->table, c->part, c->attempt, &info);
	rc = dist_snapshot_hint(rc, w->run.snapshot, "copy");
	out->source_pos = sl_copy_part_runner_source_pos(w->runner);
	out->read = info.read;
	out->written = info.written;
	out->rejected = info.rejected;
	return rc;
}

/* A data problem of this chunk alone (or its snapshot gone): recorded as failed, the worker goes on. */
static bool chunk_error(int rc)
{
	return rc == SL_EDB || rc == SL_EINVALID || rc == SL_ECHECK || rc == SL_ENOTFOUND;
}

/* A failure that may pass on another attempt: a lost connection, a deadlock, a serialization failure. */
static bool transient_error(int rc)
{
	return rc && (sl_error_is_disconnect(rc) || sl_error_is(sl_error_last(), SL_ERRCLASS_TRANSIENT));
}

/*
 * A run planned with --detach has no coordinator waiting: the worker that
 * finished its last chunk moves it to post-data (one winner, as the
 * coordinator would) and builds indexes, constraints and foreign keys.
 */
static int post_data(dist_worker *w)
{
	sl_copy_result *res = NULL;
	if (strcmp(w->run.kind, "copy") != 0 || !w->run.detached)
		return 0;
	w->chunk = NULL; /* recorded done: copy's interrupt poll renews no lease during post-data */
	if (sl_dist_run_advance(w->d, w->run.id, "loading", "post-data") != 0) {
		sl_error_clear(); /* chunks left, or another caller won */
		return 0;
	}
	dist_log(w, "worker %s: run %s: every chunk done; running post-data", w->o->name, w->run.id);
	sl_dist_run run = w->run;
	snprintf(run.state, sizeof(run.state), "post-data");
	sl_copy_opts po = w->copy;
	po.jobs = ((sl_copy_opts)SL_COPY_OPTS_INIT).jobs; /* indexes built as `--finish` would, in parallel */
	int rc = sl_dist_copy_finish(w->d, &run, &po, w->o->name, &res);
	if (!rc)
		dist_log(w, "worker %s: run %s finished: indexes, constraints and foreign keys built",
			 w->o->name, w->run.id);
	else
		dist_log(w, "worker %s: run %s: post-data failed (finish it with --finish): %s", w->o->name,
			 w->run.id, sl_error_last()->message);
	if (!rc && res && res->failed)
		dist_log(w, "worker %s: run %s: %lld tables failed", w->o->name, w->run.id,
			 (long long)res->failed);
	sl_copy_result_free(res);
	return rc;
}

static int process(dist_worker *w, sl_dist_chunk *c, sl_dist_worker_stats *st)
{
	sl_dist_outcome out = { 0 };
	char *result = NULL;
	w->chunk = c;
	w->lost = w->stopped = false;
	w->written = 0;
	w->renewed = sl_now_s();
	dist_log(w, "worker %s: chunk %d (\"%s\" part %d/%d) attempt %d", w->o->name, c->chunk, c->table,
		 c->part + 1, c->nparts, c->attempt);
	int rc = strcmp(w->run.kind, "copy") == 0 ? copy_chunk(w, c, &out, &result)
						  : dist_diff_chunk(w, c, &out, &result);
	out.result = result;
	out.transient = transient_error(rc); /* before chunk_error: a deadlock is a database error too */
	if (w->lost || rc == SL_ECONFLICT) {
		st->chunks_lost++;
		dist_log(w, "worker %s: chunk %d attempt %d given up: %s", w->o->name, c->chunk, c->attempt,
			 rc ? sl_error_last()->message : "lease lost");
		rc = 0;
	} else if (w->stopped || rc == SL_EINTERRUPTED) {
		int urc = sl_dist_release(w->d, c);
		rc = SL_EINTERRUPTED;
		sl_error_set(rc, "interrupted: chunk %d was given back%s", c->chunk,
			     urc ? " (its lease will expire)" : "");
	} else if (!rc || out.transient || chunk_error(rc)) {
		char *msg = rc ? strdup(sl_error_last()->message) : NULL;
		out.error = rc ? (msg ? msg : "failed") : NULL;
		int frc = sl_dist_finish(w->d, c, &out);
		/* after a transient failure its connections may be gone: the next chunk opens them again */
		w->reopen = out.transient;
		if (!frc && !rc) {
			st->chunks_done++;
			st->rows += out.written;
			dist_log(w, "worker %s: chunk %d done: %" PRId64 " rows", w->o->name, c->chunk,
				 out.written);
			frc = post_data(w);
		} else if (!frc) {
			st->chunks_failed++;
			dist_log(w, "worker %s: chunk %d attempt %d failed%s: %s", w->o->name, c->chunk,
				 c->attempt, out.retried ? " (it will be retried)" : "", out.error);
		} else if (frc == SL_ECONFLICT) {
			st->chunks_lost++;
			dist_log(w, "worker %s: %s", w->o->name, sl_error_last()->message);
			frc = 0;
		}
		free(msg);
		rc = frc;
	}
	free(result);
	w->chunk = NULL;
	return rc;
}

/* Runs this worker cannot join, left to the others (without --run). */
typedef struct skipped {
	char **ids;
	size_t n;
	int code; /* the first one's error */
	char *msg;
} skipped;

static int skip_run(skipped *sk, const char *run_id)
{
	char **v = realloc(sk->ids, (sk->n + 1) * sizeof(*v));
	if (!v)
		return sl_error_nomem();
	sk->ids = v;
	if (!(v[sk->n] = strdup(run_id)))
		return sl_error_nomem();
	sk->n++;
	if (!sk->code) {
		sk->code = sl_error_last()->code ? sl_error_last()->code : SL_ERROR;
		sk->msg = strdup(sl_error_last()->message);
	}
	return 0;
}

int sl_dist_worker_run(sl_dist *d, const sl_dist_worker_opts *o, sl_dist_worker_stats *st)
{
	dist_worker w = { .d = d, .o = o };
	sl_dist_worker_stats local = { 0 };
	skipped sk = { 0 };
	int rc = 0;
	double idle_since = sl_now_s();
	int idle_s = o->idle_s > 0 ? o->idle_s : 5;
	double poll = o->poll_s > 0 ? o->poll_s : 1.0;
	if (!st)
		st = &local;
	memset(st, 0, sizeof(*st));
	if (!o->connect)
		return sl_error_set(SL_EINVALID, "worker: no connect callback");
	while (!rc) {
		if (o->interrupted && o->interrupted(o->interrupt_ud)) {
			rc = sl_error_set(SL_EINTERRUPTED, "interrupted: no chunk in hand");
			break;
		}
		if (o->max_chunks > 0 && st->chunks_done + st->chunks_lost >= o->max_chunks)
			break;
		sl_dist_chunk c;
		int64_t busy = 0;
		rc = sl_dist_claim(d, o->run_id, (const char *const *)sk.ids, sk.n, o->name, 0, &c, &busy);
		if (rc == SL_ENOTFOUND) {
			sl_error_clear();
			rc = 0;
			if (busy > 0)
				idle_since = sl_now_s(); /* a lease may still expire: stay */
			else if (sl_now_s() - idle_since >= idle_s)
				break;
			usleep((useconds_t)(poll * 1e6));
			continue;
		}
		if (rc)
			break;
		rc = enter_run(&w, c.run_id);
		if (rc) {
			/* this worker cannot take part: give the chunk back to the others */
			char *m = strdup(sl_error_last()->message);
			int code = sl_error_last()->code;
			sl_dist_release(d, &c);
			sl_error_set(code, "%s", m ? m : "join the run");
			free(m);
			close_run(&w);
			if (o->run_id)
				break;
			dist_log(&w, "worker %s: leaving run %s to other workers: %s", o->name, c.run_id,
				 sl_error_last()->message);
			rc = skip_run(&sk, c.run_id);
			continue;
		}
		rc = process(&w, &c, st);
		if (w.reopen)
			close_run(&w);
		w.reopen = false;
		idle_since = sl_now_s();
	}
	if (!rc && sk.code)
		rc = sl_error_set(sk.code, "%s", sk.msg ? sk.msg : "a run could not be joined");
	close_run(&w);
	json_decref(w.opts_json);
	free(w.tables);
	free(w.schemas);
	for (size_t i = 0; i < sk.n; i++)
		free(sk.ids[i]);
	free(sk.ids);
	free(sk.msg);
	return rc;
}
