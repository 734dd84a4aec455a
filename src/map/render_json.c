/*
 * render_json.c - the data map as JSON ("sluice-map/1", documented in
 * docs/commands/map.md): every node and edge, in the map's sorted order, so
 * the same inputs give the same bytes (`sluice report` embeds it and is
 * golden-tested). A stable interface: add fields, never rename.
 */
#include "sluice/map.h"

#include <jansson.h>
#include <stdlib.h>

#include "sluice/error.h"
#include "sluice/util.h"

static json_t *level(const sl_map *m, int l)
{
	return l >= 0 ? json_string(sl_criticality_name(&m->crit, l)) : json_null();
}

static json_t *criticality(const sl_map *m)
{
	json_t *o = json_object(), *levels = json_array(), *blocking = json_array();
	for (size_t i = 0; i < m->crit.nlevels; i++) {
		json_array_append_new(levels, json_string(m->crit.levels[i]));
		if (m->crit.blocking[i])
			json_array_append_new(blocking, json_string(m->crit.levels[i]));
	}
	json_object_set_new(o, "levels", levels);
	json_object_set_new(o, "blocking", blocking);
	json_object_set_new(o, "default", level(m, m->crit.dflt));
	return o;
}

static json_t *node(const sl_map *m, const sl_map_node *n)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(n->id));
	json_object_set_new(o, "kind", json_string(sl_node_kind_name(n->kind)));
	json_object_set_new(o, "name", json_string(n->name));
	if (n->table)
		json_object_set_new(o, "table", json_string(n->table));
	if (n->detail)
		json_object_set_new(o, "detail", json_string(n->detail));
	if (n->kind == SL_NODE_CONSUMER || n->kind == SL_NODE_DOMAIN || n->kind == SL_NODE_MIGRATION)
		json_object_set_new(o, "owner", sl_json_str(n->owner));
	if (n->kind == SL_NODE_CONSUMER || n->kind == SL_NODE_DOMAIN)
		json_object_set_new(o, "criticality", level(m, n->own_level));
	json_object_set_new(o, "level", level(m, n->level));
	if (n->kind == SL_NODE_TABLE)
		json_object_set_new(o, "rows",
				    n->rows >= 0 ? json_integer((json_int_t)n->rows) : json_null());
	if (n->kind == SL_NODE_TABLE || n->kind == SL_NODE_VIEW || n->kind == SL_NODE_TRIGGER ||
	    n->kind == SL_NODE_INDEX)
		json_object_set_new(o, "unowned", json_boolean(n->unowned));
	return o;
}

int sl_map_render_json(sl_buf *out, const sl_map *m)
{
	json_t *root = json_object(), *nodes = json_array(), *edges = json_array(), *unowned = json_array(),
	       *counts = json_object();
	size_t per[SL_NODE__COUNT] = { 0 };
	int rc = 0;
	if (!root || !nodes || !edges || !unowned || !counts) {
		rc = sl_error_nomem();
		goto done;
	}
	for (size_t i = 0; i < m->n; i++) {
		per[m->nodes[i].kind]++;
		json_array_append_new(nodes, node(m, &m->nodes[i]));
		if (m->nodes[i].unowned)
			json_array_append_new(unowned, json_string(m->nodes[i].id));
	}
	for (size_t i = 0; i < m->nedges; i++) {
		const sl_map_edge *e = &m->edges[i];
		json_t *o = json_object();
		json_object_set_new(o, "from", json_string(m->nodes[e->from].id));
		json_object_set_new(o, "to", json_string(m->nodes[e->to].id));
		json_object_set_new(o, "kind", json_string(sl_edge_kind_name(e->kind)));
		json_array_append_new(edges, o);
	}
	for (size_t k = 0; k < SL_NODE__COUNT; k++)
		json_object_set_new(counts, sl_node_kind_name((sl_node_kind)k),
				    json_integer((json_int_t)per[k]));
	json_object_set_new(counts, "unowned", json_integer((json_int_t)m->nunowned));
	json_object_set_new(root, "format", json_string("sluice-map/1"));
	json_object_set_new(root, "title", sl_json_str(m->title));
	json_object_set_new(root, "engine", sl_json_str(m->engine));
	json_object_set_new(root, "database", sl_json_str(m->database));
	json_object_set_new(root, "criticality", criticality(m));
	json_object_set_new(root, "counts", counts);
	json_object_set_new(root, "nodes", nodes);
	json_object_set_new(root, "edges", edges);
	json_object_set_new(root, "unowned", unowned);
	nodes = edges = unowned = counts = NULL;
	char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!text) {
		rc = sl_error_nomem();
		goto done;
	}
	rc = sl_buf_puts(out, text);
	if (!rc)
		rc = sl_buf_putc(out, '\n');
	free(text);
done:
	json_decref(nodes);
	json_decref(edges);
	json_decref(unowned);
	json_decref(counts);
	json_decref(root);
	return rc;
}
