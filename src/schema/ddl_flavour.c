/*
 * ddl_flavour.c - what a target flavour (sluice/flavour.h) changes in the
 * DDL: the column each table is sharded on (or every node), the flavour's
 * calls right after CREATE TABLE, the unique keys and foreign keys a sharded
 * table cannot keep (dropped with a "not translated" item saying why, never
 * silently), and the text `copy --plan` shows: the flavour's notes, where each
 * table went and, for Vitess, a VSchema to start from.
 */
#include "ddl_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"

static bool has(const char *const *cols, size_t n, const char *c)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(cols[i], c) == 0)
			return true;
	return false;
}

static size_t table_index(const gen *g, const sl_cast_table *ct)
{
	for (size_t i = 0; i < sl_cast_plan_ntables(g->plan); i++)
		if (sl_cast_plan_table(g->plan, i) == ct)
			return i;
	return SIZE_MAX;
}

/* The configured shard column of ct (source name; NULL: every node); *listed false when none is. */
static int configured(const gen *g, const sl_cast_table *ct, const char **out, bool *listed)
{
	*out = NULL;
	*listed = false;
	for (size_t i = 0; i < g->opts->nshard; i++) {
		const char *tn = g->opts->shard_tables[i], *col = g->opts->shard_columns[i];
		if (strcmp(tn, ct->name) != 0 && strcmp(tn, ct->src->name) != 0)
			continue;
		*listed = true;
		if (strcmp(col, "reference") == 0)
			return 0;
		for (size_t j = 0; j < ct->ncolumns; j++)
			if (strcmp(ct->columns[j].name, col) == 0 ||
			    strcmp(ct->src->columns[j].name, col) == 0) {
				*out = ct->src->columns[j].name;
				return 0;
			}
		return sl_error_set(SL_EINVALID, "copy.distribution: table \"%s\" has no column \"%s\"", tn,
				    col);
	}
	return 0;
}

int ddl_flavour_prepare(gen *g)
{
	size_t n = sl_cast_plan_ntables(g->plan);
	if (!g->fl || g->fl->sharding == SL_SHARD_NONE)
		return 0;
	g->shard = sl_arena_calloc(g->d->arena, n + 1, sizeof(*g->shard));
	if (!g->shard)
		return SL_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const sl_cast_table *ct = sl_cast_plan_table(g->plan, i);
		bool listed;
		int rc = configured(g, ct, &g->shard[i], &listed);
		if (rc)
			return rc;
		const sl_key *pk = ct->src->primary_key;
		if (!listed && pk && pk->ncolumns)
			g->shard[i] = pk->columns[0];
	}
	return 0;
}

/* The target name of source column src of ct. */
static const char *target_column(const sl_cast_table *ct, const char *src)
{
	const sl_cast_column *cc = sl_cast_table_find_column(ct, src);
	return cc ? cc->name : src;
}

int ddl_flavour_after_create(gen *g, size_t ti)
{
	if (!g->fl || g->fl->sharding != SL_SHARD_CALLS || !g->shard)
		return 0;
	const sl_cast_table *ct = sl_cast_plan_table(g->plan, ti);
	sl_buf name = SL_BUF_INIT, b = SL_BUF_INIT;
	int rc = ddl_qname(&name, g, ct->name);
	rc = rc ? rc : sl_buf_printf(&b, "SELECT %s(", g->shard[ti] ? g->fl->shard_fn : g->fl->everywhere_fn);
	rc = rc ? rc : sl_ddl_quote_string(&b, g->e, sl_buf_cstr(&name));
	if (!rc && g->shard[ti]) {
		rc = sl_buf_puts(&b, ", ");
		rc = rc ? rc : sl_ddl_quote_string(&b, g->e, target_column(ct, g->shard[ti]));
	}
	rc = rc ? rc : sl_buf_putc(&b, ')');
	rc = rc ? rc : ddl_add_stmt(g, SL_DDL_TABLES, ct->name, &b);
	if (!rc)
		g->d->stmts[SL_DDL_TABLES][g->d->n[SL_DDL_TABLES] - 1].flavour = true;
	sl_buf_free(&name);
	sl_buf_free(&b);
	return rc;
}

bool ddl_flavour_keeps_key(gen *g, const sl_cast_table *ct, const char *kind, const char *name,
			   const char *const *cols, size_t n, int *rc)
{
	if (!g->fl || g->fl->sharding != SL_SHARD_CALLS || !g->shard)
		return true;
	size_t ti = table_index(g, ct);
	const char *s = ti == SIZE_MAX ? NULL : g->shard[ti];
	if (!s || has(cols, n, s))
		return true;
	sl_ddl_phase ph = strcmp(kind, "primary key") == 0 ? SL_DDL_TABLES : SL_DDL_INDEXES;
	*rc = ddl_add_item(
		g, ph, kind, ct->src->name, name, NULL,
		"not kept on %s: a unique key of a %s table must include its shard column \"%s\" (%s)",
		g->fl->title, g->fl->shard_word, target_column(ct, s), g->fl->doc);
	return false;
}

/* Whether fk pairs the child's shard column with the parent's. */
static bool pairs(const sl_fkey *fk, const char *cs, const char *ps)
{
	for (size_t i = 0; i < fk->ncolumns; i++)
		if (strcmp(fk->columns[i], cs) == 0 && strcmp(fk->ref_columns[i], ps) == 0)
			return true;
	return false;
}

bool ddl_flavour_keeps_fk(gen *g, const sl_cast_table *ct, const sl_fkey *fk, const sl_cast_table *pt,
			  int *rc)
{
	const char *t = ct->src->name;
	if (!g->fl)
		return true;
	if (g->fl->no_foreign_keys) {
		*rc = ddl_add_item(g, SL_DDL_FOREIGN_KEYS, "foreign key", t, fk->name, NULL,
				   "not kept on %s: it does not enforce foreign keys across shards (%s)",
				   g->fl->title, g->fl->doc);
		return false;
	}
	if (g->fl->sharding != SL_SHARD_CALLS || !g->shard)
		return true;
	size_t ci = table_index(g, ct), pi = table_index(g, pt);
	const char *cs = ci == SIZE_MAX ? NULL : g->shard[ci], *ps = pi == SIZE_MAX ? NULL : g->shard[pi];
	if (!ps || (cs && pairs(fk, cs, ps)))
		return true;
	if (!cs)
		*rc = ddl_add_item(g, SL_DDL_FOREIGN_KEYS, "foreign key", t, fk->name, NULL,
				   "not kept on %s: a %s cannot reference a %s table (%s)", g->fl->title,
				   g->fl->everywhere_word, g->fl->shard_word, g->fl->doc);
	else
		*rc = ddl_add_item(
			g, SL_DDL_FOREIGN_KEYS, "foreign key", t, fk->name, NULL,
			"not kept on %s: between %s tables a foreign key must pair the shard columns "
			"(\"%s\" to \"%s\"); distribute both on them to keep it (%s)",
			g->fl->title, g->fl->shard_word, target_column(ct, cs), target_column(pt, ps),
			g->fl->doc);
	return false;
}

static bool int_column(const sl_cast_table *ct, const char *src)
{
	const sl_cast_column *cc = sl_cast_table_find_column(ct, src);
	sl_tkind k = cc ? cc->type.kind : SL_T_TEXT;
	return k == SL_T_INT16 || k == SL_T_INT32 || k == SL_T_INT64;
}

/* Vitess: a VSchema for the keyspace, hash (integers) or xxhash vindexes on the shard columns. */
static int vschema(sl_buf *out, const gen *g)
{
	json_t *root = json_object(), *vx = json_object(), *tables = json_object();
	int rc = root && vx && tables ? 0 : SL_ENOMEM;
	for (size_t i = 0; !rc && i < sl_cast_plan_ntables(g->plan); i++) {
		const sl_cast_table *ct = sl_cast_plan_table(g->plan, i);
		json_t *t = json_object();
		if (!g->shard[i])
			json_object_set_new(t, "type", json_string("reference"));
		else {
			const char *vi = int_column(ct, g->shard[i]) ? "hash" : "xxhash";
			json_object_set_new(vx, vi, json_pack("{s:s}", "type", vi));
			json_object_set_new(t, "column_vindexes",
					    json_pack("[{s:s,s:s}]", "column", target_column(ct, g->shard[i]),
						      "name", vi));
			for (size_t j = 0; j < ct->ncolumns; j++)
				if (ct->columns[j].src->identity) {
					char seq[256];
					snprintf(seq, sizeof(seq), "%s_seq", ct->name);
					json_object_set_new(t, "auto_increment",
							    json_pack("{s:s,s:s}", "column",
								      ct->columns[j].name, "sequence", seq));
				}
		}
		if (json_object_set_new(tables, ct->name, t))
			rc = SL_ENOMEM;
	}
	if (!rc && (json_object_set_new(root, "sharded", json_true()) ||
		    json_object_set_new(root, "vindexes", vx) || json_object_set_new(root, "tables", tables)))
		rc = SL_ENOMEM;
	char *s = rc ? NULL : json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	rc = rc ? rc : s ? sl_buf_printf(out, "VSchema (a suggestion):\n%s\n", s) : SL_ENOMEM;
	free(s);
	json_decref(root);
	return rc;
}

int ddl_flavour_describe(gen *g)
{
	if (!g->fl)
		return 0;
	sl_buf b = SL_BUF_INIT;
	int rc = sl_buf_printf(&b, "target flavour: %s (%s)\n", g->fl->title, g->fl->name);
	for (const char *const *n = g->fl->notes; !rc && n && *n; n++)
		rc = sl_buf_printf(&b, "%s\n", *n);
	if (!rc && g->fl->key_in_create)
		rc = sl_buf_puts(&b, "primary keys: in CREATE TABLE, not after the rows\n");
	for (size_t i = 0; !rc && g->shard && i < sl_cast_plan_ntables(g->plan); i++) {
		const sl_cast_table *ct = sl_cast_plan_table(g->plan, i);
		bool listed;
		const char *col;
		rc = configured(g, ct, &col, &listed);
		const char *why = listed        ? "copy.distribution"
				  : g->shard[i] ? "the first primary-key column"
						: "no primary key";
		if (!rc && g->shard[i])
			rc = sl_buf_printf(&b, "table \"%s\": %s on \"%s\" (%s)\n", ct->name,
					   g->fl->shard_word, target_column(ct, g->shard[i]), why);
		else if (!rc)
			rc = sl_buf_printf(&b, "table \"%s\": %s (%s)\n", ct->name, g->fl->everywhere_word,
					   why);
	}
	if (!rc && g->shard && g->fl->sharding == SL_SHARD_VSCHEMA)
		rc = vschema(&b, g);
	if (!rc && !(g->d->flavour_text = sl_arena_strdup(g->d->arena, sl_buf_cstr(&b))))
		rc = SL_ENOMEM;
	sl_buf_free(&b);
	return rc;
}
