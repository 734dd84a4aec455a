/*
 * freeze_step.c - the freeze and unfreeze steps, and the watchdog.
 *
 * A freeze puts up a fence (freeze.h: triggers whose deadline the database
 * itself checks, or the runbook's own command) on the phase's tables of one
 * side, journals the window as the database's clock saw it, and starts a
 * detached watchdog process (`sluice cutover watchdog`). Three things end a
 * fence, whichever comes first: the run's unfreeze (or its rollback); the
 * watchdog, which removes it at the deadline if sluice itself died; and the
 * deadline in the trigger, which stops denying writes even when neither
 * sluice nor its watchdog runs. The measured window is from the fence's
 * commit to its removal, or to the deadline when that came first (the
 * trigger had stopped denying by then).
 *
 * The token is derived from the run and the step's id, so a run killed
 * between putting up the fence and journaling it finds its fence again.
 */
#include "cutover_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "sluice/error.h"
#include "sluice/freeze.h"

static void token_of(char out[40], int64_t run, const char *step)
{
	uint64_t h = UINT64_C(14695981039346656037);
	for (const char *p = step; *p; p++) {
		h ^= (unsigned char)*p;
		h *= UINT64_C(1099511628211);
	}
	snprintf(out, 40, "r%lld-%08x", (long long)run, (unsigned)(h & 0xffffffffu));
}

static sl_side fence_side(const sl_rb_phase *p, const sl_rb_step *s)
{
	if (s->side == SL_SIDE_SOURCE || s->side == SL_SIDE_TARGET)
		return s->side;
	return s->rollback ? SL_SIDE_TARGET : p->truth;
}

static const char *side_name(sl_side s)
{
	return s == SL_SIDE_SOURCE ? "source" : "target";
}

/* The names phase p's tables have on c's database (copy fits long names to the engine). */
static int side_tables(sl_conn *c, const sl_rb_phase *p, json_t *arr)
{
	sl_schema *s = NULL;
	sl_introspect_opts io = SL_INTROSPECT_OPTS_INIT;
	io.exact_counts = false;
	int rc = sl_conn_introspect(&s, c, &io);
	for (size_t i = 0; !rc && i < p->ntables; i++) {
		const sl_table *t = sl_rules_find_table(s, p->tables[i]);
		sl_buf b = SL_BUF_INIT;
		if (!t && sl_cast_fit_name(&b, p->tables[i], sl_conn_engine(c)) == 0)
			t = sl_rules_find_table(s, sl_buf_cstr(&b));
		sl_buf_free(&b);
		if (!t)
			rc = sl_error_set(SL_ENOTFOUND, "%s has no table \"%s\" to freeze",
					  sl_conn_display(c), p->tables[i]);
		else
			json_array_append_new(arr, json_string(t->name));
	}
	sl_schema_free(s);
	return rc;
}

/* JSON array text -> a malloc'd array of borrowed strings of arr. */
static const char **names_of(json_t *arr, size_t *n)
{
	*n = json_array_size(arr);
	const char **v = calloc(*n + 1, sizeof(*v));
	for (size_t i = 0; v && i < *n; i++)
		v[i] = json_string_value(json_array_get(arr, i));
	return v;
}

static void start_watchdog(co_ctx *x, int64_t fid, json_t *fig)
{
	const char *const *pre = x->o->watchdog_argv;
	const char *argv[40];
	char run[32], fr[32];
	size_t n = 0;
	int64_t pid = 0;
	if (!pre)
		return;
	while (n < 34 && pre[n])
		argv[n] = pre[n], n++;
	snprintf(run, sizeof(run), "%lld", (long long)x->run_id);
	snprintf(fr, sizeof(fr), "%lld", (long long)fid);
	argv[n++] = "--run";
	argv[n++] = run;
	argv[n++] = "--freeze";
	argv[n++] = fr;
	argv[n] = NULL;
	if (co_proc_spawn_detached(argv, &pid) == 0) {
		sl_journal_freeze_watchdog(x->st, fid, pid);
		json_object_set_new(fig, "watchdog_pid", json_integer(pid));
	} else {
		co_event(x, SL_CO_EV_NOTICE, x->current ? x->current->id : NULL, NULL,
			 "no watchdog (%s): the fence still lifts itself at its deadline",
			 sl_error_last()->message);
	}
	sl_error_clear();
}

/* Adopts the fence a killed run put up before it could journal it; 1 when there was one. */
static int adopt(co_ctx *x, const sl_rb_phase *p, const sl_rb_step *s, json_t *fig)
{
	sl_journal *j = NULL;
	char token[40];
	sl_side side = fence_side(p, s);
	token_of(token, x->run_id, s->id);
	int rc = sl_journal_load(&j, x->st, x->run_id);
	for (size_t i = 0; !rc && i < j->nfreezes; i++)
		if (strcmp(j->freezes[i].token, token) == 0) {
			json_object_set_new(fig, "token", json_string(token));
			json_object_set_new(fig, "adopted", json_true());
			sl_journal_free(j);
			return 1;
		}
	sl_journal_free(j);
	if (rc || s->command)
		return rc;
	sl_conn *c = NULL;
	sl_freeze_state st;
	json_t *arr = json_array();
	size_t n = 0;
	const char **names = NULL;
	rc = co_connect(x, side, &c);
	if (!rc)
		rc = side_tables(c, p, arr);
	if (!rc && !(names = names_of(arr, &n)))
		rc = sl_error_nomem();
	if (!rc)
		rc = sl_freeze_read(c, token, names, n, &st);
	if (!rc && st.armed) {
		char *tables = json_dumps(arr, JSON_COMPACT);
		sl_journal_freeze f = { .phase = p->name,
					.step = s->id,
					.side = side_name(side),
					.token = token,
					.tables = tables,
					.method = "triggers",
					.budget_ms = (st.deadline_us - st.started_us) / 1000,
					.started_us = st.started_us,
					.deadline_us = st.deadline_us,
					.scratch = x->dry ? x->scratch[side] : NULL };
		int64_t fid = 0;
		rc = sl_journal_freeze_begin(x->st, x->run_id, &f, &fid);
		if (!rc)
			start_watchdog(x, fid, fig);
		json_object_set_new(fig, "token", json_string(token));
		json_object_set_new(fig, "adopted", json_true());
		free(tables);
		rc = rc ? rc : 1;
	}
	free(names);
	json_decref(arr);
	sl_conn_close(c);
	return rc;
}

int co_freeze(co_ctx *x, size_t pi, const sl_rb_step *s, json_t *fig)
{
	const sl_rb_phase *p = &x->rb->phases[pi];
	sl_side side = fence_side(p, s);
	int64_t budget = s->budget_ms ? s->budget_ms : x->rb->downtime_budget_ms, fid = 0;
	char token[40];
	sl_conn *c = NULL;
	json_t *arr = json_array();
	const char **names = NULL;
	size_t n = 0;
	sl_freeze_state st = { 0 };
	char *tables = NULL;
	token_of(token, x->run_id, s->id);
	int rc = adopt(x, p, s, fig);
	if (rc != 0)
		goto done;
	if (s->command) {
		co_proc_result pr = { 0 };
		for (size_t i = 0; i < p->ntables; i++)
			json_array_append_new(arr, json_string(p->tables[i]));
		rc = co_proc_run(&pr, s->command, x->rb->dir, NULL, NULL,
				 s->timeout_s > 0 ? s->timeout_s : 60, NULL, NULL);
		if (!rc && (pr.status != 0 || pr.timed_out))
			rc = sl_error_set(SL_ERROR, "the freeze command %s (exit %d)%s%s",
					  pr.timed_out ? "timed out" : "failed", pr.status,
					  pr.output ? ": " : "", pr.output ? pr.output : "");
		co_proc_result_clear(&pr);
		st.started_us = co_now_us();
		st.deadline_us = st.started_us + budget * 1000;
	} else {
		rc = co_connect(x, side, &c);
		if (!rc)
			rc = side_tables(c, p, arr);
		if (!rc && !(names = names_of(arr, &n)))
			rc = sl_error_nomem();
		if (!rc)
			rc = sl_freeze_install(c, token, names, n, budget, &st);
	}
	if (rc)
		goto done;
	tables = json_dumps(arr, JSON_COMPACT);
	sl_journal_freeze f = { .phase = p->name,
				.step = s->id,
				.side = side_name(side),
				.token = token,
				.tables = tables,
				.method = s->command ? "command" : "triggers",
				.budget_ms = budget,
				.started_us = st.started_us,
				.deadline_us = st.deadline_us,
				.scratch = x->dry ? x->scratch[side] : NULL };
	if ((rc = sl_journal_freeze_begin(x->st, x->run_id, &f, &fid)) != 0)
		goto done;
	json_object_set_new(fig, "side", json_string(side_name(side)));
	json_object_set_new(fig, "method", json_string(f.method));
	json_object_set_new(fig, "tables", json_incref(arr));
	json_object_set_new(fig, "budget_ms", json_integer(budget));
	json_object_set_new(fig, "token", json_string(token));
	start_watchdog(x, fid, fig);
	co_event(x, SL_CO_EV_FREEZE, s->id, NULL, "writes frozen on the %s (%zu table%s) for at most %.1fs",
		 side_name(side), json_array_size(arr), json_array_size(arr) == 1 ? "" : "s",
		 (double)budget / 1000);
done:
	free(tables);
	free(names);
	json_decref(arr);
	sl_conn_close(c);
	return rc < 0 ? rc : 0;
}

/* Lifts one fence and journals its window. */
static int lift_one(co_ctx *x, const sl_journal_freeze *f, const char *by, json_t *arr, int64_t *total_ms)
{
	sl_side side = strcmp(f->side, "source") == 0 ? SL_SIDE_SOURCE : SL_SIDE_TARGET;
	int64_t ended = 0;
	int rc = 0;
	if (strcmp(f->method, "command") == 0) {
		const sl_rb_step *s = sl_runbook_find_step(x->rb, f->step, NULL);
		co_proc_result pr = { 0 };
		if (!s || !s->lift)
			return sl_error_set(SL_EINVALID,
					    "the runbook no longer has the lift command of \"%s\"", f->step);
		rc = co_proc_run(&pr, s->lift, x->rb->dir, NULL, NULL, s->timeout_s > 0 ? s->timeout_s : 60,
				 NULL, NULL);
		if (!rc && (pr.status != 0 || pr.timed_out))
			rc = sl_error_set(SL_ERROR, "the lift command %s (exit %d)%s%s",
					  pr.timed_out ? "timed out" : "failed", pr.status,
					  pr.output ? ": " : "", pr.output ? pr.output : "");
		co_proc_result_clear(&pr);
		ended = co_now_us();
	} else {
		sl_conn *c = NULL;
		json_t *tarr = json_loads(f->tables ? f->tables : "[]", 0, NULL);
		size_t n = 0;
		const char **names = tarr ? names_of(tarr, &n) : NULL;
		rc = names ? co_connect(x, side, &c) : sl_error_nomem();
		if (!rc)
			rc = sl_freeze_lift(c, f->token, names, n, &ended);
		free(names);
		json_decref(tarr);
		sl_conn_close(c);
	}
	if (rc)
		return rc;
	bool past = ended > f->deadline_us;
	int64_t window = ((past ? f->deadline_us : ended) - f->started_us) / 1000;
	/* the watchdog lifts at the deadline by design; the run past it, late */
	const char *lifted_by = past && strcmp(by, "watchdog") != 0 ? "deadline" : by;
	if ((rc = sl_journal_freeze_end(x->st, f->id, ended, lifted_by)) != 0)
		return rc;
	/*
	 * The watchdog reads the journal every quarter second and leaves once the
	 * window has an end: it is never signalled (its pid may belong to
	 * another process by now). When it is this process's child, reap it.
	 */
	for (int i = 0; f->watchdog_pid > 0 && i < 10; i++) {
		pid_t w = waitpid((pid_t)f->watchdog_pid, NULL, WNOHANG);
		if (w != 0)
			break;
		co_nap(0.1);
	}
	json_t *o = json_object();
	json_object_set_new(o, "side", json_string(f->side));
	json_object_set_new(o, "window_ms", json_integer(window));
	json_object_set_new(o, "budget_ms", json_integer(f->budget_ms));
	json_object_set_new(o, "lifted_by", json_string(lifted_by));
	json_object_set_new(o, "over_budget", json_boolean(past));
	json_array_append_new(arr, o);
	*total_ms += window;
	co_event(x, SL_CO_EV_UNFREEZE, x->current ? x->current->id : f->step, NULL,
		 "writes allowed again on the %s: frozen %.3fs of a %.1fs budget%s", f->side,
		 (double)window / 1000, (double)f->budget_ms / 1000,
		 past ? " (the budget ran out: the fence had lifted itself)" : "");
	return 0;
}

int co_unfreeze(co_ctx *x, size_t pi, sl_side side, const char *by, json_t *fig)
{
	sl_journal *j = NULL;
	json_t *arr = json_array();
	int64_t total = 0;
	int rc = sl_journal_load(&j, x->st, x->run_id);
	for (size_t i = 0; !rc && i < j->nfreezes; i++) {
		const sl_journal_freeze *f = &j->freezes[i];
		if (f->ended_us || (pi < x->rb->nphases && strcmp(f->phase, x->rb->phases[pi].name) != 0))
			continue;
		if (side != SL_SIDE_BOTH && strcmp(f->side, side_name(side)) != 0)
			continue;
		rc = lift_one(x, f, by, arr, &total);
	}
	json_object_set_new(fig, "freezes", arr);
	json_object_set_new(fig, "freeze_ms", json_integer(total));
	sl_journal_free(j);
	return rc;
}

int co_freeze_left(co_ctx *x, size_t pi, double *left)
{
	sl_journal *j = NULL;
	int rc = sl_journal_load(&j, x->st, x->run_id);
	*left = -1;
	for (size_t i = 0; !rc && i < j->nfreezes; i++) {
		const sl_journal_freeze *f = &j->freezes[i];
		if (f->ended_us || strcmp(f->phase, x->rb->phases[pi].name) != 0)
			continue;
		int64_t now = co_now_us();
		if (strcmp(f->method, "triggers") == 0) {
			sl_conn *c = NULL;
			sl_side side = strcmp(f->side, "source") == 0 ? SL_SIDE_SOURCE : SL_SIDE_TARGET;
			rc = co_connect(x, side, &c);
			if (!rc)
				rc = sl_freeze_clock(c, &now);
			sl_conn_close(c);
		}
		double l = (double)(f->deadline_us - now) / 1e6;
		if (!rc && (*left < 0 || l < *left))
			*left = l > 0 ? l : 0;
	}
	sl_journal_free(j);
	return rc;
}

/*
 * The budget of phase pi ran out: a fence stands past its deadline, or one
 * was lifted by its deadline or the watchdog before the phase's own
 * unfreeze (sluice was not running when the time was up).
 */
int co_freeze_exceeded(co_ctx *x, size_t pi, bool *exceeded, char *which, size_t n)
{
	sl_journal *j = NULL;
	double left = -1;
	bool unfrozen = false, lapsed = false;
	int rc = co_freeze_left(x, pi, &left);
	if (!rc)
		rc = sl_journal_load(&j, x->st, x->run_id);
	for (size_t i = 0; !rc && i < j->nsteps; i++)
		unfrozen = unfrozen ||
			   (!strcmp(j->steps[i].phase, x->rb->phases[pi].name) &&
			    !strcmp(j->steps[i].type, "unfreeze") && !strcmp(j->steps[i].path, "forward") &&
			    !strcmp(j->steps[i].status, "done"));
	for (size_t i = 0; !rc && i < j->nfreezes; i++) {
		const sl_journal_freeze *f = &j->freezes[i];
		lapsed = lapsed || (!strcmp(f->phase, x->rb->phases[pi].name) && f->lifted_by &&
				    (!strcmp(f->lifted_by, "watchdog") || !strcmp(f->lifted_by, "deadline")));
	}
	sl_journal_free(j);
	*exceeded = !rc && (left == 0 || (lapsed && !unfrozen));
	if (*exceeded && which)
		snprintf(which, n,
			 "the freeze of phase \"%s\" ran past its budget: writes were let through again",
			 x->rb->phases[pi].name);
	return rc;
}

int sl_cutover_unfreeze(const sl_cutover_opts *o, size_t *lifted)
{
	co_ctx x = { .o = o, .rb = o->rb, .st = o->state };
	sl_journal *j = NULL;
	int64_t run = 0;
	*lifted = 0;
	pthread_mutex_init(&x.connect_mu, NULL);
	int rc = sl_journal_run_find(o->state, o->rb->name, o->dry_run, &run);
	if (!rc && !run)
		rc = sl_error_set(SL_ENOTFOUND, "runbook \"%s\" has no run recorded", o->rb->name);
	if (!rc) {
		x.run_id = run;
		rc = sl_journal_load(&j, o->state, run);
	}
	for (size_t i = 0; !rc && i < j->nfreezes; i++) {
		const sl_journal_freeze *f = &j->freezes[i];
		json_t *arr = json_array();
		int64_t total = 0;
		if (!f->ended_us) {
			x.dry = f->scratch != NULL;
			if (x.dry) {
				sl_side side =
					strcmp(f->side, "source") == 0 ? SL_SIDE_SOURCE : SL_SIDE_TARGET;
				snprintf(x.scratch[side], sizeof(x.scratch[side]), "%s", f->scratch);
			}
			rc = lift_one(&x, f, "operator", arr, &total);
			(*lifted) += rc == 0;
		}
		json_decref(arr);
	}
	sl_journal_free(j);
	for (int i = 0; i < 2; i++)
		sl_conn_close(x.beside[i]);
	pthread_mutex_destroy(&x.connect_mu);
	return rc;
}

/* ---- the watchdog ---- */

int sl_cutover_watchdog(const sl_cutover_opts *o, int64_t run_id, int64_t freeze_id)
{
	co_ctx x = { .o = o, .rb = o->rb, .st = o->state, .run_id = run_id, .phase = SIZE_MAX };
	sl_conn *c = NULL;
	int rc = 0;
	pthread_mutex_init(&x.connect_mu, NULL);
	for (;;) {
		sl_journal *j = NULL;
		const sl_journal_freeze *f = NULL;
		if ((rc = sl_journal_load(&j, o->state, run_id)) != 0)
			break;
		for (size_t i = 0; i < j->nfreezes; i++)
			if (j->freezes[i].id == freeze_id)
				f = &j->freezes[i];
		if (!f || f->ended_us) {
			sl_journal_free(j);
			break; /* lifted by the run */
		}
		sl_side side = strcmp(f->side, "source") == 0 ? SL_SIDE_SOURCE : SL_SIDE_TARGET;
		x.dry = f->scratch != NULL;
		if (x.dry)
			snprintf(x.scratch[side], sizeof(x.scratch[side]), "%s", f->scratch);
		int64_t now = co_now_us();
		bool triggers = strcmp(f->method, "triggers") == 0;
		if (triggers && !c && co_connect(&x, side, &c) != 0)
			now = -1; /* unreachable: the trigger lifts itself at the deadline; keep trying */
		if (triggers && c) {
			sl_freeze_state st;
			if (sl_freeze_read(c, f->token, NULL, 0, &st) != 0) {
				sl_conn_close(c);
				c = NULL;
				now = -1;
			} else if (!st.armed) {
				sl_journal_free(j);
				break; /* removed outside the journal: nothing to do */
			} else {
				now = st.now_us;
			}
		}
		if (co_now_us() > f->deadline_us + INT64_C(600000000)) {
			sl_journal_free(j);
			rc = sl_error_set(SL_ECONNECT,
					  "gave up removing the fence ten minutes after its deadline "
					  "(it stopped denying writes at the deadline)");
			break;
		}
		if (now >= f->deadline_us) {
			json_t *arr = json_array();
			int64_t total = 0;
			rc = lift_one(&x, f, "watchdog", arr, &total);
			json_decref(arr);
			sl_journal_free(j);
			if (rc == 0)
				break;
			sl_error_clear();
		} else {
			sl_journal_free(j);
		}
		co_nap(now > 0 ? 0.25 : 1.0);
	}
	sl_conn_close(c);
	for (int i = 0; i < 2; i++)
		sl_conn_close(x.beside[i]);
	pthread_mutex_destroy(&x.connect_mu);
	return rc;
}
