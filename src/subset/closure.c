/*
 * closure.c - choosing the rows of a subset (include/sluice/subset.h).
 *
 * Every table of the schema is a node; every relationship an edge from the
 * referencing (child) table to the referenced (parent) one. A node keeps
 * the rows chosen so far in a hash set keyed by the canonical encoding of
 * its identity (primary key, else a unique NOT NULL key, else - for a table
 * without one - the columns of its relationships), each with the values of
 * its link columns (identity, then relationship columns) and whether it was
 * reached downward.
 *
 * The work is semi-naive: only rows new since the last round are expanded.
 * New rows look up their parents (up); rows reached downward also look up
 * their children (down). Each edge remembers the tuples it already asked
 * for, so no tuple is queried twice. Queries are plain SQL with IN lists of
 * at most CHUNK tuples, quoted by the source's own quote_literal.
 *
 * Samples ("customers: 5%") take the rows whose XXH3 hash of the identity
 * is among the smallest: the same rows every run, whatever the engine's
 * row order.
 */
#include "subset_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "sluice/canon.h"
#include "sluice/error.h"

#define CHUNK       500
#define SAMPLE_SEED UINT64_C(0x736c756963652073)

static void notice(sl_subset *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void notice(sl_subset *s, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	if (!s->notice)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	s->notice(s->notice_ud, buf);
}

/* ---- nodes and edges ---- */

static bool key_not_null(const sl_table *t, const sl_key *k)
{
	for (size_t i = 0; i < k->ncolumns; i++) {
		const sl_column *c = sl_table_find_column(t, k->columns[i]);
		if (!c || c->nullable)
			return false;
	}
	return k->ncolumns > 0;
}

static size_t col_pos(const tnode *n, const char *col)
{
	for (size_t i = 0; i < n->ncols; i++)
		if (strcmp(n->cols[i], col) == 0)
			return i;
	return (size_t)-1;
}

static int add_col(sl_subset *s, tnode *n, const char *col, size_t *cap)
{
	if (col_pos(n, col) != (size_t)-1)
		return 0;
	const char **slot = sl_arena_push(s->a, &n->cols, &n->ncols, cap, sizeof(*slot));
	if (!slot)
		return sl_error_nomem();
	*slot = col;
	return 0;
}

tnode *sl_subset_node(const sl_subset *s, const char *table)
{
	for (size_t i = 0; i < s->nnodes; i++)
		if (strcmp(s->nodes[i].t->name, table) == 0)
			return &s->nodes[i];
	return NULL;
}

static int make_nodes(sl_subset *s, const sl_schema *sc, const sl_subset_opts *o)
{
	s->nnodes = sc->ntables;
	s->nodes = sl_arena_calloc(s->a, s->nnodes + 1, sizeof(*s->nodes));
	s->edges = sl_arena_calloc(s->a, o->nrels + 1, sizeof(*s->edges));
	if (!s->nodes || !s->edges)
		return sl_error_nomem();
	for (size_t i = 0; i < s->nnodes; i++) {
		tnode *n = &s->nodes[i];
		const sl_table *t = &sc->tables[i];
		n->t = t;
		n->index = i;
		n->comp = (int)i;
		const sl_key *k = t->primary_key;
		for (size_t j = 0; (!k || !key_not_null(t, k)) && j < t->nuniques; j++)
			if (key_not_null(t, &t->uniques[j]))
				k = &t->uniques[j];
		if (k) {
			n->ident = k->columns;
			n->nident = k->ncolumns;
		}
		int rc = sl_strmap_new(&n->set);
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < o->nrels; i++) {
		redge *e = &s->edges[s->nedges];
		e->r = &o->rels[i];
		e->child = sl_subset_node(s, e->r->table);
		e->parent = sl_subset_node(s, e->r->ref_table);
		if (!e->child || !e->parent)
			continue;
		e->flag = -1;
		int rc = sl_strmap_new(&e->asked_up);
		if (!rc)
			rc = sl_strmap_new(&e->asked_down);
		if (rc)
			return rc;
		s->nedges++;
	}
	/* link columns: identity, then the columns of each relationship, then the where flags */
	for (size_t i = 0; i < s->nnodes; i++) {
		tnode *n = &s->nodes[i];
		size_t cap = 0;
		int rc = 0;
		for (size_t j = 0; !rc && j < n->nident; j++)
			rc = add_col(s, n, n->ident[j], &cap);
		for (size_t j = 0; !rc && j < s->nedges; j++) {
			const redge *e = &s->edges[j];
			for (size_t c = 0; !rc && e->child == n && c < e->r->ncolumns; c++)
				rc = add_col(s, n, e->r->columns[c], &cap);
			for (size_t c = 0; !rc && e->parent == n && c < e->r->ncolumns; c++)
				rc = add_col(s, n, e->r->ref_columns[c], &cap);
		}
		if (rc)
			return rc;
		if (!n->nident) { /* no key: a row is known by its relationship columns */
			n->keyless = true;
			n->ident = n->cols;
			n->nident = n->ncols;
		}
		n->nsel = n->ncols;
	}
	for (size_t j = 0; j < s->nedges; j++) {
		redge *e = &s->edges[j];
		e->cpos = sl_arena_calloc(s->a, e->r->ncolumns, sizeof(size_t));
		e->ppos = sl_arena_calloc(s->a, e->r->ncolumns, sizeof(size_t));
		if (!e->cpos || !e->ppos)
			return sl_error_nomem();
		for (size_t c = 0; c < e->r->ncolumns; c++) {
			e->cpos[c] = col_pos(e->child, e->r->columns[c]);
			e->ppos[c] = col_pos(e->parent, e->r->ref_columns[c]);
		}
		if (e->r->where)
			e->flag = (int)e->child->nsel++;
	}
	return 0;
}

/* ---- SQL ---- */

int sl_subset_put_table(const sl_subset *s, sl_buf *b, sl_conn *c, const sl_table *t)
{
	int rc = 0;
	if (s->schemas && t->schema) {
		rc = sl_conn_quote_ident(c, b, t->schema);
		if (!rc)
			rc = sl_buf_putc(b, '.');
	}
	return rc ? rc : sl_conn_quote_ident(c, b, t->name);
}

/* "SELECT <link columns>, <flags> FROM <table>" */
static int select_link(sl_subset *s, sl_buf *b, const tnode *n)
{
	int rc = sl_buf_puts(b, "SELECT ");
	for (size_t i = 0; !rc && i < n->ncols; i++) {
		if (i)
			rc = sl_buf_puts(b, ", ");
		if (!rc)
			rc = sl_conn_quote_ident(s->src, b, n->cols[i]);
	}
	for (size_t j = 0; !rc && j < s->nedges; j++) {
		const redge *e = &s->edges[j];
		if (e->child == n && e->flag >= 0)
			rc = sl_buf_printf(b, "%sCASE WHEN (%s) THEN 1 ELSE 0 END", n->ncols ? ", " : "",
					   e->r->where);
	}
	if (!rc && n->nsel == 0)
		rc = sl_buf_puts(b, "1");
	if (!rc)
		rc = sl_buf_puts(b, " FROM ");
	if (!rc)
		rc = sl_subset_put_table(s, b, s->src, n->t);
	return rc;
}

/* Appends the canonical encoding of vals[pos[0..n)] (or vals[0..n) when pos is NULL). */
static int encode(sl_buf *b, const sl_value *vals, const size_t *pos, size_t n, bool *has_null)
{
	int rc = 0;
	sl_buf_clear(b);
	*has_null = false;
	for (size_t i = 0; !rc && i < n; i++) {
		const sl_value *v = &vals[pos ? pos[i] : i];
		if (v->type == SL_V_NULL)
			*has_null = true;
		rc = sl_canon_value(b, v, NULL, NULL);
	}
	return rc;
}

static int push_row(sl_arena *a, srow ***q, size_t *n, size_t *cap, srow *r)
{
	srow **slot = sl_arena_push(a, q, n, cap, sizeof(*slot));
	if (!slot)
		return sl_error_nomem();
	*slot = r;
	return 0;
}

/* Takes a row of n (values as read) into the subset; down: reached downward (or a root). */
static int add_row(sl_subset *s, tnode *n, const sl_value *vals, bool down)
{
	bool has_null = false, created = false;
	int rc = encode(&s->enc, vals, NULL, n->nident, &has_null);
	if (rc)
		return rc;
	if (has_null) {
		if (!n->warned_null)
			notice(s,
			       "subset: \"%s\": rows whose %s hold NULL cannot be told apart and are left "
			       "out",
			       n->t->name, n->keyless ? "relationship columns" : "key columns");
		n->warned_null = true;
		return 0;
	}
	void **slot = sl_strmap_slot(n->set, s->enc.ptr, s->enc.len, &created);
	if (!slot)
		return sl_error_nomem();
	srow *r = *slot;
	if (created) {
		r = sl_arena_alloc(s->a, sizeof(*r));
		sl_value *v = r ? sl_arena_calloc(s->a, n->nsel ? n->nsel : 1, sizeof(*v)) : NULL;
		if (!v)
			return sl_error_nomem();
		for (size_t i = 0; !rc && i < n->nsel; i++)
			rc = sl_value_copy(&v[i], &vals[i], s->a);
		if (rc)
			return rc;
		r->v = v;
		r->down = down;
		*slot = r;
		n->count++;
		XXH128_hash_t h = XXH3_128bits(s->enc.ptr, s->enc.len);
		n->dig[0] ^= h.low64;
		n->dig[1] ^= h.high64;
		rc = push_row(s->a, &n->q_up, &n->nup, &n->cap_up, r);
		if (!rc && down)
			rc = push_row(s->a, &n->q_down, &n->ndown, &n->cap_down, r);
		return rc;
	}
	if (down && !r->down) {
		r->down = true;
		return push_row(s->a, &n->q_down, &n->ndown, &n->cap_down, r);
	}
	return 0;
}

/* Runs sql and takes every row into n. */
static int take_rows(sl_subset *s, tnode *n, const char *sql, bool down)
{
	sl_cursor *cur = NULL;
	sl_batch b = { 0 };
	int rc = sl_conn_query(&cur, s->src, sql);
	if (!rc)
		rc = sl_batch_init(&b, n->nsel ? n->nsel : 1, 512);
	while (!rc) {
		sl_batch_reset(&b);
		int got = sl_cursor_fetch(cur, &b, 512);
		if (got <= 0) {
			rc = got;
			break;
		}
		for (size_t i = 0; !rc && i < b.nrows; i++)
			rc = add_row(s, n, sl_batch_row(&b, i), down);
	}
	sl_cursor_close(cur);
	sl_batch_free(&b);
	if (rc)
		sl_error_prefix("subset \"%s\"", n->t->name);
	return rc;
}

/* " WHERE (a, b) IN ((1, 2), (3, 4))" for tuples[0..nt) of ncols values each. */
static int put_in_list(sl_subset *s, sl_buf *b, const char *const *cols, size_t ncols, sl_value **tuples,
		       size_t nt)
{
	int rc = sl_buf_puts(b, ncols > 1 ? " WHERE (" : " WHERE ");
	for (size_t c = 0; !rc && c < ncols; c++) {
		if (c)
			rc = sl_buf_puts(b, ", ");
		if (!rc)
			rc = sl_conn_quote_ident(s->src, b, cols[c]);
	}
	if (!rc)
		rc = sl_buf_puts(b, ncols > 1 ? ") IN (" : " IN (");
	for (size_t i = 0; !rc && i < nt; i++) {
		if (i)
			rc = sl_buf_puts(b, ", ");
		if (!rc && ncols > 1)
			rc = sl_buf_putc(b, '(');
		for (size_t c = 0; !rc && c < ncols; c++) {
			if (c)
				rc = sl_buf_puts(b, ", ");
			if (!rc)
				rc = sl_conn_quote_literal(s->src, b, &tuples[i][c]);
		}
		if (!rc && ncols > 1)
			rc = sl_buf_putc(b, ')');
	}
	if (!rc)
		rc = sl_buf_putc(b, ')');
	return rc;
}

static bool flag_set(const sl_value *v)
{
	return (v->type == SL_V_INT && v->u.i == 1) || (v->type == SL_V_BOOL && v->u.b) ||
	       (v->type == SL_V_DECIMAL && v->u.s.len == 1 && v->u.s.ptr[0] == '1');
}

/*
 * Follows edge e from rows: up (child rows -> the parents they reference) or
 * down (parent rows -> the children that reference them).
 */
static int follow(sl_subset *s, redge *e, srow **rows, size_t nrows, bool up)
{
	tnode *from = up ? e->child : e->parent, *to = up ? e->parent : e->child;
	const size_t *pos = up ? e->cpos : e->ppos;
	const char *const *to_cols = up ? e->r->ref_columns : e->r->columns;
	sl_strmap *asked = up ? e->asked_up : e->asked_down;
	size_t nc = e->r->ncolumns, nt = 0;
	sl_value **tuples = calloc(CHUNK, sizeof(*tuples));
	sl_buf sql = SL_BUF_INIT;
	int rc = tuples ? 0 : sl_error_nomem();
	(void)from;
	for (size_t i = 0; !rc && i <= nrows; i++) {
		if (i < nrows) {
			bool has_null = false, created = false;
			if (up && e->flag >= 0 && !flag_set(&rows[i]->v[e->flag]))
				continue; /* the declared relationship does not apply to this row */
			rc = encode(&s->enc, rows[i]->v, pos, nc, &has_null);
			if (rc || has_null)
				continue;
			if (!sl_strmap_slot(asked, s->enc.ptr, s->enc.len, &created)) {
				rc = sl_error_nomem();
				break;
			}
			if (!created)
				continue;
			sl_value *tv = sl_arena_calloc(s->a, nc, sizeof(*tv));
			if (!tv) {
				rc = sl_error_nomem();
				break;
			}
			for (size_t c = 0; c < nc; c++)
				tv[c] = rows[i]->v[pos[c]];
			tuples[nt++] = tv;
		}
		if (nt == 0 || (nt < CHUNK && i < nrows))
			continue;
		sl_buf_clear(&sql);
		rc = select_link(s, &sql, to);
		if (!rc)
			rc = put_in_list(s, &sql, to_cols, nc, tuples, nt);
		if (!rc && !up && e->r->where)
			rc = sl_buf_printf(&sql, " AND (%s)", e->r->where);
		if (!rc)
			rc = take_rows(s, to, sql.ptr, !up);
		nt = 0;
	}
	if (rc)
		sl_error_prefix("follow %s", e->r->name);
	free(tuples);
	sl_buf_free(&sql);
	return rc;
}

static int expand(sl_subset *s)
{
	bool more = true;
	int rc = 0;
	while (more && !rc) {
		more = false;
		for (size_t i = 0; !rc && i < s->nnodes; i++) {
			tnode *n = &s->nodes[i];
			if (n->nup) {
				srow **q = n->q_up;
				size_t nq = n->nup;
				n->q_up = NULL;
				n->nup = n->cap_up = 0;
				for (size_t j = 0; !rc && j < s->nedges; j++)
					if (s->edges[j].child == n)
						rc = follow(s, &s->edges[j], q, nq, true);
				more = true;
			}
			if (!rc && n->ndown) {
				srow **q = n->q_down;
				size_t nq = n->ndown;
				n->q_down = NULL;
				n->ndown = n->cap_down = 0;
				for (size_t j = 0; !rc && j < s->nedges; j++)
					if (s->edges[j].parent == n)
						rc = follow(s, &s->edges[j], q, nq, false);
				more = true;
			}
		}
	}
	return rc;
}

/* ---- roots ---- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* The rows of a sample: the k whose identity hashes smallest. */
static int take_sample(sl_subset *s, tnode *n, double percent)
{
	sl_buf sql = SL_BUF_INIT;
	sl_cursor *cur = NULL;
	sl_batch b = { 0 };
	uint64_t *h = NULL;
	size_t nh = 0, caph = 0, k = 0, taken = 0;
	uint64_t thr = 0;
	int rc = select_link(s, &sql, n);
	for (int pass = 0; pass < 2 && !rc; pass++) {
		rc = sl_conn_query(&cur, s->src, sql.ptr);
		if (!rc)
			rc = sl_batch_init(&b, n->nsel ? n->nsel : 1, 512);
		while (!rc) {
			sl_batch_reset(&b);
			int got = sl_cursor_fetch(cur, &b, 512);
			if (got <= 0) {
				rc = got;
				break;
			}
			for (size_t i = 0; !rc && i < b.nrows; i++) {
				const sl_value *row = sl_batch_row(&b, i);
				bool has_null = false;
				rc = encode(&s->enc, row, NULL, n->nident, &has_null);
				if (rc || has_null)
					continue;
				uint64_t x = XXH3_64bits_withSeed(s->enc.ptr, s->enc.len, SAMPLE_SEED);
				if (pass == 0) {
					if (nh == caph) {
						size_t nc = caph ? caph * 2 : 4096;
						uint64_t *nhp = realloc(h, nc * sizeof(*h));
						if (!nhp) {
							rc = sl_error_nomem();
							break;
						}
						h = nhp;
						caph = nc;
					}
					h[nh++] = x;
				} else if (x < thr) {
					rc = add_row(s, n, row, true);
				} else if (x == thr && taken < k) {
					rc = add_row(s, n, row, true);
					taken++;
				}
			}
		}
		sl_cursor_close(cur);
		cur = NULL;
		sl_batch_free(&b);
		if (!rc && pass == 0) {
			k = (size_t)ceil((double)nh * percent / 100.0);
			if (k > nh)
				k = nh;
			if (k == 0)
				break;
			qsort(h, nh, sizeof(*h), cmp_u64);
			thr = h[k - 1];
			size_t below = 0;
			while (below < k && h[below] < thr)
				below++;
			taken = below; /* rows hashing below thr are all taken; those at thr fill up to k */
		}
	}
	free(h);
	sl_buf_free(&sql);
	if (rc)
		sl_error_prefix("subset root \"%s\"", n->t->name);
	return rc;
}

static int take_roots(sl_subset *s, const sl_subset_opts *o)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < o->nroots; i++) {
		const sl_subset_root *r = &o->roots[i];
		tnode *n = sl_subset_node(s, r->table);
		if (!n) {
			const char **names = sl_arena_calloc(s->a, s->nnodes + 1, sizeof(*names));
			for (size_t j = 0; names && j < s->nnodes; j++)
				names[j] = s->nodes[j].t->name;
			const char *near = sl_config_nearest(r->table, names);
			return near ? sl_error_set(SL_EINVALID,
						   "--subset: no table \"%s\" in the source (did you mean "
						   "\"%s\"?)",
						   r->table, near)
				    : sl_error_set(SL_EINVALID, "--subset: no table \"%s\" in the source",
						   r->table);
		}
		if (n->nident == 0)
			return sl_error_set(
				SL_EINVALID,
				"--subset: \"%s\" has no key and no relationship: its rows cannot be "
				"followed",
				r->table);
		n->root = true;
		if (r->where) {
			sl_buf sql = SL_BUF_INIT;
			rc = select_link(s, &sql, n);
			if (!rc)
				rc = sl_buf_printf(&sql, " WHERE (%s)", r->where);
			if (!rc)
				rc = take_rows(s, n, sql.ptr, true);
			sl_buf_free(&sql);
		} else {
			rc = take_sample(s, n, r->percent);
		}
	}
	return rc;
}

/* ---- modes ---- */

static int find(sl_subset *s, int i)
{
	while (s->nodes[i].comp != i)
		i = s->nodes[i].comp = s->nodes[s->nodes[i].comp].comp;
	return i;
}

static void set_modes(sl_subset *s)
{
	for (size_t j = 0; j < s->nedges; j++) {
		int a = find(s, (int)s->edges[j].child->index), b = find(s, (int)s->edges[j].parent->index);
		if (a != b)
			s->nodes[a].comp = b;
	}
	for (size_t i = 0; i < s->nnodes; i++) {
		tnode *n = &s->nodes[i];
		bool connected = false;
		for (size_t k = 0; k < s->nnodes && !connected; k++)
			connected = s->nodes[k].root && find(s, (int)k) == find(s, (int)i);
		n->mode = !connected ? SL_SUBSET_ALL : n->count > 0 ? SL_SUBSET_SOME : SL_SUBSET_NONE;
		snprintf(n->tmp, sizeof(n->tmp), "sluice_subset_%zu", i);
	}
}

int sl_subset_compute(sl_subset **out, sl_conn *src, const sl_schema *sc, const sl_subset_opts *o)
{
	sl_subset *s = calloc(1, sizeof(*s));
	int rc = 0;
	*out = NULL;
	if (!s)
		return sl_error_nomem();
	s->a = sl_arena_new(0);
	s->src = src;
	s->schemas = sl_conn_has(src, SL_CAP_SCHEMAS);
	s->notice = o->notice;
	s->notice_ud = o->notice_ud;
	rc = s->a ? make_nodes(s, sc, o) : sl_error_nomem();
	if (!rc)
		rc = take_roots(s, o);
	if (!rc)
		rc = expand(s);
	if (!rc)
		set_modes(s);
	s->src = NULL; /* borrowed for the computation only */
	sl_buf_free(&s->enc);
	if (rc) {
		sl_subset_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void sl_subset_free(sl_subset *s)
{
	if (!s)
		return;
	for (size_t i = 0; s->nodes && i < s->nnodes; i++)
		sl_strmap_free(s->nodes[i].set);
	for (size_t i = 0; s->edges && i < s->nedges; i++) {
		sl_strmap_free(s->edges[i].asked_up);
		sl_strmap_free(s->edges[i].asked_down);
	}
	sl_buf_free(&s->enc);
	sl_arena_free(s->a);
	free(s);
}

sl_subset_mode sl_subset_table(const sl_subset *s, const char *table, int64_t *rows)
{
	const tnode *n = sl_subset_node(s, table);
	sl_subset_mode m = n ? n->mode : SL_SUBSET_ALL;
	if (rows)
		*rows = m == SL_SUBSET_ALL ? -1 : m == SL_SUBSET_NONE ? 0 : n->count;
	return m;
}
