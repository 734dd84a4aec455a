/*
 * run.c - the step machine of `sluice cutover run` (docs/commands/cutover.md).
 *
 * One process at a time runs a runbook: an exclusive lock on a file beside
 * the state store, which the kernel releases whatever way the process ends.
 * The journal is the only memory between processes: before a step runs its
 * start is written, after it its end, figures and outcome. A new process
 * rebuilds everything it needs from the journal (which sync runs, whether
 * the switch happened, which fences stand), skips every step whose last
 * attempt completed, and deals with a step whose last attempt never ended
 * as steps.c says for its type. A failed gate stops the run, lets it go on,
 * or starts the phase's rollback, as the step's on_fail says; so does a
 * freeze that ran past its budget (the freeze step's on_exceed).
 */
#include "cutover_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "sluice/error.h"

bool co_cancelled(const co_ctx *x)
{
	return x->o->cancel && *x->o->cancel;
}

double co_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void co_nap(double seconds)
{
	if (seconds <= 0)
		return;
	struct timespec ts = { .tv_sec = (time_t)seconds,
			       .tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9) };
	nanosleep(&ts, NULL); /* a signal ends it early: callers look at the cancel flag */
}

int64_t co_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void co_now_iso(char *out, size_t n)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t len = strftime(out, n, "%Y-%m-%dT%H:%M:%S", &tm);
	if (len && len < n)
		snprintf(out + len, n - len, ".%03dZ", (int)(ts.tv_nsec / 1000000));
}

void co_error_save(co_saved_error *e)
{
	const sl_error *l = sl_error_last();
	memset(e, 0, sizeof(*e));
	e->code = l->code;
	if (e->code) {
		memcpy(e->sqlstate, l->sqlstate, sizeof(e->sqlstate));
		e->engine_code = l->engine_code;
		e->message = strdup(l->message ? l->message : "");
	}
}

void co_error_restore(co_saved_error *e)
{
	if (e->code)
		sl_error_set_db(e->code, e->sqlstate, e->engine_code, "%s", e->message ? e->message : "");
	else
		sl_error_clear();
	free(e->message);
	e->message = NULL;
}

int co_connect(co_ctx *x, sl_side side, sl_conn **out)
{
	const sl_cutover_opts *o = x->o;
	int rc = 0;
	*out = NULL;
	pthread_mutex_lock(&x->connect_mu);
	if (!x->dry) {
		rc = o->connect(out, o->connect_ud, side, NULL, NULL, side == SL_SIDE_TARGET);
	} else {
		if (!x->beside[side])
			rc = o->connect(&x->beside[side], o->connect_ud, side, NULL, NULL,
					side == SL_SIDE_TARGET);
		if (!rc)
			rc = o->connect(out, o->connect_ud, side, x->beside[side], x->scratch[side], false);
	}
	pthread_mutex_unlock(&x->connect_mu);
	if (rc)
		sl_error_prefix("%s", side == SL_SIDE_SOURCE ? "source" : "target");
	return rc;
}

/* ---- the lock ---- */

static char *lock_path(const char *state_path, const char *runbook)
{
	sl_buf b = SL_BUF_INIT;
	const char *slash = state_path ? strrchr(state_path, '/') : NULL;
	if (slash)
		sl_buf_printf(&b, "%.*s/", (int)(slash - state_path), state_path);
	sl_buf_puts(&b, "cutover-");
	for (const char *p = runbook; *p; p++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  c == '-' || c == '_';
		sl_buf_putc(&b, ok ? c : '_');
	}
	sl_buf_puts(&b, ".lock");
	return sl_buf_detach(&b);
}

static int take_lock(co_ctx *x, int *fd_out)
{
	char *path = lock_path(x->o->state_path, x->rb->name);
	double deadline = co_mono() + (x->o->lock_wait_s > 0 ? x->o->lock_wait_s : 0);
	int fd = path ? open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644) : -1, rc = 0;
	*fd_out = -1;
	if (fd < 0) {
		rc = path ? sl_error_set(SL_EIO, "open the lock file \"%s\": %s", path, strerror(errno))
			  : sl_error_nomem();
		goto done;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			rc = sl_error_set(SL_EIO, "lock \"%s\": %s", path, strerror(errno));
			goto done;
		}
		if (co_mono() >= deadline || co_cancelled(x)) {
			char pid[32] = "";
			ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);
			pid[n > 0 ? n : 0] = '\0';
			pid[strcspn(pid, "\n")] = '\0';
			rc = sl_error_set(SL_ELOCKED,
					  "runbook \"%s\" is being run by another process%s%s%s (lock "
					  "\"%s\"); wait for it "
					  "with --wait SECONDS",
					  x->rb->name, *pid ? " (pid " : "", pid, *pid ? ")" : "", path);
			goto done;
		}
		co_nap(0.2);
	}
	char pid[32];
	int len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len)
		errno = 0; /* the pid is for messages only */
	*fd_out = fd;
	fd = -1;
done:
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}

bool sl_cutover_running(const char *state_path, const char *runbook)
{
	char *path = lock_path(state_path, runbook);
	int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	bool held = false;
	if (fd >= 0) {
		held = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
		close(fd);
	}
	free(path);
	return held;
}

/* ---- the journal, read back ---- */

/* The latest attempt of step id on path in j, or NULL. */
static const sl_journal_step *latest(const sl_journal *j, const char *id, const char *path)
{
	const sl_journal_step *r = NULL;
	for (size_t i = 0; j && i < j->nsteps; i++)
		if (strcmp(j->steps[i].step, id) == 0 && strcmp(j->steps[i].path, path) == 0)
			r = &j->steps[i];
	return r;
}

static int attempts(const sl_journal *j, const char *id, const char *path)
{
	int n = 0;
	for (size_t i = 0; j && i < j->nsteps; i++)
		n += strcmp(j->steps[i].step, id) == 0 && strcmp(j->steps[i].path, path) == 0;
	return n;
}

/* A step whose last attempt completed (or failed with on_fail: continue): it is not run again. */
static bool settled(const sl_journal_step *r, const sl_rb_step *s)
{
	if (!r)
		return false;
	return strcmp(r->status, "done") == 0 || strcmp(r->status, "skipped") == 0 ||
	       (strcmp(r->status, "failed") == 0 && s->on_fail == SL_ON_FAIL_CONTINUE);
}

static bool in_rollback(const sl_journal *j, const char *phase)
{
	for (size_t i = 0; j && i < j->nsteps; i++)
		if (strcmp(j->steps[i].path, "rollback") == 0 && strcmp(j->steps[i].phase, phase) == 0)
			return true;
	return false;
}

/* What the journal says each phase went through (sync, switch), for a resumed run. */
static void rebuild(co_ctx *x, const sl_journal *j)
{
	for (size_t i = 0; j && i < j->nsteps; i++) {
		const sl_journal_step *r = &j->steps[i];
		const sl_rb_phase *p = NULL;
		const sl_rb_step *s = sl_runbook_find_step(x->rb, r->step, &p);
		if (!s || strcmp(s->id, r->step) != 0)
			continue;
		co_phase_state *ps = &x->ps[p - x->rb->phases];
		bool done = strcmp(r->status, "done") == 0;
		if (done && s->type == SL_STEP_SYNC_START)
			ps->sync = 1;
		else if (done && s->type == SL_STEP_SYNC_REVERSE)
			ps->sync = 2;
		else if (done && s->type == SL_STEP_SYNC_STOP)
			ps->sync = 0;
		else if (s->type == SL_STEP_SWITCH && !s->rollback) {
			ps->switched = true;
			ps->switch_done = ps->switch_done || done;
		} else if (s->type == SL_STEP_SWITCH && s->rollback && done)
			ps->switched_back = true;
	}
}

static const char *status_of(sl_cutover_outcome o)
{
	static const char *const n[] = { "done",        "waiting",         "stopped",
					 "rolled_back", "rollback_failed", "stopped" };
	return n[o];
}

/* ---- one step ---- */

typedef enum { STEP_OK, STEP_FAILED, STEP_WAITING, STEP_INTERRUPTED, STEP_ERROR } step_end;

static const char *gate_word(const sl_rb_step *s, bool ok)
{
	bool gated = s->gate.has_rules || s->gate.has_diff || s->gate.has_shadow || s->gate.has_lag ||
		     s->gate.has_freeze || s->gate.has_rehearsal || s->type == SL_STEP_APPROVE;
	return gated ? (ok ? "pass" : "fail") : NULL;
}

static bool has_require(const sl_rb_gate *g)
{
	return g->has_rules || g->has_diff || g->has_shadow || g->has_lag || g->has_freeze ||
	       g->has_rehearsal;
}

/* The step's require: gate, its figures under "require" and its failure prefixed "require: ". */
static int require_gate(co_ctx *x, const sl_rb_phase *p, const sl_rb_step *s, json_t *fig, bool *ok,
			sl_buf *why)
{
	json_t *req = json_object();
	int rc = co_gate_eval(x, p, s, &s->require, req, ok, why);
	json_object_set_new(fig, "require", req);
	if (!rc && !*ok) {
		sl_buf tmp = SL_BUF_INIT;
		sl_buf_printf(&tmp, "require: %s", sl_buf_cstr(why));
		sl_buf_clear(why);
		sl_buf_puts(why, sl_buf_cstr(&tmp));
		sl_buf_free(&tmp);
	}
	return rc;
}

/*
 * Journals and runs one step. *why holds the reason of a failure. prev is
 * the last attempt when it never ended (interrupted), or NULL.
 */
/*
 * SLUICE_FAULT_HOLD=STEP[,STEP...]: a test's way to SIGKILL a run inside a
 * step that would otherwise end between two looks at the journal. The first
 * attempt of a named step waits, journaled as running, for up to 30 s (until
 * a signal) before it runs. docs/testing.md.
 */
static void hold_for_test(co_ctx *x, const sl_rb_step *s, int attempt)
{
	const char *h = getenv("SLUICE_FAULT_HOLD");
	size_t n = strlen(s->id);
	bool named = false;
	for (const char *p = h; p && *p && !named; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		named = strncmp(p, s->id, n) == 0 && (p[n] == ',' || p[n] == '\0');
	for (int i = 0; named && attempt == 1 && i < 300 && !co_cancelled(x); i++)
		co_nap(0.1);
}

static step_end run_step(co_ctx *x, size_t pi, const sl_rb_step *s, const sl_journal_step *prev, int attempt,
			 sl_buf *why)
{
	const sl_rb_phase *p = &x->rb->phases[pi];
	sl_journal_step js = { .step = s->id,
			       .phase = p->name,
			       .type = sl_step_type_name(s->type),
			       .path = s->rollback ? "rollback" : "forward",
			       .attempt = attempt };
	json_t *fig = json_object();
	int64_t row = 0;
	double t0 = co_mono();
	bool ok = true;
	int rc = 0, recovered = 0;
	step_end end = STEP_OK;
	if (prev && strcmp(prev->status, "waiting") != 0)
		sl_journal_step_end(x->st, prev->row, "interrupted", NULL, prev->figures,
				    "the process running it stopped; the step was taken up again", -1);
	if ((rc = sl_journal_step_begin(x->st, x->run_id, &js, &row)) != 0) {
		json_decref(fig);
		return STEP_ERROR;
	}
	x->current = s;
	x->current_row = row;
	co_event(x, SL_CO_EV_STEP_STARTED, s->id, NULL, "%s%s", s->id,
		 attempt > 1 ? " (taken up again)" : "");
	hold_for_test(x, s, attempt);
	if (has_require(&s->require))
		rc = require_gate(x, p, s, fig, &ok, why);
	if (!rc && ok && prev)
		recovered = co_step_recover(x, pi, s, prev->figures, fig);
	if (recovered < 0)
		rc = recovered;
	else if (!rc && ok && !recovered)
		rc = co_step_run(x, pi, s, fig, &ok, why);
	int64_t ms = (int64_t)((co_mono() - t0) * 1000);
	char *figs = json_object_size(fig) ? json_dumps(fig, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	bool waiting = json_is_true(json_object_get(fig, "waiting"));
	const char *status = "done", *msg = NULL;
	char *err = NULL;
	if (rc == SL_EINTERRUPTED || (rc && co_cancelled(x))) {
		status = "interrupted";
		end = STEP_INTERRUPTED;
		msg = "stopped by a signal; the next run takes it up again";
	} else if (rc) {
		status = "failed";
		end = STEP_ERROR;
		err = strdup(sl_error_last()->message);
		msg = err;
	} else if (waiting) {
		status = "waiting";
		end = STEP_WAITING;
		msg = "waiting for approval";
	} else if (!ok) {
		status = "failed";
		end = STEP_FAILED;
		msg = sl_buf_cstr(why);
	}
	co_saved_error keep;
	co_error_save(&keep);
	int jrc = sl_journal_step_end(x->st, row, status,
				      end == STEP_WAITING ? NULL : gate_word(s, ok && !rc), figs, msg, ms);
	if (jrc && !rc) {
		/* the record of a step is not best effort: a run that cannot journal stops */
		free(keep.message);
		end = STEP_ERROR;
	} else {
		co_error_restore(&keep);
	}
	if (end == STEP_OK)
		co_event(x, SL_CO_EV_STEP_DONE, s->id, figs, "%s done in %.1fs%s", s->id, (double)ms / 1000,
			 recovered ? " (found completed)" : "");
	else if (end == STEP_FAILED)
		co_event(x, SL_CO_EV_GATE_FAILED, s->id, figs, "%s failed: %s", s->id, sl_buf_cstr(why));
	if (end == STEP_ERROR && !why->len)
		sl_buf_puts(why, err ? err : sl_error_last()->message);
	free(err);
	free(figs);
	json_decref(fig);
	x->current = NULL;
	return end;
}

/* ---- rollback ---- */

/* Why a rollback step does not apply to how far the phase went, or NULL when it does. */
static const char *not_applicable(co_ctx *x, size_t pi, const sl_rb_step *s)
{
	const co_phase_state *ps = &x->ps[pi];
	switch (s->type) {
	case SL_STEP_SWITCH:
		return ps->switched ? NULL : "the application never left the source";
	case SL_STEP_FREEZE:
		if ((s->side == SL_SIDE_DEFAULT || s->side == SL_SIDE_TARGET) && !ps->switched)
			return "the application never wrote to the target";
		return NULL;
	case SL_STEP_DRAIN:
		if (ps->sync == 2)
			return NULL;
		return ps->switched ? "no reverse sync: writes made on the target since the switch cannot be "
				      "carried "
				      "back"
				    : "the application never wrote to the target: nothing to carry back";
	case SL_STEP_DIFF:
	case SL_STEP_SHADOW:
		return ps->switched ? NULL : "the application never left the source: the source is as it was";
	case SL_STEP_WAIT_LAG:
		return ps->sync ? NULL : "no sync runs";
	case SL_STEP_SYNC_STOP:
		return ps->sync ? NULL : "no sync runs";
	default:
		return NULL;
	}
}

static sl_cutover_outcome rollback(co_ctx *x, size_t pi, const char *reason, sl_buf *why)
{
	const sl_rb_phase *p = &x->rb->phases[pi];
	sl_journal *j = NULL;
	double t0 = co_mono();
	sl_cutover_outcome out = SL_CUTOVER_ROLLED_BACK;
	int rc = sl_journal_load(&j, x->st, x->run_id);
	if (rc) {
		sl_buf_puts(why, sl_error_last()->message);
		return SL_CUTOVER_ROLLBACK_FAILED;
	}
	if (!in_rollback(j, p->name))
		co_event(x, SL_CO_EV_ROLLBACK_STARTED, NULL, NULL, "rolling back phase \"%s\": %s", p->name,
			 reason);
	sl_journal_run_update(x->st, x->run_id, "rolling_back", p->name, reason, false);
	if (co_follower_stop(&x->fwd))
		sl_error_clear();
	for (size_t i = 0; i < p->nrollback; i++) {
		const sl_rb_step *s = &p->rollback[i];
		const sl_journal_step *r = latest(j, s->id, "rollback");
		if (r && (strcmp(r->status, "done") == 0 || strcmp(r->status, "skipped") == 0))
			continue;
		const char *na = not_applicable(x, pi, s);
		if (na) {
			sl_journal_step js = { .step = s->id,
					       .phase = p->name,
					       .type = sl_step_type_name(s->type),
					       .path = "rollback",
					       .attempt = attempts(j, s->id, "rollback") + 1 };
			int64_t row = 0;
			if (sl_journal_step_begin(x->st, x->run_id, &js, &row) == 0)
				sl_journal_step_end(x->st, row, "skipped", NULL, NULL, na, 0);
			continue;
		}
		const sl_journal_step *prev = r && strcmp(r->status, "failed") != 0 ? r : NULL;
		step_end e = run_step(x, pi, s, prev, attempts(j, s->id, "rollback") + 1, why);
		if (e == STEP_INTERRUPTED) {
			out = SL_CUTOVER_INTERRUPTED;
			break;
		}
		if (e != STEP_OK && s->on_fail != SL_ON_FAIL_CONTINUE) {
			out = SL_CUTOVER_ROLLBACK_FAILED;
			co_event(x, SL_CO_EV_STOPPED, s->id, NULL,
				 "the rollback of phase \"%s\" failed at %s: %s; a person must look (`sluice "
				 "cutover status`)",
				 p->name, s->id, sl_buf_cstr(why));
			break;
		}
	}
	sl_journal_free(j);
	if (out == SL_CUTOVER_ROLLED_BACK) {
		x->ps[pi].rolled_back = true;
		char d[64];
		snprintf(d, sizeof(d), "{\"rollback_ms\":%lld}", (long long)((co_mono() - t0) * 1000));
		co_event(x, SL_CO_EV_ROLLBACK_DONE, NULL, d,
			 "phase \"%s\" rolled back in %.1fs: the source is the side of truth", p->name,
			 co_mono() - t0);
	}
	return out;
}

/* ---- the run ---- */

static void ctx_init(co_ctx *x, const sl_cutover_opts *o)
{
	memset(x, 0, sizeof(*x));
	x->o = o;
	x->rb = o->rb;
	x->st = o->state;
	x->dry = o->dry_run;
	x->follower_phase = -1;
	pthread_mutex_init(&x->connect_mu, NULL);
	pthread_mutex_init(&x->fwd.mu, NULL);
	pthread_mutex_init(&x->rev.mu, NULL);
}

static void ctx_free(co_ctx *x)
{
	if (co_follower_stop(&x->fwd))
		sl_error_clear();
	if (co_follower_stop(&x->rev))
		sl_error_clear();
	free(x->fwd.error);
	free(x->rev.error);
	for (int i = 0; i < 2; i++)
		sl_conn_close(x->beside[i]);
	free(x->ps);
	free(x->rehearsal_id);
	pthread_mutex_destroy(&x->connect_mu);
	pthread_mutex_destroy(&x->fwd.mu);
	pthread_mutex_destroy(&x->rev.mu);
}

static int host_name(char *out, size_t n)
{
	if (gethostname(out, n) != 0)
		snprintf(out, n, "unknown");
	out[n - 1] = '\0';
	return 0;
}

/* Finds the run to continue or begins one. */
static int open_run(co_ctx *x)
{
	const sl_cutover_opts *o = x->o;
	sl_journal *j = NULL;
	int64_t id = 0;
	char host[256];
	host_name(host, sizeof(host));
	int rc = sl_journal_run_find(x->st, x->rb->name, x->dry, &id);
	if (!rc && id)
		rc = sl_journal_load(&j, x->st, id);
	if (rc)
		goto done;
	bool finished = j && j->run.finished_at;
	if (j && !finished && !x->dry && !o->new_run) {
		if (strcmp(j->run.digest, x->rb->digest) != 0 && !o->accept_changes) {
			rc = sl_error_set(
				SL_ECONFLICT,
				"runbook \"%s\" changed since run %lld began (%s); review the change, then "
				"resume with --accept-changes, or begin again with --new",
				x->rb->path, (long long)id, j->run.started_at);
			goto done;
		}
		x->run_id = id;
		rc = sl_journal_run_claim(x->st, id, (int64_t)getpid(), host, x->rb->digest);
		if (!rc)
			co_event(x, SL_CO_EV_NOTICE, NULL, NULL,
				 "resuming run %lld of runbook \"%s\" (%s since %s)", (long long)id,
				 x->rb->name, j->run.status, j->run.started_at);
		goto done;
	}
	if (j && finished && !o->new_run && !x->dry) {
		rc = sl_error_set(SL_ECONFLICT,
				  "run %lld of runbook \"%s\" ended (%s) at %s: nothing to resume; --new "
				  "begins another run",
				  (long long)id, x->rb->name, j->run.status, j->run.finished_at);
		goto done;
	}
	if (j && !finished) {
		sl_journal_run_update(x->st, id, "abandoned", NULL,
				      x->dry ? "a later dry run began" : "a new run began (--new)", true);
		if (x->dry) {
			/* its scratch databases, if a killed dry run left them */
			co_ctx old = *x;
			old.run_id = id;
			snprintf(old.scratch[0], sizeof(old.scratch[0]), "sluice_cutover_%lld_s",
				 (long long)id);
			snprintf(old.scratch[1], sizeof(old.scratch[1]), "sluice_cutover_%lld_t",
				 (long long)id);
			co_scratch_teardown(&old);
			x->beside[0] = old.beside[0];
			x->beside[1] = old.beside[1];
		}
	}
	sl_journal_run info = { .runbook = x->rb->name,
				.path = x->rb->path,
				.digest = x->rb->digest,
				.source = x->rb->source_display,
				.target = x->rb->target_display,
				.dry_run = x->dry,
				.pid = (int64_t)getpid(),
				.host = host,
				.os_user = co_os_user() };
	rc = sl_journal_run_begin(x->st, &x->run_id, &info);
	if (!rc)
		co_event(x, SL_CO_EV_NOTICE, NULL, NULL, "%s run %lld of runbook \"%s\": %s -> %s",
			 x->dry ? "dry" : "began", (long long)x->run_id, x->rb->name, x->rb->source_display,
			 x->rb->target_display);
done:
	sl_journal_free(j);
	return rc;
}

/* Followers a resumed run must keep going: the phase's sync as the journal left it. */
static int resume_followers(co_ctx *x, size_t pi, const sl_journal *j)
{
	const sl_rb_phase *p = &x->rb->phases[pi];
	bool drained = false;
	for (size_t i = 0; i < p->nsteps; i++)
		if (p->steps[i].type == SL_STEP_DRAIN) {
			const sl_journal_step *r = latest(j, p->steps[i].id, "forward");
			drained = drained || (r && strcmp(r->status, "done") == 0);
		}
	x->follower_phase = (int)pi;
	if (x->ps[pi].sync == 1 && !drained)
		return co_follower_start(x, &x->fwd, p, false);
	if (x->ps[pi].sync == 2)
		return co_follower_start(x, &x->rev, p, true);
	return 0;
}

/* The first forward sync-stop of phase p: where the dry run practices the rollback. */
static size_t window_end(const sl_rb_phase *p)
{
	for (size_t i = 0; i < p->nsteps; i++)
		if (p->steps[i].type == SL_STEP_SYNC_STOP)
			return i;
	return p->nsteps;
}

/* Checks the standing fences of phase pi: a budget that ran out is a failure of the freeze step. */
static int freeze_budget(co_ctx *x, size_t pi, bool *exceeded, bool *to_rollback, sl_buf *why)
{
	char which[300];
	const sl_rb_phase *p = &x->rb->phases[pi];
	int rc = co_freeze_exceeded(x, pi, exceeded, which, sizeof(which));
	*to_rollback = false;
	if (rc || !*exceeded)
		return rc;
	sl_buf_puts(why, which);
	for (size_t i = 0; i < p->nsteps; i++)
		if (p->steps[i].type == SL_STEP_FREEZE)
			*to_rollback = p->steps[i].exceed_rollback && p->nrollback;
	co_event(x, SL_CO_EV_GATE_FAILED, NULL, NULL, "%s", which);
	return 0;
}

static sl_cutover_outcome stop_run(co_ctx *x, const char *why)
{
	co_event(x, SL_CO_EV_STOPPED, NULL, NULL, "stopped: %s", why);
	return SL_CUTOVER_STOPPED;
}

/* Runs phase pi from where the journal says it stands. */
static int run_phase(co_ctx *x, size_t pi, sl_cutover_outcome *out, sl_buf *why)
{
	const sl_rb_phase *p = &x->rb->phases[pi];
	sl_journal *j = NULL;
	size_t end = x->dry && x->o->practice_rollback && p->nrollback ? window_end(p) : p->nsteps;
	int rc = sl_journal_load(&j, x->st, x->run_id);
	*out = SL_CUTOVER_DONE;
	if (rc)
		return rc;
	if (in_rollback(j, p->name)) {
		*out = rollback(x, pi, "continuing the rollback", why);
		goto done;
	}
	if ((rc = resume_followers(x, pi, j)) != 0)
		goto done;
	for (size_t i = 0; i < end; i++) {
		const sl_rb_step *s = &p->steps[i];
		const sl_journal_step *r = latest(j, s->id, "forward");
		if (settled(r, s))
			continue;
		if (co_cancelled(x)) {
			*out = SL_CUTOVER_INTERRUPTED;
			goto done;
		}
		bool exceeded = false, to_rb = false;
		if ((rc = freeze_budget(x, pi, &exceeded, &to_rb, why)) != 0)
			goto done;
		if (exceeded) {
			*out = to_rb ? rollback(x, pi, sl_buf_cstr(why), why) : stop_run(x, sl_buf_cstr(why));
			goto done;
		}
		const sl_journal_step *prev = r && strcmp(r->status, "failed") != 0 ? r : NULL;
		sl_buf_clear(why);
		step_end e = run_step(x, pi, s, prev, attempts(j, s->id, "forward") + 1, why);
		if (e == STEP_OK)
			continue;
		if (e == STEP_WAITING) {
			*out = SL_CUTOVER_WAITING;
			goto done;
		}
		if (e == STEP_INTERRUPTED) {
			*out = SL_CUTOVER_INTERRUPTED;
			goto done;
		}
		if (s->on_fail == SL_ON_FAIL_CONTINUE)
			continue;
		if (s->on_fail == SL_ON_FAIL_ROLLBACK) {
			char reason[1200];
			snprintf(reason, sizeof(reason), "%s failed: %s", s->id, sl_buf_cstr(why));
			sl_buf_clear(why);
			*out = rollback(x, pi, reason, why);
			goto done;
		}
		if (e == STEP_ERROR) {
			rc = sl_error_last()->code ? sl_error_last()->code : SL_ERROR;
			stop_run(x, sl_buf_cstr(why));
			*out = SL_CUTOVER_STOPPED;
			goto done;
		}
		*out = stop_run(x, sl_buf_cstr(why));
		goto done;
	}
	if (end < p->nsteps || (x->dry && x->o->practice_rollback && p->nrollback)) {
		/* a dry run rolls the phase back where its window closes, timed, then moves on */
		co_event(x, SL_CO_EV_NOTICE, NULL, NULL, "practicing the rollback of phase \"%s\"", p->name);
		sl_cutover_outcome ro = rollback(x, pi, "practice (dry run)", why);
		*out = ro == SL_CUTOVER_ROLLED_BACK ? SL_CUTOVER_DONE : ro;
	}
done:
	sl_journal_free(j);
	return rc;
}

/* Whether phase pi is behind the run already (every forward step settled, or rolled back). */
static bool phase_settled(co_ctx *x, size_t pi, const sl_journal *j)
{
	const sl_rb_phase *p = &x->rb->phases[pi];
	if (in_rollback(j, p->name)) {
		for (size_t i = 0; i < p->nrollback; i++) {
			const sl_journal_step *r = latest(j, p->rollback[i].id, "rollback");
			if (!r || (strcmp(r->status, "done") != 0 && strcmp(r->status, "skipped") != 0))
				return false;
		}
		return true;
	}
	for (size_t i = 0; i < p->nsteps; i++)
		if (!settled(latest(j, p->steps[i].id, "forward"), &p->steps[i]))
			return false;
	return true;
}

static int finish(co_ctx *x, sl_cutover_outcome outcome, sl_cutover_result *out, const char *msg)
{
	sl_journal *j = NULL;
	bool final = outcome == SL_CUTOVER_DONE || outcome == SL_CUTOVER_ROLLED_BACK;
	int rc = 0;
	if (final && (rc = co_score(x, SIZE_MAX, true)) != 0)
		return rc;
	if ((rc = sl_journal_load(&j, x->st, x->run_id)) != 0)
		return rc;
	out->scorecard_ok = true;
	for (size_t i = 0; i < j->nscores; i++)
		if (!j->scores[i].ok) {
			out->scorecard_ok = false;
			out->criteria_failed++;
		}
	sl_journal_free(j);
	const char *status = outcome == SL_CUTOVER_INTERRUPTED ? "interrupted" : status_of(outcome);
	rc = sl_journal_run_update(x->st, x->run_id, status, NULL, msg, final || x->dry);
	if (!rc && outcome == SL_CUTOVER_DONE)
		co_event(x, SL_CO_EV_DONE, NULL, NULL, "%s run %lld done: %s", x->dry ? "dry" : "cutover",
			 (long long)x->run_id,
			 out->scorecard_ok ? "every success criterion met" : "the scorecard has failures");
	else if (!rc && outcome == SL_CUTOVER_ROLLED_BACK)
		co_event(x, SL_CO_EV_DONE, NULL, NULL, "run %lld rolled back%s", (long long)x->run_id,
			 out->scorecard_ok ? ": no write lost" : "");
	return rc;
}

static int execute(co_ctx *x, sl_cutover_result *out, bool manual_rollback)
{
	sl_journal *j = NULL;
	sl_buf why = SL_BUF_INIT;
	sl_cutover_outcome outcome = SL_CUTOVER_DONE;
	int rc = 0;
	if (!(x->ps = calloc(x->rb->nphases + 1, sizeof(*x->ps))))
		return sl_error_nomem();
	if (x->dry && (rc = co_scratch_setup(x)) != 0)
		goto done;
	if ((rc = sl_journal_load(&j, x->st, x->run_id)) != 0)
		goto done;
	rebuild(x, j);
	size_t pi = 0;
	while (pi < x->rb->nphases && phase_settled(x, pi, j))
		pi++;
	if (manual_rollback) {
		if (pi >= x->rb->nphases) {
			rc = sl_error_set(SL_ECONFLICT,
					  "every phase of run %lld is behind it: nothing to roll back",
					  (long long)x->run_id);
			goto done;
		}
		x->phase = pi;
		char reason[300];
		snprintf(reason, sizeof(reason), "asked for by %s", co_os_user());
		outcome = rollback(x, pi, reason, &why);
		goto finished;
	}
	for (; pi < x->rb->nphases; pi++) {
		x->phase = pi;
		sl_journal_run_update(x->st, x->run_id, "running", x->rb->phases[pi].name, NULL, false);
		rc = run_phase(x, pi, &outcome, &why);
		if (rc || outcome != SL_CUTOVER_DONE)
			break;
	}
finished:
	if (co_follower_stop(&x->fwd) || co_follower_stop(&x->rev))
		sl_error_clear();
	out->outcome = outcome;
	if (why.len)
		out->message = strdup(sl_buf_cstr(&why));
	if (!rc) {
		rc = finish(x, outcome, out, why.len ? sl_buf_cstr(&why) : NULL);
	} else {
		co_saved_error keep;
		co_error_save(&keep);
		sl_journal_run_update(x->st, x->run_id, "stopped", NULL, keep.message, x->dry);
		co_error_restore(&keep);
	}
done:
	if (x->dry)
		co_scratch_teardown(x);
	sl_journal_free(j);
	sl_buf_free(&why);
	return rc;
}

void sl_cutover_result_clear(sl_cutover_result *r)
{
	free(r->message);
	memset(r, 0, sizeof(*r));
}

static int start(const sl_cutover_opts *o, sl_cutover_result *out, bool manual_rollback)
{
	co_ctx x;
	int fd = -1;
	memset(out, 0, sizeof(*out));
	if (!o->rb || !o->state || !o->connect)
		return sl_error_set(SL_EINVALID,
				    "cutover: a runbook, a state store and a way to connect are needed");
	ctx_init(&x, o);
	int rc = take_lock(&x, &fd);
	if (!rc && manual_rollback) {
		int64_t id = 0;
		sl_journal *j = NULL;
		rc = sl_journal_run_find(x.st, x.rb->name, false, &id);
		if (!rc && id)
			rc = sl_journal_load(&j, x.st, id);
		if (!rc && (!j || j->run.finished_at))
			rc = sl_error_set(SL_ENOTFOUND, "runbook \"%s\" has no run under way to roll back",
					  x.rb->name);
		if (!rc) {
			char host[256];
			host_name(host, sizeof(host));
			x.run_id = id;
			rc = sl_journal_run_claim(x.st, id, (int64_t)getpid(), host, NULL);
		}
		sl_journal_free(j);
	} else if (!rc) {
		rc = open_run(&x);
	}
	out->run_id = x.run_id;
	if (!rc)
		rc = execute(&x, out, manual_rollback);
	ctx_free(&x);
	if (fd >= 0)
		close(fd); /* releases the lock */
	return rc;
}

int sl_cutover_run(sl_cutover_result *out, const sl_cutover_opts *o)
{
	return start(o, out, false);
}

int sl_cutover_rollback(sl_cutover_result *out, const sl_cutover_opts *o)
{
	return start(o, out, true);
}
