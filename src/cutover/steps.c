/*
 * steps.c - what each step type does (docs/runbook.md, "Steps"), and what
 * a resumed run does with a step that was interrupted half-way:
 *
 *   re-run as it is (idempotent or read-only): rehearse-required, check,
 *     diff, shadow, wait-lag, watch, approve, drain, unfreeze, sync-stop;
 *   re-run, continuing its own record: copy (copy's checkpoints), sync-start
 *     (sync start --resume continues its copy);
 *   checked first: freeze (the fence is found by its token and adopted),
 *     sync-reverse (done when reverse capture is in place), switch and
 *     command (their `check:` command, when given, says whether it happened;
 *     without one the command runs again: it must be idempotent).
 */
#include "cutover_int.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/copy.h"
#include "sluice/error.h"

void co_step_tables(const sl_rb_phase *p, const sl_rb_step *s, const char *const **t, size_t *n)
{
	*t = s && s->ntables ? s->tables : p->tables;
	*n = s && s->ntables ? s->ntables : p->ntables;
}

static int sync_connect(sl_conn **out, sl_copy_side side, void *ud)
{
	struct co_sync_ud *u = ud;
	bool target = (side == SL_COPY_TARGET) != u->swap;
	return co_connect(u->x, target ? SL_SIDE_TARGET : SL_SIDE_SOURCE, out);
}

void co_sync_opts(co_ctx *x, const sl_rb_phase *p, bool reverse, sl_sync_opts *out)
{
	sl_sync_opts o = SL_SYNC_OPTS_INIT;
	x->sync_ud[reverse] = (struct co_sync_ud){ .x = x, .swap = reverse };
	o.tables = p->tables;
	o.ntables = p->ntables;
	o.rules = reverse ? NULL : x->o->casts;
	if (!reverse) { /* the initial copy adapts its tables to the target's flavour */
		o.flavour = x->o->flavour;
		o.shard_tables = x->o->shard_tables;
		o.shard_columns = x->o->shard_columns;
		o.nshard = x->o->nshard;
	}
	o.connect = sync_connect;
	o.connect_ud = &x->sync_ud[reverse];
	o.retry_seconds = 30;
	*out = o;
}

static bool copy_interrupted(void *ud)
{
	return co_cancelled(ud);
}

typedef struct copy_count {
	int64_t written;
} copy_count;

static void on_copy_event(void *ud, const sl_copy_event *ev)
{
	copy_count *c = ud;
	if (ev->kind == SL_COPY_EV_TABLE_DONE)
		__atomic_add_fetch(&c->written, ev->written, __ATOMIC_RELAXED);
}

/* What the target holds of an earlier copy: 0 none, 1 unfinished, 2 finished. */
static int target_copy(co_ctx *x, int *state)
{
	sl_conn *dst = NULL;
	char *run = NULL, *phase = NULL;
	*state = 0;
	int rc = co_connect(x, SL_SIDE_TARGET, &dst);
	if (!rc)
		rc = sl_copy_target_run(dst, &run, &phase);
	if (rc == SL_ENOTFOUND) {
		rc = 0;
		sl_error_clear();
	} else if (!rc) {
		*state = strcmp(phase, "finished") == 0 ? 2 : 1;
	}
	free(run);
	free(phase);
	sl_conn_close(dst);
	return rc;
}

static int step_copy(co_ctx *x, const sl_rb_phase *p, const sl_rb_step *s, json_t *fig, bool *ok, sl_buf *why)
{
	sl_copy_opts co = SL_COPY_OPTS_INIT;
	sl_copy_result *res = NULL;
	copy_count cc = { 0 };
	int state = 0;
	co_step_tables(p, s, &co.tables, &co.ntables);
	int rc = target_copy(x, &state);
	co.resume = state == 1;
	co.restart = state == 2;
	co.rules = x->o->casts;
	co.flavour = x->o->flavour;
	co.shard_tables = x->o->shard_tables;
	co.shard_columns = x->o->shard_columns;
	co.nshard = x->o->nshard;
	co.jobs = s->jobs ? s->jobs : 2;
	co.connect = sync_connect;
	x->sync_ud[0] = (struct co_sync_ud){ .x = x, .swap = false };
	co.connect_ud = &x->sync_ud[0];
	co.interrupted = copy_interrupted;
	co.interrupt_ud = x;
	co.on_event = on_copy_event;
	co.event_ud = &cc;
	if (!rc)
		rc = sl_copy_run(&res, &co);
	if (res) {
		json_object_set_new(fig, "rows_read", json_integer(res->read));
		json_object_set_new(fig, "rows_written", json_integer(res->written));
		json_object_set_new(fig, "rows_rejected", json_integer(res->rejected));
		json_object_set_new(fig, "seconds", json_real(res->seconds));
		if (!rc && res->rejected) {
			*ok = false;
			sl_buf_printf(why, "%lld rows were rejected (sluice copy --rejects lists them)",
				      (long long)res->rejected);
		}
	}
	sl_copy_result_free(res);
	return rc;
}

static int step_sync_start(co_ctx *x, size_t pi, const sl_rb_step *s, json_t *fig)
{
	const sl_rb_phase *p = &x->rb->phases[pi];
	sl_sync_opts so;
	copy_count cc = { 0 };
	int state = 0;
	co_sync_opts(x, p, false, &so);
	so.copy_jobs = s->jobs ? s->jobs : 2;
	so.on_copy_event = on_copy_event;
	so.copy_event_ud = &cc;
	so.resume = true; /* a start this run began and a crash cut short continues its copy */
	int rc = sl_sync_start(&so);
	if (rc == SL_ENOTFOUND) {
		sl_error_clear();
		rc = target_copy(x, &state);
		so.resume = false;
		so.copy_restart = state == 2;
		if (!rc)
			rc = sl_sync_start(&so);
	}
	if (rc)
		return rc;
	x->ps[pi].sync = 1;
	json_object_set_new(fig, "tables", json_integer((json_int_t)p->ntables));
	json_object_set_new(fig, "rows_copied", json_integer(cc.written));
	x->follower_phase = (int)pi;
	return co_follower_start(x, &x->fwd, p, false);
}

static int step_drain(co_ctx *x, size_t pi, const sl_rb_step *s, json_t *fig, bool *ok, sl_buf *why)
{
	const sl_rb_phase *p = &x->rb->phases[pi];
	bool rev = x->ps[pi].sync == 2;
	sl_sync_opts so;
	sl_sync_stats stats;
	sl_sync_status *st = NULL;
	double t0 = co_mono(), limit = s->timeout_s > 0 ? s->timeout_s : 300;
	int64_t applied = 0;
	int rc = co_follower_stop(rev ? &x->rev : &x->fwd);
	if (rc) /* the drain below meets the same failure, or gets past it */
		sl_error_clear();
	rc = 0;
	co_sync_opts(x, p, rev, &so);
	so.stop = x->o->cancel;
	*ok = false;
	while (!rc) {
		rc = sl_sync_run(&stats, &so);
		applied += stats.consumed;
		sl_sync_status_free(st);
		st = NULL;
		if (!rc)
			rc = sl_sync_status_get(&st, &so);
		if (rc || st->behind == 0 || co_cancelled(x))
			break;
		if (co_mono() - t0 > limit) {
			sl_buf_printf(why, "%lld changes still behind after %.0fs (are writes frozen?)",
				      (long long)st->behind, limit);
			break;
		}
	}
	if (!rc && st) {
		*ok = st->behind == 0;
		json_object_set_new(fig, "behind", json_integer(st->behind));
		json_object_set_new(fig, "lag_seconds", json_real(st->lag_seconds));
	}
	json_object_set_new(fig, "direction", json_string(rev ? "reverse" : "forward"));
	json_object_set_new(fig, "applied", json_integer(applied));
	json_object_set_new(fig, "seconds", json_real((double)(int64_t)((co_mono() - t0) * 1000) / 1000.0));
	sl_sync_status_free(st);
	return rc;
}

static int step_sync_reverse(co_ctx *x, size_t pi, json_t *fig)
{
	const sl_rb_phase *p = &x->rb->phases[pi];
	sl_sync_opts so;
	int rc = co_follower_stop(&x->fwd);
	if (rc)
		sl_error_clear();
	co_sync_opts(x, p, false, &so);
	rc = sl_sync_reverse(&so);
	if (rc)
		return rc;
	x->ps[pi].sync = 2;
	json_object_set_new(fig, "direction", json_string("target -> source"));
	x->follower_phase = (int)pi;
	return co_follower_start(x, &x->rev, p, true);
}

static int step_sync_stop(co_ctx *x, size_t pi, const sl_rb_step *s, json_t *fig)
{
	const sl_rb_phase *p = &x->rb->phases[pi];
	bool rev = x->ps[pi].sync == 2;
	sl_sync_opts so;
	sl_sync_stats stats;
	int rc = co_follower_stop(&x->fwd), rc2 = co_follower_stop(&x->rev);
	if (rc || rc2)
		sl_error_clear();
	co_sync_opts(x, p, rev, &so);
	/* what the old side lacks goes over before the comparison of the scorecard */
	rc = x->ps[pi].sync ? sl_sync_run(&stats, &so) : 0;
	if (!rc && !s->rollback)
		rc = co_score(x, pi, false);
	if (!rc && x->ps[pi].sync) {
		rc = sl_sync_stop(&so);
		if (rc == SL_ENOTFOUND) {
			rc = 0;
			sl_error_clear();
		}
	}
	if (!rc) {
		json_object_set_new(fig, "stopped",
				    json_string(!x->ps[pi].sync ? "none"
						: rev           ? "reverse"
								: "forward"));
		x->ps[pi].sync = 0;
	}
	return rc;
}

/* The hook is running: its process group goes in the journal before anything else can happen. */
static void hook_started(void *ud, int64_t pid)
{
	co_ctx *x = ud;
	char fig[64];
	snprintf(fig, sizeof(fig), "{\"hook_pid\":%lld}", (long long)pid);
	if (sl_journal_step_figures(x->st, x->current_row, fig) != 0)
		sl_error_clear(); /* recovery then waits for nothing: the check command decides */
}

/*
 * A hook an earlier attempt started may still run (its process group
 * outlived the sluice that started it): wait for it, up to its timeout,
 * then end it, before asking whether it did its job.
 */
static void wait_orphan(const char *prev_figures, double timeout)
{
	json_t *f = prev_figures ? json_loads(prev_figures, 0, NULL) : NULL;
	json_t *p = f ? json_object_get(f, "hook_pid") : NULL;
	pid_t pid = json_is_integer(p) ? (pid_t)json_integer_value(p) : 0;
	json_decref(f);
	if (pid <= 1)
		return;
	for (double t0 = co_mono(); kill(-pid, 0) == 0 && co_mono() - t0 < timeout + 1;)
		co_nap(0.1);
	if (kill(-pid, 0) == 0) {
		kill(-pid, SIGKILL);
		co_nap(0.2);
	}
}

/* Runs a switch or command hook; *ok false (why filled) when it failed or hung. */
static int run_hook(co_ctx *x, size_t pi, const sl_rb_step *s, const char *command, double timeout,
		    json_t *fig, bool *ok, sl_buf *why)
{
	const sl_rb_phase *p = &x->rb->phases[pi];
	co_proc_result pr = { 0 };
	char e[9][400];
	const char *direction = s->rollback ? "back" : "forward";
	snprintf(e[0], sizeof(e[0]), "SLUICE_CUTOVER_RUNBOOK=%s", x->rb->name);
	snprintf(e[1], sizeof(e[1]), "SLUICE_CUTOVER_RUN=%lld", (long long)x->run_id);
	snprintf(e[2], sizeof(e[2]), "SLUICE_CUTOVER_PHASE=%s", p->name);
	snprintf(e[3], sizeof(e[3]), "SLUICE_CUTOVER_DOMAIN=%s", p->domain ? p->domain : "");
	snprintf(e[4], sizeof(e[4]), "SLUICE_CUTOVER_DIRECTION=%s", direction);
	snprintf(e[5], sizeof(e[5]), "SLUICE_CUTOVER_DRY_RUN=%d", x->dry ? 1 : 0);
	snprintf(e[6], sizeof(e[6]), "SLUICE_CUTOVER_SOURCE=%s", x->rb->source_display);
	snprintf(e[7], sizeof(e[7]), "SLUICE_CUTOVER_TARGET=%s", x->rb->target_display);
	snprintf(e[8], sizeof(e[8]), "SLUICE_CUTOVER_STEP=%s", s->id);
	const char *env[] = { e[0], e[1], e[2], e[3], e[4], e[5], e[6], e[7], e[8], NULL };
	json_t *pl = json_object(), *tables = json_array();
	for (size_t i = 0; i < p->ntables; i++)
		json_array_append_new(tables, json_string(p->tables[i]));
	json_object_set_new(pl, "runbook", json_string(x->rb->name));
	json_object_set_new(pl, "run", json_integer(x->run_id));
	json_object_set_new(pl, "step", json_string(s->id));
	json_object_set_new(pl, "phase", json_string(p->name));
	json_object_set_new(pl, "domain", p->domain ? json_string(p->domain) : json_null());
	json_object_set_new(pl, "tables", tables);
	json_object_set_new(pl, "direction", json_string(direction));
	json_object_set_new(pl, "source", json_string(x->rb->source_display));
	json_object_set_new(pl, "target", json_string(x->rb->target_display));
	json_object_set_new(pl, "dry_run", json_boolean(x->dry));
	char *payload = json_dumps(pl, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(pl);
	int rc = payload ? co_proc_run(&pr, command, x->rb->dir, payload, env, timeout, hook_started, x)
			 : sl_error_nomem();
	free(payload);
	if (rc)
		return rc;
	json_object_set_new(fig, "exit", json_integer(pr.status));
	json_object_set_new(fig, "seconds", json_real((double)(int64_t)(pr.seconds * 1000) / 1000.0));
	if (pr.timed_out)
		json_object_set_new(fig, "timed_out", json_true());
	if (pr.output && *pr.output) {
		size_t len = strlen(pr.output);
		json_object_set_new(fig, "output",
				    json_string(len > 500 ? pr.output + len - 500 : pr.output));
	}
	*ok = pr.status == 0 && !pr.timed_out;
	if (pr.timed_out)
		sl_buf_printf(why, "\"%s\" did not finish within %.0fs and was killed", command, timeout);
	else if (!*ok)
		sl_buf_printf(why, "\"%s\" failed (exit %d)%s%.200s", command, pr.status,
			      pr.output && *pr.output ? ": " : "", pr.output ? pr.output : "");
	co_proc_result_clear(&pr);
	return 0;
}

static int step_switch(co_ctx *x, size_t pi, const sl_rb_step *s, json_t *fig, bool *ok, sl_buf *why)
{
	double timeout = s->timeout_s > 0 ? s->timeout_s : 60, left = -1;
	int rc = co_freeze_left(x, pi, &left);
	if (rc)
		return rc;
	x->ps[pi].switched = true;
	if (left >= 0) {
		/* the switch must end while the fence holds: writes landing on the old side after it lifted
		 * would be on the wrong side of the switch */
		json_object_set_new(fig, "freeze_left_seconds", json_real(left));
		if (left < 1.0) {
			*ok = false;
			sl_buf_printf(why, "the freeze budget is spent (%.1fs left): not switching", left);
			return 0;
		}
		if (timeout > left - 0.5)
			timeout = left - 0.5;
	}
	if (x->dry && !s->run_in_dry_run) {
		json_object_set_new(fig, "skipped_in_dry_run", json_true());
		*ok = true;
	} else if ((rc = run_hook(x, pi, s, s->command, timeout, fig, ok, why)) != 0) {
		return rc;
	}
	if (*ok) {
		if (s->rollback)
			x->ps[pi].switched_back = true;
		else
			x->ps[pi].switch_done = true;
		co_event(x, SL_CO_EV_SWITCHED, s->id, NULL, "%s",
			 s->rollback ? "switched back: the application points at the source again"
				     : "switched: the application points at the target");
	}
	return 0;
}

static int step_watch(co_ctx *x, size_t pi, const sl_rb_step *s, json_t *fig, bool *ok, sl_buf *why)
{
	const sl_rb_phase *p = &x->rb->phases[pi];
	double t0 = co_mono();
	int rounds = 0, rc = 0;
	char msg[600];
	*ok = true;
	while (!rc && *ok && !co_cancelled(x)) {
		json_t *round = json_object();
		rc = co_gate_eval(x, p, s, &s->gate, round, ok, why);
		rounds++;
		if (co_follower_health(&x->rev, msg, sizeof(msg)) != 0) {
			*ok = false;
			sl_buf_printf(why, "the reverse sync stopped: %s", msg);
		}
		json_object_set_new(fig, "last_round", round);
		if (co_mono() - t0 >= s->watch_for_s)
			break;
		double rest = s->watch_for_s - (co_mono() - t0);
		co_nap(rest < s->watch_every_s ? rest : s->watch_every_s);
	}
	json_object_set_new(fig, "rounds", json_integer(rounds));
	json_object_set_new(fig, "watched_seconds",
			    json_real((double)(int64_t)((co_mono() - t0) * 10) / 10.0));
	return rc;
}

int co_step_run(co_ctx *x, size_t pi, const sl_rb_step *s, json_t *fig, bool *gate_ok, sl_buf *why)
{
	const sl_rb_phase *p = &x->rb->phases[pi];
	bool waiting = false;
	int rc = 0;
	*gate_ok = true;
	switch (s->type) {
	case SL_STEP_REHEARSE_REQUIRED:
	case SL_STEP_CHECK:
	case SL_STEP_DIFF:
	case SL_STEP_SHADOW:
		return co_gate_eval(x, p, s, &s->gate, fig, gate_ok, why);
	case SL_STEP_WAIT_LAG:
		return co_gate_wait_lag(x, p, &s->gate, s->timeout_s > 0 ? s->timeout_s : 300, fig, gate_ok,
					why);
	case SL_STEP_COPY:
		return step_copy(x, p, s, fig, gate_ok, why);
	case SL_STEP_SYNC_START:
		return step_sync_start(x, pi, s, fig);
	case SL_STEP_APPROVE:
		rc = co_approve_step(x, pi, s, fig, &waiting, gate_ok, why);
		if (!rc && waiting)
			json_object_set_new(fig, "waiting", json_true());
		return rc;
	case SL_STEP_FREEZE:
		return co_freeze(x, pi, s, fig);
	case SL_STEP_DRAIN:
		return step_drain(x, pi, s, fig, gate_ok, why);
	case SL_STEP_SYNC_REVERSE:
		return step_sync_reverse(x, pi, fig);
	case SL_STEP_SWITCH:
		return step_switch(x, pi, s, fig, gate_ok, why);
	case SL_STEP_UNFREEZE:
		return co_unfreeze(x, pi, s->side == SL_SIDE_DEFAULT ? SL_SIDE_BOTH : s->side,
				   s->rollback ? "rollback" : "unfreeze", fig);
	case SL_STEP_WATCH:
		return step_watch(x, pi, s, fig, gate_ok, why);
	case SL_STEP_SYNC_STOP:
		return step_sync_stop(x, pi, s, fig);
	case SL_STEP_COMMAND:
		if (x->dry && !s->run_in_dry_run) {
			json_object_set_new(fig, "skipped_in_dry_run", json_true());
			return 0;
		}
		return run_hook(x, pi, s, s->command, s->timeout_s > 0 ? s->timeout_s : 60, fig, gate_ok,
				why);
	default:
		return sl_error_set(SL_ERROR, "step type %d has no implementation", (int)s->type);
	}
}

int co_step_recover(co_ctx *x, size_t pi, const sl_rb_step *s, const char *prev_figures, json_t *fig)
{
	const sl_rb_phase *p = &x->rb->phases[pi];
	switch (s->type) {
	case SL_STEP_FREEZE: {
		/* co_freeze adopts a fence it finds: the step completes either way */
		return 0;
	}
	case SL_STEP_SYNC_REVERSE: {
		sl_sync_opts so;
		sl_sync_status *st = NULL;
		co_sync_opts(x, p, true, &so);
		int rc = sl_sync_status_get(&st, &so);
		sl_sync_status_free(st);
		if (rc) {
			sl_error_clear();
			return 0;
		}
		x->ps[pi].sync = 2;
		json_object_set_new(fig, "recovered", json_string("reverse capture was in place"));
		x->follower_phase = (int)pi;
		rc = co_follower_start(x, &x->rev, p, true);
		return rc ? rc : 1;
	}
	case SL_STEP_SWITCH:
	case SL_STEP_COMMAND: {
		if (x->dry && !s->run_in_dry_run)
			return 0;
		wait_orphan(prev_figures, s->timeout_s > 0 ? s->timeout_s : 60);
		if (!s->check)
			return 0;
		co_proc_result pr = { 0 };
		int rc = co_proc_run(&pr, s->check, x->rb->dir, NULL, NULL,
				     s->timeout_s > 0 ? s->timeout_s : 60, NULL, NULL);
		bool done = !rc && pr.status == 0 && !pr.timed_out;
		co_proc_result_clear(&pr);
		if (rc)
			return rc;
		if (done) {
			json_object_set_new(fig, "recovered", json_string("its check says it completed"));
			if (s->type == SL_STEP_SWITCH) {
				x->ps[pi].switched = true;
				if (s->rollback)
					x->ps[pi].switched_back = true;
				else
					x->ps[pi].switch_done = true;
			}
		}
		return done ? 1 : 0;
	}
	default:
		return 0;
	}
}
