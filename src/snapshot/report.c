/*
 * report.c - a snapshot's report as JSON (for --json and the state store,
 * which `sluice report` reads) and as text for a terminal. Neither ever
 * holds a source value or the key: columns, rules and counts only.
 */
#include "snapshot_int.h"
#include "sluice/util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sluice/error.h"

static const char *kind_name(sl_snapshot_check_kind k)
{
	switch (k) {
	case SL_SNAPSHOT_ORPHANS:
		return "orphans";
	case SL_SNAPSHOT_UNIQUE:
		return "unique";
	case SL_SNAPSHOT_LEAK:
		return "leak";
	}
	return "check";
}

int sl_snapshot_report_json(sl_buf *out, const sl_snapshot_report *r)
{
	json_t *o = json_object(), *tables = json_array(), *cols = json_array(), *checks = json_array();
	int rc = 0;
	if (!o || !tables || !cols || !checks) {
		json_decref(o);
		json_decref(tables);
		json_decref(cols);
		json_decref(checks);
		return sl_error_nomem();
	}
	for (size_t i = 0; i < r->ntables; i++) {
		const sl_snapshot_table *t = &r->tables[i];
		json_array_append_new(tables, json_pack("{s:s,s:s,s:I,s:I,s:I}", "table", t->table, "target",
							t->target, "source_rows", (json_int_t)t->source_rows,
							"chosen", (json_int_t)t->chosen, "written",
							(json_int_t)t->written));
	}
	for (size_t i = 0; i < r->ncolumns; i++) {
		const sl_snapshot_column *c = &r->columns[i];
		json_t *e = json_pack("{s:s,s:s,s:s,s:I,s:b}", "table", c->table, "column", c->column, "rule",
				      c->rule, "masked", (json_int_t)c->masked, "unique", c->unique_map);
		if (e)
			json_object_set_new(e, "flagged", sl_json_str(c->flagged));
		json_array_append_new(cols, e);
	}
	for (size_t i = 0; i < r->nchecks; i++) {
		const sl_snapshot_check *c = &r->checks[i];
		json_t *e = json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:b}", "kind", kind_name(c->kind), "table",
				      c->table, "object", c->object, "found", (json_int_t)c->found, "allowed",
				      (json_int_t)c->allowed, "checked", (json_int_t)c->checked, "ok", c->ok);
		if (e)
			json_object_set_new(e, "detail", sl_json_str(c->detail));
		json_array_append_new(checks, e);
	}
	json_object_set_new(o, "source", sl_json_str(r->source));
	json_object_set_new(o, "target", sl_json_str(r->target));
	json_object_set_new(o, "started_at", sl_json_str(r->started_at));
	json_object_set_new(o, "subset", sl_json_str(r->subset));
	json_object_set_new(o, "keyed", json_boolean(r->keyed));
	json_object_set_new(o, "run_id", sl_json_str(r->copy ? r->copy->run_id : NULL));
	json_object_set_new(o, "finished", json_boolean(r->copy && r->copy->finished));
	json_object_set_new(o, "checked", json_boolean(r->checked));
	json_object_set_new(o, "ok", json_boolean(r->ok));
	json_object_set_new(o, "rows", json_integer(r->rows));
	json_object_set_new(o, "rejected", json_integer(r->copy ? r->copy->rejected : 0));
	json_object_set_new(o, "constraint_problems",
			    json_integer(r->copy ? (json_int_t)r->copy->nviolations : 0));
	json_object_set_new(o, "orphans", json_integer(r->orphans));
	json_object_set_new(o, "duplicates", json_integer(r->duplicates));
	json_object_set_new(o, "leaks", json_integer(r->leaks));
	json_object_set_new(o, "coincidences", json_integer(r->coincidences));
	json_object_set_new(o, "seconds", json_real(r->seconds));
	json_object_set_new(o, "copy_seconds", json_real(r->copy_seconds));
	json_object_set_new(o, "check_seconds", json_real(r->check_seconds));
	json_object_set_new(o, "tables", tables);
	json_object_set_new(o, "columns", cols);
	json_object_set_new(o, "checks", checks);
	char *txt = json_dumps(o, JSON_INDENT(2));
	rc = txt ? sl_buf_puts(out, txt) : sl_error_nomem();
	if (!rc)
		rc = sl_buf_putc(out, '\n');
	free(txt);
	json_decref(o);
	return rc;
}

static void sums(const sl_snapshot_report *r, sl_snapshot_check_kind k, int64_t *found, int64_t *allowed,
		 int64_t *checked, size_t *n)
{
	*found = *allowed = *checked = 0;
	*n = 0;
	for (size_t i = 0; i < r->nchecks; i++) {
		const sl_snapshot_check *c = &r->checks[i];
		if (c->kind != k)
			continue;
		(*n)++;
		*found += c->found;
		*allowed += c->allowed;
		*checked += c->checked > 0 ? c->checked : 0;
	}
}

int sl_snapshot_report_text(sl_buf *out, const sl_snapshot_report *r)
{
	int64_t f, a, c;
	size_t n;
	int rc = sl_buf_printf(out, "%-28s %12s %12s %12s\n", "table", "source rows", "chosen", "written");
	for (size_t i = 0; !rc && i < r->ntables; i++) {
		const sl_snapshot_table *t = &r->tables[i];
		char chosen[32];
		if (t->chosen < 0)
			snprintf(chosen, sizeof(chosen), "all");
		else
			snprintf(chosen, sizeof(chosen), "%" PRId64, t->chosen);
		rc = sl_buf_printf(out, "%-28s %12" PRId64 " %12s %12" PRId64 "\n", t->table, t->source_rows,
				   chosen, t->written);
	}
	if (!rc && r->ncolumns)
		rc = sl_buf_puts(out, "\ncolumn rules:\n");
	for (size_t i = 0; !rc && i < r->ncolumns; i++) {
		const sl_snapshot_column *col = &r->columns[i];
		char name[256];
		snprintf(name, sizeof(name), "%s.%s", col->table, col->column);
		rc = sl_buf_printf(out, "  %-34s %-28s %10" PRId64 " changed%s\n", name, col->rule,
				   col->masked, col->unique_map ? ", kept unique" : "");
	}
	if (!rc && r->checked) {
		rc = sl_buf_puts(out, "\nchecks:\n");
		sums(r, SL_SNAPSHOT_ORPHANS, &f, &a, &c, &n);
		if (!rc)
			rc = sl_buf_printf(out, "  orphans    %" PRId64 " in %zu relationships%s", f, n,
					   a ? "" : "\n");
		if (!rc && a)
			rc = sl_buf_printf(out, " (%" PRId64 " more were orphans in the source already)\n",
					   a);
		sums(r, SL_SNAPSHOT_UNIQUE, &f, &a, &c, &n);
		if (!rc)
			rc = sl_buf_printf(out,
					   "  unique     %" PRId64
					   " duplicate values in %zu unique keys over masked "
					   "columns\n",
					   f, n);
		sums(r, SL_SNAPSHOT_LEAK, &f, &a, &c, &n);
		if (!rc)
			rc = sl_buf_printf(out,
					   "  leak scan  %" PRId64 " of %" PRId64
					   " source values of %zu masked columns "
					   "found in the target%s",
					   f, c, n, a ? "" : "\n");
		if (!rc && a)
			rc = sl_buf_printf(out, " (%" PRId64 " more equal a generated value: coincidences)\n",
					   a);
		for (size_t i = 0; !rc && i < r->nchecks; i++) {
			const sl_snapshot_check *k = &r->checks[i];
			if (k->ok)
				continue;
			rc = sl_buf_printf(out, "  FAILED %s: %s \"%s\": %" PRId64 " found%s%s\n",
					   kind_name(k->kind), k->table, k->object, k->found,
					   k->detail ? " in " : "", k->detail ? k->detail : "");
		}
	}
	if (!rc)
		rc = sl_buf_printf(out,
				   "\nsnapshot %s: %zu tables, %" PRId64 " rows, %" PRId64
				   " rejected, %.1fs (copy %.1fs, "
				   "checks %.1fs): %s\n",
				   r->copy && r->copy->finished ? "finished" : "stopped", r->ntables, r->rows,
				   r->copy ? r->copy->rejected : 0, r->seconds, r->copy_seconds,
				   r->check_seconds,
				   r->ok ? "ok"
					 : (r->copy && r->copy->finished ? "PROBLEMS FOUND"
									 : "resume with --resume"));
	return rc;
}
