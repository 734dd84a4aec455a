/*
 * config_sections.c - the sections of sluice.yaml the loader types
 * (config_int.h, docs/config.md): migrations, lint, environments and
 * rehearsal, and the booleans and durations they hold.
 */
#include "config/config_int.h"
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
#include "sluice/flavour.h"
#include "sluice/util.h"

static const char *const migrations_keys[] = { "dir", "table", "required", NULL };
static const char *const lint_keys[] = { "rules", NULL };
static const char *const env_keys[] = { "url", "password_env", "flavour", NULL };
static const char *const rehearsal_keys[] = { "max_migration",
					      "max_total",
					      "max_exclusive_lock",
					      "critical_domains",
					      "allow_rewrites",
					      "max_rule_discrepancies",
					      "require_rollback_fidelity",
					      "scratch_prefix",
					      NULL };

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
		return cfg_err_at(c, val, key, "\"migrations.required\" must be a list of field names");
	while ((item = fy_node_sequence_iterate(val, &it))) {
		const char *s, **slot;
		if ((rc = cfg_get_string(&s, NULL, c, key, item, "migrations.required")) < 0)
			return rc;
		for (char *p = (char *)s; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		if (!is_field_name(s))
			return cfg_err_at(c, item, key,
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

int cfg_load_migrations(sl_config *c, struct fy_node *mkey, struct fy_node *map)
{
	struct fy_node_pair *p;
	void *it = NULL;
	int rc = 0;

	if ((rc = cfg_need_mapping(c, mkey, map, "migrations")) < 0)
		return rc;
	while ((p = fy_node_mapping_iterate(map, &it))) {
		struct fy_node *k = fy_node_pair_key(p), *v = fy_node_pair_value(p);
		const char *name;
		if ((rc = cfg_key_name(&name, c, k, "migrations")) < 0)
			return rc;
		if (strcmp(name, "dir") == 0) {
			rc = cfg_get_string(&c->migrations_dir, NULL, c, k, v, "migrations.dir");
		} else if (strcmp(name, "table") == 0) {
			if ((rc = cfg_get_string(&c->migrations_table, NULL, c, k, v, "migrations.table")) ==
				    0 &&
			    !is_table_name(c->migrations_table))
				rc = cfg_err_at(c, v, k,
						"\"migrations.table\": \"%s\" is not a plain table name "
						"(letters, digits, \"_\", optionally schema.table)",
						c->migrations_table);
		} else if (strcmp(name, "required") == 0) {
			rc = load_required(c, k, v);
		} else {
			rc = cfg_unknown_key(c, k, name, "migrations", migrations_keys);
		}
		if (rc < 0)
			return rc;
	}
	return rc;
}

int cfg_load_lint(sl_config *c, struct fy_node *lkey, struct fy_node *map)
{
	struct fy_node_pair *p, *rp;
	void *it = NULL, *rit = NULL;
	size_t cap = 0;
	int rc = 0;

	if ((rc = cfg_need_mapping(c, lkey, map, "lint")) < 0)
		return rc;
	while ((p = fy_node_mapping_iterate(map, &it))) {
		struct fy_node *k = fy_node_pair_key(p), *rules = fy_node_pair_value(p);
		const char *name;
		if ((rc = cfg_key_name(&name, c, k, "lint")) < 0)
			return rc;
		if (strcmp(name, "rules") != 0)
			return cfg_unknown_key(c, k, name, "lint", lint_keys);
		if ((rc = cfg_need_mapping(c, k, rules, "lint.rules")) < 0)
			return rc;
		while ((rp = fy_node_mapping_iterate(rules, &rit))) {
			struct fy_node *rk = fy_node_pair_key(rp), *rv = fy_node_pair_value(rp);
			const char *rule, *level;
			sl_config_lint_rule *r;
			int line, col;
			if ((rc = cfg_key_name(&rule, c, rk, "lint.rules")) < 0 ||
			    (rc = cfg_get_string(&level, NULL, c, rk, rv, "lint.rules")) < 0)
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
				return cfg_err_at(c, rv, rk,
						  "\"lint.rules.%s\" must be off, warn or error, not \"%s\"",
						  rule, level);
			cfg_node_pos(rk, &line, &col);
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
	if ((rc = cfg_need_mapping(c, ekey, map, what)) < 0)
		return rc;
	while ((p = fy_node_mapping_iterate(map, &it))) {
		struct fy_node *k = fy_node_pair_key(p), *v = fy_node_pair_value(p);
		const char *name;
		if ((rc = cfg_key_name(&name, c, k, what)) < 0)
			return rc;
		snprintf(what, sizeof(what), "environments.%s.%s", env->name, name);
		if (strcmp(name, "url") == 0) {
			rc = cfg_get_string(&env->url, &env->url_secret, c, k, v, what);
		} else if (strcmp(name, "password_env") == 0) {
			if ((rc = cfg_get_string(&env->password_env, NULL, c, k, v, what)) == 0 &&
			    (!*env->password_env ||
			     strspn(env->password_env,
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") !=
				     strlen(env->password_env)))
				rc = cfg_err_at(c, v, k, "\"%s\" must name an environment variable", what);
		} else if (strcmp(name, "flavour") == 0) {
			if ((rc = cfg_get_string(&env->flavour, NULL, c, k, v, what)) == 0 &&
			    !sl_flavour_named(env->flavour))
				rc = cfg_err_at(c, v, k, "\"%s\" must be one of %s, not \"%s\"", what,
						sl_flavour_names(), env->flavour);
		} else {
			snprintf(what, sizeof(what), "environments.%s", env->name);
			rc = cfg_unknown_key(c, k, name, what, env_keys);
		}
		snprintf(what, sizeof(what), "environments.%s", env->name);
		if (rc < 0)
			return rc;
	}
	if (!env->url)
		return cfg_err_at(c, map, ekey, "\"%s\" has no \"url\"", what);
	return 0;
}

int cfg_load_envs(sl_config *c, struct fy_node *ekey, struct fy_node *map)
{
	struct fy_node_pair *p;
	void *it = NULL;
	size_t cap = 0;
	int rc = 0;

	if ((rc = cfg_need_mapping(c, ekey, map, "environments")) < 0)
		return rc;
	while ((p = fy_node_mapping_iterate(map, &it))) {
		struct fy_node *k = fy_node_pair_key(p), *v = fy_node_pair_value(p);
		sl_config_env *env;
		const char *name;
		int line, col;
		if ((rc = cfg_key_name(&name, c, k, "environments")) < 0)
			return rc;
		if (!(env = sl_arena_push(c->arena, &c->envs, &c->nenvs, &cap, sizeof(*env))))
			return sl_error_nomem();
		env->name = name;
		cfg_node_pos(k, &line, &col);
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
	return cfg_err_at(c, val, key, "\"%s\" must be true or false", what);
}

static int get_duration(int64_t *out, sl_config *c, struct fy_node *key, struct fy_node *val,
			const char *what)
{
	const char *s;
	int rc = cfg_get_string(&s, NULL, c, key, val, what);
	if (!rc && sl_config_parse_duration(s, out) < 0)
		rc = cfg_err_at(c, val, key, "\"%s\": %s", what, sl_error_last()->message);
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
		size_t dist = cfg_edit_distance(name, key);
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
		return cfg_err_at(c, val, key,
				  "\"rehearsal.critical_domains\" must be a list of domain names");
	while ((item = fy_node_sequence_iterate(val, &it))) {
		const char *s, **slot, *best;
		if ((rc = cfg_get_string(&s, NULL, c, key, item, "rehearsal.critical_domains")) < 0)
			return rc;
		int known = domain_known(c, s, &best);
		if (known < 0)
			return cfg_err_at(
				c, item, key,
				"\"rehearsal.critical_domains\": \"%s\" is not a domain: sluice.yaml has "
				"no \"domains\" section",
				s);
		if (!known && best)
			return cfg_err_at(
				c, item, key,
				"\"rehearsal.critical_domains\": no domain \"%s\" (did you mean \"%s\"?)", s,
				best);
		if (!known)
			return cfg_err_at(
				c, item, key,
				"\"rehearsal.critical_domains\": no domain \"%s\" under \"domains\"", s);
		if (!(slot = sl_arena_push(c->arena, &c->rehearsal.critical_domains,
					   &c->rehearsal.ncritical_domains, &cap, sizeof(*slot))))
			return sl_error_nomem();
		*slot = s;
	}
	return rc;
}

int cfg_load_rehearsal(sl_config *c, struct fy_node *rkey, struct fy_node *map)
{
	struct fy_node_pair *p;
	void *it = NULL;
	int rc = 0;
	sl_config_rehearsal *r = &c->rehearsal;

	if (cfg_is_null(map))
		return 0;
	if ((rc = cfg_need_mapping(c, rkey, map, "rehearsal")) < 0)
		return rc;
	while ((p = fy_node_mapping_iterate(map, &it))) {
		struct fy_node *k = fy_node_pair_key(p), *v = fy_node_pair_value(p);
		const char *name;
		if ((rc = cfg_key_name(&name, c, k, "rehearsal")) < 0)
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
			if ((rc = cfg_get_string(&s, NULL, c, k, v, "rehearsal.max_rule_discrepancies")) ==
			    0) {
				errno = 0;
				long long n = strtoll(s, &end, 10);
				if (end == s || *end || errno || n < 0)
					rc = cfg_err_at(
						c, v, k,
						"\"rehearsal.max_rule_discrepancies\" must be a whole "
						"number >= 0, "
						"not \"%s\"",
						s);
				else
					r->max_rule_discrepancies = n;
			}
		} else if (strcmp(name, "scratch_prefix") == 0) {
			if ((rc = cfg_get_string(&r->scratch_prefix, NULL, c, k, v,
						 "rehearsal.scratch_prefix")) == 0) {
				size_t n = strlen(r->scratch_prefix);
				bool ok = n >= 3 && n <= 32 && isalpha((unsigned char)r->scratch_prefix[0]);
				for (size_t i = 0; ok && i < n; i++)
					ok = islower((unsigned char)r->scratch_prefix[i]) ||
					     isdigit((unsigned char)r->scratch_prefix[i]) ||
					     r->scratch_prefix[i] == '_';
				if (!ok)
					rc = cfg_err_at(c, v, k,
							"\"rehearsal.scratch_prefix\": \"%s\" must be 3-32 "
							"lowercase letters, "
							"digits or \"_\", starting with a letter",
							r->scratch_prefix);
			}
		} else {
			rc = cfg_unknown_key(c, k, name, "rehearsal", rehearsal_keys);
		}
		if (rc < 0)
			return rc;
	}
	return rc;
}
