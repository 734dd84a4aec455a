/*
 * runbook_steps.c - the steps of a runbook (runbook_int.h, docs/runbook.md):
 * step types and the options each takes, the gates of require: and of the
 * gate steps, and the names steps get within their phase.
 */
#include "cutover/runbook_int.h"
#include "cutover_int.h"
#include <errno.h>
#include <libfyaml.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <openssl/sha.h>
#include "sluice/error.h"
#include "sluice/url.h"

static const char *const step_names[SL_STEP__N] = {
	[SL_STEP_REHEARSE_REQUIRED] = "rehearse-required",
	[SL_STEP_COPY] = "copy",
	[SL_STEP_SYNC_START] = "sync-start",
	[SL_STEP_WAIT_LAG] = "wait-lag",
	[SL_STEP_CHECK] = "check",
	[SL_STEP_DIFF] = "diff",
	[SL_STEP_SHADOW] = "shadow",
	[SL_STEP_APPROVE] = "approve",
	[SL_STEP_FREEZE] = "freeze",
	[SL_STEP_DRAIN] = "drain",
	[SL_STEP_SYNC_REVERSE] = "sync-reverse",
	[SL_STEP_SWITCH] = "switch",
	[SL_STEP_UNFREEZE] = "unfreeze",
	[SL_STEP_WATCH] = "watch",
	[SL_STEP_SYNC_STOP] = "sync-stop",
	[SL_STEP_COMMAND] = "command",
};

const char *sl_step_type_name(sl_step_type t)
{
	return t > 0 && t < SL_STEP__N ? step_names[t] : NULL;
}

static sl_step_type step_type_from(const char *s)
{
	for (int t = 1; t < SL_STEP__N; t++)
		if (strcmp(step_names[t], s) == 0)
			return (sl_step_type)t;
	return 0;
}

/* Options each step type takes, beside the common id, note, on_fail and require. */
static const char *const common_keys[] = { "id", "note", "on_fail", "require", NULL };
static const char *const opts_rehearse[] = { "max_age", "on", NULL };
static const char *const opts_copy[] = { "tables", "jobs", NULL };
static const char *const opts_sync_start[] = { "jobs", NULL };
static const char *const opts_wait_lag[] = { "max", "timeout", NULL };
static const char *const opts_check[] = { "rules", "on", "max", NULL };
static const char *const opts_diff[] = { "tables", "max", NULL };
static const char *const opts_shadow[] = { "queries", "max", NULL };
static const char *const opts_approve[] = { "roles", "timeout", NULL };
static const char *const opts_freeze[] = { "budget", "on", "command", "lift", "timeout", "on_exceed", NULL };
static const char *const opts_drain[] = { "timeout", NULL };
static const char *const opts_none[] = { NULL };
static const char *const opts_switch[] = { "command", "check", "timeout", "dry_run", NULL };
static const char *const opts_unfreeze[] = { "on", NULL };
static const char *const opts_watch[] = { "for", "every", "rules", "on", "shadow", "max_lag", NULL };
static const char *const opts_command[] = { "command", "check", "timeout", "dry_run", NULL };

static const char *const *const step_opts[SL_STEP__N] = {
	[SL_STEP_REHEARSE_REQUIRED] = opts_rehearse,
	[SL_STEP_COPY] = opts_copy,
	[SL_STEP_SYNC_START] = opts_sync_start,
	[SL_STEP_WAIT_LAG] = opts_wait_lag,
	[SL_STEP_CHECK] = opts_check,
	[SL_STEP_DIFF] = opts_diff,
	[SL_STEP_SHADOW] = opts_shadow,
	[SL_STEP_APPROVE] = opts_approve,
	[SL_STEP_FREEZE] = opts_freeze,
	[SL_STEP_DRAIN] = opts_drain,
	[SL_STEP_SYNC_REVERSE] = opts_none,
	[SL_STEP_SWITCH] = opts_switch,
	[SL_STEP_UNFREEZE] = opts_unfreeze,
	[SL_STEP_WATCH] = opts_watch,
	[SL_STEP_SYNC_STOP] = opts_none,
	[SL_STEP_COMMAND] = opts_command,
};

static const char *const require_keys[] = { "rules",  "on",          "discrepancies", "lag",
					    "shadow", "freeze_left", "rehearsal",     NULL };
/* ---- gates (require:, and the options of gate steps) ---- */

static int read_require(reader *r, struct fy_node *map, sl_rb_gate *g, const char *stepname)
{
	char where[200];
	struct fy_node *n;
	int rc;
	snprintf(where, sizeof(where), "the require of \"%s\"", stepname);
	if ((rc = rb_need_mapping(r, map, where)) != 0 ||
	    (rc = rb_check_keys(r, map, require_keys, NULL, where)) != 0)
		return rc;
	g->rules_on = SL_SIDE_TARGET;
	g->rehearsal_on = SL_SIDE_SOURCE;
	if ((n = rb_get(map, "rules")) != NULL) {
		g->has_rules = true;
		if ((rc = rb_str_list(r, n, &g->rules, &g->nrules, NULL, "rules")) != 0)
			return rc;
		if (g->nrules == 1 && strcmp(g->rules[0], "all") == 0)
			g->nrules = 0;
	}
	if ((n = rb_get(map, "on")) != NULL && (rc = rb_side(r, n, &g->rules_on, true, "on")) != 0)
		return rc;
	if ((n = rb_get(map, "discrepancies")) != NULL) {
		g->has_diff = true;
		if ((rc = rb_integer(r, n, &g->max_discrepancies, 0, "discrepancies")) != 0)
			return rc;
	}
	if ((n = rb_get(map, "lag")) != NULL) {
		g->has_lag = true;
		if ((rc = rb_seconds(r, n, &g->max_lag_s, "lag")) != 0)
			return rc;
	}
	if ((n = rb_get(map, "shadow")) != NULL) {
		g->has_shadow = true;
		if (fy_node_get_type(n) == FYNT_SCALAR && !rb_is_null(n)) {
			const char *s = NULL;
			if ((rc = rb_scalar(r, n, &s, "shadow")) != 0)
				return rc;
			if (strcmp(s, "clean") != 0 && strcmp(s, "all") != 0 &&
			    (rc = rb_str_list(r, n, &g->queries, &g->nqueries, NULL, "shadow")) != 0)
				return rc;
		} else if ((rc = rb_str_list(r, n, &g->queries, &g->nqueries, NULL, "shadow")) != 0)
			return rc;
	}
	if ((n = rb_get(map, "freeze_left")) != NULL) {
		g->has_freeze = true;
		if ((rc = rb_seconds(r, n, &g->min_freeze_left_s, "freeze_left")) != 0)
			return rc;
	}
	if ((n = rb_get(map, "rehearsal")) != NULL) {
		g->has_rehearsal = true;
		double s = 0;
		if ((rc = rb_seconds(r, n, &s, "rehearsal")) != 0)
			return rc;
		g->max_age_days = s / 86400.0;
	}
	return 0;
}

/* ---- steps ---- */

/* The options every step may take (docs/runbook.md, "Steps"). */
static int common_options(reader *r, sl_rb_step *st, struct fy_node *o, const char *name)
{
	struct fy_node *n;
	int rc = 0;
	if ((n = rb_get(o, "id")) != NULL && (rc = rb_scalar(r, n, &st->id, "id")) != 0)
		return rc;
	if ((n = rb_get(o, "note")) != NULL && (rc = rb_scalar(r, n, &st->note, "note")) != 0)
		return rc;
	if ((n = rb_get(o, "on_fail")) != NULL) {
		static const char *const fails[] = { "stop", "rollback", "continue", NULL };
		int i = 0;
		if ((rc = rb_one_of(r, n, fails, &i, "on_fail")) != 0)
			return rc;
		st->on_fail = (sl_on_fail)i;
	}
	if ((n = rb_get(o, "require")) != NULL && (rc = read_require(r, n, &st->require, name)) != 0)
		return rc;
	if ((n = rb_get(o, "timeout")) != NULL && (rc = rb_seconds(r, n, &st->timeout_s, "timeout")) != 0)
		return rc;
	if ((n = rb_get(o, "tables")) != NULL &&
	    (rc = rb_str_list(r, n, &st->tables, &st->ntables, NULL, "tables")) != 0)
		return rc;
	if ((n = rb_get(o, "jobs")) != NULL) {
		int64_t j = 0;
		if ((rc = rb_integer(r, n, &j, 1, "jobs")) != 0)
			return rc;
		if (j > 64)
			return co_err(r->rb, n, "\"jobs\" is at most 64");
		st->jobs = (int)j;
	}
	if ((n = rb_get(o, "command")) != NULL && (rc = rb_scalar(r, n, &st->command, "command")) != 0)
		return rc;
	if ((n = rb_get(o, "dry_run")) != NULL &&
	    (rc = rb_boolean(r, n, &st->run_in_dry_run, "dry_run")) != 0)
		return rc;
	return rc;
}

/* The options of the gate steps: rehearse-required, wait-lag, check, diff, shadow. */
static int gate_options(reader *r, sl_rb_step *st, struct fy_node *o, const char *name)
{
	struct fy_node *n;
	int rc = 0;
	sl_rb_gate *g = &st->gate;
	switch (st->type) {
	case SL_STEP_REHEARSE_REQUIRED:
		g->has_rehearsal = true;
		if ((n = rb_get(o, "max_age")) != NULL) {
			double s = 0;
			if ((rc = rb_seconds(r, n, &s, "max_age")) != 0)
				return rc;
			g->max_age_days = s / 86400.0;
		}
		if ((n = rb_get(o, "on")) != NULL)
			rc = rb_side(r, n, &g->rehearsal_on, false, "on");
		break;
	case SL_STEP_WAIT_LAG:
		g->has_lag = true;
		if (!(n = rb_get(o, "max")))
			return co_err(r->rb, rb_key_node(o, "wait-lag") ? rb_key_node(o, "wait-lag") : o,
				      "\"%s\" needs \"max\": the lag to wait for (\"5s\")", name);
		rc = rb_seconds(r, n, &g->max_lag_s, "max");
		break;
	case SL_STEP_CHECK:
		g->has_rules = true;
		if ((n = rb_get(o, "rules")) != NULL &&
		    (rc = rb_str_list(r, n, &g->rules, &g->nrules, NULL, "rules")) != 0)
			return rc;
		if (g->nrules == 1 && strcmp(g->rules[0], "all") == 0)
			g->nrules = 0;
		if ((n = rb_get(o, "on")) != NULL && (rc = rb_side(r, n, &g->rules_on, true, "on")) != 0)
			return rc;
		break;
	case SL_STEP_DIFF:
		g->has_diff = true;
		if ((n = rb_get(o, "max")) != NULL)
			rc = rb_integer(r, n, &g->max_discrepancies, 0, "max");
		break;
	case SL_STEP_SHADOW:
		g->has_shadow = true;
		if ((n = rb_get(o, "queries")) != NULL &&
		    (rc = rb_str_list(r, n, &g->queries, &g->nqueries, NULL, "queries")) != 0)
			return rc;
		if ((n = rb_get(o, "max")) != NULL)
			rc = rb_integer(r, n, &g->max_differences, 0, "max");
		break;
	default:
		break;
	}
	return rc;
}

/* The options of a freeze step: budget, rb_side, command and lift, on_exceed. */
static int freeze_options(reader *r, sl_rb_step *st, struct fy_node *o)
{
	struct fy_node *n;
	int rc = 0;
	st->exceed_rollback = true;
	if ((n = rb_get(o, "budget")) != NULL && (rc = rb_duration(r, n, &st->budget_ms, "budget")) != 0)
		return rc;
	if (n && st->budget_ms < 1)
		return co_err(r->rb, n, "\"budget\" must be above 0");
	if ((n = rb_get(o, "on")) != NULL && (rc = rb_side(r, n, &st->side, false, "on")) != 0)
		return rc;
	if ((n = rb_get(o, "lift")) != NULL && (rc = rb_scalar(r, n, &st->lift, "lift")) != 0)
		return rc;
	if (st->command && !st->lift)
		return co_err(r->rb, rb_get(o, "command"),
			      "a freeze by command needs \"lift\": the command that lifts it (run at the "
			      "deadline if nothing else does)");
	if (!st->command && st->lift)
		return co_err(r->rb, rb_get(o, "lift"), "\"lift\" goes with \"command\"");
	if ((n = rb_get(o, "on_exceed")) != NULL) {
		static const char *const ex[] = { "stop", "rollback", NULL };
		int i = 0;
		if ((rc = rb_one_of(r, n, ex, &i, "on_exceed")) != 0)
			return rc;
		st->exceed_rollback = i == 1;
	}
	return rc;
}

/* The options of a watch step: how long and how often, and what it watches. */
static int watch_options(reader *r, sl_rb_step *st, struct fy_node *o, const char *name)
{
	struct fy_node *n;
	int rc = 0;
	sl_rb_gate *g = &st->gate;
	if (!(n = rb_get(o, "for")))
		return co_err(r->rb, o, "\"%s\" needs \"for\": how long to watch (\"5m\")", name);
	if ((rc = rb_seconds(r, n, &st->watch_for_s, "for")) != 0)
		return rc;
	st->watch_every_s = 5;
	if ((n = rb_get(o, "every")) != NULL && (rc = rb_seconds(r, n, &st->watch_every_s, "every")) != 0)
		return rc;
	if (st->watch_every_s <= 0)
		return co_err(r->rb, n, "\"every\" must be above 0");
	if ((n = rb_get(o, "rules")) != NULL) {
		g->has_rules = true;
		if ((rc = rb_str_list(r, n, &g->rules, &g->nrules, NULL, "rules")) != 0)
			return rc;
		if (g->nrules == 1 && strcmp(g->rules[0], "all") == 0)
			g->nrules = 0;
	}
	if ((n = rb_get(o, "on")) != NULL && (rc = rb_side(r, n, &g->rules_on, true, "on")) != 0)
		return rc;
	if ((n = rb_get(o, "shadow")) != NULL) {
		g->has_shadow = true;
		bool all = false;
		if (fy_node_get_type(n) == FYNT_SCALAR && rb_boolean(r, n, &all, "shadow") == 0)
			g->has_shadow = all;
		else if ((rc = rb_str_list(r, n, &g->queries, &g->nqueries, NULL, "shadow")) != 0)
			return rc;
		sl_error_clear();
	}
	if ((n = rb_get(o, "max_lag")) != NULL) {
		g->has_lag = true;
		rc = rb_seconds(r, n, &g->max_lag_s, "max_lag");
	}
	return rc;
}

static int step_options(reader *r, sl_rb_step *st, struct fy_node *o, const char *name)
{
	struct fy_node *n;
	int rc = 0;
	sl_rb_gate *g = &st->gate;
	g->rules_on = SL_SIDE_TARGET;
	g->rehearsal_on = SL_SIDE_SOURCE;
	if ((rc = common_options(r, st, o, name)) != 0)
		return rc;
	switch (st->type) {
	case SL_STEP_REHEARSE_REQUIRED:
	case SL_STEP_WAIT_LAG:
	case SL_STEP_CHECK:
	case SL_STEP_DIFF:
	case SL_STEP_SHADOW:
		rc = gate_options(r, st, o, name);
		break;
	case SL_STEP_FREEZE:
		rc = freeze_options(r, st, o);
		break;
	case SL_STEP_WATCH:
		rc = watch_options(r, st, o, name);
		break;
	case SL_STEP_APPROVE:
		if (!(n = rb_get(o, "roles")))
			return co_err(r->rb, o,
				      "\"%s\" needs \"roles\": who must approve (names under roles:)", name);
		rc = rb_str_list(r, n, &st->roles, &st->nroles, NULL, "roles");
		break;
	case SL_STEP_SWITCH:
	case SL_STEP_COMMAND:
		if (!st->command)
			return co_err(r->rb, o, "\"%s\" needs \"command\": the hook to run", name);
		if ((n = rb_get(o, "check")) != NULL)
			rc = rb_scalar(r, n, &st->check, "check");
		break;
	case SL_STEP_UNFREEZE:
		if ((n = rb_get(o, "on")) != NULL)
			rc = rb_side(r, n, &st->side, false, "on");
		break;
	default:
		break;
	}
	return rc;
}

static int read_step(reader *r, struct fy_node *n, sl_rb_step *st, bool rollback)
{
	struct fy_node *tnode = n, *opts = NULL;
	const char *tname = NULL;
	int rc;
	memset(st, 0, sizeof(*st));
	st->rollback = rollback;
	st->side = SL_SIDE_DEFAULT;
	st->where = rb_where_of(r, n);
	if (fy_node_get_type(n) == FYNT_MAPPING) {
		int cnt = fy_node_mapping_item_count(n);
		void *it = NULL;
		struct fy_node_pair *kv = fy_node_mapping_iterate(n, &it);
		tnode = kv ? fy_node_pair_key(kv) : n;
		opts = kv ? fy_node_pair_value(kv) : NULL;
		if (cnt != 1) {
			const char *first = NULL;
			if (kv && rb_scalar(r, tnode, &first, "step") == 0 && rb_is_null(opts))
				return co_err(
					r->rb, n,
					"a step is TYPE or TYPE: {options}; the options of \"%s\" must be "
					"indented under it",
					first);
			sl_error_clear();
			return co_err(r->rb, n, "a step is TYPE or TYPE: {options}, with one key");
		}
	} else if (fy_node_get_type(n) != FYNT_SCALAR) {
		return co_err(r->rb, n, "a step is TYPE or TYPE: {options}, not a list");
	}
	if ((rc = rb_scalar(r, tnode, &tname, "step")) != 0)
		return rc;
	st->type = step_type_from(tname);
	if (!st->type) {
		const char *known[SL_STEP__N];
		for (int t = 1; t < SL_STEP__N; t++)
			known[t - 1] = step_names[t];
		known[SL_STEP__N - 1] = NULL;
		const char *best = sl_config_nearest(tname, known);
		if (best)
			return co_err(r->rb, tnode, "unknown step type \"%s\" (did you mean \"%s\"?)", tname,
				      best);
		return co_err(
			r->rb, tnode,
			"unknown step type \"%s\" (known: rehearse-required, copy, sync-start, wait-lag, "
			"check, diff, shadow, approve, freeze, drain, sync-reverse, switch, unfreeze, "
			"watch, sync-stop, command)",
			tname);
	}
	if (opts && !rb_is_null(opts)) {
		char where[120];
		snprintf(where, sizeof(where), "step \"%s\"", tname);
		if ((rc = rb_need_mapping(r, opts, where)) != 0 ||
		    (rc = rb_check_keys(r, opts, common_keys, step_opts[st->type], where)) != 0)
			return rc;
	} else {
		opts = NULL;
	}
	/* steps whose options are required read them from an empty mapping, for the message */
	return step_options(r, st, opts ? opts : n, tname);
}

int rb_read_steps(reader *r, struct fy_node *seq, sl_rb_step **out, size_t *nout, bool rollback,
		  const char *what)
{
	*out = NULL;
	*nout = 0;
	if (!seq || fy_node_get_type(seq) != FYNT_SEQUENCE || fy_node_sequence_item_count(seq) < 1)
		return co_err(r->rb, seq, "%s must be a list of steps", what);
	size_t cnt = (size_t)fy_node_sequence_item_count(seq);
	sl_rb_step *v = sl_arena_calloc(r->rb->arena, cnt, sizeof(*v));
	if (!v)
		return sl_error_nomem();
	void *it = NULL;
	struct fy_node *item;
	int rc = 0;
	while (!rc && (item = fy_node_sequence_iterate(seq, &it)) != NULL)
		rc = read_step(r, item, &v[(*nout)++], rollback);
	*out = v;
	return rc;
}

/* Default ids: "phase.type", "phase.type-2" for a repeat; rollback steps "phase.rollback.type". */
int rb_name_steps(reader *r, sl_rb_phase *p, sl_rb_step *steps, size_t n, bool rollback)
{
	for (size_t i = 0; i < n; i++) {
		if (steps[i].id && strchr(steps[i].id, '.'))
			continue;
		int k = 1;
		for (size_t j = 0; j < i; j++)
			k += steps[j].type == steps[i].type && !steps[j].id;
		const char *base = steps[i].id ? steps[i].id : sl_step_type_name(steps[i].type);
		steps[i].id = k > 1 && !steps[i].id ? sl_arena_printf(r->rb->arena, "%s.%s%s-%d", p->name,
								      rollback ? "rollback." : "", base, k)
						    : sl_arena_printf(r->rb->arena, "%s.%s%s", p->name,
								      rollback ? "rollback." : "", base);
		if (!steps[i].id)
			return sl_error_nomem();
	}
	return 0;
}
