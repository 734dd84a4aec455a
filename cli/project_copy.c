/*
 * project_copy.c - what copy and sync read from sluice.yaml: domains (named
 * lists of tables), cast rules and sensitive columns (see project.h).
 */
#include "project.h"

#include "sluice/error.h"

#include <libfyaml.h>
#include <stdlib.h>
#include <string.h>

/*
 * sluice.yaml domains: a named list of tables, as `billing: [customers, invoices]`
 * or `billing: { tables: [customers, invoices], ... }` (other keys are for other
 * commands). The strings live in the config's arena; *out is malloc'd.
 */
int cli_project_domain(cli_project *p, const char *name, const char ***out, size_t *n)
{
	struct fy_node *sec = p->cfg ? sl_config_section(p->cfg, "domains") : NULL;
	struct fy_node *d =
		sec && fy_node_is_mapping(sec) ? fy_node_mapping_lookup_by_string(sec, name, FY_NT) : NULL;
	char where[256];
	*out = NULL;
	*n = 0;
	if (!d)
		return sl_error_set(SL_EINVALID, "%s: no domain \"%s\" under \"domains\"",
				    p->cfg ? p->cfg->path : "sluice.yaml (not found)", name);
	if (fy_node_is_mapping(d))
		d = fy_node_mapping_lookup_by_string(d, "tables", FY_NT);
	if (!d || !fy_node_is_sequence(d) || fy_node_sequence_item_count(d) < 1)
		return sl_error_set(SL_EINVALID, "%s: domain \"%s\" must list its tables",
				    sl_config_where(p->cfg, d ? d : sec, where, sizeof(where)), name);
	const char **t = calloc((size_t)fy_node_sequence_item_count(d), sizeof(*t));
	if (!t)
		return sl_error_nomem();
	void *it = NULL;
	struct fy_node *item;
	int rc = 0;
	while (!rc && (item = fy_node_sequence_iterate(d, &it)) != NULL)
		rc = sl_config_string(&t[(*n)++], NULL, p->cfg, item, "domains.tables");
	if (rc) {
		free(t);
		*n = 0;
		return rc;
	}
	*out = t;
	return 0;
}

/* sluice.yaml casts: a list of {from: TYPE, to: TYPE} or {column: table.column, to: TYPE}. */
int cli_project_cast_rules(sl_cast_rules **out, cli_project *p)
{
	struct fy_node *sec = p->cfg ? sl_config_section(p->cfg, "casts") : NULL;
	char where[256];
	int rc = 0;
	*out = NULL;
	if (!sec)
		return 0;
	if (!fy_node_is_sequence(sec))
		return sl_error_set(SL_EINVALID, "%s: \"casts\" must be a list of {from|column, to}",
				    sl_config_where(p->cfg, sec, where, sizeof(where)));
	rc = sl_cast_rules_new(out);
	void *it = NULL;
	struct fy_node *n;
	while (!rc && (n = fy_node_sequence_iterate(sec, &it)) != NULL) {
		struct fy_node *from = fy_node_mapping_lookup_by_string(n, "from", FY_NT);
		struct fy_node *col = fy_node_mapping_lookup_by_string(n, "column", FY_NT);
		struct fy_node *to = fy_node_mapping_lookup_by_string(n, "to", FY_NT);
		const char *fs = NULL, *cs = NULL, *ts = NULL;
		if (!fy_node_is_mapping(n) || !to || (!from == !col)) {
			rc = sl_error_set(SL_EINVALID,
					  "%s: a cast rule needs \"to\" and one of \"from\" or \"column\"",
					  sl_config_where(p->cfg, n, where, sizeof(where)));
			break;
		}
		rc = sl_config_string(&ts, NULL, p->cfg, to, "casts.to");
		if (!rc && from)
			rc = sl_config_string(&fs, NULL, p->cfg, from, "casts.from");
		if (!rc && col)
			rc = sl_config_string(&cs, NULL, p->cfg, col, "casts.column");
		if (!rc && cs && !strchr(cs, '.'))
			rc = sl_error_set(SL_EINVALID, "%s: cast rule column \"%s\" must be table.column",
					  sl_config_where(p->cfg, col, where, sizeof(where)), cs);
		if (!rc)
			rc = fs ? sl_cast_rules_add_type(*out, fs, ts)
				: sl_cast_rules_add_column(*out, cs, ts);
	}
	return rc;
}

int cli_split_list(char *list, const char ***out, size_t *n)
{
	size_t cap = 1;
	for (const char *p = list; *p; p++)
		cap += *p == ',';
	const char **t = calloc(cap, sizeof(*t));
	if (!t)
		return sl_error_nomem();
	*n = 0;
	char *save = NULL;
	for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (*tok)
			t[(*n)++] = tok;
	*out = t;
	return 0;
}

/*
 * sluice.yaml copy: { sensitive: ["table.column" patterns] } (docs/copy.md,
 * "Rejects"); the strings live in the config's arena, *out is malloc'd.
 */
int cli_project_sensitive(cli_project *p, const char ***out, size_t *n)
{
	struct fy_node *sec = p->cfg ? sl_config_section(p->cfg, "copy") : NULL;
	char where[256];
	*out = NULL;
	*n = 0;
	if (!sec)
		return 0;
	if (!fy_node_is_mapping(sec))
		return sl_error_set(SL_EINVALID,
				    "%s: \"copy\" must be a mapping (known keys: sensitive, distribution)",
				    sl_config_where(p->cfg, sec, where, sizeof(where)));
	void *it = NULL;
	struct fy_node_pair *kv;
	while ((kv = fy_node_mapping_iterate(sec, &it)) != NULL) {
		const char *k = fy_node_get_scalar0(fy_node_pair_key(kv));
		if (!k || (strcmp(k, "sensitive") != 0 && strcmp(k, "distribution") != 0))
			return sl_error_set(SL_EINVALID,
					    "%s: unknown key \"%s\" in \"copy\" (known keys: sensitive, "
					    "distribution)",
					    sl_config_where(p->cfg, fy_node_pair_key(kv), where,
							    sizeof(where)),
					    k ? k : "");
	}
	struct fy_node *list = fy_node_mapping_lookup_by_string(sec, "sensitive", FY_NT);
	if (!list)
		return 0;
	if (!fy_node_is_sequence(list))
		return sl_error_set(SL_EINVALID,
				    "%s: \"copy.sensitive\" must be a list of table.column patterns",
				    sl_config_where(p->cfg, list, where, sizeof(where)));
	const char **v = calloc((size_t)fy_node_sequence_item_count(list) + 1, sizeof(*v));
	if (!v)
		return sl_error_nomem();
	struct fy_node *item;
	int rc = 0;
	it = NULL;
	while (!rc && (item = fy_node_sequence_iterate(list, &it)) != NULL) {
		rc = sl_config_string(&v[*n], NULL, p->cfg, item, "copy.sensitive");
		if (!rc && !strchr(v[*n], '.'))
			rc = sl_error_set(
				SL_EINVALID,
				"%s: sensitive column \"%s\" must be table.column (\"*\" matches any)",
				sl_config_where(p->cfg, item, where, sizeof(where)), v[*n]);
		(*n)++;
	}
	if (rc) {
		free(v);
		*n = 0;
		return rc;
	}
	*out = v;
	return 0;
}

/*
 * sluice.yaml copy: { distribution: { table: column | reference } }: where a
 * sharding target flavour puts each table (docs/commands/distributed.md,
 * "Target flavours"). The strings live in the config's arena; *tables and
 * *columns are malloc'd, parallel.
 */
int cli_project_distribution(cli_project *p, const char ***tables, const char ***columns, size_t *n)
{
	struct fy_node *sec = p->cfg ? sl_config_section(p->cfg, "copy") : NULL;
	struct fy_node *map = sec && fy_node_is_mapping(sec)
				      ? fy_node_mapping_lookup_by_string(sec, "distribution", FY_NT)
				      : NULL;
	char where[256];
	*tables = *columns = NULL;
	*n = 0;
	if (!map)
		return 0;
	if (!fy_node_is_mapping(map))
		return sl_error_set(
			SL_EINVALID,
			"%s: \"copy.distribution\" must be a mapping of table: column (or reference)",
			sl_config_where(p->cfg, map, where, sizeof(where)));
	size_t cap = (size_t)fy_node_mapping_item_count(map) + 1;
	const char **t = calloc(cap, sizeof(*t)), **c = calloc(cap, sizeof(*c));
	int rc = t && c ? 0 : sl_error_nomem();
	void *it = NULL;
	struct fy_node_pair *kv;
	while (!rc && (kv = fy_node_mapping_iterate(map, &it)) != NULL) {
		rc = sl_config_string(&t[*n], NULL, p->cfg, fy_node_pair_key(kv), "copy.distribution");
		if (!rc)
			rc = sl_config_string(&c[*n], NULL, p->cfg, fy_node_pair_value(kv),
					      "copy.distribution");
		if (!rc && (!*t[*n] || !*c[*n]))
			rc = sl_error_set(SL_EINVALID,
					  "%s: \"copy.distribution\" takes table: column (or reference)",
					  sl_config_where(p->cfg, fy_node_pair_key(kv), where,
							  sizeof(where)));
		(*n)++;
	}
	if (rc) {
		free(t);
		free(c);
		*n = 0;
		return rc;
	}
	*tables = t;
	*columns = c;
	return 0;
}

int cli_project_flavour(const sl_flavour **out, const cli_project *p, const char *target, const char *name)
{
	const char *url = NULL;
	const sl_config_env *env = NULL;
	sl_url *u = NULL;
	*out = NULL;
	int rc = cli_project_resolve(p, target, &url, &env);
	if (!rc && !name && env)
		name = env->flavour;
	if (rc || !name)
		return rc;
	rc = sl_url_parse(&u, url);
	if (!rc)
		rc = sl_flavour_for(out, name, u->engine);
	if (rc == SL_EINVALID && u)
		sl_error_prefix("%s", env ? env->name : u->redacted);
	sl_url_free(u);
	return rc;
}
