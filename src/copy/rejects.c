/*
 * rejects.c - reads back what a copy quarantined (`sluice copy --rejects`):
 * the rows of sluice_rejects in a target, oldest first, one entry per
 * rejected row with each of its failing columns, printed as text or JSON.
 *
 * Values of sensitive columns (mask.c) are masked again on reading - in the
 * value, the key and the reason - so records written before a column was
 * declared sensitive do not show it either. docs/copy.md ("Rejects").
 */
#include "copy_int.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sluice/error.h"

static char *dup_text(const sl_value *v)
{
	if (v->type == SL_V_NULL)
		return NULL;
	if (v->type == SL_V_INT) {
		char tmp[32];
		snprintf(tmp, sizeof(tmp), "%lld", (long long)v->u.i);
		return strdup(tmp);
	}
	return strndup(v->u.s.ptr, v->u.s.len);
}

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

void sl_copy_rejects_free(sl_copy_rejects *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nrows; i++) {
		sl_copy_reject_row *row = &r->rows[i];
		for (size_t j = 0; j < row->nfailures; j++) {
			free(row->failures[j].column);
			free(row->failures[j].value);
			free(row->failures[j].reason);
		}
		free(row->failures);
		free(row->run_id);
		free(row->table);
		free(row->key);
		free(row->rejected_at);
	}
	free(r->rows);
	free(r);
}

static bool wanted(const char *table, const char *const *tables, size_t n)
{
	if (!tables)
		return true;
	for (size_t i = 0; i < n; i++)
		if (strcmp(tables[i], table) == 0)
			return true;
	return false;
}

/* The key object with the values of sensitive key columns masked. */
static int mask_key(char **key, const char *table, const char *const *pat, size_t npat)
{
	json_error_t err;
	json_t *o = *key ? json_loads(*key, 0, &err) : NULL;
	bool changed = false;
	int rc = 0;
	if (!json_is_object(o)) {
		json_decref(o);
		return 0;
	}
	for (void *it = json_object_iter(o); it; it = json_object_iter_next(o, it)) {
		const char *name = json_object_iter_key(it);
		json_t *v = json_object_iter_value(it);
		if ((json_is_string(v) || json_is_integer(v)) && sl_copy_sensitive(pat, npat, table, name)) {
			json_object_iter_set_new(o, it, json_string(SL_COPY_MASK));
			changed = true;
		}
	}
	if (changed) {
		char *txt = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
		if (txt) {
			free(*key);
			*key = txt;
		} else {
			rc = sl_error_nomem();
		}
	}
	json_decref(o);
	return rc;
}

/* Appends one record to r: a new entry unless it is another column of the last row. */
static int add_record(sl_copy_rejects *r, sl_value *v, const char *const *pat, size_t npat)
{
	char *run_id = dup_text(&v[1]), *table = dup_text(&v[2]), *key = dup_text(&v[3]);
	sl_copy_reject_failure f = { .column = dup_text(&v[4]),
				     .value = dup_text(&v[5]),
				     .reason = dup_text(&v[6]) };
	char *at = dup_text(&v[7]);
	sl_copy_reject_row *row = r->nrows ? &r->rows[r->nrows - 1] : NULL;
	int rc = 0;
	if (!table)
		table = strdup("");
	if (!f.reason)
		f.reason = strdup("");
	if (!table || !f.reason) {
		rc = sl_error_nomem();
		goto done;
	}
	if (f.column && sl_copy_sensitive(pat, npat, table, f.column) && f.value &&
	    strcmp(f.value, SL_COPY_MASK) != 0) {
		rc = sl_copy_mask_in(&f.reason, f.value);
		free(f.value);
		f.value = strdup(SL_COPY_MASK);
		if (!rc && !f.value)
			rc = sl_error_nomem();
	}
	rc = rc ? rc : mask_key(&key, table, pat, npat);
	if (rc)
		goto done;
	bool fresh = !row || !key || !same_str(row->run_id, run_id) || strcmp(row->table, table) != 0 ||
		     !same_str(row->key, key);
	if (fresh) {
		sl_copy_reject_row *nv = realloc(r->rows, (r->nrows + 1) * sizeof(*nv));
		if (!nv) {
			rc = sl_error_nomem();
			goto done;
		}
		r->rows = nv;
		row = &r->rows[r->nrows++];
		*row = (sl_copy_reject_row){
			.run_id = run_id, .table = table, .key = key, .rejected_at = at
		};
		run_id = table = key = at = NULL;
	}
	if (!row) {
		rc = sl_error_set(SL_ERROR, "read the rejects: no row");
		goto done;
	}
	sl_copy_reject_failure *nf = realloc(row->failures, (row->nfailures + 1) * sizeof(*nf));
	if (!nf) {
		rc = sl_error_nomem();
		goto done;
	}
	row->failures = nf;
	row->failures[row->nfailures++] = f;
	f = (sl_copy_reject_failure){ 0 };
	r->nrecords++;
done:
	free(run_id);
	free(table);
	free(key);
	free(at);
	free(f.column);
	free(f.value);
	free(f.reason);
	return rc;
}

int sl_copy_rejects_read(sl_copy_rejects **out, sl_conn *target, const char *const *tables, size_t ntables,
			 const char *const *sensitive, size_t nsensitive)
{
	sl_cursor *cur = NULL;
	sl_batch b = { 0 };
	sl_copy_rejects *r = calloc(1, sizeof(*r));
	int rc = r ? 0 : sl_error_nomem();
	*out = NULL;
	if (!rc && sl_conn_query(&cur, target,
				 "SELECT id, run_id, table_name, row_key, column_name, value, reason, "
				 "rejected_at FROM " SL_COPY_REJECTS_TABLE " ORDER BY id") != 0) {
		rc = sl_error_set(SL_ENOTFOUND, "no copy has recorded rejects in \"%s\" (%s)",
				  sl_conn_display(target), sl_error_last()->message);
	}
	rc = rc ? rc : sl_batch_init(&b, 8, 256);
	while (!rc) {
		sl_batch_reset(&b);
		int got = sl_cursor_fetch(cur, &b, 256);
		if (got <= 0) {
			rc = got;
			break;
		}
		for (size_t i = 0; !rc && i < b.nrows; i++) {
			sl_value *v = sl_batch_row(&b, i);
			bool keep = v[2].type != SL_V_NULL;
			if (keep && tables) {
				char *t = dup_text(&v[2]);
				keep = t && wanted(t, tables, ntables);
				free(t);
			}
			if (keep)
				rc = add_record(r, v, sensitive, nsensitive);
		}
	}
	sl_cursor_close(cur);
	sl_batch_free(&b);
	if (rc) {
		sl_copy_rejects_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

int sl_copy_rejects_text(sl_buf *out, const sl_copy_rejects *r)
{
	size_t ntables = 0;
	for (size_t i = 0; i < r->nrows; i++) {
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(r->rows[j].table, r->rows[i].table) == 0;
		ntables += !seen;
	}
	int rc = sl_buf_printf(out, "%zu rejected row%s in %zu table%s\n", r->nrows, r->nrows == 1 ? "" : "s",
			       ntables, ntables == 1 ? "" : "s");
	for (size_t i = 0; !rc && i < r->nrows; i++) {
		const sl_copy_reject_row *row = &r->rows[i];
		rc = sl_buf_printf(out, "%s %s (run %s, %s)\n", row->table, row->key ? row->key : "{}",
				   row->run_id ? row->run_id : "?",
				   row->rejected_at ? row->rejected_at : "?");
		for (size_t j = 0; !rc && j < row->nfailures; j++) {
			const sl_copy_reject_failure *f = &row->failures[j];
			if (f->column)
				rc = sl_buf_printf(out, "  column \"%s\" = %s: %s\n", f->column,
						   f->value ? f->value : "NULL", f->reason);
			else
				rc = sl_buf_printf(out, "  %s\n", f->reason);
		}
	}
	return rc;
}

static json_t *str_or_null(const char *s)
{
	json_t *j = s ? json_string(s) : json_null();
	return j ? j : json_string("(not UTF-8)");
}

int sl_copy_rejects_json(sl_buf *out, const sl_copy_rejects *r)
{
	json_t *o = json_object(), *rows = json_array();
	int rc = o && rows ? 0 : sl_error_nomem();
	for (size_t i = 0; !rc && i < r->nrows; i++) {
		const sl_copy_reject_row *row = &r->rows[i];
		json_error_t err;
		json_t *key = row->key ? json_loads(row->key, 0, &err) : NULL;
		json_t *fails = json_array(), *jr = json_object();
		for (size_t j = 0; fails && j < row->nfailures; j++)
			json_array_append_new(fails, json_pack("{s:o,s:o,s:o}", "column",
							       str_or_null(row->failures[j].column), "value",
							       str_or_null(row->failures[j].value), "reason",
							       str_or_null(row->failures[j].reason)));
		if (!fails || !jr) {
			json_decref(key);
			json_decref(fails);
			json_decref(jr);
			rc = sl_error_nomem();
			break;
		}
		json_object_set_new(jr, "run_id", str_or_null(row->run_id));
		json_object_set_new(jr, "table", str_or_null(row->table));
		json_object_set_new(jr, "key", key ? key : str_or_null(row->key));
		json_object_set_new(jr, "rejected_at", str_or_null(row->rejected_at));
		json_object_set_new(jr, "failures", fails);
		json_array_append_new(rows, jr);
	}
	if (!rc) {
		json_object_set_new(o, "rows", json_integer((json_int_t)r->nrows));
		json_object_set_new(o, "records", json_integer((json_int_t)r->nrecords));
		json_object_set_new(o, "rejects", rows);
		rows = NULL;
		char *txt = json_dumps(o, JSON_INDENT(2));
		rc = txt ? sl_buf_puts(out, txt) : sl_error_nomem();
		rc = rc ? rc : sl_buf_putc(out, '\n');
		free(txt);
	}
	json_decref(rows);
	json_decref(o);
	return rc;
}
