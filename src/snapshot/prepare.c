/*
 * prepare.c - what must be known before the first row is masked, read from
 * the source in full (not only the subset, so outputs do not depend on it):
 *
 *  - unique columns masked by a rule that depends on the value alone get an
 *    injective map (sl_mask_map) over their distinct values; every column
 *    masked by the same rule for the same type shares it, so a value keeps
 *    one output across tables and joins hold;
 *  - shuffled columns get their permutation: the rows in key order receive
 *    the values of the rows in the order of a keyed hash of their key.
 *
 * Both live in memory: one entry per distinct value (maps) or per row
 * (shuffles) of the columns concerned.
 */
#include "snapshot_int.h"

#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"

int sl_snap_ident_text(sl_buf *out, const sl_value *const *vals, size_t n)
{
	int rc = 0;
	sl_buf_clear(out);
	for (size_t i = 0; !rc && i < n; i++) {
		if (i)
			rc = sl_buf_putc(out, 0x1f);
		if (!rc)
			rc = sl_mask_input_text(out, vals[i]);
	}
	return rc;
}

int sl_snap_put_source_table(sl_buf *b, sl_conn *c, const sl_table *t)
{
	int rc = 0;
	if (sl_conn_has(c, SL_CAP_SCHEMAS) && t->schema) {
		rc = sl_conn_quote_ident(c, b, t->schema);
		if (!rc)
			rc = sl_buf_putc(b, '.');
	}
	return rc ? rc : sl_conn_quote_ident(c, b, t->name);
}

/* The map of colbind cb's rule and type: "rule|kind|length". */
static const char *signature(snap *s, const colbind *cb)
{
	return sl_arena_printf(s->a, "%s|%d|%d", cb->text, (int)cb->target.kind, cb->target.length);
}

typedef struct sigmap {
	const char *sig;
	sl_mask_map *map;
} sigmap;

/* Streams sql's first column into map. */
static int add_values(snap *s, sl_mask_map *map, const char *sql)
{
	sl_cursor *cur = NULL;
	sl_batch b = { 0 };
	int rc = sl_conn_query(&cur, s->src, sql);
	if (!rc)
		rc = sl_batch_init(&b, 1, 1024);
	while (!rc) {
		sl_batch_reset(&b);
		int got = sl_cursor_fetch(cur, &b, 1024);
		if (got <= 0) {
			rc = got;
			break;
		}
		for (size_t i = 0; !rc && i < b.nrows; i++)
			rc = sl_mask_map_add(map, sl_batch_row(&b, i));
	}
	sl_cursor_close(cur);
	sl_batch_free(&b);
	return rc;
}

static int distinct_sql(sl_buf *b, sl_conn *c, const sl_table *t, const char *col)
{
	int rc = sl_buf_puts(b, "SELECT DISTINCT ");
	if (!rc)
		rc = sl_conn_quote_ident(c, b, col);
	if (!rc)
		rc = sl_buf_puts(b, " FROM ");
	if (!rc)
		rc = sl_snap_put_source_table(b, c, t);
	if (!rc)
		rc = sl_buf_puts(b, " WHERE ");
	if (!rc)
		rc = sl_conn_quote_ident(c, b, col);
	if (!rc)
		rc = sl_buf_puts(b, " IS NOT NULL");
	return rc;
}

static int make_maps(snap *s)
{
	sigmap *sm = NULL;
	size_t nsm = 0, cap = 0;
	sl_buf sql = SL_BUF_INIT;
	int rc = 0;
	/* unique columns: their values go into their rule's map */
	for (size_t i = 0; !rc && i < s->schema->ntables; i++) {
		tbind *tb = &s->tables[i];
		for (size_t j = 0; !rc && j < tb->ncols; j++) {
			colbind *cb = &tb->cols[j];
			if (!cb->unique || !sl_mask_rule_value_only(cb->rule))
				continue;
			const char *sig = signature(s, cb);
			sigmap *m = NULL;
			for (size_t k = 0; sig && k < nsm; k++)
				if (!strcmp(sm[k].sig, sig))
					m = &sm[k];
			if (!sig || (!m && !(m = sl_arena_push(s->a, &sm, &nsm, &cap, sizeof(*m))))) {
				rc = sl_error_nomem();
				break;
			}
			if (!m->map) {
				m->sig = sig;
				rc = sl_mask_map_new(&m->map, cb->rule, &cb->target);
				sl_mask_map **slot = rc ? NULL
							: sl_arena_push(s->a, &s->maps, &s->nmaps,
									&s->capmaps, sizeof(*slot));
				if (!rc && !slot) {
					sl_mask_map_free(m->map);
					rc = sl_error_nomem();
				} else if (!rc) {
					*slot = m->map;
				}
			}
			sl_buf_clear(&sql);
			if (!rc)
				rc = distinct_sql(&sql, s->src, tb->t, cb->c->name);
			if (!rc)
				rc = add_values(s, m->map, sql.ptr);
			if (rc)
				sl_error_prefix("keep \"%s\".\"%s\" unique", tb->t->name, cb->c->name);
		}
	}
	for (size_t k = 0; !rc && k < nsm; k++)
		rc = sl_mask_map_build(sm[k].map, s->x);
	/* every column masked by the same rule for the same type reads the same map */
	for (size_t i = 0; !rc && i < s->schema->ntables; i++) {
		tbind *tb = &s->tables[i];
		for (size_t j = 0; !rc && j < tb->ncols; j++) {
			colbind *cb = &tb->cols[j];
			if (!sl_mask_rule_value_only(cb->rule))
				continue;
			const char *sig = signature(s, cb);
			for (size_t k = 0; sig && k < nsm; k++)
				if (!strcmp(sm[k].sig, sig))
					cb->map = sm[k].map;
		}
	}
	sl_buf_free(&sql);
	return rc;
}

typedef struct shrow {
	const char *ident;
	size_t len;
	uint64_t h;
	sl_value v;
} shrow;

static int cmp_h(const void *pa, const void *pb)
{
	const shrow *const *a = pa, *const *b = pb;
	return ((*a)->h > (*b)->h) - ((*a)->h < (*b)->h);
}

static int make_shuffle(snap *s, tbind *tb, colbind *cb)
{
	sl_buf sql = SL_BUF_INIT, id = SL_BUF_INIT;
	sl_cursor *cur = NULL;
	sl_batch b = { 0 };
	shrow *rows = NULL, **order = NULL;
	size_t n = 0, cap = 0;
	const sl_value *kv[16];
	int rc = tb->nident > 16 ? sl_error_set(SL_EINVALID, "shuffle: keys of more than 16 columns") : 0;
	if (!rc)
		rc = sl_strmap_new(&cb->shuffle);
	if (!rc)
		rc = sl_buf_puts(&sql, "SELECT ");
	for (size_t k = 0; !rc && k < tb->nident; k++) {
		rc = sl_conn_quote_ident(s->src, &sql, tb->ident[k]);
		if (!rc)
			rc = sl_buf_puts(&sql, ", ");
	}
	if (!rc)
		rc = sl_conn_quote_ident(s->src, &sql, cb->c->name);
	if (!rc)
		rc = sl_buf_puts(&sql, " FROM ");
	if (!rc)
		rc = sl_snap_put_source_table(&sql, s->src, tb->t);
	for (size_t k = 0; !rc && k < tb->nident; k++) {
		rc = sl_buf_puts(&sql, k ? ", " : " ORDER BY ");
		if (!rc)
			rc = sl_conn_quote_ident(s->src, &sql, tb->ident[k]);
	}
	sl_arena *a = cb->shuffle ? sl_strmap_arena(cb->shuffle) : NULL;
	if (!rc)
		rc = sl_conn_query(&cur, s->src, sql.ptr);
	if (!rc)
		rc = sl_batch_init(&b, tb->nident + 1, 1024);
	while (!rc) {
		sl_batch_reset(&b);
		int got = sl_cursor_fetch(cur, &b, 1024);
		if (got <= 0) {
			rc = got;
			break;
		}
		for (size_t i = 0; !rc && i < b.nrows; i++) {
			const sl_value *row = sl_batch_row(&b, i);
			for (size_t k = 0; k < tb->nident; k++)
				kv[k] = &row[k];
			shrow *r = sl_arena_push(a, &rows, &n, &cap, sizeof(*r));
			rc = r ? sl_snap_ident_text(&id, kv, tb->nident) : sl_error_nomem();
			if (rc)
				break;
			r->ident = sl_arena_memdup(a, id.ptr ? id.ptr : "", id.len + 1);
			r->len = id.len;
			r->h = sl_mask_hash64(s->x, "shuffle", r->ident, r->len);
			rc = r->ident ? sl_value_copy(&r->v, &row[tb->nident], a) : sl_error_nomem();
		}
	}
	sl_cursor_close(cur);
	order = rc || !n ? NULL : calloc(n, sizeof(*order));
	if (!rc && n && !order)
		rc = sl_error_nomem();
	for (size_t i = 0; !rc && i < n; i++)
		order[i] = &rows[i];
	if (!rc && n)
		qsort(order, n, sizeof(*order), cmp_h);
	/* the i-th row in key order takes the value of the i-th row in hash order */
	for (size_t i = 0; !rc && i < n; i++) {
		void **slot = sl_strmap_slot(cb->shuffle, rows[i].ident, rows[i].len, NULL);
		if (!slot)
			rc = sl_error_nomem();
		else
			*slot = &order[i]->v;
	}
	if (rc)
		sl_error_prefix("shuffle \"%s\".\"%s\"", tb->t->name, cb->c->name);
	free(order);
	sl_batch_free(&b);
	sl_buf_free(&sql);
	sl_buf_free(&id);
	return rc;
}

int sl_snap_prepare(snap *s)
{
	int rc = make_maps(s);
	for (size_t i = 0; !rc && i < s->schema->ntables; i++) {
		tbind *tb = &s->tables[i];
		for (size_t j = 0; !rc && j < tb->ncols; j++)
			if (tb->cols[j].rule->kind == SL_MASK_SHUFFLE)
				rc = make_shuffle(s, tb, &tb->cols[j]);
	}
	return rc;
}
