/*
 * schema_text.c - the terminal rendering of a schema model (sluice inspect).
 */
#include "sluice/report.h"

#include <inttypes.h>
#include <string.h>

static int put_cols(sl_buf *out, const char *const *cols, size_t n)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < n; i++)
		rc = sl_buf_printf(out, "%s%s", i ? ", " : "", cols[i]);
	return rc;
}

static int column_line(sl_buf *out, const sl_table *t, const sl_column *c)
{
	int rc = sl_buf_printf(out, "    %-24s ", c->name);
	if (!rc)
		rc = sl_type_format(out, &c->type);
	if (!rc && c->decl_type)
		rc = sl_buf_printf(out, " [%s]", c->decl_type);
	if (!rc && !c->nullable)
		rc = sl_buf_puts(out, " not null");
	if (!rc && c->identity)
		rc = sl_buf_puts(out, " identity");
	if (!rc && c->default_expr)
		rc = sl_buf_printf(out, " default %s", c->default_expr);
	if (!rc && c->generated_expr)
		rc = sl_buf_printf(out, " generated as (%s)%s", c->generated_expr,
				   c->generated_stored ? " stored" : "");
	if (!rc && c->on_update)
		rc = sl_buf_printf(out, " on update %s", c->on_update);
	if (!rc && c->collation)
		rc = sl_buf_printf(out, " collate %s", c->collation);
	(void)t;
	return rc ? rc : sl_buf_putc(out, '\n');
}

static int table_block(sl_buf *out, const sl_table *t)
{
	int rc = sl_buf_printf(out, "table %s", t->name);
	if (!rc && t->row_count >= 0)
		rc = sl_buf_printf(out, " (%s%" PRId64 " rows)", t->row_count_exact ? "" : "~", t->row_count);
	if (!rc && t->collation)
		rc = sl_buf_printf(out, " collate %s", t->collation);
	if (!rc)
		rc = sl_buf_putc(out, '\n');
	for (size_t i = 0; !rc && i < t->ncolumns; i++)
		rc = column_line(out, t, &t->columns[i]);
	if (!rc && t->primary_key) {
		rc = sl_buf_puts(out, "  primary key (");
		if (!rc)
			rc = put_cols(out, t->primary_key->columns, t->primary_key->ncolumns);
		if (!rc)
			rc = sl_buf_puts(out, ")\n");
	}
	for (size_t i = 0; !rc && i < t->nuniques; i++) {
		rc = sl_buf_puts(out, "  unique (");
		if (!rc)
			rc = put_cols(out, t->uniques[i].columns, t->uniques[i].ncolumns);
		if (!rc)
			rc = sl_buf_puts(out, ")\n");
	}
	for (size_t i = 0; !rc && i < t->nfkeys; i++) {
		const sl_fkey *f = &t->fkeys[i];
		rc = sl_buf_puts(out, "  foreign key (");
		if (!rc)
			rc = put_cols(out, f->columns, f->ncolumns);
		if (!rc)
			rc = sl_buf_printf(out, ") -> %s (", f->ref_table);
		if (!rc)
			rc = put_cols(out, f->ref_columns, f->ncolumns);
		if (!rc)
			rc = sl_buf_printf(out, ") on delete %s on update %s%s\n",
					   sl_fk_action_name(f->on_delete), sl_fk_action_name(f->on_update),
					   f->validated ? "" : " not valid");
	}
	for (size_t i = 0; !rc && i < t->nchecks; i++)
		rc = sl_buf_printf(out, "  check %s%s(%s)\n", t->checks[i].name ? t->checks[i].name : "",
				   t->checks[i].name ? " " : "", t->checks[i].expr);
	for (size_t i = 0; !rc && i < t->nindexes; i++) {
		const sl_index *x = &t->indexes[i];
		rc = sl_buf_printf(out, "  %sindex %s (", x->unique ? "unique " : "", x->name ? x->name : "");
		if (!rc)
			rc = put_cols(out, x->columns, x->ncolumns);
		if (!rc)
			rc = sl_buf_putc(out, ')');
		if (!rc && x->method)
			rc = sl_buf_printf(out, " using %s", x->method);
		if (!rc && x->where)
			rc = sl_buf_printf(out, " where %s", x->where);
		if (!rc)
			rc = sl_buf_putc(out, '\n');
	}
	return rc ? rc : sl_buf_putc(out, '\n');
}

int sl_report_schema_text(sl_buf *out, const sl_schema *s)
{
	int rc = sl_buf_printf(out, "%s %s, database %s: %zu tables, %zu views, %zu triggers\n\n",
			       sl_engine_name(s->engine), s->server_version ? s->server_version : "",
			       s->database ? s->database : "", s->ntables, s->nviews, s->ntriggers);
	for (size_t i = 0; !rc && i < s->ntables; i++)
		rc = table_block(out, &s->tables[i]);
	for (size_t i = 0; !rc && i < s->nviews; i++) {
		const sl_view *v = &s->views[i];
		rc = sl_buf_printf(out, "%sview %s reads", v->materialized ? "materialized " : "", v->name);
		for (size_t j = 0; !rc && j < v->nreads; j++)
			rc = sl_buf_printf(out, "%s %s%s%s", j ? "," : "", v->reads[j].table,
					   v->reads[j].column ? "." : "",
					   v->reads[j].column ? v->reads[j].column : "");
		if (!rc)
			rc = sl_buf_putc(out, '\n');
	}
	for (size_t i = 0; !rc && i < s->ntriggers; i++) {
		const sl_trigger *t = &s->triggers[i];
		rc = sl_buf_printf(out, "trigger %s %s %s on %s\n", t->name, t->timing ? t->timing : "",
				   t->events ? t->events : "", t->table ? t->table : "");
	}
	for (size_t i = 0; !rc && i < s->nsequences; i++) {
		const sl_sequence *q = &s->sequences[i];
		rc = sl_buf_printf(out,
				   "sequence %s start %" PRId64 " increment %" PRId64 " last %" PRId64
				   "%s%s%s%s\n",
				   q->name, q->start, q->increment, q->last_value,
				   q->owned_by_table ? " owned by " : "",
				   q->owned_by_table ? q->owned_by_table : "", q->owned_by_column ? "." : "",
				   q->owned_by_column ? q->owned_by_column : "");
	}
	for (size_t i = 0; !rc && i < s->nenums; i++) {
		const sl_enum_type *e = &s->enums[i];
		rc = sl_buf_printf(out, "enum %s (", e->name);
		for (size_t j = 0; !rc && j < e->nlabels; j++)
			rc = sl_buf_printf(out, "%s'%s'", j ? ", " : "", e->labels[j]);
		if (!rc)
			rc = sl_buf_puts(out, ")\n");
	}
	return rc;
}
