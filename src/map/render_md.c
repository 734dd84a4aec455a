/*
 * render_md.c - the data map in Markdown, for people who sign off on
 * changes and do not write SQL: who uses the data and how much it matters,
 * the business areas, one diagram of how it all connects, the objects
 * nobody explains, then every table in plain words (the inspect data map,
 * src/report/schema_md.c) with who uses it, its area and the migrations
 * that made it. Cells are escaped so names cannot break a table.
 */
#include "sluice/map.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"
#include "sluice/report.h"

static int cell(sl_buf *out, const char *s)
{
	int rc = 0;
	for (; !rc && s && *s; s++) {
		if (*s == '|')
			rc = sl_buf_puts(out, "\\|");
		else if (*s == '\n' || *s == '\r')
			rc = sl_buf_putc(out, ' ');
		else
			rc = sl_buf_putc(out, *s);
	}
	return rc;
}

static long node_of(const sl_map *m, const char *kind, const char *name)
{
	char id[400];
	snprintf(id, sizeof(id), "%s:%s", kind, name);
	return sl_map_find(m, id);
}

/* The table or view node an edge target stands for (a column stands for its table). */
static long box(const sl_map *m, size_t i)
{
	const sl_map_node *n = &m->nodes[i];
	return n->kind == SL_NODE_COLUMN ? node_of(m, "table", n->table) : (long)i;
}

/* "reads **invoices** (`total`, `status`), **customers** (all of it); writes **payments** (whole rows)". */
static int uses(sl_buf *out, const sl_map *m, const sl_map_node *c)
{
	int rc = 0;
	bool any = false;
	for (sl_edge_kind k = SL_EDGE_READS; !rc && k <= SL_EDGE_WRITES; k++) {
		long open = -1; /* the box whose column list is open */
		bool first = true;
		for (size_t i = 0; !rc && i < c->nout; i++) {
			const sl_map_edge *e = &m->edges[c->out[i]];
			if (e->kind != k)
				continue;
			const sl_map_node *t = &m->nodes[e->to];
			long b = box(m, e->to);
			bool col = t->kind == SL_NODE_COLUMN;
			if (first)
				rc = sl_buf_printf(out, "%s%s ", any ? "; " : "",
						   k == SL_EDGE_READS ? "reads" : "writes");
			if (!rc && col && b == open) {
				rc = sl_buf_puts(out, ", `");
			} else if (!rc) {
				if (open >= 0)
					rc = sl_buf_putc(out, ')');
				if (!rc)
					rc = sl_buf_printf(out, "%s**", first ? "" : ", ");
				if (!rc)
					rc = cell(out, b >= 0 && col ? m->nodes[b].name : t->name);
				if (!rc)
					rc = sl_buf_puts(out, col                       ? "** (`"
							      : t->kind == SL_NODE_VIEW ? "** (view)"
							      : k == SL_EDGE_WRITES     ? "** (whole rows)"
											: "** (all of it)");
				open = col ? b : -1;
			}
			if (!rc && col) {
				rc = cell(out, t->name + strlen(t->table) + 1);
				if (!rc)
					rc = sl_buf_putc(out, '`');
			}
			first = false;
			any = true;
		}
		if (!rc && open >= 0)
			rc = sl_buf_putc(out, ')');
	}
	return rc ? rc : any ? 0 : sl_buf_puts(out, "nothing sluice could trace");
}

static int consumers_section(sl_buf *out, const sl_map *m)
{
	int rc = 0;
	size_t n = 0;
	for (size_t i = 0; i < m->n; i++)
		n += m->nodes[i].kind == SL_NODE_CONSUMER;
	if (!n)
		return sl_buf_puts(
			out,
			"## Who uses the data\n\nNo consumers are declared in sluice.yaml (\"consumers\"): "
			"add the reports, jobs and services that read or write this database so that "
			"changes can be checked against them.\n\n");
	rc = sl_buf_puts(out, "## Who uses the data\n\n| Consumer | Owner | Criticality | What it uses |\n"
			      "|---|---|---|---|\n");
	for (size_t i = 0; !rc && i < m->n; i++) {
		const sl_map_node *c = &m->nodes[i];
		if (c->kind != SL_NODE_CONSUMER)
			continue;
		rc = sl_buf_puts(out, "| **");
		if (!rc)
			rc = cell(out, c->name);
		if (!rc)
			rc = sl_buf_puts(out, "**");
		if (!rc && c->detail) {
			rc = sl_buf_puts(out, ": ");
			if (!rc)
				rc = cell(out, c->detail);
		}
		if (!rc)
			rc = sl_buf_puts(out, " | ");
		if (!rc)
			rc = cell(out, c->owner ? c->owner : "-");
		if (!rc)
			rc = sl_buf_printf(out, " | %s%s | ", sl_criticality_name(&m->crit, c->own_level),
					   sl_criticality_blocks(&m->crit, c->own_level)
						   ? " (sign-off needed)"
						   : "");
		if (!rc)
			rc = uses(out, m, c);
		if (!rc)
			rc = sl_buf_puts(out, " |\n");
	}
	return rc ? rc : sl_buf_putc(out, '\n');
}

static int domains_section(sl_buf *out, const sl_map *m)
{
	int rc = 0;
	bool header = false;
	for (size_t i = 0; !rc && i < m->n; i++) {
		const sl_map_node *d = &m->nodes[i];
		if (d->kind != SL_NODE_DOMAIN)
			continue;
		if (!header) {
			rc = sl_buf_puts(out, "## Business areas\n\n| Area | Owner | Criticality | Tables |\n"
					      "|---|---|---|---|\n");
			header = true;
		}
		if (!rc)
			rc = sl_buf_puts(out, "| **");
		if (!rc)
			rc = cell(out, d->name);
		if (!rc)
			rc = sl_buf_puts(out, "**");
		if (!rc && d->detail) {
			rc = sl_buf_puts(out, ": ");
			if (!rc)
				rc = cell(out, d->detail);
		}
		if (!rc)
			rc = sl_buf_puts(out, " | ");
		if (!rc)
			rc = cell(out, d->owner ? d->owner : "-");
		if (!rc)
			rc = sl_buf_printf(out, " | %s | ",
					   d->own_level >= 0 ? sl_criticality_name(&m->crit, d->own_level)
							     : "-");
		for (size_t k = 0, first = 1; !rc && k < d->nout; k++) {
			const sl_map_edge *e = &m->edges[d->out[k]];
			if (e->kind != SL_EDGE_GROUPS)
				continue;
			rc = sl_buf_puts(out, first ? "" : ", ");
			if (!rc)
				rc = cell(out, m->nodes[e->to].name);
			first = 0;
		}
		if (!rc)
			rc = sl_buf_puts(out, " |\n");
	}
	return rc || !header ? rc : sl_buf_putc(out, '\n');
}

static int unowned_section(sl_buf *out, const sl_map *m)
{
	int rc = sl_buf_puts(out, "## Objects nobody explains\n\n");
	if (!rc && !m->nunowned)
		return sl_buf_puts(out,
				   "Every table, view, trigger and index is used by a declared consumer or "
				   "named by a migration.\n\n");
	if (!rc)
		rc = sl_buf_puts(out,
				 "No declared consumer uses these and no migration names them: find out who "
				 "needs them before anything moves.\n\n");
	for (size_t i = 0; !rc && i < m->n; i++) {
		const sl_map_node *n = &m->nodes[i];
		if (!n->unowned)
			continue;
		rc = sl_buf_printf(out, "- %s **", sl_node_kind_name(n->kind));
		if (!rc)
			rc = cell(out, n->name);
		if (!rc)
			rc = sl_buf_puts(out, "**\n");
	}
	return rc ? rc : sl_buf_putc(out, '\n');
}

/* ---- per-table notes ------------------------------------------------------------------ */

typedef struct note_ctx {
	const sl_map *m;
	bool *seen;
} note_ctx;

/* Consumers that use table t, directly or through views (each once), into list. */
static void users(const sl_map *m, size_t t, bool *seen, size_t *list, size_t *n)
{
	const sl_map_node *tn = &m->nodes[t];
	for (size_t k = 0; k < tn->nin; k++) {
		const sl_map_edge *e = &m->edges[tn->in[k]];
		size_t f = e->from;
		if (e->kind == SL_EDGE_COLUMN_OF) {
			users(m, f, seen, list, n);
			continue;
		}
		if ((e->kind != SL_EDGE_READS && e->kind != SL_EDGE_WRITES) || seen[f])
			continue;
		seen[f] = true;
		if (m->nodes[f].kind == SL_NODE_CONSUMER)
			list[(*n)++] = f;
		else if (m->nodes[f].kind == SL_NODE_VIEW)
			users(m, f, seen, list, n);
	}
}

static int table_note(void *ud, sl_buf *out, const sl_table *t)
{
	note_ctx *x = ud;
	const sl_map *m = x->m;
	long ti = node_of(m, "table", t->name);
	size_t *list = NULL, n = 0;
	int rc = 0;
	if (ti < 0)
		return 0;
	const sl_map_node *tn = &m->nodes[ti];
	if (!(list = calloc(m->n + 1, sizeof(*list))))
		return sl_error_nomem();
	memset(x->seen, 0, m->n * sizeof(bool));
	users(m, (size_t)ti, x->seen, list, &n);
	if (tn->level >= 0)
		rc = sl_buf_printf(out, "- Importance: **%s**\n", sl_criticality_name(&m->crit, tn->level));
	for (size_t k = 0; !rc && k < tn->nin; k++) {
		const sl_map_edge *e = &m->edges[tn->in[k]];
		if (e->kind != SL_EDGE_GROUPS)
			continue;
		rc = sl_buf_puts(out, "- Business area: ");
		if (!rc)
			rc = cell(out, m->nodes[e->from].name);
		if (!rc)
			rc = sl_buf_putc(out, '\n');
	}
	if (!rc)
		rc = sl_buf_puts(out, n ? "- Used by: " : "- Used by: no declared consumer\n");
	for (size_t i = 0; !rc && i < n; i++) {
		const sl_map_node *c = &m->nodes[list[i]];
		rc = sl_buf_printf(out, "%s**", i ? "; " : "");
		if (!rc)
			rc = cell(out, c->name);
		if (!rc)
			rc = sl_buf_printf(out, "** (%s", sl_criticality_name(&m->crit, c->own_level));
		if (!rc && c->owner) {
			rc = sl_buf_puts(out, ", ");
			if (!rc)
				rc = cell(out, c->owner);
		}
		if (!rc)
			rc = sl_buf_putc(out, ')');
	}
	if (!rc && n)
		rc = sl_buf_putc(out, '\n');
	bool first = true;
	for (size_t k = 0; !rc && k < tn->nin; k++) {
		const sl_map_edge *e = &m->edges[tn->in[k]];
		if (e->kind != SL_EDGE_NAMES)
			continue;
		const sl_map_node *g = &m->nodes[e->from];
		rc = sl_buf_puts(out, first ? "- Created or changed by: " : "; ");
		if (!rc)
			rc = sl_buf_printf(out, "%s", g->name);
		if (!rc && g->detail) {
			rc = sl_buf_puts(out, " (");
			if (!rc)
				rc = cell(out, g->detail);
			if (!rc)
				rc = sl_buf_putc(out, ')');
		}
		first = false;
	}
	if (!rc && !first)
		rc = sl_buf_putc(out, '\n');
	if (!rc && tn->unowned)
		rc = sl_buf_puts(
			out,
			"- Nobody explains it: no declared consumer uses it and no migration names it\n");
	free(list);
	return rc;
}

int sl_map_render_md(sl_buf *out, const sl_map *m, const sl_schema *s)
{
	size_t per[SL_NODE__COUNT] = { 0 };
	note_ctx x = { .m = m, .seen = calloc(m->n + 1, sizeof(bool)) };
	int rc = x.seen ? 0 : sl_error_nomem();
	for (size_t i = 0; i < m->n; i++)
		per[m->nodes[i].kind]++;
	if (!rc)
		rc = sl_buf_puts(out, "# Data map: ");
	if (!rc)
		rc = cell(out, m->title);
	if (!rc)
		rc = sl_buf_printf(out,
				   "\n\nA %s database with %zu table%s, %zu view%s and %zu automatic "
				   "action%s (triggers), used by "
				   "%zu declared consumer%s in %zu business area%s.\n\nCriticality, most "
				   "critical first: ",
				   m->engine, per[SL_NODE_TABLE], per[SL_NODE_TABLE] == 1 ? "" : "s",
				   per[SL_NODE_VIEW], per[SL_NODE_VIEW] == 1 ? "" : "s", per[SL_NODE_TRIGGER],
				   per[SL_NODE_TRIGGER] == 1 ? "" : "s", per[SL_NODE_CONSUMER],
				   per[SL_NODE_CONSUMER] == 1 ? "" : "s", per[SL_NODE_DOMAIN],
				   per[SL_NODE_DOMAIN] == 1 ? "" : "s");
	for (size_t i = 0; !rc && i < m->crit.nlevels; i++)
		rc = sl_buf_printf(out, "%s%s%s", i ? ", " : "", m->crit.levels[i],
				   m->crit.blocking[i] ? "*" : "");
	if (!rc)
		rc = sl_buf_puts(out, " (* a change that breaks a consumer at this level needs its owner's "
				      "sign-off).\n\n");
	if (!rc)
		rc = consumers_section(out, m);
	if (!rc)
		rc = domains_section(out, m);
	if (!rc)
		rc = sl_buf_puts(
			out, "## How it all connects\n\nDotted arrows read, thick arrows write, plain arrows "
			     "are links between tables.\n\n```mermaid\n");
	if (!rc)
		rc = sl_map_render_mermaid(out, m);
	if (!rc)
		rc = sl_buf_puts(out, "```\n\n");
	if (!rc)
		rc = unowned_section(out, m);
	if (!rc && s) {
		sl_report_md_opts o = {
			.title = m->title, .body_only = true, .table_note = table_note, .ud = &x
		};
		rc = sl_report_schema_md_ext(out, s, &o);
	}
	free(x.seen);
	return rc;
}
