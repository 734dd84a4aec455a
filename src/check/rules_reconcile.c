/*
 * rules_reconcile.c - reconcile rules: the same GROUP BY aggregates run on a
 * source and a target database (any two engines), groups matched by the
 * canonical encoding of their group values (canon.h) and each measure
 * compared. One violation per group that differs or exists on one side
 * only. Groups are held in memory (at most MAX_GROUPS per side): reconcile
 * is meant for summaries, not for row-level comparison (that is sl_diff).
 */
#include "sluice/rules.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/canon.h"
#include "sluice/error.h"
#include "rules_int.h"

#define MAX_GROUPS 1000000

typedef struct group {
	char *key; /* canonical encoding of the group values (arena) */
	size_t keylen;
	sl_value *vals; /* ngroup group values, count(*), then the measures (arena) */
} group;

typedef struct side {
	group *groups;
	size_t n, cap;
	sl_arena *a;
	int64_t rows;
} side;

/* Canonical column for each result column: group columns, count(*), measures. */
typedef struct rec_ctx {
	const sl_rule *r;
	sl_canon_col *cols;
	size_t ncols; /* ngroup_by + 1 + nmeasures */
	sl_canon_opts copts;
} rec_ctx;

static int build_sql(sl_buf *sql, const sl_rule *r, sl_conn *c, const sl_table *t)
{
	sl_buf grp = SL_BUF_INIT;
	int rc = sl_buf_puts(sql, "SELECT ");
	for (size_t i = 0; !rc && i < r->ngroup_by; i++) {
		const sl_column *col = sl_rules_find_column(t, r->group_by[i]);
		rc = sl_buf_puts(sql, "min(");
		if (!rc)
			rc = rules_col(sql, c, "sl_a", col->name);
		if (!rc)
			rc = sl_buf_puts(sql, "), ");
		if (!rc)
			rc = sl_buf_puts(&grp, i ? ", " : " GROUP BY ");
		if (!rc)
			rc = rules_cmp_expr(&grp, c, "sl_a", col, false);
	}
	if (!rc)
		rc = sl_buf_puts(sql, "count(*)");
	for (size_t i = 0; !rc && i < r->nmeasures; i++) {
		const sl_rule_measure *m = &r->measures[i];
		if (!m->column) {
			rc = sl_buf_puts(sql, ", count(*)");
			continue;
		}
		rc = sl_buf_printf(sql, ", %s(", m->fn);
		if (!rc)
			rc = rules_col(sql, c, "sl_a", sl_rules_find_column(t, m->column)->name);
		if (!rc)
			rc = sl_buf_puts(sql, ")");
	}
	if (!rc)
		rc = sl_buf_puts(sql, " FROM ");
	if (!rc)
		rc = sl_conn_quote_table(c, sql, t);
	if (!rc)
		rc = sl_buf_puts(sql, " sl_a");
	if (!rc && r->filter)
		rc = sl_buf_printf(sql, " WHERE (%s)", r->filter);
	if (!rc)
		rc = sl_buf_puts(sql, sl_buf_cstr(&grp));
	sl_buf_free(&grp);
	return rc;
}

static int load_side(side *s, rec_ctx *x, sl_conn *c, const sl_table *t, const char *what)
{
	sl_buf sql = SL_BUF_INIT, key = SL_BUF_INIT;
	sl_cursor *cur = NULL;
	sl_batch b = { 0 };
	bool ready = false;
	int rc = build_sql(&sql, x->r, c, t), n;
	if (!rc)
		rc = sl_conn_query(&cur, c, sl_buf_cstr(&sql));
	if (!rc && !(rc = sl_batch_init(&b, sl_cursor_ncols(cur), 512)))
		ready = true;
	while (!rc && (n = sl_cursor_fetch(cur, &b, 512)) != 0) {
		if (n < 0) {
			rc = n;
			break;
		}
		for (size_t i = 0; !rc && i < b.nrows; i++) {
			const sl_value *row = sl_batch_row(&b, i);
			group *g;
			if (s->n >= MAX_GROUPS) {
				rc = sl_error_set(SL_ENOMEM,
						  "rule \"%s\": more than %d groups on the %s side",
						  x->r->name, MAX_GROUPS, what);
				break;
			}
			if (!(g = sl_arena_push(s->a, &s->groups, &s->n, &s->cap, sizeof(group))) ||
			    !(g->vals = sl_arena_calloc(s->a, x->ncols, sizeof(sl_value)))) {
				rc = sl_error_nomem();
				break;
			}
			sl_buf_clear(&key);
			for (size_t k = 0; !rc && k < x->r->ngroup_by; k++)
				rc = sl_canon_value(&key, &row[k], &x->cols[k], &x->copts);
			for (size_t k = 0; !rc && k < x->ncols; k++)
				rc = sl_value_copy(&g->vals[k], &row[k], s->a);
			if (rc)
				break;
			g->keylen = key.len;
			if (!(g->key = sl_arena_memdup(s->a, key.ptr ? key.ptr : "", key.len + 1)))
				rc = sl_error_nomem();
			s->rows += rules_value_int(&row[x->r->ngroup_by]);
		}
		sl_batch_reset(&b);
	}
	sl_cursor_close(cur);
	if (ready)
		sl_batch_free(&b);
	sl_buf_free(&sql);
	sl_buf_free(&key);
	return rc;
}

static int group_cmp(const void *pa, const void *pb)
{
	const group *a = pa, *b = pb;
	size_t n = a->keylen < b->keylen ? a->keylen : b->keylen;
	int c = memcmp(a->key, b->key, n);
	if (c)
		return c;
	return a->keylen < b->keylen ? -1 : a->keylen > b->keylen;
}

static bool as_number(const sl_value *v, long double *out)
{
	char tmp[80];
	switch (v->type) {
	case SL_V_INT:
		*out = (long double)v->u.i;
		return true;
	case SL_V_DOUBLE:
		*out = v->u.d;
		return isfinite(v->u.d);
	case SL_V_DECIMAL:
		if (v->u.s.len >= sizeof(tmp))
			return false;
		memcpy(tmp, v->u.s.ptr, v->u.s.len);
		tmp[v->u.s.len] = '\0';
		*out = strtold(tmp, NULL);
		return true;
	default:
		return false;
	}
}

static bool measure_equal(const rec_ctx *x, size_t k, const sl_value *a, const sl_value *b)
{
	long double na, nb;
	if (sl_canon_equal(a, b, &x->cols[k], &x->copts))
		return true;
	if (as_number(a, &na) && as_number(b, &nb))
		return fabsl(na - nb) <= (long double)x->r->tolerance;
	return false;
}

static int describe_group(sl_buf *o, const rec_ctx *x, const group *g)
{
	int rc = 0;
	if (x->r->ngroup_by == 0)
		return sl_buf_puts(o, "all rows");
	for (size_t k = 0; !rc && k < x->r->ngroup_by; k++) {
		rc = sl_buf_printf(o, "%s%s=", k ? ", " : "", x->r->group_by[k]);
		if (!rc)
			rc = rules_format_value(o, &g->vals[k]);
	}
	return rc;
}

/* Compares one matched pair of groups, adding a violation and example when a measure differs. */
static int compare_groups(sl_rule_result *res, const rec_ctx *x, const group *s, const group *d)
{
	sl_buf line = SL_BUF_INIT;
	size_t base = x->r->ngroup_by + 1;
	int rc = 0;
	bool differs = false;
	for (size_t m = 0; !rc && m < x->r->nmeasures; m++) {
		size_t k = base + m;
		if (measure_equal(x, k, &s->vals[k], &d->vals[k]))
			continue;
		if (!differs) {
			rc = describe_group(&line, x, s);
			if (!rc)
				rc = sl_buf_puts(&line, ":");
		}
		differs = true;
		if (!rc)
			rc = sl_buf_printf(&line, " %s source ", x->r->measures[m].text);
		if (!rc)
			rc = rules_format_value(&line, &s->vals[k]);
		if (!rc)
			rc = sl_buf_puts(&line, " target ");
		if (!rc)
			rc = rules_format_value(&line, &d->vals[k]);
	}
	if (!rc && differs) {
		res->violations++;
		rc = rules_add_example(res, sl_buf_cstr(&line));
	}
	sl_buf_free(&line);
	return rc;
}

static int one_sided(sl_rule_result *res, const rec_ctx *x, const group *g, const char *where)
{
	sl_buf line = SL_BUF_INIT;
	int rc = describe_group(&line, x, g);
	if (!rc)
		rc = sl_buf_printf(&line, ": only in %s (%lld rows)", where,
				   (long long)rules_value_int(&g->vals[x->r->ngroup_by]));
	res->violations++;
	if (!rc)
		rc = rules_add_example(res, sl_buf_cstr(&line));
	sl_buf_free(&line);
	return rc;
}

static void set_col(sl_canon_col *out, const sl_table *st, const sl_table *dt, const char *name)
{
	sl_canon_col_merge(out, sl_rules_find_column(st, name), sl_rules_find_column(dt, name));
}

int sl_rule_reconcile(sl_rule_result **out, const sl_rule *r, sl_conn *src, const sl_schema *src_schema,
		      sl_conn *dst, const sl_schema *dst_schema)
{
	sl_rule_result *res = calloc(1, sizeof(*res));
	rec_ctx x = { .r = r, .copts = SL_CANON_OPTS_INIT };
	side s = { 0 }, d = { 0 };
	const sl_table *st, *dt;
	char line[200];
	int rc;

	*out = NULL;
	if (!res)
		return sl_error_nomem();
	if ((rc = sl_rule_validate(r, src_schema)) != 0 || (rc = sl_rule_validate(r, dst_schema)) != 0)
		goto done;
	st = sl_rules_find_table(src_schema, r->table);
	dt = sl_rules_find_table(dst_schema, r->table);
	x.ncols = r->ngroup_by + 1 + r->nmeasures;
	if (!(x.cols = calloc(x.ncols, sizeof(sl_canon_col))) || !(s.a = sl_arena_new(65536)) ||
	    !(d.a = sl_arena_new(65536))) {
		rc = sl_error_nomem();
		goto done;
	}
	for (size_t k = 0; k < r->ngroup_by; k++)
		set_col(&x.cols[k], st, dt, r->group_by[k]);
	x.cols[r->ngroup_by] = (sl_canon_col)SL_CANON_COL_INIT;
	x.cols[r->ngroup_by].kind = SL_T_INT64;
	for (size_t m = 0; m < r->nmeasures; m++) {
		sl_canon_col *cc = &x.cols[r->ngroup_by + 1 + m];
		const sl_rule_measure *me = &r->measures[m];
		*cc = (sl_canon_col)SL_CANON_COL_INIT;
		if (strcmp(me->fn, "count") == 0)
			cc->kind = SL_T_INT64;
		else if (strcmp(me->fn, "avg") == 0)
			cc->kind = SL_T_FLOAT64;
		else
			set_col(cc, st, dt, me->column);
	}
	if ((rc = load_side(&s, &x, src, st, "source")) != 0 ||
	    (rc = load_side(&d, &x, dst, dt, "target")) != 0)
		goto done;
	if (s.n)
		qsort(s.groups, s.n, sizeof(group), group_cmp);
	if (d.n)
		qsort(d.groups, d.n, sizeof(group), group_cmp);
	res->rows_checked = s.rows;
	res->rows_read = (int64_t)(s.n + d.n);
	size_t i = 0, j = 0;
	while (!rc && (i < s.n || j < d.n)) {
		int c = i >= s.n ? 1 : j >= d.n ? -1 : group_cmp(&s.groups[i], &d.groups[j]);
		if (c < 0)
			rc = one_sided(res, &x, &s.groups[i++], "source");
		else if (c > 0)
			rc = one_sided(res, &x, &d.groups[j++], "target");
		else
			rc = compare_groups(res, &x, &s.groups[i++], &d.groups[j++]);
	}
	if (!rc) {
		snprintf(line, sizeof(line), "%zu source group(s), %zu target group(s), %lld differ", s.n,
			 d.n, (long long)res->violations);
		if (!(res->summary = strdup(line)))
			rc = sl_error_nomem();
	}
done:
	free(x.cols);
	sl_arena_free(s.a);
	sl_arena_free(d.a);
	if (rc) {
		sl_error_prefix("rule \"%s\"", r->name);
		sl_rule_result_free(res);
	} else {
		*out = res;
	}
	return rc;
}
