/*
 * plan.c - from operations to what each phase does (expand_int.h).
 *
 * Every operation is resolved against the schema model of the base tables
 * as they are before the migration (columns sluice added, "_sluice_*", are
 * not part of any shape, so a resumed run plans the same). Each operation
 * adds to its table's description (columns hidden, renamed, added in place
 * of others; assignments the triggers keep; indexes to copy onto
 * replacement columns) and to the action lists of the phases:
 *
 *   expand    add replacement columns, NOT VALID constraints, the triggers
 *   validate  validate constraints, build indexes (after the backfill)
 *   contract  drop what the new shape lost, give new columns their names,
 *             turn validated checks into NOT NULL, rename copied indexes
 *   rollback  drop everything expand added
 *
 * docs/expand-contract.md describes each operation's phases; keep in step.
 */
#include "expand/planner.h"
#include "expand_int.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sluice/error.h"
#include "sluice/util.h"

int xp_fail(planner *pl, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sl_error_set(SL_EINVALID, "%s:%zu: %s: %s", pl->origin, pl->op ? pl->op->line : 1,
			    pl->op ? sl_xop_kind_name(pl->op->kind) : "expand", msg);
}

int xp_warn(planner *pl, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	const char **slot = sl_arena_push(pl->p->arena, &pl->p->warnings, &pl->p->nwarnings,
					  &pl->p->cap_warnings, sizeof(*slot));
	if (!slot || !(*slot = sl_arena_printf(pl->p->arena, "%s:%zu: %s", pl->origin, pl->op->line, msg)))
		return sl_error_nomem();
	return 0;
}

/* ---- lookups ---------------------------------------------------------------------- */

xtab *xp_find_tab(planner *pl, const char *name)
{
	xtab *hit = NULL;
	size_t nhits = 0;
	for (size_t i = 0; i < pl->p->ntabs; i++)
		if (strcmp(pl->p->tabs[i].t->name, name) == 0)
			return &pl->p->tabs[i];
	for (size_t i = 0; i < pl->p->ntabs; i++)
		if (strcasecmp(pl->p->tabs[i].t->name, name) == 0) {
			hit = &pl->p->tabs[i];
			nhits++;
		}
	return nhits == 1 ? hit : NULL;
}

int xp_need_tab(planner *pl, const char *name, xtab **out)
{
	if (!(*out = xp_find_tab(pl, name)))
		return xp_fail(pl, "no table \"%s\" in %s", name, pl->p->base);
	(*out)->touched = true;
	return 0;
}

const sl_column *xp_find_col(const xtab *x, const char *name)
{
	const sl_column *hit = NULL;
	size_t nhits = 0;
	for (size_t i = 0; i < x->t->ncolumns; i++)
		if (strcmp(x->t->columns[i].name, name) == 0)
			return &x->t->columns[i];
	for (size_t i = 0; i < x->t->ncolumns; i++)
		if (strcasecmp(x->t->columns[i].name, name) == 0) {
			hit = &x->t->columns[i];
			nhits++;
		}
	return nhits == 1 ? hit : NULL;
}

int xp_need_col(planner *pl, const xtab *x, const char *name, const sl_column **out)
{
	*out = xp_find_col(x, name);
	if (!*out || xcol_is_ours((*out)->name))
		return xp_fail(pl, "table \"%s\" has no column \"%s\"", x->t->name, name);
	if ((*out)->generated_expr)
		return xp_fail(pl, "column %s.%s is generated; change its expression with a plain migration",
			       x->t->name, (*out)->name);
	return 0;
}

/* ---- after every operation ------------------------------------------------------------- */

/* The new shape's names: each once, and constraint columns still in it. */
static int check_shape(planner *pl, xtab *x)
{
	sl_xview_col *cols;
	size_t n;
	int rc = xplan_new_cols(pl->p, x, &cols, &n);
	for (size_t i = 0; !rc && i < n; i++)
		for (size_t j = 0; j < i; j++)
			if (strcasecmp(cols[i].name, cols[j].name) == 0)
				return sl_error_set(
					SL_EINVALID,
					"%s: the new shape of table \"%s\" would have column \"%s\" twice",
					pl->origin, x->t->name, cols[i].name);
	return rc;
}

/*
 * The prefix of a table's trigger and function names: "_sluice_x_<table>"
 * when the table's name is plain lower-case letters, digits and '_' and
 * short enough, else its plain part and a hash of the whole (dialects may
 * put it in quotes without escaping: sys/expand_dialect.h).
 */
static const char *sync_name(xplan *p, const char *table)
{
	char plain[32];
	size_t n = 0;
	bool exact = strlen(table) < sizeof(plain) - 1;
	uint32_t h = 2166136261u;
	for (const char *c = table; *c; c++) {
		h = (h ^ (unsigned char)*c) * 16777619u;
		bool ok = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_';
		exact = exact && ok;
		if (n < sizeof(plain) - 1)
			plain[n++] = ok ? *c : (*c >= 'A' && *c <= 'Z') ? (char)(*c - 'A' + 'a') : '_';
	}
	plain[n < 20 || exact ? n : 20] = '\0';
	return exact ? sl_arena_printf(p->arena, XPREFIX "x_%s", plain)
		     : sl_arena_printf(p->arena, XPREFIX "x_%s_%08x", plain, h);
}

/* The new shape's columns as an expression scope: view names, physical columns, declared types. */
static int new_scope(xplan *p, const xtab *x, const sl_xview_col *vc, size_t nview, sl_xscope_col **news,
		     size_t *nnew)
{
	size_t cap = 0;
	*nnew = 0;
	for (size_t i = 0; i < nview; i++) {
		sl_xscope_col *s = sl_arena_push(p->arena, news, nnew, &cap, sizeof(*s));
		if (!s)
			return sl_error_nomem();
		const sl_column *c = sl_table_find_column(x->t, vc[i].physical);
		const char *decl = c ? c->decl_type : NULL;
		for (size_t j = 0; j < x->nadds; j++)
			if (strcmp(x->adds[j].physical, vc[i].physical) == 0)
				decl = x->adds[j].decl;
		*s = (sl_xscope_col){ .name = vc[i].name, .physical = vc[i].physical, .decl = decl };
	}
	return 0;
}

/*
 * The table's key for the backfill and its sync triggers: created in expand,
 * dropped by contract and by rollback.
 */
static int table_sync(planner *pl, xtab *x, sl_xscope_col *olds, size_t nold, sl_xscope_col *news,
		      size_t nnew)
{
	xplan *p = pl->p;
	int rc = 0;
	const char *const *key;
	size_t nkey;
	xplan_table_key(x->t, &key, &nkey);
	x->key = (const char **)key;
	x->nkey = nkey;
	x->backfill = x->nup > 0;
	if (!rc && x->backfill && !nkey)
		rc = sl_error_set(SL_EINVALID,
				  "%s: table \"%s\" has no primary key (or unique key of NOT NULL "
				  "columns); the "
				  "backfill walks its rows by key: add one first",
				  pl->origin, x->t->name);
	x->has_sync = true;
	x->sync = (sl_xsync){ .base = p->base,
			      .table = x->t->name,
			      .name = sync_name(p, x->t->name),
			      .version = p->version,
			      .old_scope = olds,
			      .nold = nold,
			      .new_scope = news,
			      .nnew = nnew,
			      .up = x->up,
			      .nup = x->nup,
			      .down = x->down,
			      .ndown = x->ndown,
			      .not_null = x->not_null,
			      .nnot_null = x->nnot_null,
			      .key = x->key,
			      .nkey = x->nkey };
	if (!x->sync.name)
		return sl_error_nomem();
	sl_xact drop = { .kind = SL_XA_SYNC_DROP,
			 .base = p->base,
			 .table = x->t->name,
			 .name = x->sync.name,
			 .version = p->version,
			 .to = x->name_new };
	if (!rc)
		rc = xplan_push_act(p, &p->expand,
				    &(sl_xact){ .kind = SL_XA_SYNC_CREATE,
						.base = p->base,
						.table = x->t->name,
						.name = x->sync.name,
						.sync = &x->sync });
	if (!rc)
		rc = xplan_push_act(p, &p->contract, &drop);
	if (!rc)
		rc = xplan_push_act(p, &p->rollback, &drop);
	return rc;
}

static int resolve_assigns(planner *pl, const assigns *as)
{
	xplan *p = pl->p;
	int rc = 0;
	for (size_t k = 0; !rc && k < p->ntabs; k++) {
		xtab *x = &p->tabs[k];
		sl_xscope_col *olds = NULL, *news = NULL;
		sl_xview_col *vc = NULL;
		size_t nold = 0, nnew = 0;
		bool any = false;
		for (size_t i = 0; i < as->n; i++)
			any = any || as->items[i].x == x;
		if (!any)
			continue;
		if ((rc = xplan_old_scope(p, x, &olds, &nold)) || (rc = xplan_new_cols(p, x, &vc, &nnew)))
			break;
		size_t nview = nnew;
		if ((rc = new_scope(p, x, vc, nview, &news, &nnew)))
			return rc;
		for (size_t i = 0; !rc && i < as->n; i++) {
			const pending_assign *pa = &as->items[i];
			if (pa->x != x)
				continue;
			size_t *n = pa->up ? &x->nup : &x->ndown, *c = pa->up ? &x->cap_up : &x->cap_down;
			sl_xassign *a = sl_arena_push(p->arena, pa->up ? &x->up : &x->down, n, c, sizeof(*a));
			if (!a)
				return sl_error_nomem();
			*a = (sl_xassign){ .target = pa->target,
					   .expr = pa->expr,
					   .insert_only = pa->insert_only };
			rc = xplan_sources(p, pa->expr, pa->up ? olds : news, pa->up ? nold : nnew,
					   &a->sources, &a->nsources);
		}
		if (!rc)
			rc = table_sync(pl, x, olds, nold, news, nnew);
	}
	return rc;
}

static int contract_rank(const sl_xact *a)
{
	switch (a->kind) {
	case SL_XA_VERSION_DROP:
		return 0;
	case SL_XA_SYNC_DROP:
		return 1;
	case SL_XA_DROP_INDEX:
		return 2;
	case SL_XA_DROP_CONSTRAINT:
		return a->what == SL_XA_ADD_NOT_NULL_CHECK ? 7 : 2;
	case SL_XA_DROP_COLUMN:
		return 3;
	case SL_XA_RENAME_COLUMN:
		return xcol_is_ours(a->column) ? 5 : 4;
	case SL_XA_SET_NOT_NULL:
		return 6;
	case SL_XA_RENAME_INDEX:
	case SL_XA_ATTACH_UNIQUE:
		return 8;
	case SL_XA_RENAME_TABLE:
		return 9;
	default:
		return 10;
	}
}

static int rollback_rank(const sl_xact *a)
{
	switch (a->kind) {
	case SL_XA_VERSION_DROP:
		return 0;
	case SL_XA_SYNC_DROP:
		return 1;
	case SL_XA_DROP_INDEX:
	case SL_XA_DROP_CONSTRAINT:
		return 2;
	default:
		return 3;
	}
}

/* Stable sort by rank (lists are short). */
static void sort_acts(xacts *l, int (*rank)(const sl_xact *))
{
	for (size_t i = 1; i < l->n; i++) {
		sl_xact a = l->items[i];
		size_t j = i;
		while (j > 0 && rank(&l->items[j - 1]) > rank(&a)) {
			l->items[j] = l->items[j - 1];
			j--;
		}
		l->items[j] = a;
	}
}

/* One operation of the migration, after the checks every operation gets. */
static int apply_op(planner *pl, assigns *as, const sl_xop *op)
{
	int rc = xp_check_support(pl);
	if (rc)
		return rc;
	switch (op->kind) {
	case SL_XOP_RENAME_TABLE:
		rc = xp_op_rename_table(pl, op);
		break;
	case SL_XOP_RENAME_COLUMN:
		rc = xp_op_rename_column(pl, op);
		break;
	case SL_XOP_ADD_COLUMN:
		rc = xp_op_add_column(pl, as, op);
		break;
	case SL_XOP_DROP_COLUMN:
		rc = xp_op_drop_column(pl, as, op);
		break;
	case SL_XOP_CHANGE_TYPE:
		rc = xp_op_change_type(pl, as, op);
		break;
	case SL_XOP_SPLIT_COLUMN:
		rc = xp_op_split(pl, as, op);
		break;
	case SL_XOP_MERGE_COLUMNS:
		rc = xp_op_merge(pl, as, op);
		break;
	case SL_XOP_SET_NOT_NULL:
		rc = xp_op_set_not_null(pl, as, op);
		break;
	default:
		rc = xp_op_constraint(pl, op);
	}
	return rc;
}

int xplan_build(xplan **out, sl_conn *c, const sl_schema *model, const sl_xops *ops, const char *origin,
		const char *id, const char *version, const char *old_version)
{
	xplan *p = NULL;
	planner pl = { .origin = origin };
	assigns as = { 0 };
	int rc = 0;
	*out = NULL;
	if (!(p = calloc(1, sizeof(*p))) || !(p->arena = sl_arena_new(0))) {
		rc = sl_error_nomem();
		goto done;
	}
	pl.p = p;
	p->c = c;
	p->model = model;
	if (!(p->d = sl_expand_dialect_of(c))) {
		rc = sl_error_set(SL_EINVALID, "%s: expand/contract migrations are not supported on %s",
				  origin, sl_engine_name(sl_conn_engine(c)));
		goto done;
	}
	p->id = sl_arena_strdup(p->arena, id);
	p->version = sl_arena_strdup(p->arena, version);
	p->old_version = old_version ? sl_arena_strdup(p->arena, old_version) : NULL;
	p->base = model->ntables ? model->tables[0].schema : sl_conn_database(c);
	if (!p->base || !*p->base)
		p->base = sl_conn_database(c);
	if (!(p->tabs = calloc(model->ntables ? model->ntables : 1, sizeof(*p->tabs)))) {
		rc = sl_error_nomem();
		goto done;
	}
	for (size_t i = 0; i < model->ntables; i++) {
		if (xcol_is_ours(model->tables[i].name))
			continue; /* sluice's own helper tables are in no version */
		xtab *x = &p->tabs[p->ntabs++];
		x->t = &model->tables[i];
		x->name_new = x->t->name;
	}
	for (size_t i = 0; !rc && i < ops->n; i++) {
		const sl_xop *op = &ops->items[i];
		pl.op = op;
		rc = apply_op(&pl, &as, op);
	}
	pl.op = NULL;
	for (size_t k = 0; !rc && k < p->ntabs; k++)
		if (p->tabs[k].touched)
			rc = check_shape(&pl, &p->tabs[k]);
	if (!rc)
		rc = resolve_assigns(&pl, &as);
	for (size_t k = 0; !rc && k < p->ntabs; k++)
		rc = xp_contract_copies(p, &p->tabs[k]);
	if (!rc)
		rc = xplan_push_act(p, &p->rollback,
				    &(sl_xact){ .kind = SL_XA_VERSION_DROP,
						.base = p->base,
						.version = p->version });
	if (rc)
		goto done;
	sort_acts(&p->contract, contract_rank);
	sort_acts(&p->rollback, rollback_rank);
	*out = p;
	p = NULL;
done:
	xplan_free(p);
	return rc;
}

void xplan_free(xplan *p)
{
	if (!p)
		return;
	free(p->tabs);
	sl_arena_free(p->arena);
	free(p);
}
