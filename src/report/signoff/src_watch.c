/*
 * src_watch.c - the report's watch section, read from the watch records
 * (state.h, "watch"): the state of every watched database and since when,
 * its open gap, the last runs with their figures and the trend of each
 * figure over them (as `sluice watch status` gives them,
 * sl_watch_status_json), and how the hook deliveries went. A target in
 * breach or with an open gap is red, one at warn amber (docs/commands/
 * report.md, "The verdict"). Only reads.
 */
#include "signoff_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"
#include "sluice/state.h"
#include "sluice/watch.h"

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* A target's status and why, in words. */
static void judge(json_t *x, const sl_state_watch_target *t)
{
	char why[600];
	const char *st = t->state;
	if (t->gap_id) {
		snprintf(why, sizeof(why), "a gap is open since %s (%lld incomplete %s%s%s)",
			 t->gap_started_at ? t->gap_started_at : "?", (long long)t->gap_runs,
			 t->gap_runs == 1 ? "run" : "runs", t->gap_reason ? ": " : "",
			 t->gap_reason ? t->gap_reason : "");
		json_object_set_new(x, "status", json_string(RP_FAIL));
	} else if (!st) {
		snprintf(why, sizeof(why), "no state yet: no run has seen every database");
		json_object_set_new(x, "status", json_string(RP_WARN));
	} else {
		snprintf(why, sizeof(why), "%s since %s", st, t->since ? t->since : "its first run");
		json_object_set_new(x, "status",
				    json_string(!strcmp(st, "breach") ? RP_FAIL
						: !strcmp(st, "warn") ? RP_WARN
								      : RP_PASS));
	}
	if (t->gap_id && st) {
		size_t n = strlen(why);
		snprintf(why + n, sizeof(why) - n, "; state %s", st);
		if (!strcmp(st, "breach"))
			json_object_set_new(x, "status", json_string(RP_FAIL));
	}
	json_object_set_new(x, "why", json_string(why));
}

static int add_target(const sl_state_watch_target *t, void *ud)
{
	json_t *x = json_object(), *gap = json_null();
	json_object_set_new(x, "target", str_or_null(t->target));
	json_object_set_new(x, "state", str_or_null(t->state));
	json_object_set_new(x, "since", str_or_null(t->since));
	json_object_set_new(x, "previous_state", str_or_null(t->previous));
	json_object_set_new(x, "runs", json_integer(t->runs));
	json_object_set_new(x, "last_run_id", json_integer(t->last_run_id));
	json_object_set_new(x, "last_run_at", str_or_null(t->last_run_at));
	json_object_set_new(x, "last_run_status", str_or_null(t->last_status));
	if (t->gap_id) {
		gap = json_pack("{s:I, s:I}", "id", (json_int_t)t->gap_id, "runs", (json_int_t)t->gap_runs);
		json_object_set_new(gap, "started_at", str_or_null(t->gap_started_at));
		json_object_set_new(gap, "reason", str_or_null(t->gap_reason));
	}
	json_object_set_new(x, "open_gap", gap);
	judge(x, t);
	json_array_append_new(ud, x);
	return 0;
}

static int rank(const char *st)
{
	return !st ? 0 : !strcmp(st, RP_FAIL) ? 3 : !strcmp(st, RP_WARN) ? 2 : !strcmp(st, RP_PASS) ? 1 : 0;
}

/* Hook deliveries among the recent events: how many went, failed, wait. */
static json_t *hooks(const json_t *events)
{
	int64_t ok = 0, failed = 0, pending = 0;
	size_t i;
	json_t *e;
	json_array_foreach(events, i, e)
	{
		ok += rp_is(e, "hook", "ok");
		failed += rp_is(e, "hook", "failed") || rp_is(e, "hook", "timeout");
		pending += rp_is(e, "hook", "pending");
	}
	return json_pack("{s:I, s:I, s:I}", "delivered", (json_int_t)ok, "failed", (json_int_t)failed,
			 "pending", (json_int_t)pending);
}

json_t *rp_src_watch(const sl_report_input *in, size_t runs, int *rc)
{
	json_t *targets = json_array(), *status = NULL, *x, *worst = NULL, *s;
	sl_buf b = SL_BUF_INIT;
	size_t i;
	if (in->state && !(*rc = sl_state_watch_targets(in->state, add_target, targets)) &&
	    json_array_size(targets) && !(*rc = sl_watch_status_json(&b, in->state, runs)))
		status = json_loads(sl_buf_cstr(&b), 0, NULL);
	sl_buf_free(&b);
	if (*rc || (json_array_size(targets) && !json_is_object(status))) {
		if (!*rc)
			*rc = sl_error_set(SL_EINVALID, "the watch status is not a JSON object");
		json_decref(targets);
		json_decref(status);
		return NULL;
	}
	if (!json_array_size(targets)) {
		json_decref(targets);
		return rp_section(RP_NOT_RUN, "No watch run recorded%s: run `sluice watch`.",
				  in->state ? "" : " (there is no state store yet)");
	}
	json_array_foreach(targets, i, x) if (!worst || rank(rp_str(x, "status")) >
								rank(rp_str(worst, "status"))) worst = x;
	size_t n = json_array_size(targets);
	char head[96] = "";
	if (n > 1)
		snprintf(head, sizeof(head), "%zu databases watched; %s ", n,
			 rank(rp_str(worst, "status")) > 1 ? "the worst:" : "each one is ok; the newest:");
	s = rp_section(rp_str(worst, "status"), "%s%s watch of %s: %s (%lld %s, the newest %lld: %s).", head,
		       n > 1 ? "the" : "The", rp_str(worst, "target") ? rp_str(worst, "target") : "?",
		       rp_str(worst, "why"), (long long)rp_int(worst, "runs", 0),
		       rp_int(worst, "runs", 0) == 1 ? "run" : "runs",
		       (long long)rp_int(worst, "last_run_id", 0),
		       rp_str(worst, "last_run_status") ? rp_str(worst, "last_run_status")
							: "did not finish");
	json_object_set_new(s, "targets", targets);
	json_object_set(s, "runs", json_object_get(status, "runs"));
	json_object_set(s, "trend", json_object_get(status, "trend"));
	json_object_set(s, "events", json_object_get(status, "events"));
	json_object_set(s, "gaps", json_object_get(status, "gaps"));
	json_object_set_new(s, "hooks", hooks(json_object_get(status, "events")));
	json_decref(status);
	return s;
}
