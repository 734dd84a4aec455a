/*
 * hooks.c - the copy hooks of a snapshot (sl_copy_hooks, sluice/copy.h):
 *
 *  - select_expr: a column with an sql rule is read as its expression;
 *  - row_filter: with a subset, only the chosen rows are read (the
 *    connections are prepared by the connect wrapper below);
 *  - transform: every masked column of each batch goes through its rule
 *    before conversion, so no source value of it reaches the target.
 *
 * A transform state belongs to one table part on one worker thread: it has
 * its own HMAC context and scratch buffers. Unique columns read their
 * injective map, shuffled ones their permutation; other values are masked
 * on the spot. Entities (date_shift, noise with `by`) are the `by` column's
 * value, else the row's key.
 */
#include "snapshot_int.h"

#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"

typedef struct tstate {
	snap *s;
	const tbind *tb;
	sl_mask_ctx *x;
	int *pos;   /* per colbind: its position in the rows read, -1 when not read */
	int *by;    /* per colbind: the position of its `by` column, -1: the row's key */
	int *ident; /* the row key's positions (nident), -1 when not read */
	int64_t *masked;
	sl_buf ent, key;
} tstate;

static int find_col(const char *const *cols, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(cols[i], name) == 0)
			return (int)i;
	return -1;
}

static int select_expr(void *ud, sl_buf *out, sl_conn *src, const sl_table *t, const char *column)
{
	snap *s = ud;
	(void)src;
	const colbind *cb = sl_snap_column(sl_snap_table(s, t->name), column);
	if (!cb || cb->rule->kind != SL_MASK_SQL)
		return 0;
	int rc = sl_buf_puts(out, cb->rule->expr);
	return rc ? rc : 1;
}

static int row_filter(void *ud, sl_buf *out, sl_conn *src, const sl_table *t)
{
	snap *s = ud;
	return s->subset ? sl_subset_filter(s->subset, out, src, t->name) : 0;
}

static void transform_close(void *state)
{
	tstate *ts = state;
	if (!ts)
		return;
	pthread_mutex_lock(&ts->s->mu);
	for (size_t i = 0; i < ts->tb->ncols; i++)
		ts->tb->cols[i].masked += ts->masked[i];
	pthread_mutex_unlock(&ts->s->mu);
	sl_mask_ctx_free(ts->x);
	free(ts->pos);
	free(ts->by);
	free(ts->ident);
	free(ts->masked);
	sl_buf_free(&ts->ent);
	sl_buf_free(&ts->key);
	free(ts);
}

static int transform_open(void **state, void *ud, const sl_table *t, const char *const *cols, size_t ncols)
{
	snap *s = ud;
	const tbind *tb = sl_snap_table(s, t->name);
	*state = NULL;
	if (!tb || !tb->transform)
		return 0;
	tstate *ts = calloc(1, sizeof(*ts));
	if (!ts)
		return sl_error_nomem();
	ts->s = s;
	ts->tb = tb;
	ts->pos = calloc(tb->ncols + 1, sizeof(int));
	ts->by = calloc(tb->ncols + 1, sizeof(int));
	ts->ident = calloc(tb->nident + 1, sizeof(int));
	ts->masked = calloc(tb->ncols + 1, sizeof(int64_t));
	int rc = ts->pos && ts->by && ts->ident && ts->masked ? 0 : sl_error_nomem();
	if (!rc && s->masker)
		rc = sl_mask_ctx_new(&ts->x, s->masker);
	for (size_t i = 0; !rc && i < tb->ncols; i++) {
		ts->pos[i] = find_col(cols, ncols, tb->cols[i].c->name);
		ts->by[i] = tb->cols[i].rule->by ? find_col(cols, ncols, tb->cols[i].rule->by) : -1;
		if (tb->cols[i].rule->by && ts->by[i] < 0)
			rc = sl_error_set(SL_ERROR, "snapshot \"%s\": column \"%s\" (by) is not read",
					  t->name, tb->cols[i].rule->by);
	}
	for (size_t k = 0; !rc && k < tb->nident; k++)
		ts->ident[k] = find_col(cols, ncols, tb->ident[k]);
	if (rc) {
		transform_close(ts);
		return rc;
	}
	*state = ts;
	return 0;
}

/* The row key's text (the default entity, and the shuffle's key); false when not read. */
static bool row_key(tstate *ts, const sl_value *row, sl_buf *out)
{
	const sl_value *kv[16];
	if (!ts->tb->nident || ts->tb->nident > 16)
		return false;
	for (size_t k = 0; k < ts->tb->nident; k++) {
		if (ts->ident[k] < 0)
			return false;
		kv[k] = &row[ts->ident[k]];
	}
	return sl_snap_ident_text(out, kv, ts->tb->nident) == 0;
}

/* True when the rule left v as it was (a JSON document without the masked keys, a zero date). */
static bool same(const sl_value *a, const sl_value *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case SL_V_TEXT:
	case SL_V_DECIMAL:
	case SL_V_JSON:
	case SL_V_BLOB:
		return a->u.s.ptr == b->u.s.ptr && a->u.s.len == b->u.s.len;
	default:
		return sl_value_equal(a, b);
	}
}

static int mask_one(tstate *ts, size_t i, const sl_value *row, sl_value *out, sl_arena *a)
{
	const colbind *cb = &ts->tb->cols[i];
	const sl_mask_rule *r = cb->rule;
	const sl_value *v = &row[ts->pos[i]];
	*out = *v;
	if (v->type == SL_V_NULL || r->kind == SL_MASK_KEEP || r->kind == SL_MASK_SQL)
		return 0;
	if (r->kind == SL_MASK_SHUFFLE) {
		void *val = NULL;
		if (row_key(ts, row, &ts->key) &&
		    sl_strmap_find(cb->shuffle, ts->key.ptr ? ts->key.ptr : "", ts->key.len, &val) && val)
			*out = *(const sl_value *)val;
		ts->masked[i]++;
		return 0;
	}
	if (cb->map) {
		sl_buf_clear(&ts->key);
		int rc = sl_mask_input_text(&ts->key, v);
		const sl_value *m =
			rc ? NULL : sl_mask_map_get(cb->map, ts->key.ptr ? ts->key.ptr : "", ts->key.len);
		if (rc)
			return rc;
		if (m) {
			*out = *m;
			ts->masked[i]++;
			return 0;
		}
	}
	const char *ent = NULL;
	size_t entlen = 0;
	if (r->kind == SL_MASK_DATE_SHIFT || (r->kind == SL_MASK_NOISE && r->by)) {
		bool have = false;
		if (ts->by[i] >= 0 && row[ts->by[i]].type != SL_V_NULL) {
			sl_buf_clear(&ts->ent);
			have = sl_mask_input_text(&ts->ent, &row[ts->by[i]]) == 0;
		} else if (r->kind == SL_MASK_DATE_SHIFT) {
			have = row_key(ts, row, &ts->ent);
		}
		if (have) {
			ent = ts->ent.ptr ? ts->ent.ptr : "";
			entlen = ts->ent.len;
		}
	}
	int rc = sl_mask_value(ts->x, out, v, r, &cb->target, ent, entlen, 0, a);
	if (!rc && !same(out, v))
		ts->masked[i]++;
	else if (rc)
		sl_error_prefix("mask \"%s\".\"%s\" with %s", ts->tb->t->name, cb->c->name, cb->text);
	return rc;
}

static int transform(void *state, const sl_batch *in, sl_batch *out)
{
	tstate *ts = state;
	int rc = 0;
	for (size_t r = 0; !rc && r < in->nrows; r++) {
		const sl_value *row = sl_batch_row(in, r);
		sl_value *o = sl_batch_add_row(out);
		if (!o)
			return sl_error_nomem();
		memcpy(o, row, in->ncols * sizeof(*o));
		for (size_t i = 0; !rc && i < ts->tb->ncols; i++)
			if (ts->pos[i] >= 0)
				rc = mask_one(ts, i, row, &o[ts->pos[i]], out->arena);
	}
	return rc;
}

void sl_snap_hooks(snap *s)
{
	memset(&s->hooks, 0, sizeof(s->hooks));
	s->hooks.select_expr = select_expr;
	s->hooks.row_filter = row_filter;
	s->hooks.transform_open = transform_open;
	s->hooks.transform = transform;
	s->hooks.transform_close = transform_close;
	s->hooks.ud = s;
}
