/*
 * runbook.c - reading a cutover runbook (docs/runbook.md, which must list
 * every key accepted here) into the model of include/sluice/cutover.h.
 *
 * The file is YAML, walked key by key: an unknown key, step type or value
 * is an error naming "file:line:col" with the nearest known word as a
 * suggestion. A step is written `TYPE` or `TYPE: {options}`. Names that
 * need the project (domains, rules, queries) or a database (tables) are
 * checked later by runbook_check.c. Every string lives in the runbook's
 * arena; the document and its text are kept for positions.
 */
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

#define MAX_RUNBOOK_SIZE ((size_t)4 << 20)

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

static const char *const top_keys[] = { "runbook", "description", "project",         "source",
					"target",  "roles",       "downtime_budget", "approval_timeout",
					"notify",  "phases",      "success",         NULL };
static const char *const notify_keys[] = { "command", "timeout", "events", "dry_run", NULL };
static const char *const phase_keys[] = { "name",  "domain",   "tables", "truth",
					  "steps", "rollback", "note",   NULL };
static const char *const require_keys[] = { "rules",  "on",          "discrepancies", "lag",
					    "shadow", "freeze_left", "rehearsal",     NULL };
static const char *const success_keys[] = { "name", "type", "tables", "rules", "queries",
					    "max",  "per",  "note",   NULL };
static const char *const criterion_names[] = { "lost_rows", "rules", "downtime", "shadow", "diff", NULL };

/* The reader: the runbook being filled and where the YAML came from. */
typedef struct reader {
	sl_runbook *rb;
} reader;

int co_err(const sl_runbook *rb, struct fy_node *n, const char *fmt, ...)
{
	char msg[900], where[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sl_error_set(SL_EINVALID, "%s: %s", sl_yaml_where(rb->path, n, where, sizeof(where)), msg);
}

static const char *where_of(reader *r, struct fy_node *n)
{
	char buf[512];
	return sl_arena_strdup(r->rb->arena, sl_yaml_where(r->rb->path, n, buf, sizeof(buf)));
}

static bool is_alias(struct fy_node *n)
{
	return n && fy_node_get_type(n) == FYNT_SCALAR && fy_node_get_style(n) == FYNS_ALIAS;
}

static bool is_null(struct fy_node *n)
{
	size_t len = 0;
	const char *s;
	if (!n)
		return true;
	if (fy_node_get_type(n) != FYNT_SCALAR || fy_node_get_style(n) != FYNS_PLAIN)
		return false;
	s = fy_node_get_scalar(n, &len);
	return len == 0 || (len == 1 && s[0] == '~') || (len == 4 && strncmp(s, "null", 4) == 0);
}

/* A scalar as a NUL-terminated string in the arena. */
static int scalar(reader *r, struct fy_node *n, const char **out, const char *what)
{
	size_t len = 0;
	const char *s;
	*out = NULL;
	if (is_alias(n))
		return co_err(r->rb, n, "\"%s\": YAML aliases are not allowed in a runbook", what);
	if (!n || fy_node_get_type(n) != FYNT_SCALAR || is_null(n))
		return co_err(r->rb, n, "\"%s\" must be a string", what);
	s = fy_node_get_scalar(n, &len);
	if (!(*out = sl_arena_strndup(r->rb->arena, s, len)))
		return sl_error_nomem();
	return 0;
}

/* A list of strings, or one string standing for a list of one. */
static int str_list(reader *r, struct fy_node *n, const char ***out, size_t *nout, const char ***wheres,
		    const char *what)
{
	*out = NULL;
	*nout = 0;
	if (n && fy_node_get_type(n) == FYNT_SCALAR && !is_null(n)) {
		const char **v = sl_arena_calloc(r->rb->arena, 1, sizeof(*v));
		if (!v)
			return sl_error_nomem();
		if (wheres && !(*wheres = sl_arena_calloc(r->rb->arena, 1, sizeof(char *))))
			return sl_error_nomem();
		if (wheres)
			(*wheres)[0] = where_of(r, n);
		*out = v;
		*nout = 1;
		return scalar(r, n, &v[0], what);
	}
	if (!n || fy_node_get_type(n) != FYNT_SEQUENCE || fy_node_sequence_item_count(n) < 1)
		return co_err(r->rb, n, "\"%s\" must be a list of names", what);
	size_t cnt = (size_t)fy_node_sequence_item_count(n);
	const char **v = sl_arena_calloc(r->rb->arena, cnt, sizeof(*v));
	if (!v || (wheres && !(*wheres = sl_arena_calloc(r->rb->arena, cnt, sizeof(char *)))))
		return sl_error_nomem();
	void *it = NULL;
	struct fy_node *item;
	int rc = 0;
	while (!rc && (item = fy_node_sequence_iterate(n, &it)) != NULL) {
		if (wheres)
			(*wheres)[*nout] = where_of(r, item);
		rc = scalar(r, item, &v[(*nout)++], what);
	}
	*out = v;
	return rc;
}

int co_parse_duration(const char *s, int64_t *ms)
{
	size_t n = strlen(s);
	if (n > 1 && s[n - 1] == 'd') {
		char *end = NULL;
		errno = 0;
		double v = strtod(s, &end);
		if (end == s + n - 1 && !errno && v >= 0 && v < 1e6) {
			*ms = (int64_t)(v * 86400000.0 + 0.5);
			return 0;
		}
	}
	int rc = sl_config_parse_duration(s, ms);
	if (rc)
		sl_error_set(SL_EINVALID, "\"%s\" is not a duration (a number and ms, s, m, h or d: \"30s\")",
			     s);
	return rc;
}

static int duration(reader *r, struct fy_node *n, int64_t *ms, const char *what)
{
	const char *s = NULL;
	int rc = scalar(r, n, &s, what);
	if (!rc && co_parse_duration(s, ms) != 0)
		rc = co_err(r->rb, n, "\"%s\": %s", what, sl_error_last()->message);
	return rc;
}

static int seconds(reader *r, struct fy_node *n, double *out, const char *what)
{
	int64_t ms = 0;
	int rc = duration(r, n, &ms, what);
	*out = (double)ms / 1000.0;
	return rc;
}

static int integer(reader *r, struct fy_node *n, int64_t *out, int64_t min, const char *what)
{
	const char *s = NULL;
	char *end = NULL;
	int rc = scalar(r, n, &s, what);
	if (rc)
		return rc;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (end == s || *end || errno || v < min)
		return co_err(r->rb, n, "\"%s\" must be a whole number of at least %lld, not \"%s\"", what,
			      (long long)min, s);
	*out = v;
	return 0;
}

static int boolean(reader *r, struct fy_node *n, bool *out, const char *what)
{
	const char *s = NULL;
	int rc = scalar(r, n, &s, what);
	if (rc)
		return rc;
	if (!strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcasecmp(s, "on"))
		*out = true;
	else if (!strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcasecmp(s, "off"))
		*out = false;
	else
		return co_err(r->rb, n, "\"%s\" must be true or false, not \"%s\"", what, s);
	return 0;
}

/* One of words; error with the list and the nearest one. */
static int one_of(reader *r, struct fy_node *n, const char *const *words, int *out, const char *what)
{
	const char *s = NULL;
	int rc = scalar(r, n, &s, what);
	if (rc)
		return rc;
	for (int i = 0; words[i]; i++)
		if (strcmp(words[i], s) == 0) {
			*out = i;
			return 0;
		}
	sl_buf list = SL_BUF_INIT;
	for (int i = 0; words[i]; i++)
		sl_buf_printf(&list, "%s%s", i ? ", " : "", words[i]);
	const char *best = sl_config_nearest(s, words);
	char hint[120] = "";
	if (best)
		snprintf(hint, sizeof(hint), " (did you mean \"%s\"?)", best);
	rc = co_err(r->rb, n, "\"%s\" must be one of %s, not \"%s\"%s", what, sl_buf_cstr(&list), s, hint);
	sl_buf_free(&list);
	return rc;
}

static int side(reader *r, struct fy_node *n, sl_side *out, bool both, const char *what)
{
	static const char *const sides[] = { "source", "target", "both", NULL };
	static const char *const two[] = { "source", "target", NULL };
	int i = 0;
	int rc = one_of(r, n, both ? sides : two, &i, what);
	*out = (sl_side)i;
	return rc;
}

/* Checks that every key of map is in known (or in more); the nearest known key is suggested. */
static int check_keys(reader *r, struct fy_node *map, const char *const *known, const char *const *more,
		      const char *where)
{
	void *it = NULL;
	struct fy_node_pair *kv;
	const char *all[64];
	size_t n = 0;
	for (size_t i = 0; known && known[i] && n < 63; i++)
		all[n++] = known[i];
	for (size_t i = 0; more && more[i] && n < 63; i++)
		all[n++] = more[i];
	all[n] = NULL;
	while ((kv = fy_node_mapping_iterate(map, &it)) != NULL) {
		struct fy_node *k = fy_node_pair_key(kv);
		const char *name = NULL;
		int rc = scalar(r, k, &name, where);
		if (rc)
			return rc;
		bool ok = false;
		for (size_t i = 0; !ok && i < n; i++)
			ok = strcmp(all[i], name) == 0;
		if (ok)
			continue;
		const char *best = sl_config_nearest(name, all);
		sl_buf list = SL_BUF_INIT;
		for (size_t i = 0; i < n; i++)
			sl_buf_printf(&list, "%s%s", i ? ", " : "", all[i]);
		if (best)
			rc = co_err(r->rb, k, "unknown key \"%s\" in %s (did you mean \"%s\"?)", name, where,
				    best);
		else
			rc = co_err(r->rb, k, "unknown key \"%s\" in %s (known: %s)", name, where,
				    n ? sl_buf_cstr(&list) : "none");
		sl_buf_free(&list);
		return rc;
	}
	return 0;
}

static struct fy_node *get(struct fy_node *map, const char *key)
{
	return map && fy_node_get_type(map) == FYNT_MAPPING
		       ? fy_node_mapping_lookup_by_string(map, key, FY_NT)
		       : NULL;
}

/* The mapping's key node for key (for positions). */
static struct fy_node *key_node(struct fy_node *map, const char *key)
{
	void *it = NULL;
	struct fy_node_pair *kv;
	while (map && fy_node_get_type(map) == FYNT_MAPPING &&
	       (kv = fy_node_mapping_iterate(map, &it)) != NULL) {
		size_t len = 0;
		const char *s = fy_node_get_scalar(fy_node_pair_key(kv), &len);
		if (s && len == strlen(key) && strncmp(s, key, len) == 0)
			return fy_node_pair_key(kv);
	}
	return NULL;
}

static int need_mapping(reader *r, struct fy_node *n, const char *what)
{
	if (n && fy_node_get_type(n) == FYNT_MAPPING)
		return 0;
	return co_err(r->rb, n, "%s must be a mapping of keys to values", what);
}

/* ---- gates (require:, and the options of gate steps) ---- */

static int read_require(reader *r, struct fy_node *map, sl_rb_gate *g, const char *stepname)
{
	char where[200];
	struct fy_node *n;
	int rc;
	snprintf(where, sizeof(where), "the require of \"%s\"", stepname);
	if ((rc = need_mapping(r, map, where)) != 0 ||
	    (rc = check_keys(r, map, require_keys, NULL, where)) != 0)
		return rc;
	g->rules_on = SL_SIDE_TARGET;
	g->rehearsal_on = SL_SIDE_SOURCE;
	if ((n = get(map, "rules")) != NULL) {
		g->has_rules = true;
		if ((rc = str_list(r, n, &g->rules, &g->nrules, NULL, "rules")) != 0)
			return rc;
		if (g->nrules == 1 && strcmp(g->rules[0], "all") == 0)
			g->nrules = 0;
	}
	if ((n = get(map, "on")) != NULL && (rc = side(r, n, &g->rules_on, true, "on")) != 0)
		return rc;
	if ((n = get(map, "discrepancies")) != NULL) {
		g->has_diff = true;
		if ((rc = integer(r, n, &g->max_discrepancies, 0, "discrepancies")) != 0)
			return rc;
	}
	if ((n = get(map, "lag")) != NULL) {
		g->has_lag = true;
		if ((rc = seconds(r, n, &g->max_lag_s, "lag")) != 0)
			return rc;
	}
	if ((n = get(map, "shadow")) != NULL) {
		g->has_shadow = true;
		if (fy_node_get_type(n) == FYNT_SCALAR && !is_null(n)) {
			const char *s = NULL;
			if ((rc = scalar(r, n, &s, "shadow")) != 0)
				return rc;
			if (strcmp(s, "clean") != 0 && strcmp(s, "all") != 0 &&
			    (rc = str_list(r, n, &g->queries, &g->nqueries, NULL, "shadow")) != 0)
				return rc;
		} else if ((rc = str_list(r, n, &g->queries, &g->nqueries, NULL, "shadow")) != 0)
			return rc;
	}
	if ((n = get(map, "freeze_left")) != NULL) {
		g->has_freeze = true;
		if ((rc = seconds(r, n, &g->min_freeze_left_s, "freeze_left")) != 0)
			return rc;
	}
	if ((n = get(map, "rehearsal")) != NULL) {
		g->has_rehearsal = true;
		double s = 0;
		if ((rc = seconds(r, n, &s, "rehearsal")) != 0)
			return rc;
		g->max_age_days = s / 86400.0;
	}
	return 0;
}

/* ---- steps ---- */

static int step_options(reader *r, sl_rb_step *st, struct fy_node *o, const char *name)
{
	struct fy_node *n;
	int rc = 0;
	sl_rb_gate *g = &st->gate;
	g->rules_on = SL_SIDE_TARGET;
	g->rehearsal_on = SL_SIDE_SOURCE;
	if ((n = get(o, "id")) != NULL && (rc = scalar(r, n, &st->id, "id")) != 0)
		return rc;
	if ((n = get(o, "note")) != NULL && (rc = scalar(r, n, &st->note, "note")) != 0)
		return rc;
	if ((n = get(o, "on_fail")) != NULL) {
		static const char *const fails[] = { "stop", "rollback", "continue", NULL };
		int i = 0;
		if ((rc = one_of(r, n, fails, &i, "on_fail")) != 0)
			return rc;
		st->on_fail = (sl_on_fail)i;
	}
	if ((n = get(o, "require")) != NULL && (rc = read_require(r, n, &st->require, name)) != 0)
		return rc;
	if ((n = get(o, "timeout")) != NULL && (rc = seconds(r, n, &st->timeout_s, "timeout")) != 0)
		return rc;
	if ((n = get(o, "tables")) != NULL &&
	    (rc = str_list(r, n, &st->tables, &st->ntables, NULL, "tables")) != 0)
		return rc;
	if ((n = get(o, "jobs")) != NULL) {
		int64_t j = 0;
		if ((rc = integer(r, n, &j, 1, "jobs")) != 0)
			return rc;
		if (j > 64)
			return co_err(r->rb, n, "\"jobs\" is at most 64");
		st->jobs = (int)j;
	}
	if ((n = get(o, "command")) != NULL && (rc = scalar(r, n, &st->command, "command")) != 0)
		return rc;
	if ((n = get(o, "dry_run")) != NULL && (rc = boolean(r, n, &st->run_in_dry_run, "dry_run")) != 0)
		return rc;
	switch (st->type) {
	case SL_STEP_REHEARSE_REQUIRED:
		g->has_rehearsal = true;
		if ((n = get(o, "max_age")) != NULL) {
			double s = 0;
			if ((rc = seconds(r, n, &s, "max_age")) != 0)
				return rc;
			g->max_age_days = s / 86400.0;
		}
		if ((n = get(o, "on")) != NULL)
			rc = side(r, n, &g->rehearsal_on, false, "on");
		break;
	case SL_STEP_WAIT_LAG:
		g->has_lag = true;
		if (!(n = get(o, "max")))
			return co_err(r->rb, key_node(o, "wait-lag") ? key_node(o, "wait-lag") : o,
				      "\"%s\" needs \"max\": the lag to wait for (\"5s\")", name);
		rc = seconds(r, n, &g->max_lag_s, "max");
		break;
	case SL_STEP_CHECK:
		g->has_rules = true;
		if ((n = get(o, "rules")) != NULL &&
		    (rc = str_list(r, n, &g->rules, &g->nrules, NULL, "rules")) != 0)
			return rc;
		if (g->nrules == 1 && strcmp(g->rules[0], "all") == 0)
			g->nrules = 0;
		if ((n = get(o, "on")) != NULL && (rc = side(r, n, &g->rules_on, true, "on")) != 0)
			return rc;
		break;
	case SL_STEP_DIFF:
		g->has_diff = true;
		if ((n = get(o, "max")) != NULL)
			rc = integer(r, n, &g->max_discrepancies, 0, "max");
		break;
	case SL_STEP_SHADOW:
		g->has_shadow = true;
		if ((n = get(o, "queries")) != NULL &&
		    (rc = str_list(r, n, &g->queries, &g->nqueries, NULL, "queries")) != 0)
			return rc;
		if ((n = get(o, "max")) != NULL)
			rc = integer(r, n, &g->max_differences, 0, "max");
		break;
	case SL_STEP_APPROVE:
		if (!(n = get(o, "roles")))
			return co_err(r->rb, o,
				      "\"%s\" needs \"roles\": who must approve (names under roles:)", name);
		rc = str_list(r, n, &st->roles, &st->nroles, NULL, "roles");
		break;
	case SL_STEP_FREEZE:
		st->exceed_rollback = true;
		if ((n = get(o, "budget")) != NULL && (rc = duration(r, n, &st->budget_ms, "budget")) != 0)
			return rc;
		if (n && st->budget_ms < 1)
			return co_err(r->rb, n, "\"budget\" must be above 0");
		if ((n = get(o, "on")) != NULL && (rc = side(r, n, &st->side, false, "on")) != 0)
			return rc;
		if ((n = get(o, "lift")) != NULL && (rc = scalar(r, n, &st->lift, "lift")) != 0)
			return rc;
		if (st->command && !st->lift)
			return co_err(
				r->rb, get(o, "command"),
				"a freeze by command needs \"lift\": the command that lifts it (run at the "
				"deadline if nothing else does)");
		if (!st->command && st->lift)
			return co_err(r->rb, get(o, "lift"), "\"lift\" goes with \"command\"");
		if ((n = get(o, "on_exceed")) != NULL) {
			static const char *const ex[] = { "stop", "rollback", NULL };
			int i = 0;
			if ((rc = one_of(r, n, ex, &i, "on_exceed")) != 0)
				return rc;
			st->exceed_rollback = i == 1;
		}
		break;
	case SL_STEP_SWITCH:
	case SL_STEP_COMMAND:
		if (!st->command)
			return co_err(r->rb, o, "\"%s\" needs \"command\": the hook to run", name);
		if ((n = get(o, "check")) != NULL)
			rc = scalar(r, n, &st->check, "check");
		break;
	case SL_STEP_UNFREEZE:
		if ((n = get(o, "on")) != NULL)
			rc = side(r, n, &st->side, false, "on");
		break;
	case SL_STEP_WATCH:
		if (!(n = get(o, "for")))
			return co_err(r->rb, o, "\"%s\" needs \"for\": how long to watch (\"5m\")", name);
		if ((rc = seconds(r, n, &st->watch_for_s, "for")) != 0)
			return rc;
		st->watch_every_s = 5;
		if ((n = get(o, "every")) != NULL && (rc = seconds(r, n, &st->watch_every_s, "every")) != 0)
			return rc;
		if (st->watch_every_s <= 0)
			return co_err(r->rb, n, "\"every\" must be above 0");
		if ((n = get(o, "rules")) != NULL) {
			g->has_rules = true;
			if ((rc = str_list(r, n, &g->rules, &g->nrules, NULL, "rules")) != 0)
				return rc;
			if (g->nrules == 1 && strcmp(g->rules[0], "all") == 0)
				g->nrules = 0;
		}
		if ((n = get(o, "on")) != NULL && (rc = side(r, n, &g->rules_on, true, "on")) != 0)
			return rc;
		if ((n = get(o, "shadow")) != NULL) {
			g->has_shadow = true;
			bool all = false;
			if (fy_node_get_type(n) == FYNT_SCALAR && boolean(r, n, &all, "shadow") == 0)
				g->has_shadow = all;
			else if ((rc = str_list(r, n, &g->queries, &g->nqueries, NULL, "shadow")) != 0)
				return rc;
			sl_error_clear();
		}
		if ((n = get(o, "max_lag")) != NULL) {
			g->has_lag = true;
			rc = seconds(r, n, &g->max_lag_s, "max_lag");
		}
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
	st->where = where_of(r, n);
	if (fy_node_get_type(n) == FYNT_MAPPING) {
		int cnt = fy_node_mapping_item_count(n);
		void *it = NULL;
		struct fy_node_pair *kv = fy_node_mapping_iterate(n, &it);
		tnode = kv ? fy_node_pair_key(kv) : n;
		opts = kv ? fy_node_pair_value(kv) : NULL;
		if (cnt != 1) {
			const char *first = NULL;
			if (kv && scalar(r, tnode, &first, "step") == 0 && is_null(opts))
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
	if ((rc = scalar(r, tnode, &tname, "step")) != 0)
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
	if (opts && !is_null(opts)) {
		char where[120];
		snprintf(where, sizeof(where), "step \"%s\"", tname);
		if ((rc = need_mapping(r, opts, where)) != 0 ||
		    (rc = check_keys(r, opts, common_keys, step_opts[st->type], where)) != 0)
			return rc;
	} else {
		opts = NULL;
	}
	/* steps whose options are required read them from an empty mapping, for the message */
	return step_options(r, st, opts ? opts : n, tname);
}

static int read_steps(reader *r, struct fy_node *seq, sl_rb_step **out, size_t *nout, bool rollback,
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
static int name_steps(reader *r, sl_rb_phase *p, sl_rb_step *steps, size_t n, bool rollback)
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

static int read_phase(reader *r, struct fy_node *n, sl_rb_phase *p)
{
	struct fy_node *v;
	int rc;
	memset(p, 0, sizeof(*p));
	p->where = where_of(r, n);
	if ((rc = need_mapping(r, n, "a phase")) != 0 ||
	    (rc = check_keys(r, n, phase_keys, NULL, "a phase")) != 0)
		return rc;
	if (!(v = get(n, "name")))
		return co_err(r->rb, n, "a phase needs a \"name\"");
	if ((rc = scalar(r, v, &p->name, "name")) != 0)
		return rc;
	for (const char *c = p->name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
		      *c == '_' || *c == '-'))
			return co_err(r->rb, v, "phase name \"%s\": use letters, digits, '_' and '-'",
				      p->name);
	struct fy_node *d = get(n, "domain"), *t = get(n, "tables");
	if (!d == !t)
		return co_err(r->rb, n, "phase \"%s\" needs one of \"domain\" (of sluice.yaml) or \"tables\"",
			      p->name);
	if (d) {
		p->where_domain = where_of(r, d);
		rc = scalar(r, d, &p->domain, "domain");
	} else {
		p->where_domain = where_of(r, t);
		rc = str_list(r, t, &p->tables, &p->ntables, &p->where_tables, "tables");
	}
	if (rc)
		return rc;
	p->truth = SL_SIDE_SOURCE;
	if ((v = get(n, "truth")) != NULL && (rc = side(r, v, &p->truth, false, "truth")) != 0)
		return rc;
	char what[200];
	snprintf(what, sizeof(what), "the steps of phase \"%s\"", p->name);
	if ((rc = read_steps(r, get(n, "steps"), &p->steps, &p->nsteps, false, what)) != 0)
		return rc;
	if ((v = get(n, "rollback")) != NULL) {
		snprintf(what, sizeof(what), "the rollback of phase \"%s\"", p->name);
		if ((rc = read_steps(r, v, &p->rollback, &p->nrollback, true, what)) != 0)
			return rc;
	}
	if (!(rc = name_steps(r, p, p->steps, p->nsteps, false)))
		rc = name_steps(r, p, p->rollback, p->nrollback, true);
	return rc;
}

static int read_roles(reader *r, struct fy_node *n)
{
	sl_runbook *rb = r->rb;
	if (fy_node_get_type(n) != FYNT_MAPPING)
		return co_err(rb, n, "\"roles\" must map each role to the names of its members");
	size_t cnt = (size_t)fy_node_mapping_item_count(n);
	if (!(rb->roles = sl_arena_calloc(rb->arena, cnt + 1, sizeof(*rb->roles))))
		return sl_error_nomem();
	void *it = NULL;
	struct fy_node_pair *kv;
	int rc = 0;
	while (!rc && (kv = fy_node_mapping_iterate(n, &it)) != NULL) {
		sl_rb_role *role = &rb->roles[rb->nroles++];
		rc = scalar(r, fy_node_pair_key(kv), &role->name, "roles");
		if (!rc)
			rc = str_list(r, fy_node_pair_value(kv), &role->members, &role->nmembers, NULL,
				      role->name);
	}
	return rc;
}

static int read_notify(reader *r, struct fy_node *n)
{
	sl_runbook *rb = r->rb;
	struct fy_node *v;
	int rc;
	if ((rc = need_mapping(r, n, "\"notify\"")) != 0 ||
	    (rc = check_keys(r, n, notify_keys, NULL, "\"notify\"")) != 0)
		return rc;
	if (!(v = get(n, "command")))
		return co_err(rb, n,
			      "\"notify\" needs \"command\": the hook that gets each event as JSON on stdin");
	if ((rc = scalar(r, v, &rb->notify, "command")) != 0)
		return rc;
	if ((v = get(n, "timeout")) != NULL && (rc = seconds(r, v, &rb->notify_timeout_s, "timeout")) != 0)
		return rc;
	if ((v = get(n, "dry_run")) != NULL && (rc = boolean(r, v, &rb->notify_dry_run, "dry_run")) != 0)
		return rc;
	if ((v = get(n, "events")) != NULL) {
		const char **ev = NULL, **wh = NULL;
		size_t nev = 0;
		if ((rc = str_list(r, v, &ev, &nev, &wh, "events")) != 0)
			return rc;
		rb->notify_events = 0;
		for (size_t i = 0; i < nev; i++) {
			unsigned k =
				strcmp(ev[i], "all") == 0 ? SL_CO_EV_ALL : sl_cutover_event_from_name(ev[i]);
			if (!k || k == SL_CO_EV_NOTICE) {
				static const char *const names[] = { "step_started",
								     "step_done",
								     "gate_failed",
								     "approval_needed",
								     "approved",
								     "freeze",
								     "unfreeze",
								     "switched",
								     "rollback_started",
								     "rollback_done",
								     "stopped",
								     "done",
								     "all",
								     NULL };
				const char *best = sl_config_nearest(ev[i], names);
				return sl_error_set(SL_EINVALID, "%s: unknown event \"%s\"%s%s%s", wh[i],
						    ev[i], best ? " (did you mean \"" : "", best ? best : "",
						    best ? "\"?)" : "");
			}
			rb->notify_events |= k;
		}
	}
	return 0;
}

static int read_criterion(reader *r, struct fy_node *n, sl_rb_criterion *c)
{
	struct fy_node *v;
	int rc, type = 0;
	memset(c, 0, sizeof(*c));
	c->where = where_of(r, n);
	if ((rc = need_mapping(r, n, "a success criterion")) != 0 ||
	    (rc = check_keys(r, n, success_keys, NULL, "a success criterion")) != 0)
		return rc;
	if (!(v = get(n, "name")) || (rc = scalar(r, v, &c->name, "name")) != 0)
		return v ? rc : co_err(r->rb, n, "a success criterion needs a \"name\"");
	if (!(v = get(n, "type")))
		return co_err(r->rb, n,
			      "success criterion \"%s\" needs a \"type\" (lost_rows, rules, downtime, "
			      "shadow or diff)",
			      c->name);
	if ((rc = one_of(r, v, criterion_names, &type, "type")) != 0)
		return rc;
	c->type = (sl_criterion_type)(type + 1);
	if ((v = get(n, "tables")) != NULL &&
	    (rc = str_list(r, v, &c->tables, &c->ntables, &c->where_tables, "tables")) != 0)
		return rc;
	if ((v = get(n, "rules")) != NULL && (rc = str_list(r, v, &c->rules, &c->nrules, NULL, "rules")) != 0)
		return rc;
	if ((v = get(n, "queries")) != NULL &&
	    (rc = str_list(r, v, &c->queries, &c->nqueries, NULL, "queries")) != 0)
		return rc;
	if ((v = get(n, "per")) != NULL) {
		static const char *const per[] = { "run", "phase", NULL };
		int i = 0;
		if ((rc = one_of(r, v, per, &i, "per")) != 0)
			return rc;
		c->per_phase = i == 1;
	}
	v = get(n, "max");
	if (c->type == SL_CRIT_DOWNTIME) {
		if (!v)
			return co_err(r->rb, n,
				      "success criterion \"%s\" needs \"max\": the longest downtime allowed",
				      c->name);
		return duration(r, v, &c->max_ms, "max");
	}
	if (v && (rc = integer(r, v, &c->max, 0, "max")) != 0)
		return rc;
	if ((c->type == SL_CRIT_LOST_ROWS || c->type == SL_CRIT_DIFF) && !c->ntables)
		return co_err(r->rb, n, "success criterion \"%s\" needs \"tables\"", c->name);
	if (c->type == SL_CRIT_RULES && !c->nrules)
		return co_err(
			r->rb, n,
			"success criterion \"%s\" needs \"rules\" (rules or rule groups of sluice.yaml)",
			c->name);
	return 0;
}

static int endpoint_display(reader *r, const char *s, const char **out)
{
	if (!strchr(s, ':')) {
		*out = s;
		return 0;
	}
	sl_url *u = NULL;
	int rc = sl_url_parse(&u, s);
	if (!rc && !(*out = sl_arena_strdup(r->rb->arena, u->redacted)))
		rc = sl_error_nomem();
	sl_url_free(u);
	return rc;
}

static int read_root(reader *r, struct fy_node *root)
{
	sl_runbook *rb = r->rb;
	struct fy_node *v;
	int rc;
	if (!root || fy_node_get_type(root) != FYNT_MAPPING)
		return co_err(rb, root, "a runbook is a mapping (runbook:, source:, target:, phases:, ...)");
	if ((rc = check_keys(r, root, top_keys, NULL, "the runbook")) != 0)
		return rc;
	if (!(v = get(root, "runbook")))
		return co_err(rb, root,
			      "the runbook needs a name: \"runbook: NAME\" (its runs, lock and approvals "
			      "go by it)");
	if ((rc = scalar(r, v, &rb->name, "runbook")) != 0)
		return rc;
	if (!*rb->name || strlen(rb->name) > 100)
		return co_err(rb, v, "the runbook's name must be 1 to 100 characters");
	if ((v = get(root, "project")) != NULL) {
		const char *p = NULL;
		if ((rc = scalar(r, v, &p, "project")) != 0)
			return rc;
		rb->project = p[0] == '/' ? p : sl_arena_printf(rb->arena, "%s/%s", rb->dir, p);
	}
	static const char *const sides[] = { "source", "target" };
	for (int i = 0; i < 2; i++) {
		const char **dst = i ? &rb->target : &rb->source,
			   **disp = i ? &rb->target_display : &rb->source_display;
		if (!(v = get(root, sides[i])))
			return co_err(rb, root,
				      "the runbook needs \"%s\": an environment of sluice.yaml or a URL",
				      sides[i]);
		if ((rc = scalar(r, v, dst, sides[i])) != 0)
			return rc;
		if ((rc = endpoint_display(r, *dst, disp)) != 0)
			return co_err(rb, v, "\"%s\": %s", sides[i], sl_error_last()->message);
	}
	rb->downtime_budget_ms = 60000;
	if ((v = get(root, "downtime_budget")) != NULL &&
	    (rc = duration(r, v, &rb->downtime_budget_ms, "downtime_budget")) != 0)
		return rc;
	if (v && rb->downtime_budget_ms < 1)
		return co_err(rb, v, "\"downtime_budget\" must be above 0");
	if ((v = get(root, "approval_timeout")) != NULL &&
	    (rc = seconds(r, v, &rb->approval_timeout_s, "approval_timeout")) != 0)
		return rc;
	if ((v = get(root, "roles")) != NULL && (rc = read_roles(r, v)) != 0)
		return rc;
	rb->notify_timeout_s = 10;
	rb->notify_events = SL_CO_EV_ALL;
	if ((v = get(root, "notify")) != NULL && (rc = read_notify(r, v)) != 0)
		return rc;
	v = get(root, "phases");
	if (!v || fy_node_get_type(v) != FYNT_SEQUENCE || fy_node_sequence_item_count(v) < 1)
		return co_err(rb, v ? v : root, "the runbook needs \"phases\": a list, one phase per domain");
	size_t cnt = (size_t)fy_node_sequence_item_count(v);
	if (!(rb->phases = sl_arena_calloc(rb->arena, cnt, sizeof(*rb->phases))))
		return sl_error_nomem();
	void *it = NULL;
	struct fy_node *item;
	while (!rc && (item = fy_node_sequence_iterate(v, &it)) != NULL)
		rc = read_phase(r, item, &rb->phases[rb->nphases++]);
	if (rc)
		return rc;
	if ((v = get(root, "success")) != NULL) {
		if (fy_node_get_type(v) != FYNT_SEQUENCE)
			return co_err(rb, v, "\"success\" must be a list of criteria");
		cnt = (size_t)fy_node_sequence_item_count(v);
		if (!(rb->criteria = sl_arena_calloc(rb->arena, cnt + 1, sizeof(*rb->criteria))))
			return sl_error_nomem();
		it = NULL;
		while (!rc && (item = fy_node_sequence_iterate(v, &it)) != NULL)
			rc = read_criterion(r, item, &rb->criteria[rb->ncriteria++]);
	}
	if (!rc)
		rc = co_runbook_structure(rb);
	return rc;
}

static const char *dir_of(sl_arena *a, const char *path)
{
	const char *s = strrchr(path, '/');
	if (!s)
		return sl_arena_strdup(a, ".");
	if (s == path)
		return sl_arena_strdup(a, "/");
	return sl_arena_strndup(a, path, (size_t)(s - path));
}

int sl_runbook_parse(sl_runbook **out, const char *path, const char *text, size_t len)
{
	sl_arena *a = sl_arena_new(0);
	sl_runbook *rb = a ? sl_arena_calloc(a, 1, sizeof(*rb)) : NULL;
	reader r = { .rb = rb };
	int rc = 0;
	*out = NULL;
	if (!rb || !(rb->text = sl_arena_alloc(a, len + 1)) || !(rb->path = sl_arena_strdup(a, path)) ||
	    !(rb->dir = dir_of(a, path))) {
		sl_arena_free(a);
		return sl_error_nomem();
	}
	rb->arena = a;
	memcpy(rb->text, text, len);
	rb->text[len] = '\0';
	unsigned char md[SHA256_DIGEST_LENGTH];
	SHA256((const unsigned char *)text, len, md);
	int off = snprintf(rb->digest, sizeof(rb->digest), "sha256:");
	for (size_t i = 0; i < sizeof(md); i++)
		off += snprintf(rb->digest + off, sizeof(rb->digest) - (size_t)off, "%02x", md[i]);
	rc = sl_yaml_parse(&rb->doc, path, rb->text, len);
	if (!rc && !rb->doc)
		rc = sl_error_set(SL_EINVALID, "%s: the runbook is empty", path);
	if (!rc)
		rc = read_root(&r, fy_document_root(rb->doc));
	if (rc) {
		sl_runbook_free(rb);
		return rc;
	}
	*out = rb;
	return 0;
}

int sl_runbook_load(sl_runbook **out, const char *path)
{
	FILE *f = NULL;
	char *text = NULL;
	struct stat st;
	size_t len = 0;
	int rc = 0;
	*out = NULL;
	if (!(f = fopen(path, "rb")) || fstat(fileno(f), &st) != 0) {
		rc = sl_error_set(errno == ENOENT ? SL_ENOTFOUND : SL_EIO, "read runbook \"%s\": %s", path,
				  strerror(errno));
		goto done;
	}
	if (!S_ISREG(st.st_mode) || (size_t)st.st_size > MAX_RUNBOOK_SIZE) {
		rc = sl_error_set(SL_EINVALID, "read runbook \"%s\": not a regular file under 4 MiB", path);
		goto done;
	}
	if (!(text = malloc((size_t)st.st_size + 1))) {
		rc = sl_error_nomem();
		goto done;
	}
	len = fread(text, 1, (size_t)st.st_size, f);
	if (ferror(f)) {
		rc = sl_error_set(SL_EIO, "read runbook \"%s\": %s", path, strerror(errno));
		goto done;
	}
	rc = sl_runbook_parse(out, path, text, len);
done:
	free(text);
	if (f)
		fclose(f);
	return rc;
}

void sl_runbook_free(sl_runbook *rb)
{
	if (!rb)
		return;
	if (rb->doc)
		fy_document_destroy(rb->doc);
	sl_arena_free(rb->arena);
}

const sl_rb_step *sl_runbook_find_step(const sl_runbook *rb, const char *id, const sl_rb_phase **phase)
{
	const sl_rb_step *found = NULL;
	size_t hits = 0, idlen = strlen(id);
	for (size_t p = 0; p < rb->nphases; p++) {
		const sl_rb_phase *ph = &rb->phases[p];
		for (int pass = 0; pass < 2; pass++) {
			const sl_rb_step *v = pass ? ph->rollback : ph->steps;
			size_t n = pass ? ph->nrollback : ph->nsteps;
			for (size_t i = 0; i < n; i++) {
				const char *sid = v[i].id;
				size_t sl = strlen(sid);
				if (strcmp(sid, id) == 0) {
					if (phase)
						*phase = ph;
					return &v[i];
				}
				/* "freeze" for "billing.freeze" when it is the only one */
				if (sl > idlen && sid[sl - idlen - 1] == '.' &&
				    strcmp(sid + sl - idlen, id) == 0) {
					found = &v[i];
					hits++;
					if (phase)
						*phase = ph;
				}
			}
		}
	}
	return hits == 1 ? found : NULL;
}
