/*
 * render_diagram.c - the data map as a diagram: Mermaid (flowchart, renders
 * on common Markdown hosts) and Graphviz DOT. Both draw the map at the
 * level a reader follows: tables, views, triggers and consumers as boxes,
 * domains as groups around their tables, and one arrow per pair of boxes
 * (a consumer reading three columns of a table is one "reads" arrow; a
 * foreign key is an arrow from the table that points to the one it points
 * at). Columns, indexes and migrations are in the JSON and Markdown forms.
 * Fill colours follow criticality, most critical first.
 */
#include "sluice/map.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"

typedef struct arrow {
	size_t from, to;
	unsigned what; /* bits below */
	const char *label;
} arrow;

enum { A_READS = 1, A_WRITES = 2, A_LINK = 4, A_ON = 8 };

typedef struct arrows {
	arrow *v;
	size_t n, cap;
} arrows;

static const char *const fills[] = { "#f8c9c4", "#fbe0b5", "#fdf3b9", "#dcecf9", "#e4e4e4" };

static bool drawn(const sl_map_node *n)
{
	return n->kind == SL_NODE_TABLE || n->kind == SL_NODE_VIEW || n->kind == SL_NODE_TRIGGER ||
	       n->kind == SL_NODE_CONSUMER;
}

/* The box a node is drawn in: a column's table, else the node itself. */
static long box(const sl_map *m, size_t i)
{
	const sl_map_node *n = &m->nodes[i];
	if (n->kind == SL_NODE_COLUMN) {
		char id[400];
		snprintf(id, sizeof(id), "table:%s", n->table);
		return sl_map_find(m, id);
	}
	return drawn(n) ? (long)i : -1;
}

static int add_arrow(arrows *a, size_t from, size_t to, unsigned what, const char *label)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].from == from && a->v[i].to == to && (a->v[i].what & A_LINK) == (what & A_LINK)) {
			a->v[i].what |= what;
			return 0;
		}
	if (a->n == a->cap) {
		size_t nc = a->cap ? a->cap * 2 : 64;
		arrow *nv = realloc(a->v, nc * sizeof(*nv));
		if (!nv)
			return sl_error_nomem();
		a->v = nv;
		a->cap = nc;
	}
	a->v[a->n++] = (arrow){ .from = from, .to = to, .what = what, .label = label };
	return 0;
}

/* A foreign key: from its table to the table its KEY_TO edges reach, labelled with its first column. */
static int fkey_arrow(const sl_map *m, arrows *a, size_t k)
{
	const sl_map_node *f = &m->nodes[k];
	char id[400];
	long from, to = -1;
	const char *label = NULL;
	snprintf(id, sizeof(id), "table:%s", f->table);
	from = sl_map_find(m, id);
	for (size_t i = 0; i < f->nout; i++) {
		const sl_map_edge *e = &m->edges[f->out[i]];
		if (e->kind == SL_EDGE_KEY_TO && to < 0)
			to = box(m, e->to);
		if (e->kind == SL_EDGE_KEY_FROM && !label)
			label = m->nodes[e->to].name + strlen(f->table) + 1;
	}
	if (from < 0 || to < 0)
		return 0;
	return add_arrow(a, (size_t)from, (size_t)to, A_LINK, label);
}

static int collect(const sl_map *m, arrows *a)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < m->nedges; i++) {
		const sl_map_edge *e = &m->edges[i];
		long f = box(m, e->from), t = box(m, e->to);
		unsigned what = e->kind == SL_EDGE_READS      ? A_READS
				: e->kind == SL_EDGE_WRITES   ? A_WRITES
				: e->kind == SL_EDGE_FIRES_ON ? A_ON
							      : 0;
		if (what && f >= 0 && t >= 0 && f != t)
			rc = add_arrow(a, (size_t)f, (size_t)t, what, NULL);
	}
	for (size_t i = 0; !rc && i < m->n; i++)
		if (m->nodes[i].kind == SL_NODE_FKEY)
			rc = fkey_arrow(m, a, i);
	return rc;
}

static const char *verb(unsigned what)
{
	if ((what & (A_READS | A_WRITES)) == (A_READS | A_WRITES))
		return "reads, writes";
	return what & A_WRITES ? "writes" : what & A_READS ? "reads" : what & A_ON ? "on" : "";
}

/* Domain node index of the first domain grouping table i, or -1. */
static long domain_of(const sl_map *m, size_t i)
{
	const sl_map_node *n = &m->nodes[i];
	for (size_t k = 0; k < n->nin; k++) {
		const sl_map_edge *e = &m->edges[n->in[k]];
		if (e->kind == SL_EDGE_GROUPS)
			return (long)e->from;
	}
	return -1;
}

static int label_text(sl_buf *out, const char *s, bool dot)
{
	int rc = 0;
	for (; !rc && *s; s++) {
		if (*s == '"')
			rc = sl_buf_puts(out, dot ? "\\\"" : "#quot;");
		else if (*s == '\\' && dot)
			rc = sl_buf_puts(out, "\\\\");
		else if (*s == '\n')
			rc = sl_buf_puts(out, dot ? "\\n" : " ");
		else if (!dot && (*s == '<' || *s == '>'))
			rc = sl_buf_puts(out, *s == '<' ? "#lt;" : "#gt;");
		else
			rc = sl_buf_putc(out, *s);
	}
	return rc;
}

static int caption(sl_buf *out, const sl_map *m, const sl_map_node *n, bool dot)
{
	int rc = label_text(out, n->name, dot);
	const char *br = dot ? "\\n" : "<br/>";
	if (!rc && n->kind == SL_NODE_VIEW)
		rc = sl_buf_printf(out, "%s(view)", br);
	else if (!rc && n->kind == SL_NODE_TRIGGER)
		rc = sl_buf_printf(out, "%s(trigger)", br);
	else if (!rc && n->kind == SL_NODE_CONSUMER) {
		rc = sl_buf_printf(out, "%s%s", br, sl_criticality_name(&m->crit, n->own_level));
		if (!rc && n->owner) {
			rc = sl_buf_puts(out, ", ");
			if (!rc)
				rc = label_text(out, n->owner, dot);
		}
	}
	return rc;
}

/* ---- Mermaid ------------------------------------------------------------------------ */

static int mermaid_node(sl_buf *out, const sl_map *m, size_t i, const char *indent)
{
	const sl_map_node *n = &m->nodes[i];
	const char *open = "[\"", *close = "\"]";
	if (n->kind == SL_NODE_VIEW)
		open = "([\"", close = "\"])";
	else if (n->kind == SL_NODE_TRIGGER)
		open = ">\"", close = "\"]";
	else if (n->kind == SL_NODE_CONSUMER)
		open = "{{\"", close = "\"}}";
	int rc = sl_buf_printf(out, "%sn%zu%s", indent, i, open);
	if (!rc)
		rc = caption(out, m, n, false);
	if (!rc)
		rc = sl_buf_printf(out, "%s\n", close);
	return rc;
}

int sl_map_render_mermaid(sl_buf *out, const sl_map *m)
{
	arrows a = { 0 };
	int rc = sl_buf_puts(out, "flowchart LR\n");
	for (size_t d = 0; !rc && d < m->n; d++) {
		const sl_map_node *dn = &m->nodes[d];
		if (dn->kind != SL_NODE_DOMAIN)
			continue;
		rc = sl_buf_printf(out, "    subgraph n%zu[\"", d);
		if (!rc)
			rc = label_text(out, dn->name, false);
		if (!rc && dn->own_level >= 0)
			rc = sl_buf_printf(out, " (%s)", sl_criticality_name(&m->crit, dn->own_level));
		if (!rc)
			rc = sl_buf_puts(out, "\"]\n");
		for (size_t i = 0; !rc && i < m->n; i++)
			if (m->nodes[i].kind == SL_NODE_TABLE && domain_of(m, i) == (long)d)
				rc = mermaid_node(out, m, i, "        ");
		if (!rc)
			rc = sl_buf_puts(out, "    end\n");
	}
	for (size_t i = 0; !rc && i < m->n; i++)
		if (drawn(&m->nodes[i]) && !(m->nodes[i].kind == SL_NODE_TABLE && domain_of(m, i) >= 0))
			rc = mermaid_node(out, m, i, "    ");
	if (!rc)
		rc = collect(m, &a);
	for (size_t i = 0; !rc && i < a.n; i++) {
		const arrow *x = &a.v[i];
		if (x->what & A_LINK) {
			rc = sl_buf_printf(out, "    n%zu -->|\"", x->from);
			if (!rc)
				rc = label_text(out, x->label ? x->label : "links to", false);
			if (!rc)
				rc = sl_buf_printf(out, "\"| n%zu\n", x->to);
		} else {
			rc = sl_buf_printf(out, "    n%zu %s|%s| n%zu\n", x->from,
					   x->what & A_WRITES ? "==>" : "-.->", verb(x->what), x->to);
		}
	}
	for (size_t l = 0; !rc && l < m->crit.nlevels; l++)
		rc = sl_buf_printf(out, "    classDef level%zu fill:%s,stroke:#555\n", l,
				   fills[l < 4 ? l : 4]);
	for (size_t i = 0; !rc && i < m->n; i++)
		if (drawn(&m->nodes[i]) && m->nodes[i].level >= 0)
			rc = sl_buf_printf(out, "    class n%zu level%d\n", i, m->nodes[i].level);
	free(a.v);
	return rc;
}

/* ---- Graphviz DOT ------------------------------------------------------------------- */

static int dot_node(sl_buf *out, const sl_map *m, size_t i, const char *indent)
{
	const sl_map_node *n = &m->nodes[i];
	const char *shape = n->kind == SL_NODE_VIEW       ? "box, style=\"rounded,filled\""
			    : n->kind == SL_NODE_TRIGGER  ? "cds, style=filled"
			    : n->kind == SL_NODE_CONSUMER ? "hexagon, style=filled"
							  : "box, style=filled";
	int l = n->level;
	int rc = sl_buf_printf(out, "%sn%zu [shape=%s, fillcolor=\"%s\", label=\"", indent, i, shape,
			       l >= 0 ? fills[l < 4 ? l : 4] : "#ffffff");
	if (!rc)
		rc = caption(out, m, n, true);
	if (!rc)
		rc = sl_buf_puts(out, "\"];\n");
	return rc;
}

int sl_map_render_dot(sl_buf *out, const sl_map *m)
{
	arrows a = { 0 };
	int rc = sl_buf_puts(out, "digraph data_map {\n    rankdir=LR;\n    node [fontname=\"Helvetica\"];\n"
				  "    edge [fontname=\"Helvetica\", fontsize=10];\n    label=\"");
	if (!rc)
		rc = label_text(out, m->title, true);
	if (!rc)
		rc = sl_buf_puts(out, "\";\n");
	for (size_t d = 0; !rc && d < m->n; d++) {
		const sl_map_node *dn = &m->nodes[d];
		if (dn->kind != SL_NODE_DOMAIN)
			continue;
		rc = sl_buf_printf(out, "    subgraph cluster_%zu {\n        label=\"", d);
		if (!rc)
			rc = label_text(out, dn->name, true);
		if (!rc && dn->own_level >= 0)
			rc = sl_buf_printf(out, " (%s)", sl_criticality_name(&m->crit, dn->own_level));
		if (!rc)
			rc = sl_buf_puts(out, "\";\n        style=dashed;\n");
		for (size_t i = 0; !rc && i < m->n; i++)
			if (m->nodes[i].kind == SL_NODE_TABLE && domain_of(m, i) == (long)d)
				rc = dot_node(out, m, i, "        ");
		if (!rc)
			rc = sl_buf_puts(out, "    }\n");
	}
	for (size_t i = 0; !rc && i < m->n; i++)
		if (drawn(&m->nodes[i]) && !(m->nodes[i].kind == SL_NODE_TABLE && domain_of(m, i) >= 0))
			rc = dot_node(out, m, i, "    ");
	if (!rc)
		rc = collect(m, &a);
	for (size_t i = 0; !rc && i < a.n; i++) {
		const arrow *x = &a.v[i];
		rc = sl_buf_printf(out, "    n%zu -> n%zu [label=\"", x->from, x->to);
		if (!rc)
			rc = label_text(out,
					x->what & A_LINK ? (x->label ? x->label : "links to") : verb(x->what),
					true);
		if (!rc)
			rc = sl_buf_printf(out, "\"%s];\n",
					   x->what & A_WRITES ? ", penwidth=2"
					   : x->what & A_LINK ? ""
							      : ", style=dashed");
	}
	if (!rc)
		rc = sl_buf_puts(out, "}\n");
	free(a.v);
	return rc;
}
