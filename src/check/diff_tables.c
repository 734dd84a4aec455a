/*
 * diff_tables.c - a whole-database diff's bookkeeping, below the command
 * line so that anything comparing two databases (sluice diff, and what
 * builds on it) pairs tables and plans columns alike: which tables pair up
 * by their flat names (docs/schemas.md), which are on one side only, and
 * which columns are compared in which event-row order (include/sluice/diff.h).
 */
#include "sluice/diff.h"
#include "sluice/dialect.h"
#include "sluice/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool sl_diff_find_side(sl_diff_side *out, const sl_schema *s, const sl_conn *c, const char *name)
{
	sl_buf b = SL_BUF_INIT;
	memset(out, 0, sizeof(*out));
	out->t = sl_schema_find_flat(s, name);
	/* a name too long for the engine goes by the one copy fitted it to */
	if (!out->t && !sl_dialect_fit_name(&b, name, sl_conn_engine(c)) &&
	    strcmp(sl_buf_cstr(&b), name) != 0)
		out->t = sl_schema_find_flat(s, sl_buf_cstr(&b));
	sl_buf_clear(&b);
	if (out->t && !sl_table_flat_name(&b, s, out->t))
		snprintf(out->name, sizeof(out->name), "%s", sl_buf_cstr(&b));
	out->schema = out->t && sl_conn_has(c, SL_CAP_SCHEMAS) ? out->t->schema : NULL;
	sl_buf_free(&b);
	return out->t != NULL;
}

void sl_diff_columns_free(sl_diff_columns *c)
{
	free(c->cols);
	free(c->key);
	free(c->names);
	free(c->key_ix);
	memset(c, 0, sizeof(*c));
}

static int pick_columns(sl_diff_columns *o, const sl_table *st, const sl_table *dt, const char *const *cols,
			size_t ncols)
{
	if (!ncols) {
		for (size_t i = 0; i < st->ncolumns; i++)
			if (sl_table_find_column_ci(dt, st->columns[i].name))
				o->cols[o->ncols++] = st->columns[i].name;
		return 0;
	}
	for (size_t i = 0; i < ncols; i++) {
		const sl_column *c = sl_table_find_column_ci(st, cols[i]);
		if (!c || !sl_table_find_column_ci(dt, cols[i]))
			return sl_error_set(SL_EINVALID, "diff \"%s\": column \"%s\" is not on both sides",
					    st->name, cols[i]);
		o->cols[o->ncols++] = c->name;
	}
	return 0;
}

static int pick_key(sl_diff_columns *o, const sl_table *st, const char *const *key, size_t nkey)
{
	for (size_t i = 0; i < nkey; i++) {
		const sl_column *c = sl_table_find_column_ci(st, key[i]);
		if (!c)
			return sl_error_set(SL_EINVALID, "diff \"%s\": key column \"%s\" does not exist",
					    st->name, key[i]);
		o->key[o->nkey++] = c->name;
	}
	for (size_t i = 0; !nkey && st->primary_key && i < st->primary_key->ncolumns; i++)
		o->key[o->nkey++] = st->primary_key->columns[i];
	return 0;
}

/* Event rows: key columns not among cols first, then cols; key_ix finds each key column there. */
static void lay_out(sl_diff_columns *o)
{
	for (size_t k = 0; k < o->nkey; k++) {
		bool in = false;
		for (size_t i = 0; i < o->ncols; i++)
			in = in || strcmp(o->cols[i], o->key[k]) == 0;
		if (!in)
			o->names[o->nnames++] = o->key[k];
	}
	for (size_t i = 0; i < o->ncols; i++)
		o->names[o->nnames++] = o->cols[i];
	for (size_t k = 0; k < o->nkey; k++)
		for (size_t i = 0; i < o->nnames; i++)
			if (strcmp(o->names[i], o->key[k]) == 0)
				o->key_ix[k] = i;
}

int sl_diff_plan_columns(sl_diff_columns *out, const sl_table *st, const sl_table *dt,
			 const char *const *cols, size_t ncols, const char *const *key, size_t nkey,
			 bool keyless)
{
	size_t cap = st->ncolumns + ncols + nkey + 1;
	int rc = 0;
	memset(out, 0, sizeof(*out));
	out->cols = calloc(cap, sizeof(char *));
	out->key = calloc(cap, sizeof(char *));
	out->names = calloc(cap, sizeof(char *));
	out->key_ix = calloc(cap, sizeof(size_t));
	if (!out->cols || !out->key || !out->names || !out->key_ix)
		rc = sl_error_nomem();
	if (!rc)
		rc = pick_columns(out, st, dt, cols, ncols);
	if (!rc && !keyless)
		rc = pick_key(out, st, key, nkey);
	if (!rc)
		lay_out(out);
	return rc;
}

/* ---- pairing ---- */

typedef struct pairing {
	sl_conn *src, *dst;
	const sl_schema *ss, *ds;
	sl_diff_pair_fn fn;
	void *ud;
} pairing;

static int named_tables(const pairing *x, const sl_diff_pairing *p)
{
	sl_diff_side s, d;
	int rc = 0;
	for (size_t i = 0; !rc && i < p->ntables; i++) {
		bool in_s = sl_diff_find_side(&s, x->ss, x->src, p->tables[i]),
		     in_d = sl_diff_find_side(&d, x->ds, x->dst, p->tables[i]);
		if (!in_s && !in_d)
			return sl_error_set(SL_ENOTFOUND, "diff: table \"%s\" is on neither side",
					    p->tables[i]);
		rc = x->fn(x->ud, &s, &d);
	}
	return rc;
}

static int every_table(const pairing *x)
{
	sl_buf name = SL_BUF_INIT;
	sl_diff_side s, d;
	bool *matched = calloc(x->ds->ntables + 1, sizeof(bool)); /* target tables paired with a source one */
	int rc = matched ? 0 : sl_error_nomem();
	for (size_t i = 0; !rc && i < x->ss->ntables; i++) {
		sl_buf_clear(&name);
		if ((rc = sl_table_flat_name(&name, x->ss, &x->ss->tables[i])) != 0)
			break;
		sl_diff_find_side(&s, x->ss, x->src, sl_buf_cstr(&name));
		if (sl_diff_find_side(&d, x->ds, x->dst, sl_buf_cstr(&name)))
			matched[d.t - x->ds->tables] = true;
		rc = x->fn(x->ud, &s, &d);
	}
	memset(&s, 0, sizeof(s));
	for (size_t i = 0; !rc && i < x->ds->ntables; i++) {
		sl_buf_clear(&name);
		if ((rc = sl_table_flat_name(&name, x->ds, &x->ds->tables[i])) != 0)
			break;
		if (!matched[i] && !sl_schema_find_flat(x->ss, sl_buf_cstr(&name)) &&
		    sl_diff_find_side(&d, x->ds, x->dst, sl_buf_cstr(&name)))
			rc = x->fn(x->ud, &s, &d);
	}
	free(matched);
	sl_buf_free(&name);
	return rc;
}

int sl_diff_each_pair(sl_conn *src, sl_conn *dst, const sl_diff_pairing *p, sl_diff_pair_fn fn, void *ud)
{
	sl_schema *ss = NULL, *ds = NULL;
	sl_introspect_opts io = SL_INTROSPECT_OPTS_INIT;
	io.exact_counts = false;
	io.schemas = p->schemas;
	io.nschemas = p->nschemas;
	io.all_schemas = p->all_schemas;
	int rc = sl_conn_introspect(&ss, src, &io);
	/* the target holds the same schemas, or (a copy) their tables under their flat names */
	io.schemas_missing_ok = true;
	if (!rc)
		rc = sl_conn_introspect(&ds, dst, &io);
	if (!rc && p->on_models)
		p->on_models(ud, ss, ds);
	pairing x = { .src = src, .dst = dst, .ss = ss, .ds = ds, .fn = fn, .ud = ud };
	if (!rc)
		rc = p->ntables ? named_tables(&x, p) : every_table(&x);
	sl_schema_free(ss);
	sl_schema_free(ds);
	return rc;
}
