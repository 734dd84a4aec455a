/*
 * run.c - one watch run: record that it starts, run the checks, close the
 * databases, judge the figures into the run's level and the watch's next
 * state, record it all (sl_state_watch_finish, one transaction), then report
 * what changed - a gap starting or ending, a change of state - as events in
 * the store, each with the payload the hook gets, and run the hook once per
 * change. The event is recorded (hook "pending") before the hook runs, so a
 * watch killed in between delivers it when it next starts.
 */
#include "watch_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"

static sl_watch_level figure_level(const sl_state_watch_figure *f)
{
	return sl_watch_level_from_name(f->level); /* "gap": SL_WATCH_NONE */
}

static const char *status_of(const watch_run *r, sl_watch_level level)
{
	if (r->stopped)
		return "stopped";
	if (r->complete || level > SL_WATCH_OK)
		return sl_watch_level_name(level);
	return "gap";
}

static void emit(const watch_loop *l, const sl_watch_event *ev)
{
	if (l->o->on_event)
		l->o->on_event(l->o->event_ud, ev);
}

/* Runs the hook for event id with payload; records and reports how it went. */
static int deliver(watch_loop *l, int64_t id, const char *kind, const char *state, const char *previous,
		   const char *payload)
{
	const sl_watch_config *c = l->o->config;
	watch_hook_result h;
	char msg[400];
	int rc = watch_hook_exec(&h, c->hook, c->hook_timeout_ms, payload, kind, state, previous);
	if (rc) { /* could not even start it: record why, keep watching */
		snprintf(h.error, sizeof(h.error), "%s", sl_error_last()->message);
		h.exit_code = -1;
		sl_error_clear();
	}
	bool failed = rc || h.exit_code != 0;
	rc = sl_state_watch_event_hook(l->o->state, id,
				       h.timed_out ? "timeout"
				       : failed    ? "failed"
						   : "ok",
				       h.exit_code, h.ms, failed ? h.error : NULL);
	if (failed)
		l->sum->hooks_failed++;
	if (failed)
		snprintf(msg, sizeof(msg), "hook (%s): %s", kind, h.error);
	else
		snprintf(msg, sizeof(msg), "hook (%s): ran in %.1fs", kind, (double)h.ms / 1000.0);
	sl_watch_event ev = {
		.kind = SL_WATCH_EV_HOOK, .message = msg, .hook_failed = failed, .next_ms = -1
	};
	emit(l, &ev);
	return rc;
}

/* Records one change (kind: state, gap_started, gap_ended), reports it and runs the hook when due. */
static int change(watch_loop *l, const sl_state_watch_run *run, const char *kind, const char *state,
		  const char *previous, const sl_state_watch_gap_change *gap, bool hook)
{
	sl_buf payload = SL_BUF_INIT;
	int64_t id = 0;
	const char *project = l->o->project ? l->o->project->project : NULL;
	watch_payload_in in = { .event = kind,
				.project = project,
				.target = l->target_display,
				.source = l->source_display,
				.state = state,
				.previous = previous,
				.run = run,
				.gap = gap,
				.at = run->finished_at };
	hook = hook && l->o->config->hook;
	int rc = watch_payload(&payload, &in);
	sl_state_watch_event e = { .run_id = run->id,
				   .target = run->target,
				   .at = run->finished_at,
				   .kind = kind,
				   .state = state,
				   .previous = previous,
				   .payload = sl_buf_cstr(&payload) };
	if (!rc)
		rc = sl_state_watch_event_add(l->o->state, &id, &e, hook);
	if (!rc) {
		sl_watch_event ev = { .kind = SL_WATCH_EV_CHANGE,
				      .change = kind,
				      .state = state,
				      .previous = previous,
				      .message = run->gap_reason,
				      .next_ms = -1 };
		emit(l, &ev);
	}
	if (!rc && hook)
		rc = deliver(l, id, kind, state, previous, sl_buf_cstr(&payload));
	sl_buf_free(&payload);
	return rc;
}

typedef struct recorded {
	watch_loop *l;
	sl_watch_level next;
	const sl_state_watch_gap_change *gap;
	int64_t next_ms;
} recorded;

/* Called with the run as the store holds it: what the hook and the caller see is what was recorded. */
static int after(const sl_state_watch_run *run, void *ud)
{
	recorded *x = ud;
	watch_loop *l = x->l;
	const sl_watch_config *c = l->o->config;
	int rc = 0;
	sl_watch_event ev = { .kind = SL_WATCH_EV_RUN, .run = run, .next_ms = x->next_ms };
	emit(l, &ev);
	if (x->gap->change > 0)
		rc = change(l, run, "gap_started", NULL, NULL, x->gap, c->hook_gaps);
	else if (x->gap->change < 0)
		rc = change(l, run, "gap_ended", NULL, NULL, x->gap, c->hook_gaps);
	if (!rc && x->next != l->state) {
		/* the first "ok" is recorded but pages nobody */
		bool hook = !(l->state == SL_WATCH_NONE && x->next == SL_WATCH_OK);
		rc = change(l, run, "state", sl_watch_level_name(x->next), sl_watch_level_name(l->state),
			    NULL, hook);
	}
	l->state = x->next;
	return rc;
}

int watch_run_once(watch_loop *l, bool *complete, int64_t (*next_ms)(watch_loop *, bool))
{
	const sl_watch_opts *o = l->o;
	watch_run r = { .o = o,
			.checks = l->checks,
			.rules = l->rules,
			.queries = l->queries,
			.nqueries = l->nqueries,
			.complete = true,
			.a = sl_arena_new(8192) };
	sl_buf checks = SL_BUF_INIT;
	sl_state_watch_gap_change gap = { 0 };
	int64_t id = 0, t0 = watch_mono_ms();
	int rc = r.a ? sl_watch_checks_format(&checks, l->checks) : sl_error_nomem();
	sl_state_watch_run rec = { .target = l->target_display,
				   .source = l->source_display,
				   .checks = sl_buf_cstr(&checks) };
	if (!rc)
		rc = sl_state_watch_begin(o->state, &id, &rec);
	if (!rc && (l->checks & SL_WATCH_RULES))
		rc = watch_check_rules(&r);
	if (!rc && (l->checks & SL_WATCH_DIFF) && !watch_stopping(&r))
		rc = watch_check_diff(&r);
	if (!rc && (l->checks & SL_WATCH_SYNC) && !watch_stopping(&r))
		rc = watch_check_sync(&r);
	if (!rc && (l->checks & SL_WATCH_SHADOW) && !watch_stopping(&r))
		rc = watch_check_shadow(&r);
	watch_dbs_close(&r); /* before the hook: it inherits nothing of them */
	sl_watch_level level = SL_WATCH_OK;
	for (size_t i = 0; i < r.nfigs; i++)
		if (figure_level(&r.figs[i]) > level)
			level = figure_level(&r.figs[i]);
	recorded x = { .l = l, .gap = &gap };
	x.next = r.stopped ? l->state : sl_watch_next_state(l->state, level, r.complete);
	rec.status = status_of(&r, level);
	rec.complete = r.complete && !r.stopped;
	rec.state = sl_watch_level_name(x.next);
	rec.gap_reason = r.gap_reason;
	rec.duration_ms = watch_mono_ms() - t0;
	rec.figures = r.figs;
	rec.nfigures = r.nfigs;
	if (!rc)
		rc = sl_state_watch_finish(o->state, id, &rec, &gap);
	if (!rc) {
		l->sum->runs++;
		if (!r.complete)
			l->sum->incomplete++;
		x.next_ms = r.stopped ? -1 : next_ms(l, r.complete);
		rc = sl_state_watch_runs(o->state, 1, after, &x);
	}
	*complete = r.complete;
	sl_buf_free(&checks);
	sl_arena_free(r.a);
	return rc;
}

/* Pending events are collected first: the store's cursor must be closed before the hook's result is written.
 */
typedef struct pending {
	sl_arena *a;
	sl_state_watch_event *e;
	size_t n, cap;
} pending;

static int collect(const sl_state_watch_event *e, void *ud)
{
	pending *p = ud;
	sl_state_watch_event *k = sl_arena_push(p->a, &p->e, &p->n, &p->cap, sizeof(*k));
	if (!k)
		return sl_error_nomem();
	*k = *e;
	k->at = e->at ? sl_arena_strdup(p->a, e->at) : NULL;
	k->kind = sl_arena_strdup(p->a, e->kind ? e->kind : "state");
	k->state = e->state ? sl_arena_strdup(p->a, e->state) : NULL;
	k->previous = e->previous ? sl_arena_strdup(p->a, e->previous) : NULL;
	k->payload = sl_arena_strdup(p->a, e->payload ? e->payload : "{}");
	return k->kind && k->payload ? 0 : sl_error_nomem();
}

int watch_deliver_pending(watch_loop *l)
{
	pending p = { .a = sl_arena_new(4096) };
	char msg[200];
	if (!l->o->config->hook) {
		sl_arena_free(p.a);
		return 0; /* left pending: `watch status` shows them */
	}
	int rc = p.a ? sl_state_watch_pending(l->o->state, collect, &p) : sl_error_nomem();
	for (size_t i = 0; !rc && i < p.n; i++) {
		const sl_state_watch_event *e = &p.e[i];
		snprintf(msg, sizeof(msg),
			 "delivering the hook of a change recorded at %s (the watch stopped before it ran)",
			 e->at ? e->at : "?");
		sl_watch_event ev = { .kind = SL_WATCH_EV_NOTICE, .message = msg, .next_ms = -1 };
		emit(l, &ev);
		rc = deliver(l, e->id, e->kind, e->state, e->previous, e->payload);
	}
	sl_arena_free(p.a);
	return rc;
}
