/*
 * fingerprint.c - what a database holds, in a form two moments can be
 * compared by: the schema model (sl_conn_introspect) and, per table, the row
 * count, the sum of 128-bit row hashes (order-independent, duplicates
 * counted) and a sum of 64-bit value hashes per column. Values are hashed
 * as the driver decoded them (type and bytes): both moments are read from
 * the same database by the same driver, so that is exact and several times
 * cheaper than canonical encoding, which only comparisons across engines
 * need (the diff engine that names rows uses it).
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

/*
 * 64-bit hash of one value as the driver decoded it: its type (the seed)
 * and its bytes. Before and after are read from the same database by the
 * same driver, so the decoded form is stable and no canonical encoding is
 * needed (that is the diff engine's job across engines): a value hashes
 * differently only when it, or the type it decodes to, changed.
 */
static uint64_t value_hash(const sl_value *v)
{
	const void *p = NULL;
	size_t n = 0;
	switch (v->type) {
	case SL_V_NULL:
		return UINT64_C(0x9e3779b97f4a7c15);
	case SL_V_BOOL:
		p = &v->u.b;
		n = sizeof(v->u.b);
		break;
	case SL_V_INT:
		p = &v->u.i;
		n = sizeof(v->u.i);
		break;
	case SL_V_DOUBLE:
		p = &v->u.d;
		n = sizeof(v->u.d);
		break;
	case SL_V_DATE:
		p = &v->u.date;
		n = sizeof(v->u.date);
		break;
	case SL_V_TIME:
		p = &v->u.time;
		n = sizeof(v->u.time);
		break;
	case SL_V_TIMESTAMP:
	case SL_V_TIMESTAMPTZ:
		p = &v->u.ts;
		n = sizeof(v->u.ts);
		break;
	case SL_V_UUID:
		p = v->u.uuid;
		n = sizeof(v->u.uuid);
		break;
	default: /* DECIMAL, TEXT, BLOB, JSON */
		p = v->u.s.ptr ? v->u.s.ptr : "";
		n = v->u.s.len;
		break;
	}
	return XXH3_64bits_withSeed(p, n, (XXH64_hash_t)v->type + 1);
}

/* Reads every row of t on c into f. */
static int fp_table(rh_tfp *f, sl_conn *c, const sl_table *t)
{
	sl_buf sql = SL_BUF_INIT;
	sl_cursor *cur = NULL;
	sl_batch b = { 0 };
	uint64_t *vh = calloc(t->ncolumns ? t->ncolumns : 1, sizeof(*vh));
	int rc = vh ? 0 : sl_error_nomem();
	f->t = t;
	f->rows = 0;
	f->sum[0] = f->sum[1] = 0;
	if (!rc && !(f->csum = calloc(t->ncolumns ? t->ncolumns : 1, sizeof(*f->csum))))
		rc = sl_error_nomem();
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
		for (size_t r = 0; r < b.nrows; r++) {
			const sl_value *row = sl_batch_row(&b, r);
			for (size_t i = 0; i < t->ncolumns; i++) {
				vh[i] = value_hash(&row[i]);
				f->csum[i][0] += vh[i]; /* order-independent per column */
			}
			add128(f->sum, XXH3_128bits(vh, t->ncolumns * sizeof(*vh)));
			f->rows++;
		}
	}
done:
	if (rc)
		sl_error_prefix("fingerprint table \"%s\"", t->name);
	sl_cursor_close(cur);
	if (b.values || b.arena)
		sl_batch_free(&b);
	sl_buf_free(&sql);
	free(vh);
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

/* One worker of a fingerprint: its connection, the tables it reads, its outcome. */
typedef struct fp_worker {
	rh_fp *fp;
	sl_conn *c;
	bool *mine; /* per table: read by this worker */
	int rc;
	sl_error err; /* a copy of the worker thread's last error when rc != 0 */
	char *msg;
} fp_worker;

static void *fp_work(void *arg)
{
	fp_worker *w = arg;
	for (size_t i = 0; !w->rc && i < w->fp->n; i++)
		if (w->mine[i])
			w->rc = fp_table(&w->fp->t[i], w->c, &w->fp->schema->tables[i]);
	if (w->rc) {
		w->err = *sl_error_last();
		w->msg = w->err.message ? strdup(w->err.message) : NULL;
	}
	return NULL;
}

int rh_fingerprint(rh_fp **out, sl_conn *c, sl_conn *c2)
{
	sl_introspect_opts io = SL_INTROSPECT_OPTS_INIT;
	io.exact_counts = false; /* the fingerprint counts rows itself; estimates only balance the work */
	rh_fp *fp = calloc(1, sizeof(*fp));
	fp_worker w[2] = { { .c = c }, { .c = c2 } };
	int rc = fp ? 0 : sl_error_nomem();
	*out = NULL;
	if (!rc)
		rc = sl_conn_introspect(&fp->schema, c, &io);
	size_t n = rc ? 0 : fp->schema->ntables;
	if (!rc && (!(fp->t = calloc(n ? n : 1, sizeof(*fp->t))) || !(w[0].mine = calloc(n ? n : 1, 1)) ||
		    !(w[1].mine = calloc(n ? n : 1, 1))))
		rc = sl_error_nomem();
	if (rc)
		goto done;
	fp->n = n;
	/* biggest tables first, each to the worker with less work so far */
	int64_t load[2] = { 0, 0 };
	for (size_t k = 0; k < n; k++) {
		size_t big = n;
		for (size_t i = 0; i < n; i++)
			if (!w[0].mine[i] && !w[1].mine[i] &&
			    (big == n || fp->schema->tables[i].row_count > fp->schema->tables[big].row_count))
				big = i;
		int to = c2 && load[1] < load[0] ? 1 : 0;
		w[to].mine[big] = true;
		load[to] += fp->schema->tables[big].row_count > 0 ? fp->schema->tables[big].row_count : 1;
	}
	for (int k = 0; k < 2; k++)
		w[k].fp = fp;
	pthread_t th;
	bool started = c2 && pthread_create(&th, NULL, fp_work, &w[1]) == 0;
	if (c2 && !started)
		for (size_t i = 0; i < n; i++)
			w[0].mine[i] = w[0].mine[i] || w[1].mine[i]; /* no thread: read them all here */
	fp_work(&w[0]);
	if (started)
		pthread_join(th, NULL);
	for (int k = 0; !rc && k < 2; k++)
		if (w[k].rc)
			rc = sl_error_set_db(w[k].rc, w[k].err.sqlstate, w[k].err.engine_code, "%s",
					     w[k].msg ? w[k].msg : "fingerprint failed");
done:
	for (int k = 0; k < 2; k++) {
		free(w[k].mine);
		free(w[k].msg);
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
