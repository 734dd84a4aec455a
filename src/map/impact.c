/*
 * impact.c - what a change reaches in the data map (include/sluice/map.h).
 *
 * Changed objects are seeded with an effect: gone (dropped, renamed) and
 * narrowed or re-typed columns break what uses them; a wider type, other
 * nullability or default, a dropped index or key affect it. The walk then
 * follows "uses" edges backwards, keeping for every node the worst effect
 * over all paths: a table's columns, views, consumers and domains using it,
 * triggers firing on it, indexes and keys over it. A column's change also
 * reaches whoever uses its table as a whole and the table's domains. A view
 * that still holds after the migration (it exists in the new schema and
 * everything it reads is still there: the migration re-created it, or the
 * engine rewrote it as PostgreSQL and SQLite do on a rename) does not pass
 * "gone" on: its users are affected, not broken.
 */
#include "sluice/map.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"

typedef struct state {
	int effect; /* -1: not reached */
	bool gone;  /* the effect comes from something that no longer exists */
	int depth;
	long via;
	const char *cause;
} state;

typedef struct walk {
	const sl_map *m;
	state *st;
	size_t *queue;
	size_t nq, qcap;
	const sl_schema *after; /* NULL: no view holds (what-if of an object) */
	sl_arena *arena;
} walk;

const char *sl_effect_name(sl_effect e)
{
	return e == SL_EFFECT_BREAKS ? "breaks" : e == SL_EFFECT_AFFECTED ? "affected" : "reached";
}

/* The node "kind:name", or -1 when the map has none (or the id cannot be built). */
static long node_of(const sl_map *m, const char *kind, const char *name)
{
	sl_buf id = SL_BUF_INIT;
	long n = sl_buf_printf(&id, "%s:%s", kind, name) == 0 ? sl_map_find(m, id.ptr) : -1;
	sl_buf_free(&id);
	return n;
}

static int enqueue(walk *w, size_t n)
{
	if (w->nq == w->qcap) {
		size_t nc = w->qcap ? w->qcap * 2 : 64;
		size_t *q = realloc(w->queue, nc * sizeof(*q));
		if (!q)
			return sl_error_nomem();
		w->queue = q;
		w->qcap = nc;
	}
	w->queue[w->nq++] = n;
	return 0;
}

/* Raises node n to effect (gone); enqueues it when that is worse than what it had. */
static int reach(walk *w, size_t n, int effect, bool gone, int depth, long via, const char *cause)
{
	state *s = &w->st[n];
	if (s->effect > effect || (s->effect == effect && (s->gone || !gone)))
		return 0;
	if (s->effect < 0 || depth < s->depth || s->effect < effect) {
		s->depth = depth;
		s->via = via;
		if (cause)
			s->cause = cause;
	}
	s->effect = effect;
	s->gone = gone;
	return enqueue(w, n);
}

/* A view that exists after the change and reads only what still exists. */
static bool view_holds(const walk *w, const char *name)
{
	const sl_schema *a = w->after;
	for (size_t i = 0; a && i < a->nviews; i++) {
		const sl_view *v = &a->views[i];
		if (strcmp(v->name, name) != 0)
			continue;
		for (size_t k = 0; k < v->nreads; k++) {
			const sl_view_dep *d = &v->reads[k];
			const sl_table *t = sl_schema_find_table(a, NULL, d->table);
			bool view = false;
			for (size_t j = 0; j < a->nviews; j++)
				view |= strcmp(a->views[j].name, d->table) == 0;
			if (!view && (!t || (d->column && !sl_table_find_column(t, d->column))))
				return false;
		}
		return true;
	}
	return false;
}

static int step(walk *w, size_t u)
{
	const sl_map *m = w->m;
	const sl_map_node *un = &m->nodes[u];
	state s = w->st[u];
	int rc = 0;
	for (size_t k = 0; !rc && k < un->nin; k++) {
		const sl_map_edge *e = &m->edges[un->in[k]];
		const sl_map_node *f = &m->nodes[e->from];
		int effect = s.effect;
		bool gone = s.gone;
		if (e->kind == SL_EDGE_NAMES)
			continue;
		if (f->kind == SL_NODE_VIEW && gone && view_holds(w, f->name)) {
			effect = SL_EFFECT_AFFECTED;
			gone = false;
		}
		rc = reach(w, e->from, effect, gone, s.depth + 1, (long)u, NULL);
	}
	if (rc || un->kind != SL_NODE_COLUMN)
		return rc;
	/* a column's change reaches whoever uses its table as a whole, the table's areas and triggers */
	long t = node_of(m, "table", un->table);
	const sl_map_node *tn = t >= 0 ? &m->nodes[t] : NULL;
	for (size_t k = 0; !rc && tn && k < tn->nin; k++) {
		const sl_map_edge *e = &m->edges[tn->in[k]];
		/* a trigger's body may use the column (unknown); an area holds the table, which stays */
		int effect = e->kind == SL_EDGE_FIRES_ON                                  ? SL_EFFECT_REACHED
			     : e->kind == SL_EDGE_GROUPS && s.effect > SL_EFFECT_AFFECTED ? SL_EFFECT_AFFECTED
											  : s.effect;
		if (e->kind == SL_EDGE_READS || e->kind == SL_EDGE_WRITES || e->kind == SL_EDGE_GROUPS ||
		    e->kind == SL_EDGE_FIRES_ON)
			rc = reach(w, e->from, effect, e->kind == SL_EDGE_FIRES_ON ? false : s.gone,
				   s.depth + 1, (long)u, NULL);
	}
	return rc;
}

static int run(walk *w)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < w->nq; i++)
		rc = step(w, w->queue[i]);
	return rc;
}

static int seed(walk *w, long n, sl_effect effect, bool gone, const char *cause)
{
	if (n < 0)
		return 0;
	return reach(w, (size_t)n, (int)effect, gone, 0, -1, cause);
}

static int new_impact(sl_impact **out, const sl_map *m, const char *subject)
{
	sl_arena *a = sl_arena_new(0);
	sl_impact *im = a ? sl_arena_calloc(a, 1, sizeof(*im)) : NULL;
	if (!im) {
		sl_arena_free(a);
		return sl_error_nomem();
	}
	im->arena = a;
	im->map = m;
	im->worst_level = -1;
	im->subject = sl_arena_strdup(a, subject ? subject : "");
	*out = im;
	return im->subject ? 0 : sl_error_nomem();
}

static int cmp_item(const void *a, const void *b)
{
	const sl_impact_item *x = a, *y = b;
	if (x->depth != y->depth)
		return x->depth < y->depth ? -1 : 1;
	return x->node < y->node ? -1 : x->node > y->node;
}

/* The reached nodes into im->items, sorted, with counts and the worst criticality. */
static int collect(sl_impact *im, const walk *w)
{
	const sl_map *m = im->map;
	for (size_t i = 0; i < m->n; i++) {
		const state *s = &w->st[i];
		if (s->effect < 0)
			continue;
		sl_impact_item *it = sl_arena_push(im->arena, &im->items, &im->n, &im->cap, sizeof(*it));
		if (!it)
			return sl_error_nomem();
		it->node = i;
		it->effect = (sl_effect)s->effect;
		it->depth = s->depth;
		it->via = s->via;
		it->cause = s->cause ? sl_arena_strdup(im->arena, s->cause) : NULL;
		if (s->depth == 0)
			continue;
		im->nbreaks += s->effect == SL_EFFECT_BREAKS;
		im->naffected += s->effect == SL_EFFECT_AFFECTED;
		const sl_map_node *n = &m->nodes[i];
		if ((n->kind == SL_NODE_CONSUMER || n->kind == SL_NODE_DOMAIN) &&
		    s->effect >= SL_EFFECT_AFFECTED && n->own_level >= 0 &&
		    (im->worst_level < 0 || n->own_level < im->worst_level))
			im->worst_level = n->own_level;
	}
	if (im->n)
		qsort(im->items, im->n, sizeof(*im->items), cmp_item);
	return 0;
}

static int walk_init(walk *w, const sl_map *m)
{
	memset(w, 0, sizeof(*w));
	w->m = m;
	if (!(w->st = calloc(m->n + 1, sizeof(*w->st))) || !(w->arena = sl_arena_new(0)))
		return sl_error_nomem();
	for (size_t i = 0; i < m->n; i++)
		w->st[i].effect = -1;
	return 0;
}

static void walk_free(walk *w)
{
	free(w->st);
	free(w->queue);
	sl_arena_free(w->arena);
}

int sl_impact_of_node(sl_impact **out, const sl_map *m, size_t node)
{
	walk w;
	sl_impact *im = NULL;
	const sl_map_node *n = &m->nodes[node];
	int rc = walk_init(&w, m);
	char subject[600];
	snprintf(subject, sizeof(subject), "%s %s", sl_node_kind_name(n->kind), n->name);
	*out = NULL;
	if (!rc)
		rc = new_impact(&im, m, subject);
	if (!rc)
		rc = seed(&w, (long)node, SL_EFFECT_BREAKS, true,
			  sl_arena_printf(w.arena, "if %s \"%s\" were dropped or renamed",
					  sl_node_kind_name(n->kind), n->name));
	if (!rc)
		rc = run(&w);
	if (!rc)
		rc = collect(im, &w);
	walk_free(&w);
	if (rc)
		sl_impact_free(im);
	else
		*out = im;
	return rc;
}

/* ---- from a schema diff -------------------------------------------------------------- */

static bool same_type(const sl_column *a, const sl_column *b)
{
	sl_buf x = SL_BUF_INIT, y = SL_BUF_INIT;
	bool eq = sl_type_format(&x, &a->type) == 0 && sl_type_format(&y, &b->type) == 0 &&
		  strcmp(sl_buf_cstr(&x), sl_buf_cstr(&y)) == 0;
	sl_buf_free(&x);
	sl_buf_free(&y);
	return eq;
}

/* The added table or column a dropped one was renamed to (same shape), or NULL. */
static const char *renamed_to(const sl_schemadiff *df, const sl_schema_change *c)
{
	for (size_t i = 0; i < df->n; i++) {
		const sl_schema_change *y = &df->items[i];
		if (c->kind == SL_CHG_TABLE_DROPPED && y->kind == SL_CHG_TABLE_ADDED &&
		    c->old_table->ncolumns == y->new_table->ncolumns) {
			bool same = true;
			for (size_t k = 0; same && k < c->old_table->ncolumns; k++)
				same = same_type(&c->old_table->columns[k], &y->new_table->columns[k]);
			if (same)
				return y->table;
		}
		if (c->kind == SL_CHG_COLUMN_DROPPED && y->kind == SL_CHG_COLUMN_ADDED &&
		    strcmp(c->table, y->table) == 0 && same_type(c->old_column, y->new_column) &&
		    c->old_column->nullable == y->new_column->nullable)
			return y->object;
	}
	return NULL;
}

static int seed_change(walk *w, const sl_schemadiff *df, const sl_schema_change *c)
{
	const sl_map *m = w->m;
	sl_buf b = SL_BUF_INIT;
	const char *to = NULL, *why = NULL, *cause;
	char name[600];
	int rc = 0;
	if (c->kind == SL_CHG_TABLE_DROPPED || c->kind == SL_CHG_COLUMN_DROPPED)
		to = renamed_to(df, c);
	if (to && c->kind == SL_CHG_TABLE_DROPPED)
		rc = sl_buf_printf(&b, "table \"%s\" renamed to \"%s\"", c->table, to);
	else if (to)
		rc = sl_buf_printf(&b, "column \"%s\".\"%s\" renamed to \"%s\"", c->table, c->object, to);
	else
		rc = sl_schema_change_format(&b, c);
	if (rc || !(cause = sl_arena_strdup(w->arena, sl_buf_cstr(&b)))) {
		sl_buf_free(&b);
		return rc ? rc : sl_error_nomem();
	}
	sl_buf_free(&b);
	snprintf(name, sizeof(name), "%s.%s", c->table, c->object ? c->object : "");
	switch (c->kind) {
	case SL_CHG_TABLE_DROPPED:
		return seed(w, node_of(m, "table", c->table), SL_EFFECT_BREAKS, true, cause);
	case SL_CHG_COLUMN_DROPPED:
		return seed(w, node_of(m, "column", name), SL_EFFECT_BREAKS, true, cause);
	case SL_CHG_COLUMN_TYPE: {
		bool breaks = sl_type_narrows(&c->old_column->type, &c->new_column->type, &why) ||
			      sl_tkind_family(c->old_column->type.kind) !=
				      sl_tkind_family(c->new_column->type.kind);
		return seed(w, node_of(m, "column", name), breaks ? SL_EFFECT_BREAKS : SL_EFFECT_AFFECTED,
			    false, cause);
	}
	case SL_CHG_COLUMN_NULLABLE:
	case SL_CHG_COLUMN_DEFAULT:
		return seed(w, node_of(m, "column", name), SL_EFFECT_AFFECTED, false, cause);
	case SL_CHG_INDEX_DROPPED:
	case SL_CHG_INDEX_CHANGED:
	case SL_CHG_UNIQUE_DROPPED:
		return seed(w, node_of(m, "index", name), SL_EFFECT_AFFECTED, false, cause);
	case SL_CHG_FKEY_DROPPED:
	case SL_CHG_FKEY_CHANGED:
		return seed(w, node_of(m, "fkey", name), SL_EFFECT_AFFECTED, false, cause);
	case SL_CHG_COLUMN_ADDED: {
		/* a required column without a default: inserts that do not set it fail */
		const sl_column *nc = c->new_column;
		long t = node_of(m, "table", c->table);
		if (t < 0 || nc->nullable || nc->default_expr || nc->identity || nc->generated_expr)
			return 0;
		const sl_map_node *tn = &m->nodes[t];
		for (size_t k = 0; !rc && k < tn->nin; k++) {
			const sl_map_edge *e = &m->edges[tn->in[k]];
			if (e->kind == SL_EDGE_WRITES)
				rc = reach(w, e->from, SL_EFFECT_BREAKS, false, 1, t, cause);
		}
		return rc;
	}
	default:
		return 0;
	}
}

static const sl_view *find_view(const sl_schema *s, const char *name)
{
	for (size_t i = 0; s && i < s->nviews; i++)
		if (strcmp(s->views[i].name, name) == 0)
			return &s->views[i];
	return NULL;
}

static const sl_trigger *find_trigger(const sl_schema *s, const char *name)
{
	for (size_t i = 0; s && i < s->ntriggers; i++)
		if (strcmp(s->triggers[i].name, name) == 0)
			return &s->triggers[i];
	return NULL;
}

/* Views and triggers (which the schema diff does not compare): dropped or redefined. */
static int seed_views(walk *w, const sl_schema *before, const sl_schema *after)
{
	int rc = 0;
	for (size_t i = 0; !rc && before && i < before->nviews; i++) {
		const sl_view *v = &before->views[i], *nv = find_view(after, v->name);
		long n = node_of(w->m, "view", v->name);
		if (!nv)
			rc = seed(w, n, SL_EFFECT_BREAKS, true,
				  sl_arena_printf(w->arena, "view \"%s\" dropped", v->name));
		else if (v->definition && nv->definition && strcmp(v->definition, nv->definition) != 0)
			rc = seed(w, n, SL_EFFECT_AFFECTED, false,
				  sl_arena_printf(w->arena, "view \"%s\" redefined", v->name));
	}
	for (size_t i = 0; !rc && before && i < before->ntriggers; i++) {
		const sl_trigger *t = &before->triggers[i], *nt = find_trigger(after, t->name);
		long n = node_of(w->m, "trigger", t->name);
		if (!nt)
			rc = seed(w, n, SL_EFFECT_AFFECTED, false,
				  sl_arena_printf(w->arena, "trigger \"%s\" dropped", t->name));
		else if (t->definition && nt->definition && strcmp(t->definition, nt->definition) != 0)
			rc = seed(w, n, SL_EFFECT_AFFECTED, false,
				  sl_arena_printf(w->arena, "trigger \"%s\" redefined", t->name));
	}
	return rc;
}

int sl_impact_of_changes(sl_impact **out, const sl_map *m, const sl_schemadiff *df, const sl_schema *before,
			 const sl_schema *after, const char *subject, const char *const *broken_queries,
			 size_t nbroken)
{
	walk w;
	sl_impact *im = NULL;
	int rc = walk_init(&w, m);
	*out = NULL;
	w.after = after;
	if (!rc)
		rc = new_impact(&im, m, subject);
	for (size_t i = 0; !rc && i < df->n; i++) {
		const sl_schema_change *c = &df->items[i];
		if (c->kind == SL_CHG_TABLE_ADDED)
			continue;
		bool partner = false; /* the added half of a rename is not a change of its own */
		for (size_t k = 0; k < df->n && c->kind == SL_CHG_COLUMN_ADDED; k++)
			partner |= df->items[k].kind == SL_CHG_COLUMN_DROPPED &&
				   renamed_to(df, &df->items[k]) == c->object;
		if (!partner)
			rc = seed_change(&w, df, c);
	}
	if (!rc)
		rc = seed_views(&w, before, after);
	/* before the walk, so that "its query no longer runs" is the cause it keeps */
	for (size_t i = 0; !rc && i < nbroken; i++) {
		long n = node_of(m, "consumer", broken_queries[2 * i]);
		if (n >= 0)
			rc = reach(&w, (size_t)n, SL_EFFECT_BREAKS, true, 1, -1,
				   sl_arena_printf(w.arena, "its query no longer runs: %s",
						   broken_queries[2 * i + 1]));
	}
	if (!rc)
		rc = run(&w);
	if (!rc)
		rc = collect(im, &w);
	walk_free(&w);
	if (rc)
		sl_impact_free(im);
	else
		*out = im;
	return rc;
}

void sl_impact_free(sl_impact *im)
{
	if (im)
		sl_arena_free(im->arena);
}
