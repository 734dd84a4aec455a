/*
 * forecast.c - how long each migration would take on a bigger database.
 * Cost per row is not linear in table size, so one measurement does not
 * scale: the rehearsal measures up on three sample sizes - the scratch copy
 * itself and two copies thinned to about a half and a quarter - and fits
 * two curves per migration by least squares, a power law t = a*n^b (on
 * logarithms) and a line t = a + b*n, keeping the one whose largest
 * relative error on the three samples is smaller, and reporting that error.
 *
 * Thinning keeps, in every table that references no other, the rows whose
 * single-column integer primary key is a multiple of 2 or 4, with
 * foreign-key enforcement off, then deletes rows whose parent is gone until
 * nothing changes: every sample is consistent, and the referencing tables
 * shrink by about the same share as their parents. Tables without such a
 * key, and nothing that depends only on them, keep every row. docs/commands/
 * rehearse.md says what this cannot know (plans that change with size,
 * caches, a server that is not production's).
 */
#include "rehearse/rehearse_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"

static const struct {
	int keep_every;
	const char *suffix;
} samples[2] = { { 4, "f25" }, { 2, "f50" } };

static bool int_key(const sl_table *t, const char **col)
{
	if (!t->primary_key || t->primary_key->ncolumns != 1)
		return false;
	const sl_column *c = sl_table_find_column(t, t->primary_key->columns[0]);
	if (!c)
		return false;
	sl_tkind k = c->type.kind;
	*col = c->name;
	return k == SL_T_INT16 || k == SL_T_INT32 || k == SL_T_INT64;
}

static int thin_table(sl_conn *c, const sl_table *t, int every)
{
	const char *key = NULL;
	if (!int_key(t, &key))
		return 0;
	sl_buf sql = SL_BUF_INIT;
	int rc = sl_buf_puts(&sql, "DELETE FROM ");
	if (!rc)
		rc = sl_conn_quote_ident(c, &sql, t->name);
	if (!rc)
		rc = sl_buf_puts(&sql, " WHERE (");
	if (!rc)
		rc = sl_conn_quote_ident(c, &sql, key);
	if (!rc)
		rc = sl_buf_printf(&sql, " %% %d) <> 0", every);
	if (!rc)
		rc = sl_conn_exec(c, sl_buf_cstr(&sql));
	sl_buf_free(&sql);
	return rc;
}

/* Deletes rows of t whose parent through fk is gone; *changed counts them. */
static int drop_orphans(sl_conn *c, const sl_table *t, const sl_fkey *fk, int64_t *changed)
{
	sl_buf sql = SL_BUF_INIT;
	int rc = sl_buf_puts(&sql, "DELETE FROM ");
	if (!rc)
		rc = sl_conn_quote_ident(c, &sql, t->name);
	if (!rc)
		rc = sl_buf_puts(&sql, " WHERE ");
	for (size_t i = 0; !rc && i < fk->ncolumns; i++) {
		rc = sl_conn_quote_ident(c, &sql, fk->columns[i]);
		if (!rc)
			rc = sl_buf_puts(&sql, " IS NOT NULL AND ");
	}
	if (!rc)
		rc = sl_buf_puts(&sql, "NOT EXISTS (SELECT 1 FROM ");
	if (!rc)
		rc = sl_conn_quote_ident(c, &sql, fk->ref_table);
	if (!rc)
		rc = sl_buf_puts(&sql, " p WHERE ");
	for (size_t i = 0; !rc && i < fk->ncolumns; i++) {
		rc = sl_buf_puts(&sql, i ? " AND p." : "p.");
		if (!rc)
			rc = sl_conn_quote_ident(c, &sql, fk->ref_columns[i]);
		if (!rc)
			rc = sl_buf_puts(&sql, " = ");
		if (!rc)
			rc = sl_conn_quote_ident(c, &sql, t->name);
		if (!rc)
			rc = sl_buf_putc(&sql, '.');
		if (!rc)
			rc = sl_conn_quote_ident(c, &sql, fk->columns[i]);
	}
	if (!rc)
		rc = sl_buf_putc(&sql, ')');
	if (!rc)
		rc = sl_conn_exec(c, sl_buf_cstr(&sql));
	if (!rc && sl_conn_changes(c) > 0)
		*changed += sl_conn_changes(c);
	sl_buf_free(&sql);
	return rc;
}

/* Thins c's database to about 1/every of its rows; *rows is what is left. */
static int thin(sl_conn *c, int every, int64_t *rows)
{
	sl_schema *s = NULL;
	sl_introspect_opts io = SL_INTROSPECT_OPTS_INIT;
	int rc = sl_conn_introspect(&s, c, &io);
	if (!rc)
		rc = sl_conn_set_fk_checks(c, false);
	/* thin the tables that reference nothing; the orphan pass below thins the rest by the same share */
	for (size_t i = 0; !rc && i < s->ntables; i++)
		if (s->tables[i].nfkeys == 0)
			rc = thin_table(c, &s->tables[i], every);
	for (int pass = 0; !rc && pass < 16; pass++) {
		int64_t changed = 0;
		for (size_t i = 0; !rc && i < s->ntables; i++)
			for (size_t k = 0; !rc && k < s->tables[i].nfkeys; k++)
				rc = drop_orphans(c, &s->tables[i], &s->tables[i].fkeys[k], &changed);
		if (!changed)
			break;
	}
	if (!rc)
		rc = sl_conn_set_fk_checks(c, true);
	*rows = 0;
	for (size_t i = 0; !rc && i < s->ntables; i++) {
		sl_buf q = SL_BUF_INIT;
		int64_t n = 0;
		rc = sl_buf_puts(&q, "SELECT count(*) FROM ");
		if (!rc)
			rc = sl_conn_quote_ident(c, &q, s->tables[i].name);
		if (!rc)
			rc = sl_conn_query_int(c, sl_buf_cstr(&q), &n);
		*rows += n;
		sl_buf_free(&q);
	}
	sl_schema_free(s);
	if (rc)
		sl_error_prefix("thin a sample to 1/%d of the rows", every);
	return rc;
}

typedef struct times {
	sl_rehearsal *r;
	int64_t *us; /* per migration */
	int64_t t0;
} times;

static void on_event(void *ud, const sl_migrate_event *ev)
{
	times *x = ud;
	if (ev->kind == SL_MEV_START)
		x->t0 = rh_now_us();
	if (ev->kind != SL_MEV_DONE || ev->down)
		return;
	for (size_t i = 0; i < x->r->nmigrations; i++)
		if (strcmp(x->r->migrations[i].id, ev->id) == 0)
			x->us[i] = rh_now_us() - x->t0;
}

static double rel_err(double fit, double measured)
{
	return fabs(fit - measured) / (measured > 1 ? measured : 1);
}

void rh_fit(sl_rh_forecast *f, int64_t target)
{
	double x[3], y[3], lx[3], ly[3], mx = 0, my = 0, mlx = 0, mly = 0;
	for (int i = 0; i < 3; i++) {
		x[i] = (double)(f->rows[i] > 0 ? f->rows[i] : 1);
		y[i] = (double)(f->us[i] > 0 ? f->us[i] : 1);
		lx[i] = log(x[i]);
		ly[i] = log(y[i]);
		mx += x[i] / 3;
		my += y[i] / 3;
		mlx += lx[i] / 3;
		mly += ly[i] / 3;
	}
	double sxx = 0, sxy = 0, lsxx = 0, lsxy = 0;
	for (int i = 0; i < 3; i++) {
		sxx += (x[i] - mx) * (x[i] - mx);
		sxy += (x[i] - mx) * (y[i] - my);
		lsxx += (lx[i] - mlx) * (lx[i] - mlx);
		lsxy += (lx[i] - mlx) * (ly[i] - mly);
	}
	f->done = true;
	if (sxx <= 0 || lsxx <= 0) {
		snprintf(f->method, sizeof(f->method), "constant (samples of one size)");
		f->a = my;
		f->b = 0;
		f->max_rel_error = 0;
		for (int i = 0; i < 3; i++)
			f->max_rel_error = fmax(f->max_rel_error, rel_err(my, y[i]));
		f->forecast_us = (int64_t)llround(my);
		return;
	}
	double pb = lsxy / lsxx, pa = exp(mly - pb * mlx);
	double lb = sxy / sxx, la = my - lb * mx;
	double perr = 0, lerr = 0;
	for (int i = 0; i < 3; i++) {
		perr = fmax(perr, rel_err(pa * pow(x[i], pb), y[i]));
		lerr = fmax(lerr, rel_err(la + lb * x[i], y[i]));
	}
	double n = (double)(target > 0 ? target : 1);
	if (perr <= lerr) {
		snprintf(f->method, sizeof(f->method), "power law t = a*n^b");
		f->a = pa;
		f->b = pb;
		f->max_rel_error = perr;
		f->forecast_us = (int64_t)llround(pa * pow(n, pb));
	} else {
		snprintf(f->method, sizeof(f->method), "linear t = a + b*n");
		f->a = la;
		f->b = lb;
		f->max_rel_error = lerr;
		double t = la + lb * n;
		f->forecast_us = (int64_t)llround(t > 0 ? t : 0);
	}
}

/* Up and down on one thinned sample; fills column k of every migration's forecast. */
static int sample(sl_rehearsal *r, sl_conn *admin, const sl_rehearse_opts *o, const char *prefix,
		  const sl_migrate_opts *mo, int k)
{
	rh_scratch s = { 0 };
	sl_conn *c = NULL;
	const char *method = NULL;
	int64_t rows = 0;
	int64_t *us = calloc(r->nmigrations, sizeof(*us));
	times x = { .r = r, .us = us };
	size_t applied = 0;
	int rc = us ? 0 : sl_error_nomem();
	rh_progress(o, "forecast", "sample 1/%d of the rows", samples[k].keep_every);
	if (!rc)
		rc = rh_scratch_make(&s, admin, o, NULL, prefix, r->run_id, samples[k].suffix, &method);
	if (!rc)
		rc = o->connect(&c, o->connect_ud, admin, s.name);
	if (!rc)
		rc = thin(c, samples[k].keep_every, &rows);
	if (!rc) {
		sl_migrate_opts m = *mo;
		m.on_event = on_event;
		m.ud = &x;
		rc = sl_migrate_up(c, o->set, &m, &applied);
	}
	for (size_t i = 0; !rc && i < r->nmigrations; i++) {
		r->migrations[i].forecast.rows[k] = rows;
		r->migrations[i].forecast.us[k] = us[i];
	}
	sl_conn_close(c);
	int drc = rh_scratch_drop(&s, admin);
	free(us);
	return rc ? rc : drc;
}

int rh_forecast(sl_rehearsal *r, sl_conn *admin, const sl_rehearse_opts *o, const char *prefix,
		const sl_migrate_opts *mo, int64_t full_rows)
{
	int rc = 0;
	for (int k = 0; !rc && k < 2; k++)
		rc = sample(r, admin, o, prefix, mo, k);
	for (size_t i = 0; !rc && i < r->nmigrations; i++) {
		sl_rh_forecast *f = &r->migrations[i].forecast;
		f->rows[2] = full_rows;
		f->us[2] = r->migrations[i].up.median_us;
		rh_fit(f, o->forecast_rows);
	}
	if (!rc)
		rc = rh_push_line(
			&r->notes, &r->nnotes,
			"forecast: up measured on three sample sizes (about 1/4, 1/2 and all of the rows); "
			"the forecast extrapolates the fitted curve and is only as good as its error on "
			"the samples - it knows nothing of plans, caches or hardware that change with size");
	return rc;
}
