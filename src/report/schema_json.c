/*
 * schema_json.c - the JSON rendering of a schema model (sluice inspect
 * --format json), built with jansson. Field names are documented in
 * docs/inspect.md and are a stable interface: add fields, never rename.
 */
#include "sluice/report.h"
#include "sluice/error.h"
#include "sluice/util.h"

#include <jansson.h>
#include <stdlib.h>

/* NULL-safe string: JSON null for a missing value. */
static json_t *jlist(const char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, sl_json_str(v[i]));
	return a;
}

static json_t *jtype(const sl_type *t)
{
	sl_buf b = SL_BUF_INIT;
	json_t *o = json_object();
	if (sl_type_format(&b, t) == 0)
		json_object_set_new(o, "portable", json_string(sl_buf_cstr(&b)));
	sl_buf_free(&b);
	json_object_set_new(o, "kind", json_string(sl_tkind_name(t->kind)));
	if (t->length > 0)
		json_object_set_new(o, "length", json_integer(t->length));
	if (t->kind == SL_T_DECIMAL) {
		json_object_set_new(o, "precision", json_integer(t->precision));
		json_object_set_new(o, "scale", json_integer(t->scale));
	}
	if (t->is_unsigned)
		json_object_set_new(o, "unsigned", json_true());
	if (t->elem)
		json_object_set_new(o, "elem", json_string(t->elem));
	if (t->nlabels)
		json_object_set_new(o, "labels", jlist(t->labels, t->nlabels));
	return o;
}

static json_t *jcolumn(const sl_column *c)
{
	json_t *o = json_object();
	json_object_set_new(o, "name", sl_json_str(c->name));
	json_object_set_new(o, "type", jtype(&c->type));
	json_object_set_new(o, "declared_type", sl_json_str(c->decl_type));
	json_object_set_new(o, "nullable", json_boolean(c->nullable));
	json_object_set_new(o, "default", sl_json_str(c->default_expr));
	json_object_set_new(o, "identity", json_boolean(c->identity));
	if (c->generated_expr) {
		json_object_set_new(o, "generated", sl_json_str(c->generated_expr));
		json_object_set_new(o, "generated_stored", json_boolean(c->generated_stored));
	}
	if (c->collation)
		json_object_set_new(o, "collation", sl_json_str(c->collation));
	if (c->comment)
		json_object_set_new(o, "comment", sl_json_str(c->comment));
	if (c->on_update)
		json_object_set_new(o, "on_update", sl_json_str(c->on_update));
	return o;
}

static json_t *jkey(const sl_key *k)
{
	json_t *o = json_object();
	json_object_set_new(o, "name", sl_json_str(k->name));
	json_object_set_new(o, "columns", jlist(k->columns, k->ncolumns));
	return o;
}

static json_t *jindex(const sl_index *x)
{
	json_t *o = json_object();
	json_object_set_new(o, "name", sl_json_str(x->name));
	json_object_set_new(o, "unique", json_boolean(x->unique));
	json_object_set_new(o, "primary", json_boolean(x->primary));
	json_t *cols = json_array();
	for (size_t i = 0; i < x->ncolumns; i++) {
		bool expr = x->is_expression && x->is_expression[i];
		json_t *c = json_object();
		json_object_set_new(c, expr ? "expression" : "column", sl_json_str(x->columns[i]));
		json_array_append_new(cols, c);
	}
	json_object_set_new(o, "columns", cols);
	json_object_set_new(o, "where", sl_json_str(x->where));
	json_object_set_new(o, "method", sl_json_str(x->method));
	json_object_set_new(o, "definition", sl_json_str(x->definition));
	return o;
}

static json_t *jfkey(const sl_fkey *f)
{
	json_t *o = json_object();
	json_object_set_new(o, "name", sl_json_str(f->name));
	json_object_set_new(o, "columns", jlist(f->columns, f->ncolumns));
	json_object_set_new(o, "ref_schema", sl_json_str(f->ref_schema));
	json_object_set_new(o, "ref_table", sl_json_str(f->ref_table));
	json_object_set_new(o, "ref_columns", jlist(f->ref_columns, f->ncolumns));
	json_object_set_new(o, "on_delete", json_string(sl_fk_action_name(f->on_delete)));
	json_object_set_new(o, "on_update", json_string(sl_fk_action_name(f->on_update)));
	json_object_set_new(o, "deferrable", json_boolean(f->deferrable));
	json_object_set_new(o, "validated", json_boolean(f->validated));
	return o;
}

static json_t *jtable(const sl_table *t)
{
	json_t *o = json_object(), *a;
	json_object_set_new(o, "schema", sl_json_str(t->schema));
	json_object_set_new(o, "name", sl_json_str(t->name));
	json_object_set_new(o, "rows", t->row_count >= 0 ? json_integer(t->row_count) : json_null());
	json_object_set_new(o, "rows_exact", json_boolean(t->row_count_exact));
	if (t->comment)
		json_object_set_new(o, "comment", sl_json_str(t->comment));
	if (t->collation)
		json_object_set_new(o, "collation", sl_json_str(t->collation));
	a = json_array();
	for (size_t i = 0; i < t->ncolumns; i++)
		json_array_append_new(a, jcolumn(&t->columns[i]));
	json_object_set_new(o, "columns", a);
	json_object_set_new(o, "primary_key", t->primary_key ? jkey(t->primary_key) : json_null());
	a = json_array();
	for (size_t i = 0; i < t->nuniques; i++)
		json_array_append_new(a, jkey(&t->uniques[i]));
	json_object_set_new(o, "uniques", a);
	a = json_array();
	for (size_t i = 0; i < t->nindexes; i++)
		json_array_append_new(a, jindex(&t->indexes[i]));
	json_object_set_new(o, "indexes", a);
	a = json_array();
	for (size_t i = 0; i < t->nfkeys; i++)
		json_array_append_new(a, jfkey(&t->fkeys[i]));
	json_object_set_new(o, "foreign_keys", a);
	a = json_array();
	for (size_t i = 0; i < t->nchecks; i++) {
		json_t *c = json_object();
		json_object_set_new(c, "name", sl_json_str(t->checks[i].name));
		json_object_set_new(c, "expression", sl_json_str(t->checks[i].expr));
		json_array_append_new(a, c);
	}
	json_object_set_new(o, "checks", a);
	return o;
}

static json_t *jview(const sl_view *v)
{
	json_t *o = json_object(), *a = json_array();
	json_object_set_new(o, "schema", sl_json_str(v->schema));
	json_object_set_new(o, "name", sl_json_str(v->name));
	json_object_set_new(o, "materialized", json_boolean(v->materialized));
	json_object_set_new(o, "definition", sl_json_str(v->definition));
	for (size_t i = 0; i < v->nreads; i++) {
		json_t *d = json_object();
		json_object_set_new(d, "table", sl_json_str(v->reads[i].table));
		json_object_set_new(d, "column", sl_json_str(v->reads[i].column));
		json_array_append_new(a, d);
	}
	json_object_set_new(o, "reads", a);
	return o;
}

static json_t *jtrigger(const sl_trigger *t)
{
	json_t *o = json_object();
	json_object_set_new(o, "name", sl_json_str(t->name));
	json_object_set_new(o, "table", sl_json_str(t->table));
	json_object_set_new(o, "timing", sl_json_str(t->timing));
	json_object_set_new(o, "events", sl_json_str(t->events));
	json_object_set_new(o, "for_each_row", json_boolean(t->for_each_row));
	json_object_set_new(o, "definition", sl_json_str(t->definition));
	return o;
}

static json_t *jsequence(const sl_sequence *q)
{
	json_t *o = json_object();
	json_object_set_new(o, "name", sl_json_str(q->name));
	json_object_set_new(o, "start", json_integer(q->start));
	json_object_set_new(o, "increment", json_integer(q->increment));
	json_object_set_new(o, "last_value", json_integer(q->last_value));
	json_object_set_new(o, "owned_by_table", sl_json_str(q->owned_by_table));
	json_object_set_new(o, "owned_by_column", sl_json_str(q->owned_by_column));
	return o;
}

int sl_report_schema_json(sl_buf *out, const sl_schema *s)
{
	json_t *root = json_object(), *a;
	if (!root)
		return sl_error_nomem();
	json_object_set_new(root, "engine", json_string(sl_engine_name(s->engine)));
	json_object_set_new(root, "server_version", sl_json_str(s->server_version));
	json_object_set_new(root, "database", sl_json_str(s->database));
	a = json_array();
	for (size_t i = 0; i < s->ntables; i++)
		json_array_append_new(a, jtable(&s->tables[i]));
	json_object_set_new(root, "tables", a);
	a = json_array();
	for (size_t i = 0; i < s->nviews; i++)
		json_array_append_new(a, jview(&s->views[i]));
	json_object_set_new(root, "views", a);
	a = json_array();
	for (size_t i = 0; i < s->ntriggers; i++)
		json_array_append_new(a, jtrigger(&s->triggers[i]));
	json_object_set_new(root, "triggers", a);
	a = json_array();
	for (size_t i = 0; i < s->nsequences; i++)
		json_array_append_new(a, jsequence(&s->sequences[i]));
	json_object_set_new(root, "sequences", a);
	a = json_array();
	for (size_t i = 0; i < s->nenums; i++) {
		json_t *e = json_object();
		json_object_set_new(e, "name", sl_json_str(s->enums[i].name));
		json_object_set_new(e, "labels", jlist(s->enums[i].labels, s->enums[i].nlabels));
		json_array_append_new(a, e);
	}
	json_object_set_new(root, "enums", a);
	char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (!text)
		return sl_error_nomem();
	int rc = sl_buf_puts(out, text);
	if (!rc)
		rc = sl_buf_putc(out, '\n');
	free(text);
	return rc;
}
