/*
 * plan_int.c - small pieces of the expand planner (expand_int.h): names
 * sluice gives its own objects, expression scopes and sources, the columns
 * of each shape, and the views of a version.
 */
#include "expand_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sluice/error.h"
#include "sluice/sql.h"

bool xcol_is_ours(const char *name)
{
	return strncmp(name, XPREFIX, strlen(XPREFIX)) == 0;
}

int xplan_push_act(xplan *p, xacts *list, const sl_xact *a)
{
	sl_xact *slot = sl_arena_push(p->arena, &list->items, &list->n, &list->cap, sizeof(*slot));
	if (!slot)
		return sl_error_nomem();
	*slot = *a;
	return 0;
}

static uint32_t fnv(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* prefix + name, cut with a hash of the whole when longer than the engine allows. */
const char *xplan_name(xplan *p, const char *prefix, const char *name)
{
	size_t max = p->d->max_name ? p->d->max_name : 128;
	size_t n = strlen(prefix) + strlen(name);
	if (n <= max)
		return sl_arena_printf(p->arena, "%s%s", prefix, name);
	char *full = sl_arena_printf(p->arena, "%s%s", prefix, name);
	if (!full)
		return NULL;
	return sl_arena_printf(p->arena, "%.*s_%08x", (int)(max - 9), full, fnv(full));
}

typedef struct srcs {
	xplan *p;
	const sl_xscope_col *scope;
	size_t n;
	const char **out;
	size_t nout, cap;
	int rc;
} srcs;

static int on_ident(void *ud, const char *w, size_t len, bool quoted)
{
	srcs *s = ud;
	for (size_t i = 0; i < s->n; i++) {
		const char *nm = s->scope[i].name;
		bool same = strlen(nm) == len &&
			    (quoted ? memcmp(nm, w, len) == 0 : strncasecmp(nm, w, len) == 0);
		if (!same)
			continue;
		for (size_t j = 0; j < s->nout; j++)
			if (strcmp(s->out[j], s->scope[i].physical) == 0)
				return 0;
		const char **slot = sl_arena_push(s->p->arena, &s->out, &s->nout, &s->cap, sizeof(*slot));
		if (!slot)
			return s->rc = sl_error_nomem();
		*slot = s->scope[i].physical;
		return 0;
	}
	return 0;
}

int xplan_sources(xplan *p, const char *expr, const sl_xscope_col *scope, size_t n, const char ***out,
		  size_t *nout)
{
	srcs s = { .p = p, .scope = scope, .n = n };
	int rc = sl_sql_idents(expr, strlen(expr), on_ident, &s);
	*out = s.out;
	*nout = s.nout;
	return rc ? rc : s.rc;
}

static bool hidden(const xtab *x, const char *col)
{
	for (size_t i = 0; i < x->nhidden; i++)
		if (strcmp(x->hidden[i], col) == 0)
			return true;
	return false;
}

static const char *renamed(const xtab *x, const char *col)
{
	for (size_t i = 0; i < x->nrenames; i++)
		if (strcmp(x->renames[i].from, col) == 0)
			return x->renames[i].to;
	return col;
}

int xplan_old_scope(xplan *p, const xtab *x, sl_xscope_col **out, size_t *n)
{
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < x->t->ncolumns; i++) {
		const sl_column *c = &x->t->columns[i];
		if (xcol_is_ours(c->name) || c->generated_expr)
			continue;
		sl_xscope_col *s = sl_arena_push(p->arena, out, n, &cap, sizeof(*s));
		if (!s)
			return sl_error_nomem();
		*s = (sl_xscope_col){ .name = c->name, .physical = c->name, .decl = c->decl_type };
	}
	return 0;
}

static int push_view_col(xplan *p, sl_xview_col **out, size_t *n, size_t *cap, const sl_xview_col *c)
{
	sl_xview_col *s = sl_arena_push(p->arena, out, n, cap, sizeof(*s));
	if (!s)
		return sl_error_nomem();
	*s = *c;
	return 0;
}

int xplan_new_cols(xplan *p, const xtab *x, sl_xview_col **out, size_t *n)
{
	size_t cap = 0;
	int rc = 0;
	*out = NULL;
	*n = 0;
	for (size_t i = 0; !rc && i < x->t->ncolumns; i++) {
		const sl_column *c = &x->t->columns[i];
		if (xcol_is_ours(c->name))
			continue;
		for (size_t j = 0; !rc && j < x->nadds; j++)
			if (x->adds[j].at && strcmp(x->adds[j].at, c->name) == 0)
				rc = push_view_col(p, out, n, &cap,
						   &(sl_xview_col){ .name = x->adds[j].name,
								    .physical = x->adds[j].physical,
								    .default_expr =
									    x->adds[j].default_expr });
		if (!rc && !hidden(x, c->name))
			rc = push_view_col(p, out, n, &cap,
					   &(sl_xview_col){ .name = renamed(x, c->name),
							    .physical = c->name,
							    .default_expr = c->default_expr,
							    .identity = c->identity,
							    .generated = c->generated_expr != NULL });
	}
	for (size_t j = 0; !rc && j < x->nadds; j++)
		if (!x->adds[j].at)
			rc = push_view_col(p, out, n, &cap,
					   &(sl_xview_col){ .name = x->adds[j].name,
							    .physical = x->adds[j].physical,
							    .default_expr = x->adds[j].default_expr });
	return rc;
}

/* The view columns of the key, found by physical name. */
static int view_key(sl_arena *a, const sl_xview_col *cols, size_t ncols, const char *const *key, size_t nkey,
		    sl_xview *v)
{
	if (!nkey)
		return 0;
	const char **k = sl_arena_calloc(a, nkey, sizeof(*k));
	if (!k)
		return sl_error_nomem();
	for (size_t i = 0; i < nkey; i++) {
		for (size_t j = 0; j < ncols && !k[i]; j++)
			if (strcmp(cols[j].physical, key[i]) == 0)
				k[i] = cols[j].name;
		if (!k[i])
			return 0; /* the key is not in the view: insert only */
	}
	v->key = k;
	v->key_physical = (const char **)key;
	v->nkey = nkey;
	return 0;
}

int xplan_view(xplan *p, const xtab *x, sl_xview *out)
{
	memset(out, 0, sizeof(*out));
	int rc = xplan_new_cols(p, x, &out->cols, &out->ncols);
	out->version = p->version;
	out->name = x->name_new;
	out->base = p->base;
	out->table = x->t->name;
	out->sync = x->has_sync ? &x->sync : NULL;
	if (!rc)
		rc = view_key(p->arena, out->cols, out->ncols, x->key, x->nkey, out);
	return rc;
}

/* The key a table's rows are found by: its primary key, else a unique index of NOT NULL columns. */
static void table_key(const sl_table *t, const char *const **key, size_t *n)
{
	*key = NULL;
	*n = 0;
	if (t->primary_key) {
		*key = t->primary_key->columns;
		*n = t->primary_key->ncolumns;
		return;
	}
	for (size_t i = 0; i < t->nindexes; i++) {
		const sl_index *ix = &t->indexes[i];
		bool ok = ix->unique && !ix->where && ix->ncolumns;
		for (size_t j = 0; ok && j < ix->ncolumns; j++) {
			const sl_column *c = sl_table_find_column(t, ix->columns[j]);
			ok = !ix->is_expression[j] && c && !c->nullable;
		}
		if (ok) {
			*key = ix->columns;
			*n = ix->ncolumns;
			return;
		}
	}
}

int xplan_plain_view(sl_arena *a, const sl_table *t, const char *version, const char *base, sl_xview *out)
{
	size_t cap = 0;
	const char *const *key;
	size_t nkey;
	memset(out, 0, sizeof(*out));
	out->version = version;
	out->name = t->name;
	out->base = base;
	out->table = t->name;
	for (size_t i = 0; i < t->ncolumns; i++) {
		const sl_column *c = &t->columns[i];
		if (xcol_is_ours(c->name))
			continue;
		sl_xview_col *s = sl_arena_push(a, &out->cols, &out->ncols, &cap, sizeof(*s));
		if (!s)
			return sl_error_nomem();
		*s = (sl_xview_col){ .name = c->name,
				     .physical = c->name,
				     .default_expr = c->default_expr,
				     .identity = c->identity,
				     .generated = c->generated_expr != NULL };
	}
	table_key(t, &key, &nkey);
	return view_key(a, out->cols, out->ncols, key, nkey, out);
}

void xplan_table_key(const sl_table *t, const char *const **key, size_t *n)
{
	table_key(t, key, n);
}
