/*
 * schema_md.c - the Markdown "data map" (sluice inspect --format md).
 *
 * Written for readers who do not write SQL: every table with what it holds in
 * plain words, how many rows it has, what it links to and what links to it,
 * the rules a row must follow, the views that read it and the automatic
 * actions (triggers) on it, plus a Mermaid diagram that renders on common
 * Markdown hosts. Characters that would break a Markdown table are escaped.
 */
#include "sluice/report.h"
#include "sluice/util.h"

#include <ctype.h>
#include <inttypes.h>
#include <string.h>

/* Writes s with '|' and newlines made safe for a table cell. */
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

/* Mermaid entity names: letters, digits, '_' and '-' only. */
static int mermaid_name(sl_buf *out, const char *s)
{
	int rc = 0;
	for (; !rc && *s; s++)
		rc = sl_buf_putc(out, isalnum((unsigned char)*s) || *s == '_' || *s == '-' ? *s : '_');
	return rc;
}

static int plain_type(sl_buf *out, const sl_type *t)
{
	switch (t->kind) {
	case SL_T_BOOL:
		return sl_buf_puts(out, "yes/no");
	case SL_T_INT16:
	case SL_T_INT32:
	case SL_T_INT64:
		return sl_buf_puts(out, "whole number");
	case SL_T_FLOAT32:
	case SL_T_FLOAT64:
		return sl_buf_puts(out, "approximate number");
	case SL_T_DECIMAL:
		if (t->scale > 0)
			return sl_buf_printf(out, "exact number with %d decimals", t->scale);
		return sl_buf_puts(out, "exact number");
	case SL_T_CHAR:
		return sl_buf_printf(out, "text of %d characters", t->length);
	case SL_T_VARCHAR:
		return sl_buf_printf(out, "text (up to %d characters)", t->length);
	case SL_T_TEXT:
		return sl_buf_puts(out, "text");
	case SL_T_BLOB:
		return sl_buf_puts(out, "binary data (files, images)");
	case SL_T_DATE:
		return sl_buf_puts(out, "date");
	case SL_T_TIME:
		return sl_buf_puts(out, "time of day");
	case SL_T_TIMESTAMP:
		return sl_buf_puts(out, "date and time");
	case SL_T_TIMESTAMPTZ:
		return sl_buf_puts(out, "date and time (exact instant, time-zone aware)");
	case SL_T_INTERVAL:
		return sl_buf_puts(out, "duration");
	case SL_T_UUID:
		return sl_buf_puts(out, "unique identifier (UUID)");
	case SL_T_JSON:
		return sl_buf_puts(out, "structured data (JSON)");
	case SL_T_ENUM:
	case SL_T_SET: {
		int rc = sl_buf_puts(out, t->kind == SL_T_SET ? "any of: " : "one of: ");
		for (size_t i = 0; !rc && i < t->nlabels; i++)
			rc = sl_buf_printf(out, "%s%s", i ? ", " : "", t->labels[i]);
		if (!rc && !t->nlabels && t->elem)
			rc = sl_buf_printf(out, "values of %s", t->elem);
		return rc;
	}
	case SL_T_ARRAY:
		return sl_buf_printf(out, "list of %s", t->elem ? t->elem : "values");
	case SL_T_GEOMETRY:
		return sl_buf_puts(out, "location or shape");
	default:
		return sl_buf_puts(out, "other");
	}
}

static const sl_fkey *fk_of(const sl_table *t, const char *col)
{
	for (size_t i = 0; i < t->nfkeys; i++)
		if (t->fkeys[i].ncolumns == 1 && strcmp(t->fkeys[i].columns[0], col) == 0)
			return &t->fkeys[i];
	return NULL;
}

static int rows_text(sl_buf *out, const sl_table *t)
{
	if (t->row_count < 0)
		return sl_buf_puts(out, "?");
	return sl_buf_printf(out, "%s%" PRId64, t->row_count_exact ? "" : "about ", t->row_count);
}

/* Names of tables whose foreign keys point at t. */
static int linked_from(sl_buf *out, const sl_schema *s, const sl_table *t)
{
	int rc = 0, n = 0;
	for (size_t i = 0; !rc && i < s->ntables; i++) {
		const sl_table *o = &s->tables[i];
		for (size_t j = 0; !rc && j < o->nfkeys; j++) {
			if (strcmp(o->fkeys[j].ref_table, t->name) != 0)
				continue;
			rc = sl_buf_printf(out, "%s%s", n++ ? ", " : "", o->name);
			break;
		}
	}
	return rc ? rc : (n ? 0 : sl_buf_puts(out, "-"));
}

static int links_to(sl_buf *out, const sl_table *t)
{
	int rc = 0, n = 0;
	for (size_t i = 0; !rc && i < t->nfkeys; i++) {
		bool dup = false;
		for (size_t j = 0; j < i; j++)
			dup |= strcmp(t->fkeys[j].ref_table, t->fkeys[i].ref_table) == 0;
		if (!dup)
			rc = sl_buf_printf(out, "%s%s", n++ ? ", " : "", t->fkeys[i].ref_table);
	}
	return rc ? rc : (n ? 0 : sl_buf_puts(out, "-"));
}

static int glance(sl_buf *out, const sl_schema *s)
{
	int rc = sl_buf_puts(
		out, "## At a glance\n\n| Table | Rows | Links to | Linked from |\n|---|---:|---|---|\n");
	for (size_t i = 0; !rc && i < s->ntables; i++) {
		const sl_table *t = &s->tables[i];
		rc = sl_buf_puts(out, "| [");
		if (!rc)
			rc = cell(out, t->name);
		if (!rc)
			rc = sl_buf_puts(out, "](#table-");
		if (!rc)
			rc = mermaid_name(out, t->name);
		if (!rc)
			rc = sl_buf_puts(out, ") | ");
		if (!rc)
			rc = rows_text(out, t);
		if (!rc)
			rc = sl_buf_puts(out, " | ");
		if (!rc)
			rc = links_to(out, t);
		if (!rc)
			rc = sl_buf_puts(out, " | ");
		if (!rc)
			rc = linked_from(out, s, t);
		if (!rc)
			rc = sl_buf_puts(out, " |\n");
	}
	return rc ? rc : sl_buf_putc(out, '\n');
}

static int diagram(sl_buf *out, const sl_schema *s)
{
	int rc = sl_buf_puts(out, "## How the tables connect\n\n```mermaid\nerDiagram\n");
	for (size_t i = 0; !rc && i < s->ntables; i++) {
		const sl_table *t = &s->tables[i];
		if (!t->nfkeys) {
			rc = sl_buf_puts(out, "    ");
			if (!rc)
				rc = mermaid_name(out, t->name);
			if (!rc)
				rc = sl_buf_puts(out, " {\n    }\n");
		}
		for (size_t j = 0; !rc && j < t->nfkeys; j++) {
			const sl_fkey *f = &t->fkeys[j];
			const sl_column *c = f->ncolumns ? sl_table_find_column(t, f->columns[0]) : NULL;
			rc = sl_buf_puts(out, "    ");
			if (!rc)
				rc = mermaid_name(out, f->ref_table);
			if (!rc)
				rc = sl_buf_puts(out, c && c->nullable ? " |o--o{ " : " ||--o{ ");
			if (!rc)
				rc = mermaid_name(out, t->name);
			if (!rc)
				rc = sl_buf_printf(out, " : \"%s\"\n", f->ncolumns ? f->columns[0] : "");
		}
	}
	return rc ? rc : sl_buf_puts(out, "```\n\n");
}

static int fk_sentence(sl_buf *out, const sl_table *t, const sl_fkey *f)
{
	int rc = sl_buf_printf(out, "- Each row points to one row of **%s** through `", f->ref_table);
	for (size_t i = 0; !rc && i < f->ncolumns; i++)
		rc = sl_buf_printf(out, "%s%s", i ? "`, `" : "", f->columns[i]);
	if (!rc)
		rc = sl_buf_puts(out, "`. ");
	if (rc)
		return rc;
	switch (f->on_delete) {
	case SL_FK_CASCADE:
		rc = sl_buf_printf(out, "Deleting that %s row also deletes these rows.\n", f->ref_table);
		break;
	case SL_FK_SET_NULL:
		rc = sl_buf_printf(out, "Deleting that %s row clears the link here.\n", f->ref_table);
		break;
	case SL_FK_SET_DEFAULT:
		rc = sl_buf_printf(out, "Deleting that %s row resets the link here to its default.\n",
				   f->ref_table);
		break;
	default:
		rc = sl_buf_printf(out, "A %s row cannot be deleted while rows here point to it.\n",
				   f->ref_table);
	}
	(void)t;
	return rc;
}

/* One row of a table's field list: the name, what it holds, whether required, and notes in plain words. */
static int column_row(sl_buf *out, const sl_table *t, const sl_column *c)
{
	bool pk = t->primary_key && sl_str_in(c->name, t->primary_key->columns, t->primary_key->ncolumns);
	bool uq = false;
	for (size_t j = 0; j < t->nuniques; j++)
		uq |= t->uniques[j].ncolumns == 1 && strcmp(t->uniques[j].columns[0], c->name) == 0;
	const sl_fkey *f = fk_of(t, c->name);
	int rc = sl_buf_puts(out, "| `");
	if (!rc)
		rc = cell(out, c->name);
	if (!rc)
		rc = sl_buf_puts(out, "` | ");
	if (!rc)
		rc = plain_type(out, &c->type);
	if (!rc)
		rc = sl_buf_printf(out, " | %s | ", c->nullable && !pk ? "no" : "yes");
	const char *sep = "";
	if (!rc && pk) {
		rc = sl_buf_puts(out, "identifies the row");
		sep = "; ";
	}
	if (!rc && c->identity) {
		rc = sl_buf_printf(out, "%snumbered automatically", sep);
		sep = "; ";
	}
	if (!rc && uq) {
		rc = sl_buf_printf(out, "%sno two rows share it", sep);
		sep = "; ";
	}
	if (!rc && f) {
		rc = sl_buf_printf(out, "%slinks to %s", sep, f->ref_table);
		sep = "; ";
	}
	if (!rc && c->generated_expr) {
		rc = sl_buf_printf(out, "%scomputed from other fields", sep);
		sep = "; ";
	}
	if (!rc && c->default_expr && !c->identity) {
		rc = sl_buf_printf(out, "%sdefault ", sep);
		if (!rc)
			rc = cell(out, c->default_expr);
		sep = "; ";
	}
	if (!rc && c->on_update) {
		rc = sl_buf_printf(out, "%sset to the time of each change", sep);
		sep = "; ";
	}
	if (!rc && c->comment) {
		rc = sl_buf_puts(out, sep);
		if (!rc)
			rc = cell(out, c->comment);
	}
	if (!rc)
		rc = sl_buf_puts(out, " |\n");
	return rc;
}

static int table_section(sl_buf *out, const sl_schema *s, const sl_table *t, const sl_report_md_opts *o)
{
	int rc = sl_buf_puts(out, "<a id=\"table-");
	if (!rc)
		rc = mermaid_name(out, t->name);
	if (!rc)
		rc = sl_buf_printf(out, "\"></a>\n### %s\n\n", t->name);
	if (!rc)
		rc = sl_buf_puts(out, "Rows: ");
	if (!rc)
		rc = rows_text(out, t);
	if (!rc && t->comment)
		rc = sl_buf_printf(out, ". %s", t->comment);
	if (!rc)
		rc = sl_buf_puts(out,
				 "\n\n| Field | What it holds | Required | Notes |\n|---|---|---|---|\n");
	for (size_t i = 0; !rc && i < t->ncolumns; i++)
		rc = column_row(out, t, &t->columns[i]);
	if (!rc && (t->nfkeys || t->nchecks || t->nuniques))
		rc = sl_buf_puts(out, "\n**Rules and links**\n\n");
	for (size_t i = 0; !rc && i < t->nfkeys; i++)
		rc = fk_sentence(out, t, &t->fkeys[i]);
	for (size_t i = 0; !rc && i < t->nuniques; i++) {
		if (t->uniques[i].ncolumns < 2)
			continue;
		rc = sl_buf_puts(out, "- No two rows share the same combination of `");
		for (size_t j = 0; !rc && j < t->uniques[i].ncolumns; j++)
			rc = sl_buf_printf(out, "%s%s", j ? "`, `" : "", t->uniques[i].columns[j]);
		if (!rc)
			rc = sl_buf_puts(out, "`.\n");
	}
	for (size_t i = 0; !rc && i < t->nchecks; i++) {
		rc = sl_buf_puts(out, "- Every row must satisfy `");
		if (!rc)
			rc = cell(out, t->checks[i].expr);
		if (!rc)
			rc = sl_buf_puts(out, "`.\n");
	}
	for (size_t i = 0; !rc && i < s->ntriggers; i++) {
		const sl_trigger *g = &s->triggers[i];
		if (g->table && strcmp(g->table, t->name) == 0)
			rc = sl_buf_printf(out, "- Automatic action **%s** runs %s each %s.\n", g->name,
					   g->timing ? g->timing : "on", g->events ? g->events : "change");
	}
	if (!rc && o->table_note) {
		if (!(rc = sl_buf_putc(out, '\n')))
			rc = o->table_note(o->ud, out, t);
	}
	return rc ? rc : sl_buf_putc(out, '\n');
}

static int views_section(sl_buf *out, const sl_schema *s)
{
	if (!s->nviews)
		return 0;
	int rc = sl_buf_puts(out, "## Views (saved queries that reports read)\n\n");
	for (size_t i = 0; !rc && i < s->nviews; i++) {
		const sl_view *v = &s->views[i];
		rc = sl_buf_printf(out, "- **%s** reads ", v->name);
		const char *last = NULL;
		for (size_t j = 0; !rc && j < v->nreads; j++) {
			const sl_view_dep *d = &v->reads[j];
			bool same = last && strcmp(last, d->table) == 0;
			if (!same)
				rc = sl_buf_printf(out, "%s**%s**", last ? "), " : "", d->table);
			if (!rc && d->column)
				rc = sl_buf_printf(out, "%s`%s`", same ? ", " : " (", d->column);
			else if (!rc && !same)
				rc = sl_buf_puts(out, " (");
			last = d->table;
		}
		if (!rc)
			rc = sl_buf_puts(out, v->nreads ? ")\n" : "nothing sluice could trace\n");
	}
	return rc ? rc : sl_buf_putc(out, '\n');
}

int sl_report_schema_md(sl_buf *out, const sl_schema *s, const char *title)
{
	sl_report_md_opts o = { .title = title, .body_only = false, .table_note = NULL, .ud = NULL };
	return sl_report_schema_md_ext(out, s, &o);
}

int sl_report_schema_md_ext(sl_buf *out, const sl_schema *s, const sl_report_md_opts *o)
{
	int64_t total = 0;
	const char *title = o->title;
	for (size_t i = 0; i < s->ntables; i++)
		total += s->tables[i].row_count > 0 ? s->tables[i].row_count : 0;
	int rc = o->body_only ? 0
			      : sl_buf_printf(out, "# Data map: %s\n\n",
					      title ? title : (s->database ? s->database : "database"));
	if (!rc && !o->body_only)
		rc = sl_buf_printf(out,
				   "A %s database (%s) with %zu tables holding %" PRId64
				   " rows, %zu views and %zu automatic actions (triggers).\n\n",
				   sl_engine_name(s->engine), s->server_version ? s->server_version : "",
				   s->ntables, total, s->nviews, s->ntriggers);
	if (!rc)
		rc = glance(out, s);
	if (!rc && s->ntables)
		rc = diagram(out, s);
	if (!rc)
		rc = sl_buf_puts(out, "## Tables\n\n");
	for (size_t i = 0; !rc && i < s->ntables; i++)
		rc = table_section(out, s, &s->tables[i], o);
	if (!rc)
		rc = views_section(out, s);
	return rc;
}
