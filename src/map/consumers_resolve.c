/*
 * consumers_resolve.c - the names of sluice.yaml's consumers and domains
 * checked against a schema model, and the touches of consumers' queries
 * derived by the engine (sl_conn_statement_columns). Names match exactly,
 * else without regard to case (the model's spelling is kept); a name that
 * matches nothing is an error at its file:line:column with the nearest
 * existing name suggested.
 */
#include "sluice/consumers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "map/map_int.h"
#include "sluice/error.h"

/* The model's spelling of a table or view name, or NULL. */
static const char *relation(const sl_schema *s, const char *name, bool *is_view)
{
	*is_view = false;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < s->ntables; i++)
			if (pass ? strcasecmp(s->tables[i].name, name) == 0
				 : strcmp(s->tables[i].name, name) == 0)
				return s->tables[i].name;
		for (size_t i = 0; i < s->nviews; i++)
			if (pass ? strcasecmp(s->views[i].name, name) == 0
				 : strcmp(s->views[i].name, name) == 0) {
				*is_view = true;
				return s->views[i].name;
			}
	}
	return NULL;
}

static const char *column_of(const sl_table *t, const char *name)
{
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < t->ncolumns; i++)
			if (pass ? strcasecmp(t->columns[i].name, name) == 0
				 : strcmp(t->columns[i].name, name) == 0)
				return t->columns[i].name;
	return NULL;
}

/* The nearest table or view name to name, or NULL. */
static const char *suggest_relation(const sl_schema *s, const char *name)
{
	const char **names = calloc(s->ntables + s->nviews + 1, sizeof(*names));
	const char *best = NULL;
	if (!names)
		return NULL;
	for (size_t i = 0; i < s->ntables; i++)
		names[i] = s->tables[i].name;
	for (size_t i = 0; i < s->nviews; i++)
		names[s->ntables + i] = s->views[i].name;
	best = sl_nearest_name(name, names, s->ntables + s->nviews);
	free(names);
	return best;
}

static const char *suggest_column(const sl_table *t, const char *name)
{
	const char **names = calloc(t->ncolumns + 1, sizeof(*names));
	const char *best = NULL;
	if (!names)
		return NULL;
	for (size_t i = 0; i < t->ncolumns; i++)
		names[i] = t->columns[i].name;
	best = sl_nearest_name(name, names, t->ncolumns);
	free(names);
	return best;
}

static int missing(const sl_consumers *cs, size_t line, size_t col, const char *who, const char *what,
		   const char *name, const char *best, const sl_schema *s)
{
	const char *path = cs->config ? cs->config->path : "sluice.yaml";
	char hint[300] = "";
	if (best)
		snprintf(hint, sizeof(hint), " (did you mean \"%s\"?)", best);
	else if (s)
		snprintf(hint, sizeof(hint), " in %s", s->database ? s->database : "the database");
	return sl_error_set(SL_EINVALID, "%s:%zu:%zu: %s: no %s \"%s\"%s", path, line, col, who, what, name,
			    hint);
}

static int resolve_touch(sl_consumers *cs, const sl_consumer *c, sl_touch *t, const sl_schema *s)
{
	char who[300];
	bool is_view;
	const char *rel = relation(s, t->table, &is_view);
	snprintf(who, sizeof(who), "consumer \"%s\"", c->name);
	if (!rel)
		return missing(cs, t->line, t->col, who, "table or view", t->table,
			       suggest_relation(s, t->table), s);
	t->table = rel;
	if (!t->column || is_view)
		return 0;
	const sl_table *tab = sl_schema_find_table(s, NULL, rel);
	const char *col = column_of(tab, t->column);
	if (!col) {
		char what[300];
		snprintf(what, sizeof(what), "column of \"%s\" named", rel);
		return missing(cs, t->line, t->col, who, what, t->column, suggest_column(tab, t->column),
			       NULL);
	}
	t->column = col;
	return 0;
}

typedef struct derive_ctx {
	sl_consumers *cs;
	sl_consumer *c;
	const sl_schema *s;
	int query;
	size_t line, col;
} derive_ctx;

static int on_touch(void *ud, const char *schema, const char *table, const char *column, unsigned access)
{
	derive_ctx *x = ud;
	bool is_view;
	const char *rel = relation(x->s, table, &is_view);
	const sl_table *t = rel && !is_view ? sl_schema_find_table(x->s, NULL, rel) : NULL;
	const char *col = column && t ? column_of(t, column) : NULL;
	(void)schema;
	return sl_consumer_add_touch(x->cs, x->c, rel ? rel : table, col ? col : column, access, x->query,
				     x->line, x->col);
}

static void query_pos(const sl_consumers *cs, const sl_consumer_query *q, long offset, size_t *line,
		      size_t *col)
{
	char where[512];
	const char *w =
		offset >= 0 && cs->config
			? sl_config_where_offset(cs->config, q->node, (size_t)offset, where, sizeof(where))
		: cs->config ? sl_config_where(cs->config, q->node, where, sizeof(where))
			     : "";
	const char *p = strrchr(w, ':'), *l = p;
	*line = *col = 0;
	while (l && l > w && l[-1] != ':')
		l--;
	if (!p || !l || l == w)
		return;
	*line = strtoul(l, NULL, 10);
	*col = strtoul(p + 1, NULL, 10);
}

/*
 * Derives each query anew. A query that no longer derives keeps the touches
 * it had (from an earlier schema): what it used is still what it needs, so
 * a later change to those columns still reaches it.
 */
int sl_consumer_derive(sl_consumers *cs, sl_consumer *c, sl_conn *conn, const sl_schema *s, size_t *nfailed)
{
	derive_ctx x = { .cs = cs, .c = c, .s = s };
	sl_touch *old = NULL;
	int rc = 0;
	if (nfailed)
		*nfailed = 0;
	for (size_t i = 0; !rc && i < c->nqueries; i++) {
		sl_consumer_query *q = &c->queries[i];
		size_t nold = 0, w = 0;
		long off = -1;
		free(old);
		if (!(old = calloc(c->ntouches + 1, sizeof(*old))))
			return sl_error_nomem();
		/* set this query's touches aside */
		for (size_t k = 0; k < c->ntouches; k++) {
			if (c->touches[k].query == (int)i)
				old[nold++] = c->touches[k];
			else
				c->touches[w++] = c->touches[k];
		}
		c->ntouches = w;
		x.query = (int)i;
		query_pos(cs, q, -1, &x.line, &x.col);
		q->error = NULL;
		q->error_offset = -1;
		rc = sl_conn_statement_columns(conn, q->sql, s, on_touch, &x, &off);
		if (rc != SL_EINVALID)
			continue;
		c->ntouches = w; /* what it reported before failing does not count; what it had does */
		for (size_t k = 0; k < nold; k++) {
			sl_touch *t = sl_arena_push(cs->arena, &c->touches, &c->ntouches, &c->cap_touches,
						    sizeof(*t));
			if (!t) {
				free(old);
				return sl_error_nomem();
			}
			*t = old[k];
		}
		q->error_offset = off;
		if (!(q->error = sl_arena_strdup(cs->arena, sl_error_last()->message))) {
			free(old);
			return sl_error_nomem();
		}
		sl_error_clear();
		if (nfailed)
			(*nfailed)++;
		rc = 0;
	}
	free(old);
	return rc;
}

int sl_consumers_resolve(sl_consumers *cs, sl_conn *conn, const sl_schema *s)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < cs->ndomains; i++) {
		sl_domain *d = &cs->domains[i];
		char who[300];
		snprintf(who, sizeof(who), "domain \"%s\"", d->name);
		for (size_t j = 0; !rc && j < d->ntables; j++) {
			bool is_view;
			const char *rel = relation(s, d->tables[j].name, &is_view);
			if (rel && !is_view)
				d->tables[j].name = rel;
			else if (rel)
				rc = sl_error_set(SL_EINVALID,
						  "%s:%zu:%zu: %s: \"%s\" is a view; a domain groups tables",
						  cs->config ? cs->config->path : "sluice.yaml",
						  d->tables[j].line, d->tables[j].col, who, rel);
			else
				rc = missing(cs, d->tables[j].line, d->tables[j].col, who, "table",
					     d->tables[j].name, suggest_relation(s, d->tables[j].name), s);
		}
	}
	for (size_t i = 0; !rc && i < cs->n; i++) {
		sl_consumer *c = &cs->items[i];
		for (size_t j = 0; !rc && j < c->ndeclared; j++)
			rc = resolve_touch(cs, c, &c->touches[j], s);
		if (rc || !c->nqueries)
			continue;
		if (!conn) {
			rc = sl_error_set(SL_EINVALID,
					  "consumer \"%s\": its query needs a database to be read", c->name);
			break;
		}
		if ((rc = sl_consumer_derive(cs, c, conn, s, NULL)))
			break;
		for (size_t k = 0; !rc && k < c->nqueries; k++) {
			const sl_consumer_query *q = &c->queries[k];
			size_t line, col;
			if (!q->error)
				continue;
			query_pos(cs, q, q->error_offset, &line, &col);
			rc = sl_error_set(SL_EINVALID, "%s:%zu:%zu: consumer \"%s\": query: %s",
					  cs->config ? cs->config->path : "sluice.yaml", line, col, c->name,
					  q->error);
		}
	}
	return rc;
}
