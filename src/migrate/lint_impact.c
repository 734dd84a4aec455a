/*
 * lint_impact.c - the consumer rules of the dynamic lint: what a pending
 * migration's changes reach in the data map (map.h), and which consumers
 * that breaks without the migration saying so.
 *
 * Before each up, the consumers' queries are derived on the scratch
 * database and the map is built from the schema the migration meets; after
 * it, the schema diff is followed through the map (sl_impact_of_changes),
 * and every query is derived again on the new schema: one that no longer
 * derives breaks its consumer whatever the map says. A consumer broken at a
 * blocking criticality is consumer-broken (error), any other consumer
 * broken or affected is consumer-affected (warning), unless the "breaks:"
 * header declares it (breaks-declaration checks the ticket).
 */
#include "lint_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"

int sl_lint_impact_before(sl_lint_impact *x, sl_conn *scratch, const sl_schema *before)
{
	sl_consumers *cs = x->cs;
	size_t nq = 0;
	int rc = 0;
	sl_map_free(x->map);
	x->map = NULL;
	free(x->failed_before);
	x->failed_before = NULL;
	for (size_t i = 0; i < cs->n; i++)
		nq += cs->items[i].nqueries;
	if (!(x->failed_before = calloc(nq + 1, sizeof(bool))))
		return sl_error_nomem();
	for (size_t i = 0, q = 0; !rc && i < cs->n; i++) {
		sl_consumer *c = &cs->items[i];
		if (!c->nqueries)
			continue;
		rc = sl_consumer_derive(cs, c, scratch, before, NULL);
		for (size_t k = 0; k < c->nqueries; k++, q++)
			x->failed_before[q] = c->queries[k].error != NULL;
	}
	if (!rc) {
		sl_map_input in = { .schema = before, .consumers = cs, .migrations = NULL };
		rc = sl_map_build(&x->map, &in);
	}
	return rc;
}

/* (name, message) pairs of consumers whose queries derived before and no longer do. */
static int broken_queries(sl_lint_impact *x, sl_conn *scratch, const sl_schema *after, sl_arena *a,
			  const char ***out, size_t *n)
{
	sl_consumers *cs = x->cs;
	size_t cap = 0, len = 0;
	int rc = 0;
	*out = NULL;
	*n = 0;
	for (size_t i = 0, q = 0; !rc && i < cs->n; i++) {
		sl_consumer *c = &cs->items[i];
		if (!c->nqueries)
			continue;
		rc = sl_consumer_derive(cs, c, scratch, after, NULL);
		for (size_t k = 0; !rc && k < c->nqueries; k++, q++) {
			if (!c->queries[k].error || x->failed_before[q])
				continue;
			const char **p = sl_arena_push(a, out, &len, &cap, sizeof(*p));
			const char **p2 = p ? sl_arena_push(a, out, &len, &cap, sizeof(*p)) : NULL;
			if (!p2)
				return sl_error_nomem();
			(*out)[len - 2] = c->name;
			(*out)[len - 1] = c->queries[k].error;
			(*n)++;
			break; /* one failing query is enough to break the consumer */
		}
	}
	return rc;
}

/* The changed object an item is reached from (follow via to depth 0). */
static const sl_map_node *root_of(const sl_impact *im, const sl_impact_item *it)
{
	long v = it->via;
	const sl_impact_item *cur = it;
	for (size_t guard = 0; v >= 0 && guard < im->n; guard++) {
		const sl_impact_item *next = NULL;
		for (size_t i = 0; i < im->n && !next; i++)
			if ((long)im->items[i].node == v)
				next = &im->items[i];
		if (!next)
			break;
		cur = next;
		v = next->via;
	}
	/* reached with no path (its query no longer runs): point at the first change */
	for (size_t i = 0; cur->depth != 0 && i < im->n; i++)
		if (im->items[i].depth == 0)
			cur = &im->items[i];
	return &im->map->nodes[cur->node];
}

static const char *cause_of(const sl_impact *im, const sl_impact_item *it)
{
	long v = it->via;
	if (it->cause && v < 0)
		return it->cause;
	for (size_t guard = 0; v >= 0 && guard < im->n; guard++) {
		for (size_t i = 0; i < im->n; i++)
			if ((long)im->items[i].node == v) {
				if (im->items[i].depth == 0 || im->items[i].via < 0)
					return im->items[i].cause;
				v = im->items[i].via;
				break;
			}
	}
	return it->cause ? it->cause : "a change";
}

int sl_lint_impact_after(sl_lint_impact *x, const sl_lint_after *in)
{
	sl_arena *a = sl_arena_new(0);
	sl_schemadiff *df = NULL;
	sl_impact *im = NULL;
	sl_breaks_entry *decl = NULL;
	const char **broken = NULL;
	size_t nbroken = 0, ndecl = 0;
	const sl_migration *m = in->m;
	char subject[300];
	int rc = a ? 0 : sl_error_nomem();

	if (!rc && (rc = broken_queries(x, in->scratch, in->after, a, &broken, &nbroken)))
		goto done;
	if (!rc)
		rc = sl_schema_diff(&df, in->before, in->after, NULL);
	snprintf(subject, sizeof(subject), "migration %s%s%s", m->id, m->title ? " " : "",
		 m->title ? m->title : "");
	if (!rc)
		rc = sl_impact_of_changes(&im, x->map, df, in->before, in->after, subject, broken, nbroken);
	if (rc)
		goto done;
	if (sl_breaks_parse(a, sl_migration_meta_get(m, "breaks"), &decl, &ndecl)) {
		sl_error_clear(); /* reported by breaks-declaration */
		ndecl = 0;
	}
	for (size_t i = 0; !rc && i < im->n; i++) {
		sl_impact_item *it = &im->items[i];
		const sl_map_node *n = &x->map->nodes[it->node];
		if (n->kind != SL_NODE_CONSUMER || it->depth == 0 || it->effect < SL_EFFECT_AFFECTED)
			continue;
		for (size_t k = 0; k < ndecl; k++)
			if (strcmp(decl[k].consumer, n->name) == 0) {
				it->declared = true;
				it->ticket = decl[k].ticket;
			}
		if (it->declared)
			continue;
		const sl_map_node *root = root_of(im, it);
		size_t line = in->locate(in->locate_ud,
					 root->table ? root->name + strlen(root->table) + 1 : root->name,
					 root->table);
		const char *lvl = sl_criticality_name(&x->map->crit, n->own_level);
		bool blocks =
			it->effect == SL_EFFECT_BREAKS && sl_criticality_blocks(&x->map->crit, n->own_level);
		const sl_consumer *c = sl_consumers_find(x->cs, n->name);
		const char *prefix = c && c->ticket_prefix ? c->ticket_prefix : "";
		if (blocks)
			rc = sl_lint_add(in->r, "consumer-broken", m, line,
					 "breaks consumer \"%s\" (%s, owner %s): %s; once its owner agrees, "
					 "declare it: "
					 "\"-- breaks: %s %s<ticket>\"",
					 n->name, lvl, n->owner ? n->owner : "unknown", cause_of(im, it),
					 n->name, prefix);
		else
			rc = sl_lint_add(in->r, "consumer-affected", m, line,
					 "%s consumer \"%s\" (%s, owner %s): %s",
					 it->effect == SL_EFFECT_BREAKS ? "breaks" : "affects", n->name, lvl,
					 n->owner ? n->owner : "unknown", cause_of(im, it));
	}
	if (!rc && x->on_impact)
		rc = x->on_impact(x->impact_ud, m, im);
done:
	sl_impact_free(im);
	sl_schemadiff_free(df);
	sl_arena_free(a);
	return rc;
}

void sl_lint_impact_free(sl_lint_impact *x)
{
	sl_map_free(x->map);
	free(x->failed_before);
	x->map = NULL;
	x->failed_before = NULL;
}
