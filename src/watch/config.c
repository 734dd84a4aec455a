/*
 * config.c - sluice.yaml `watch:` (docs/config.md, docs/commands/watch.md):
 *
 *   watch:
 *     target: production            # environment or URL watched
 *     source: legacy                # the database it replaced (diff, shadow)
 *     every: 5m
 *     for: 72h
 *     checks: [rules, diff, sync, shadow]
 *     rules: { domain: billing, only: [rule names] }
 *     diff: { tables: [a, b], mode: auto|full|bisect, bisect_above: 1000000 }
 *     sync: { source: production, target: legacy }
 *     shadow: { queries: [names] }
 *     thresholds:
 *       diff: { warn: 1, breach: 10 }        # or a number: the breach limit
 *       shadow: 1
 *       sync_lag: { warn: 30s, breach: 5m }
 *       sync_behind: { breach: 100000 }
 *     hook: { command: "curl ... --data-binary @-", timeout: 10s, gaps: false }
 *
 * Every key is checked here, as config.c checks its own: file:line:col and
 * "did you mean"; so are the names it refers to (environments, rules,
 * domains, shadow queries).
 */
#include "watch_int.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfyaml.h>

#include "sluice/error.h"
#include "sluice/rules.h"
#include "sluice/shadow.h"

static const char *const keys[] = { "target", "source", "every",  "for",  "checks",     "rules",
				    "diff",   "sync",   "shadow", "hook", "thresholds", NULL };
static const char *const rules_keys[] = { "domain", "only", NULL };
static const char *const diff_keys[] = { "tables", "mode", "bisect_above", NULL };
static const char *const sync_keys[] = { "source", "target", NULL };
static const char *const shadow_keys[] = { "queries", NULL };
static const char *const threshold_keys[] = { "diff", "shadow", "sync_lag", "sync_behind", NULL };
static const char *const limit_keys[] = { "warn", "breach", NULL };
static const char *const hook_keys[] = { "command", "timeout", "gaps", NULL };
static const char *const modes[] = { "auto", "full", "bisect", NULL };

typedef struct loader {
	sl_config *cfg;
	sl_watch_config *w;
	sl_rules *rules; /* read when rules.* names rules or a domain */
} loader;

static int err(sl_config *cfg, struct fy_node *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int err(sl_config *cfg, struct fy_node *n, const char *fmt, ...)
{
	char pos[300], msg[700];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sl_error_set(SL_EINVALID, "%s: %s", sl_config_where(cfg, n, pos, sizeof(pos)), msg);
}

/* config.c's form for keys: unknown key "x" in "watch.diff" (did you mean "y"?) */
static int unknown_key(sl_config *cfg, struct fy_node *n, const char *word, const char *where,
		       const char *const *known)
{
	const char *near = sl_config_nearest(word, known);
	if (near)
		return err(cfg, n, "unknown key \"%s\" in \"%s\" (did you mean \"%s\"?)", word, where, near);
	return err(cfg, n, "unknown key \"%s\" in \"%s\"", word, where);
}

/* "unknown ... (did you mean ...)" for word, one of known expected. */
static int unknown(sl_config *cfg, struct fy_node *n, const char *what, const char *word,
		   const char *const *known)
{
	const char *near = sl_config_nearest(word, known);
	if (near)
		return err(cfg, n, "unknown %s \"%s\" (did you mean \"%s\"?)", what, word, near);
	return err(cfg, n, "unknown %s \"%s\"", what, word);
}

static const char *key_of(struct fy_node *k)
{
	return k && fy_node_get_type(k) == FYNT_SCALAR ? fy_node_get_scalar0(k) : NULL;
}

static bool null_node(struct fy_node *n)
{
	const char *s = n && fy_node_get_type(n) == FYNT_SCALAR && fy_node_get_style(n) == FYNS_PLAIN
				? fy_node_get_scalar0(n)
				: NULL;
	return !n || (s && (!*s || !strcmp(s, "~") || !strcmp(s, "null")));
}

static int need_map(sl_config *cfg, struct fy_node *k, struct fy_node *v, const char *what)
{
	return v && fy_node_is_mapping(v) ? 0 : err(cfg, v ? v : k, "\"%s\" must be a mapping", what);
}

static int string_list(loader *l, struct fy_node *k, struct fy_node *v, const char *what, const char ***out,
		       size_t *n)
{
	size_t cap = 0;
	void *it = NULL;
	struct fy_node *item;
	if (!v || !fy_node_is_sequence(v))
		return err(l->cfg, v ? v : k, "\"%s\" must be a list of names", what);
	while ((item = fy_node_sequence_iterate(v, &it)) != NULL) {
		const char **slot = sl_arena_push(l->w->arena, out, n, &cap, sizeof(*slot));
		if (!slot)
			return sl_error_nomem();
		int rc = sl_config_string(slot, NULL, l->cfg, item, what);
		if (rc)
			return rc;
	}
	return 0;
}

static int duration(loader *l, struct fy_node *v, const char *what, int64_t *ms)
{
	const char *s;
	int rc = sl_config_string(&s, NULL, l->cfg, v, what);
	if (!rc && sl_config_parse_duration(s, ms) != 0)
		rc = err(l->cfg, v, "\"%s\": %s", what, sl_error_last()->message);
	return rc;
}

/* A whole number >= min. */
static int count(loader *l, struct fy_node *v, const char *what, int64_t min, int64_t *out)
{
	const char *s;
	char *end = NULL;
	int rc = sl_config_string(&s, NULL, l->cfg, v, what);
	if (rc)
		return rc;
	errno = 0;
	long long x = strtoll(s, &end, 10);
	if (end == s || *end || errno || x < min)
		return err(l->cfg, v, "\"%s\" must be a whole number of at least %lld, not \"%s\"", what,
			   (long long)min, s);
	*out = x;
	return 0;
}

static int boolean(loader *l, struct fy_node *v, const char *what, bool *out)
{
	const char *s;
	int rc = sl_config_string(&s, NULL, l->cfg, v, what);
	if (rc)
		return rc;
	if (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on"))
		*out = true;
	else if (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off"))
		*out = false;
	else
		return err(l->cfg, v, "\"%s\" must be true or false", what);
	return 0;
}

/* An environment of sluice.yaml, or a URL (it has a ':'). */
static int database(loader *l, struct fy_node *v, const char *what, const char **out)
{
	int rc = sl_config_string(out, NULL, l->cfg, v, what);
	if (rc || strchr(*out, ':') || sl_config_env_get(l->cfg, *out))
		return rc;
	const char **names = sl_arena_calloc(l->w->arena, l->cfg->nenvs + 1, sizeof(*names));
	if (!names)
		return sl_error_nomem();
	for (size_t i = 0; i < l->cfg->nenvs; i++)
		names[i] = l->cfg->envs[i].name;
	const char *near = sl_config_nearest(*out, names);
	if (near)
		return err(l->cfg, v, "\"%s\": no environment \"%s\" (did you mean \"%s\"?)", what, *out,
			   near);
	return err(l->cfg, v, "\"%s\": \"%s\" is neither an environment of %s nor a URL", what, *out,
		   l->cfg->path);
}

static int checks(loader *l, struct fy_node *k, struct fy_node *v)
{
	void *it = NULL;
	struct fy_node *item;
	if (!v || !fy_node_is_sequence(v))
		return err(l->cfg, v ? v : k, "\"watch.checks\" must be a list: [rules, diff, sync, shadow]");
	while ((item = fy_node_sequence_iterate(v, &it)) != NULL) {
		const char *s;
		unsigned bit = 0;
		int rc = sl_config_string(&s, NULL, l->cfg, item, "watch.checks");
		if (!rc && strchr(s, ','))
			rc = err(l->cfg, item, "\"watch.checks\": one check per item, not \"%s\"", s);
		if (!rc && sl_watch_checks_parse(&bit, s) != 0)
			rc = unknown(l->cfg, item, "check", s, watch_check_names);
		if (rc)
			return rc;
		l->w->checks |= bit;
	}
	return 0;
}

static int need_rules(loader *l)
{
	return l->rules ? 0 : sl_rules_load(&l->rules, l->cfg);
}

static int rules_section(loader *l, struct fy_node *k, struct fy_node *v)
{
	void *it = NULL;
	struct fy_node_pair *p;
	int rc = need_map(l->cfg, k, v, "watch.rules");
	while (!rc && (p = fy_node_mapping_iterate(v, &it)) != NULL) {
		struct fy_node *pk = fy_node_pair_key(p), *pv = fy_node_pair_value(p);
		const char *key = key_of(pk);
		if (!key)
			return err(l->cfg, pk, "keys in \"watch.rules\" must be strings");
		if (!strcmp(key, "domain")) {
			rc = sl_config_string(&l->w->rules_domain, NULL, l->cfg, pv, "watch.rules.domain");
			if (!rc)
				rc = need_rules(l);
			bool found = false;
			const char **domains =
				rc ? NULL : sl_arena_calloc(l->w->arena, l->rules->n + 1, sizeof(char *));
			size_t nd = 0;
			if (!rc && !domains)
				rc = sl_error_nomem();
			for (size_t i = 0; !rc && i < l->rules->n; i++)
				if (l->rules->rules[i].domain) {
					found = found ||
						!strcmp(l->rules->rules[i].domain, l->w->rules_domain);
					domains[nd++] = l->rules->rules[i].domain;
				}
			if (!rc && !found)
				rc = unknown(l->cfg, pv, "rule domain", l->w->rules_domain, domains);
		} else if (!strcmp(key, "only")) {
			rc = string_list(l, pk, pv, "watch.rules.only", &l->w->rules_only,
					 &l->w->nrules_only);
			if (!rc)
				rc = need_rules(l);
			void *lit = NULL;
			struct fy_node *item;
			const char **names =
				rc ? NULL : sl_arena_calloc(l->w->arena, l->rules->n + 1, sizeof(char *));
			if (!rc && !names)
				rc = sl_error_nomem();
			for (size_t i = 0; !rc && i < l->rules->n; i++)
				names[i] = l->rules->rules[i].name;
			for (size_t i = 0; !rc && (item = fy_node_sequence_iterate(pv, &lit)) != NULL; i++)
				if (!sl_rules_find(l->rules, l->w->rules_only[i]))
					rc = unknown(l->cfg, item, "rule", l->w->rules_only[i], names);
		} else {
			rc = unknown_key(l->cfg, pk, key, "watch.rules", rules_keys);
		}
	}
	return rc;
}

static int diff_section(loader *l, struct fy_node *k, struct fy_node *v)
{
	void *it = NULL;
	struct fy_node_pair *p;
	int rc = need_map(l->cfg, k, v, "watch.diff");
	while (!rc && (p = fy_node_mapping_iterate(v, &it)) != NULL) {
		struct fy_node *pk = fy_node_pair_key(p), *pv = fy_node_pair_value(p);
		const char *key = key_of(pk), *mode = NULL;
		if (!key)
			return err(l->cfg, pk, "keys in \"watch.diff\" must be strings");
		if (!strcmp(key, "tables")) {
			rc = string_list(l, pk, pv, "watch.diff.tables", &l->w->diff_tables,
					 &l->w->ndiff_tables);
		} else if (!strcmp(key, "mode")) {
			rc = sl_config_string(&mode, NULL, l->cfg, pv, "watch.diff.mode");
			if (!rc && !strcmp(mode, "auto"))
				l->w->diff_mode = SL_WATCH_DIFF_AUTO;
			else if (!rc && !strcmp(mode, "full"))
				l->w->diff_mode = SL_WATCH_DIFF_FULL;
			else if (!rc && !strcmp(mode, "bisect"))
				l->w->diff_mode = SL_WATCH_DIFF_BISECT;
			else if (!rc)
				rc = unknown(l->cfg, pv, "diff mode", mode, modes);
		} else if (!strcmp(key, "bisect_above")) {
			rc = count(l, pv, "watch.diff.bisect_above", 1, &l->w->bisect_above);
		} else {
			rc = unknown_key(l->cfg, pk, key, "watch.diff", diff_keys);
		}
	}
	return rc;
}

static int sync_section(loader *l, struct fy_node *k, struct fy_node *v)
{
	void *it = NULL;
	struct fy_node_pair *p;
	int rc = 0;
	l->w->sync_set = true;
	if (null_node(v))
		return 0; /* `sync:` alone: the watch's own source and target */
	rc = need_map(l->cfg, k, v, "watch.sync");
	while (!rc && (p = fy_node_mapping_iterate(v, &it)) != NULL) {
		struct fy_node *pk = fy_node_pair_key(p), *pv = fy_node_pair_value(p);
		const char *key = key_of(pk);
		if (!key)
			return err(l->cfg, pk, "keys in \"watch.sync\" must be strings");
		if (!strcmp(key, "source"))
			rc = database(l, pv, "watch.sync.source", &l->w->sync_source);
		else if (!strcmp(key, "target"))
			rc = database(l, pv, "watch.sync.target", &l->w->sync_target);
		else
			rc = unknown_key(l->cfg, pk, key, "watch.sync", sync_keys);
	}
	return rc;
}

static int shadow_section(loader *l, struct fy_node *k, struct fy_node *v)
{
	void *it = NULL;
	struct fy_node_pair *p;
	int rc = need_map(l->cfg, k, v, "watch.shadow");
	while (!rc && (p = fy_node_mapping_iterate(v, &it)) != NULL) {
		struct fy_node *pk = fy_node_pair_key(p), *pv = fy_node_pair_value(p);
		const char *key = key_of(pk);
		if (!key)
			return err(l->cfg, pk, "keys in \"watch.shadow\" must be strings");
		if (strcmp(key, "queries") != 0)
			return unknown_key(l->cfg, pk, key, "watch.shadow", shadow_keys);
		rc = string_list(l, pk, pv, "watch.shadow.queries", &l->w->shadow_queries,
				 &l->w->nshadow_queries);
		sl_shadow_query *q = NULL;
		size_t nq = 0;
		if (!rc)
			rc = sl_shadow_queries_load(&q, &nq, l->cfg, NULL);
		const char **names = rc ? NULL : sl_arena_calloc(l->w->arena, nq + 1, sizeof(char *));
		if (!rc && !names)
			rc = sl_error_nomem();
		for (size_t i = 0; !rc && i < nq; i++)
			names[i] = q[i].name;
		void *lit = NULL;
		struct fy_node *item;
		for (size_t i = 0; !rc && (item = fy_node_sequence_iterate(pv, &lit)) != NULL; i++) {
			bool found = false;
			for (size_t j = 0; j < nq; j++)
				found = found || !strcmp(q[j].name, l->w->shadow_queries[i]);
			if (!found)
				rc = unknown(l->cfg, item, "shadow query", l->w->shadow_queries[i], names);
		}
		free(q);
	}
	return rc;
}

/* One limit value: a count, or a duration in seconds; null or "off" for none. */
static int limit_value(loader *l, struct fy_node *v, const char *what, bool seconds, double *out)
{
	const char *s = key_of(v);
	if (null_node(v) || (s && !strcmp(s, "off"))) {
		*out = -1;
		return 0;
	}
	if (seconds) {
		int64_t ms = 0;
		int rc = duration(l, v, what, &ms);
		if (!rc && ms <= 0)
			rc = err(l->cfg, v, "\"%s\" must be longer than 0s", what);
		*out = (double)ms / 1000.0;
		return rc;
	}
	int64_t n = 0;
	int rc = count(l, v, what, 1, &n);
	*out = (double)n;
	return rc;
}

static int limit(loader *l, struct fy_node *k, struct fy_node *v, const char *name, sl_watch_limit *lim)
{
	char what[64];
	bool seconds = !strcmp(name, "sync_lag");
	snprintf(what, sizeof(what), "watch.thresholds.%s", name);
	if (!v || !fy_node_is_mapping(v)) { /* a number alone: the breach limit */
		lim->warn = -1;
		return limit_value(l, v, what, seconds, &lim->breach);
	}
	void *it = NULL;
	struct fy_node_pair *p;
	int rc = 0;
	*lim = (sl_watch_limit){ .warn = -1, .breach = -1 };
	while (!rc && (p = fy_node_mapping_iterate(v, &it)) != NULL) {
		struct fy_node *pk = fy_node_pair_key(p), *pv = fy_node_pair_value(p);
		const char *key = key_of(pk);
		char sub[80];
		snprintf(sub, sizeof(sub), "%s.%s", what, key ? key : "");
		if (key && !strcmp(key, "warn"))
			rc = limit_value(l, pv, sub, seconds, &lim->warn);
		else if (key && !strcmp(key, "breach"))
			rc = limit_value(l, pv, sub, seconds, &lim->breach);
		else
			rc = unknown_key(l->cfg, pk, key ? key : "", what, limit_keys);
	}
	if (!rc && lim->warn >= 0 && lim->breach >= 0 && lim->warn >= lim->breach)
		rc = err(l->cfg, k, "\"%s\": warn must be below breach", what);
	return rc;
}

static int thresholds(loader *l, struct fy_node *k, struct fy_node *v)
{
	void *it = NULL;
	struct fy_node_pair *p;
	int rc = need_map(l->cfg, k, v, "watch.thresholds");
	while (!rc && (p = fy_node_mapping_iterate(v, &it)) != NULL) {
		struct fy_node *pk = fy_node_pair_key(p), *pv = fy_node_pair_value(p);
		const char *key = key_of(pk);
		if (!key)
			return err(l->cfg, pk, "keys in \"watch.thresholds\" must be strings");
		if (!strcmp(key, "diff"))
			rc = limit(l, pk, pv, key, &l->w->diff);
		else if (!strcmp(key, "shadow"))
			rc = limit(l, pk, pv, key, &l->w->shadow);
		else if (!strcmp(key, "sync_lag"))
			rc = limit(l, pk, pv, key, &l->w->sync_lag);
		else if (!strcmp(key, "sync_behind"))
			rc = limit(l, pk, pv, key, &l->w->sync_behind);
		else if (!strcmp(key, "rules"))
			rc = err(l->cfg, pk,
				 "\"watch.thresholds.rules\": rules are judged by their own severity and "
				 "threshold (docs/rules.md): a halt rule over its threshold is a breach, a "
				 "warn "
				 "rule a warning");
		else
			rc = unknown_key(l->cfg, pk, key, "watch.thresholds", threshold_keys);
	}
	return rc;
}

static int hook(loader *l, struct fy_node *k, struct fy_node *v)
{
	void *it = NULL;
	struct fy_node_pair *p;
	int rc = 0;
	if (v && fy_node_is_scalar(v)) /* hook: COMMAND */
		return sl_config_string(&l->w->hook, NULL, l->cfg, v, "watch.hook");
	rc = need_map(l->cfg, k, v, "watch.hook");
	while (!rc && (p = fy_node_mapping_iterate(v, &it)) != NULL) {
		struct fy_node *pk = fy_node_pair_key(p), *pv = fy_node_pair_value(p);
		const char *key = key_of(pk);
		if (!key)
			return err(l->cfg, pk, "keys in \"watch.hook\" must be strings");
		if (!strcmp(key, "command"))
			rc = sl_config_string(&l->w->hook, NULL, l->cfg, pv, "watch.hook.command");
		else if (!strcmp(key, "timeout")) {
			rc = duration(l, pv, "watch.hook.timeout", &l->w->hook_timeout_ms);
			if (!rc && l->w->hook_timeout_ms < 100)
				rc = err(l->cfg, pv, "\"watch.hook.timeout\" must be at least 100ms");
		} else if (!strcmp(key, "gaps"))
			rc = boolean(l, pv, "watch.hook.gaps", &l->w->hook_gaps);
		else
			rc = unknown_key(l->cfg, pk, key, "watch.hook", hook_keys);
	}
	if (!rc && !l->w->hook)
		rc = err(l->cfg, k, "\"watch.hook\" needs a \"command\"");
	if (!rc && !*l->w->hook)
		rc = err(l->cfg, v, "\"watch.hook.command\" is empty");
	return rc;
}

static int load(loader *l, struct fy_node *sec)
{
	void *it = NULL;
	struct fy_node_pair *p;
	if (!fy_node_is_mapping(sec))
		return err(l->cfg, sec, "\"watch\" must be a mapping (target, source, every, checks, ...)");
	while ((p = fy_node_mapping_iterate(sec, &it)) != NULL) {
		struct fy_node *k = fy_node_pair_key(p), *v = fy_node_pair_value(p);
		const char *key = key_of(k);
		int rc = 0;
		if (!key)
			return err(l->cfg, k, "keys in \"watch\" must be strings");
		if (!strcmp(key, "target"))
			rc = database(l, v, "watch.target", &l->w->target);
		else if (!strcmp(key, "source"))
			rc = database(l, v, "watch.source", &l->w->source);
		else if (!strcmp(key, "every")) {
			rc = duration(l, v, "watch.every", &l->w->every_ms);
			if (!rc && l->w->every_ms < 1)
				rc = err(l->cfg, v, "\"watch.every\" must be longer than 0s");
		} else if (!strcmp(key, "for"))
			rc = duration(l, v, "watch.for", &l->w->for_ms);
		else if (!strcmp(key, "checks"))
			rc = checks(l, k, v);
		else if (!strcmp(key, "rules"))
			rc = rules_section(l, k, v);
		else if (!strcmp(key, "diff"))
			rc = diff_section(l, k, v);
		else if (!strcmp(key, "sync"))
			rc = sync_section(l, k, v);
		else if (!strcmp(key, "shadow"))
			rc = shadow_section(l, k, v);
		else if (!strcmp(key, "thresholds"))
			rc = thresholds(l, k, v);
		else if (!strcmp(key, "hook"))
			rc = hook(l, k, v);
		else
			rc = unknown_key(l->cfg, k, key, "watch", keys);
		if (rc)
			return rc;
	}
	return 0;
}

int sl_watch_config_load(sl_watch_config **out, sl_config *cfg)
{
	sl_arena *a = sl_arena_new(4096);
	sl_watch_config *w = a ? sl_arena_calloc(a, 1, sizeof(*w)) : NULL;
	loader l = { .cfg = cfg, .w = w };
	int rc = 0;
	*out = NULL;
	if (!w) {
		sl_arena_free(a);
		return sl_error_nomem();
	}
	*w = (sl_watch_config){
		.every_ms = 300000,
		.for_ms = -1,
		.diff_mode = SL_WATCH_DIFF_AUTO,
		.bisect_above = 1000000,
		.diff = { .warn = -1, .breach = 1 },
		.shadow = { .warn = -1, .breach = 1 },
		.sync_lag = { .warn = 60, .breach = 300 },
		.sync_behind = { .warn = -1, .breach = -1 },
		.hook_timeout_ms = 10000,
		.arena = a,
	};
	struct fy_node *sec = cfg ? sl_config_section(cfg, "watch") : NULL;
	if (sec && !null_node(sec))
		rc = load(&l, sec);
	sl_rules_free(l.rules);
	if (rc) {
		sl_arena_free(a);
		return rc;
	}
	*out = w;
	return 0;
}

void sl_watch_config_free(sl_watch_config *c)
{
	if (c)
		sl_arena_free(c->arena);
}
