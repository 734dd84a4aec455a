/*
 * shadow_config.c - the workflow queries of sluice.yaml `shadow:` read into
 * sl_shadow_query (include/sluice/shadow.h), for `sluice shadow`, the
 * shadow check of `sluice watch` and the shadow gates of a cutover runbook.
 * Every error names file:line:col.
 *
 *   shadow:
 *     - name: revenue_by_currency
 *       sql: SELECT currency, sum(total) FROM invoices GROUP BY currency
 *     - name: latest_invoices
 *       ordered: true
 *       sql:
 *         postgres: SELECT ... ORDER BY issued DESC LIMIT 10
 *         mysql: SELECT ... ORDER BY issued DESC LIMIT 10
 *         default: SELECT ...
 */
#include "sluice/shadow.h"

#include <libfyaml.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/dialect.h"
#include "sluice/error.h"

static int bad(sl_config *cfg, struct fy_node *n, const char *what)
{
	char where[256];
	return sl_error_set(SL_EINVALID, "%s: %s", sl_config_where(cfg, n, where, sizeof(where)), what);
}

static int load_query(sl_shadow_query *q, sl_config *cfg, struct fy_node *item)
{
	struct fy_node *name = fy_node_mapping_lookup_by_string(item, "name", FY_NT);
	struct fy_node *sql = fy_node_mapping_lookup_by_string(item, "sql", FY_NT);
	struct fy_node *ord = fy_node_mapping_lookup_by_string(item, "ordered", FY_NT);
	const char *s = NULL;
	int rc = 0;
	memset(q, 0, sizeof(*q));
	if (!fy_node_is_mapping(item) || !name || !sql)
		return bad(cfg, item, "a shadow query needs \"name\" and \"sql\"");
	rc = sl_config_string(&q->name, NULL, cfg, name, "shadow.name");
	if (!rc && ord) {
		rc = sl_config_string(&s, NULL, cfg, ord, "shadow.ordered");
		if (!rc && strcmp(s, "true") != 0 && strcmp(s, "false") != 0)
			rc = bad(cfg, ord, "\"ordered\" must be true or false");
		q->ordered = !rc && strcmp(s, "true") == 0;
	}
	if (!rc && fy_node_is_scalar(sql))
		rc = sl_config_string(&q->sql, NULL, cfg, sql, "shadow.sql");
	else if (!rc && fy_node_is_mapping(sql)) {
		void *it = NULL;
		struct fy_node_pair *pair;
		while (!rc && (pair = fy_node_mapping_iterate(sql, &it)) != NULL) {
			const char *key = NULL, *text = NULL;
			rc = sl_config_string(&key, NULL, cfg, fy_node_pair_key(pair), "shadow.sql");
			if (!rc)
				rc = sl_config_string(&text, NULL, cfg, fy_node_pair_value(pair),
						      "shadow.sql");
			if (rc)
				break;
			sl_engine e = sl_dialect_engine_named(key, strlen(key), false);
			if (strcmp(key, "default") == 0)
				q->sql = text;
			else if (e != SL_ENGINE_NONE)
				q->sql_for[e] = text;
			else
				rc = bad(cfg, fy_node_pair_key(pair),
					 "\"sql\" keys are sqlite, postgres, mysql or default");
		}
	} else if (!rc)
		rc = bad(cfg, sql, "\"sql\" is a query, or a mapping of engine to query");
	return rc;
}

int sl_shadow_queries_load(sl_shadow_query **out, size_t *n, sl_config *cfg, const char *only)
{
	struct fy_node *sec = cfg ? sl_config_section(cfg, "shadow") : NULL;
	*out = NULL;
	*n = 0;
	if (!sec)
		return sl_error_set(SL_ENOTFOUND, "%s: no \"shadow\" queries",
				    cfg ? cfg->path : "sluice.yaml (not found)");
	if (!fy_node_is_sequence(sec))
		return bad(cfg, sec, "\"shadow\" must be a list of {name, sql, ordered}");
	sl_shadow_query *q = calloc((size_t)fy_node_sequence_item_count(sec) + 1, sizeof(*q));
	if (!q)
		return sl_error_nomem();
	void *it = NULL;
	struct fy_node *item;
	int rc = 0;
	while (!rc && (item = fy_node_sequence_iterate(sec, &it)) != NULL) {
		rc = load_query(&q[*n], cfg, item);
		for (size_t i = 0; !rc && i < *n; i++)
			if (strcmp(q[i].name, q[*n].name) == 0)
				rc = bad(cfg, item, "two shadow queries have the same name");
		if (!rc && (!only || strcmp(only, q[*n].name) == 0))
			(*n)++;
	}
	if (!rc && only && *n == 0)
		rc = sl_error_set(SL_EINVALID, "%s: no shadow query \"%s\"", cfg->path, only);
	if (rc) {
		free(q);
		*n = 0;
		return rc;
	}
	*out = q;
	return 0;
}
