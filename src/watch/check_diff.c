/*
 * check_diff.c - the diff check of a watch run: the rows of each table
 * (watch.diff.tables, or every table of the source) compared on the source
 * and the target with the streaming diff (diff.h), or with bisection for
 * tables estimated at watch.diff.bisect_above rows or more (mode auto) or
 * for every table (mode bisect): across a slow link bisection reads only the
 * segments that differ. One figure per table: the rows missing, extra or
 * changed, judged by watch.thresholds.diff; a table on one side only counts
 * its rows (at least one).
 *
 * Tables are paired by the name they go by (sl_schema_find_flat), every
 * column both sides have is compared, matched on the source's primary key
 * (keyless as multisets when it has none). `sluice diff` pairs its tables
 * in cli/cmd_diff.c; when that pairing moves into the library, this file
 * should use it instead of its own loop.
 */
#include "watch_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/diff.h"
#include "sluice/error.h"
#include "sluice/rules.h"

#define EXAMPLES 3

/* What the diff callback keeps: a few keys of differing rows, as text. */
typedef struct diff_seen {
	watch_run *r;
	const size_t *key; /* indexes of the key columns in event rows */
	const char *const *key_names;
	size_t nkey;
	sl_buf examples;
	size_t nexamples;
} diff_seen;

static const char *kind_word(sl_diff_kind k)
{
	return k == SL_DIFF_MISSING ? "missing" : k == SL_DIFF_EXTRA ? "extra" : "changed";
}

static int on_diff(const sl_diff_event *ev, void *ud)
{
	diff_seen *x = ud;
	const sl_value *row = ev->kind == SL_DIFF_EXTRA ? ev->dst_row : ev->src_row;
	int rc = 0;
	if (watch_stopping(x->r))
		return SL_EINTERRUPTED;
	if (x->nexamples >= EXAMPLES || !x->nkey || ev->keyless || !row)
		return 0;
	rc = sl_buf_printf(&x->examples, "%s%s ", x->nexamples ? ", " : "; e.g. ", kind_word(ev->kind));
	for (size_t k = 0; !rc && k < x->nkey; k++) {
		rc = sl_buf_printf(&x->examples, "%s%s=", k ? "," : "", x->key_names[k]);
		if (!rc)
			rc = sl_value_format(&x->examples, &row[x->key[k]]);
	}
	x->nexamples++;
	return rc;
}

/* Compared columns (source order, those the target has too) and the primary key's places among them. */
static int plan(watch_run *r, const sl_table *st, const sl_table *dt, const char ***cols, size_t *ncols,
		const char ***key, size_t **key_at, size_t *nkey)
{
	*cols = sl_arena_calloc(r->a, st->ncolumns + 1, sizeof(char *));
	*key = sl_arena_calloc(r->a, st->ncolumns + 1, sizeof(char *));
	*key_at = sl_arena_calloc(r->a, st->ncolumns + 1, sizeof(size_t));
	if (!*cols || !*key || !*key_at)
		return sl_error_nomem();
	*ncols = *nkey = 0;
	for (size_t i = 0; i < st->ncolumns; i++)
		if (sl_rules_find_column(dt, st->columns[i].name))
			(*cols)[(*ncols)++] = st->columns[i].name;
	for (size_t k = 0; st->primary_key && k < st->primary_key->ncolumns; k++) {
		size_t at = *ncols;
		for (size_t i = 0; i < *ncols; i++)
			if (!strcmp((*cols)[i], st->primary_key->columns[k]))
				at = i;
		if (at == *ncols) { /* a key column the target lacks: compare without the key */
			*nkey = 0;
			break;
		}
		(*key)[*nkey] = st->primary_key->columns[k];
		(*key_at)[(*nkey)++] = at;
	}
	return 0;
}

static bool bisect_table(const watch_run *r, const sl_table *st, const sl_table *dt)
{
	const sl_watch_config *c = r->o->config;
	int64_t rows = st->row_count > dt->row_count ? st->row_count : dt->row_count;
	return c->diff_mode == SL_WATCH_DIFF_BISECT ||
	       (c->diff_mode == SL_WATCH_DIFF_AUTO && rows >= c->bisect_above);
}

static int figure(watch_run *r, const char *name, const sl_diff_result *res, const diff_seen *x, int64_t ms)
{
	const sl_watch_config *c = r->o->config;
	int64_t n = res->missing + res->extra + res->changed;
	sl_buf d = SL_BUF_INIT;
	int rc = 0;
	if (n)
		rc = sl_buf_printf(&d, "%lld missing, %lld extra, %lld changed%s", (long long)res->missing,
				   (long long)res->extra, (long long)res->changed, sl_buf_cstr(&x->examples));
	if (!rc && res->bisected)
		rc = sl_buf_printf(&d, "%sbisected: %lld segments compared", n ? "; " : "",
				   (long long)res->segments_compared);
	if (!rc)
		rc = watch_figure(r, "diff", name, (double)n, "rows",
				  sl_watch_level_name(sl_watch_judge((double)n, c->diff)),
				  watch_limit_text(r->a, c->diff, false), d.len ? sl_buf_cstr(&d) : NULL, ms);
	sl_buf_free(&d);
	return rc;
}

static int both_sides(watch_run *r, watch_db *src, watch_db *dst, const char *name, const sl_table *st,
		      const sl_table *dt)
{
	const char **cols = NULL, **key = NULL;
	size_t ncols = 0, nkey = 0, *key_at = NULL;
	sl_diff_result *res = NULL;
	sl_diff_opts opts = SL_DIFF_OPTS_INIT;
	diff_seen x = { .r = r, .examples = SL_BUF_INIT };
	int64_t t0 = watch_mono_ms();
	int rc = plan(r, st, dt, &cols, &ncols, &key, &key_at, &nkey);
	if (rc)
		return rc;
	x.key = key_at;
	x.key_names = key;
	x.nkey = nkey;
	sl_diff_spec spec = {
		.src_schema = sl_conn_has(src->conn, SL_CAP_SCHEMAS) ? st->schema : NULL,
		.src_table = st->name,
		.dst_schema = sl_conn_has(dst->conn, SL_CAP_SCHEMAS) ? dt->schema : NULL,
		.dst_table = dt->name,
		.key = nkey ? key : NULL,
		.nkey = nkey,
		.columns = cols,
		.ncolumns = ncols,
	};
	opts.mode = nkey ? SL_DIFF_AUTO : SL_DIFF_KEYLESS;
	if (bisect_table(r, st, dt))
		rc = sl_diff_bisect(&res, src->conn, dst->conn, &spec, &opts, on_diff, &x);
	else
		rc = sl_diff_table(&res, src->conn, dst->conn, &spec, &opts, on_diff, &x);
	int64_t ms = watch_mono_ms() - t0;
	if (rc == SL_EINTERRUPTED && r->stopped)
		rc = 0; /* stopping: the table is not measured */
	else if (rc)
		rc = watch_failed(r, rc, "diff", name, "rows", ms);
	else
		rc = figure(r, name, res, &x, ms);
	sl_diff_result_free(res);
	sl_buf_free(&x.examples);
	return rc;
}

/* A table on one side only: each of its rows is a difference (an empty one counts one). */
static int one_side(watch_run *r, watch_db *db, const char *name, const sl_table *t, bool source)
{
	int64_t rows = 0, t0 = watch_mono_ms();
	const sl_watch_config *c = r->o->config;
	int rc = sl_diff_count_rows(&rows, db->conn, sl_conn_has(db->conn, SL_CAP_SCHEMAS) ? t->schema : NULL,
				    t->name, NULL);
	int64_t ms = watch_mono_ms() - t0;
	if (rc)
		return watch_failed(r, rc, "diff", name, "rows", ms);
	double n = rows > 0 ? (double)rows : 1;
	const char *d = sl_arena_printf(r->a, "only in the %s (%lld rows)", source ? "source" : "target",
					(long long)rows);
	return watch_figure(r, "diff", name, n, "rows", sl_watch_level_name(sl_watch_judge(n, c->diff)),
			    watch_limit_text(r->a, c->diff, false), d, ms);
}

static int table(watch_run *r, watch_db *src, const sl_schema *ss, watch_db *dst, const sl_schema *ds,
		 const char *name)
{
	const sl_table *st = sl_schema_find_flat(ss, name), *dt = sl_schema_find_flat(ds, name);
	if (st && dt)
		return both_sides(r, src, dst, name, st, dt);
	if (st || dt)
		return one_side(r, st ? src : dst, name, st ? st : dt, st != NULL);
	return watch_figure(r, "diff", name, 1, "rows", "breach", NULL, "the table is on neither side", 0);
}

int watch_check_diff(watch_run *r)
{
	watch_db *src = NULL, *dst = NULL;
	const sl_schema *ss = NULL, *ds = NULL;
	const sl_watch_config *c = r->o->config;
	sl_buf name = SL_BUF_INIT;
	int64_t t0 = watch_mono_ms();
	int rc = watch_db_get(&src, r, r->o->source);
	if (!rc)
		rc = watch_db_get(&dst, r, r->o->target);
	if (!rc)
		rc = sl_conn_refuse_same_database(src->conn, dst->conn, "watch");
	if (!rc)
		rc = watch_db_schema(&ss, src);
	if (!rc)
		rc = watch_db_schema(&ds, dst);
	if (rc)
		return watch_failed(r, rc, "diff", "(tables)", "rows", watch_mono_ms() - t0);
	for (size_t i = 0; !rc && i < c->ndiff_tables && !watch_stopping(r); i++)
		rc = table(r, src, ss, dst, ds, c->diff_tables[i]);
	for (size_t i = 0; !rc && !c->ndiff_tables && i < ss->ntables && !watch_stopping(r); i++) {
		sl_buf_clear(&name);
		rc = sl_table_flat_name(&name, ss, &ss->tables[i]);
		if (!rc)
			rc = table(r, src, ss, dst, ds, sl_buf_cstr(&name));
	}
	/* every table: one only the target has is a difference too */
	for (size_t i = 0; !rc && !c->ndiff_tables && i < ds->ntables && !watch_stopping(r); i++) {
		sl_buf_clear(&name);
		rc = sl_table_flat_name(&name, ds, &ds->tables[i]);
		if (!rc && !sl_schema_find_flat(ss, sl_buf_cstr(&name)))
			rc = one_side(r, dst, sl_buf_cstr(&name), &ds->tables[i], false);
	}
	sl_buf_free(&name);
	return rc;
}
