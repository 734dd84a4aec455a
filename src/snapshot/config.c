/*
 * config.c - the snapshot section of sluice.yaml (docs/config.md):
 *
 *   snapshot:
 *     key_env: SNAPSHOT_KEY          # default of --key-env
 *     subset: "customers: 5%"        # default of --subset
 *     masks:                          # TABLE: { COLUMN: RULE }
 *       customers: { email: email, name: name, notes: null }
 *     relationships: [ ... ]          # read when the source schema is known
 *
 * Every key is checked here with file:line:col and "did you mean"; tables
 * and columns are checked against the source when the snapshot runs.
 */
#include "snapshot_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfyaml.h>

#include "sluice/error.h"

static const char *const keys[] = { "key_env", "subset", "masks", "relationships", NULL };

static int err(sl_config *cfg, struct fy_node *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int err(sl_config *cfg, struct fy_node *n, const char *fmt, ...)
{
	char pos[300], msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sl_error_set(SL_EINVALID, "%s: %s", sl_config_where(cfg, n, pos, sizeof(pos)), msg);
}

static const char *key_of(struct fy_node *k)
{
	return k && fy_node_get_type(k) == FYNT_SCALAR ? fy_node_get_scalar0(k) : NULL;
}

static int load_table(sl_snapshot_config *c, struct fy_node *tk, struct fy_node *map, size_t *cap)
{
	const char *table = key_of(tk);
	void *it = NULL;
	struct fy_node_pair *p;
	char pos[300];
	if (!table || !*table)
		return err(c->cfg, tk, "snapshot.masks: table names must be strings");
	if (!map || !fy_node_is_mapping(map))
		return err(c->cfg, map ? map : tk,
			   "snapshot.masks.%s must map columns to rules, e.g. { email: email }", table);
	while ((p = fy_node_mapping_iterate(map, &it)) != NULL) {
		struct fy_node *k = fy_node_pair_key(p), *v = fy_node_pair_value(p);
		const char *column = key_of(k);
		if (!column || !*column)
			return err(c->cfg, k, "snapshot.masks.%s: column names must be strings", table);
		for (size_t i = 0; i < c->nmasks; i++)
			if (!strcmp(c->masks[i].table, table) && !strcmp(c->masks[i].column, column))
				return err(c->cfg, k, "snapshot.masks.%s.%s is given twice", table, column);
		sl_snapshot_mask *m = sl_arena_push(c->a, &c->masks, &c->nmasks, cap, sizeof(*m));
		if (!m)
			return sl_error_nomem();
		m->table = sl_arena_strdup(c->a, table);
		m->column = sl_arena_strdup(c->a, column);
		m->where_table = sl_arena_strdup(c->a, sl_config_where(c->cfg, tk, pos, sizeof(pos)));
		m->where_column = sl_arena_strdup(c->a, sl_config_where(c->cfg, k, pos, sizeof(pos)));
		const char *what = sl_arena_printf(c->a, "snapshot.masks.%s.%s", table, column);
		if (!m->table || !m->column || !m->where_table || !m->where_column || !what)
			return sl_error_nomem();
		int rc = sl_mask_rule_parse(&m->rule, c->cfg, v, what, false, c->a);
		if (rc)
			return rc;
	}
	return 0;
}

static int load(sl_snapshot_config *c, struct fy_node *sec)
{
	void *it = NULL;
	struct fy_node_pair *p;
	size_t cap = 0;
	if (!fy_node_is_mapping(sec))
		return err(c->cfg, sec,
			   "\"snapshot\" must be a mapping (key_env, subset, masks, relationships)");
	while ((p = fy_node_mapping_iterate(sec, &it)) != NULL) {
		struct fy_node *k = fy_node_pair_key(p), *v = fy_node_pair_value(p);
		const char *key = key_of(k);
		int rc = 0;
		if (!key)
			return err(c->cfg, k, "keys in \"snapshot\" must be strings");
		if (!strcmp(key, "key_env")) {
			rc = sl_config_string(&c->key_env, NULL, c->cfg, v, "snapshot.key_env");
			if (!rc && (!*c->key_env ||
				    strspn(c->key_env, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
						       "0123456789_") != strlen(c->key_env)))
				rc = err(c->cfg, v, "\"snapshot.key_env\" must name an environment variable");
		} else if (!strcmp(key, "subset")) {
			rc = sl_config_string(&c->subset, NULL, c->cfg, v, "snapshot.subset");
		} else if (!strcmp(key, "relationships")) {
			c->relationships = v;
		} else if (!strcmp(key, "masks")) {
			void *mit = NULL;
			struct fy_node_pair *mp;
			if (!v || !fy_node_is_mapping(v))
				return err(c->cfg, v ? v : k,
					   "\"snapshot.masks\" must map tables to their columns' rules");
			while (!rc && (mp = fy_node_mapping_iterate(v, &mit)) != NULL)
				rc = load_table(c, fy_node_pair_key(mp), fy_node_pair_value(mp), &cap);
		} else {
			const char *near = sl_config_nearest(key, keys);
			rc = near ? err(c->cfg, k,
					"unknown key \"%s\" in \"snapshot\" (did you mean \"%s\"?)", key,
					near)
				  : err(c->cfg, k, "unknown key \"%s\" in \"snapshot\"", key);
		}
		if (rc)
			return rc;
	}
	return 0;
}

int sl_snapshot_config_load(sl_snapshot_config **out, sl_config *cfg)
{
	sl_snapshot_config *c = calloc(1, sizeof(*c));
	int rc = 0;
	*out = NULL;
	if (!c || !(c->a = sl_arena_new(0))) {
		free(c);
		return sl_error_nomem();
	}
	c->cfg = cfg;
	struct fy_node *sec = cfg ? sl_config_section(cfg, "snapshot") : NULL;
	if (sec)
		rc = load(c, sec);
	if (rc) {
		sl_snapshot_config_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void sl_snapshot_config_free(sl_snapshot_config *c)
{
	if (!c)
		return;
	sl_arena_free(c->a);
	free(c);
}
