/*
 * report.c - a cutover run as people and programs read it back: the
 * timeline (every step attempt with its time, outcome, gate and figures, the
 * side of truth per phase, the freeze windows and the approvals), the
 * scorecard, and the whole journal as one JSON document ("sluice-cutover/1",
 * described in docs/commands/cutover.md, the form `sluice report` reads).
 */
#include "cutover_int.h"
#include "sluice/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"

int co_json_str(sl_buf *b, const char *s)
{
	json_t *j = json_string(s ? s : "");
	char *t = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
	int rc = t ? sl_buf_puts(b, t) : sl_error_nomem();
	free(t);
	json_decref(j);
	return rc;
}

int sl_cutover_journal(sl_journal **out, sl_state *s, const char *runbook, bool dry_run, int64_t run_id)
{
	*out = NULL;
	int rc = 0;
	if (!run_id)
		rc = sl_journal_run_find(s, runbook, dry_run, &run_id);
	if (!rc && !run_id)
		rc = sl_error_set(SL_ENOTFOUND, "runbook \"%s\" has no %srun recorded", runbook,
				  dry_run ? "dry " : "");
	if (!rc)
		rc = sl_journal_load(out, s, run_id);
	return rc;
}

/* "12:00:03.123" of "2026-03-01T12:00:03.123Z" */
static const char *clock_of(const char *iso)
{
	const char *t = iso ? strchr(iso, 'T') : NULL;
	return t ? t + 1 : "-";
}

static json_int_t ival(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_integer(v) ? json_integer_value(v)
	       : json_is_real(v)  ? (json_int_t)json_real_value(v)
				  : 0;
}

static const char *sget(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));
	return v ? v : "";
}

static double dval(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_number(v) ? json_number_value(v) : -1;
}

/* One line of what a step measured or did, from its figures. */
/* An approve step: the approvals, or what a dry run would wait for. */
static void approve_summary(sl_buf *b, json_t *f)
{
	json_t *a = json_object_get(f, "approvals"), *v;
	size_t i;
	if (json_object_get(f, "simulated"))
		sl_buf_printf(b, "dry run: would wait for %s%s", sget(f, "simulated"),
			      json_array_size(a) ? "; " : "");
	if (json_array_size(a))
		sl_buf_puts(b, "approved by ");
	json_array_foreach(a, i, v)
	{
		sl_buf_printf(b, "%s%s (%s)", i ? ", " : "", json_string_value(json_object_get(v, "name")),
			      json_string_value(json_object_get(v, "role")));
	}
	if (json_is_true(json_object_get(f, "waiting")))
		sl_buf_puts(b, "waiting");
}

/* An unfreeze step: each window lifted, or none standing. */
static void unfreeze_summary(sl_buf *b, json_t *f)
{
	json_t *a = json_object_get(f, "freezes"), *v;
	size_t i;
	json_array_foreach(a, i, v)
	{
		sl_buf_printf(b, "%s%s frozen %.3fs of %.1fs (lifted by %s)", i ? "; " : "",
			      json_string_value(json_object_get(v, "side")),
			      (double)ival(v, "window_ms") / 1000, (double)ival(v, "budget_ms") / 1000,
			      json_string_value(json_object_get(v, "lifted_by")));
	}
	if (!json_array_size(a))
		sl_buf_puts(b, "no fence was standing");
}

/* The gate figures any step may carry: rules, discrepancies, shadow differences, lag. */
static void gate_summary(sl_buf *b, const char *t, json_t *f)
{
	if (json_object_get(f, "rules_failing"))
		sl_buf_printf(b, "%s%zu rule result(s), %lld failing", b->len ? "; " : "",
			      json_array_size(json_object_get(f, "rules")),
			      (long long)ival(f, "rules_failing"));
	if (json_object_get(f, "discrepancies"))
		sl_buf_printf(b, "%s%lld discrepancies in %zu table(s)", b->len ? "; " : "",
			      (long long)ival(f, "discrepancies"),
			      json_array_size(json_object_get(f, "diff")));
	if (json_object_get(f, "differences"))
		sl_buf_printf(b, "%s%lld shadow differences in %zu quer%s", b->len ? "; " : "",
			      (long long)ival(f, "differences"),
			      json_array_size(json_object_get(f, "shadow")),
			      json_array_size(json_object_get(f, "shadow")) == 1 ? "y" : "ies");
	if (strcmp(t, "wait-lag") && strcmp(t, "drain") && json_object_get(f, "lag_seconds"))
		sl_buf_printf(b, "%slag %.2fs", b->len ? "; " : "", dval(f, "lag_seconds"));
}

static void summary(sl_buf *b, const sl_journal_step *s, json_t *f)
{
	const char *t = s->type;
	if (!f)
		return;
	if (json_object_get(f, "recovered"))
		sl_buf_printf(b, "%s; ", json_string_value(json_object_get(f, "recovered")));
	if (!strcmp(t, "rehearse-required")) {
		json_t *id = json_object_get(f, "rehearsal_id");
		if (json_is_integer(id))
			sl_buf_printf(b, "GO rehearsal #%lld, of the %lld pending migration(s)",
				      (long long)json_integer_value(id),
				      (long long)ival(f, "pending_migrations"));
		else
			sl_buf_printf(b, "no GO rehearsal of the %lld pending migration(s)",
				      (long long)ival(f, "pending_migrations"));
	} else if (!strcmp(t, "copy")) {
		sl_buf_printf(b, "%lld rows written, %lld rejected", (long long)ival(f, "rows_written"),
			      (long long)ival(f, "rows_rejected"));
	} else if (!strcmp(t, "sync-start")) {
		sl_buf_printf(b, "capture on %lld tables, %lld rows copied", (long long)ival(f, "tables"),
			      (long long)ival(f, "rows_copied"));
	} else if (!strcmp(t, "wait-lag")) {
		sl_buf_printf(b, "lag %.2fs, %lld behind (waited %.1fs)", dval(f, "lag_seconds"),
			      (long long)ival(f, "behind"), dval(f, "waited_seconds"));
	} else if (!strcmp(t, "drain")) {
		sl_buf_printf(b, "%lld changes applied in %.2fs (%s), %lld behind",
			      (long long)ival(f, "applied"), dval(f, "seconds"), sget(f, "direction"),
			      (long long)ival(f, "behind"));
	} else if (!strcmp(t, "approve")) {
		approve_summary(b, f);
	} else if (!strcmp(t, "freeze")) {
		json_t *tb = json_object_get(f, "tables");
		if (json_object_get(f, "adopted"))
			sl_buf_puts(b, "fence found standing after a crash, adopted");
		else
			sl_buf_printf(b, "writes denied on the %s (%zu table%s, %s), budget %.1fs",
				      (*sget(f, "side") ? sget(f, "side") : "?"), json_array_size(tb),
				      json_array_size(tb) == 1 ? "" : "s",
				      (*sget(f, "method") ? sget(f, "method") : "triggers"),
				      (double)ival(f, "budget_ms") / 1000);
	} else if (!strcmp(t, "unfreeze")) {
		unfreeze_summary(b, f);
	} else if (!strcmp(t, "switch") || !strcmp(t, "command")) {
		if (json_is_true(json_object_get(f, "skipped_in_dry_run")))
			sl_buf_puts(b, "hook not run in a dry run");
		else if (json_object_get(f, "exit"))
			sl_buf_printf(b, "exit %lld in %.2fs%s", (long long)ival(f, "exit"),
				      dval(f, "seconds"),
				      json_is_true(json_object_get(f, "timed_out")) ? " (timed out, killed)"
										    : "");
	} else if (!strcmp(t, "watch")) {
		sl_buf_printf(b, "%lld rounds over %.1fs", (long long)ival(f, "rounds"),
			      dval(f, "watched_seconds"));
	} else if (!strcmp(t, "sync-reverse")) {
		sl_buf_puts(b, "capture target -> source, for the way back");
	} else if (!strcmp(t, "sync-stop")) {
		sl_buf_printf(b, "%s sync stopped", sget(f, "stopped"));
	}
	gate_summary(b, t, f);
}

/* The side of truth of phase name as the journal tells it. */
static const char *truth_now(const sl_journal *j, const char *phase, const sl_rb_phase *p)
{
	bool switched = false, back = false, rolled = false, frozen = false;
	for (size_t i = 0; i < j->nsteps; i++) {
		const sl_journal_step *s = &j->steps[i];
		if (strcmp(s->phase, phase) != 0 || strcmp(s->type, "switch") != 0 ||
		    strcmp(s->status, "done") != 0)
			continue;
		if (strcmp(s->path, "forward") == 0)
			switched = true;
		else
			back = true;
	}
	for (size_t i = 0; i < j->nsteps; i++)
		rolled = rolled ||
			 (strcmp(j->steps[i].phase, phase) == 0 && strcmp(j->steps[i].path, "rollback") == 0);
	for (size_t i = 0; i < j->nfreezes; i++)
		frozen = frozen || (strcmp(j->freezes[i].phase, phase) == 0 && !j->freezes[i].ended_us);
	if (switched && !back && !rolled)
		return frozen ? "target (writes frozen)" : "target";
	if (rolled)
		return frozen ? "source (rolled back, writes frozen)" : "source (rolled back)";
	const char *base = p && p->truth == SL_SIDE_TARGET ? "target" : "source";
	if (frozen)
		return p && p->truth == SL_SIDE_TARGET ? "target (writes frozen)" : "source (writes frozen)";
	return base;
}

/* The freeze windows of the timeline, on the database's clock. */
static void freeze_lines(sl_buf *out, const sl_journal *j, const char *bold, const char *off)
{
	if (j->nfreezes)
		sl_buf_printf(out, "\n%sfreeze windows%s (the database's clock)\n", bold, off);
	for (size_t i = 0; i < j->nfreezes; i++) {
		const sl_journal_freeze *f = &j->freezes[i];
		int64_t end = f->ended_us ? (f->ended_us < f->deadline_us ? f->ended_us : f->deadline_us) : 0;
		if (end)
			sl_buf_printf(out, "  %-10s %-6s %8.3fs of a %.1fs budget, lifted by %s\n", f->phase,
				      f->side, (double)(end - f->started_us) / 1e6,
				      (double)f->budget_ms / 1000, f->lifted_by ? f->lifted_by : "?");
		else
			sl_buf_printf(out,
				      "  %-10s %-6s standing: the fence lifts itself at its deadline (budget "
				      "%.1fs)\n",
				      f->phase, f->side, (double)f->budget_ms / 1000);
	}
}

int sl_cutover_timeline_text(sl_buf *out, const sl_journal *j, const sl_runbook *rb, bool color)
{
	const char *bold = color ? "\033[1m" : "", *red = color ? "\033[31m" : "",
		   *green = color ? "\033[32m" : "", *dim = color ? "\033[2m" : "",
		   *off = color ? "\033[0m" : "";
	const sl_journal_run *r = &j->run;
	sl_buf line = SL_BUF_INIT;
	sl_buf_printf(out, "%scutover %s%s, %srun %lld: %s%s%s\n", bold, r->runbook, off,
		      r->dry_run ? "dry " : "", (long long)r->id,
		      strcmp(r->status, "done") == 0 ? green : red, r->status, off);
	sl_buf_printf(out, "  %s -> %s, began %s%s%s by %s on %s (pid %lld)\n", r->source, r->target,
		      r->started_at, r->finished_at ? ", ended " : "", r->finished_at ? r->finished_at : "",
		      r->os_user ? r->os_user : "?", r->host ? r->host : "?", (long long)r->pid);
	if (r->message)
		sl_buf_printf(out, "  %s%s%s\n", red, r->message, off);
	/* the side of truth per phase */
	const char *last = NULL;
	sl_buf_puts(out, "  truth:");
	size_t nph = rb ? rb->nphases : 0;
	for (size_t i = 0; i < nph; i++)
		sl_buf_printf(out, " %s %s%s", rb->phases[i].name,
			      truth_now(j, rb->phases[i].name, &rb->phases[i]), i + 1 < nph ? ";" : "");
	for (size_t i = 0; !rb && i < j->nsteps; i++)
		if (!last || strcmp(last, j->steps[i].phase) != 0) {
			last = j->steps[i].phase;
			sl_buf_printf(out, " %s %s;", last, truth_now(j, last, NULL));
		}
	sl_buf_putc(out, '\n');
	last = NULL;
	for (size_t i = 0; i < j->nsteps; i++) {
		const sl_journal_step *s = &j->steps[i];
		if (!last || strcmp(last, s->phase) != 0) {
			last = s->phase;
			sl_buf_printf(out, "\n%sphase %s%s\n", bold, s->phase, off);
		}
		const char *st = s->status;
		bool bad = !strcmp(st, "failed") || !strcmp(st, "interrupted");
		json_t *f = s->figures ? json_loads(s->figures, 0, NULL) : NULL;
		sl_buf_clear(&line);
		summary(&line, s, f);
		char dur[32] = "";
		if (s->duration_ms >= 0)
			snprintf(dur, sizeof(dur), "%.2fs", (double)s->duration_ms / 1000);
		sl_buf_printf(out, "  %-12.12s %s%-28s%s %s%-11s%s %-4s %8s  %s\n", clock_of(s->started_at),
			      strcmp(s->path, "rollback") == 0 ? red : "", s->step, off,
			      bad                   ? red
			      : !strcmp(st, "done") ? green
						    : dim,
			      st, off, s->gate ? s->gate : "", dur, sl_buf_cstr(&line));
		if (s->message && strcmp(st, "done") != 0)
			sl_buf_printf(out, "  %12s %s%s%s\n", "", dim, s->message, off);
		json_decref(f);
	}
	freeze_lines(out, j, bold, off);
	if (j->napprovals)
		sl_buf_printf(out, "\n%sapprovals%s\n", bold, off);
	for (size_t i = 0; i < j->napprovals; i++) {
		const sl_journal_approval *a = &j->approvals[i];
		sl_buf_printf(out, "  %s  %-24s %s as %s%s%s%s  evidence %.19s...\n",
			      clock_of(a->approved_at), a->step, a->name, a->role, a->note ? " (\"" : "",
			      a->note ? a->note : "", a->note ? "\")" : "", a->digest);
	}
	if (j->nsteps && !strcmp(j->steps[j->nsteps - 1].status, "waiting") && j->nrequests)
		sl_buf_printf(out,
			      "\n%swaiting for approval of %s%s (evidence %s): sluice cutover approve %s "
			      "--as NAME\n",
			      bold, j->requests[j->nrequests - 1].step, off,
			      j->requests[j->nrequests - 1].digest, j->requests[j->nrequests - 1].step);
	if (j->nscores) {
		sl_buf_putc(out, '\n');
		sl_cutover_scorecard_text(out, j, color);
	}
	sl_buf_free(&line);
	return 0;
}

int sl_cutover_scorecard_text(sl_buf *out, const sl_journal *j, bool color)
{
	const char *bold = color ? "\033[1m" : "", *red = color ? "\033[31m" : "",
		   *green = color ? "\033[32m" : "", *off = color ? "\033[0m" : "";
	size_t failed = 0;
	for (size_t i = 0; i < j->nscores; i++)
		failed += !j->scores[i].ok;
	sl_buf_printf(out, "%sscorecard%s: %s%zu of %zu criteria met%s\n", bold, off, failed ? red : green,
		      j->nscores - failed, j->nscores, off);
	for (size_t i = 0; i < j->nscores; i++) {
		const sl_journal_score *s = &j->scores[i];
		sl_buf_printf(out, "  %s%s%s  %-32s %-26s %s\n", s->ok ? green : red, s->ok ? "PASS" : "FAIL",
			      off, s->criterion, s->figure ? s->figure : "", s->limit ? s->limit : "");
	}
	return 0;
}

static json_t *parsed(const char *s)
{
	json_t *v = s ? json_loads(s, 0, NULL) : NULL;
	return v ? v : json_null();
}

/* The run: what, where, by whom, and how it ended. */
static json_t *run_json(const sl_journal_run *r)
{
	json_t *run = json_object();
	json_object_set_new(run, "id", json_integer(r->id));
	json_object_set_new(run, "runbook", json_string(r->runbook));
	json_object_set_new(run, "path", sl_json_str(r->path));
	json_object_set_new(run, "digest", sl_json_str(r->digest));
	json_object_set_new(run, "source", sl_json_str(r->source));
	json_object_set_new(run, "target", sl_json_str(r->target));
	json_object_set_new(run, "dry_run", json_boolean(r->dry_run));
	json_object_set_new(run, "status", json_string(r->status));
	json_object_set_new(run, "phase", sl_json_str(r->phase));
	json_object_set_new(run, "message", sl_json_str(r->message));
	json_object_set_new(run, "started_at", sl_json_str(r->started_at));
	json_object_set_new(run, "finished_at", sl_json_str(r->finished_at));
	json_object_set_new(run, "pid", json_integer(r->pid));
	json_object_set_new(run, "host", sl_json_str(r->host));
	json_object_set_new(run, "os_user", sl_json_str(r->os_user));
	return run;
}

/* The runbook's phases with their tables and where the truth is now. */
static json_t *phases_json(const sl_journal *j, const sl_runbook *rb)
{
	json_t *phases = json_array();
	for (size_t i = 0; rb && i < rb->nphases; i++) {
		json_t *p = json_object(), *t = json_array();
		json_object_set_new(p, "name", json_string(rb->phases[i].name));
		json_object_set_new(p, "domain", sl_json_str(rb->phases[i].domain));
		for (size_t k = 0; k < rb->phases[i].ntables; k++)
			json_array_append_new(t, json_string(rb->phases[i].tables[k]));
		json_object_set_new(p, "tables", t);
		json_object_set_new(p, "truth",
				    json_string(truth_now(j, rb->phases[i].name, &rb->phases[i])));
		json_array_append_new(phases, p);
	}
	return phases;
}

/* Every step attempt. */
static json_t *steps_json(const sl_journal *j)
{
	json_t *steps = json_array();
	for (size_t i = 0; i < j->nsteps; i++) {
		const sl_journal_step *s = &j->steps[i];
		json_t *x = json_object();
		json_object_set_new(x, "step", json_string(s->step));
		json_object_set_new(x, "phase", json_string(s->phase));
		json_object_set_new(x, "type", json_string(s->type));
		json_object_set_new(x, "path", json_string(s->path));
		json_object_set_new(x, "attempt", json_integer(s->attempt));
		json_object_set_new(x, "status", json_string(s->status));
		json_object_set_new(x, "gate", sl_json_str(s->gate));
		json_object_set_new(x, "started_at", sl_json_str(s->started_at));
		json_object_set_new(x, "finished_at", sl_json_str(s->finished_at));
		json_object_set_new(x, "duration_ms",
				    s->duration_ms >= 0 ? json_integer(s->duration_ms) : json_null());
		json_object_set_new(x, "figures", parsed(s->figures));
		json_object_set_new(x, "message", sl_json_str(s->message));
		json_array_append_new(steps, x);
	}
	return steps;
}

/* The events, in order. */
static json_t *events_json(const sl_journal *j)
{
	json_t *events = json_array();
	for (size_t i = 0; i < j->nevents; i++) {
		json_t *x = json_object();
		json_object_set_new(x, "at", json_string(j->events[i].at));
		json_object_set_new(x, "kind", json_string(j->events[i].kind));
		json_object_set_new(x, "step", sl_json_str(j->events[i].step));
		json_object_set_new(x, "detail", parsed(j->events[i].detail));
		json_array_append_new(events, x);
	}
	return events;
}

/* The approvals asked for, with the evidence shown. */
static json_t *requests_json(const sl_journal *j)
{
	json_t *reqs = json_array();
	for (size_t i = 0; i < j->nrequests; i++) {
		json_t *x = json_object();
		json_object_set_new(x, "step", json_string(j->requests[i].step));
		json_object_set_new(x, "digest", json_string(j->requests[i].digest));
		json_object_set_new(x, "evidence", parsed(j->requests[i].evidence));
		json_object_set_new(x, "requested_at", json_string(j->requests[i].requested_at));
		json_array_append_new(reqs, x);
	}
	return reqs;
}

/* The approvals given. */
static json_t *approvals_json(const sl_journal *j)
{
	json_t *apps = json_array();
	for (size_t i = 0; i < j->napprovals; i++) {
		const sl_journal_approval *a = &j->approvals[i];
		json_t *x = json_object();
		json_object_set_new(x, "step", json_string(a->step));
		json_object_set_new(x, "name", json_string(a->name));
		json_object_set_new(x, "role", json_string(a->role));
		json_object_set_new(x, "note", sl_json_str(a->note));
		json_object_set_new(x, "digest", json_string(a->digest));
		json_object_set_new(x, "approved_at", json_string(a->approved_at));
		json_object_set_new(x, "os_user", sl_json_str(a->os_user));
		json_array_append_new(apps, x);
	}
	return apps;
}

/* The freeze windows and how long each lasted. */
static json_t *freezes_json(const sl_journal *j)
{
	json_t *frz = json_array();
	for (size_t i = 0; i < j->nfreezes; i++) {
		const sl_journal_freeze *f = &j->freezes[i];
		json_t *x = json_object();
		int64_t end = f->ended_us ? (f->ended_us < f->deadline_us ? f->ended_us : f->deadline_us) : 0;
		json_object_set_new(x, "phase", json_string(f->phase));
		json_object_set_new(x, "step", json_string(f->step));
		json_object_set_new(x, "side", json_string(f->side));
		json_object_set_new(x, "method", json_string(f->method));
		json_object_set_new(x, "tables", parsed(f->tables));
		json_object_set_new(x, "budget_ms", json_integer(f->budget_ms));
		json_object_set_new(x, "started_us", json_integer(f->started_us));
		json_object_set_new(x, "deadline_us", json_integer(f->deadline_us));
		json_object_set_new(x, "ended_us", f->ended_us ? json_integer(f->ended_us) : json_null());
		json_object_set_new(x, "window_ms",
				    end ? json_integer((end - f->started_us) / 1000) : json_null());
		json_object_set_new(x, "lifted_by", sl_json_str(f->lifted_by));
		json_object_set_new(x, "watchdog_pid",
				    f->watchdog_pid ? json_integer(f->watchdog_pid) : json_null());
		json_array_append_new(frz, x);
	}
	return frz;
}

/* The scorecard: every criterion evaluated, ok when all are. */
static json_t *scorecard_json(const sl_journal *j)
{
	json_t *score = json_object(), *crit = json_array();
	bool all_ok = true;
	for (size_t i = 0; i < j->nscores; i++) {
		const sl_journal_score *s = &j->scores[i];
		json_t *x = json_object();
		json_object_set_new(x, "criterion", json_string(s->criterion));
		json_object_set_new(x, "type", json_string(s->type));
		json_object_set_new(x, "phase", sl_json_str(s->phase));
		json_object_set_new(x, "ok", json_boolean(s->ok));
		json_object_set_new(x, "figure", sl_json_str(s->figure));
		json_object_set_new(x, "limit", sl_json_str(s->limit));
		json_object_set_new(x, "detail", parsed(s->detail));
		json_object_set_new(x, "evaluated_at", sl_json_str(s->evaluated_at));
		json_array_append_new(crit, x);
		all_ok = all_ok && s->ok;
	}
	json_object_set_new(score, "ok", json_boolean(all_ok));
	json_object_set_new(score, "criteria", crit);
	return score;
}

int sl_cutover_journal_json(sl_buf *out, const sl_journal *j, const sl_runbook *rb)
{
	json_t *o = json_object();
	json_object_set_new(o, "format", json_string("sluice-cutover/1"));
	json_object_set_new(o, "run", run_json(&j->run));
	json_object_set_new(o, "phases", phases_json(j, rb));
	json_object_set_new(o, "steps", steps_json(j));
	json_object_set_new(o, "events", events_json(j));
	json_object_set_new(o, "approval_requests", requests_json(j));
	json_object_set_new(o, "approvals", approvals_json(j));
	json_object_set_new(o, "freezes", freezes_json(j));
	json_object_set_new(o, "scorecard", scorecard_json(j));
	char *text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	int rc = text ? sl_buf_puts(out, text) : sl_error_nomem();
	if (!rc)
		rc = sl_buf_putc(out, '\n');
	free(text);
	json_decref(o);
	return rc;
}
