/*
 * bisect.c - sl_diff_bisect (diff.h): finds the few differing rows of a large
 * table keyed by one integer column without reading every row. The key range
 * is cut into segments; each side returns per segment its row count and the
 * sum of a 60-bit md5 prefix of every row's canonical text (bisect_sql.c);
 * segments whose fingerprints differ are cut again, and small ones are
 * row-diffed with sl_diff_table restricted to their key range, so events and
 * counts are exactly those of the full keyed diff. docs/diff.md, "Bisection".
 *
 * Equal fingerprints are trusted (a 60-bit sum collision would hide a
 * difference); everything else that could go wrong - a value the SQL cannot
 * render, NULL or non-integer keys, rows changing between queries - either
 * makes segments differ (more row-diffing) or fails loudly.
 */
#include "check/bisect_int.h"
#include "sluice/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_LEAF_RANGES 32

typedef struct fp {
	int64_t count;
	bisect_u128 sum;
} fp;

/* One side: how to name its table and key, and how to fingerprint its rows. */
typedef struct bside {
	sl_conn *c;
	const sl_dialect *d;
	const sl_rowhash_ops *h; /* NULL: local */
	bool local;              /* no row hashes in SQL (SQLite): rows are streamed and hashed in C */
	const sl_table *t;
	const sl_column **cols; /* per compared column, as this side declares it */
	sl_buf from;            /* quoted [schema.]table */
	sl_buf key;             /* quoted key column */
	sl_buf select;          /* local: SELECT <compared columns> FROM ... */
	sl_buf hash;            /* SQL: the row fingerprint expression */
	int64_t rows_read;
	int64_t count, min, max; /* from the bounds query */
} bside;

typedef struct range {
	int64_t lo, hi;
} range;

typedef struct bctx {
	bside sd[2];
	const sl_diff_spec *spec;
	sl_diff_opts opts; /* mode AUTO: the probe and the leaf row diffs */
	sl_diff_result *res;
	sl_diff_cb cb;
	void *ud;
	size_t fanout, leaf_rows, key_ix;
	char keyname[300]; /* the key as written in the WHERE shared by both sides */
	range leaves[MAX_LEAF_RANGES];
	size_t nleaves;
	int64_t leaf_src, leaf_dst; /* rows the pending leaves hold per the fingerprints */
	bool emitted;               /* a row diff has run: a fallback would repeat its events */
	bool stopped;               /* the callback asked to stop */
	bool nested;                /* a row diff of a segment failed: its error names the table */
	sl_schema *schema[2];
	EVP_MD_CTX *md;
	sl_buf text, scratch;
	char why[256];
} bctx;

static int ineligible(bctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Records why the table is not bisected; returns 1. */
static int ineligible(bctx *x, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(x->why, sizeof(x->why), fmt, ap);
	va_end(ap);
	return 1;
}

/* ---- setup ---------------------------------------------------------------- */

/* The user's WHERE, then more: "(w) AND more" or "more". */
static int where_and(sl_buf *out, const char *w, const char *more)
{
	return w ? sl_buf_printf(out, "(%s) AND (%s)", w, more) : sl_buf_puts(out, more);
}

/* Resolves columns, key and canonical kinds exactly as sl_diff_table does, by running it on no rows. */
static int probe(bctx *x, sl_conn *src, sl_conn *dst)
{
	sl_buf w = SL_BUF_INIT;
	sl_diff_spec sp = *x->spec;
	int rc = where_and(&w, x->spec->where, "1 = 0");
	sp.where = sl_buf_cstr(&w);
	if (!rc)
		rc = sl_diff_table(&x->res, src, dst, &sp, &x->opts, NULL, NULL);
	sl_buf_free(&w);
	return rc;
}

/* The key as both sides' WHERE can spell it; 1 when no spelling suits both engines. */
static int shared_key_name(bctx *x)
{
	const char *name = x->sd[0].cols[x->key_ix]->name;
	char quote = 0;
	bool plain = true;
	/* as a side that folds unquoted names to lower case spells it */
	for (int s = 0; s < 2; s++)
		if (x->sd[s].d->ident_lower_case)
			name = x->sd[s].cols[x->key_ix]->name;
	for (const char *p = name; *p; p++)
		plain = plain &&
			((*p >= 'a' && *p <= 'z') || *p == '_' || (p > name && *p >= '0' && *p <= '9'));
	/* a quote character both sides accept */
	for (const char *q = "\"`"; !quote && *q; q++)
		if (strchr(x->sd[0].d->ident_quotes, *q) && strchr(x->sd[1].d->ident_quotes, *q))
			quote = *q;
	if (strlen(name) > 128)
		return ineligible(x, "key column \"%s\" has a long name", name);
	if (plain && *name)
		snprintf(x->keyname, sizeof(x->keyname), "%s", name);
	else if (quote)
		snprintf(x->keyname, sizeof(x->keyname), "%c%s%c", quote, name, quote);
	else
		return ineligible(x, "key column \"%s\" needs quoting that differs between the engines",
				  name);
	if (strchr(name, '"') || strchr(name, '`'))
		return ineligible(x, "key column \"%s\" has quotes in its name", name);
	return 0;
}

/* Builds one side's fingerprint SQL (or local SELECT); 1 with x->why when a column cannot be fingerprinted.
 */
static int prepare_side(bctx *x, int s, const char *schema, const char *table)
{
	bside *b = &x->sd[s];
	sl_diff_result *r = x->res;
	sl_buf q = SL_BUF_INIT, row = SL_BUF_INIT;
	int rc = 0;
	b->t = sl_schema_find_table_ci(x->schema[s], NULL, table);
	if (!b->t) {
		rc = sl_error_set(SL_ENOTFOUND, "no table \"%s\" in the %s database", table,
				  s ? "target" : "source");
		goto done;
	}
	b->cols = calloc(r->ncolumns, sizeof(*b->cols));
	if (!b->cols) {
		rc = sl_error_nomem();
		goto done;
	}
	if (schema && (rc = sl_conn_quote_ident(b->c, &b->from, schema)) == 0)
		rc = sl_buf_putc(&b->from, '.');
	if (!rc)
		rc = sl_conn_quote_ident(b->c, &b->from, b->t->name);
	if (!rc && b->local)
		rc = sl_buf_puts(&b->select, "SELECT ");
	if (!rc && !b->local)
		rc = sl_buf_puts(&row, b->h->row_open);
	for (size_t i = 0; !rc && i < r->ncolumns; i++) {
		b->cols[i] = sl_table_find_column_ci(b->t, r->columns[i]);
		if (!b->cols[i]) {
			rc = sl_error_set(SL_ENOTFOUND, "no column \"%s\" in table \"%s\"", r->columns[i],
					  b->t->name);
			break;
		}
		sl_buf_clear(&q);
		rc = sl_conn_quote_ident(b->c, &q, b->cols[i]->name);
		if (!rc && i)
			rc = b->local ? sl_buf_puts(&b->select, ", ") : sl_buf_puts(&row, b->h->row_sep);
		if (!rc && b->local)
			rc = sl_buf_puts(&b->select, sl_buf_cstr(&q));
		else if (!rc)
			rc = bisect_col_expr(&row, b->h, b->cols[i], sl_buf_cstr(&q), &r->canon[i],
					     &x->opts.canon, s == 0 ? BISECT_SRC : BISECT_DST, x->why,
					     sizeof(x->why));
	}
	if (!rc && !sl_tkind_is_int(b->cols[x->key_ix]->type.kind))
		rc = ineligible(x, "key column \"%s\" is not an integer", b->cols[x->key_ix]->name);
	if (!rc)
		rc = sl_conn_quote_ident(b->c, &b->key, b->cols[x->key_ix]->name);
	if (!rc && b->local)
		rc = sl_buf_printf(&b->select, " FROM %s", sl_buf_cstr(&b->from));
	if (!rc && !b->local)
		rc = sl_buf_puts(&row, b->h->row_close);
	if (!rc && !b->local)
		rc = b->h->hash60(&b->hash, sl_buf_cstr(&row));
done:
	sl_buf_free(&q);
	sl_buf_free(&row);
	return rc;
}

/* 0 when the table can be bisected, 1 (x->why) when not, or an error. */
static int prepare(bctx *x)
{
	sl_diff_result *r = x->res;
	const char *schemas[2] = { x->spec->src_schema, x->spec->dst_schema };
	const char *tables[2] = { r->src_table, r->dst_table };
	int rc = 0;
	if (r->keyless)
		return ineligible(x, "%s", "the table has no key");
	if (r->nkey != 1)
		return ineligible(x, "%s", "the key has more than one column");
	if (x->sd[0].local && x->sd[1].local)
		return ineligible(x, "%s",
				  "both sides are SQLite files (nothing to save: both are read locally)");
	x->key_ix = r->key[0];
	for (int s = 0; s < 2 && !rc; s++) {
		sl_introspect_opts io = SL_INTROSPECT_OPTS_INIT;
		io.schema = schemas[s];
		io.exact_counts = false;
		io.include_sluice = true;
		rc = sl_conn_introspect(&x->schema[s], x->sd[s].c, &io);
	}
	for (int s = 0; s < 2 && !rc; s++)
		rc = prepare_side(x, s, sl_conn_has(x->sd[s].c, SL_CAP_SCHEMAS) ? NULL : schemas[s],
				  tables[s]);
	if (!rc)
		rc = shared_key_name(x);
	return rc;
}

/* ---- fingerprints ------------------------------------------------------- */

static int query_row(sl_conn *c, const char *sql, sl_batch *b, sl_cursor **cur)
{
	int rc = sl_conn_query(cur, c, sql);
	if (!rc)
		rc = sl_batch_init(b, sl_cursor_ncols(*cur), 16);
	return rc;
}

/* Row count, key count, min and max key; SQLite also counts integer keys. 1 when keys are unfit. */
static int bounds(bctx *x, int s)
{
	bside *b = &x->sd[s];
	sl_buf sql = SL_BUF_INIT, cond = SL_BUF_INIT;
	sl_cursor *cur = NULL;
	sl_batch batch = { 0 };
	const char *k = sl_buf_cstr(&b->key);
	int rc = sl_buf_printf(&sql, "SELECT count(*), count(%s), min(%s), max(%s)", k, k, k);
	if (!rc && b->local)
		rc = sl_buf_printf(&sql, ", count(CASE WHEN typeof(%s) = 'integer' THEN 1 END)", k);
	if (!rc)
		rc = sl_buf_printf(&sql, " FROM %s", sl_buf_cstr(&b->from));
	if (!rc && x->spec->where)
		rc = sl_buf_printf(&sql, " WHERE (%s)", x->spec->where);
	if (!rc)
		rc = query_row(b->c, sl_buf_cstr(&sql), &batch, &cur);
	if (!rc && (rc = sl_cursor_fetch(cur, &batch, 1)) == 1)
		rc = 0;
	else if (!rc)
		rc = sl_error_set(SL_EDB, "the bounds query returned no row");
	if (rc)
		goto done;
	b->rows_read++;
	const sl_value *v = sl_batch_row(&batch, 0);
	if (v[0].type != SL_V_INT || v[1].type != SL_V_INT) {
		rc = sl_error_set(SL_EDB, "the bounds query returned no counts");
		goto done;
	}
	b->count = v[0].u.i;
	if (v[1].u.i != b->count)
		rc = ineligible(x, "the %s has rows whose key is NULL", s ? "target" : "source");
	else if (b->local && (v[4].type != SL_V_INT || v[4].u.i != b->count))
		rc = ineligible(x, "the %s has keys stored as something other than integers",
				s ? "target" : "source");
	else if (b->count > 0 && (v[2].type != SL_V_INT || v[3].type != SL_V_INT))
		rc = ineligible(x, "the %s's keys do not fit in 64-bit integers", s ? "target" : "source");
	if (!rc && b->count > 0) {
		b->min = v[2].u.i;
		b->max = v[3].u.i;
	}
done:
	if (cur)
		sl_cursor_close(cur);
	sl_batch_free(&batch);
	sl_buf_free(&sql);
	sl_buf_free(&cond);
	return rc;
}

static int range_cond(sl_buf *out, const char *key, int64_t lo, int64_t hi)
{
	return sl_buf_printf(out, "%s >= %lld AND %s <= %lld", key, (long long)lo, key, (long long)hi);
}

/* Fingerprints of nb buckets of width keys from lo, computed by the engine. */
static int fingerprints_sql(bctx *x, bside *b, int64_t lo, int64_t hi, uint64_t width, size_t nb, fp *out)
{
	sl_buf sql = SL_BUF_INIT, cond = SL_BUF_INIT;
	sl_cursor *cur = NULL;
	sl_batch batch = { 0 };
	const char *k = sl_buf_cstr(&b->key);
	int rc = range_cond(&cond, k, lo, hi);
	if (!rc)
		rc = sl_buf_puts(&sql, "SELECT b, count(*), sum(h) FROM (SELECT ");
	if (!rc)
		rc = b->h->bucket(&sql, k, lo, width);
	if (!rc)
		rc = sl_buf_puts(&sql, " AS b, ");
	if (!rc)
		rc = sl_buf_printf(&sql, "%s AS h FROM %s WHERE ", sl_buf_cstr(&b->hash),
				   sl_buf_cstr(&b->from));
	if (!rc)
		rc = where_and(&sql, x->spec->where, sl_buf_cstr(&cond));
	if (!rc)
		rc = sl_buf_puts(&sql, ") q GROUP BY b");
	if (!rc)
		rc = query_row(b->c, sl_buf_cstr(&sql), &batch, &cur);
	for (int n; !rc && (n = sl_cursor_fetch(cur, &batch, 16)) != 0; sl_batch_reset(&batch)) {
		if (n < 0) {
			rc = n;
			break;
		}
		for (size_t i = 0; !rc && i < batch.nrows; i++) {
			const sl_value *v = sl_batch_row(&batch, i);
			bisect_u128 bucket = 0, count = 0, sum = 0;
			rc = bisect_value_u128(&v[0], &bucket);
			if (!rc)
				rc = bisect_value_u128(&v[1], &count);
			if (!rc)
				rc = bisect_value_u128(&v[2], &sum);
			if (!rc && bucket >= nb)
				rc = sl_error_set(SL_EDB, "fingerprint query returned segment %llu of %zu",
						  (unsigned long long)bucket, nb);
			if (!rc) {
				out[bucket].count = (int64_t)count;
				out[bucket].sum = sum;
			}
		}
		b->rows_read += (int64_t)batch.nrows;
	}
	if (cur)
		sl_cursor_close(cur);
	sl_batch_free(&batch);
	sl_buf_free(&sql);
	sl_buf_free(&cond);
	return rc;
}

/* The same fingerprints for a local side: its rows are streamed and hashed here. */
static int fingerprints_local(bctx *x, bside *b, int64_t lo, int64_t hi, uint64_t width, size_t nb, fp *out)
{
	sl_diff_result *r = x->res;
	sl_buf sql = SL_BUF_INIT, cond = SL_BUF_INIT;
	sl_cursor *cur = NULL;
	sl_batch batch = { 0 };
	int rc = range_cond(&cond, sl_buf_cstr(&b->key), lo, hi);
	if (!rc)
		rc = sl_buf_printf(&sql, "%s WHERE ", sl_buf_cstr(&b->select));
	if (!rc)
		rc = where_and(&sql, x->spec->where, sl_buf_cstr(&cond));
	if (!rc)
		rc = sl_conn_query(&cur, b->c, sl_buf_cstr(&sql));
	if (!rc)
		rc = sl_batch_init(&batch, sl_cursor_ncols(cur), x->opts.batch_rows);
	for (int n; !rc && (n = sl_cursor_fetch(cur, &batch, x->opts.batch_rows)) != 0;
	     sl_batch_reset(&batch)) {
		if (n < 0) {
			rc = n;
			break;
		}
		for (size_t i = 0; !rc && i < batch.nrows; i++) {
			const sl_value *row = sl_batch_row(&batch, i);
			const sl_value *kv = &row[x->key_ix];
			uint64_t h = 0;
			if (kv->type != SL_V_INT || kv->u.i < lo || kv->u.i > hi) {
				rc = sl_error_set(SL_ECONFLICT,
						  "a key that is not an integer in [%lld, %lld] appeared",
						  (long long)lo, (long long)hi);
				break;
			}
			size_t bucket = (size_t)(((uint64_t)kv->u.i - (uint64_t)lo) / width);
			sl_buf_clear(&x->text);
			rc = bisect_row_text(&x->text, &x->scratch, row, r->canon, r->ncolumns,
					     &x->opts.canon);
			if (!rc)
				rc = bisect_hash60(x->md, x->text.ptr ? x->text.ptr : "", x->text.len, &h);
			if (!rc && bucket < nb) {
				out[bucket].count++;
				out[bucket].sum += h;
			}
		}
		b->rows_read += (int64_t)batch.nrows;
	}
	if (cur)
		sl_cursor_close(cur);
	sl_batch_free(&batch);
	sl_buf_free(&sql);
	sl_buf_free(&cond);
	return rc;
}

/* ---- leaves: row diffs of key ranges ------------------------------------ */

static void add_counts(sl_diff_result *r, const sl_diff_result *sub)
{
	r->src_rows += sub->src_rows;
	r->dst_rows += sub->dst_rows;
	r->equal += sub->equal;
	r->changed += sub->changed;
	r->missing += sub->missing;
	r->extra += sub->extra;
	r->src_rows_read += sub->src_rows;
	r->dst_rows_read += sub->dst_rows;
	r->leaf_rows_diffed += sub->src_rows + sub->dst_rows;
	if (sub->batches_held > r->batches_held)
		r->batches_held = sub->batches_held;
	if (sub->peak_batch_rows > r->peak_batch_rows)
		r->peak_batch_rows = sub->peak_batch_rows;
	if (sub->peak_bytes > r->peak_bytes)
		r->peak_bytes = sub->peak_bytes;
}

/* Row-diffs the pending key ranges in one sl_diff_table call; their events go to the caller. */
static int flush_leaves(bctx *x)
{
	sl_buf ranges = SL_BUF_INIT, w = SL_BUF_INIT;
	sl_diff_result *sub = NULL;
	int rc = 0;
	if (x->nleaves == 0)
		return 0;
	for (size_t i = 0; !rc && i < x->nleaves; i++) {
		if (i)
			rc = sl_buf_puts(&ranges, " OR ");
		if (!rc)
			rc = sl_buf_putc(&ranges, '(');
		if (!rc)
			rc = range_cond(&ranges, x->keyname, x->leaves[i].lo, x->leaves[i].hi);
		if (!rc)
			rc = sl_buf_putc(&ranges, ')');
	}
	if (!rc)
		rc = where_and(&w, x->spec->where, sl_buf_cstr(&ranges));
	if (rc)
		goto done;
	sl_diff_spec sp = *x->spec;
	sp.where = sl_buf_cstr(&w);
	x->emitted = true;
	rc = sl_diff_table(&sub, x->sd[0].c, x->sd[1].c, &sp, &x->opts, x->cb, x->ud);
	if (sub)
		add_counts(x->res, sub);
	if (rc) {
		x->stopped = sub != NULL;
		x->nested = sub == NULL; /* its message already names the table */
		goto done;
	}
	if (sub->src_rows != x->leaf_src || sub->dst_rows != x->leaf_dst)
		rc = sl_error_set(
			SL_ECONFLICT,
			"the row diff of differing segments read %lld source and %lld target rows where "
			"their fingerprints counted %lld and %lld (did the data change during the diff?)",
			(long long)sub->src_rows, (long long)sub->dst_rows, (long long)x->leaf_src,
			(long long)x->leaf_dst);
done:
	x->nleaves = 0;
	x->leaf_src = x->leaf_dst = 0;
	sl_diff_result_free(sub);
	sl_buf_free(&ranges);
	sl_buf_free(&w);
	return rc;
}

static int add_leaf(bctx *x, int64_t lo, int64_t hi, int64_t nsrc, int64_t ndst)
{
	int rc = 0;
	if (x->nleaves && x->leaves[x->nleaves - 1].hi < INT64_MAX &&
	    x->leaves[x->nleaves - 1].hi + 1 == lo) {
		x->leaves[x->nleaves - 1].hi = hi;
	} else {
		if (x->nleaves == MAX_LEAF_RANGES && (rc = flush_leaves(x)) != 0)
			return rc;
		x->leaves[x->nleaves++] = (range){ .lo = lo, .hi = hi };
	}
	x->leaf_src += nsrc;
	x->leaf_dst += ndst;
	return 0;
}

/* ---- descent ------------------------------------------------------------ */

static int fingerprints(bctx *x, int s, int64_t lo, int64_t hi, uint64_t width, size_t nb, fp *out)
{
	bside *b = &x->sd[s];
	x->res->fingerprint_queries++;
	int rc = b->local ? fingerprints_local(x, b, lo, hi, width, nb, out)
			  : fingerprints_sql(x, b, lo, hi, width, nb, out);
	if (rc)
		sl_error_prefix("fingerprinting the %s's keys %lld to %lld", s ? "target" : "source",
				(long long)lo, (long long)hi);
	return rc;
}

/* Splits [lo, hi], whose fingerprints differ, and handles each part. */
static int split(bctx *x, int64_t lo, int64_t hi)
{
	sl_diff_result *r = x->res;
	uint64_t span = (uint64_t)hi - (uint64_t)lo;
	uint64_t width = span / x->fanout + 1;
	size_t nb = (size_t)(span / width) + 1;
	fp *f[2] = { calloc(nb, sizeof(fp)), calloc(nb, sizeof(fp)) };
	int rc = f[0] && f[1] ? 0 : sl_error_nomem();
	for (int s = 0; s < 2 && !rc; s++)
		rc = fingerprints(x, s, lo, hi, width, nb, f[s]);
	for (size_t i = 0; !rc && i < nb; i++) {
		int64_t blo = (int64_t)((uint64_t)lo + i * width);
		int64_t bhi = i + 1 == nb ? hi : (int64_t)((uint64_t)blo + width - 1);
		const fp *a = &f[0][i], *b = &f[1][i];
		r->segments_compared++;
		if (a->count == b->count && a->sum == b->sum) {
			r->equal += a->count;
			r->src_rows += a->count;
			r->dst_rows += b->count;
			continue;
		}
		int64_t most = a->count > b->count ? a->count : b->count;
		if (most <= (int64_t)x->leaf_rows || a->count == 0 || b->count == 0 || blo == bhi)
			rc = add_leaf(x, blo, bhi, a->count, b->count);
		else
			rc = split(x, blo, bhi);
	}
	free(f[0]);
	free(f[1]);
	return rc;
}

static int run(bctx *x)
{
	int rc = 0;
	for (int s = 0; s < 2 && !rc; s++)
		rc = bounds(x, s);
	if (rc)
		return rc;
	bside *a = &x->sd[0], *b = &x->sd[1];
	if (a->count == 0 && b->count == 0)
		return 0;
	int64_t lo = a->count == 0 ? b->min : b->count == 0 ? a->min : a->min < b->min ? a->min : b->min;
	int64_t hi = a->count == 0 ? b->max : b->count == 0 ? a->max : a->max > b->max ? a->max : b->max;
	if (a->count == 0 || b->count == 0)
		rc = add_leaf(x, lo, hi, a->count, b->count);
	else
		rc = split(x, lo, hi);
	if (!rc)
		rc = flush_leaves(x);
	return rc;
}

/* ---- entry point ---------------------------------------------------------- */

static int fallback(bctx *x, sl_diff_result **out, sl_conn *src, sl_conn *dst)
{
	int64_t read[2] = { x->sd[0].rows_read, x->sd[1].rows_read };
	sl_diff_result_free(x->res);
	x->res = NULL;
	int rc = sl_diff_table(out, src, dst, x->spec, &x->opts, x->cb, x->ud);
	if (*out) {
		(*out)->bisected = false;
		snprintf((*out)->bisect_note, sizeof((*out)->bisect_note), "%s", x->why);
		(*out)->src_rows_read = (*out)->src_rows + read[0];
		(*out)->dst_rows_read = (*out)->dst_rows + read[1];
	}
	return rc;
}

static void ctx_free(bctx *x)
{
	for (int s = 0; s < 2; s++) {
		free(x->sd[s].cols);
		sl_buf_free(&x->sd[s].from);
		sl_buf_free(&x->sd[s].key);
		sl_buf_free(&x->sd[s].select);
		sl_buf_free(&x->sd[s].hash);
		sl_schema_free(x->schema[s]);
	}
	EVP_MD_CTX_free(x->md);
	sl_buf_free(&x->text);
	sl_buf_free(&x->scratch);
}

int sl_diff_bisect(sl_diff_result **out, sl_conn *src, sl_conn *dst, const sl_diff_spec *spec,
		   const sl_diff_opts *opts, sl_diff_cb on_diff, void *ud)
{
	static const sl_diff_opts defaults = SL_DIFF_OPTS_INIT;
	bctx x = { .spec = spec, .cb = on_diff, .ud = ud };
	int rc = 0;
	*out = NULL;
	if (!src || !dst || !spec || !spec->src_table)
		return sl_error_set(SL_EINVALID, "diff: source, target and table are required");
	x.opts = opts ? *opts : defaults;
	x.opts.mode = SL_DIFF_AUTO;
	if (x.opts.batch_rows == 0)
		x.opts.batch_rows = defaults.batch_rows;
	x.fanout = x.opts.bisect_fanout ? x.opts.bisect_fanout : 16;
	x.fanout = x.fanout < 2 ? 2 : x.fanout > 1024 ? 1024 : x.fanout;
	x.leaf_rows = x.opts.bisect_leaf_rows ? x.opts.bisect_leaf_rows : 2000;
	for (int s = 0; s < 2; s++) {
		x.sd[s].c = s ? dst : src;
		x.sd[s].d = sl_conn_dialect(x.sd[s].c);
		x.sd[s].h = x.sd[s].d->rowhash;
		x.sd[s].local = x.sd[s].h == NULL;
		x.sd[s].from = x.sd[s].key = x.sd[s].select = x.sd[s].hash = (sl_buf)SL_BUF_INIT;
	}
	x.text = x.scratch = (sl_buf)SL_BUF_INIT;
	rc = probe(&x, src, dst);
	if (rc)
		goto done;
	x.md = EVP_MD_CTX_new();
	if (!x.md) {
		rc = sl_error_nomem();
		goto done;
	}
	rc = prepare(&x);
	if (rc == 0)
		rc = run(&x);
	if (rc > 0 || (rc < 0 && !x.emitted && !x.stopped && rc != SL_ENOMEM)) {
		/* not bisectable, or a fingerprint query failed before any event: the full diff answers */
		if (rc < 0)
			snprintf(x.why, sizeof(x.why), "%s", sl_error_last()->message);
		sl_error_clear();
		rc = fallback(&x, out, src, dst);
		goto done;
	}
	if (rc && !x.stopped && !x.nested)
		sl_error_prefix("diff \"%s\" (bisect)", spec->src_table);
	x.res->bisected = true;
	x.res->src_rows_read += x.sd[0].rows_read;
	x.res->dst_rows_read += x.sd[1].rows_read;
	if (!rc || x.stopped) {
		*out = x.res;
		x.res = NULL;
	}
done:
	sl_diff_result_free(x.res);
	ctx_free(&x);
	return rc;
}
