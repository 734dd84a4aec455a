/*
 * session.c - a computed subset in the connections the copy reads through:
 * one temporary table per table with chosen rows, holding their identities
 * (created with CREATE TEMPORARY TABLE ... AS SELECT ... WHERE 1 = 0, so it
 * has the source columns' own types, and filled with multi-row INSERTs), and
 * the condition that reads only those rows. The digest identifies the
 * chosen rows for the resume check.
 */
#include "subset_int.h"

#include <stdio.h>
#include <string.h>

#include <xxhash.h>

#include "sluice/error.h"

#define INSERT_ROWS 500

static int create_table(const sl_subset *s, sl_conn *c, const tnode *n)
{
	sl_buf b = SL_BUF_INIT;
	int rc = sl_buf_puts(&b, "CREATE TEMPORARY TABLE ");
	if (!rc)
		rc = sl_conn_quote_ident(c, &b, n->tmp);
	if (!rc)
		rc = sl_buf_puts(&b, " AS SELECT ");
	for (size_t i = 0; !rc && i < n->nident; i++) {
		char k[24];
		snprintf(k, sizeof(k), "k%zu", i);
		if (i)
			rc = sl_buf_puts(&b, ", ");
		if (!rc)
			rc = sl_conn_quote_ident(c, &b, n->ident[i]);
		if (!rc)
			rc = sl_buf_puts(&b, " AS ");
		if (!rc)
			rc = sl_conn_quote_ident(c, &b, k);
	}
	if (!rc)
		rc = sl_buf_puts(&b, " FROM ");
	if (!rc)
		rc = sl_subset_put_table(s, &b, c, n->t);
	if (!rc)
		rc = sl_buf_puts(&b, " WHERE 1 = 0");
	if (!rc)
		rc = sl_conn_exec(c, b.ptr);
	sl_buf_free(&b);
	return rc;
}

/* Multi-row INSERTs of the identities (plain SQL: the bulk writers know only real tables). */
static int fill_table(sl_conn *c, const tnode *n)
{
	sl_buf b = SL_BUF_INIT;
	size_t it = 0, rows = 0, klen;
	const char *key;
	void *val;
	int rc = 0;
	for (bool more = true; !rc && more;) {
		more = sl_strmap_next(n->set, &it, &key, &klen, &val);
		if (more) {
			const srow *r = val;
			if (rows == 0) {
				sl_buf_clear(&b);
				rc = sl_buf_puts(&b, "INSERT INTO ");
				if (!rc)
					rc = sl_conn_quote_ident(c, &b, n->tmp);
				if (!rc)
					rc = sl_buf_puts(&b, " VALUES ");
			}
			rc = rc ? rc : sl_buf_puts(&b, rows ? ", (" : "(");
			for (size_t i = 0; !rc && i < n->nident; i++) {
				if (i)
					rc = sl_buf_puts(&b, ", ");
				if (!rc)
					rc = sl_conn_quote_literal(c, &b, &r->v[i]);
			}
			if (!rc)
				rc = sl_buf_putc(&b, ')');
			rows++;
		}
		if (!rc && rows && (rows == INSERT_ROWS || !more)) {
			rc = sl_conn_exec(c, b.ptr);
			rows = 0;
		}
	}
	sl_buf_free(&b);
	return rc;
}

int sl_subset_prepare_session(const sl_subset *s, sl_conn *c)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < s->nnodes; i++) {
		const tnode *n = &s->nodes[i];
		if (n->mode != SL_SUBSET_SOME)
			continue;
		rc = create_table(s, c, n);
		if (!rc)
			rc = sl_conn_begin(c);
		if (!rc)
			rc = fill_table(c, n);
		if (!rc)
			rc = sl_conn_commit(c);
		else if (sl_conn_in_transaction(c))
			sl_conn_rollback(c);
		if (rc)
			sl_error_prefix("subset: load the chosen keys of \"%s\" into a temporary table",
					n->t->name);
	}
	return rc;
}

int sl_subset_filter(const sl_subset *s, sl_buf *out, sl_conn *c, const char *table)
{
	const tnode *n = sl_subset_node(s, table);
	int rc = 0;
	if (!n || n->mode == SL_SUBSET_ALL)
		return 0;
	if (n->mode == SL_SUBSET_NONE)
		return sl_buf_puts(out, "1 = 0") ? SL_ENOMEM : 1;
	if (n->nident > 1)
		rc = sl_buf_putc(out, '(');
	for (size_t i = 0; !rc && i < n->nident; i++) {
		if (i)
			rc = sl_buf_puts(out, ", ");
		if (!rc)
			rc = sl_conn_quote_ident(c, out, n->ident[i]);
	}
	if (!rc && n->nident > 1)
		rc = sl_buf_putc(out, ')');
	if (!rc)
		rc = sl_buf_puts(out, " IN (SELECT ");
	for (size_t i = 0; !rc && i < n->nident; i++) {
		char k[24];
		snprintf(k, sizeof(k), "k%zu", i);
		if (i)
			rc = sl_buf_puts(out, ", ");
		if (!rc)
			rc = sl_conn_quote_ident(c, out, k);
	}
	if (!rc)
		rc = sl_buf_puts(out, " FROM ");
	if (!rc)
		rc = sl_conn_quote_ident(c, out, n->tmp);
	if (!rc)
		rc = sl_buf_putc(out, ')');
	return rc ? rc : 1;
}

void sl_subset_digest(const sl_subset *s, char out[33])
{
	XXH3_state_t *st = XXH3_createState();
	XXH128_hash_t h = { 0, 0 };
	if (st && XXH3_128bits_reset(st) == XXH_OK) {
		for (size_t i = 0; i < s->nnodes; i++) {
			const tnode *n = &s->nodes[i];
			uint64_t rec[4] = { (uint64_t)n->mode, (uint64_t)n->count, n->dig[0], n->dig[1] };
			XXH3_128bits_update(st, n->t->name, strlen(n->t->name) + 1);
			XXH3_128bits_update(st, rec, sizeof(rec));
		}
		h = XXH3_128bits_digest(st);
	}
	XXH3_freeState(st);
	snprintf(out, 33, "%016llx%016llx", (unsigned long long)h.high64, (unsigned long long)h.low64);
}
