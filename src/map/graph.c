/*
 * graph.c - building the data map (include/sluice/map.h): nodes from the
 * schema model, the consumers and domains and the migrations; edges between
 * them; criticality carried from consumers and domains to everything they
 * use; unowned objects.
 *
 * Nodes are collected first and edges recorded by node id; once the nodes
 * are sorted (kind, then name: the order every renderer and the JSON use),
 * edges are resolved by binary search over an id index, deduplicated and
 * sorted, so the same inputs always give the same map. An edge to an object
 * the model does not hold (a view reading another schema) is dropped.
 */
#include "sluice/map.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"

typedef struct pending_edge {
	const char *from, *to;
	sl_edge_kind kind;
} pending_edge;

typedef struct builder {
	sl_map *m;
	pending_edge *pe;
	size_t npe, cap_pe;
} builder;

static const char *const kind_names[] = { "table", "column",   "view",   "trigger",  "index",
					  "fkey",  "consumer", "domain", "migration" };
static const char *const edge_names[] = { "column_of", "indexes",  "key_from", "key_to", "reads",
					  "writes",    "fires_on", "groups",   "names" };

const char *sl_node_kind_name(sl_node_kind k)
{
	return k < SL_NODE__COUNT ? kind_names[k] : "?";
}

const char *sl_edge_kind_name(sl_edge_kind k)
{
	return k < SL_EDGE__COUNT ? edge_names[k] : "?";
}

static sl_map_node *add_node(builder *b, sl_node_kind kind, const char *name, const char *table)
{
	sl_map *m = b->m;
	sl_map_node *n = sl_arena_push(m->arena, &m->nodes, &m->n, &m->cap, sizeof(*n));
	if (!n)
		return NULL;
	n->kind = kind;
	n->name = sl_arena_strdup(m->arena, name);
	n->id = sl_arena_printf(m->arena, "%s:%s", kind_names[kind], name);
	n->table = table ? sl_arena_strdup(m->arena, table) : NULL;
	n->own_level = n->level = -1;
	n->rows = -1;
	return n->name && n->id && (!table || n->table) ? n : NULL;
}

static int edge(builder *b, sl_node_kind fk, const char *from, sl_node_kind tk, const char *to,
		sl_edge_kind kind)
{
	pending_edge *e = sl_arena_push(b->m->arena, &b->pe, &b->npe, &b->cap_pe, sizeof(*e));
	if (!e)
		return sl_error_nomem();
	e->from = sl_arena_printf(b->m->arena, "%s:%s", kind_names[fk], from);
	e->to = sl_arena_printf(b->m->arena, "%s:%s", kind_names[tk], to);
	e->kind = kind;
	return e->from && e->to ? 0 : sl_error_nomem();
}

static const char *col_id(builder *b, const char *table, const char *column)
{
	return sl_arena_printf(b->m->arena, "%s.%s", table, column);
}

static bool is_view(const sl_schema *s, const char *name)
{
	for (size_t i = 0; i < s->nviews; i++)
		if (strcmp(s->views[i].name, name) == 0)
			return true;
	return false;
}

/* An edge to a table or view, or to one of its columns (a view's columns are the view). */
static int use_edge(builder *b, const sl_schema *s, sl_node_kind fk, const char *from, const char *table,
		    const char *column, sl_edge_kind kind)
{
	if (is_view(s, table))
		return edge(b, fk, from, SL_NODE_VIEW, table, kind);
	if (!column)
		return edge(b, fk, from, SL_NODE_TABLE, table, kind);
	const char *id = col_id(b, table, column);
	return id ? edge(b, fk, from, SL_NODE_COLUMN, id, kind) : sl_error_nomem();
}

/* ---- the schema --------------------------------------------------------------------- */

static int fkey_name(builder *b, const sl_table *t, const sl_fkey *f, const char **out)
{
	sl_buf n = SL_BUF_INIT;
	int rc = 0;
	if (f->name && *f->name) {
		*out = sl_arena_printf(b->m->arena, "%s.%s", t->name, f->name);
		return *out ? 0 : sl_error_nomem();
	}
	rc = sl_buf_printf(&n, "%s.%s", t->name, t->name);
	for (size_t i = 0; !rc && i < f->ncolumns; i++)
		rc = sl_buf_printf(&n, "_%s", f->columns[i]);
	if (!rc)
		rc = sl_buf_puts(&n, "_fkey");
	if (!rc && !(*out = sl_arena_strdup(b->m->arena, sl_buf_cstr(&n))))
		rc = sl_error_nomem();
	sl_buf_free(&n);
	return rc;
}

static int add_fkey(builder *b, const sl_schema *s, const sl_table *t, const sl_fkey *f)
{
	const char *name;
	int rc = fkey_name(b, t, f, &name);
	sl_map_node *n = rc ? NULL : add_node(b, SL_NODE_FKEY, name, t->name);
	if (rc || !n)
		return rc ? rc : sl_error_nomem();
	n->detail = sl_arena_printf(b->m->arena, "-> %s", f->ref_table);
	for (size_t i = 0; !rc && i < f->ncolumns; i++)
		rc = edge(b, SL_NODE_FKEY, name, SL_NODE_COLUMN, col_id(b, t->name, f->columns[i]),
			  SL_EDGE_KEY_FROM);
	const sl_table *ref = sl_schema_find_table(s, f->ref_schema, f->ref_table);
	const char *const *rcols = f->ref_columns;
	size_t nr = f->ref_columns ? f->ncolumns : 0;
	if (!rcols && ref && ref->primary_key) {
		rcols = ref->primary_key->columns;
		nr = ref->primary_key->ncolumns;
	}
	for (size_t i = 0; !rc && i < nr; i++)
		rc = edge(b, SL_NODE_FKEY, name, SL_NODE_COLUMN, col_id(b, f->ref_table, rcols[i]),
			  SL_EDGE_KEY_TO);
	if (!rc && !nr)
		rc = edge(b, SL_NODE_FKEY, name, SL_NODE_TABLE, f->ref_table, SL_EDGE_KEY_TO);
	return rc;
}

static int add_table(builder *b, const sl_schema *s, const sl_table *t)
{
	sl_map_node *n = add_node(b, SL_NODE_TABLE, t->name, NULL);
	int rc = 0;
	if (!n)
		return sl_error_nomem();
	n->rows = t->row_count;
	n->detail = t->comment ? sl_arena_strdup(b->m->arena, t->comment) : NULL;
	for (size_t i = 0; !rc && i < t->ncolumns; i++) {
		const char *id = col_id(b, t->name, t->columns[i].name);
		sl_map_node *c = id ? add_node(b, SL_NODE_COLUMN, id, t->name) : NULL;
		sl_buf ty = SL_BUF_INIT;
		if (!c || (rc = sl_type_format(&ty, &t->columns[i].type)))
			return rc ? rc : sl_error_nomem();
		c->detail = sl_arena_strdup(b->m->arena, sl_buf_cstr(&ty));
		sl_buf_free(&ty);
		rc = edge(b, SL_NODE_COLUMN, id, SL_NODE_TABLE, t->name, SL_EDGE_COLUMN_OF);
	}
	for (size_t i = 0; !rc && i < t->nindexes; i++) {
		const sl_index *x = &t->indexes[i];
		if (x->primary || !x->name)
			continue;
		const char *name = sl_arena_printf(b->m->arena, "%s.%s", t->name, x->name);
		sl_map_node *in = name ? add_node(b, SL_NODE_INDEX, name, t->name) : NULL;
		if (!in)
			return sl_error_nomem();
		in->detail = x->unique ? "unique" : NULL;
		bool any = false;
		for (size_t j = 0; !rc && j < x->ncolumns; j++) {
			if (x->is_expression && x->is_expression[j])
				continue;
			any = true;
			rc = edge(b, SL_NODE_INDEX, name, SL_NODE_COLUMN, col_id(b, t->name, x->columns[j]),
				  SL_EDGE_INDEXES);
		}
		if (!rc && !any)
			rc = edge(b, SL_NODE_INDEX, name, SL_NODE_TABLE, t->name, SL_EDGE_INDEXES);
	}
	for (size_t i = 0; !rc && i < t->nfkeys; i++)
		rc = add_fkey(b, s, t, &t->fkeys[i]);
	return rc;
}

static int add_schema(builder *b, const sl_schema *s)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < s->ntables; i++)
		rc = add_table(b, s, &s->tables[i]);
	for (size_t i = 0; !rc && i < s->nviews; i++) {
		const sl_view *v = &s->views[i];
		sl_map_node *n = add_node(b, SL_NODE_VIEW, v->name, NULL);
		if (!n)
			return sl_error_nomem();
		n->detail = v->materialized ? "materialized" : NULL;
		for (size_t j = 0; !rc && j < v->nreads; j++)
			rc = use_edge(b, s, SL_NODE_VIEW, v->name, v->reads[j].table, v->reads[j].column,
				      SL_EDGE_READS);
	}
	for (size_t i = 0; !rc && i < s->ntriggers; i++) {
		const sl_trigger *t = &s->triggers[i];
		sl_map_node *n = add_node(b, SL_NODE_TRIGGER, t->name, t->table);
		if (!n)
			return sl_error_nomem();
		n->detail = sl_arena_printf(b->m->arena, "%s %s", t->timing ? t->timing : "",
					    t->events ? t->events : "");
		if (t->table)
			rc = edge(b, SL_NODE_TRIGGER, t->name, SL_NODE_TABLE, t->table, SL_EDGE_FIRES_ON);
	}
	return rc;
}

/* ---- consumers, domains, migrations ------------------------------------------------ */

static int add_consumers(builder *b, const sl_schema *s, const sl_consumers *cs)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < cs->n; i++) {
		const sl_consumer *c = &cs->items[i];
		sl_map_node *n = add_node(b, SL_NODE_CONSUMER, c->name, NULL);
		if (!n)
			return sl_error_nomem();
		n->detail = c->description;
		n->owner = c->owner;
		n->own_level = c->criticality;
		for (size_t j = 0; !rc && j < c->ntouches; j++) {
			const sl_touch *t = &c->touches[j];
			if (t->access & SL_ACCESS_READ)
				rc = use_edge(b, s, SL_NODE_CONSUMER, c->name, t->table, t->column,
					      SL_EDGE_READS);
			if (!rc && (t->access & SL_ACCESS_WRITE))
				rc = use_edge(b, s, SL_NODE_CONSUMER, c->name, t->table, t->column,
					      SL_EDGE_WRITES);
		}
	}
	for (size_t i = 0; !rc && i < cs->ndomains; i++) {
		const sl_domain *d = &cs->domains[i];
		sl_map_node *n = add_node(b, SL_NODE_DOMAIN, d->name, NULL);
		if (!n)
			return sl_error_nomem();
		n->detail = d->description;
		n->owner = d->owner;
		n->own_level = d->criticality;
		for (size_t j = 0; !rc && j < d->ntables; j++)
			rc = edge(b, SL_NODE_DOMAIN, d->name, SL_NODE_TABLE, d->tables[j].name,
				  SL_EDGE_GROUPS);
	}
	return rc;
}

typedef struct why_ctx {
	builder *b;
	const char **objects;
	sl_node_kind *kinds;
	size_t n, cap, nk, capk;
} why_ctx;

static int on_named(void *ud, size_t object, const sl_mig_status *s, const char *action, const sl_stmt *st)
{
	why_ctx *w = ud;
	(void)action;
	(void)st;
	return edge(w->b, SL_NODE_MIGRATION, s->id, w->kinds[object], w->objects[object], SL_EDGE_NAMES);
}

static int want(why_ctx *w, const char *name, sl_node_kind k)
{
	const char **o = sl_arena_push(w->b->m->arena, &w->objects, &w->n, &w->cap, sizeof(*o));
	sl_node_kind *kk = sl_arena_push(w->b->m->arena, &w->kinds, &w->nk, &w->capk, sizeof(*kk));
	if (!o || !kk)
		return sl_error_nomem();
	*o = name;
	*kk = k;
	return 0;
}

static int add_migrations(builder *b, const sl_migrate_status *st, sl_engine dialect)
{
	why_ctx w = { .b = b };
	size_t nnodes = b->m->n;
	int rc = 0;
	for (size_t i = 0; i < st->n; i++) {
		const sl_mig_status *x = &st->items[i];
		sl_map_node *n = add_node(b, SL_NODE_MIGRATION, x->id, NULL);
		if (!n)
			return sl_error_nomem();
		n->detail = x->file && x->file->title ? x->file->title : x->row ? x->row->title : NULL;
		n->owner = x->file  ? sl_migration_meta_get(x->file, "author")
			   : x->row ? x->row->author
				    : NULL;
	}
	/* the objects `why` can find: tables, columns (table.column), views, triggers, indexes */
	for (size_t i = 0; !rc && i < nnodes; i++) {
		const sl_map_node *n = &b->m->nodes[i];
		if (n->kind == SL_NODE_TABLE || n->kind == SL_NODE_COLUMN || n->kind == SL_NODE_VIEW ||
		    n->kind == SL_NODE_TRIGGER)
			rc = want(&w, n->name, n->kind);
		else if (n->kind == SL_NODE_INDEX)
			rc = want(&w, n->name + strlen(n->table) + 1, n->kind);
	}
	if (!rc)
		rc = sl_migrate_why_many(st, dialect, w.objects, w.n, on_named, &w);
	/* an index is named by its own name; its node is table.index */
	for (size_t i = 0; !rc && i < b->npe; i++) {
		pending_edge *e = &b->pe[i];
		if (e->kind != SL_EDGE_NAMES || strncmp(e->to, "index:", 6) != 0)
			continue;
		for (size_t j = 0; j < nnodes; j++) {
			const sl_map_node *n = &b->m->nodes[j];
			if (n->kind == SL_NODE_INDEX &&
			    strcmp(n->name + strlen(n->table) + 1, e->to + 6) == 0) {
				e->to = n->id;
				break;
			}
		}
	}
	return rc;
}

/* ---- resolving, sorting, criticality ---------------------------------------------- */

static int cmp_node(const void *a, const void *b)
{
	const sl_map_node *x = a, *y = b;
	if (x->kind != y->kind)
		return (int)x->kind - (int)y->kind;
	return strcmp(x->name, y->name);
}

static int cmp_edge(const void *a, const void *b)
{
	const sl_map_edge *x = a, *y = b;
	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	if (x->kind != y->kind)
		return (int)x->kind - (int)y->kind;
	return x->to < y->to ? -1 : x->to > y->to;
}

/* Nodes are sorted by kind, then name, and an id is "kind:name": a binary search on both. */
long sl_map_find(const sl_map *m, const char *id)
{
	const char *colon = id ? strchr(id, ':') : NULL;
	sl_map_node key = { .kind = SL_NODE__COUNT };
	if (!colon)
		return -1;
	for (size_t k = 0; k < SL_NODE__COUNT; k++)
		if (strlen(kind_names[k]) == (size_t)(colon - id) &&
		    strncmp(kind_names[k], id, (size_t)(colon - id)) == 0)
			key.kind = (sl_node_kind)k;
	if (key.kind == SL_NODE__COUNT)
		return -1;
	key.name = colon + 1;
	size_t lo = 0, hi = m->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = cmp_node(&m->nodes[mid], &key);
		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static int link(sl_map *m, size_t e)
{
	sl_map_node *f = &m->nodes[m->edges[e].from], *t = &m->nodes[m->edges[e].to];
	size_t *a = sl_arena_push(m->arena, &f->out, &f->nout, &f->cap_out, sizeof(size_t));
	size_t *c = sl_arena_push(m->arena, &t->in, &t->nin, &t->cap_in, sizeof(size_t));
	if (!a || !c)
		return sl_error_nomem();
	*a = e;
	*c = e;
	return 0;
}

static int resolve_edges(builder *b)
{
	sl_map *m = b->m;
	int rc = 0;
	for (size_t i = 0; !rc && i < b->npe; i++) {
		long f = sl_map_find(m, b->pe[i].from), t = sl_map_find(m, b->pe[i].to);
		if (f < 0 || t < 0 || f == t)
			continue;
		sl_map_edge *e = sl_arena_push(m->arena, &m->edges, &m->nedges, &m->cap_edges, sizeof(*e));
		if (!e)
			return sl_error_nomem();
		*e = (sl_map_edge){ .from = (size_t)f, .to = (size_t)t, .kind = b->pe[i].kind };
	}
	qsort(m->edges, m->nedges, sizeof(*m->edges), cmp_edge);
	size_t w = 0;
	for (size_t i = 0; i < m->nedges; i++)
		if (!w || cmp_edge(&m->edges[w - 1], &m->edges[i]) != 0)
			m->edges[w++] = m->edges[i];
	m->nedges = w;
	for (size_t i = 0; !rc && i < m->nedges; i++)
		rc = link(m, i);
	return rc;
}

static void mark(sl_map_node *n, int level, bool *used, size_t i)
{
	if (level >= 0 && (n->level < 0 || level < n->level))
		n->level = level;
	if (used)
		used[i] = true;
}

/* Marks level on everything node uses, transitively (dependency edges only). */
static void spread(sl_map *m, size_t node, int level, bool *seen, bool *used)
{
	for (size_t i = 0; i < m->nodes[node].nout; i++) {
		const sl_map_edge *e = &m->edges[m->nodes[node].out[i]];
		sl_map_node *t = &m->nodes[e->to];
		if (e->kind == SL_EDGE_NAMES)
			continue;
		/* a table used as a whole (all its rows, every column) or grouped in a domain: its columns
		 * too */
		if (t->kind == SL_NODE_TABLE &&
		    (e->kind == SL_EDGE_READS || e->kind == SL_EDGE_WRITES || e->kind == SL_EDGE_GROUPS))
			for (size_t k = 0; k < t->nin; k++)
				if (m->edges[t->in[k]].kind == SL_EDGE_COLUMN_OF)
					mark(&m->nodes[m->edges[t->in[k]].from], level, used,
					     m->edges[t->in[k]].from);
		if (seen[e->to])
			continue;
		seen[e->to] = true;
		mark(t, level, used, e->to);
		spread(m, e->to, level, seen, used);
	}
}

static int levels_and_owners(sl_map *m)
{
	bool *seen = calloc(m->n + 1, sizeof(bool)), *used = calloc(m->n + 1, sizeof(bool));
	int rc = seen && used ? 0 : sl_error_nomem();
	for (size_t i = 0; !rc && i < m->n; i++) {
		sl_map_node *n = &m->nodes[i];
		if (n->kind != SL_NODE_CONSUMER && n->kind != SL_NODE_DOMAIN)
			continue;
		if (n->own_level >= 0 && (n->level < 0 || n->own_level < n->level))
			n->level = n->own_level;
		memset(seen, 0, m->n * sizeof(bool));
		spread(m, i, n->own_level, seen, n->kind == SL_NODE_CONSUMER ? used : NULL);
	}
	/* tables and views first (nodes are sorted by kind): an index or a trigger is explained with its
	 * table */
	for (size_t i = 0; !rc && i < m->n; i++) {
		sl_map_node *n = &m->nodes[i];
		bool named = false, by_table = false;
		if (n->kind != SL_NODE_TABLE && n->kind != SL_NODE_VIEW && n->kind != SL_NODE_TRIGGER &&
		    n->kind != SL_NODE_INDEX)
			continue;
		for (size_t k = 0; k < n->nin; k++)
			named |= m->edges[n->in[k]].kind == SL_EDGE_NAMES;
		if (n->table) {
			char id[400];
			snprintf(id, sizeof(id), "table:%s", n->table);
			long t = sl_map_find(m, id);
			by_table = t >= 0 && !m->nodes[t].unowned;
		}
		n->unowned = !named && !used[i] && !by_table;
		m->nunowned += n->unowned;
	}
	free(seen);
	free(used);
	return rc;
}

static int copy_criticality(sl_map *m, const sl_consumers *cs)
{
	static const char *const dflt[] = { "revenue", "compliance", "customer-facing", "internal" };
	const char *const *levels = cs ? cs->crit.levels : dflt;
	size_t n = cs ? cs->crit.nlevels : 4;
	m->crit.nlevels = n;
	m->crit.dflt = cs ? cs->crit.dflt : 3;
	if (!(m->crit.levels = sl_arena_calloc(m->arena, n + 1, sizeof(char *))) ||
	    !(m->crit.blocking = sl_arena_calloc(m->arena, n + 1, sizeof(bool))))
		return sl_error_nomem();
	for (size_t i = 0; i < n; i++) {
		if (!(m->crit.levels[i] = sl_arena_strdup(m->arena, levels[i])))
			return sl_error_nomem();
		m->crit.blocking[i] = cs ? cs->crit.blocking[i] : i < 2;
	}
	return 0;
}

int sl_map_build(sl_map **out, const sl_map_input *in)
{
	sl_arena *a = sl_arena_new(0);
	sl_map *m = a ? sl_arena_calloc(a, 1, sizeof(*m)) : NULL;
	builder b = { .m = m };
	int rc = 0;

	*out = NULL;
	if (!m) {
		sl_arena_free(a);
		return sl_error_nomem();
	}
	m->arena = a;
	const sl_schema *s = in->schema;
	m->engine = sl_engine_name(s->engine);
	m->database = s->database ? sl_arena_strdup(a, s->database) : NULL;
	m->title = sl_arena_strdup(a, in->title ? in->title : s->database ? s->database : "database");
	if ((rc = copy_criticality(m, in->consumers)) || (rc = add_schema(&b, s)))
		goto done;
	if (in->consumers && (rc = add_consumers(&b, s, in->consumers)))
		goto done;
	if (in->migrations && (rc = add_migrations(&b, in->migrations, in->dialect)))
		goto done;
	qsort(m->nodes, m->n, sizeof(*m->nodes), cmp_node);
	if ((rc = resolve_edges(&b)) || (rc = levels_and_owners(m)))
		goto done;
	*out = m;
	m = NULL;
done:
	if (m)
		sl_map_free(m);
	return rc;
}

void sl_map_free(sl_map *m)
{
	if (m)
		sl_arena_free(m->arena);
}

int sl_map_lookup(const sl_map *m, const char *name, size_t *out)
{
	static const sl_node_kind order[] = { SL_NODE_TABLE,  SL_NODE_VIEW,      SL_NODE_COLUMN,
					      SL_NODE_INDEX,  SL_NODE_TRIGGER,   SL_NODE_CONSUMER,
					      SL_NODE_DOMAIN, SL_NODE_MIGRATION, SL_NODE_FKEY };
	long i = strchr(name, ':') ? sl_map_find(m, name) : -1;
	for (size_t k = 0; i < 0 && k < sizeof(order) / sizeof(order[0]); k++) {
		for (size_t j = 0; j < m->n && i < 0; j++) {
			const sl_map_node *n = &m->nodes[j];
			if (n->kind != order[k])
				continue;
			if (strcmp(n->name, name) == 0 ||
			    (n->kind == SL_NODE_INDEX && strcmp(n->name + strlen(n->table) + 1, name) == 0))
				i = (long)j;
		}
	}
	if (i >= 0) {
		*out = (size_t)i;
		return 0;
	}
	const char **names = calloc(m->n + 1, sizeof(*names));
	const char *best = NULL;
	if (names) {
		for (size_t j = 0; j < m->n; j++)
			names[j] = m->nodes[j].name;
		best = sl_nearest_name(name, names, m->n);
		free(names);
	}
	if (best)
		return sl_error_set(SL_ENOTFOUND, "nothing named \"%s\" in the map (did you mean \"%s\"?)",
				    name, best);
	return sl_error_set(SL_ENOTFOUND, "nothing named \"%s\" in the map", name);
}
