/*
 * cast_render.c - a cast plan as text (`sluice copy --plan`) and as JSON.
 * The JSON shape is documented in docs/casts.md ("Plan output").
 */
#include "copy/cast_int.h"
#include "sluice/error.h"
#include "sluice/util.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static int put_notes(sl_buf *out, const sl_cast_note *notes, size_t n, const char *indent)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < n; i++)
		rc = sl_buf_printf(out, "%s%s: %s\n", indent, sl_cast_severity_name(notes[i].severity),
				   notes[i].message);
	return rc;
}

static int put_column(sl_buf *out, const sl_cast_table *t, const sl_cast_column *c)
{
	sl_buf ty = SL_BUF_INIT;
	int rc = sl_type_format(&ty, &c->src->type);
	if (!rc)
		rc = sl_buf_printf(out, "%s.%s", t->src->name, c->src->name);
	if (!rc && (strcmp(t->name, t->src->name) != 0 || strcmp(c->name, c->src->name) != 0))
		rc = sl_buf_printf(out, " (as %s.%s)", t->name, c->name);
	if (!rc)
		rc = sl_buf_printf(out, ": %s -> %s", sl_buf_cstr(&ty),
				   c->type_sql && *c->type_sql ? c->type_sql : "(no type)");
	if (!rc && c->collation)
		rc = sl_buf_printf(out, " COLLATE %s", c->collation);
	if (!rc && c->identity)
		rc = sl_buf_puts(out, " identity");
	if (!rc && c->generated)
		rc = sl_buf_puts(out, " generated");
	if (!rc && c->default_sql)
		rc = sl_buf_printf(out, " default %s", c->default_sql);
	if (!rc)
		rc = sl_buf_putc(out, '\n');
	if (!rc)
		rc = put_notes(out, c->notes, c->nnotes, "  ");
	sl_buf_free(&ty);
	return rc;
}

int sl_cast_plan_text(sl_buf *out, const sl_cast_plan *p)
{
	int rc = sl_buf_printf(out, "cast plan %s -> %s: %zu tables, %zu lossy, %zu errors\n",
			       sl_engine_name(p->source), sl_engine_name(p->target), p->ntables,
			       sl_cast_plan_count(p, SL_CAST_LOSSY), sl_cast_plan_count(p, SL_CAST_ERROR));
	if (!rc)
		rc = put_notes(out, p->notes, p->nnotes, "");
	for (size_t i = 0; !rc && i < p->ntables; i++) {
		const sl_cast_table *t = &p->tables[i];
		for (size_t j = 0; !rc && j < t->nnotes; j++)
			rc = sl_buf_printf(out, "%s: %s: %s\n", t->src->name,
					   sl_cast_severity_name(t->notes[j].severity), t->notes[j].message);
		for (size_t c = 0; !rc && c < t->ncolumns; c++)
			rc = put_column(out, t, &t->columns[c]);
	}
	return rc;
}

/* Sets key to a new JSON value; jansson's *_new return NULL when out of memory. */
static int jset(json_t *o, const char *key, json_t *v)
{
	return v && json_object_set_new(o, key, v) == 0 ? 0 : SL_ENOMEM;
}

static json_t *notes_json(const sl_cast_note *notes, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++) {
		json_t *o = json_object();
		if (!o || jset(o, "severity", sl_json_str(sl_cast_severity_name(notes[i].severity))) ||
		    jset(o, "message", sl_json_str(notes[i].message)) || json_array_append_new(a, o)) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *column_json(const sl_cast_column *c)
{
	json_t *o = json_object();
	sl_buf ty = SL_BUF_INIT, to = SL_BUF_INIT;
	int rc = o ? 0 : SL_ENOMEM;
	if (!rc)
		rc = sl_type_format(&ty, &c->src->type);
	if (!rc)
		rc = sl_type_format(&to, &c->type);
	if (!rc)
		rc = jset(o, "source", sl_json_str(c->src->name));
	if (!rc)
		rc = jset(o, "target", sl_json_str(c->name));
	if (!rc)
		rc = jset(o, "from", sl_json_str(sl_buf_cstr(&ty)));
	if (!rc)
		rc = jset(o, "from_decl", sl_json_str(c->src->decl_type));
	if (!rc)
		rc = jset(o, "to", sl_json_str(sl_buf_cstr(&to)));
	if (!rc)
		rc = jset(o, "to_sql", sl_json_str(c->type_sql));
	if (!rc)
		rc = jset(o, "collation", sl_json_str(c->collation));
	if (!rc)
		rc = jset(o, "default", sl_json_str(c->default_sql));
	if (!rc)
		rc = jset(o, "identity", json_boolean(c->identity));
	if (!rc)
		rc = jset(o, "generated", json_boolean(c->generated));
	if (!rc)
		rc = jset(o, "rule", sl_json_str(c->rule));
	if (!rc)
		rc = jset(o, "notes", notes_json(c->notes, c->nnotes));
	sl_buf_free(&ty);
	sl_buf_free(&to);
	if (rc) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *table_json(const sl_cast_table *t)
{
	json_t *o = json_object(), *cols = json_array();
	int rc = o && cols ? 0 : SL_ENOMEM;
	for (size_t i = 0; !rc && i < t->ncolumns; i++) {
		json_t *c = column_json(&t->columns[i]);
		rc = c && json_array_append_new(cols, c) == 0 ? 0 : SL_ENOMEM;
	}
	if (!rc)
		rc = jset(o, "source", sl_json_str(t->src->name));
	if (!rc)
		rc = jset(o, "target", sl_json_str(t->name));
	if (!rc)
		rc = jset(o, "notes", notes_json(t->notes, t->nnotes));
	if (!rc) {
		rc = json_object_set(o, "columns", cols) ? SL_ENOMEM : 0;
	}
	json_decref(cols);
	if (rc) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int sl_cast_plan_json(sl_buf *out, const sl_cast_plan *p)
{
	json_t *root = json_object(), *tables = json_array();
	char *text = NULL;
	int rc = root && tables ? 0 : SL_ENOMEM;
	if (!rc)
		rc = jset(root, "source", sl_json_str(sl_engine_name(p->source)));
	if (!rc)
		rc = jset(root, "target", sl_json_str(sl_engine_name(p->target)));
	if (!rc)
		rc = jset(root, "lossy", json_integer((json_int_t)sl_cast_plan_count(p, SL_CAST_LOSSY)));
	if (!rc)
		rc = jset(root, "errors", json_integer((json_int_t)sl_cast_plan_count(p, SL_CAST_ERROR)));
	if (!rc)
		rc = jset(root, "notes", notes_json(p->notes, p->nnotes));
	for (size_t i = 0; !rc && i < p->ntables; i++) {
		json_t *t = table_json(&p->tables[i]);
		rc = t && json_array_append_new(tables, t) == 0 ? 0 : SL_ENOMEM;
	}
	if (!rc)
		rc = json_object_set(root, "tables", tables) ? SL_ENOMEM : 0;
	if (!rc && !(text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER)))
		rc = SL_ENOMEM;
	if (!rc)
		rc = sl_buf_puts(out, text);
	if (rc == SL_ENOMEM)
		sl_error_nomem();
	free(text);
	json_decref(tables);
	json_decref(root);
	return rc;
}
