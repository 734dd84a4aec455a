/*
 * state.c - what expand/contract keeps in the migrated database, beside the
 * history table (docs/expand-contract.md, "State"):
 *
 *   <history>_expand    one row per expand migration: its version, the
 *                       version it replaces, its phase, when each phase
 *                       ended, and the contract and rollback actions (JSON)
 *                       planned when it was expanded;
 *   <history>_backfill  one row per backfilled table: the last key done, rows
 *                       done, batches, an estimate of the total, whether it
 *                       finished. A batch and its checkpoint commit together.
 */
#include "expand_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sluice/error.h"
#include "sluice/util.h"

static const char *const phase_names[] = {
	[SL_XPHASE_NONE] = "none",
	[SL_XPHASE_EXPANDING] = "expanding",
	[SL_XPHASE_BACKFILL] = "backfill",
	[SL_XPHASE_VALIDATING] = "validating",
	[SL_XPHASE_EXPANDED] = "expanded",
	[SL_XPHASE_CONTRACTING] = "contracting",
	[SL_XPHASE_CONTRACTED] = "contracted",
	[SL_XPHASE_ROLLING_BACK] = "rolling back",
};

const char *sl_xphase_name(sl_xphase p)
{
	return (unsigned)p < sizeof(phase_names) / sizeof(phase_names[0]) ? phase_names[p] : "?";
}

sl_xphase xphase_parse(const char *s)
{
	for (size_t i = 0; s && i < sizeof(phase_names) / sizeof(phase_names[0]); i++)
		if (strcmp(phase_names[i], s) == 0)
			return (sl_xphase)i;
	return SL_XPHASE_NONE;
}

static void iso_now(char out[40])
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(out, 40, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Appends the quoted name of the state table <history>_<suffix>. */
static int table_name(sl_conn *c, sl_buf *b, const char *history, const char *suffix)
{
	char name[256];
	snprintf(name, sizeof(name), "%s_%s", history, suffix);
	return sl_conn_quote_ident(c, b, name);
}

static int lit(sl_conn *c, sl_buf *b, const char *s)
{
	if (!s)
		return sl_buf_puts(b, "NULL");
	sl_value v = sl_text(s);
	return sl_conn_quote_literal(c, b, &v);
}

int xstate_ensure(sl_conn *c, const sl_expand_dialect *d, const char *history)
{
	sl_buf b = SL_BUF_INIT;
	const char *big = d->text_type ? d->text_type : "TEXT";
	int rc = sl_buf_puts(&b, "CREATE TABLE IF NOT EXISTS ");
	if (!rc)
		rc = table_name(c, &b, history, "expand");
	if (!rc)
		rc = sl_buf_printf(&b,
				   " (id VARCHAR(64) NOT NULL PRIMARY KEY, version VARCHAR(128) NOT NULL, "
				   "old_version VARCHAR(128), base VARCHAR(128), phase VARCHAR(16) NOT NULL, "
				   "started_at VARCHAR(32) NOT NULL, expanded_at VARCHAR(32), contracted_at "
				   "VARCHAR(32), "
				   "plan %s)",
				   big);
	if (!rc)
		rc = sl_conn_exec(c, b.ptr);
	sl_buf_clear(&b);
	if (!rc)
		rc = sl_buf_puts(&b, "CREATE TABLE IF NOT EXISTS ");
	if (!rc)
		rc = table_name(c, &b, history, "backfill");
	if (!rc)
		rc = sl_buf_printf(
			&b,
			" (id VARCHAR(64) NOT NULL, tbl VARCHAR(128) NOT NULL, last_key %s, "
			"rows_done BIGINT NOT NULL DEFAULT 0, rows_total BIGINT NOT NULL DEFAULT -1, "
			"batches BIGINT NOT NULL DEFAULT 0, done INTEGER NOT NULL DEFAULT 0, "
			"updated_at VARCHAR(32), PRIMARY KEY (id, tbl))",
			big);
	if (!rc)
		rc = sl_conn_exec(c, b.ptr);
	if (rc)
		sl_error_prefix("create the expand state tables beside \"%s\"", history);
	sl_buf_free(&b);
	return rc;
}

/* 1 when the state table exists, 0 when not. Asked by reading it. */
static int tables_exist(sl_conn *c, const char *history)
{
	sl_buf b = SL_BUF_INIT;
	int64_t n = 0;
	int rc = sl_buf_puts(&b, "SELECT count(*) FROM ");
	if (!rc)
		rc = table_name(c, &b, history, "expand");
	if (!rc && sl_conn_in_transaction(c) && sl_conn_has(c, SL_CAP_SAVEPOINTS)) {
		/* a failed probe must not abort the caller's transaction */
		if (!(rc = sl_conn_savepoint(c, "sluice_xprobe"))) {
			int q = sl_conn_query_int(c, b.ptr, &n);
			rc = q ? sl_conn_rollback_to(c, "sluice_xprobe") : 0;
			if (!rc)
				rc = sl_conn_release(c, "sluice_xprobe");
			sl_buf_free(&b);
			sl_error_clear();
			return rc ? rc : q == 0;
		}
	}
	int q = rc ? rc : sl_conn_query_int(c, b.ptr, &n);
	sl_buf_free(&b);
	sl_error_clear();
	return q == 0;
}

static char *text_at(const sl_value *v)
{
	if (v->type == SL_V_NULL)
		return NULL;
	sl_buf b = SL_BUF_INIT;
	char *s = NULL;
	if (sl_value_format(&b, v) == 0)
		s = strdup(sl_buf_cstr(&b));
	sl_buf_free(&b);
	return s;
}

void xstate_clear(xstate *s)
{
	free(s->id);
	free(s->version);
	free(s->old_version);
	free(s->base);
	free(s->phase);
	free(s->started_at);
	free(s->expanded_at);
	free(s->contracted_at);
	free(s->plan);
	memset(s, 0, sizeof(*s));
}

static const char STATE_COLS[] =
	"id, version, old_version, base, phase, started_at, expanded_at, contracted_at, plan";

static void fill_state(xstate *s, const sl_value *v)
{
	s->id = text_at(&v[0]);
	s->version = text_at(&v[1]);
	s->old_version = text_at(&v[2]);
	s->base = text_at(&v[3]);
	s->phase = text_at(&v[4]);
	s->started_at = text_at(&v[5]);
	s->expanded_at = text_at(&v[6]);
	s->contracted_at = text_at(&v[7]);
	s->plan = text_at(&v[8]);
}

/* Reads rows of the expand table: where (may be "") appended after FROM. */
static int read_states(sl_conn *c, const char *history, const char *where, xstate **out, size_t *n)
{
	sl_buf q = SL_BUF_INIT;
	sl_cursor *cur = NULL;
	sl_batch b = { 0 };
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	int rc = sl_buf_printf(&q, "SELECT %s FROM ", STATE_COLS);
	if (!rc)
		rc = table_name(c, &q, history, "expand");
	if (!rc)
		rc = sl_buf_printf(&q, "%s ORDER BY id", where);
	if (!rc)
		rc = sl_conn_query(&cur, c, q.ptr);
	if (!rc)
		rc = sl_batch_init(&b, sl_cursor_ncols(cur), 64);
	while (!rc) {
		sl_batch_reset(&b);
		int got = sl_cursor_fetch(cur, &b, 64);
		if (got <= 0) {
			rc = got;
			break;
		}
		for (size_t r = 0; r < b.nrows; r++) {
			if (*n == cap) {
				size_t nc = cap ? cap * 2 : 8;
				xstate *ns = realloc(*out, nc * sizeof(*ns));
				if (!ns) {
					rc = sl_error_nomem();
					break;
				}
				*out = ns;
				cap = nc;
			}
			memset(&(*out)[*n], 0, sizeof(**out));
			fill_state(&(*out)[(*n)++], sl_batch_row(&b, r));
		}
	}
	sl_cursor_close(cur);
	sl_batch_free(&b);
	sl_buf_free(&q);
	return rc;
}

int xstate_load(sl_conn *c, const char *history, const char *id, xstate *out)
{
	sl_buf w = SL_BUF_INIT;
	xstate *all = NULL;
	size_t n = 0;
	memset(out, 0, sizeof(*out));
	int ex = tables_exist(c, history);
	if (ex <= 0)
		return ex < 0 ? ex : SL_ENOTFOUND;
	int rc = sl_buf_puts(&w, " WHERE id = ");
	if (!rc)
		rc = lit(c, &w, id);
	if (!rc)
		rc = read_states(c, history, w.ptr, &all, &n);
	if (!rc && n == 0)
		rc = SL_ENOTFOUND;
	if (!rc) {
		*out = all[0];
		memset(&all[0], 0, sizeof(all[0]));
	}
	for (size_t i = 0; i < n; i++)
		xstate_clear(&all[i]);
	free(all);
	sl_buf_free(&w);
	return rc;
}

int xstate_insert(sl_conn *c, const char *history, const xstate *s)
{
	sl_buf b = SL_BUF_INIT;
	char now[40];
	iso_now(now);
	int rc = sl_buf_puts(&b, "INSERT INTO ");
	if (!rc)
		rc = table_name(c, &b, history, "expand");
	if (!rc)
		rc = sl_buf_printf(&b, " (%s) VALUES (", STATE_COLS);
	const char *vals[] = { s->id,          s->version,       s->old_version,
			       s->base,        s->phase,         s->started_at ? s->started_at : now,
			       s->expanded_at, s->contracted_at, s->plan };
	for (size_t i = 0; !rc && i < sizeof(vals) / sizeof(vals[0]); i++) {
		if (i)
			rc = sl_buf_puts(&b, ", ");
		if (!rc)
			rc = lit(c, &b, vals[i]);
	}
	if (!rc)
		rc = sl_buf_putc(&b, ')');
	if (!rc)
		rc = sl_conn_exec(c, b.ptr);
	if (rc)
		sl_error_prefix("record expand state of migration %s", s->id);
	sl_buf_free(&b);
	return rc;
}

int xstate_set_phase(sl_conn *c, const char *history, const char *id, sl_xphase phase)
{
	sl_buf b = SL_BUF_INIT;
	char now[40];
	iso_now(now);
	int rc = sl_buf_puts(&b, "UPDATE ");
	if (!rc)
		rc = table_name(c, &b, history, "expand");
	if (!rc)
		rc = sl_buf_puts(&b, " SET phase = ");
	if (!rc)
		rc = lit(c, &b, sl_xphase_name(phase));
	if (!rc && (phase == SL_XPHASE_EXPANDED || phase == SL_XPHASE_CONTRACTED))
		rc = sl_buf_printf(&b, ", %s = '%s'",
				   phase == SL_XPHASE_EXPANDED ? "expanded_at" : "contracted_at", now);
	if (!rc)
		rc = sl_buf_puts(&b, " WHERE id = ");
	if (!rc)
		rc = lit(c, &b, id);
	if (!rc)
		rc = sl_conn_exec(c, b.ptr);
	if (rc)
		sl_error_prefix("record phase \"%s\" of migration %s", sl_xphase_name(phase), id);
	sl_buf_free(&b);
	return rc;
}

int xstate_delete(sl_conn *c, const char *history, const char *id)
{
	int rc = 0;
	const char *sfx[] = { "backfill", "expand" };
	if (tables_exist(c, history) <= 0)
		return 0;
	for (size_t i = 0; !rc && i < 2; i++) {
		sl_buf b = SL_BUF_INIT;
		rc = sl_buf_puts(&b, "DELETE FROM ");
		if (!rc)
			rc = table_name(c, &b, history, sfx[i]);
		if (!rc)
			rc = sl_buf_puts(&b, " WHERE id = ");
		if (!rc)
			rc = lit(c, &b, id);
		if (!rc)
			rc = sl_conn_exec(c, b.ptr);
		sl_buf_free(&b);
	}
	if (rc)
		sl_error_prefix("forget expand state of migration %s", id);
	return rc;
}

int xstate_list(sl_conn *c, const char *history, xstate **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (tables_exist(c, history) <= 0)
		return 0;
	return read_states(c, history, "", out, n);
}

int xcheckpoint_list(sl_conn *c, const char *history, const char *id,
		     int (*fn)(void *ud, const char *table, const xcheckpoint *cp), void *ud)
{
	sl_buf q = SL_BUF_INIT;
	sl_cursor *cur = NULL;
	sl_batch b = { 0 };
	int rc = sl_buf_puts(&q, "SELECT tbl, last_key, rows_done, rows_total, batches, done FROM ");
	if (!rc)
		rc = table_name(c, &q, history, "backfill");
	if (!rc)
		rc = sl_buf_puts(&q, " WHERE id = ");
	if (!rc)
		rc = lit(c, &q, id);
	if (!rc)
		rc = sl_buf_puts(&q, " ORDER BY tbl");
	if (!rc)
		rc = sl_conn_query(&cur, c, q.ptr);
	if (!rc)
		rc = sl_batch_init(&b, 6, 64);
	while (!rc) {
		sl_batch_reset(&b);
		int got = sl_cursor_fetch(cur, &b, 64);
		if (got <= 0) {
			rc = got;
			break;
		}
		/* the callback may query: copy the rows out first */
		size_t nrows = b.nrows;
		char **tables = calloc(nrows, sizeof(*tables));
		xcheckpoint *cps = calloc(nrows, sizeof(*cps));
		if (!tables || !cps) {
			free(tables);
			free(cps);
			rc = sl_error_nomem();
			break;
		}
		for (size_t r = 0; r < nrows; r++) {
			const sl_value *v = sl_batch_row(&b, r);
			tables[r] = text_at(&v[0]);
			cps[r].last_key = text_at(&v[1]);
			cps[r].rows_done = v[2].type == SL_V_INT ? v[2].u.i : 0;
			cps[r].rows_total = v[3].type == SL_V_INT ? v[3].u.i : -1;
			cps[r].batches = v[4].type == SL_V_INT ? v[4].u.i : 0;
			cps[r].done =
				v[5].type == SL_V_INT ? v[5].u.i != 0 : (v[5].type == SL_V_BOOL && v[5].u.b);
			cps[r].exists = true;
		}
		for (size_t r = 0; !rc && r < nrows; r++)
			rc = tables[r] ? fn(ud, tables[r], &cps[r]) : 0;
		for (size_t r = 0; r < nrows; r++) {
			free(tables[r]);
			xcheckpoint_clear(&cps[r]);
		}
		free(tables);
		free(cps);
	}
	sl_cursor_close(cur);
	sl_batch_free(&b);
	sl_buf_free(&q);
	return rc;
}

int xstate_current_version(sl_conn *c, const char *history, char **out)
{
	xstate *all = NULL;
	size_t n = 0;
	int rc = 0;
	*out = NULL;
	if (tables_exist(c, history) <= 0)
		return 0;
	rc = read_states(c, history, " WHERE phase = 'contracted'", &all, &n);
	/* the newest by id (ids compare numerically) */
	const xstate *best = NULL;
	for (size_t i = 0; !rc && i < n; i++)
		if (!best || sl_migration_id_cmp(all[i].id, best->id) > 0)
			best = &all[i];
	if (!rc && best && !(*out = strdup(best->version)))
		rc = sl_error_nomem();
	for (size_t i = 0; i < n; i++)
		xstate_clear(&all[i]);
	free(all);
	return rc;
}

/* ---- checkpoints ---------------------------------------------------------------------------- */

static int where_id_tbl(sl_conn *c, sl_buf *b, const char *id, const char *table)
{
	int rc = sl_buf_puts(b, " WHERE id = ");
	if (!rc)
		rc = lit(c, b, id);
	if (!rc)
		rc = sl_buf_puts(b, " AND tbl = ");
	return rc ? rc : lit(c, b, table);
}

void xcheckpoint_clear(xcheckpoint *cp)
{
	free(cp->last_key);
	memset(cp, 0, sizeof(*cp));
}

int xcheckpoint_load(sl_conn *c, const char *history, const char *id, const char *table, xcheckpoint *out)
{
	sl_buf q = SL_BUF_INIT;
	sl_cursor *cur = NULL;
	sl_batch b = { 0 };
	memset(out, 0, sizeof(*out));
	out->rows_total = -1;
	int rc = sl_buf_puts(&q, "SELECT last_key, rows_done, rows_total, batches, done FROM ");
	if (!rc)
		rc = table_name(c, &q, history, "backfill");
	if (!rc)
		rc = where_id_tbl(c, &q, id, table);
	if (!rc)
		rc = sl_conn_query(&cur, c, q.ptr);
	if (!rc)
		rc = sl_batch_init(&b, 5, 1);
	if (!rc) {
		int n = sl_cursor_fetch(cur, &b, 1);
		if (n > 0) {
			const sl_value *v = sl_batch_row(&b, 0);
			out->exists = true;
			out->last_key = text_at(&v[0]);
			out->rows_done = v[1].type == SL_V_INT ? v[1].u.i : 0;
			out->rows_total = v[2].type == SL_V_INT ? v[2].u.i : -1;
			out->batches = v[3].type == SL_V_INT ? v[3].u.i : 0;
			out->done =
				v[4].type == SL_V_INT ? v[4].u.i != 0 : (v[4].type == SL_V_BOOL && v[4].u.b);
		}
		rc = n < 0 ? n : 0;
	}
	sl_cursor_close(cur);
	sl_batch_free(&b);
	sl_buf_free(&q);
	return rc;
}

int xcheckpoint_save(sl_conn *c, const char *history, const char *id, const char *table,
		     const xcheckpoint *cp)
{
	sl_buf b = SL_BUF_INIT;
	char now[40];
	iso_now(now);
	int rc = 0;
	if (!cp->exists) {
		rc = sl_buf_puts(&b, "INSERT INTO ");
		if (!rc)
			rc = table_name(c, &b, history, "backfill");
		if (!rc)
			rc = sl_buf_puts(&b, " (id, tbl, last_key, rows_done, rows_total, batches, done, "
					     "updated_at) VALUES (");
		if (!rc)
			rc = lit(c, &b, id);
		if (!rc)
			rc = sl_buf_puts(&b, ", ");
		if (!rc)
			rc = lit(c, &b, table);
		if (!rc)
			rc = sl_buf_puts(&b, ", ");
		if (!rc)
			rc = lit(c, &b, cp->last_key);
		if (!rc)
			rc = sl_buf_printf(&b, ", %lld, %lld, %lld, %d, '%s')", (long long)cp->rows_done,
					   (long long)cp->rows_total, (long long)cp->batches,
					   cp->done ? 1 : 0, now);
	} else {
		rc = sl_buf_puts(&b, "UPDATE ");
		if (!rc)
			rc = table_name(c, &b, history, "backfill");
		if (!rc)
			rc = sl_buf_puts(&b, " SET last_key = ");
		if (!rc)
			rc = lit(c, &b, cp->last_key);
		if (!rc)
			rc = sl_buf_printf(&b,
					   ", rows_done = %lld, rows_total = %lld, batches = %lld, done = "
					   "%d, updated_at = '%s'",
					   (long long)cp->rows_done, (long long)cp->rows_total,
					   (long long)cp->batches, cp->done ? 1 : 0, now);
		if (!rc)
			rc = where_id_tbl(c, &b, id, table);
	}
	if (!rc)
		rc = sl_conn_exec(c, b.ptr);
	if (rc)
		sl_error_prefix("record backfill checkpoint of %s", table);
	sl_buf_free(&b);
	return rc;
}

/* ---- stored actions --------------------------------------------------------------------------- */

static json_t *jlist(const char *const *l, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(l[i]));
	return a;
}

static json_t *act_json(const sl_xact *a)
{
	json_t *o = json_object();
	json_object_set_new(o, "kind", json_integer(a->kind));
	json_object_set_new(o, "base", sl_json_str(a->base));
	json_object_set_new(o, "table", sl_json_str(a->table));
	json_object_set_new(o, "column", sl_json_str(a->column));
	json_object_set_new(o, "to", sl_json_str(a->to));
	json_object_set_new(o, "decl", sl_json_str(a->decl));
	json_object_set_new(o, "default", sl_json_str(a->default_expr));
	json_object_set_new(o, "not_null", json_boolean(a->not_null));
	json_object_set_new(o, "name", sl_json_str(a->name));
	json_object_set_new(o, "what", json_integer(a->what));
	json_object_set_new(o, "expr", sl_json_str(a->expr));
	json_object_set_new(o, "cols", jlist(a->cols, a->ncols));
	json_object_set_new(o, "ref_table", sl_json_str(a->ref_table));
	json_object_set_new(o, "ref_cols", jlist(a->ref_cols, a->nref_cols));
	json_object_set_new(o, "on_delete", sl_json_str(a->on_delete));
	json_object_set_new(o, "on_update", sl_json_str(a->on_update));
	json_object_set_new(o, "unique", json_boolean(a->unique));
	json_object_set_new(o, "version", sl_json_str(a->version));
	return o;
}

static json_t *view_json(const sl_xview *v)
{
	json_t *o = json_object(), *cols = json_array();
	json_object_set_new(o, "name", json_string(v->name));
	json_object_set_new(o, "key", jlist(v->key, v->nkey));
	for (size_t i = 0; i < v->ncols; i++) {
		json_t *c = json_object();
		json_object_set_new(c, "name", json_string(v->cols[i].name));
		json_object_set_new(c, "default", sl_json_str(v->cols[i].default_expr));
		json_object_set_new(c, "identity", json_boolean(v->cols[i].identity));
		json_object_set_new(c, "generated", json_boolean(v->cols[i].generated));
		json_array_append_new(cols, c);
	}
	json_object_set_new(o, "cols", cols);
	return o;
}

int xplan_to_json(const xplan *p, char **out)
{
	json_t *root = json_object(), *c = json_array(), *r = json_array(), *v = json_array();
	int rc = 0;
	for (size_t i = 0; i < p->contract.n; i++)
		json_array_append_new(c, act_json(&p->contract.items[i]));
	for (size_t i = 0; i < p->rollback.n; i++)
		json_array_append_new(r, act_json(&p->rollback.items[i]));
	for (size_t i = 0; !rc && i < p->ntabs; i++) {
		sl_xview view;
		rc = xplan_view((xplan *)p, &p->tabs[i], &view);
		if (!rc)
			json_array_append_new(v, view_json(&view));
	}
	json_object_set_new(root, "contract", c);
	json_object_set_new(root, "rollback", r);
	json_object_set_new(root, "views", v);
	*out = rc ? NULL : json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!rc && !*out)
		rc = sl_error_nomem();
	json_decref(root);
	return rc;
}

static const char *sget(sl_arena *a, json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? sl_arena_strdup(a, s) : NULL;
}

static const char *const *lget(sl_arena *a, json_t *o, const char *k, size_t *n)
{
	json_t *l = json_object_get(o, k);
	*n = json_array_size(l);
	const char **out = sl_arena_calloc(a, *n ? *n : 1, sizeof(*out));
	for (size_t i = 0; out && i < *n; i++)
		out[i] = sl_arena_strdup(a, json_string_value(json_array_get(l, i))
						    ? json_string_value(json_array_get(l, i))
						    : "");
	return out;
}

static int acts_from(sl_arena *a, json_t *list, xacts *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *o = json_array_get(list, i);
		sl_xact *x = sl_arena_push(a, &out->items, &out->n, &out->cap, sizeof(*x));
		if (!x)
			return sl_error_nomem();
		memset(x, 0, sizeof(*x));
		long long kind = json_integer_value(json_object_get(o, "kind"));
		long long what = json_integer_value(json_object_get(o, "what"));
		if (kind < 0 || kind >= SL_XA__COUNT || what < 0 || what >= SL_XA__COUNT)
			return sl_error_set(SL_ECONFLICT,
					    "the stored expand plan holds an unknown action %lld", kind);
		x->kind = (sl_xact_kind)kind;
		x->what = (sl_xact_kind)what;
		x->base = sget(a, o, "base");
		x->table = sget(a, o, "table");
		x->column = sget(a, o, "column");
		x->to = sget(a, o, "to");
		x->decl = sget(a, o, "decl");
		x->default_expr = sget(a, o, "default");
		x->not_null = json_is_true(json_object_get(o, "not_null"));
		x->name = sget(a, o, "name");
		x->expr = sget(a, o, "expr");
		x->cols = lget(a, o, "cols", &x->ncols);
		x->ref_table = sget(a, o, "ref_table");
		x->ref_cols = lget(a, o, "ref_cols", &x->nref_cols);
		x->on_delete = sget(a, o, "on_delete");
		x->on_update = sget(a, o, "on_update");
		x->unique = json_is_true(json_object_get(o, "unique"));
		x->version = sget(a, o, "version");
	}
	return 0;
}

static int views_from(sl_arena *a, json_t *list, const char *version, const char *base, xstored *out)
{
	size_t n = json_array_size(list);
	out->views = sl_arena_calloc(a, n ? n : 1, sizeof(*out->views));
	if (!out->views)
		return sl_error_nomem();
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_array_get(list, i), *cols = json_object_get(o, "cols");
		sl_xview *v = &out->views[out->nviews++];
		v->version = version;
		v->base = base;
		v->name = v->table = sget(a, o, "name");
		v->key = (const char **)lget(a, o, "key", &v->nkey);
		v->key_physical = v->key;
		v->ncols = json_array_size(cols);
		v->cols = sl_arena_calloc(a, v->ncols ? v->ncols : 1, sizeof(*v->cols));
		if (!v->name || !v->cols)
			return sl_error_nomem();
		for (size_t j = 0; j < v->ncols; j++) {
			json_t *c = json_array_get(cols, j);
			v->cols[j].name = v->cols[j].physical = sget(a, c, "name");
			v->cols[j].default_expr = sget(a, c, "default");
			v->cols[j].identity = json_is_true(json_object_get(c, "identity"));
			v->cols[j].generated = json_is_true(json_object_get(c, "generated"));
			if (!v->cols[j].name)
				return sl_error_set(
					SL_ECONFLICT,
					"the stored expand plan has a view column without a name");
		}
	}
	return 0;
}

int xstored_from_json(sl_arena *a, const char *text, const char *version, const char *base, xstored *out)
{
	json_error_t err;
	json_t *root = text ? json_loads(text, 0, &err) : NULL;
	int rc = 0;
	memset(out, 0, sizeof(*out));
	if (!root) {
		rc = sl_error_set(SL_ECONFLICT, "the stored expand plan is not readable%s%s",
				  text ? ": " : "", text ? err.text : "");
		goto done;
	}
	rc = acts_from(a, json_object_get(root, "contract"), &out->contract);
	if (!rc)
		rc = acts_from(a, json_object_get(root, "rollback"), &out->rollback);
	if (!rc)
		rc = views_from(a, json_object_get(root, "views"), version, base, out);
done:
	json_decref(root);
	return rc;
}
