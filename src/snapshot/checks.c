/*
 * checks.c - the referential and unique checks of a snapshot's report, run
 * on the target after the copy:
 *
 *  - orphans: per relationship (foreign keys and declared ones), the rows
 *    whose reference does not resolve in the target. A subset must not make
 *    any: orphans whose parent is missing in the source too were orphans
 *    already and are counted apart (`allowed`), found by looking up the
 *    orphan tuples (at most MAX_TUPLES) in the source.
 *  - unique: per unique key over a masked column, groups of rows that share
 *    a value. Grouping runs in the target, under its own collation, as its
 *    unique index would compare.
 */
#include "snapshot_int.h"

#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"

#define MAX_TUPLES 1000

int sl_snap_count(sl_conn *c, const char *sql, int64_t *out)
{
	return sl_conn_query_int(c, sql, out);
}

static int64_t written(const snap *s, const char *table)
{
	for (size_t i = 0; s->rep && s->rep->copy && i < s->rep->copy->ntables; i++)
		if (!strcmp(s->rep->copy->tables[i].table, table))
			return s->rep->copy->tables[i].written;
	return -1;
}

static bool masked(const snap *s, const char *table, const char *column)
{
	const colbind *cb = sl_snap_column(sl_snap_table(s, table), column);
	return cb && cb->rule->kind != SL_MASK_KEEP;
}

/* The orphan query on the target: SELECT cols, count(*) ... GROUP BY cols. */
static int orphan_sql(snap *s, sl_buf *b, const sl_relationship *r)
{
	sl_conn *d = s->dst;
	int rc = sl_buf_puts(b, "SELECT ");
	for (size_t k = 0; !rc && k < r->ncolumns; k++) {
		rc = sl_buf_puts(b, "c.");
		if (!rc)
			rc = sl_conn_quote_ident(d, b, sl_snap_target_column(s, r->table, r->columns[k]));
		if (!rc)
			rc = sl_buf_puts(b, ", ");
	}
	if (!rc)
		rc = sl_buf_puts(b, "count(*) FROM ");
	if (!rc)
		rc = sl_conn_quote_ident(d, b, sl_snap_target_table(s, r->table));
	if (!rc)
		rc = sl_buf_puts(b, " c WHERE ");
	for (size_t k = 0; !rc && k < r->ncolumns; k++) {
		rc = sl_buf_puts(b, "c.");
		if (!rc)
			rc = sl_conn_quote_ident(d, b, sl_snap_target_column(s, r->table, r->columns[k]));
		if (!rc)
			rc = sl_buf_puts(b, " IS NOT NULL AND ");
	}
	if (!rc && r->where)
		rc = sl_buf_printf(b, "(%s) AND ", r->where);
	if (!rc)
		rc = sl_buf_puts(b, "NOT EXISTS (SELECT 1 FROM ");
	if (!rc)
		rc = sl_conn_quote_ident(d, b, sl_snap_target_table(s, r->ref_table));
	if (!rc)
		rc = sl_buf_puts(b, " p WHERE ");
	for (size_t k = 0; !rc && k < r->ncolumns; k++) {
		rc = sl_buf_puts(b, k ? " AND p." : "p.");
		if (!rc)
			rc = sl_conn_quote_ident(d, b,
						 sl_snap_target_column(s, r->ref_table, r->ref_columns[k]));
		if (!rc)
			rc = sl_buf_puts(b, " = c.");
		if (!rc)
			rc = sl_conn_quote_ident(d, b, sl_snap_target_column(s, r->table, r->columns[k]));
	}
	if (!rc)
		rc = sl_buf_puts(b, ") GROUP BY ");
	for (size_t k = 0; !rc && k < r->ncolumns; k++) {
		rc = sl_buf_puts(b, k ? ", c." : "c.");
		if (!rc)
			rc = sl_conn_quote_ident(d, b, sl_snap_target_column(s, r->table, r->columns[k]));
	}
	return rc;
}

/* How many of the orphan tuples (with their row counts) have a parent in the source. */
/* The SELECT of the parent keys among tuples' that the source holds: "... WHERE (k) IN ((v), ...)". */
static int parent_query(sl_buf *b, snap *s, const sl_relationship *r, const sl_table *pt,
			const sl_batch *tuples)
{
	size_t nc = r->ncolumns;
	int rc = 0;
	rc = sl_buf_puts(b, "SELECT ");
	for (size_t k = 0; !rc && k < nc; k++) {
		if (k)
			rc = sl_buf_puts(b, ", ");
		if (!rc)
			rc = sl_conn_quote_ident(s->src, b, r->ref_columns[k]);
	}
	if (!rc)
		rc = sl_buf_puts(b, " FROM ");
	if (!rc)
		rc = sl_snap_put_source_table(b, s->src, pt);
	if (!rc)
		rc = sl_buf_puts(b, nc > 1 ? " WHERE (" : " WHERE ");
	for (size_t k = 0; !rc && k < nc; k++) {
		if (k)
			rc = sl_buf_puts(b, ", ");
		if (!rc)
			rc = sl_conn_quote_ident(s->src, b, r->ref_columns[k]);
	}
	if (!rc)
		rc = sl_buf_puts(b, nc > 1 ? ") IN (" : " IN (");
	for (size_t i = 0; !rc && i < tuples->nrows; i++) {
		const sl_value *row = sl_batch_row(tuples, i);
		rc = sl_buf_puts(b, i ? ", " : "");
		if (!rc && nc > 1)
			rc = sl_buf_putc(b, '(');
		for (size_t k = 0; !rc && k < nc; k++) {
			if (k)
				rc = sl_buf_puts(b, ", ");
			if (!rc)
				rc = sl_conn_quote_literal(s->src, b, &row[k]);
		}
		if (!rc && nc > 1)
			rc = sl_buf_putc(b, ')');
	}
	if (!rc)
		rc = sl_buf_putc(b, ')');
	return rc;
}

static int in_source(snap *s, const sl_relationship *r, const sl_batch *tuples, int64_t *rows_with_parent)
{
	const sl_table *pt = sl_schema_find_table(s->schema, NULL, r->ref_table);
	sl_buf b = SL_BUF_INIT;
	sl_cursor *cur = NULL;
	sl_batch got = { 0 };
	sl_strmap *found = NULL;
	size_t nc = r->ncolumns;
	*rows_with_parent = 0;
	int rc = pt ? sl_strmap_new(&found) : 0;
	if (!pt || rc || tuples->nrows == 0)
		return rc;
	rc = parent_query(&b, s, r, pt, tuples);
	if (!rc)
		rc = sl_conn_query(&cur, s->src, b.ptr);
	if (!rc)
		rc = sl_batch_init(&got, nc, 256);
	sl_buf enc = SL_BUF_INIT;
	while (!rc) {
		sl_batch_reset(&got);
		int n = sl_cursor_fetch(cur, &got, 256);
		if (n <= 0) {
			rc = n;
			break;
		}
		for (size_t i = 0; !rc && i < got.nrows; i++) {
			const sl_value *row = sl_batch_row(&got, i);
			const sl_value *kv[16];
			for (size_t k = 0; k < nc && k < 16; k++)
				kv[k] = &row[k];
			rc = sl_snap_ident_text(&enc, kv, nc < 16 ? nc : 16);
			if (!rc && !sl_strmap_slot(found, enc.ptr ? enc.ptr : "", enc.len, NULL))
				rc = sl_error_nomem();
		}
	}
	sl_cursor_close(cur);
	for (size_t i = 0; !rc && i < tuples->nrows; i++) {
		const sl_value *row = sl_batch_row(tuples, i);
		const sl_value *kv[16];
		for (size_t k = 0; k < nc && k < 16; k++)
			kv[k] = &row[k];
		rc = sl_snap_ident_text(&enc, kv, nc < 16 ? nc : 16);
		if (!rc && sl_strmap_find(found, enc.ptr ? enc.ptr : "", enc.len, NULL))
			*rows_with_parent += row[nc].type == SL_V_INT ? row[nc].u.i : 1;
	}
	sl_buf_free(&enc);
	sl_batch_free(&got);
	sl_strmap_free(found);
	sl_buf_free(&b);
	return rc;
}

static int check_one(snap *s, const sl_relationship *r)
{
	sl_buf sql = SL_BUF_INIT;
	sl_cursor *cur = NULL;
	sl_batch b = { 0 }, keep = { 0 };
	int64_t orphans = 0, with_parent = 0;
	bool exact = true, mapped = true;
	int rc = orphan_sql(s, &sql, r);
	if (!rc)
		rc = sl_conn_query(&cur, s->dst, sql.ptr);
	if (!rc)
		rc = sl_batch_init(&b, r->ncolumns + 1, 256);
	if (!rc)
		rc = sl_batch_init(&keep, r->ncolumns + 1, 256);
	while (!rc) {
		sl_batch_reset(&b);
		int n = sl_cursor_fetch(cur, &b, 256);
		if (n <= 0) {
			rc = n;
			break;
		}
		for (size_t i = 0; !rc && i < b.nrows; i++) {
			const sl_value *row = sl_batch_row(&b, i);
			orphans += row[r->ncolumns].type == SL_V_INT ? row[r->ncolumns].u.i : 1;
			if (keep.nrows >= MAX_TUPLES) {
				exact = false;
				continue;
			}
			sl_value *k = sl_batch_add_row(&keep);
			for (size_t c = 0; k && !rc && c <= r->ncolumns; c++)
				rc = sl_value_copy(&k[c], &row[c], keep.arena);
			if (!k)
				rc = sl_error_nomem();
		}
	}
	sl_cursor_close(cur);
	for (size_t k = 0; k < r->ncolumns; k++)
		if (masked(s, r->table, r->columns[k]))
			mapped = false; /* masked values cannot be looked up in the source */
	if (!rc && orphans && mapped && exact)
		rc = in_source(s, r, &keep, &with_parent);
	else if (!rc && orphans)
		with_parent = orphans; /* unknown: counted as made by the snapshot */
	if (!rc) {
		int64_t made = with_parent, already = orphans - with_parent;
		rc = sl_snap_add_check(s, SL_SNAPSHOT_ORPHANS, sl_snap_target_table(s, r->table), r->name,
				       made, already, written(s, r->table),
				       r->declared ? "declared in sluice.yaml" : NULL, made == 0);
		s->rep->orphans += made;
	}
	if (rc)
		sl_error_prefix("check orphans of %s", r->name);
	sl_batch_free(&b);
	sl_batch_free(&keep);
	sl_buf_free(&sql);
	return rc;
}

int sl_snap_check_orphans(snap *s)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < s->nrels; i++)
		rc = check_one(s, &s->rels[i]);
	return rc;
}

static bool same_columns(const char *const *a, size_t na, const char *const *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]))
			return false;
	return true;
}

static int check_key(snap *s, const tbind *tb, const char *const *cols, size_t n)
{
	sl_buf sql = SL_BUF_INIT, what = SL_BUF_INIT;
	const char *tt = sl_snap_target_table(s, tb->t->name);
	int64_t dups = 0;
	int rc = sl_buf_puts(&sql, "SELECT count(*) FROM (SELECT 1 AS one FROM ");
	if (!rc)
		rc = sl_conn_quote_ident(s->dst, &sql, tt);
	for (size_t k = 0; !rc && k < n; k++) {
		rc = sl_buf_puts(&sql, k ? " AND " : " WHERE ");
		if (!rc)
			rc = sl_conn_quote_ident(s->dst, &sql,
						 sl_snap_target_column(s, tb->t->name, cols[k]));
		if (!rc)
			rc = sl_buf_puts(&sql, " IS NOT NULL");
		if (!rc)
			rc = sl_buf_printf(&what, "%s%s", k ? ", " : "(", cols[k]);
	}
	for (size_t k = 0; !rc && k < n; k++) {
		rc = sl_buf_puts(&sql, k ? ", " : " GROUP BY ");
		if (!rc)
			rc = sl_conn_quote_ident(s->dst, &sql,
						 sl_snap_target_column(s, tb->t->name, cols[k]));
	}
	if (!rc)
		rc = sl_buf_puts(&sql, " HAVING count(*) > 1) x");
	if (!rc)
		rc = sl_buf_putc(&what, ')');
	if (!rc)
		rc = sl_snap_count(s->dst, sql.ptr, &dups);
	if (!rc)
		rc = sl_snap_add_check(s, SL_SNAPSHOT_UNIQUE, tt, what.ptr, dups, 0, written(s, tb->t->name),
				       NULL, dups == 0);
	if (!rc)
		s->rep->duplicates += dups;
	if (rc)
		sl_error_prefix("check unique key %s of \"%s\"", sl_buf_cstr(&what), tt);
	sl_buf_free(&sql);
	sl_buf_free(&what);
	return rc;
}

int sl_snap_check_unique(snap *s)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < s->schema->ntables; i++) {
		const tbind *tb = &s->tables[i];
		const sl_table *t = tb->t;
		/* candidate keys: primary key, unique keys, unique plain indexes; each column list once */
		const char *const *keys[256];
		size_t nk[256], n = 0;
		if (t->primary_key) {
			keys[n] = t->primary_key->columns;
			nk[n++] = t->primary_key->ncolumns;
		}
		for (size_t j = 0; j < t->nuniques && n < 256; j++) {
			keys[n] = t->uniques[j].columns;
			nk[n++] = t->uniques[j].ncolumns;
		}
		for (size_t j = 0; j < t->nindexes && n < 256; j++) {
			const sl_index *x = &t->indexes[j];
			bool plain = x->unique && !x->where;
			for (size_t c = 0; plain && c < x->ncolumns; c++)
				plain = !x->is_expression[c];
			if (plain) {
				keys[n] = x->columns;
				nk[n++] = x->ncolumns;
			}
		}
		for (size_t j = 0; !rc && j < n; j++) {
			bool dup = false, any = false;
			for (size_t p = 0; p < j && !dup; p++)
				dup = same_columns(keys[p], nk[p], keys[j], nk[j]);
			for (size_t c = 0; c < nk[j]; c++)
				any = any || masked(s, t->name, keys[j][c]);
			if (!dup && any)
				rc = check_key(s, tb, keys[j], nk[j]);
		}
	}
	return rc;
}
