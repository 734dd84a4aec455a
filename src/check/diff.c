/*
 * diff.c - sl_diff_table (include/sluice/diff.h): resolves the table, key and
 * columns on both sides from introspection, builds each side's SELECT, and
 * runs the keyed merge of two key-ordered streams. Keyless tables go to
 * diff_keyless.c. docs/diff.md describes the algorithm and its memory bound.
 *
 * The merge trusts no engine's ORDER BY blindly: every row is checked to come
 * strictly after the previous one in the C key order (sl_canon_key_cmp), so a
 * collation that orders differently fails loudly instead of producing
 * false MISSING/EXTRA pairs.
 */
#include "check/diff_int.h"
#include "db/prefetch.h"
#include "sluice/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *side_name(int side)
{
	return side == DIFF_SRC ? "source" : "target";
}

/* ---- result ------------------------------------------------------------ */

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

void sl_diff_result_free(sl_diff_result *r)
{
	if (!r)
		return;
	free(r->src_table);
	free(r->dst_table);
	free_strv(r->columns, r->ncolumns);
	free(r->key);
	free(r->canon);
	free_strv(r->src_only, r->nsrc_only);
	free_strv(r->dst_only, r->ndst_only);
	free(r);
}

static int strv_push(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(char *));
	if (!nv)
		return sl_error_nomem();
	*v = nv;
	nv[*n] = strdup(s);
	if (!nv[*n])
		return sl_error_nomem();
	(*n)++;
	return 0;
}

/* ---- resolving tables and columns -------------------------------------- */

static int introspect(sl_schema **out, sl_conn *c, const char *schema)
{
	sl_introspect_opts io = SL_INTROSPECT_OPTS_INIT;
	io.schema = schema;
	io.exact_counts = false;
	io.include_sluice = true;
	return sl_conn_introspect(out, c, &io);
}

static int add_col(diff_ctx *x, const sl_table *st, const sl_table *dt, const char *name)
{
	sl_diff_result *r = x->res;
	const sl_column *sc = sl_table_find_column_ci(st, name);
	if (!sc)
		return sl_error_set(SL_ENOTFOUND, "no column \"%s\" in source table \"%s\"", name, st->name);
	const sl_column *dc = sl_table_find_column_ci(dt, sc->name);
	if (!dc)
		return sl_error_set(SL_ENOTFOUND, "no column \"%s\" in target table \"%s\"", name, dt->name);
	for (size_t i = 0; i < r->ncolumns; i++)
		if (strcmp(r->columns[i], sc->name) == 0)
			return 0;
	diff_col *nc = realloc(x->cols, (r->ncolumns + 1) * sizeof(*nc));
	if (!nc)
		return sl_error_nomem();
	x->cols = nc;
	nc[r->ncolumns] =
		(diff_col){ .src_name = sc->name, .dst_name = dc->name, .src_col = sc, .dst_col = dc };
	return strv_push(&r->columns, &r->ncolumns, sc->name);
}

static int resolve_key(diff_ctx *x, const sl_table *st, const sl_table *dt)
{
	sl_diff_result *r = x->res;
	const sl_diff_spec *sp = x->spec;
	const char *const *key = sp->key;
	size_t nkey = sp->nkey;
	int rc = 0;
	if (!key && st->primary_key) {
		key = st->primary_key->columns;
		nkey = st->primary_key->ncolumns;
	}
	if (x->opts.mode == SL_DIFF_KEYLESS || !key || nkey == 0) {
		if (x->opts.mode == SL_DIFF_KEYED)
			return sl_error_set(SL_EINVALID, "table \"%s\" has no primary key: give key columns",
					    st->name);
		r->keyless = true;
		return 0;
	}
	r->key = calloc(nkey, sizeof(size_t));
	if (!r->key)
		return sl_error_nomem();
	for (size_t k = 0; k < nkey && !rc; k++) {
		rc = add_col(x, st, dt, key[k]);
		if (rc)
			break;
		const sl_column *sc = sl_table_find_column_ci(st, key[k]);
		for (size_t i = 0; i < r->ncolumns; i++)
			if (strcmp(r->columns[i], sc->name) == 0)
				r->key[k] = i;
	}
	r->nkey = nkey;
	return rc;
}

/* The canon column of a pair; a column without a collation of its own has its table's (MySQL). */
static void merge_canon(sl_canon_col *out, const sl_table *st, const sl_column *sc, const sl_table *dt,
			const sl_column *dc)
{
	sl_column s = sc ? *sc : (sl_column){ 0 }, d = dc ? *dc : (sl_column){ 0 };
	if (!s.collation)
		s.collation = st->collation;
	if (!d.collation)
		d.collation = dt->collation;
	sl_canon_col_merge(out, sc ? &s : NULL, dc ? &d : NULL);
}

static int resolve_columns(diff_ctx *x, const sl_table *st, const sl_table *dt)
{
	sl_diff_result *r = x->res;
	const sl_diff_spec *sp = x->spec;
	int rc = 0;
	if (sp->columns) {
		for (size_t i = 0; i < sp->ncolumns && !rc; i++)
			rc = add_col(x, st, dt, sp->columns[i]);
	} else {
		for (size_t i = 0; i < st->ncolumns && !rc; i++) {
			if (sl_table_find_column_ci(dt, st->columns[i].name))
				rc = add_col(x, st, dt, st->columns[i].name);
			else
				rc = strv_push(&r->src_only, &r->nsrc_only, st->columns[i].name);
		}
		for (size_t i = 0; i < dt->ncolumns && !rc; i++)
			if (!sl_table_find_column_ci(st, dt->columns[i].name))
				rc = strv_push(&r->dst_only, &r->ndst_only, dt->columns[i].name);
	}
	if (!rc && r->ncolumns == 0)
		rc = sl_error_set(SL_EINVALID, "tables \"%s\" and \"%s\" have no column in common", st->name,
				  dt->name);
	if (rc)
		return rc;
	r->canon = calloc(r->ncolumns, sizeof(sl_canon_col));
	if (!r->canon)
		return sl_error_nomem();
	for (size_t i = 0; i < r->ncolumns; i++) {
		if (sp->canon)
			r->canon[i] = sp->canon[i];
		else
			merge_canon(&r->canon[i], st, x->cols[i].src_col, dt, x->cols[i].dst_col);
	}
	return 0;
}

static int key_null_fallback(diff_ctx *x);

/* Introspects both sides (unless the spec has both tables) and fills the columns, key and canon columns. */
static int resolve(diff_ctx *x)
{
	sl_schema *ss = NULL, *ds = NULL;
	const sl_diff_spec *sp = x->spec;
	const sl_table *st = sp->src_model, *dt = sp->dst_model;
	int rc = 0;
	if (!st || !dt) {
		rc = introspect(&ss, x->src, sp->src_schema);
		if (!rc)
			rc = introspect(&ds, x->dst, sp->dst_schema);
		if (rc)
			goto done;
		st = sl_schema_find_table_ci(ss, sl_conn_has(x->src, SL_CAP_SCHEMAS) ? NULL : sp->src_schema,
					     x->src_table);
		dt = sl_schema_find_table_ci(ds, sl_conn_has(x->dst, SL_CAP_SCHEMAS) ? NULL : sp->dst_schema,
					     x->dst_table);
	}
	if (!st || !dt) {
		rc = sl_error_set(SL_ENOTFOUND, "no table \"%s\" in the %s database",
				  st ? x->dst_table : x->src_table, st ? "target" : "source");
		goto done;
	}
	x->res->src_table = strdup(st->name);
	x->res->dst_table = strdup(dt->name);
	if (!x->res->src_table || !x->res->dst_table) {
		rc = sl_error_nomem();
		goto done;
	}
	rc = resolve_key(x, st, dt);
	if (!rc)
		rc = resolve_columns(x, st, dt);
	if (!rc && !x->res->keyless)
		rc = key_null_fallback(x);
	/* the schemas own the sl_column pointers; keep them until the diff ends */
	if (!rc) {
		x->src_schema_model = ss;
		x->dst_schema_model = ds;
		ss = ds = NULL;
	}
done:
	sl_schema_free(ss);
	sl_schema_free(ds);
	return rc;
}

/* ---- SQL ---------------------------------------------------------------- */

static bool kind_is_text(sl_tkind k)
{
	return k == SL_T_CHAR || k == SL_T_VARCHAR || k == SL_T_TEXT || k == SL_T_ENUM || k == SL_T_SET ||
	       k == SL_T_UNKNOWN || k == SL_T_OTHER || k == SL_T_JSON;
}

static bool kind_is_ordered_natively(sl_tkind k)
{
	switch (k) {
	case SL_T_BOOL:
	case SL_T_INT16:
	case SL_T_INT32:
	case SL_T_INT64:
	case SL_T_FLOAT32:
	case SL_T_FLOAT64:
	case SL_T_DECIMAL:
	case SL_T_DATE:
	case SL_T_TIME:
	case SL_T_TIMESTAMP:
	case SL_T_TIMESTAMPTZ:
	case SL_T_BLOB:
		return true;
	default:
		return false;
	}
}

/*
 * The ORDER BY term that sorts a key column in the C key order: numbers
 * and temporals natively, bytes for text (the engines' collations differ),
 * uuid stored as text by its lower-case form.
 */
static int order_term(sl_buf *o, sl_conn *c, const sl_column *col, sl_tkind canon_kind, const char *q)
{
	const sl_dialect *d = sl_conn_dialect(c);
	sl_tkind k = col->type.kind;
	int rc = 0;
	if (col->nullable)
		rc = sl_buf_printf(o, "(%s IS NULL) DESC, ", q);
	if (rc)
		return rc;
	if (canon_kind == SL_T_UUID && kind_is_text(k))
		return d->text_expr(o, q, SL_TEXT_ORDER | SL_TEXT_LOWER);
	if (kind_is_ordered_natively(canon_kind) && (kind_is_ordered_natively(k) || k == SL_T_UUID))
		return sl_buf_puts(o, q);
	if (k == SL_T_UUID || k == SL_T_BLOB)
		return sl_buf_puts(o, q);
	return d->text_expr(o, q, SL_TEXT_ORDER);
}

/* " FROM [schema.]table [WHERE (where)]" of one side. */
static int from_where(const diff_ctx *x, int side, sl_buf *out)
{
	sl_conn *c = side == DIFF_SRC ? x->src : x->dst;
	const char *schema = side == DIFF_SRC ? x->spec->src_schema : x->spec->dst_schema;
	const char *table = side == DIFF_SRC ? x->res->src_table : x->res->dst_table;
	int rc = sl_buf_puts(out, " FROM ");
	if (!rc && schema) {
		rc = sl_conn_quote_ident(c, out, schema);
		if (!rc)
			rc = sl_buf_putc(out, '.');
	}
	if (!rc)
		rc = sl_conn_quote_ident(c, out, table);
	if (!rc && x->spec->where)
		rc = sl_buf_printf(out, " WHERE (%s)", x->spec->where);
	return rc;
}

/*
 * A key column that can hold NULL and does on one side (SQLite lets primary
 * key columns hold NULL; a --key may name nullable columns): rows cannot be
 * matched by that key, so the table is compared keyless and the result says
 * why. Keyed mode refuses instead.
 */
static int key_null_fallback(diff_ctx *x)
{
	sl_diff_result *r = x->res;
	sl_buf sql = SL_BUF_INIT, keys = SL_BUF_INIT;
	int rc = 0;
	for (int side = DIFF_SRC; !rc && !r->keyless && side <= DIFF_DST; side++) {
		sl_conn *c = side == DIFF_SRC ? x->src : x->dst;
		bool nullable = false;
		for (size_t k = 0; k < r->nkey; k++) {
			const diff_col *dc = &x->cols[r->key[k]];
			nullable = nullable || (side == DIFF_SRC ? dc->src_col : dc->dst_col)->nullable;
		}
		if (!nullable)
			continue;
		sl_buf_clear(&sql);
		sl_buf_clear(&keys);
		rc = sl_buf_puts(&sql, "SELECT count(*) FROM (SELECT 1");
		if (!rc)
			rc = from_where(x, side, &sql);
		rc = rc ? rc : sl_buf_puts(&sql, x->spec->where ? " AND (" : " WHERE (");
		for (size_t k = 0; !rc && k < r->nkey; k++) {
			const diff_col *dc = &x->cols[r->key[k]];
			rc = sl_buf_puts(&sql, k ? " OR " : "");
			if (!rc)
				rc = sl_conn_quote_ident(c, &sql,
							 side == DIFF_SRC ? dc->src_name : dc->dst_name);
			if (!rc)
				rc = sl_buf_puts(&sql, " IS NULL");
			if (!rc)
				rc = sl_buf_printf(&keys, "%s%s", k ? ", " : "", r->columns[r->key[k]]);
		}
		rc = rc ? rc : sl_buf_puts(&sql, ") LIMIT 1) sl_nullkey");
		int64_t n = 0;
		if (!rc)
			rc = sl_conn_query_int(c, sl_buf_cstr(&sql), &n);
		if (rc) {
			sl_error_prefix("looking for NULL keys on the %s", side_name(side));
			break;
		}
		if (n == 0)
			continue;
		if (x->opts.mode == SL_DIFF_KEYED) {
			rc = sl_error_set(SL_EINVALID,
					  "the %s key (%s) holds NULL: rows cannot be matched by it",
					  side_name(side), sl_buf_cstr(&keys));
			break;
		}
		snprintf(r->keyless_note, sizeof(r->keyless_note),
			 "the %s key (%s) holds NULL, so rows cannot be matched by it", side_name(side),
			 sl_buf_cstr(&keys));
		free(r->key);
		r->key = NULL;
		r->nkey = 0;
		r->keyless = true;
	}
	sl_buf_free(&sql);
	sl_buf_free(&keys);
	return rc;
}

int diff_build_select(const diff_ctx *x, int side, bool ordered, sl_buf *out)
{
	sl_conn *c = side == DIFF_SRC ? x->src : x->dst;
	sl_buf q = SL_BUF_INIT;
	int rc = sl_buf_puts(out, "SELECT ");
	for (size_t i = 0; !rc && i < x->res->ncolumns; i++) {
		if (i)
			rc = sl_buf_puts(out, ", ");
		if (!rc)
			rc = sl_conn_quote_ident(c, out,
						 side == DIFF_SRC ? x->cols[i].src_name
								  : x->cols[i].dst_name);
	}
	if (!rc)
		rc = from_where(x, side, out);
	if (!rc && ordered && x->res->nkey) {
		rc = sl_buf_puts(out, " ORDER BY ");
		for (size_t k = 0; !rc && k < x->res->nkey; k++) {
			size_t ci = x->res->key[k];
			const sl_column *col = side == DIFF_SRC ? x->cols[ci].src_col : x->cols[ci].dst_col;
			sl_buf_clear(&q);
			rc = sl_conn_quote_ident(c, &q, col->name);
			if (!rc && k)
				rc = sl_buf_puts(out, ", ");
			if (!rc)
				rc = order_term(out, c, col, x->res->canon[ci].kind, sl_buf_cstr(&q));
		}
	}
	sl_buf_free(&q);
	return rc;
}

/* ---- keyed merge -------------------------------------------------------- */

/* One side's stream: the current batch and the last key of the previous one. Each
 * side is read in a thread of its own (db/prefetch.h), so that both engines and
 * the comparison work at once. */
typedef struct stream {
	int side;
	sl_cursor *cur;
	sl_prefetch *pf; /* reads the next batch while this one is compared */
	sl_batch *batch; /* the current batch (the prefetch's), NULL before the first */
	size_t pos;      /* current row in batch */
	bool done;
	sl_value *last; /* copy of the previous batch's last row keys (nkey values) */
	sl_arena *last_arena;
	bool have_last;
} stream;

static int key_cmp(const diff_ctx *x, const sl_value *ka, bool a_is_keys, const sl_value *rb, int *out)
{
	const sl_diff_result *r = x->res;
	*out = 0;
	for (size_t k = 0; k < r->nkey && *out == 0; k++) {
		size_t ci = r->key[k];
		const sl_value *va = a_is_keys ? &ka[k] : &ka[ci];
		int rc = sl_canon_key_cmp(out, va, &rb[ci], &r->canon[ci], &x->opts.canon);
		if (rc)
			return rc;
	}
	return 0;
}

static int describe_key(sl_buf *o, const diff_ctx *x, const sl_value *row)
{
	int rc = 0;
	for (size_t k = 0; !rc && k < x->res->nkey; k++) {
		size_t ci = x->res->key[k];
		rc = sl_buf_printf(o, "%s%s=", k ? ", " : "", x->res->columns[ci]);
		if (!rc)
			rc = row[ci].type == SL_V_NULL ? sl_buf_puts(o, "NULL")
						       : sl_value_format(o, &row[ci]);
	}
	return rc;
}

/* Checks that the current row comes strictly after the previous one. */
static int check_order(const diff_ctx *x, stream *s)
{
	const sl_value *row = sl_batch_row(s->batch, s->pos);
	int c = 0, rc;
	if (s->pos > 0)
		rc = key_cmp(x, sl_batch_row(s->batch, s->pos - 1), false, row, &c);
	else if (s->have_last)
		rc = key_cmp(x, s->last, true, row, &c);
	else
		return 0;
	if (rc || c < 0)
		return rc;
	sl_buf k = SL_BUF_INIT;
	describe_key(&k, x, row);
	rc = sl_error_set(SL_ECONFLICT,
			  c == 0 ? "%s key is not unique: (%s) appears twice"
				 : "%s rows do not arrive in key order at (%s); the key type or "
				   "collation sorts differently on this engine",
			  side_name(s->side), sl_buf_cstr(&k));
	sl_buf_free(&k);
	return rc;
}

static size_t stream_rows(const stream *s)
{
	return s->batch ? s->batch->nrows : 0;
}

static void note_memory(diff_ctx *x, const stream *a, const stream *b)
{
	sl_diff_result *r = x->res;
	size_t bytes = (a->batch ? sl_batch_bytes(a->batch) : 0) + (b->batch ? sl_batch_bytes(b->batch) : 0);
	if (bytes > r->peak_bytes)
		r->peak_bytes = bytes;
	size_t rows = stream_rows(a) > stream_rows(b) ? stream_rows(a) : stream_rows(b);
	if (rows > r->peak_batch_rows)
		r->peak_batch_rows = rows;
}

/* Makes s->pos a valid row, fetching the next batch when needed; sets done at the end. */
static int stream_fill(diff_ctx *x, stream *s)
{
	if (s->done || s->pos < stream_rows(s))
		return 0;
	if (stream_rows(s) > 0) {
		const sl_value *row = sl_batch_row(s->batch, s->batch->nrows - 1);
		sl_arena_reset(s->last_arena);
		for (size_t k = 0; k < x->res->nkey; k++) {
			int rc = sl_value_copy(&s->last[k], &row[x->res->key[k]], s->last_arena);
			if (rc)
				return rc;
		}
		s->have_last = true;
	}
	s->pos = 0;
	int n = sl_prefetch_next(s->pf, &s->batch);
	if (n < 0) {
		sl_error_prefix("reading the %s", side_name(s->side));
		return n;
	}
	if (n == 0)
		s->done = true;
	return 0;
}

static int stream_open(diff_ctx *x, stream *s, int side)
{
	sl_buf sql = SL_BUF_INIT;
	sl_conn *c = side == DIFF_SRC ? x->src : x->dst;
	s->side = side;
	int rc = diff_build_select(x, side, true, &sql);
	if (!rc)
		rc = sl_conn_query(&s->cur, c, sl_buf_cstr(&sql));
	if (rc)
		sl_error_prefix("querying the %s", side_name(side));
	if (!rc)
		rc = sl_prefetch_start(&s->pf, s->cur, x->opts.batch_rows);
	if (!rc) {
		s->last_arena = sl_arena_new(0);
		s->last = calloc(x->res->nkey, sizeof(sl_value));
		if (!s->last_arena || !s->last)
			rc = sl_error_nomem();
	}
	sl_buf_free(&sql);
	return rc;
}

static void stream_close(stream *s)
{
	sl_prefetch_stop(s->pf); /* before the cursor: the reader may be in a fetch */
	if (s->cur)
		sl_cursor_close(s->cur);
	sl_arena_free(s->last_arena);
	free(s->last);
}

int diff_emit(diff_ctx *x, const sl_diff_event *ev)
{
	if (!x->cb)
		return 0;
	int rc = x->cb(ev, x->ud);
	if (rc)
		x->stopped = true;
	return rc;
}

static int emit(diff_ctx *x, sl_diff_kind kind, const sl_value *sr, const sl_value *dr, const size_t *changed,
		size_t nchanged)
{
	sl_diff_event ev = { .kind = kind,
			     .src_row = sr,
			     .dst_row = dr,
			     .ncolumns = x->res->ncolumns,
			     .changed = changed,
			     .nchanged = nchanged,
			     .count = 1 };
	return diff_emit(x, &ev);
}

static int compare_rows(diff_ctx *x, const sl_value *sr, const sl_value *dr, size_t *changed)
{
	sl_diff_result *r = x->res;
	size_t n = 0;
	for (size_t i = 0; i < r->ncolumns; i++)
		if (!sl_canon_equal(&sr[i], &dr[i], &r->canon[i], &x->opts.canon))
			changed[n++] = i;
	if (n == 0) {
		r->equal++;
		return 0;
	}
	r->changed++;
	return emit(x, SL_DIFF_CHANGED, sr, dr, changed, n);
}

static int run_keyed(diff_ctx *x)
{
	stream a = { 0 }, b = { 0 };
	sl_diff_result *r = x->res;
	size_t *changed = calloc(r->ncolumns, sizeof(size_t));
	int rc = changed ? 0 : sl_error_nomem();
	if (!rc)
		rc = stream_open(x, &a, DIFF_SRC);
	if (!rc)
		rc = stream_open(x, &b, DIFF_DST);
	if (rc)
		goto done;
	r->batches_held = 4; /* per side: the one compared and the one being read */
	for (;;) {
		bool afetch = !a.done && a.pos >= stream_rows(&a),
		     bfetch = !b.done && b.pos >= stream_rows(&b);
		rc = stream_fill(x, &a);
		if (!rc)
			rc = stream_fill(x, &b);
		if (rc)
			goto done;
		if (afetch || bfetch)
			note_memory(x, &a, &b);
		if (a.done && b.done)
			break;
		const sl_value *ra = a.done ? NULL : sl_batch_row(a.batch, a.pos);
		const sl_value *rb = b.done ? NULL : sl_batch_row(b.batch, b.pos);
		int c;
		if (!ra)
			c = 1;
		else if (!rb)
			c = -1;
		else if ((rc = key_cmp(x, ra, false, rb, &c)) != 0)
			goto done;
		/* each row is consumed once, so its order is checked once */
		if (c <= 0) {
			rc = check_order(x, &a);
			if (rc)
				goto done;
			r->src_rows++;
		}
		if (c >= 0) {
			rc = check_order(x, &b);
			if (rc)
				goto done;
			r->dst_rows++;
		}
		if (c < 0) {
			r->missing++;
			rc = emit(x, SL_DIFF_MISSING, ra, NULL, NULL, 0);
			a.pos++;
		} else if (c > 0) {
			r->extra++;
			rc = emit(x, SL_DIFF_EXTRA, NULL, rb, NULL, 0);
			b.pos++;
		} else {
			rc = compare_rows(x, ra, rb, changed);
			a.pos++;
			b.pos++;
		}
		if (rc)
			goto done;
	}
done:
	stream_close(&a);
	stream_close(&b);
	free(changed);
	return rc;
}

/* ---- entry point ------------------------------------------------------ */

int sl_diff_count_rows(int64_t *out, sl_conn *c, const char *schema, const char *table, const char *where)
{
	sl_buf sql = SL_BUF_INIT;
	int rc = sl_buf_puts(&sql, "SELECT count(*) FROM ");
	*out = 0;
	if (!rc && schema) {
		rc = sl_conn_quote_ident(c, &sql, schema);
		if (!rc)
			rc = sl_buf_putc(&sql, '.');
	}
	if (!rc)
		rc = sl_conn_quote_ident(c, &sql, table);
	if (!rc && where)
		rc = sl_buf_printf(&sql, " WHERE (%s)", where);
	if (!rc)
		rc = sl_conn_query_int(c, sl_buf_cstr(&sql), out);
	if (rc)
		sl_error_prefix("count the rows of \"%s\"", table);
	sl_buf_free(&sql);
	return rc;
}

int sl_diff_table(sl_diff_result **out, sl_conn *src, sl_conn *dst, const sl_diff_spec *spec,
		  const sl_diff_opts *opts, sl_diff_cb on_diff, void *ud)
{
	static const sl_diff_opts defaults = SL_DIFF_OPTS_INIT;
	diff_ctx x = { .src = src, .dst = dst, .spec = spec, .cb = on_diff, .ud = ud };
	int rc = 0;
	*out = NULL;
	if (!src || !dst || !spec || !spec->src_table)
		return sl_error_set(SL_EINVALID, "diff: source, target and table are required");
	if (src == dst)
		return sl_error_set(SL_EINVALID,
				    "diff \"%s\": source and target must be different connections",
				    spec->src_table);
	x.opts = opts ? *opts : defaults;
	if (x.opts.batch_rows == 0)
		x.opts.batch_rows = defaults.batch_rows;
	if (x.opts.mem_cap < 4096)
		x.opts.mem_cap = 4096;
	if (x.opts.canon.timestamp_precision < 0 || x.opts.canon.timestamp_precision > 6)
		return sl_error_set(SL_EINVALID, "timestamp precision %d is not between 0 and 6",
				    x.opts.canon.timestamp_precision);
	x.src_table = spec->src_table;
	x.dst_table = spec->dst_table ? spec->dst_table : spec->src_table;
	x.res = calloc(1, sizeof(*x.res));
	if (!x.res)
		return sl_error_nomem();
	rc = resolve(&x);
	if (!rc)
		rc = x.res->keyless ? diff_run_keyless(&x) : run_keyed(&x);
	/* the one place that names the table: inner messages say only what went wrong */
	if (rc && !x.stopped)
		sl_error_prefix("diff \"%s\"", spec->src_table);
	sl_schema_free(x.src_schema_model);
	sl_schema_free(x.dst_schema_model);
	free(x.cols);
	/* a stop asked by the callback still returns the counts so far */
	if (rc && !x.stopped) {
		sl_diff_result_free(x.res);
		x.res = NULL;
	}
	*out = x.res;
	return rc;
}
