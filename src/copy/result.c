/*
 * result.c - the result of a copy run: per-table counts and losses read
 * back from sluice_copy_state, and its JSON form (docs/copy.md).
 */
#include "run_int.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "sluice/error.h"

/* ---- results ---- */

/* Adds n values of column/kind to the table's loss counts. */
static int add_loss(sl_copy_table_result *tr, const char *column, sl_copy_loss kind, int64_t n)
{
	for (size_t i = 0; i < tr->nlosses; i++)
		if (tr->losses[i].kind == kind && strcmp(tr->losses[i].column, column) == 0) {
			tr->losses[i].values += n;
			tr->changed += n;
			return 0;
		}
	sl_copy_loss_count *l = realloc(tr->losses, (tr->nlosses + 1) * sizeof(*l));
	if (!l)
		return sl_error_nomem();
	tr->losses = l;
	l[tr->nlosses] = (sl_copy_loss_count){ .column = strdup(column), .kind = kind, .values = n };
	if (!l[tr->nlosses].column)
		return sl_error_nomem();
	tr->nlosses++;
	tr->changed += n;
	return 0;
}

/* A part's saved counts ({"column": {"kind": n}}) into the table's result. */
static int add_part_losses(sl_copy_table_result *tr, const char *losses)
{
	json_error_t err;
	json_t *o = losses ? json_loads(losses, 0, &err) : NULL, *col;
	const char *cname;
	int rc = 0;
	json_object_foreach(o, cname, col)
	{
		for (int k = 1; !rc && k < SL_COPY_LOSS__N; k++) {
			json_t *n = json_object_get(col, sl_copy_loss_name((sl_copy_loss)k));
			if (json_is_integer(n) && json_integer_value(n) > 0)
				rc = add_loss(tr, cname, (sl_copy_loss)k, json_integer_value(n));
		}
	}
	json_decref(o);
	return rc;
}

int copy_fill_result(run *r)
{
	sl_copy_result *res = r->res;
	sl_copy_part *parts = NULL;
	size_t np = 0;
	if (!r->parts) {
		if (sl_copy_state_parts(r->dst, &parts, &np))
			np = 0;
	} else {
		parts = r->parts;
		np = r->nparts;
	}
	res->tables = calloc(r->plan->ntables + 1, sizeof(*res->tables));
	if (!res->tables) {
		if (parts != r->parts)
			sl_copy_parts_free(parts, np);
		return sl_error_nomem();
	}
	int rc = 0;
	for (size_t i = 0; !rc && i < r->plan->ntables; i++) {
		const sl_copy_tplan *t = &r->plan->tables[i];
		sl_copy_table_result *tr = &res->tables[res->ntables++];
		tr->table = strdup(t->ref);
		tr->target = strdup(t->cast->name);
		tr->keyless = t->keyless;
		tr->done = true;
		for (size_t j = 0; j < np; j++) {
			if (strcmp(parts[j].table, t->ref) != 0)
				continue;
			tr->nparts++;
			tr->read += parts[j].read;
			tr->written += parts[j].written;
			tr->rejected += parts[j].rejected;
			tr->done = tr->done && parts[j].done;
			if (!rc)
				rc = add_part_losses(tr, parts[j].losses);
			tr->failed = tr->failed || parts[j].failed || r->failed[i];
		}
		if (!tr->nparts)
			tr->done = false;
		if (tr->failed) {
			res->failed++;
			tr->error = strdup(
				r->ferr[i] ? r->ferr[i]
					   : "the target refused its CREATE TABLE in an earlier attempt; "
					     "--resume tries it again");
		}
		res->read += tr->read;
		res->written += tr->written;
		res->rejected += tr->rejected;
		res->changed += tr->changed;
	}
	if (parts != r->parts)
		sl_copy_parts_free(parts, np);
	return rc;
}

void sl_copy_result_free(sl_copy_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->ntables; i++) {
		free(r->tables[i].error);
		free(r->tables[i].table);
		free(r->tables[i].target);
		for (size_t k = 0; k < r->tables[i].nlosses; k++)
			free(r->tables[i].losses[k].column);
		free(r->tables[i].losses);
	}
	for (size_t i = 0; i < r->nviolations; i++) {
		free(r->violations[i].table);
		free(r->violations[i].constraint);
		free(r->violations[i].message);
	}
	free(r->tables);
	free(r->violations);
	free(r->run_id);
	free(r);
}

int sl_copy_result_json(sl_buf *out, const sl_copy_result *r)
{
	json_t *o = json_object(), *tables = json_array(), *viol = json_array();
	int rc = 0;
	if (!o || !tables || !viol) {
		json_decref(o);
		json_decref(tables);
		json_decref(viol);
		return sl_error_nomem();
	}
	for (size_t i = 0; i < r->ntables; i++) {
		const sl_copy_table_result *t = &r->tables[i];
		json_t *losses = json_array();
		for (size_t k = 0; losses && k < t->nlosses; k++)
			json_array_append_new(losses,
					      json_pack("{s:s,s:s,s:s,s:I}", "column", t->losses[k].column,
							"cast", sl_copy_loss_name(t->losses[k].kind), "what",
							sl_copy_loss_text(t->losses[k].kind), "values",
							(json_int_t)t->losses[k].values));
		json_t *jt = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:o*,s:i,s:b,s:b}", "table", t->table,
				       "target", t->target, "read", (json_int_t)t->read, "written",
				       (json_int_t)t->written, "rejected", (json_int_t)t->rejected, "changed",
				       (json_int_t)t->changed, "losses", losses, "parts", t->nparts,
				       "keyless", t->keyless, "done", t->done);
		if (jt && t->failed) {
			json_object_set_new(jt, "failed", json_true());
			json_object_set_new(jt, "error", json_string(t->error ? t->error : ""));
		}
		json_array_append_new(tables, jt);
	}
	for (size_t i = 0; i < r->nviolations; i++) {
		const sl_copy_violation *v = &r->violations[i];
		json_array_append_new(viol, json_pack("{s:s,s:s,s:I,s:s}", "table", v->table, "constraint",
						      v->constraint, "rows", (json_int_t)v->rows, "message",
						      v->message));
	}
	json_object_set_new(o, "run_id", json_string(r->run_id ? r->run_id : ""));
	json_object_set_new(o, "finished", json_boolean(r->finished));
	json_object_set_new(o, "halted", json_boolean(r->halted));
	json_object_set_new(o, "read", json_integer(r->read));
	json_object_set_new(o, "written", json_integer(r->written));
	json_object_set_new(o, "rejected", json_integer(r->rejected));
	json_object_set_new(o, "changed", json_integer(r->changed));
	json_object_set_new(o, "not_translated", json_integer((json_int_t)r->not_translated));
	json_object_set_new(o, "failed", json_integer((json_int_t)r->failed));
	json_object_set_new(o, "left_behind", json_integer(r->left_behind));
	json_object_set_new(o, "seconds", json_real(r->seconds));
	json_object_set_new(o, "tables", tables);
	json_object_set_new(o, "violations", viol);
	char *txt = json_dumps(o, JSON_INDENT(2));
	rc = txt ? sl_buf_puts(out, txt) : sl_error_nomem();
	if (!rc)
		rc = sl_buf_putc(out, '\n');
	free(txt);
	json_decref(o);
	return rc;
}
