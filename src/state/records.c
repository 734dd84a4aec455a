/*
 * records.c - reading the state store back as JSON (sl_state_records_json):
 * the newest runs of one kind, each run's columns as they are named in
 * docs/state.md, with its child rows (results, tables, migrations) nested.
 * Columns that hold JSON text (a whole report, examples, failed thresholds)
 * are parsed, so a reader gets one document. `sluice report` reads every
 * record through here; a new kind of record adds one line to the table
 * below.
 */
#include "state_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"

typedef struct record_kind {
	const char *table;     /* the runs */
	const char *child;     /* their rows, or NULL */
	const char *child_key; /* the child's column naming the run */
	const char *nest;      /* the array the child rows go in */
	const char *json_cols; /* " a b c ": columns holding JSON text */
} record_kind;

static const record_kind kinds[SL_STATE__KINDS] = {
	[SL_STATE_CHECKS] = { "check_runs", "check_results", "run_id", "results", " examples " },
	[SL_STATE_REHEARSALS] = { "rehearsals", "rehearsal_migrations", "rehearsal_id", "migrations",
				  " failed report " },
	[SL_STATE_SNAPSHOTS] = { "snapshot_runs", NULL, NULL, NULL, " report " },
	[SL_STATE_SHADOWS] = { "shadow_runs", "shadow_results", "run_id", "results", " examples " },
	[SL_STATE_COPIES] = { "copy_runs", "copy_tables", "run_id", "tables", " " },
	[SL_STATE_DIFFS] = { "diff_runs", "diff_tables", "run_id", "tables", " " },
};

static bool is_json_col(const record_kind *k, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = strstr(k->json_cols, name); p; p = strstr(p + 1, name))
		if (p[-1] == ' ' && p[n] == ' ')
			return true;
	return false;
}

/* One cell as JSON: numbers as numbers, JSON columns parsed (kept as text when they do not parse). */
static json_t *cell(const record_kind *k, const char *name, const sl_value *v)
{
	switch (v->type) {
	case SL_V_NULL:
		return json_null();
	case SL_V_INT:
		return json_integer((json_int_t)v->u.i);
	case SL_V_DOUBLE:
		return json_real(v->u.d);
	case SL_V_BOOL:
		return json_boolean(v->u.b);
	default:
		break;
	}
	sl_buf b = SL_BUF_INIT;
	json_t *j = NULL;
	if (sl_value_format(&b, v) == 0) {
		if (is_json_col(k, name))
			j = json_loads(sl_buf_cstr(&b), JSON_DECODE_ANY, NULL);
		if (!j)
			j = json_string(sl_buf_cstr(&b));
	}
	sl_buf_free(&b);
	return j ? j : json_null();
}

/*
 * Appends every row of sql to arr as an object of its columns, leaving out
 * the column named skip (may be NULL).
 */
static int rows(sl_state *s, const record_kind *k, const char *sql, const char *skip, json_t *arr)
{
	sl_cursor *cur = NULL;
	sl_batch b = { 0 };
	bool ready = false;
	int rc = sl_conn_query(&cur, s->conn, sql), n;
	if (!rc && !(rc = sl_batch_init(&b, sl_cursor_ncols(cur), 64)))
		ready = true;
	while (!rc && (n = sl_cursor_fetch(cur, &b, 64)) != 0) {
		if (n < 0) {
			rc = n;
			break;
		}
		for (size_t i = 0; i < b.nrows; i++) {
			const sl_value *v = sl_batch_row(&b, i);
			json_t *o = json_object();
			for (size_t c = 0; c < sl_cursor_ncols(cur); c++) {
				const char *name = sl_cursor_col(cur, c)->name;
				if (!skip || strcmp(name, skip) != 0)
					json_object_set_new(o, name, cell(k, name, &v[c]));
			}
			json_array_append_new(arr, o);
		}
		sl_batch_reset(&b);
	}
	sl_cursor_close(cur);
	if (ready)
		sl_batch_free(&b);
	return rc;
}

int sl_state_records_json(sl_state *s, sl_state_kind kind, size_t limit, char **out)
{
	sl_buf sql = SL_BUF_INIT;
	json_t *runs = NULL;
	int rc = 0;
	*out = NULL;
	if ((unsigned)kind >= (unsigned)SL_STATE__KINDS)
		return sl_error_set(SL_EINVALID, "unknown kind of state record %d", (int)kind);
	const record_kind *k = &kinds[kind];
	if (!(runs = json_array()))
		return sl_error_nomem();
	rc = sl_buf_printf(&sql, "SELECT * FROM %s ORDER BY id DESC", k->table);
	if (!rc && limit)
		rc = sl_buf_printf(&sql, " LIMIT %zu", limit);
	if (!rc)
		rc = rows(s, k, sl_buf_cstr(&sql), NULL, runs);
	for (size_t i = 0; !rc && k->child && i < json_array_size(runs); i++) {
		json_t *run = json_array_get(runs, i), *children = json_array();
		sl_buf_clear(&sql);
		rc = sl_buf_printf(&sql, "SELECT * FROM %s WHERE %s = %lld ORDER BY rowid", k->child,
				   k->child_key, (long long)json_integer_value(json_object_get(run, "id")));
		if (!rc)
			rc = rows(s, k, sl_buf_cstr(&sql), k->child_key, children);
		json_object_set_new(run, k->nest, children);
	}
	if (!rc && !(*out = json_dumps(runs, JSON_COMPACT | JSON_PRESERVE_ORDER)))
		rc = sl_error_nomem();
	json_decref(runs);
	sl_buf_free(&sql);
	if (rc)
		sl_error_prefix("read %s in \"%s\"", k->table, s->path);
	return rc;
}
