/*
 * status.c - sl_watch_status_json: the watch as the state store holds it,
 * as one JSON object (docs/commands/watch.md, "Status"): the current state
 * and since when, the open gap, the last runs with every figure, the recent
 * changes and gaps, and per figure its series over those runs with a trend
 * (rising, falling or steady). `sluice watch status` prints it as text or
 * as is; the HTML report charts it.
 */
#include "watch_int.h"
#include "sluice/util.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"

#define RECENT 20 /* events and gaps listed */

static json_t *number(double v)
{
	if (!isfinite(v))
		return json_null();
	if (fabs(v) < 9e15 && v == (double)(json_int_t)v)
		return json_integer((json_int_t)v);
	return json_real(v);
}

json_t *watch_run_json(const sl_state_watch_run *r)
{
	json_t *o = json_object(), *figs = json_array();
	json_object_set_new(o, "id", json_integer(r->id));
	json_object_set_new(o, "started_at", sl_json_str(r->started_at));
	json_object_set_new(o, "finished_at", sl_json_str(r->finished_at));
	json_object_set_new(o, "target", sl_json_str(r->target));
	json_object_set_new(o, "source", sl_json_str(r->source));
	json_object_set_new(o, "checks", sl_json_str(r->checks));
	json_object_set_new(o, "status", sl_json_str(r->status));
	json_object_set_new(o, "complete", json_boolean(r->complete));
	json_object_set_new(o, "state", sl_json_str(r->state));
	json_object_set_new(o, "gap_reason", sl_json_str(r->gap_reason));
	json_object_set_new(o, "duration_ms", json_integer(r->duration_ms));
	for (size_t i = 0; i < r->nfigures; i++) {
		const sl_state_watch_figure *f = &r->figures[i];
		json_t *j = json_object();
		json_object_set_new(j, "check", json_string(f->check));
		json_object_set_new(j, "item", json_string(f->item));
		json_object_set_new(j, "value", number(f->value));
		json_object_set_new(j, "unit", sl_json_str(f->unit));
		json_object_set_new(j, "level", json_string(f->level));
		json_object_set_new(j, "threshold", sl_json_str(f->threshold));
		json_object_set_new(j, "detail", sl_json_str(f->detail));
		json_object_set_new(j, "duration_ms", json_integer(f->duration_ms));
		json_array_append_new(figs, j);
	}
	json_object_set_new(o, "figures", figs);
	return o;
}

static int add_run(const sl_state_watch_run *r, void *ud)
{
	json_array_append_new(ud, watch_run_json(r));
	return 0;
}

int sl_watch_run_json(sl_buf *out, const sl_state_watch_run *r)
{
	json_t *o = watch_run_json(r);
	char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	int rc = text ? sl_buf_puts(out, text) : sl_error_nomem();
	free(text);
	json_decref(o);
	return rc;
}

static int add_event(const sl_state_watch_event *e, void *ud)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(e->id));
	json_object_set_new(o, "run_id", e->run_id ? json_integer(e->run_id) : json_null());
	json_object_set_new(o, "target", sl_json_str(e->target));
	json_object_set_new(o, "at", sl_json_str(e->at));
	json_object_set_new(o, "kind", sl_json_str(e->kind));
	json_object_set_new(o, "state", sl_json_str(e->state));
	json_object_set_new(o, "previous_state", sl_json_str(e->previous));
	json_object_set_new(o, "hook", sl_json_str(e->hook));
	json_object_set_new(o, "hook_exit",
			    e->hook && strcmp(e->hook, "pending") ? json_integer(e->hook_exit) : json_null());
	json_object_set_new(o, "hook_ms",
			    e->hook && strcmp(e->hook, "pending") ? json_integer(e->hook_ms) : json_null());
	json_object_set_new(o, "hook_error", sl_json_str(e->hook_error));
	json_array_append_new(ud, o);
	return 0;
}

static int add_gap(const sl_state_watch_gap *g, void *ud)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(g->id));
	json_object_set_new(o, "target", sl_json_str(g->target));
	json_object_set_new(o, "started_at", sl_json_str(g->started_at));
	json_object_set_new(o, "ended_at", sl_json_str(g->ended_at));
	json_object_set_new(o, "first_run_id", json_integer(g->first_run_id));
	json_object_set_new(o, "last_run_id", json_integer(g->last_run_id));
	json_object_set_new(o, "runs", json_integer(g->runs));
	json_object_set_new(o, "reason", sl_json_str(g->reason));
	json_array_append_new(ud, o);
	return 0;
}

/* rising / falling / steady: the latest value against the mean of the earlier ones (10% either way). */
static const char *direction(json_t *values)
{
	double sum = 0, last = NAN;
	size_t n = 0;
	for (size_t i = 0; i < json_array_size(values); i++) {
		json_t *v = json_array_get(values, i);
		if (!json_is_number(v))
			continue;
		if (isfinite(last)) {
			sum += last;
			n++;
		}
		last = json_number_value(v);
	}
	if (!n)
		return "steady";
	double mean = sum / (double)n, scale = fabs(mean) > fabs(last) ? fabs(mean) : fabs(last);
	if (scale == 0 || fabs(last - mean) <= 0.1 * scale)
		return "steady";
	return last > mean ? "rising" : "falling";
}

/* Per (check, item): its values over the runs, oldest first (null where not measured). */
static json_t *trends(json_t *runs)
{
	json_t *by_key = json_object(), *out = json_array();
	size_t n = json_array_size(runs);
	for (size_t i = 0; i < n; i++) {
		json_t *run = json_array_get(runs, n - 1 - i), *figs = json_object_get(run, "figures");
		for (size_t k = 0; k < json_array_size(figs); k++) {
			json_t *f = json_array_get(figs, k);
			const char *check = json_string_value(json_object_get(f, "check"));
			const char *item = json_string_value(json_object_get(f, "item"));
			char *key = NULL;
			if (!check || !item || !(key = malloc(strlen(check) + strlen(item) + 2)))
				continue;
			memcpy(key, check, strlen(check));
			key[strlen(check)] = '\x1f';
			memcpy(key + strlen(check) + 1, item, strlen(item) + 1);
			json_t *t = json_object_get(by_key, key);
			if (!t) {
				t = json_object();
				json_object_set_new(t, "check", json_string(check));
				json_object_set_new(t, "item", json_string(item));
				json_object_set(t, "unit", json_object_get(f, "unit"));
				json_object_set_new(t, "values", json_array());
				json_object_set_new(by_key, key, t);
				json_array_append(out, t);
			}
			free(key);
			json_t *values = json_object_get(t, "values");
			while (json_array_size(values) < i)
				json_array_append_new(values, json_null());
			json_array_append(values, json_object_get(f, "value"));
			json_object_set(t, "level", json_object_get(f, "level"));
		}
	}
	for (size_t k = 0; k < json_array_size(out); k++) {
		json_t *t = json_array_get(out, k), *values = json_object_get(t, "values");
		while (json_array_size(values) < n)
			json_array_append_new(values, json_null());
		json_object_set_new(t, "last", json_incref(json_array_get(values, n - 1)));
		json_object_set_new(t, "direction", json_string(direction(values)));
	}
	json_decref(by_key);
	return out;
}

static bool same(json_t *o, const char *key, const char *value)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v && value && !strcmp(v, value);
}

/* The newest change of target's state: when its current state began, and what it was before. */
static void since(json_t *root, json_t *events, const char *target)
{
	for (size_t i = 0; i < json_array_size(events); i++) {
		json_t *e = json_array_get(events, i);
		if (same(e, "kind", "state") && same(e, "target", target)) {
			json_object_set(root, "since", json_object_get(e, "at"));
			json_object_set(root, "since_run", json_object_get(e, "run_id"));
			json_object_set(root, "previous_state", json_object_get(e, "previous_state"));
			return;
		}
	}
}

/* target's open gap, or NULL (borrowed). */
static json_t *open_gap(json_t *gaps, const char *target)
{
	for (size_t i = 0; i < json_array_size(gaps); i++) {
		json_t *g = json_array_get(gaps, i);
		if (same(g, "target", target) && json_is_null(json_object_get(g, "ended_at")))
			return g;
	}
	return NULL;
}

int sl_watch_status_json(sl_buf *out, sl_state *s, size_t nruns)
{
	json_t *root = json_object(), *runs = json_array(), *events = json_array(), *gaps = json_array();
	char state[16] = "";
	int rc = sl_state_watch_runs(s, nruns ? nruns : 20, add_run, runs);
	/* the watch of the newest run's target: a store may have watched others before */
	const char *target = json_string_value(json_object_get(json_array_get(runs, 0), "target"));
	if (!rc && target)
		rc = sl_state_watch_state(s, target, state, sizeof(state));
	if (!rc)
		rc = sl_state_watch_events(s, RECENT, add_event, events);
	if (!rc)
		rc = sl_state_watch_gaps(s, RECENT, add_gap, gaps);
	if (!rc) {
		json_t *open = open_gap(gaps, target);
		json_object_set_new(root, "target", sl_json_str(target));
		json_object_set_new(root, "state", state[0] ? json_string(state) : json_null());
		json_object_set_new(root, "since", json_null());
		json_object_set_new(root, "since_run", json_null());
		json_object_set_new(root, "previous_state", json_null());
		since(root, events, target);
		json_object_set_new(root, "open_gap", open ? json_incref(open) : json_null());
		json_object_set_new(root, "last_run",
				    json_array_size(runs) ? json_incref(json_array_get(runs, 0))
							  : json_null());
		json_object_set_new(root, "trend", trends(runs));
		json_object_set(root, "runs", runs);
		json_object_set(root, "events", events);
		json_object_set(root, "gaps", gaps);
		char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		rc = text ? sl_buf_puts(out, text) : sl_error_nomem();
		if (!rc)
			rc = sl_buf_putc(out, '\n');
		free(text);
	}
	json_decref(runs);
	json_decref(events);
	json_decref(gaps);
	json_decref(root);
	return rc;
}
