/*
 * config.c - loading and checking sluice.yaml (see include/sluice/config.h
 * and docs/config.md, which must list every key accepted here).
 *
 * libfyaml builds the document; this file walks it key by key into the typed
 * sl_config. YAML aliases are refused rather than resolved (no "billion
 * laughs"). libfyaml 0.7 has no start mark for collections, so a mapping's
 * or sequence's position is that of its first scalar, and an empty one
 * borrows its key's position. The YAML text is kept in the config's arena:
 * the document's scalars point into it.
 */
#include "sluice/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libfyaml.h>

#include "sluice/error.h"
#include "sluice/util.h"

#define MAX_CONFIG_SIZE ((size_t)16 << 20)

static const char *const top_keys[] = { "project",   "migrations", "lint",        "environments", "state",
					"consumers", "domains",    "rules",       "casts",        "copy",
					"check",     "rehearsal",  "criticality", "snapshot",     "shadow",
					"watch",     NULL };
static const char *const reserved_keys[] = { "consumers", "domains",  "criticality", "rules", "casts", "copy",
					     "check",     "snapshot", "shadow",      "watch", NULL };
static const char *const migrations_keys[] = { "dir", "table", "required", NULL };
static const char *const lint_keys[] = { "rules", NULL };
static const char *const env_keys[] = { "url", "password_env", NULL };
static const char *const rehearsal_keys[] = { "max_migration",
					      "max_total",
					      "max_exclusive_lock",
					      "critical_domains",
					      "allow_rewrites",
					      "max_rule_discrepancies",
					      "require_rollback_fidelity",
					      "scratch_prefix",
					      NULL };

/* 1-based line and column of n (see the file comment), or 0 when unknown. */
static void node_pos(struct fy_node *n, int *line, int *col)
{
	void *it = NULL;
	*line = *col = 0;
	if (!n)
		return;
	switch (fy_node_get_type(n)) {
	case FYNT_SCALAR: {
		struct fy_token *t = fy_node_get_scalar_token(n);
		const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;
		if (m) {
			*line = m->line + 1;
			*col = m->column + 1;
		}
		break;
	}
	case FYNT_MAPPING: {
		struct fy_node_pair *p = fy_node_mapping_iterate(n, &it);
		if (p)
			node_pos(fy_node_pair_key(p), line, col);
		break;
	}
	case FYNT_SEQUENCE:
		node_pos(fy_node_sequence_iterate(n, &it), line, col);
		break;
	default:
		break;
	}
}

/* SL_EINVALID "path:line:col: msg" at n, or at alt when n has no position. */
static int err_at(const sl_config *c, struct fy_node *n, struct fy_node *alt, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int err_at(const sl_config *c, struct fy_node *n, struct fy_node *alt, const char *fmt, ...)
{
	char msg[700];
	int line, col;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	node_pos(n, &line, &col);
	if (!line)
		node_pos(alt, &line, &col);
	if (line)
		return sl_error_set(SL_EINVALID, "%s:%d:%d: %s", c->path, line, col, msg);
	return sl_error_set(SL_EINVALID, "%s: %s", c->path, msg);
}

const char *sl_config_where(const sl_config *c, struct fy_node *node, char *buf, size_t size)
{
	int line, col;
	node_pos(node, &line, &col);
	if (line)
		snprintf(buf, size, "%s:%d:%d", c->path, line, col);
	else
		snprintf(buf, size, "%s", c->path);
	return buf;
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[40];
	if (la >= 39 || lb >= 39)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

const char *sl_config_nearest(const char *word, const char *const *known)
{
	const char *best = NULL;
	size_t bd = 3;
	for (; known && *known; known++) {
		size_t d = edit_distance(word, *known);
		if (d < bd) {
			bd = d;
			best = *known;
		}
	}
	return best;
}

static int unknown_key(const sl_config *c, struct fy_node *key, const char *name, const char *where,
		       const char *const *known)
{
	const char *best = sl_config_nearest(name, known);
	if (best)
		return err_at(c, key, NULL, "unknown key \"%s\" in \"%s\" (did you mean \"%s\"?)", name,
			      where, best);
	return err_at(c, key, NULL, "unknown key \"%s\" in \"%s\"", name, where);
}

static bool is_null(struct fy_node *n)
{
	size_t len;
	const char *s;
	if (!n)
		return true;
	if (fy_node_get_type(n) != FYNT_SCALAR || fy_node_get_style(n) != FYNS_PLAIN)
		return false;
	s = fy_node_get_scalar(n, &len);
	return !s || len == 0 || (len == 1 && *s == '~') ||
	       (len == 4 && (!memcmp(s, "null", 4) || !memcmp(s, "Null", 4) || !memcmp(s, "NULL", 4)));
}

/* Replaces ${NAME} in src; "$${" stands for a literal "${". */
static int interpolate(const char **out, bool *secret, sl_config *c, struct fy_node *n, const char *what,
		       const char *src, size_t len)
{
	char *res = NULL;
	size_t cap = len + 1, rl = 0;
	int rc = 0;

	*out = NULL;
	if (secret)
		*secret = false;
	if (!memchr(src, '$', len)) {
		if (!(*out = sl_arena_strndup(c->arena, src, len)))
			rc = sl_error_nomem();
		goto done;
	}
	if (!(res = malloc(cap))) {
		rc = sl_error_nomem();
		goto done;
	}
	for (size_t i = 0; i < len;) {
		const char *add = src + i;
		size_t alen = 1;
		if (src[i] == '$' && i + 2 < len && src[i + 1] == '$' && src[i + 2] == '{') {
			add = "${";
			alen = 2;
			i += 3;
		} else if (src[i] == '$' && i + 1 < len && src[i + 1] == '{') {
			const char *e = memchr(src + i + 2, '}', len - i - 2);
			size_t nlen = e ? (size_t)(e - (src + i + 2)) : 0;
			char name[128];
			bool ok = e && nlen > 0 && nlen < sizeof(name) &&
				  (isalpha((unsigned char)src[i + 2]) || src[i + 2] == '_');
			for (size_t k = 0; ok && k < nlen; k++)
				ok = isalnum((unsigned char)src[i + 2 + k]) || src[i + 2 + k] == '_';
			if (!ok) {
				rc = err_at(c, n, NULL,
					    "\"%s\": \"${\" must be followed by a variable name "
					    "and \"}\" (write \"$${\" for a literal \"${\")",
					    what);
				goto done;
			}
			memcpy(name, src + i + 2, nlen);
			name[nlen] = '\0';
			if (!(add = getenv(name))) {
				rc = err_at(c, n, NULL, "\"%s\": environment variable \"%s\" is not set",
					    what, name);
				goto done;
			}
			alen = strlen(add);
			if (secret)
				*secret = true;
			i += nlen + 3;
		} else {
			i++;
		}
		if (rl + alen + 1 > cap) {
			size_t ncap = (rl + alen + 1) * 2;
			char *nr = ncap > MAX_CONFIG_SIZE ? NULL : realloc(res, ncap);
			if (!nr) {
				rc = sl_error_nomem();
				goto done;
			}
			res = nr;
			cap = ncap;
		}
		memcpy(res + rl, add, alen);
		rl += alen;
	}
	if (!(*out = sl_arena_strndup(c->arena, res, rl)))
		rc = sl_error_nomem();
done:
	free(res);
	return rc;
}

int sl_config_string(const char **out, bool *secret, sl_config *c, struct fy_node *node, const char *what)
{
	size_t len;
	const char *s;

	*out = NULL;
	if (!node || fy_node_get_type(node) != FYNT_SCALAR || fy_node_get_style(node) == FYNS_ALIAS ||
	    is_null(node))
		return err_at(c, node, NULL, "\"%s\" must be a string", what);
	s = fy_node_get_scalar(node, &len);
	if (!s)
		return err_at(c, node, NULL, "\"%s\" must be a string", what);
	return interpolate(out, secret, c, node, what, s, len);
}

/* A string value: checks type (pointing at key when the value has no position). */
static int get_string(const char **out, bool *secret, sl_config *c, struct fy_node *key, struct fy_node *val,
		      const char *what)
{
	if (!val || fy_node_get_type(val) != FYNT_SCALAR || is_null(val) ||
	    fy_node_get_style(val) == FYNS_ALIAS) {
		*out = NULL;
		return err_at(c, val, key, "\"%s\" must be a string", what);
	}
	return sl_config_string(out, secret, c, val, what);
}

/* The key of a pair as a C string in the arena; keys must be plain scalars. */
static int key_name(const char **out, sl_config *c, struct fy_node *key, const char *where)
{
	size_t len;
	const char *s;

	*out = NULL;
	if (!key || fy_node_get_type(key) != FYNT_SCALAR || fy_node_get_style(key) == FYNS_ALIAS ||
	    !(s = fy_node_get_scalar(key, &len)))
		return err_at(c, key, NULL, "keys in \"%s\" must be strings", where);
	if (!(*out = sl_arena_strndup(c->arena, s, len)))
		return sl_error_nomem();
	if (strlen(*out) != len)
		return err_at(c, key, NULL, "a key in \"%s\" holds a NUL character", where);
	return 0;
}

static int need_mapping(sl_config *c, struct fy_node *key, struct fy_node *val, const char *what)
{
	if (val && fy_node_get_type(val) == FYNT_MAPPING)
		return 0;
	return err_at(c, val, key, "\"%s\" must be a mapping", what);
}

static bool is_field_name(const char *s)
{
	if (!isalpha((unsigned char)*s))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return false;
	return true;
}

static int load_required(sl_config *c, struct fy_node *key, struct fy_node *val)
{
	struct fy_node *item;
	void *it = NULL;
	size_t cap = 0;
	int rc = 0;

	if (!val || fy_node_get_type(val) != FYNT_SEQUENCE)
		return err_at(c, val, key, "\"migrations.required\" must be a list of field names");
	while ((item = fy_node_sequence_iterate(val, &it))) {
		const char *s, **slot;
		if ((rc = get_string(&s, NULL, c, key, item, "migrations.required")) < 0)
			return rc;
		for (char *p = (char *)s; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		if (!is_field_name(s))
			return err_at(c, item, key,
				      "\"migrations.required\": \"%s\" is not a metadata "
				      "field name (letters, digits, \"_\" and \"-\")",
				      s);
		if (!(slot = sl_arena_push(c->arena, &c->required, &c->nrequired, &cap, sizeof(*slot))))
			return sl_error_nomem();
		*slot = s;
	}
	return rc;
}

static bool is_table_name(const char *s)
{
	size_t n = 0;
	if (!isalpha((unsigned char)*s) && *s != '_')
		return false;
	for (; *s; s++, n++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.')
			return false;
	return n <= 63;
}

static int load_migrations(sl_config *c, struct fy_node *mkey, struct fy_node *map)
{
	struct fy_node_pair *p;
	void *it = NULL;
	int rc = 0;

	if ((rc = need_mapping(c, mkey, map, "migrations")) < 0)
		return rc;
	while ((p = fy_node_mapping_iterate(map, &it))) {
		struct fy_node *k = fy_node_pair_key(p), *v = fy_node_pair_value(p);
		const char *name;
		if ((rc = key_name(&name, c, k, "migrations")) < 0)
			return rc;
		if (strcmp(name, "dir") == 0) {
			rc = get_string(&c->migrations_dir, NULL, c, k, v, "migrations.dir");
		} else if (strcmp(name, "table") == 0) {
			if ((rc = get_string(&c->migrations_table, NULL, c, k, v, "migrations.table")) == 0 &&
			    !is_table_name(c->migrations_table))
				rc = err_at(c, v, k,
					    "\"migrations.table\": \"%s\" is not a plain table name "
					    "(letters, digits, \"_\", optionally schema.table)",
					    c->migrations_table);
		} else if (strcmp(name, "required") == 0) {
			rc = load_required(c, k, v);
		} else {
			rc = unknown_key(c, k, name, "migrations", migrations_keys);
		}
		if (rc < 0)
			return rc;
	}
	return rc;
}

static int load_lint(sl_config *c, struct fy_node *lkey, struct fy_node *map)
{
	struct fy_node_pair *p, *rp;
	void *it = NULL, *rit = NULL;
	size_t cap = 0;
	int rc = 0;

	if ((rc = need_mapping(c, lkey, map, "lint")) < 0)
		return rc;
	while ((p = fy_node_mapping_iterate(map, &it))) {
		struct fy_node *k = fy_node_pair_key(p), *rules = fy_node_pair_value(p);
		const char *name;
		if ((rc = key_name(&name, c, k, "lint")) < 0)
			return rc;
		if (strcmp(name, "rules") != 0)
			return unknown_key(c, k, name, "lint", lint_keys);
		if ((rc = need_mapping(c, k, rules, "lint.rules")) < 0)
			return rc;
		while ((rp = fy_node_mapping_iterate(rules, &rit))) {
			struct fy_node *rk = fy_node_pair_key(rp), *rv = fy_node_pair_value(rp);
			const char *rule, *level;
			sl_config_lint_rule *r;
			int line, col;
			if ((rc = key_name(&rule, c, rk, "lint.rules")) < 0 ||
			    (rc = get_string(&level, NULL, c, rk, rv, "lint.rules")) < 0)
				return rc;
			if (!(r = sl_arena_push(c->arena, &c->lint_rules, &c->nlint_rules, &cap, sizeof(*r))))
				return sl_error_nomem();
			r->name = rule;
			if (strcmp(level, "off") == 0)
				r->level = SL_LINT_OFF;
			else if (strcmp(level, "warn") == 0)
				r->level = SL_LINT_WARN;
			else if (strcmp(level, "error") == 0)
				r->level = SL_LINT_ERROR;
			else
				return err_at(c, rv, rk,
					      "\"lint.rules.%s\" must be off, warn or error, not \"%s\"",
					      rule, level);
			node_pos(rk, &line, &col);
			r->line = (size_t)line;
			r->column = (size_t)col;
		}
	}
	return rc;
}

static int load_env(sl_config *c, sl_config_env *env, struct fy_node *ekey, struct fy_node *map)
{
	struct fy_node_pair *p;
	void *it = NULL;
	char what[300];
	int rc = 0;

	snprintf(what, sizeof(what), "environments.%s", env->name);
	if ((rc = need_mapping(c, ekey, map, what)) < 0)
		return rc;
	while ((p = fy_node_mapping_iterate(map, &it))) {
		struct fy_node *k = fy_node_pair_key(p), *v = fy_node_pair_value(p);
		const char *name;
		if ((rc = key_name(&name, c, k, what)) < 0)
			return rc;
		snprintf(what, sizeof(what), "environments.%s.%s", env->name, name);
		if (strcmp(name, "url") == 0) {
			rc = get_string(&env->url, &env->url_secret, c, k, v, what);
		} else if (strcmp(name, "password_env") == 0) {
			if ((rc = get_string(&env->password_env, NULL, c, k, v, what)) == 0 &&
			    (!*env->password_env ||
			     strspn(env->password_env,
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") !=
				     strlen(env->password_env)))
				rc = err_at(c, v, k, "\"%s\" must name an environment variable", what);
		} else {
			snprintf(what, sizeof(what), "environments.%s", env->name);
			rc = unknown_key(c, k, name, what, env_keys);
		}
		snprintf(what, sizeof(what), "environments.%s", env->name);
		if (rc < 0)
			return rc;
	}
	if (!env->url)
		return err_at(c, map, ekey, "\"%s\" has no \"url\"", what);
	return 0;
}

static int load_envs(sl_config *c, struct fy_node *ekey, struct fy_node *map)
{
	struct fy_node_pair *p;
	void *it = NULL;
	size_t cap = 0;
	int rc = 0;

	if ((rc = need_mapping(c, ekey, map, "environments")) < 0)
		return rc;
	while ((p = fy_node_mapping_iterate(map, &it))) {
		struct fy_node *k = fy_node_pair_key(p), *v = fy_node_pair_value(p);
		sl_config_env *env;
		const char *name;
		int line, col;
		if ((rc = key_name(&name, c, k, "environments")) < 0)
			return rc;
		if (!(env = sl_arena_push(c->arena, &c->envs, &c->nenvs, &cap, sizeof(*env))))
			return sl_error_nomem();
		env->name = name;
		node_pos(k, &line, &col);
		env->line = (size_t)line;
		env->column = (size_t)col;
		if ((rc = load_env(c, env, k, v)) < 0)
			return rc;
	}
	return rc;
}

int sl_config_parse_duration(const char *s, int64_t *ms)
{
	static const struct {
		const char *unit;
		double ms;
	} units[] = { { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 } };
	char *end = NULL;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno || !(v >= 0) || v > 1e12)
		return sl_error_set(SL_EINVALID,
				    "\"%s\" is not a duration (a number and ms, s, m or h: \"30s\")", s);
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(end, units[i].unit) == 0) {
			*ms = (int64_t)(v * units[i].ms + 0.5);
			return 0;
		}
	return sl_error_set(SL_EINVALID, "\"%s\" has no unit: write ms, s, m or h (\"30s\")", s);
}

/* A plain scalar true/false (yes/no, on/off). */
static int get_bool(bool *out, sl_config *c, struct fy_node *key, struct fy_node *val, const char *what)
{
	size_t len;
	const char *s = val && fy_node_get_type(val) == FYNT_SCALAR ? fy_node_get_scalar(val, &len) : NULL;
	char buf[8];
	if (s && len < sizeof(buf)) {
		for (size_t i = 0; i < len; i++)
			buf[i] = (char)tolower((unsigned char)s[i]);
		buf[len] = '\0';
		if (!strcmp(buf, "true") || !strcmp(buf, "yes") || !strcmp(buf, "on")) {
			*out = true;
			return 0;
		}
		if (!strcmp(buf, "false") || !strcmp(buf, "no") || !strcmp(buf, "off")) {
			*out = false;
			return 0;
		}
	}
	return err_at(c, val, key, "\"%s\" must be true or false", what);
}

static int get_duration(int64_t *out, sl_config *c, struct fy_node *key, struct fy_node *val,
			const char *what)
{
	const char *s;
	int rc = get_string(&s, NULL, c, key, val, what);
	if (!rc && sl_config_parse_duration(s, out) < 0)
		rc = err_at(c, val, key, "\"%s\": %s", what, sl_error_last()->message);
	return rc;
}

/* The names under the top-level `domains` mapping, for "did you mean". */
static int domain_known(sl_config *c, const char *name, const char **best)
{
	struct fy_node *d = sl_config_section(c, "domains");
	struct fy_node_pair *p;
	void *it = NULL;
	size_t bd = 3;
	*best = NULL;
	if (!d || fy_node_get_type(d) != FYNT_MAPPING)
		return -1; /* no domains at all */
	while ((p = fy_node_mapping_iterate(d, &it))) {
		size_t len;
		const char *k = fy_node_get_scalar(fy_node_pair_key(p), &len);
		char key[128];
		if (!k || len >= sizeof(key))
			continue;
		memcpy(key, k, len);
		key[len] = '\0';
		if (strcmp(key, name) == 0)
			return 1;
		size_t dist = edit_distance(name, key);
		if (dist < bd) {
			bd = dist;
			*best = sl_arena_strdup(c->arena, key);
		}
	}
	return 0;
}

static int load_critical_domains(sl_config *c, struct fy_node *key, struct fy_node *val)
{
	struct fy_node *item;
	void *it = NULL;
	size_t cap = 0;
	int rc = 0;
	if (!val || fy_node_get_type(val) != FYNT_SEQUENCE)
		return err_at(c, val, key, "\"rehearsal.critical_domains\" must be a list of domain names");
	while ((item = fy_node_sequence_iterate(val, &it))) {
		const char *s, **slot, *best;
		if ((rc = get_string(&s, NULL, c, key, item, "rehearsal.critical_domains")) < 0)
			return rc;
		int known = domain_known(c, s, &best);
		if (known < 0)
			return err_at(
				c, item, key,
				"\"rehearsal.critical_domains\": \"%s\" is not a domain: sluice.yaml has "
				"no \"domains\" section",
				s);
		if (!known && best)
			return err_at(
				c, item, key,
				"\"rehearsal.critical_domains\": no domain \"%s\" (did you mean \"%s\"?)", s,
				best);
		if (!known)
			return err_at(c, item, key,
				      "\"rehearsal.critical_domains\": no domain \"%s\" under \"domains\"",
				      s);
		if (!(slot = sl_arena_push(c->arena, &c->rehearsal.critical_domains,
					   &c->rehearsal.ncritical_domains, &cap, sizeof(*slot))))
			return sl_error_nomem();
		*slot = s;
	}
	return rc;
}

static int load_rehearsal(sl_config *c, struct fy_node *rkey, struct fy_node *map)
{
	struct fy_node_pair *p;
	void *it = NULL;
	int rc = 0;
	sl_config_rehearsal *r = &c->rehearsal;

	if (is_null(map))
		return 0;
	if ((rc = need_mapping(c, rkey, map, "rehearsal")) < 0)
		return rc;
	while ((p = fy_node_mapping_iterate(map, &it))) {
		struct fy_node *k = fy_node_pair_key(p), *v = fy_node_pair_value(p);
		const char *name;
		if ((rc = key_name(&name, c, k, "rehearsal")) < 0)
			return rc;
		if (strcmp(name, "max_migration") == 0) {
			rc = get_duration(&r->max_migration_ms, c, k, v, "rehearsal.max_migration");
		} else if (strcmp(name, "max_total") == 0) {
			rc = get_duration(&r->max_total_ms, c, k, v, "rehearsal.max_total");
		} else if (strcmp(name, "max_exclusive_lock") == 0) {
			rc = get_duration(&r->max_exclusive_lock_ms, c, k, v, "rehearsal.max_exclusive_lock");
		} else if (strcmp(name, "critical_domains") == 0) {
			rc = load_critical_domains(c, k, v);
		} else if (strcmp(name, "allow_rewrites") == 0) {
			rc = get_bool(&r->allow_rewrites, c, k, v, "rehearsal.allow_rewrites");
		} else if (strcmp(name, "require_rollback_fidelity") == 0) {
			rc = get_bool(&r->require_rollback_fidelity, c, k, v,
				      "rehearsal.require_rollback_fidelity");
		} else if (strcmp(name, "max_rule_discrepancies") == 0) {
			const char *s;
			char *end = NULL;
			if ((rc = get_string(&s, NULL, c, k, v, "rehearsal.max_rule_discrepancies")) == 0) {
				errno = 0;
				long long n = strtoll(s, &end, 10);
				if (end == s || *end || errno || n < 0)
					rc = err_at(c, v, k,
						    "\"rehearsal.max_rule_discrepancies\" must be a whole "
						    "number >= 0, "
						    "not \"%s\"",
						    s);
				else
					r->max_rule_discrepancies = n;
			}
		} else if (strcmp(name, "scratch_prefix") == 0) {
			if ((rc = get_string(&r->scratch_prefix, NULL, c, k, v,
					     "rehearsal.scratch_prefix")) == 0) {
				size_t n = strlen(r->scratch_prefix);
				bool ok = n >= 3 && n <= 32 && isalpha((unsigned char)r->scratch_prefix[0]);
				for (size_t i = 0; ok && i < n; i++)
					ok = islower((unsigned char)r->scratch_prefix[i]) ||
					     isdigit((unsigned char)r->scratch_prefix[i]) ||
					     r->scratch_prefix[i] == '_';
				if (!ok)
					rc = err_at(c, v, k,
						    "\"rehearsal.scratch_prefix\": \"%s\" must be 3-32 "
						    "lowercase letters, "
						    "digits or \"_\", starting with a letter",
						    r->scratch_prefix);
			}
		} else {
			rc = unknown_key(c, k, name, "rehearsal", rehearsal_keys);
		}
		if (rc < 0)
			return rc;
	}
	return rc;
}

static int load_root(sl_config *c, struct fy_node *root)
{
	struct fy_node_pair *p;
	void *it = NULL;
	int rc = 0;

	if (!root || is_null(root))
		return 0;
	if (fy_node_get_type(root) != FYNT_MAPPING)
		return err_at(c, root, NULL,
			      "the top level must be a mapping of keys (project, "
			      "migrations, environments, ...)");
	while ((p = fy_node_mapping_iterate(root, &it))) {
		struct fy_node *k = fy_node_pair_key(p), *v = fy_node_pair_value(p);
		const char *name;
		if ((rc = key_name(&name, c, k, "sluice.yaml")) < 0)
			return rc;
		if (strcmp(name, "project") == 0)
			rc = get_string(&c->project, NULL, c, k, v, "project");
		else if (strcmp(name, "state") == 0)
			rc = get_string(&c->state, NULL, c, k, v, "state");
		else if (strcmp(name, "migrations") == 0)
			rc = load_migrations(c, k, v);
		else if (strcmp(name, "lint") == 0)
			rc = load_lint(c, k, v);
		else if (strcmp(name, "environments") == 0)
			rc = load_envs(c, k, v);
		else if (strcmp(name, "rehearsal") == 0)
			rc = load_rehearsal(c, k, v);
		else if (!sl_str_in(name, reserved_keys, SL_STRV_NULL_ENDED)) {
			const char *best = NULL;
			size_t bd = 3;
			for (const char *const *t = top_keys; *t; t++) {
				size_t d = edit_distance(name, *t);
				if (d < bd) {
					bd = d;
					best = *t;
				}
			}
			if (best)
				rc = err_at(c, k, NULL, "unknown top-level key \"%s\" (did you mean \"%s\"?)",
					    name, best);
			else
				rc = err_at(c, k, NULL, "unknown top-level key \"%s\"", name);
		}
		if (rc < 0)
			return rc;
	}
	return rc;
}

/*
 * Offset of the first byte that is not valid UTF-8, or len. YAML text must be
 * Unicode, and libfyaml 0.7.12 loops forever on some invalid sequences (e.g.
 * in a "%" directive), so the check comes before the parser sees the text.
 */
static size_t utf8_invalid_at(const unsigned char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		unsigned char c = s[i];
		size_t n;
		uint32_t cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			n = 1;
			cp = c & 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			n = 2;
			cp = c & 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			n = 3;
			cp = c & 0x07;
		} else {
			return i;
		}
		if (len - i <= n)
			return i;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return i;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return i;
		i += n + 1;
	}
	return len;
}

/* Reports libfyaml's first collected error as "path:line:col: msg". */
static int yaml_error(const sl_config *c, struct fy_diag *diag)
{
	void *it = NULL;
	struct fy_diag_error *e = diag ? fy_diag_errors_iterate(diag, &it) : NULL;
	if (e)
		return sl_error_set(SL_EINVALID, "%s:%d:%d: %s", c->path, e->line, e->column,
				    e->msg ? e->msg : "invalid YAML");
	return sl_error_set(SL_EINVALID, "%s: invalid YAML", c->path);
}

static void quiet_output(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
	(void)diag;
	(void)user;
	(void)buf;
	(void)len;
}

void sl_config_free(sl_config *c)
{
	if (!c)
		return;
	if (c->doc)
		fy_document_destroy(c->doc);
	sl_arena_free(c->arena);
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

int sl_config_parse(sl_config **out, const char *path, const char *text, size_t len)
{
	struct fy_diag_cfg dcfg;
	struct fy_diag *diag = NULL;
	struct fy_parse_cfg pcfg;
	sl_arena *a = NULL;
	sl_config *c = NULL;
	char *copy;
	int rc = 0;

	*out = NULL;
	if (!path)
		path = "sluice.yaml";
	if (!(a = sl_arena_new(0)) || !(c = sl_arena_calloc(a, 1, sizeof(*c))) ||
	    !(c->path = sl_arena_strdup(a, path)) || !(c->base_dir = dir_of(a, path)) ||
	    !(copy = sl_arena_alloc(a, len + 1))) {
		rc = sl_error_nomem();
		if (c)
			c->arena = NULL;
		goto done;
	}
	c->arena = a;
	c->migrations_dir = "migrations";
	c->migrations_table = "sluice_migrations";
	c->state = ".sluice/state.db";
	c->rehearsal = (sl_config_rehearsal){ .max_migration_ms = -1,
					      .max_total_ms = -1,
					      .max_exclusive_lock_ms = -1,
					      .allow_rewrites = true,
					      .max_rule_discrepancies = 0,
					      .require_rollback_fidelity = true,
					      .scratch_prefix = "sluice_rehearse_" };
	if (len)
		memcpy(copy, text, len);
	copy[len] = '\0';
	c->text = copy;
	c->text_len = len;
	if (memchr(copy, '\0', len)) {
		rc = sl_error_set(SL_EINVALID, "%s: holds a NUL byte: not a YAML text file", path);
		goto done;
	}
	size_t bad = utf8_invalid_at((const unsigned char *)copy, len);
	if (bad < len) {
		size_t line = 1, col = 1;
		for (size_t i = 0; i < bad; i++, col++)
			if (copy[i] == '\n') {
				line++;
				col = 0;
			}
		rc = sl_error_set(SL_EINVALID, "%s:%zu:%zu: invalid UTF-8: YAML files must be UTF-8", path,
				  line, col);
		goto done;
	}
	fy_diag_cfg_default(&dcfg);
	dcfg.fp = NULL;
	dcfg.output_fn = quiet_output;
	dcfg.colorize = false;
	if (!(diag = fy_diag_create(&dcfg))) {
		rc = sl_error_nomem();
		goto done;
	}
	fy_diag_set_collect_errors(diag, true);
	memset(&pcfg, 0, sizeof(pcfg));
	pcfg.flags = FYPCF_QUIET | FYPCF_COLLECT_DIAG;
	pcfg.diag = diag;
	if (len == 0 || !(c->doc = fy_document_build_from_string(&pcfg, copy, len))) {
		void *it = NULL;
		if (len == 0 || !fy_diag_errors_iterate(diag, &it))
			goto checked; /* no document (empty, or only comments): every default applies */
		rc = yaml_error(c, diag);
		goto done;
	}
	if ((rc = load_root(c, fy_document_root(c->doc))) < 0)
		goto done;
checked:
	*out = c;
	c = NULL;
	a = NULL;
done:
	if (diag) {
		fy_diag_set_collect_errors(diag, false); /* frees the collected errors */
		fy_diag_unref(diag);
	}
	if (c)
		sl_config_free(c);
	else
		sl_arena_free(a);
	return rc;
}

int sl_config_load(sl_config **out, const char *path)
{
	FILE *f = NULL;
	char *text = NULL;
	struct stat st;
	size_t len = 0;
	int rc = 0;

	*out = NULL;
	if (!(f = fopen(path, "rb")) || fstat(fileno(f), &st) != 0) {
		rc = sl_error_set(errno == ENOENT ? SL_ENOTFOUND : SL_EIO, "read config \"%s\": %s", path,
				  strerror(errno));
		goto done;
	}
	if (!S_ISREG(st.st_mode) || (size_t)st.st_size > MAX_CONFIG_SIZE) {
		rc = sl_error_set(SL_EINVALID, "read config \"%s\": not a regular file under 16 MiB", path);
		goto done;
	}
	if (!(text = malloc((size_t)st.st_size + 1))) {
		rc = sl_error_nomem();
		goto done;
	}
	len = fread(text, 1, (size_t)st.st_size, f);
	if (ferror(f)) {
		rc = sl_error_set(SL_EIO, "read config \"%s\": %s", path, strerror(errno));
		goto done;
	}
	rc = sl_config_parse(out, path, text, len);
done:
	free(text);
	if (f)
		fclose(f);
	return rc;
}

const sl_config_env *sl_config_env_get(const sl_config *c, const char *name)
{
	for (size_t i = 0; c && name && i < c->nenvs; i++)
		if (strcmp(c->envs[i].name, name) == 0)
			return &c->envs[i];
	return NULL;
}

const char *sl_config_env_url(const sl_config *c, const char *name)
{
	const sl_config_env *e = sl_config_env_get(c, name);
	return e ? e->url : NULL;
}

sl_lint_level sl_config_lint_level(const sl_config *c, const char *name, sl_lint_level dflt)
{
	for (size_t i = 0; c && name && i < c->nlint_rules; i++)
		if (strcmp(c->lint_rules[i].name, name) == 0)
			return c->lint_rules[i].level;
	return dflt;
}

struct fy_node *sl_config_section(const sl_config *c, const char *key)
{
	struct fy_node *root;
	if (!c || !c->doc || !key || !(root = fy_document_root(c->doc)) ||
	    fy_node_get_type(root) != FYNT_MAPPING)
		return NULL;
	return fy_node_mapping_lookup_by_string(root, key, strlen(key));
}

const char *sl_config_resolve(sl_config *c, const char *path)
{
	if (!path || path[0] == '/' || strcmp(c->base_dir, ".") == 0)
		return path;
	return sl_arena_printf(c->arena, "%s/%s", c->base_dir, path);
}

/*
 * Walks the YAML text of a scalar from its start mark alongside its value
 * until offset bytes of the value are passed. A line break in the text
 * stands for a line break (literal block) or a space (folded block, plain
 * and quoted scalars) of the value, and the next line's indentation stands
 * for nothing; a quote escape is two bytes of text for one of value. Exact
 * for literal blocks and one-line values, close for folded ones.
 */
const char *sl_config_where_offset(const sl_config *c, struct fy_node *node, size_t offset, char *buf,
				   size_t size)
{
	struct fy_token *t =
		node && fy_node_get_type(node) == FYNT_SCALAR ? fy_node_get_scalar_token(node) : NULL;
	const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;
	size_t vlen = 0;
	const char *v = t ? fy_node_get_scalar(node, &vlen) : NULL;
	if (!m || !v || !c->text || m->input_pos >= c->text_len)
		return sl_config_where(c, node, buf, size);
	enum fy_node_style st = fy_node_get_style(node);
	bool block = st == FYNS_LITERAL || st == FYNS_FOLDED;
	size_t p = m->input_pos, k = 0, line = (size_t)m->line + 1, col = (size_t)m->column + 1, indent = 0;
	/* a quoted scalar's mark is already past its opening quote */
	while (block && p + indent < c->text_len && c->text[p + indent] == ' ')
		indent++;
	if (offset > vlen)
		offset = vlen;
	for (bool bol = block; p < c->text_len && (k < offset || bol);) {
		if (bol) { /* indentation at the start of a line */
			for (size_t i = 0; p < c->text_len && c->text[p] == ' ' && (!block || i < indent);
			     i++)
				p++, col++;
			bol = false;
			continue;
		}
		char r = c->text[p];
		if (r == '\n') {
			if (v[k] == '\n' || v[k] == ' ')
				k++;
			p++;
			line++;
			col = 1;
			bol = true;
			continue;
		}
		bool esc = (st == FYNS_SINGLE_QUOTED && r == '\'') || (st == FYNS_DOUBLE_QUOTED && r == '\\');
		size_t step = esc ? 2 : 1;
		p += step;
		col += step;
		k++;
	}
	snprintf(buf, size, "%s:%zu:%zu", c->path, line, col);
	return buf;
}

const char *sl_yaml_where(const char *path, struct fy_node *node, char *buf, size_t size)
{
	int line, col;
	node_pos(node, &line, &col);
	if (line)
		snprintf(buf, size, "%s:%d:%d", path, line, col);
	else
		snprintf(buf, size, "%s", path);
	return buf;
}

int sl_yaml_parse(struct fy_document **out, const char *path, const char *text, size_t len)
{
	struct fy_diag_cfg dcfg;
	struct fy_diag *diag = NULL;
	struct fy_parse_cfg pcfg;
	int rc = 0;
	*out = NULL;
	if (memchr(text, '\0', len))
		return sl_error_set(SL_EINVALID, "%s: holds a NUL byte: not a YAML text file", path);
	size_t bad = utf8_invalid_at((const unsigned char *)text, len);
	if (bad < len) {
		size_t line = 1, col = 1;
		for (size_t i = 0; i < bad; i++, col++)
			if (text[i] == '\n') {
				line++;
				col = 0;
			}
		return sl_error_set(SL_EINVALID, "%s:%zu:%zu: invalid UTF-8: YAML files must be UTF-8", path,
				    line, col);
	}
	fy_diag_cfg_default(&dcfg);
	dcfg.fp = NULL;
	dcfg.output_fn = quiet_output;
	dcfg.colorize = false;
	if (!(diag = fy_diag_create(&dcfg)))
		return sl_error_nomem();
	fy_diag_set_collect_errors(diag, true);
	memset(&pcfg, 0, sizeof(pcfg));
	pcfg.flags = FYPCF_QUIET | FYPCF_COLLECT_DIAG;
	pcfg.diag = diag;
	if (len > 0 && !(*out = fy_document_build_from_string(&pcfg, text, len))) {
		void *it = NULL;
		struct fy_diag_error *e = fy_diag_errors_iterate(diag, &it);
		if (e)
			rc = sl_error_set(SL_EINVALID, "%s:%d:%d: %s", path, e->line, e->column,
					  e->msg ? e->msg : "invalid YAML");
	}
	fy_diag_set_collect_errors(diag, false);
	fy_diag_unref(diag);
	return rc;
}
