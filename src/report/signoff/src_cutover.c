/*
 * src_cutover.c - the report's cutover section, read from the cutover
 * journal (include/sluice/journal.h): the newest real run of each runbook
 * with its phases, the timeline of its steps (when, how long, gate,
 * outcome), its freeze windows measured against their budgets, the
 * approvals with the digest of the evidence they were bound to, the
 * scorecard and what was rolled back; the newest dry run of each runbook
 * beside them. Each run is judged (pass, warn, fail) with the reason in
 * words; the section takes the worst (docs/commands/report.md, "The
 * verdict"). Only reads.
 */
#include "signoff_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"
#include "sluice/journal.h"

#define MAX_RUNBOOKS 32

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *parsed(const char *s)
{
	json_t *v = s ? json_loads(s, JSON_DECODE_ANY, NULL) : NULL;
	return v ? v : s ? json_string(s) : json_null();
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400, yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

int64_t rp_iso_ms(const char *iso)
{
	int y, mo, d, h, mi, s, n = 0;
	if (!iso || sscanf(iso, "%4d-%2d-%2d%*1[T ]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &n) != 6 || !n)
		return -1;
	int64_t ms = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60000 + (int64_t)s * 1000;
	if (iso[n] == '.') {
		int64_t scale = 100;
		for (const char *p = iso + n + 1; *p >= '0' && *p <= '9' && scale; p++, scale /= 10)
			ms += (*p - '0') * scale;
	}
	return ms;
}

/* "1.2 s" for a sentence. */
static const char *dur(char *buf, size_t n, double ms)
{
	sl_buf b = SL_BUF_INIT;
	snprintf(buf, n, "%s", rp_fmt_ms(&b, ms) == 0 ? sl_buf_cstr(&b) : "?");
	sl_buf_free(&b);
	return buf;
}

static json_t *timeline(const sl_journal *j, int64_t t0)
{
	json_t *a = json_array();
	for (size_t i = 0; i < j->nsteps; i++) {
		const sl_journal_step *s = &j->steps[i];
		int64_t at = rp_iso_ms(s->started_at);
		json_t *x = json_pack("{s:s?, s:s?, s:s?, s:s?, s:i, s:s?}", "step", s->step, "phase",
				      s->phase, "type", s->type, "path", s->path, "attempt", s->attempt,
				      "status", s->status);
		json_object_set_new(x, "gate", str_or_null(s->gate));
		json_object_set_new(x, "started_at", str_or_null(s->started_at));
		json_object_set_new(x, "finished_at", str_or_null(s->finished_at));
		json_object_set_new(x, "duration_ms",
				    s->duration_ms >= 0 ? json_integer(s->duration_ms) : json_null());
		json_object_set_new(x, "offset_ms", at >= 0 && t0 >= 0 ? json_integer(at - t0) : json_null());
		json_object_set_new(x, "message", str_or_null(s->message));
		json_object_set_new(x, "figures", parsed(s->figures));
		json_array_append_new(a, x);
	}
	return a;
}

/* Per phase, in the order its first step ran: its steps, time and how it ended. */
static json_t *phases(const sl_journal *j, const json_t *tl)
{
	json_t *a = json_array(), *p = NULL, *x;
	size_t i;
	json_array_foreach(tl, i, x)
	{
		const char *name = rp_str(x, "phase");
		size_t k;
		json_t *q;
		p = NULL;
		json_array_foreach(a, k, q) if (rp_is(q, "name", name)) p = q;
		if (!p) {
			p = json_pack("{s:s?, s:s?, s:i, s:i, s:i, s:b}", "name", name, "status", "done",
				      "steps", 0, "duration_ms", 0, "failed", 0, "rolled_back", false);
			json_array_append_new(a, p);
		}
		json_object_set_new(p, "steps", json_integer(rp_int(p, "steps", 0) + 1));
		json_object_set_new(p, "duration_ms",
				    json_integer(rp_int(p, "duration_ms", 0) + rp_int(x, "duration_ms", 0)));
		if (rp_is(x, "status", "failed"))
			json_object_set_new(p, "failed", json_integer(rp_int(p, "failed", 0) + 1));
		if (rp_is(x, "path", "rollback"))
			json_object_set_new(p, "rolled_back", json_true());
	}
	/* how each phase stands: the run's status for the phase under way, else done or rolled back */
	json_array_foreach(a, i, p)
	{
		const char *st =
			json_is_true(json_object_get(p, "rolled_back")) ? "rolled back"
			: j->run.phase && rp_is(p, "name", j->run.phase) && strcmp(j->run.status, "done")
				? j->run.status
				: "done";
		json_object_set_new(p, "status", json_string(st));
	}
	return a;
}

static json_t *freezes(const sl_journal *j, int64_t t0, size_t *over)
{
	json_t *a = json_array();
	for (size_t i = 0; i < j->nfreezes; i++) {
		const sl_journal_freeze *f = &j->freezes[i];
		int64_t end = f->ended_us ? f->ended_us : 0;
		int64_t window = end ? (end - f->started_us) / 1000 : -1;
		bool overran = (window >= 0 && f->budget_ms > 0 && window > f->budget_ms) ||
			       (f->lifted_by &&
				(!strcmp(f->lifted_by, "watchdog") || !strcmp(f->lifted_by, "deadline")));
		*over += overran;
		json_t *x = json_pack("{s:s?, s:s?, s:s?, s:s?}", "phase", f->phase, "step", f->step, "side",
				      f->side, "method", f->method);
		json_object_set_new(x, "tables", parsed(f->tables));
		json_object_set_new(x, "budget_ms", json_integer(f->budget_ms));
		json_object_set_new(x, "window_ms", window >= 0 ? json_integer(window) : json_null());
		json_object_set_new(x, "started_at", rp_iso_us(f->started_us));
		json_object_set_new(x, "ended_at", rp_iso_us(end));
		json_object_set_new(x, "offset_ms",
				    t0 >= 0 && f->started_us > 0 ? json_integer(f->started_us / 1000 - t0)
								 : json_null());
		json_object_set_new(x, "lifted_by", str_or_null(f->lifted_by));
		json_object_set_new(x, "within_budget", json_boolean(!overran && window >= 0));
		json_array_append_new(a, x);
	}
	return a;
}

static json_t *approvals(const sl_journal *j)
{
	json_t *a = json_array();
	for (size_t i = 0; i < j->napprovals; i++) {
		const sl_journal_approval *p = &j->approvals[i];
		json_t *x =
			json_pack("{s:s?, s:s?, s:s?}", "step", p->step, "name", p->name, "role", p->role);
		json_object_set_new(x, "note", str_or_null(p->note));
		json_object_set_new(x, "digest", str_or_null(p->digest));
		json_object_set_new(x, "approved_at", str_or_null(p->approved_at));
		json_array_append_new(a, x);
	}
	return a;
}

static json_t *requests(const sl_journal *j)
{
	json_t *a = json_array();
	for (size_t i = 0; i < j->nrequests; i++) {
		const sl_journal_request *r = &j->requests[i];
		size_t n = 0;
		for (size_t k = 0; k < j->napprovals; k++)
			n += !strcmp(j->approvals[k].step, r->step) && j->approvals[k].digest &&
			     !strcmp(j->approvals[k].digest, r->digest);
		json_t *x = json_pack("{s:s?, s:s?, s:I}", "step", r->step, "digest", r->digest, "approvals",
				      (json_int_t)n);
		json_object_set_new(x, "requested_at", str_or_null(r->requested_at));
		json_array_append_new(a, x);
	}
	return a;
}

static json_t *scorecard(const sl_journal *j, size_t *failed)
{
	json_t *a = json_array();
	for (size_t i = 0; i < j->nscores; i++) {
		const sl_journal_score *s = &j->scores[i];
		*failed += !s->ok;
		json_t *x = json_pack("{s:s?, s:s?, s:b}", "criterion", s->criterion, "type", s->type, "ok",
				      s->ok);
		json_object_set_new(x, "phase", str_or_null(s->phase));
		json_object_set_new(x, "figure", str_or_null(s->figure));
		json_object_set_new(x, "limit", str_or_null(s->limit));
		json_object_set_new(x, "evaluated_at", str_or_null(s->evaluated_at));
		json_array_append_new(a, x);
	}
	return a;
}

/* The journal's events about rollbacks and failed gates, in order. */
static json_t *rollbacks(const sl_journal *j)
{
	json_t *a = json_array();
	for (size_t i = 0; i < j->nevents; i++) {
		const sl_journal_event *e = &j->events[i];
		if (strncmp(e->kind, "rollback", 8) && strcmp(e->kind, "gate_failed"))
			continue;
		json_t *x = json_pack("{s:s?, s:s?}", "at", e->at, "kind", e->kind);
		json_object_set_new(x, "step", str_or_null(e->step));
		json_t *d = parsed(e->detail);
		const char *msg = json_is_object(d) ? rp_str(d, "message") : json_string_value(d);
		json_object_set_new(x, "detail", str_or_null(msg));
		json_decref(d);
		json_array_append_new(a, x);
	}
	return a;
}

/* The step a waiting run waits on: the newest attempt with status "waiting". */
static const char *waiting_on(const sl_journal *j)
{
	for (size_t i = j->nsteps; i > 0; i--)
		if (!strcmp(j->steps[i - 1].status, "waiting"))
			return j->steps[i - 1].step;
	return NULL;
}

/* Judges run x (its status and why in words) from the journal j. */
static void judge(json_t *x, const sl_journal *j, size_t failed, size_t over)
{
	const char *st = j->run.status, *status = RP_PASS, *phase = j->run.phase ? j->run.phase : "?";
	const char *msg = j->run.message;
	char why[700], d[32];
	size_t n = j->nscores;
	if (!strcmp(st, "rolled_back") || !strcmp(st, "rollback_failed")) {
		status = RP_FAIL;
		snprintf(why, sizeof(why), "%s in phase %s%s%s",
			 !strcmp(st, "rolled_back") ? "rolled back" : "its rollback failed", phase,
			 msg ? ": " : "", msg ? msg : "");
	} else if (!strcmp(st, "stopped")) {
		status = RP_FAIL;
		snprintf(why, sizeof(why), "stopped in phase %s%s%s", phase, msg ? ": " : "", msg ? msg : "");
	} else if (!strcmp(st, "waiting")) {
		status = RP_WARN;
		const char *step = waiting_on(j);
		snprintf(why, sizeof(why), "not done: waiting for approval%s%s", step ? " of " : "",
			 step ? step : "");
	} else if (strcmp(st, "done")) {
		status = RP_WARN;
		snprintf(why, sizeof(why), "not done: %s in phase %s%s%s", st, phase, msg ? ": " : "",
			 msg ? msg : "");
	} else {
		int64_t t0 = rp_iso_ms(j->run.started_at), t1 = rp_iso_ms(j->run.finished_at);
		snprintf(why, sizeof(why), "done%s%s", t0 >= 0 && t1 >= t0 ? " in " : "",
			 t0 >= 0 && t1 >= t0 ? dur(d, sizeof(d), (double)(t1 - t0)) : "");
	}
	if (failed)
		status = RP_FAIL;
	if (over)
		status = RP_FAIL;
	size_t len = strlen(why);
	if (n)
		len += (size_t)snprintf(why + len, sizeof(why) - len, "; %zu of %zu success %s met",
					n - failed, n, n == 1 ? "criterion" : "criteria");
	if (over && len < sizeof(why))
		snprintf(why + len, sizeof(why) - len, "; %zu freeze %s overran %s budget", over,
			 over == 1 ? "window" : "windows", over == 1 ? "its" : "their");
	json_object_set_new(x, "judged", json_string(status));
	json_object_set_new(x, "why", json_string(why));
}

/* The newest real run: everything; a dry run: who, when, how it ended. */
static json_t *run_json(const sl_journal *j, bool whole)
{
	const sl_journal_run *r = &j->run;
	int64_t t0 = rp_iso_ms(r->started_at);
	size_t failed = 0, over = 0;
	json_t *x = json_pack("{s:I, s:s?, s:s?}", "id", (json_int_t)r->id, "runbook", r->runbook, "status",
			      r->status);
	json_object_set_new(x, "path", str_or_null(r->path));
	json_object_set_new(x, "source", str_or_null(r->source));
	json_object_set_new(x, "target", str_or_null(r->target));
	json_object_set_new(x, "phase", str_or_null(r->phase));
	json_object_set_new(x, "message", str_or_null(r->message));
	json_object_set_new(x, "started_at", str_or_null(r->started_at));
	json_object_set_new(x, "finished_at", str_or_null(r->finished_at));
	json_t *tl = timeline(j, t0), *fz = freezes(j, t0, &over), *sc = scorecard(j, &failed);
	judge(x, j, failed, over);
	if (whole) {
		json_object_set_new(x, "phases", phases(j, tl));
		json_object_set_new(x, "timeline", tl);
		json_object_set_new(x, "freezes", fz);
		json_object_set_new(x, "approval_requests", requests(j));
		json_object_set_new(x, "approvals", approvals(j));
		json_object_set_new(x, "scorecard", sc);
		json_object_set_new(x, "rollbacks", rollbacks(j));
	} else {
		json_decref(tl);
		json_decref(fz);
		json_decref(sc);
	}
	return x;
}

/* The newest run of each runbook (real or dry) as JSON objects in arr. */
static int read_runs(sl_state *st, bool dry, json_t *arr)
{
	int64_t ids[MAX_RUNBOOKS];
	size_t n = 0;
	int rc = sl_journal_run_latest(st, dry, ids, MAX_RUNBOOKS, &n);
	for (size_t i = 0; !rc && i < n; i++) {
		sl_journal *j = NULL;
		if ((rc = sl_journal_load(&j, st, ids[i])) == 0)
			json_array_append_new(arr, run_json(j, !dry));
		sl_journal_free(j);
	}
	return rc;
}

static int rank(const char *st)
{
	return !st ? 0 : !strcmp(st, RP_FAIL) ? 3 : !strcmp(st, RP_WARN) ? 2 : !strcmp(st, RP_PASS) ? 1 : 0;
}

json_t *rp_src_cutover(const sl_report_input *in, size_t runs, int *rc)
{
	(void)runs;
	json_t *real = json_array(), *dry = json_array(), *x, *worst = NULL, *s;
	size_t i;
	if (in->state && !(*rc = read_runs(in->state, false, real)))
		*rc = read_runs(in->state, true, dry);
	if (*rc) {
		json_decref(real);
		json_decref(dry);
		return NULL;
	}
	json_array_foreach(real, i, x) if (!worst || rank(rp_str(x, "judged")) >
							     rank(rp_str(worst, "judged"))) worst = x;
	if (!worst) {
		const json_t *d = json_array_get(dry, 0);
		if (d)
			s = rp_section(
				RP_NOT_RUN,
				"No cutover run yet: the newest dry run, %lld of runbook %s, %s. Run `sluice "
				"cutover run RUNBOOK`.",
				(long long)rp_int(d, "id", 0), rp_str(d, "runbook"), rp_str(d, "why"));
		else
			s = rp_section(RP_NOT_RUN, "No cutover recorded%s: run `sluice cutover run RUNBOOK`.",
				       in->state ? "" : " (there is no state store yet)");
	} else {
		size_t n = json_array_size(real);
		char head[96] = "";
		if (n > 1)
			snprintf(head, sizeof(head), "%zu runbooks; %s ", n,
				 rank(rp_str(worst, "judged")) > 1 ? "the worst:"
								   : "each one is done; the newest:");
		s = rp_section(rp_str(worst, "judged"), "%sRunbook %s, run %lld (%s \xE2\x86\x92 %s): %s.",
			       head, rp_str(worst, "runbook"), (long long)rp_int(worst, "id", 0),
			       rp_str(worst, "source") ? rp_str(worst, "source") : "?",
			       rp_str(worst, "target") ? rp_str(worst, "target") : "?", rp_str(worst, "why"));
	}
	json_object_set_new(s, "runs", real);
	json_object_set_new(s, "dry_runs", dry);
	return s;
}
