/*
 * payload.c - the JSON the hook gets on stdin (docs/commands/watch.md, "The
 * hook"): what happened (a change of state, or a gap starting or ending),
 * the watch's state and the one before, the run that caused it with every
 * figure, and the figures that breached or warned, so a chat message or a
 * page can say what is wrong without asking the state store. Databases
 * appear by display name only: never a URL with a password.
 */
#include "watch_int.h"
#include "sluice/util.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"

/* The run, and the figures of it that breached and warned (the same objects). */
static json_t *run_json(const sl_state_watch_run *r, json_t **breached, json_t **warned)
{
	json_t *o = watch_run_json(r), *figs = json_object_get(o, "figures");
	*breached = json_array();
	*warned = json_array();
	for (size_t i = 0; i < json_array_size(figs); i++) {
		json_t *f = json_array_get(figs, i);
		const char *level = json_string_value(json_object_get(f, "level"));
		if (level && !strcmp(level, "breach"))
			json_array_append(*breached, f);
		else if (level && !strcmp(level, "warn"))
			json_array_append(*warned, f);
	}
	return o;
}

int watch_payload(sl_buf *out, const watch_payload_in *in)
{
	json_t *root = json_object(), *breached = NULL, *warned = NULL;
	int rc = 0;
	json_object_set_new(root, "sluice_watch", json_integer(1));
	json_object_set_new(root, "event", json_string(in->event));
	json_object_set_new(root, "at", sl_json_str(in->at));
	json_object_set_new(root, "project", sl_json_str(in->project));
	json_object_set_new(root, "target", sl_json_str(in->target));
	json_object_set_new(root, "source", sl_json_str(in->source));
	json_object_set_new(root, "state", sl_json_str(in->state));
	json_object_set_new(root, "previous_state", sl_json_str(in->previous));
	if (in->gap && in->gap->change) {
		json_t *g = json_object();
		json_object_set_new(g, "id", json_integer(in->gap->gap_id));
		json_object_set_new(g, "started_at", json_string(in->gap->started_at));
		if (in->gap->change < 0) {
			json_object_set_new(g, "ended_at", sl_json_str(in->run ? in->run->started_at : NULL));
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
