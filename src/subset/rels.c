/*
 * rels.c - the relationships a subset follows and the snapshot report
 * checks: the source's foreign keys, and relationships declared in
 * sluice.yaml (snapshot.relationships) that the database does not enforce,
 * such as a polymorphic audit_log(entity_id) -> customers(id) where
 * entity = 'customer'. Declared ones are checked against the schema with
 * file:line:col and the nearest name in every error.
 */
#include "sluice/subset.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libfyaml.h>

#include "sluice/error.h"

static const char *const rel_keys[] = { "table", "columns", "column", "references", "where", "name", NULL };
static const char *const ref_keys[] = { "table", "columns", "column", NULL };

typedef struct rctx {
	sl_config *cfg;
	const sl_schema *s;
	sl_arena *a;
} rctx;

static int err(rctx *x, struct fy_node *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int err(rctx *x, struct fy_node *n, const char *fmt, ...)
{
	char pos[300], msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sl_config_where(x->cfg, n, pos, sizeof(pos));
	return sl_error_set(SL_EINVALID, "%s: snapshot.relationships: %s", pos, msg);
}

/* Names of s's tables (or t's columns) as a NULL-terminated list in a. */
static const char **table_names(rctx *x)
{
	const char **l = sl_arena_calloc(x->a, x->s->ntables + 1, sizeof(*l));
	for (size_t i = 0; l && i < x->s->ntables; i++)
		l[i] = x->s->tables[i].name;
	return l;
}

static const char **column_names(rctx *x, const sl_table *t)
{
	const char **l = sl_arena_calloc(x->a, t->ncolumns + 1, sizeof(*l));
	for (size_t i = 0; l && i < t->ncolumns; i++)
		l[i] = t->columns[i].name;
	return l;
}

static int get_table(rctx *x, struct fy_node *n, const sl_table **t, const char **name)
{
	int rc = sl_config_string(name, NULL, x->cfg, n, "snapshot.relationships.table");
	if (rc)
		return rc;
	*t = sl_schema_find_table(x->s, NULL, *name);
	if (*t)
		return 0;
	const char *near = sl_config_nearest(*name, table_names(x));
	if (near)
		return err(x, n, "no table \"%s\" in the source (did you mean \"%s\"?)", *name, near);
	return err(x, n, "no table \"%s\" in the source", *name);
}

static int get_columns(rctx *x, struct fy_node *n, bool one, const sl_table *t, const char ***cols,
		       size_t *nc)
{
	size_t cap = 0;
	void *it = NULL;
	struct fy_node *item;
	*nc = 0;
	if (one)
		item = n;
	else if (!n || !fy_node_is_sequence(n) || fy_node_sequence_item_count(n) < 1)
		return err(x, n, "\"columns\" must be a list of column names");
	for (;;) {
		if (!one && !(item = fy_node_sequence_iterate(n, &it)))
			break;
		const char *c = NULL, **slot;
		int rc = sl_config_string(&c, NULL, x->cfg, item, "snapshot.relationships.columns");
		if (rc)
			return rc;
		if (t && !sl_table_find_column(t, c)) {
			const char *near = sl_config_nearest(c, column_names(x, t));
			if (near)
				return err(x, item,
					   "table \"%s\" has no column \"%s\" (did you mean \"%s\"?)",
					   t->name, c, near);
			return err(x, item, "table \"%s\" has no column \"%s\"", t->name, c);
		}
		if (!(slot = sl_arena_push(x->a, cols, nc, &cap, sizeof(*slot))))
			return sl_error_nomem();
		*slot = c;
		if (one)
			break;
	}
	return 0;
}

static int unknown(rctx *x, struct fy_node *k, const char *key, const char *const *known, const char *where)
{
	const char *near = sl_config_nearest(key, known);
	if (near)
		return err(x, k, "unknown key \"%s\" in %s (did you mean \"%s\"?)", key, where, near);
	return err(x, k, "unknown key \"%s\" in %s", key, where);
}

static int parse_ref(rctx *x, sl_relationship *r, struct fy_node *n, size_t *nref)
{
	void *it = NULL;
	struct fy_node_pair *p;
	const sl_table *t = NULL;
	struct fy_node *cols = NULL;
	bool one = false;
	if (!n || !fy_node_is_mapping(n))
		return err(x, n, "\"references\" must be a mapping { table: T, columns: [C] }");
	while ((p = fy_node_mapping_iterate(n, &it)) != NULL) {
		struct fy_node *k = fy_node_pair_key(p), *v = fy_node_pair_value(p);
		const char *key = fy_node_get_scalar0(k);
		int rc = 0;
		if (!key)
			return err(x, k, "keys must be strings");
		if (!strcmp(key, "table"))
			rc = get_table(x, v, &t, &r->ref_table);
		else if (!strcmp(key, "columns") || !strcmp(key, "column")) {
			cols = v;
			one = !strcmp(key, "column");
		} else
			rc = unknown(x, k, key, ref_keys, "\"references\"");
		if (rc)
			return rc;
	}
	if (!t)
		return err(x, n, "\"references\" needs \"table\"");
	if (!cols)
		return err(x, n, "\"references\" needs \"columns\"");
	return get_columns(x, cols, one, t, &r->ref_columns, nref);
}

static int parse_one(rctx *x, sl_relationship *r, struct fy_node *n)
{
	void *it = NULL;
	struct fy_node_pair *p;
	const sl_table *t = NULL;
	struct fy_node *cols = NULL, *refn = NULL;
	bool one = false;
	size_t nref = 0;
	char pos[300];
	if (!fy_node_is_mapping(n))
		return err(
			x, n,
			"each relationship is a mapping { table, columns, references: { table, columns } }");
	r->declared = true;
	r->pos = sl_arena_strdup(x->a, sl_config_where(x->cfg, n, pos, sizeof(pos)));
	while ((p = fy_node_mapping_iterate(n, &it)) != NULL) {
		struct fy_node *k = fy_node_pair_key(p), *v = fy_node_pair_value(p);
		const char *key = fy_node_get_scalar0(k);
		int rc = 0;
		if (!key)
			return err(x, k, "keys must be strings");
		if (!strcmp(key, "table"))
			rc = get_table(x, v, &t, &r->table);
		else if (!strcmp(key, "columns") || !strcmp(key, "column")) {
			cols = v;
			one = !strcmp(key, "column");
		} else if (!strcmp(key, "references"))
			refn = v;
		else if (!strcmp(key, "where"))
			rc = sl_config_string(&r->where, NULL, x->cfg, v, "snapshot.relationships.where");
		else if (!strcmp(key, "name"))
			rc = sl_config_string(&r->name, NULL, x->cfg, v, "snapshot.relationships.name");
		else
			rc = unknown(x, k, key, rel_keys, "a relationship");
		if (rc)
			return rc;
	}
	if (!t)
		return err(x, n, "a relationship needs \"table\"");
	if (!cols)
		return err(x, n, "a relationship needs \"columns\"");
	if (!refn)
		return err(x, n, "a relationship needs \"references\"");
	int rc = get_columns(x, cols, one, t, &r->columns, &r->ncolumns);
	if (!rc)
		rc = parse_ref(x, r, refn, &nref);
	if (!rc && nref != r->ncolumns)
		rc = err(x, refn, "%zu column%s reference%s %zu", r->ncolumns, r->ncolumns == 1 ? "" : "s",
			 r->ncolumns == 1 ? "s" : "", nref);
	return rc;
}

/* True when item names a table (its own or the referenced one) that s does not hold. */
static bool names_absent_table(const sl_schema *s, struct fy_node *item)
{
	struct fy_node *t =
		fy_node_is_mapping(item) ? fy_node_mapping_lookup_by_string(item, "table", FY_NT) : NULL;
	struct fy_node *ref =
		fy_node_is_mapping(item) ? fy_node_mapping_lookup_by_string(item, "references", FY_NT) : NULL;
	struct fy_node *rt =
		ref && fy_node_is_mapping(ref) ? fy_node_mapping_lookup_by_string(ref, "table", FY_NT) : NULL;
	const char *a = t ? fy_node_get_scalar0(t) : NULL, *b = rt ? fy_node_get_scalar0(rt) : NULL;
	return (a && !sl_schema_find_table(s, NULL, a)) || (b && !sl_schema_find_table(s, NULL, b));
}

int sl_relationships_parse(sl_relationship **out, size_t *n, sl_config *cfg, struct fy_node *list,
			   const sl_schema *s, bool partial, sl_arena *a)
{
	rctx x = { .cfg = cfg, .s = s, .a = a };
	size_t cap = 0;
	void *it = NULL;
	struct fy_node *item;
	*out = NULL;
	*n = 0;
	if (!list)
		return 0;
	if (!fy_node_is_sequence(list))
		return err(&x, list, "must be a list of relationships");
	while ((item = fy_node_sequence_iterate(list, &it)) != NULL) {
		if (partial && names_absent_table(s, item))
			continue; /* a table left out of the copy */
		sl_relationship *r = sl_arena_push(a, out, n, &cap, sizeof(*r));
		if (!r)
			return sl_error_nomem();
		int rc = parse_one(&x, r, item);
		if (rc)
			return rc;
	}
	return 0;
}

/* "table(a, b) -> ref(x, y)" */
static const char *describe(sl_arena *a, const sl_relationship *r)
{
	sl_buf b = SL_BUF_INIT;
	int rc = sl_buf_printf(&b, "%s(", r->table);
	for (size_t i = 0; !rc && i < r->ncolumns; i++)
		rc = sl_buf_printf(&b, "%s%s", i ? ", " : "", r->columns[i]);
	if (!rc)
		rc = sl_buf_printf(&b, ") -> %s(", r->ref_table);
	for (size_t i = 0; !rc && i < r->ncolumns; i++)
		rc = sl_buf_printf(&b, "%s%s", i ? ", " : "", r->ref_columns[i]);
	if (!rc)
		rc = sl_buf_putc(&b, ')');
	const char *res = rc ? NULL : sl_arena_strdup(a, b.ptr);
	sl_buf_free(&b);
	return res;
}

int sl_relationships_all(sl_relationship **out, size_t *n, const sl_schema *s,
			 const sl_relationship *declared, size_t ndeclared, sl_arena *a)
{
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < s->ntables; i++) {
		const sl_table *t = &s->tables[i];
		for (size_t j = 0; j < t->nfkeys; j++) {
			const sl_fkey *fk = &t->fkeys[j];
			if (!sl_schema_find_table(s, NULL, fk->ref_table))
				continue;
			sl_relationship *r = sl_arena_push(a, out, n, &cap, sizeof(*r));
			if (!r)
				return sl_error_nomem();
			r->table = t->name;
			r->columns = fk->columns;
			r->ncolumns = fk->ncolumns;
			r->ref_table = fk->ref_table;
			r->ref_columns = fk->ref_columns;
			r->name = fk->name ? fk->name : describe(a, r);
			if (!r->name)
				return sl_error_nomem();
		}
	}
	for (size_t i = 0; i < ndeclared; i++) {
		sl_relationship *r = sl_arena_push(a, out, n, &cap, sizeof(*r));
		if (!r)
			return sl_error_nomem();
		*r = declared[i];
		if (!r->name && !(r->name = describe(a, r)))
			return sl_error_nomem();
	}
	return 0;
}
