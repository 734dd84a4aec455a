/*
 * render_impact.c - an impact (include/sluice/map.h) as text for a
 * terminal, Markdown for a pull request or a sign-off, and JSON
 * ("sluice-impact/1", docs/commands/impact.md). Each reached object says
 * how bad it is, how critical, whose it is and through what it is reached.
 */
#include "sluice/map.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"

static const char *verb(sl_edge_kind k)
{
	switch (k) {
	case SL_EDGE_READS:
		return "reads";
	case SL_EDGE_WRITES:
		return "writes";
	case SL_EDGE_GROUPS:
		return "groups";
	case SL_EDGE_COLUMN_OF:
		return "is a column of";
	case SL_EDGE_INDEXES:
		return "indexes";
	case SL_EDGE_KEY_FROM:
		return "is a key on";
	case SL_EDGE_KEY_TO:
		return "points to";
	case SL_EDGE_FIRES_ON:
		return "fires on";
	default:
		return "names";
	}
}

/* "reads invoices.total": how item node n uses via (directly, or via's table as a whole). */
static int how(sl_buf *out, const sl_map *m, const sl_impact_item *it)
{
	const sl_map_node *n = &m->nodes[it->node];
	if (it->via < 0)
		return sl_buf_puts(out, it->cause ? it->cause : "changes");
	const sl_map_node *v = &m->nodes[it->via];
	for (size_t i = 0; i < n->nout; i++) {
		const sl_map_edge *e = &m->edges[n->out[i]];
		if ((long)e->to == it->via)
			return sl_buf_printf(out, "%s %s", verb(e->kind), v->name);
	}
	for (size_t i = 0; v->table && i < n->nout; i++) {
		const sl_map_edge *e = &m->edges[n->out[i]];
		if (m->nodes[e->to].kind == SL_NODE_TABLE && strcmp(m->nodes[e->to].name, v->table) == 0)
			return sl_buf_printf(out, "%s %s%s, whose column %s changes", verb(e->kind), v->table,
					     e->kind == SL_EDGE_READS    ? " (all of it)"
					     : e->kind == SL_EDGE_WRITES ? " (whole rows)"
									 : "",
					     v->name + strlen(v->table) + 1);
	}
	return sl_buf_printf(out, "%s", it->cause ? it->cause : v->name);
}

static const char *level_name(const sl_map *m, const sl_map_node *n)
{
	int l = n->kind == SL_NODE_CONSUMER || n->kind == SL_NODE_DOMAIN ? n->own_level : n->level;
	return l >= 0 ? sl_criticality_name(&m->crit, l) : NULL;
}

int sl_impact_render_text(sl_buf *out, const sl_impact *im)
{
	const sl_map *m = im->map;
	int rc = sl_buf_printf(out, "impact of %s\n", im->subject);
	bool reached = false;
	for (size_t i = 0; !rc && i < im->n; i++) {
		const sl_impact_item *it = &im->items[i];
		const sl_map_node *n = &m->nodes[it->node];
		const char *lvl = level_name(m, n);
		if (it->depth == 0) {
			rc = sl_buf_printf(out, "  changes: %s\n", it->cause ? it->cause : n->name);
			continue;
		}
		if (!reached && (rc = sl_buf_puts(out, "\n")))
			break;
		reached = true;
		const char *tag = it->declared                       ? "declared"
				  : it->effect == SL_EFFECT_BREAKS   ? "BREAKS"
				  : it->effect == SL_EFFECT_AFFECTED ? "affected"
								     : "reached";
		rc = sl_buf_printf(out, "  %-9s %s %s", tag, sl_node_kind_name(n->kind), n->name);
		if (!rc && lvl)
			rc = sl_buf_printf(out, " [%s%s%s]", lvl, n->owner ? ", owner " : "",
					   n->owner ? n->owner : "");
		if (!rc)
			rc = sl_buf_puts(out, ": ");
		if (!rc)
			rc = how(out, m, it);
		if (!rc && it->declared && it->ticket)
			rc = sl_buf_printf(out, " (declared, ticket %s)", it->ticket);
		if (!rc)
			rc = sl_buf_putc(out, '\n');
	}
	if (!rc)
		rc = sl_buf_printf(out, "\nbreaks: %zu, affected: %zu; most critical reached: %s\n",
				   im->nbreaks, im->naffected,
				   im->worst_level >= 0 ? sl_criticality_name(&m->crit, im->worst_level)
							: "none");
	return rc;
}

static int cell(sl_buf *out, const char *s)
{
	int rc = 0;
	for (; !rc && s && *s; s++)
		rc = *s == '|' ? sl_buf_puts(out, "\\|") : sl_buf_putc(out, *s == '\n' ? ' ' : *s);
	return rc;
}

int sl_impact_render_md(sl_buf *out, const sl_impact *im)
{
	const sl_map *m = im->map;
	sl_buf h = SL_BUF_INIT;
	int rc = sl_buf_puts(out, "## Impact of ");
	if (!rc)
		rc = cell(out, im->subject);
	if (!rc)
		rc = sl_buf_puts(out, "\n\n**What changes**\n\n");
	for (size_t i = 0; !rc && i < im->n; i++)
		if (im->items[i].depth == 0) {
			rc = sl_buf_puts(out, "- ");
			if (!rc)
				rc = cell(out, im->items[i].cause ? im->items[i].cause
								  : m->nodes[im->items[i].node].name);
			if (!rc)
				rc = sl_buf_putc(out, '\n');
		}
	if (!rc)
		rc = sl_buf_puts(out,
				 "\n**What it reaches**\n\n| Effect | What | Criticality | Owner | How |\n"
				 "|---|---|---|---|---|\n");
	for (size_t i = 0; !rc && i < im->n; i++) {
		const sl_impact_item *it = &im->items[i];
		const sl_map_node *n = &m->nodes[it->node];
		const char *lvl = level_name(m, n);
		if (it->depth == 0)
			continue;
		sl_buf_clear(&h);
		rc = how(&h, m, it);
		if (!rc)
			rc = sl_buf_printf(out, "| %s | %s **",
					   it->declared ? "breaks (declared)" : sl_effect_name(it->effect),
					   sl_node_kind_name(n->kind));
		if (!rc)
			rc = cell(out, n->name);
		if (!rc)
			rc = sl_buf_printf(out, "** | %s | ", lvl ? lvl : "-");
		if (!rc)
			rc = cell(out, n->owner ? n->owner : "-");
		if (!rc)
			rc = sl_buf_puts(out, " | ");
		if (!rc)
			rc = cell(out, sl_buf_cstr(&h));
		if (!rc && it->ticket) {
			rc = sl_buf_puts(out, " (ticket ");
			if (!rc)
				rc = cell(out, it->ticket);
			if (!rc)
				rc = sl_buf_putc(out, ')');
		}
		if (!rc)
			rc = sl_buf_puts(out, " |\n");
	}
	if (!rc)
		rc = sl_buf_printf(out, "\nBreaks: %zu, affected: %zu; most critical reached: %s.\n",
				   im->nbreaks, im->naffected,
				   im->worst_level >= 0 ? sl_criticality_name(&m->crit, im->worst_level)
							: "none");
	sl_buf_free(&h);
	return rc;
}

int sl_impact_render_json(sl_buf *out, const sl_impact *im)
{
	const sl_map *m = im->map;
	json_t *root = json_object(), *changes = json_array(), *reached = json_array();
	sl_buf h = SL_BUF_INIT;
	int rc = root && changes && reached ? 0 : sl_error_nomem();
	for (size_t i = 0; !rc && i < im->n; i++) {
		const sl_impact_item *it = &im->items[i];
		const sl_map_node *n = &m->nodes[it->node];
		const char *lvl = level_name(m, n);
		json_t *o = json_object();
		json_object_set_new(o, "id", json_string(n->id));
		json_object_set_new(o, "kind", json_string(sl_node_kind_name(n->kind)));
		json_object_set_new(o, "name", json_string(n->name));
		json_object_set_new(o, "effect", json_string(sl_effect_name(it->effect)));
		if (it->depth == 0) {
			json_object_set_new(o, "cause", it->cause ? json_string(it->cause) : json_null());
			json_array_append_new(changes, o);
			continue;
		}
		sl_buf_clear(&h);
		rc = how(&h, m, it);
		json_object_set_new(o, "criticality", lvl ? json_string(lvl) : json_null());
		json_object_set_new(o, "owner", n->owner ? json_string(n->owner) : json_null());
		json_object_set_new(o, "depth", json_integer(it->depth));
		json_object_set_new(o, "via", it->via >= 0 ? json_string(m->nodes[it->via].id) : json_null());
		json_object_set_new(o, "how", json_string(sl_buf_cstr(&h)));
		json_object_set_new(o, "declared", json_boolean(it->declared));
		json_object_set_new(o, "ticket", it->ticket ? json_string(it->ticket) : json_null());
		json_array_append_new(reached, o);
	}
	json_object_set_new(root, "format", json_string("sluice-impact/1"));
	json_object_set_new(root, "subject", json_string(im->subject));
	json_object_set_new(root, "changes", changes);
	json_object_set_new(root, "reached", reached);
	json_object_set_new(root, "breaks", json_integer((json_int_t)im->nbreaks));
	json_object_set_new(root, "affected", json_integer((json_int_t)im->naffected));
	json_object_set_new(root, "worst",
			    im->worst_level >= 0 ? json_string(sl_criticality_name(&m->crit, im->worst_level))
						 : json_null());
	char *text = rc ? NULL : json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!rc && !text)
		rc = sl_error_nomem();
	if (!rc && !(rc = sl_buf_puts(out, text)))
		rc = sl_buf_putc(out, '\n');
	free(text);
	json_decref(root);
	sl_buf_free(&h);
	return rc;
}
