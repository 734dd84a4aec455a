/*
 * payload.c - the JSON the hook gets on stdin (docs/commands/watch.md, "The
 * hook"): what happened (a change of state, or a gap starting or ending),
 * the watch's state and the one before, the run that caused it with every
 * figure, and the figures that breached or warned, so a chat message or a
 * page can say what is wrong without asking the state store. Databases
 * appear by display name only: never a URL with a password.
 */
#include "watch_int.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *figure_json(const sl_state_watch_figure *f)
{
	json_t *o = json_object();
	json_object_set_new(o, "check", json_string(f->check));
	json_object_set_new(o, "item", json_string(f->item));
	json_object_set_new(o, "value", isfinite(f->value) ? json_real(f->value) : json_null());
	json_object_set_new(o, "unit", str_or_null(f->unit));
	json_object_set_new(o, "level", json_string(f->level));
	json_object_set_new(o, "threshold", str_or_null(f->threshold));
	json_object_set_new(o, "detail", str_or_null(f->detail));
	return o;
}

/* Whole numbers print as integers ("1", not "1.0"): counts of rows read better that way. */
static void tidy_numbers(json_t *fig)
{
	json_t *v = json_object_get(fig, "value");
	if (json_is_real(v) && fabs(json_real_value(v)) < 9e15 &&
	    json_real_value(v) == (double)(json_int_t)json_real_value(v))
		json_object_set_new(fig, "value", json_integer((json_int_t)json_real_value(v)));
}

static json_t *run_json(const sl_state_watch_run *r, json_t **breached, json_t **warned)
{
	json_t *o = json_object(), *figs = json_array();
	*breached = json_array();
	*warned = json_array();
	json_object_set_new(o, "id", json_integer(r->id));
	json_object_set_new(o, "started_at", str_or_null(r->started_at));
	json_object_set_new(o, "finished_at", str_or_null(r->finished_at));
	json_object_set_new(o, "status", str_or_null(r->status));
	json_object_set_new(o, "complete", json_boolean(r->complete));
	json_object_set_new(o, "gap_reason", str_or_null(r->gap_reason));
	json_object_set_new(o, "checks", str_or_null(r->checks));
	for (size_t i = 0; i < r->nfigures; i++) {
		const sl_state_watch_figure *f = &r->figures[i];
		json_t *j = figure_json(f);
		tidy_numbers(j);
		if (!strcmp(f->level, "breach"))
			json_array_append(*breached, j);
		else if (!strcmp(f->level, "warn"))
			json_array_append(*warned, j);
		json_array_append_new(figs, j);
	}
	json_object_set_new(o, "figures", figs);
	return o;
}

int watch_payload(sl_buf *out, const watch_payload_in *in)
{
	json_t *root = json_object(), *breached = NULL, *warned = NULL;
	int rc = 0;
	json_object_set_new(root, "sluice_watch", json_integer(1));
	json_object_set_new(root, "event", json_string(in->event));
	json_object_set_new(root, "at", str_or_null(in->at));
	json_object_set_new(root, "project", str_or_null(in->project));
	json_object_set_new(root, "target", str_or_null(in->target));
	json_object_set_new(root, "source", str_or_null(in->source));
	json_object_set_new(root, "state", str_or_null(in->state));
	json_object_set_new(root, "previous_state", str_or_null(in->previous));
	if (in->gap && in->gap->change) {
		json_t *g = json_object();
		json_object_set_new(g, "id", json_integer(in->gap->gap_id));
		json_object_set_new(g, "started_at", json_string(in->gap->started_at));
		if (in->gap->change < 0) {
			json_object_set_new(g, "ended_at", str_or_null(in->run ? in->run->started_at : NULL));
			json_object_set_new(g, "runs", json_integer(in->gap->runs));
		}
		json_object_set_new(root, "gap", g);
	}
	if (in->run) {
		json_object_set_new(root, "run", run_json(in->run, &breached, &warned));
		json_object_set_new(root, "breached", breached);
		json_object_set_new(root, "warned", warned);
	}
	char *text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!text)
		rc = sl_error_nomem();
	else
		rc = sl_buf_puts(out, text);
	free(text);
	json_decref(root);
	return rc;
}
