/*
 * notify.c - events of a cutover run: told to the caller (the terminal),
 * written to the journal's timeline, and, for the kinds the runbook's
 * `notify:` asks, given to its hook command as a JSON payload on stdin
 * (docs/runbook.md, "Notifications"), for chat or paging.
 *
 * A notification never stops or slows the cutover past its timeout: the
 * hook is killed then, and its failure is journaled, not raised. Payloads
 * carry display names only, never a URL with a password.
 */
#include "cutover_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"

static const char *const event_names[] = { "step_started",    "step_done", "gate_failed",
					   "approval_needed", "approved",  "freeze",
					   "unfreeze",        "switched",  "rollback_started",
					   "rollback_done",   "stopped",   "done",
					   "notice" };

const char *sl_cutover_event_name(unsigned kind)
{
	for (size_t i = 0; i < sizeof(event_names) / sizeof(event_names[0]); i++)
		if (kind == 1u << i)
			return event_names[i];
	return NULL;
}

unsigned sl_cutover_event_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof(event_names) / sizeof(event_names[0]); i++)
		if (strcmp(event_names[i], name) == 0)
			return 1u << i;
	return 0;
}

static const char *phase_name(const co_ctx *x)
{
	return x->phase < x->rb->nphases ? x->rb->phases[x->phase].name : NULL;
}

void co_notify(co_ctx *x, unsigned kind, const char *step, const char *message, const char *detail_json)
{
	const sl_runbook *rb = x->rb;
	co_saved_error keep;
	if (!rb->notify || !(kind & rb->notify_events) || kind == SL_CO_EV_NOTICE ||
	    (x->dry && !rb->notify_dry_run))
		return;
	co_error_save(&keep);
	char now[40], run[32];
	co_proc_result pr = { 0 };
	json_t *p = json_object(), *d = detail_json ? json_loads(detail_json, 0, NULL) : NULL;
	co_now_iso(now, sizeof(now));
	json_object_set_new(p, "event", json_string(sl_cutover_event_name(kind)));
	json_object_set_new(p, "runbook", json_string(rb->name));
	json_object_set_new(p, "run", json_integer(x->run_id));
	json_object_set_new(p, "dry_run", json_boolean(x->dry));
	json_object_set_new(p, "phase", phase_name(x) ? json_string(phase_name(x)) : json_null());
	json_object_set_new(p, "step", step ? json_string(step) : json_null());
	json_object_set_new(p, "message", json_string(message ? message : ""));
	json_object_set_new(p, "source", json_string(rb->source_display));
	json_object_set_new(p, "target", json_string(rb->target_display));
	json_object_set_new(p, "at", json_string(now));
	json_object_set_new(p, "detail", d ? d : json_null());
	char *text = json_dumps(p, JSON_COMPACT | JSON_PRESERVE_ORDER);
	char *payload = text ? malloc(strlen(text) + 2) : NULL;
	if (payload) /* one JSON document per line */
		snprintf(payload, strlen(text) + 2, "%s\n", text);
	free(text);
	char ev[64], rbn[300], rn[64];
	snprintf(ev, sizeof(ev), "SLUICE_EVENT=%s", sl_cutover_event_name(kind));
	snprintf(rbn, sizeof(rbn), "SLUICE_RUNBOOK=%s", rb->name);
	snprintf(run, sizeof(run), "%lld", (long long)x->run_id);
	snprintf(rn, sizeof(rn), "SLUICE_RUN=%s", run);
	const char *env[] = { ev, rbn, rn, NULL };
	int rc = payload ? co_proc_run(&pr, rb->notify, rb->dir, payload, env, rb->notify_timeout_s, NULL,
				       NULL)
			 : sl_error_nomem();
	json_t *r = json_object();
	json_object_set_new(r, "event", json_string(sl_cutover_event_name(kind)));
	json_object_set_new(r, "status", json_integer(rc ? -1 : pr.status));
	json_object_set_new(r, "timed_out", json_boolean(pr.timed_out));
	json_object_set_new(r, "seconds", json_real((double)(int64_t)(pr.seconds * 1000) / 1000.0));
	if (rc)
		json_object_set_new(r, "error", json_string(sl_error_last()->message));
	else if (pr.status != 0 && pr.output)
		json_object_set_new(r, "output", json_string(pr.output));
	char *rs = json_dumps(r, JSON_COMPACT | JSON_PRESERVE_ORDER);
	bool failed = rc || pr.status != 0 || pr.timed_out;
	if (x->st && x->run_id && rs)
		sl_journal_event_add(x->st, x->run_id, failed ? "notify_failed" : "notified", step, rs);
	co_error_restore(&keep);
	if (failed && x->o->on_event) {
		char msg[300];
		snprintf(msg, sizeof(msg), "notify hook for %s %s (exit %d); the cutover goes on",
			 sl_cutover_event_name(kind), pr.timed_out ? "timed out" : "failed",
			 rc ? -1 : pr.status);
		sl_cutover_event e = {
			.kind = SL_CO_EV_NOTICE, .phase = phase_name(x), .step = step, .message = msg
		};
		x->o->on_event(x->o->event_ud, &e);
	}
	free(rs);
	free(payload);
	json_decref(r);
	json_decref(p);
	co_proc_result_clear(&pr);
}

void co_event(co_ctx *x, unsigned kind, const char *step, const char *detail_json, const char *fmt, ...)
{
	char msg[1200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (x->o->on_event) {
		sl_cutover_event e = { .kind = kind,
				       .phase = phase_name(x),
				       .step = step,
				       .message = msg,
				       .detail = detail_json };
		x->o->on_event(x->o->event_ud, &e);
	}
	if (x->st && x->run_id) {
		json_t *d = json_object(), *dj = detail_json ? json_loads(detail_json, 0, NULL) : NULL;
		json_object_set_new(d, "message", json_string(msg));
		if (dj)
			json_object_set_new(d, "detail", dj);
		char *s = json_dumps(d, JSON_COMPACT | JSON_PRESERVE_ORDER);
		co_saved_error keep;
		co_error_save(&keep);
		/* the timeline is best effort; the step's own record is not */
		if (s)
			sl_journal_event_add(x->st, x->run_id, sl_cutover_event_name(kind), step, s);
		co_error_restore(&keep);
		free(s);
		json_decref(d);
	}
	co_notify(x, kind, step, msg, detail_json);
}
