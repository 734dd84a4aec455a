/*
 * run.c - `sync run`: the loop around apply.c. Connects both sides, checks
 * that the source's captured tables still have the schema they had at start
 * and that the target holds this run's checkpoint, then applies batches
 * until the log is drained (or, following, until asked to stop), writing a
 * heartbeat into the change log so lag can be measured end to end.
 *
 * A lost connection (either side) closes both and reconnects with
 * exponential backoff; nothing is lost because the log rows of a batch are
 * deleted only after the batch committed in the target (docs/sync.md).
 */
#include "sync_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sluice/error.h"
#include "sluice/util.h"

#define LOCK_NAME "sluice_sync"

void sl_sync_notice(const sl_sync_opts *o, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	if (!o->on_event)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sl_sync_event ev = { .kind = SL_SYNC_EV_NOTICE, .message = msg, .lag_seconds = -1 };
	o->on_event(o->event_ud, &ev);
}

static void nap(double seconds)
{
	if (seconds <= 0)
		return;
	struct timespec ts = { .tv_sec = (time_t)seconds,
			       .tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9) };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Errors after which reconnecting may help: lost connections, terminated sessions, serialization. */
static bool retryable(int rc)
{
	if (sl_error_is_disconnect(rc))
		return true;
	const char *st = sl_error_last()->sqlstate;
	return rc == SL_EDB &&
	       (strncmp(st, "57P", 3) == 0 || strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0);
}

int sl_sync_connect(sl_conn **out, const sl_sync_opts *o, sl_copy_side side)
{
	*out = NULL;
	if (!o->connect)
		return sl_error_set(SL_EINVALID, "sync: no way to connect was given");
	return o->connect(out, side, o->connect_ud);
}

int sl_sync_plan(sl_copy_plan **out, sl_conn *src, sl_engine target, const sl_sync_meta *m,
		 const sl_cast_rules *rules)
{
	sl_copy_opts co = SL_COPY_OPTS_INIT;
	const char **names = calloc(m->nrows + 1, sizeof(*names));
	int rc;
	if (!names)
		return sl_error_nomem();
	for (size_t i = 0; i < m->nrows; i++)
		names[i] = m->rows[i].table;
	co.tables = names;
	co.ntables = m->nrows;
	co.rules = rules;
	rc = sl_copy_plan_new(out, src, target, &co);
	free(names);
	return rc;
}

int sl_sync_check_schema(sl_conn *src, const sl_sync_meta *m)
{
	sl_schema *s = NULL;
	sl_introspect_opts io = SL_INTROSPECT_OPTS_INIT;
	io.exact_counts = false;
	int rc = sl_conn_introspect(&s, src, &io);
	for (size_t i = 0; !rc && i < m->nrows; i++) {
		const sl_table *t = sl_schema_find_table(s, NULL, m->rows[i].table);
		char fp[17];
		if (!t) {
			rc = sl_error_set(
				SL_ECONFLICT,
				"captured table \"%s\" no longer exists on the source: sync stopped "
				"(run `sluice sync stop`)",
				m->rows[i].table);
			break;
		}
		sl_sync_fingerprint(fp, t);
		if (strcmp(fp, m->rows[i].fingerprint) != 0)
			rc = sl_error_set(
				SL_ECONFLICT,
				"the schema of captured table \"%s\" changed since sync start: sync "
				"stopped (run `sluice sync stop`, copy the table again and start anew)",
				m->rows[i].table);
	}
	sl_schema_free(s);
	return rc;
}

typedef struct runner {
	const sl_sync_opts *o;
	sl_conn *src, *dst;
	sl_sync_meta meta;
	sl_copy_plan *plan;
	sl_sync_applier *ap;
	bool attached;
	double last_beat, last_schema, last_pause_check, last_batch;
	bool paused;
	double rate;
	char *last_error;
} runner;

static void detach(runner *r)
{
	sl_conn_close(r->src);
	sl_conn_close(r->dst);
	r->src = r->dst = NULL;
	r->attached = false;
}

static int heartbeat(runner *r)
{
	char q[160];
	snprintf(q, sizeof(q), "INSERT INTO " SL_CAPTURE_LOG " (tbl, op, k) VALUES ('', 'H', '%lld')",
		 (long long)sl_sync_now_us());
	int rc = sl_conn_exec(r->src, q);
	if (rc)
		sl_error_prefix("write the heartbeat");
	r->last_beat = sl_now_s();
	return rc;
}

/* Connects both sides and checks everything a run needs. */
static int attach(runner *r)
{
	const sl_sync_opts *o = r->o;
	sl_sync_state st = { 0 };
	int rc = sl_sync_connect(&r->src, o, SL_COPY_SOURCE);
	if (!rc)
		rc = sl_sync_connect(&r->dst, o, SL_COPY_TARGET);
	if (rc)
		goto done;
	sl_conn *lk = sl_conn_has(r->dst, SL_CAP_ADVISORY_LOCK)   ? r->dst
		      : sl_conn_has(r->src, SL_CAP_ADVISORY_LOCK) ? r->src
								  : NULL;
	if (lk && (rc = sl_conn_lock(lk, LOCK_NAME, 0)) != 0) {
		if (rc == SL_ELOCKED)
			sl_error_set(SL_ELOCKED, "another sync run applies to %s", sl_conn_display(r->dst));
		goto done;
	}
	if (!r->meta.run_id) {
		rc = sl_sync_meta_read(&r->meta, r->src);
		if (rc)
			goto done;
	}
	rc = sl_sync_state_read(&st, r->dst, r->meta.run_id);
	if (rc == SL_ENOTFOUND) {
		rc = sl_error_set(
			SL_ECONFLICT,
			"%s holds no checkpoint of sync run %s (started toward %s): wrong target, or "
			"its sync state was removed",
			sl_conn_display(r->dst), r->meta.run_id, r->meta.target);
	}
	if (rc)
		goto done;
	r->paused = st.paused;
	if (!r->plan) {
		rc = sl_sync_check_schema(r->src, &r->meta);
		if (!rc)
			rc = sl_sync_plan(&r->plan, r->src, sl_conn_engine(r->dst), &r->meta, o->rules);
		if (!rc)
			rc = sl_sync_applier_new(&r->ap, r->plan, r->meta.run_id);
		r->last_schema = sl_now_s();
		if (rc)
			goto done;
	}
	if (sl_conn_apply_mode(r->dst, true) != 0) {
		sl_sync_notice(o, "applying with foreign key checks on (%s)", sl_error_last()->message);
		sl_error_clear();
	}
	rc = sl_capture_log_session(r->src);
	if (!rc)
		rc = sl_sync_applier_connect(r->ap, r->src, r->dst);
	if (!rc && r->last_error)
		sl_sync_state_error(r->dst, r->meta.run_id, r->last_error);
	if (!rc)
		r->attached = true;
done:
	sl_sync_state_free(&st);
	if (rc && r->dst && r->meta.run_id && !retryable(rc)) {
		/* e.g. a schema change: `sync status` shows it as the last error */
		sl_error keep = *sl_error_last();
		char *msg = strdup(keep.message);
		sl_sync_state_error(r->dst, r->meta.run_id, msg);
		if (msg)
			sl_error_set_db(keep.code, keep.sqlstate, keep.engine_code, "%s", msg);
		free(msg);
	}
	if (rc)
		detach(r);
	return rc;
}

static void keep_error(runner *r)
{
	free(r->last_error);
	r->last_error = strdup(sl_error_last()->message);
}

static void emit_batch(runner *r, const sl_sync_batch_result *b, int64_t total)
{
	if (!r->o->on_event)
		return;
	sl_sync_event ev = { .kind = SL_SYNC_EV_BATCH,
			     .batch_changes = b->consumed,
			     .applied = total,
			     .upserts = b->upserts,
			     .deletes = b->deletes,
			     .rejects = b->rejects,
			     .lag_seconds = b->heartbeat_us > 0
						    ? (double)(sl_sync_now_us() - b->heartbeat_us) / 1e6
						    : -1 };
	r->o->on_event(r->o->event_ud, &ev);
}

static bool stopping(const sl_sync_opts *o)
{
	return o->stop && *o->stop;
}

/* One step of the loop: 1 when drained (and not following), 0 to go on, or an error. */
/* Reads whether the sync is paused (sluice sync pause), at most once a second. */
static int check_paused(runner *r, double now)
{
	sl_sync_state st = { 0 };
	int rc = sl_sync_state_read(&st, r->dst, r->meta.run_id);
	if (!rc && st.paused != r->paused)
		sl_sync_notice(r->o, "sync %s", st.paused ? "paused" : "resumed");
	if (!rc)
		r->paused = st.paused;
	sl_sync_state_free(&st);
	r->last_pause_check = now;
	return rc;
}

static int step(runner *r, sl_sync_stats *out)
{
	const sl_sync_opts *o = r->o;
	double now = sl_now_s();
	int rc = 0;
	if (now - r->last_pause_check >= 1.0 && (rc = check_paused(r, now)) != 0)
		return rc;
	if (r->paused && !o->follow) {
		sl_sync_notice(o, "sync is paused: nothing applied (`sluice sync resume` to go on)");
		return 1;
	}
	if (r->paused) {
		nap(o->poll_seconds > 0 ? o->poll_seconds : 0.2);
		return 0;
	}
	if (o->schema_check_seconds > 0 && now - r->last_schema >= o->schema_check_seconds) {
		rc = sl_sync_check_schema(r->src, &r->meta);
		r->last_schema = now;
		if (rc)
			return rc;
	}
	size_t max = o->batch_rows ? o->batch_rows : 5000;
	if (o->max_rate > 0 && (double)max > o->max_rate)
		max = o->max_rate >= 1 ? (size_t)o->max_rate : 1;
	sl_sync_batch_result b;
	double t0 = sl_now_s();
	rc = sl_sync_apply_batch(r->ap, max, r->rate, &b);
	if (rc) {
		const char *t = sl_sync_applier_failed_table(r->ap);
		if (t && rc == SL_EDB && !retryable(rc)) {
			char *msg = strdup(sl_error_last()->message);
			int rc2 = sl_sync_check_schema(r->src, &r->meta);
			if (rc2 == 0 && msg)
				sl_error_set(rc, "%s", msg);
			else if (rc2 != 0)
				rc = rc2;
			free(msg);
		}
		return rc;
	}
	/*
	 * The heartbeat goes in after the read, so it waits for the next batch
	 * like any change written now: its lag is a whole cycle, not just one apply.
	 */
	if (o->follow &&
	    sl_now_s() - r->last_beat >= (o->heartbeat_seconds > 0 ? o->heartbeat_seconds : 1.0) &&
	    (rc = heartbeat(r)) != 0)
		return rc;
	if (b.rows == 0) {
		if (!o->follow)
			return 1;
		if (o->on_event && r->last_batch > 0) {
			sl_sync_event ev = { .kind = SL_SYNC_EV_IDLE, .lag_seconds = -1 };
			o->on_event(o->event_ud, &ev);
		}
		r->last_batch = 0;
		nap(o->poll_seconds > 0 ? o->poll_seconds : 0.2);
		return 0;
	}
	double t1 = sl_now_s(), dt = t1 - (r->last_batch > 0 ? r->last_batch : t0);
	double inst = dt > 0 ? (double)b.rows / dt : 0;
	r->rate = r->rate > 0 ? 0.7 * r->rate + 0.3 * inst : inst;
	r->last_batch = t1;
	out->consumed += b.consumed;
	out->upserts += b.upserts;
	out->deletes += b.deletes;
	out->rejects += b.rejects;
	out->batches++;
	if (b.consumed > 0 || b.heartbeat_us > 0)
		emit_batch(r, &b, out->consumed);
	if (o->max_rate > 0) {
		double want = (double)b.rows / o->max_rate;
		nap(want - (t1 - t0));
	}
	return 0;
}

int sl_sync_run(sl_sync_stats *out, const sl_sync_opts *o)
{
	runner r = { .o = o };
	double t0 = sl_now_s(), fail_since = 0, backoff = 0.1;
	int rc = 0;
	memset(out, 0, sizeof(*out));
	for (;;) {
		if (stopping(o)) {
			rc = 0;
			break;
		}
		if (!r.attached) {
			rc = attach(&r);
			if (!rc && !o->follow)
				rc = heartbeat(&r);
			if (!rc && fail_since > 0) {
				out->reconnects++;
				sl_sync_notice(o, "reconnected");
			}
		}
		if (!rc && r.attached)
			rc = step(&r, out);
		if (rc == 1) {
			rc = 0;
			break;
		}
		if (rc == 0) {
			fail_since = 0;
			backoff = 0.1;
			continue;
		}
		keep_error(&r);
		if (!retryable(rc)) {
			if (r.dst && r.meta.run_id)
				sl_sync_state_error(r.dst, r.meta.run_id, r.last_error);
			sl_error_set(rc, "%s", r.last_error ? r.last_error : "sync failed");
			break;
		}
		double now = sl_now_s();
		if (fail_since == 0)
			fail_since = now;
		if (o->retry_seconds >= 0 && now - fail_since > o->retry_seconds) {
			sl_error_set(rc, "%s (gave up after %.0fs of retries)",
				     r.last_error ? r.last_error : "", now - fail_since);
			break;
		}
		if (o->on_event) {
			char msg[1200];
			snprintf(msg, sizeof(msg), "%s; retrying in %.1fs", r.last_error ? r.last_error : "",
				 backoff);
			sl_sync_event ev = { .kind = SL_SYNC_EV_RETRY, .message = msg, .lag_seconds = -1 };
			o->on_event(o->event_ud, &ev);
		}
		detach(&r);
		nap(backoff);
		backoff = backoff * 2 > 5 ? 5 : backoff * 2;
		rc = 0;
	}
	out->seconds = sl_now_s() - t0;
	if (r.dst && rc == 0 && r.attached)
		sl_conn_apply_mode(r.dst, false);
	sl_error save = *sl_error_last();
	char *msg = rc ? strdup(save.message) : NULL;
	detach(&r);
	sl_sync_applier_free(r.ap);
	sl_copy_plan_free(r.plan);
	sl_sync_meta_free(&r.meta);
	free(r.last_error);
	if (rc && msg)
		sl_error_set_db(rc, save.sqlstate, save.engine_code, "%s", msg);
	free(msg);
	if (rc)
		sl_error_prefix("sync run");
	return rc;
}
