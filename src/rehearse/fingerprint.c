/*
 * fingerprint.c - what a database holds, in a form two moments can be
 * compared by: the schema model (sl_conn_introspect) and, per table, the row
 * count, the sum of 128-bit row hashes (order-independent, duplicates
 * counted) and one such sum per column, all over canonical encodings
 * (canon.h) so equal values hash equally whatever their spelling.
 *
 * Comparing two fingerprints names what differs: schema changes
 * (sl_schema_diff), tables whose rows differ, and the columns whose values
 * differ. Rows are named by the diff engine (sl_diff_table) between the
 * rehearsed database and the scratch copy, when the rehearsed table still
 * fingerprints as the scratch copy did before the round trip.
 */
#include "rehearse/rehearse_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "sluice/canon.h"
#include "sluice/diff.h"
#include "sluice/error.h"
#include "sluice/schemadiff.h"

#define FP_BATCH     2000
#define ROW_EXAMPLES 5

typedef struct rh_tfp {
	const sl_table *t; /* in the fingerprint's schema */
	int64_t rows;
	uint64_t sum[2];
	uint64_t (*csum)[2]; /* per column of t */
} rh_tfp;

struct rh_fp {
	sl_schema *schema;
	rh_tfp *t;
	size_t n;
};

static void add128(uint64_t acc[2], XXH128_hash_t h)
{
	uint64_t lo = acc[0] + h.low64;
	acc[1] += h.high64 + (lo < acc[0]);
	acc[0] = lo;
}

static int select_all(sl_buf *sql, sl_conn *c, const sl_table *t)
{
	int rc = sl_buf_puts(sql, "SELECT ");
	for (size_t i = 0; !rc && i < t->ncolumns; i++) {
		if (i)
			rc = sl_buf_puts(sql, ", ");
		if (!rc)
			rc = sl_conn_quote_ident(c, sql, t->columns[i].name);
	}
	if (!rc)
		rc = sl_buf_puts(sql, " FROM ");
	if (!rc)
		rc = sl_conn_quote_ident(c, sql, t->name);
	return rc;
}

/* Reads every row of t on c into f. */
static int fp_table(rh_tfp *f, sl_conn *c, const sl_table *t)
{
	sl_buf sql = SL_BUF_INIT, enc = SL_BUF_INIT, one = SL_BUF_INIT;
	sl_cursor *cur = NULL;
	sl_batch b = { 0 };
	sl_canon_col *cc = calloc(t->ncolumns ? t->ncolumns : 1, sizeof(*cc));
	sl_canon_opts co = SL_CANON_OPTS_INIT;
	int rc = cc ? 0 : sl_error_nomem();
	f->t = t;
	f->rows = 0;
	f->sum[0] = f->sum[1] = 0;
	if (!rc && !(f->csum = calloc(t->ncolumns ? t->ncolumns : 1, sizeof(*f->csum))))
		rc = sl_error_nomem();
	for (size_t i = 0; !rc && i < t->ncolumns; i++)
		sl_canon_col_from_column(&cc[i], &t->columns[i]);
	if (!rc && t->ncolumns == 0)
		goto done;
	if (!rc)
		rc = select_all(&sql, c, t);
	if (!rc)
		rc = sl_conn_query(&cur, c, sl_buf_cstr(&sql));
	if (!rc)
		rc = sl_batch_init(&b, t->ncolumns, FP_BATCH);
	while (!rc) {
		sl_batch_reset(&b);
		int n = sl_cursor_fetch(cur, &b, FP_BATCH);
		if (n <= 0) {
			rc = n;
			break;
		}
		for (size_t r = 0; !rc && r < b.nrows; r++) {
			const sl_value *row = sl_batch_row(&b, r);
			sl_buf_clear(&enc);
			for (size_t i = 0; !rc && i < t->ncolumns; i++) {
				sl_buf_clear(&one);
				rc = sl_canon_value(&one, &row[i], &cc[i], &co);
				if (!rc)
					rc = sl_buf_put(&enc, one.ptr ? one.ptr : "", one.len);
				if (!rc)
					add128(f->csum[i], XXH3_128bits(one.ptr ? one.ptr : "", one.len));
			}
			if (!rc) {
				add128(f->sum, XXH3_128bits(enc.ptr ? enc.ptr : "", enc.len));
				f->rows++;
			}
		}
	}
done:
	if (rc)
		sl_error_prefix("fingerprint table \"%s\"", t->name);
	sl_cursor_close(cur);
	if (b.values || b.arena)
		sl_batch_free(&b);
	sl_buf_free(&sql);
	sl_buf_free(&enc);
	sl_buf_free(&one);
	free(cc);
	return rc;
}

void rh_fp_free(rh_fp *fp)
{
	if (!fp)
		return;
	for (size_t i = 0; i < fp->n; i++)
		free(fp->t[i].csum);
	free(fp->t);
	sl_schema_free(fp->schema);
	free(fp);
}

int rh_fingerprint(rh_fp **out, sl_conn *c)
{
	sl_introspect_opts io = SL_INTROSPECT_OPTS_INIT;
	io.exact_counts = false; /* the fingerprint counts rows itself */
	rh_fp *fp = calloc(1, sizeof(*fp));
	int rc = fp ? 0 : sl_error_nomem();
	*out = NULL;
	if (!rc)
		rc = sl_conn_introspect(&fp->schema, c, &io);
	if (!rc && !(fp->t = calloc(fp->schema->ntables ? fp->schema->ntables : 1, sizeof(*fp->t))))
		rc = sl_error_nomem();
	for (size_t i = 0; !rc && i < fp->schema->ntables; i++) {
		rc = fp_table(&fp->t[i], c, &fp->schema->tables[i]);
		fp->n++;
	}
	if (rc)
		rh_fp_free(fp);
	else
		*out = fp;
	return rc;
}

int64_t rh_fp_rows(const rh_fp *fp)
{
	int64_t n = 0;
	for (size_t i = 0; fp && i < fp->n; i++)
		n += fp->t[i].rows;
	return n;
}

static const rh_tfp *find_tfp(const rh_fp *fp, const char *name)
{
	for (size_t i = 0; i < fp->n; i++)
		if (strcmp(fp->t[i].t->name, name) == 0)
			return &fp->t[i];
	return NULL;
}

static bool same_sums(const uint64_t a[2], const uint64_t b[2])
{
	return a[0] == b[0] && a[1] == b[1];
}

/* ---- naming rows with the diff engine ---- */

typedef struct row_ctx {
	sl_rehearsal *r;
	const sl_table *t;
	const char **cols;
	size_t ncols;
	size_t shown;
	int64_t total;
} row_ctx;

static int fmt_key(sl_buf *b, const row_ctx *x, const sl_value *row)
{
	int rc = 0;
	const sl_key *pk = x->t->primary_key;
	size_t nk = pk ? pk->ncolumns : 0;
	for (size_t k = 0; !rc && k < nk; k++)
		for (size_t i = 0; !rc && i < x->ncols; i++)
			if (strcmp(x->cols[i], pk->columns[k]) == 0) {
				rc = sl_buf_printf(b, "%s%s=", k ? ", " : "", x->cols[i]);
				if (!rc)
					rc = row[i].type == SL_V_NULL ? sl_buf_puts(b, "NULL")
								      : sl_value_format(b, &row[i]);
			}
	if (!rc && nk == 0)
		rc = sl_buf_puts(b, "(a row of a table without a key)");
	return rc;
}

static int on_row_diff(const sl_diff_event *ev, void *ud)
{
	row_ctx *x = ud;
	x->total += ev->count > 0 ? ev->count : 1;
	if (x->shown >= ROW_EXAMPLES)
		return 0;
	sl_buf b = SL_BUF_INIT;
	const sl_value *row = ev->src_row ? ev->src_row : ev->dst_row;
	int rc = sl_buf_printf(&b, "row of \"%s\" ", x->t->name);
	if (!rc)
		rc = fmt_key(&b, x, row);
	if (!rc && ev->kind == SL_DIFF_MISSING)
		rc = sl_buf_puts(&b, ": gone after the round trip");
	else if (!rc && ev->kind == SL_DIFF_EXTRA)
		rc = sl_buf_puts(&b, ": appeared in the round trip");
	else if (!rc) {
		rc = sl_buf_puts(&b, ": ");
		for (size_t i = 0; !rc && i < ev->nchanged; i++) {
			size_t c = ev->changed[i];
			rc = sl_buf_printf(&b, "%s%s was ", i ? "; " : "", x->cols[c]);
			if (!rc)
				rc = ev->src_row[c].type == SL_V_NULL ? sl_buf_puts(&b, "NULL")
								      : sl_value_format(&b, &ev->src_row[c]);
			if (!rc)
				rc = sl_buf_puts(&b, ", is ");
			if (!rc)
				rc = ev->dst_row[c].type == SL_V_NULL ? sl_buf_puts(&b, "NULL")
								      : sl_value_format(&b, &ev->dst_row[c]);
		}
	}
	if (!rc)
		rc = rh_push_line(&x->r->fidelity_diffs, &x->r->nfidelity_diffs, "%s", sl_buf_cstr(&b));
	x->shown++;
	sl_buf_free(&b);
	return rc;
}

/* Names the differing rows of table (model t from before) between source and scratch. */
static int name_rows(sl_rehearsal *r, const rh_tfp *before, sl_conn *source, sl_conn *scratch,
		     const sl_table *after_t)
{
	const sl_table *t = before->t;
	rh_tfp now = { 0 };
	int rc = fp_table(&now, source, t);
	if (rc || now.rows != before->rows || !same_sums(now.sum, before->sum)) {
		free(now.csum);
		sl_error_clear();
		return rh_push_line(&r->fidelity_diffs, &r->nfidelity_diffs,
				    "rows of \"%s\" not named: the rehearsed database changed since the copy",
				    t->name);
	}
	free(now.csum);
	/* compare the columns both sides have, in the model's order, keyed by the primary key */
	const char **cols = calloc(t->ncolumns ? t->ncolumns : 1, sizeof(*cols));
	size_t ncols = 0;
	if (!cols)
		return sl_error_nomem();
	for (size_t i = 0; i < t->ncolumns; i++)
		if (sl_table_find_column(after_t, t->columns[i].name))
			cols[ncols++] = t->columns[i].name;
	sl_diff_spec spec = {
		.src_table = t->name, .dst_table = t->name, .columns = cols, .ncolumns = ncols
	};
	if (t->primary_key) {
		spec.key = (const char *const *)t->primary_key->columns;
		spec.nkey = t->primary_key->ncolumns;
	}
	sl_diff_result *res = NULL;
	row_ctx x = { .r = r, .t = t, .cols = cols, .ncols = ncols };
	rc = sl_diff_table(&res, source, scratch, &spec, NULL, on_row_diff, &x);
	if (!rc && x.total > (int64_t)x.shown)
		rc = rh_push_line(&r->fidelity_diffs, &r->nfidelity_diffs,
				  "... %lld more differing rows in \"%s\"",
				  (long long)(x.total - (int64_t)x.shown), t->name);
	sl_diff_result_free(res);
	free(cols);
	return rc;
}

int rh_fp_compare(sl_rehearsal *r, const rh_fp *before, const rh_fp *after, sl_conn *source, sl_conn *scratch)
{
	sl_schemadiff *d = NULL;
	sl_buf line = SL_BUF_INIT;
	int rc = sl_schema_diff(&d, before->schema, after->schema, NULL);
	for (size_t i = 0; !rc && i < d->n; i++) {
		sl_buf_clear(&line);
		rc = sl_schema_change_format(&line, &d->items[i]);
		if (!rc)
			rc = rh_push_line(&r->fidelity_diffs, &r->nfidelity_diffs, "schema: %s",
					  sl_buf_cstr(&line));
	}
	for (size_t i = 0; !rc && i < before->n; i++) {
		const rh_tfp *b = &before->t[i], *a = find_tfp(after, b->t->name);
		if (!a || (a->rows == b->rows && same_sums(a->sum, b->sum)))
			continue; /* a missing table is a schema change, reported above */
		rc = rh_push_line(&r->fidelity_diffs, &r->nfidelity_diffs,
				  "table \"%s\": %lld rows before, %lld after; row hashes differ", b->t->name,
				  (long long)b->rows, (long long)a->rows);
		for (size_t c = 0; !rc && c < b->t->ncolumns; c++) {
			const char *col = b->t->columns[c].name;
			for (size_t k = 0; !rc && k < a->t->ncolumns; k++)
				if (strcmp(a->t->columns[k].name, col) == 0 &&
				    !same_sums(a->csum[k], b->csum[c]))
					rc = rh_push_line(
						&r->fidelity_diffs, &r->nfidelity_diffs,
						"column \"%s\".\"%s\": values differ after the round trip",
						b->t->name, col);
		}
		if (!rc && source)
			rc = name_rows(r, b, source, scratch, a->t);
	}
	r->fidelity_checked = rc == 0;
	r->fidelity_ok = rc == 0 && r->nfidelity_diffs == 0;
	sl_schemadiff_free(d);
	sl_buf_free(&line);
	return rc;
}
