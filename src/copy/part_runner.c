/*
 * part_runner.c - one part of a copy at a time, for a data phase that other
 * processes run (`sluice worker`, docs/commands/distributed.md).
 *
 * The run itself (run.c with external_data) creates the tables and records
 * the parts in the target's sluice_copy_state, then stops before the data
 * phase. A part runner builds the same plan from the source, and copies the
 * parts it is given with copy's own pump: every batch commits together with
 * its checkpoint in the target, a part that was started before resumes after
 * its last checkpoint, and a part ends marked done in the target.
 *
 * The fence: each attempt at a part carries a number, raised in the target's
 * state row when the attempt starts (sl_copy_state_claim); every checkpoint
 * is written only where the row still holds the attempt's own number, in the
 * batch's transaction, so a runner whose part was taken over commits nothing
 * more of it (its batch is rolled back).
 */
#include "copy_int.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"

struct sl_copy_part_runner {
	const sl_copy_opts *o;
	sl_conn *src, *dst;
	sl_copy_plan *plan;
	char *run_id;
	pthread_mutex_t mu;
	sl_copy_shared sh;
	char *snapshot;       /* the run's exported source snapshot, NULL: none */
	char source_pos[160]; /* where the last part's snapshot stood */
};

int sl_copy_part_runner_open(sl_copy_part_runner **out, const sl_copy_opts *o, const char *run_id)
{
	sl_copy_part_runner *w = calloc(1, sizeof(*w));
	char *phase = NULL;
	int rc = 0;
	*out = NULL;
	if (!w)
		return sl_error_nomem();
	if (!o || !o->connect) {
		free(w);
		return sl_error_set(SL_EINVALID, "copy part runner: no connect callback");
	}
	pthread_mutex_init(&w->mu, NULL);
	w->o = o;
	w->sh.opts = o;
	w->sh.mutex = &w->mu;
	rc = o->connect(&w->src, SL_COPY_SOURCE, o->connect_ud);
	if (!rc)
		rc = o->connect(&w->dst, SL_COPY_TARGET, o->connect_ud);
	if (!rc)
		rc = sl_conn_refuse_same_database(w->src, w->dst, "copy");
	if (!rc) {
		rc = sl_conn_bulk_session(w->dst, true);
		if (rc)
			sl_error_prefix("prepare the target session");
	}
	if (!rc)
		rc = sl_copy_plan_new(&w->plan, w->src, sl_conn_engine(w->dst), o);
	if (!rc)
		rc = sl_copy_state_run(w->dst, &w->run_id, &phase, NULL);
	if (rc == SL_ENOTFOUND)
		rc = sl_error_set(SL_ECONFLICT, "the target \"%s\" holds no copy: plan it first",
				  sl_conn_display(w->dst));
	if (!rc && run_id && strcmp(run_id, w->run_id) != 0)
		rc = sl_error_set(SL_ECONFLICT,
				  "the target \"%s\" holds copy %s, not %s: is this worker pointed at the "
				  "right target?",
				  sl_conn_display(w->dst), w->run_id, run_id);
	if (!rc)
		rc = sl_copy_state_upgrade(w->dst);
	w->sh.run_id = w->run_id;
	free(phase);
	if (rc) {
		sl_copy_part_runner_close(w);
		return rc;
	}
	*out = w;
	return 0;
}

void sl_copy_part_runner_close(sl_copy_part_runner *w)
{
	if (!w)
		return;
	sl_copy_plan_free(w->plan);
	sl_conn_close(w->src);
	sl_conn_close(w->dst);
	free(w->run_id);
	free(w->snapshot);
	pthread_mutex_destroy(&w->mu);
	free(w);
}

const char *sl_copy_part_runner_run_id(const sl_copy_part_runner *w)
{
	return w->run_id;
}

int sl_copy_part_runner_fingerprint(const sl_copy_part_runner *w, char out[17])
{
	sl_buf b = SL_BUF_INIT;
	int rc = sl_copy_plan_text(&b, w->plan);
	uint64_t h = 1469598103934665603ULL; /* FNV-1a, 64 bits */
	for (size_t i = 0; !rc && i < b.len; i++) {
		h ^= (unsigned char)b.ptr[i];
		h *= 1099511628211ULL;
	}
	snprintf(out, 17, "%016" PRIx64, h);
	sl_buf_free(&b);
	return rc;
}

int sl_copy_part_runner_set_snapshot(sl_copy_part_runner *w, const char *snapshot)
{
	free(w->snapshot);
	w->snapshot = snapshot && *snapshot ? strdup(snapshot) : NULL;
	return snapshot && *snapshot && !w->snapshot ? sl_error_nomem() : 0;
}

const char *sl_copy_part_runner_source_pos(const sl_copy_part_runner *w)
{
	return w->source_pos;
}

/*
 * The part's rows from the source: in a read transaction on the run's
 * snapshot (or one of its own where the source has them), which ends with
 * the part; a source without consistent reads runs the pump's one SELECT.
 */
static int pump_in_snapshot(sl_copy_part_runner *w, const sl_copy_tplan *t, sl_copy_part *p)
{
	bool snap = (sl_conn_caps(w->src) & SL_CAP_SNAPSHOT_READ) != 0;
	int rc = 0;
	w->source_pos[0] = '\0';
	if (w->snapshot && !snap)
		return sl_error_set(SL_EINVALID, "the source \"%s\" cannot read the run's snapshot %s",
				    sl_conn_display(w->src), w->snapshot);
	if (snap)
		rc = sl_conn_snapshot_begin(w->src, w->snapshot, w->source_pos, sizeof(w->source_pos));
	if (rc) {
		sl_error_prefix("copy part \"%s\" %d: read the source", t->ref, p->part);
		return rc;
	}
	rc = sl_copy_pump(&w->sh, w->src, w->dst, t, p);
	if (snap && sl_conn_in_transaction(w->src)) {
		sl_error e = *sl_error_last();
		char *m = rc ? strdup(e.message) : NULL;
		int crc = rc ? sl_conn_rollback(w->src) : sl_conn_commit(w->src);
		if (rc) /* the pump's error, with its SQLSTATE (what decides a retry) */
			sl_error_set_db(e.code, e.sqlstate, e.engine_code, "%s", m ? m : "copy part");
		else
			rc = crc;
		free(m);
	}
	return rc;
}

static void to_info(sl_copy_part_info *d, const sl_copy_part *p)
{
	d->part = p->part;
	d->nparts = p->nparts;
	d->has_lo = p->has_lo;
	d->has_hi = p->has_hi;
	d->lo = p->lo;
	d->hi = p->hi;
	d->expected = p->expected;
	d->read = p->read;
	d->written = p->written;
	d->rejected = p->rejected;
	d->attempt = p->attempt;
	d->done = p->done;
	d->failed = p->failed;
}

void sl_copy_part_infos_free(sl_copy_part_info *p, size_t n)
{
	for (size_t i = 0; p && i < n; i++)
		free(p[i].table);
	free(p);
}

int sl_copy_part_runner_parts(sl_copy_part_runner *w, sl_copy_part_info **out, size_t *n)
{
	sl_copy_part *parts = NULL;
	size_t np = 0;
	*out = NULL;
	*n = 0;
	int rc = sl_copy_state_parts(w->dst, &parts, &np);
	sl_copy_part_info *v = rc ? NULL : calloc(np + 1, sizeof(*v));
	if (!rc && !v)
		rc = sl_error_nomem();
	for (size_t i = 0; !rc && i < np; i++) {
		to_info(&v[i], &parts[i]);
		v[i].table = strdup(parts[i].table);
		if (!v[i].table)
			rc = sl_error_nomem();
	}
	sl_copy_parts_free(parts, np);
	if (rc) {
		sl_copy_part_infos_free(v, np);
		return rc;
	}
	*out = v;
	*n = np;
	return 0;
}

int sl_copy_part_runner_run(sl_copy_part_runner *w, const char *table, int part, int attempt,
			    sl_copy_part_info *res)
{
	sl_copy_part *parts = NULL, *p = NULL;
	size_t np = 0;
	int rc = 0;
	const sl_copy_tplan *t = sl_copy_plan_find(w->plan, table);
	if (!t)
		return sl_error_set(SL_ECONFLICT, "copy part: table \"%s\" is not in this worker's plan",
				    table);
	int64_t rejects = sl_copy_state_total_rejects(w->dst);
	w->sh.total_rejects = rejects > 0 ? rejects : 0;
	w->sh.stop = w->sh.halted = w->sh.interrupted = false;
	if (w->sh.total_rejects > w->o->max_rejects)
		return sl_error_set(SL_ECHECK,
				    "copy halted: %" PRId64
				    " rows already rejected, more than --max-rejects %" PRId64,
				    w->sh.total_rejects, w->o->max_rejects);
	rc = sl_copy_state_claim(w->dst, table, part, attempt);
	if (!rc)
		rc = sl_copy_state_parts(w->dst, &parts, &np);
	for (size_t i = 0; !rc && i < np; i++)
		if (strcmp(parts[i].table, table) == 0 && parts[i].part == part)
			p = &parts[i];
	if (!rc && !p)
		rc = sl_error_set(SL_ECONFLICT, "copy part: the target has no part %d of \"%s\"", part,
				  table);
	if (!rc && p->attempt != attempt)
		rc = sl_error_set(SL_ECONFLICT, "copy part \"%s\" %d: attempt %d was claimed by attempt %d",
				  table, part, attempt, p->attempt);
	if (!rc) { /* the run-wide reject budget, taken batch by batch in the target */
		p->budget = true;
		p->budget_max = w->o->max_rejects;
		p->saved_rejected = p->rejected;
	}
	if (!rc && !p->failed && !p->done)
		rc = pump_in_snapshot(w, t, p);
	if ((!rc || rc == SL_EINTERRUPTED) && w->sh.halted)
		rc = sl_error_set(SL_ECHECK,
				  "copy halted: %" PRId64 " rows rejected, more than --max-rejects %" PRId64,
				  w->sh.total_rejects, w->o->max_rejects);
	if (res && p) {
		memset(res, 0, sizeof(*res));
		to_info(res, p);
	}
	sl_copy_parts_free(parts, np);
	return rc;
}
