/*
 * columns_postgres.c - what a PostgreSQL statement reads and writes, from
 * libpg_query's parse tree (pg_query_parse, read with jansson) resolved
 * against the schema model: the PostgreSQL driver's statement_columns hook.
 *
 * Names resolve as the server resolves them: a qualified reference through
 * the FROM item of that name or alias, an unqualified one through the
 * innermost scope whose tables have that column, then the enclosing scopes
 * (correlated subqueries). Subqueries, CTEs and function calls in FROM are
 * walked for their own reads; their output columns are not tracked. A
 * reference that resolves nowhere is an error with its position, as the
 * server would give one, unless a FROM item of unknown columns (subquery,
 * function, CTE) could hold it.
 */
#include "schema/introspect.h"

#include <jansson.h>
#include <stdarg.h>
#include <pg_query.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"
#include "sluice/util.h"

#define MAX_RELS 64

typedef struct rel {
	const char *name; /* alias, else the relation's name */
	const char *relname;
	const sl_table *table; /* NULL for views, subqueries, functions, CTEs */
	const sl_view *view;
	bool opaque;  /* subquery, function or CTE: its columns are unknown */
	bool touched; /* something of it was reported */
} rel;

typedef struct scope {
	rel rels[MAX_RELS];
	size_t n;
	json_t *targets; /* the SELECT list: its aliases name ORDER BY / GROUP BY items */
	const struct scope *parent;
} scope;

typedef struct walker {
	const sl_schema *model;
	sl_touch_fn fn;
	void *ud;
	long *error_offset;
	json_t *ctes; /* object: CTE names in force */
} walker;

static int walk_stmt(walker *w, json_t *node, const scope *parent);
static int walk_expr(walker *w, json_t *node, const scope *sc);

static long loc_of(json_t *node)
{
	json_t *l = json_object_get(node, "location");
	return json_is_integer(l) ? (long)json_integer_value(l) : -1;
}

static int fail_at(walker *w, json_t *node, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail_at(walker *w, json_t *node, const char *fmt, ...)
{
	va_list ap;
	*w->error_offset = loc_of(node);
	va_start(ap, fmt);
	int rc = sl_error_setv(SL_EINVALID, fmt, ap);
	va_end(ap);
	return rc;
}

static int touch(walker *w, rel *r, const char *column, unsigned access)
{
	r->touched = true;
	const char *schema = r->table ? r->table->schema : r->view ? r->view->schema : NULL;
	return w->fn(w->ud, schema, r->relname, column, access);
}

static const sl_view *find_view(const sl_schema *s, const char *schema, const char *name)
{
	for (size_t i = 0; s && i < s->nviews; i++)
		if (strcmp(s->views[i].name, name) == 0 &&
		    (!schema || !s->views[i].schema || strcmp(s->views[i].schema, schema) == 0))
			return &s->views[i];
	return NULL;
}

/* Whether the model holds schema at all (a reference into another schema is not checked). */
static bool known_schema(const sl_schema *s, const char *schema)
{
	if (!schema)
		return true;
	for (size_t i = 0; i < s->ntables; i++)
		if (s->tables[i].schema && strcmp(s->tables[i].schema, schema) == 0)
			return true;
	for (size_t i = 0; i < s->nviews; i++)
		if (s->views[i].schema && strcmp(s->views[i].schema, schema) == 0)
			return true;
	return false;
}

static int add_rel(walker *w, scope *sc, json_t *node, rel r)
{
	if (sc->n >= MAX_RELS)
		return fail_at(w, node, "more than %d tables in one FROM clause", MAX_RELS);
	sc->rels[sc->n++] = r;
	return 0;
}

/* A RangeVar in FROM (or the target of INSERT/UPDATE/DELETE): a table, view or CTE. */
static int range_var(walker *w, scope *sc, json_t *rv, rel *out)
{
	const char *schema = sl_json_get_str(rv, "schemaname"), *name = sl_json_get_str(rv, "relname");
	const char *alias = sl_json_get_str(json_object_get(rv, "alias"), "aliasname");
	rel r = { .name = alias ? alias : name, .relname = name };
	if (!name)
		return fail_at(w, rv, "a table reference without a name");
	if (!schema && json_object_get(w->ctes, name)) {
		r.opaque = true;
	} else if ((r.table = sl_schema_find_table(w->model, schema, name))) {
		r.relname = r.table->name;
	} else if ((r.view = find_view(w->model, schema, name))) {
		r.relname = r.view->name;
	} else if (known_schema(w->model, schema)) {
		return fail_at(w, rv, "relation \"%s\" does not exist", name);
	} else {
		r.opaque = true; /* another schema than the one mapped: not followed */
	}
	if (out)
		*out = r;
	return sc ? add_rel(w, sc, rv, r) : 0;
}

/* Adds the FROM items of list to sc; ON conditions are walked once sc is complete. */
static int from_item(walker *w, scope *sc, json_t *item, const scope *parent, json_t *quals)
{
	json_t *v;
	int rc = 0;
	if ((v = json_object_get(item, "RangeVar")))
		return range_var(w, sc, v, NULL);
	if ((v = json_object_get(item, "JoinExpr"))) {
		if ((rc = from_item(w, sc, json_object_get(v, "larg"), parent, quals)) ||
		    (rc = from_item(w, sc, json_object_get(v, "rarg"), parent, quals)))
			return rc;
		if (json_object_get(v, "quals"))
			json_array_append(quals, json_object_get(v, "quals"));
		return 0;
	}
	if ((v = json_object_get(item, "RangeSubselect"))) {
		/* a LATERAL subquery sees the items before it; others only the enclosing scopes */
		rc = walk_stmt(w, json_object_get(v, "subquery"),
			       json_is_true(json_object_get(v, "lateral")) ? sc : parent);
		if (!rc)
			rc = add_rel(w, sc, item,
				     (rel){ .name = sl_json_get_str(json_object_get(v, "alias"), "aliasname"),
					    .opaque = true });
		return rc;
	}
	if ((v = json_object_get(item, "RangeFunction"))) {
		rc = walk_expr(w, json_object_get(v, "functions"), sc);
		if (!rc)
			rc = add_rel(w, sc, item,
				     (rel){ .name = sl_json_get_str(json_object_get(v, "alias"), "aliasname"),
					    .opaque = true });
		return rc;
	}
	return walk_expr(w, item, sc);
}

static int from_list(walker *w, scope *sc, json_t *list, const scope *parent)
{
	json_t *quals = json_array(), *item;
	size_t i;
	int rc = quals ? 0 : sl_error_nomem();
	json_array_foreach(list, i, item) if (!rc) rc = from_item(w, sc, item, parent, quals);
	json_array_foreach(quals, i, item) if (!rc) rc = walk_expr(w, item, sc);
	json_decref(quals);
	return rc;
}

/* Scopes are const to the walk of an expression, but a rel records that it was touched. */
static rel *rel_named(const scope *sc, const char *name)
{
	for (; sc; sc = sc->parent)
		for (size_t i = 0; i < sc->n; i++)
			if (sc->rels[i].name && strcmp(sc->rels[i].name, name) == 0)
				return (rel *)&sc->rels[i];
	return NULL;
}

/* A FROM item none of whose columns is named (count(*), EXISTS (SELECT 1 ...)) is read as a whole. */
static int untouched(walker *w, scope *sc)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < sc->n; i++)
		if (!sc->rels[i].opaque && !sc->rels[i].touched)
			rc = touch(w, &sc->rels[i], NULL, SL_ACCESS_READ);
	return rc;
}

static bool is_target_alias(const scope *sc, const char *name)
{
	json_t *t;
	size_t i;
	json_array_foreach(sc->targets, i, t)
	{
		const char *a = sl_json_get_str(json_object_get(t, "ResTarget"), "name");
		if (a && strcmp(a, name) == 0)
			return true;
	}
	return false;
}

/* An unqualified column: the innermost scope with a table that has it. */
static int unqualified(walker *w, const scope *sc, json_t *ref, const char *col)
{
	bool maybe_opaque = false;
	for (const scope *s = sc; s; s = s->parent) {
		rel *view = NULL;
		size_t nviews = 0;
		for (size_t i = 0; i < s->n; i++) {
			rel *r = (rel *)&s->rels[i];
			if (r->table && sl_table_find_column(r->table, col))
				return touch(w, r, col, SL_ACCESS_READ);
			if (r->view) {
				view = r;
				nviews++;
			}
			maybe_opaque |= r->opaque;
		}
		if (nviews == 1 && !maybe_opaque)
			return touch(w, view, col, SL_ACCESS_READ);
		maybe_opaque |= nviews > 0;
		if (is_target_alias(s, col))
			return 0;
	}
	if (maybe_opaque)
		return 0;
	return fail_at(w, ref, "column \"%s\" does not exist", col);
}

static int column_ref(walker *w, json_t *ref, const scope *sc)
{
	json_t *fields = json_object_get(ref, "fields");
	size_t n = json_array_size(fields);
	const char *names[3] = { NULL, NULL, NULL };
	bool star = n && json_object_get(json_array_get(fields, n - 1), "A_Star");
	if (n == 0 || n > 4)
		return 0;
	for (size_t i = 0; i + (star ? 1 : 0) < n && i < 3; i++)
		names[i] = sl_json_get_str(json_object_get(json_array_get(fields, i), "String"), "sval");
	size_t nn = n - (star ? 1 : 0);
	if (nn == 0) { /* SELECT *: every FROM item of this scope, as a whole */
		int rc = 0;
		for (size_t i = 0; !rc && i < sc->n; i++)
			if (!sc->rels[i].opaque)
				rc = touch(w, (rel *)&sc->rels[i], NULL, SL_ACCESS_READ);
		return rc;
	}
	if (nn == 1 && !star)
		return names[0] ? unqualified(w, sc, ref, names[0]) : 0;
	/* qualified: [schema.]table.column or table.* ; the qualifier is the one before the column */
	const char *qual = star ? names[nn - 1] : names[nn - 2], *col = star ? NULL : names[nn - 1];
	rel *r = qual ? rel_named(sc, qual) : NULL;
	if (!qual)
		return 0;
	if (!r)
		return fail_at(w, ref, "missing FROM-clause entry for table \"%s\"", qual);
	if (r->opaque)
		return 0;
	if (col && r->table && !sl_table_find_column(r->table, col))
		return fail_at(w, ref, "column %s.%s does not exist", qual, col);
	return touch(w, r, col, SL_ACCESS_READ);
}

/* Every expression node below node: column references resolve in sc, subqueries get their own scope. */
static int walk_expr(walker *w, json_t *node, const scope *sc)
{
	const char *key;
	json_t *v;
	size_t i;
	int rc = 0;
	if (json_is_array(node)) {
		json_array_foreach(node, i, v) if (!rc) rc = walk_expr(w, v, sc);
		return rc;
	}
	if (!json_is_object(node))
		return 0;
	if ((v = json_object_get(node, "ColumnRef")))
		return column_ref(w, v, sc);
	if ((v = json_object_get(node, "SubLink"))) {
		if ((rc = walk_expr(w, json_object_get(v, "testexpr"), sc)))
			return rc;
		return walk_stmt(w, json_object_get(v, "subselect"), sc);
	}
	if (json_object_get(node, "SelectStmt"))
		return walk_stmt(w, node, sc);
	json_object_foreach(node, key, v) if (!rc && (json_is_object(v) || json_is_array(v))) rc =
		walk_expr(w, v, sc);
	return rc;
}

/* WITH: each CTE's query is walked; its name then stands for an opaque FROM item. */
static int with_clause(walker *w, json_t *with, const scope *parent)
{
	json_t *cte;
	size_t i;
	int rc = 0;
	json_array_foreach(json_object_get(with, "ctes"), i, cte)
	{
		json_t *c = json_object_get(cte, "CommonTableExpr");
		const char *name = sl_json_get_str(c, "ctename");
		if (rc || !c)
			continue;
		if (name)
			json_object_set_new(w->ctes, name, json_true());
		rc = walk_stmt(w, json_object_get(c, "ctequery"), parent);
	}
	return rc;
}

static int select_stmt(walker *w, json_t *s, const scope *parent)
{
	static const char *const clauses[] = { "targetList",     "whereClause", "groupClause",
					       "havingClause",   "sortClause",  "windowClause",
					       "distinctClause", "limitOffset", "limitCount",
					       "valuesLists",    NULL };
	scope *sc = calloc(1, sizeof(*sc));
	int rc = sc ? 0 : sl_error_nomem();
	if (!rc && json_object_get(s, "withClause"))
		rc = with_clause(w, json_object_get(s, "withClause"), parent);
	if (!rc && json_object_get(s, "larg")) {
		rc = walk_stmt(w, json_object_get(s, "larg"), parent);
		if (!rc)
			rc = walk_stmt(w, json_object_get(s, "rarg"), parent);
		if (!rc)
			rc = walk_expr(w, json_object_get(s, "sortClause"), parent);
		goto done;
	}
	if (rc)
		goto done;
	sc->parent = parent;
	sc->targets = json_object_get(s, "targetList");
	rc = from_list(w, sc, json_object_get(s, "fromClause"), parent);
	for (size_t i = 0; !rc && clauses[i]; i++)
		rc = walk_expr(w, json_object_get(s, clauses[i]), sc);
	if (!rc)
		rc = untouched(w, sc);
done:
	free(sc);
	return rc;
}

/* The target of INSERT, UPDATE or DELETE: a table or view of the model. */
static int target(walker *w, scope *sc, json_t *stmt, rel *r)
{
	json_t *rv = json_object_get(stmt, "relation");
	int rc = range_var(w, sc, rv, r);
	if (!rc && r->opaque)
		rc = fail_at(w, rv, "\"%s\" is not a table of the mapped schema", r->relname);
	return rc;
}

static int written_column(walker *w, rel *r, json_t *res)
{
	const char *col = sl_json_get_str(res, "name");
	if (!col)
		return 0;
	if (r->table && !sl_table_find_column(r->table, col))
		return fail_at(w, res, "column \"%s\" of relation \"%s\" does not exist", col, r->relname);
	return touch(w, r, col, SL_ACCESS_WRITE);
}

static int dml_stmt(walker *w, json_t *s, const char *kind, const scope *parent)
{
	scope *sc = calloc(1, sizeof(*sc));
	json_t *t;
	size_t i;
	rel r;
	int rc = sc ? 0 : sl_error_nomem();
	if (!rc && json_object_get(s, "withClause"))
		rc = with_clause(w, json_object_get(s, "withClause"), parent);
	if (rc)
		goto done;
	sc->parent = parent;
	if ((rc = target(w, sc, s, &r)))
		goto done;
	if (strcmp(kind, "InsertStmt") == 0) {
		/* the SELECT or VALUES of an INSERT does not see the target */
		if ((rc = touch(w, &r, NULL, SL_ACCESS_WRITE)) ||
		    (rc = walk_stmt(w, json_object_get(s, "selectStmt"), parent)))
			goto done;
		json_array_foreach(json_object_get(s, "cols"), i, t) if (!rc) rc =
			written_column(w, &r, json_object_get(t, "ResTarget"));
		if (!rc)
			rc = walk_expr(w, json_object_get(s, "onConflictClause"), sc);
	} else if (strcmp(kind, "UpdateStmt") == 0) {
		if ((rc = from_list(w, sc, json_object_get(s, "fromClause"), parent)))
			goto done;
		json_array_foreach(json_object_get(s, "targetList"), i, t)
		{
			json_t *res = json_object_get(t, "ResTarget");
			if (!rc)
				rc = written_column(w, &r, res);
			if (!rc)
				rc = walk_expr(w, json_object_get(res, "val"), sc);
		}
	} else {
		if ((rc = touch(w, &r, NULL, SL_ACCESS_WRITE)) ||
		    (rc = from_list(w, sc, json_object_get(s, "usingClause"), parent)))
			goto done;
	}
	if (!rc)
		rc = walk_expr(w, json_object_get(s, "whereClause"), sc);
	if (!rc)
		rc = walk_expr(w, json_object_get(s, "returningList"), sc);
	if (!rc)
		rc = untouched(w, sc);
done:
	free(sc);
	return rc;
}

static int walk_stmt(walker *w, json_t *node, const scope *parent)
{
	json_t *s;
	if (!node)
		return 0;
	if ((s = json_object_get(node, "SelectStmt")))
		return select_stmt(w, s, parent);
	static const char *const dml[] = { "InsertStmt", "UpdateStmt", "DeleteStmt" };
	for (size_t i = 0; i < 3; i++)
		if ((s = json_object_get(node, dml[i])))
			return dml_stmt(w, s, dml[i], parent);
	*w->error_offset = -1;
	return sl_error_set(SL_EINVALID, "not a query: only SELECT, INSERT, UPDATE and DELETE are read");
}

int sl_columns_postgres(sl_conn *c, const char *sql, const sl_schema *model, sl_touch_fn fn, void *ud,
			long *error_offset)
{
	PgQueryParseResult pr = pg_query_parse(sql);
	walker w = { .model = model, .fn = fn, .ud = ud, .error_offset = error_offset, .ctes = NULL };
	json_t *tree = NULL, *stmts;
	int rc = 0;

	(void)c;
	*error_offset = -1;
	if (pr.error) {
		*error_offset = pr.error->cursorpos > 0 ? pr.error->cursorpos - 1 : -1;
		rc = sl_error_set(SL_EINVALID, "%s", pr.error->message ? pr.error->message : "syntax error");
		goto done;
	}
	if (!model) {
		rc = sl_error_set(SL_EINVALID, "reading a PostgreSQL statement needs the schema model");
		goto done;
	}
	if (!(tree = json_loads(pr.parse_tree, 0, NULL)) || !(w.ctes = json_object())) {
		rc = sl_error_nomem();
		goto done;
	}
	stmts = json_object_get(tree, "stmts");
	if (json_array_size(stmts) != 1) {
		rc = sl_error_set(SL_EINVALID, json_array_size(stmts)
						       ? "more than one statement (write one query "
							 "per entry)"
						       : "no statement");
		goto done;
	}
	rc = walk_stmt(&w, json_object_get(json_array_get(stmts, 0), "stmt"), NULL);
done:
	json_decref(w.ctes);
	json_decref(tree);
	pg_query_free_parse_result(pr);
	return rc;
}
