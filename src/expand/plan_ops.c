/*
 * plan_ops.c - one function for each expand/contract operation (planner.h):
 * rename table or column, add, drop, change type, set not null, split, merge,
 * and the constraints; each adds to its table's description and to the
 * phases' action lists (docs/expand-contract.md).
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

/* ---- one operation each --------------------------------------------------------------------- */

int xp_op_rename_table(planner *pl, const sl_xop *op)
{
	xtab *x;
	int rc = xp_need_tab(pl, op->table, &x);
	if (rc)
		return rc;
	if (xp_find_tab(pl, op->to) && xp_find_tab(pl, op->to) != x)
		return xp_fail(pl, "a table \"%s\" already exists", op->to);
	x->name_new = op->to;
	return xplan_push_act(pl->p, &pl->p->contract,
			      &(sl_xact){ .kind = SL_XA_RENAME_TABLE,
					  .base = pl->p->base,
					  .table = x->t->name,
					  .to = op->to });
}

int xp_op_rename_column(planner *pl, const sl_xop *op)
{
	xtab *x;
	const sl_column *c;
	int rc = xp_need_tab(pl, op->table, &x);
	if (!rc)
		rc = xp_need_col(pl, x, op->column, &c);
	if (rc)
		return rc;
	xrename *r = sl_arena_push(pl->p->arena, &x->renames, &x->nrenames, &x->cap_renames, sizeof(*r));
	if (!r)
		return sl_error_nomem();
	*r = (xrename){ .from = c->name, .to = op->to };
	return xplan_push_act(pl->p, &pl->p->contract,
			      &(sl_xact){ .kind = SL_XA_RENAME_COLUMN,
					  .base = pl->p->base,
					  .table = x->t->name,
					  .column = c->name,
					  .to = op->to });
}

int xp_op_add_column(planner *pl, assigns *as, const sl_xop *op)
{
	xtab *x;
	const char *phys;
	int rc = xp_need_tab(pl, op->table, &x);
	if (rc)
		return rc;
	if (xp_find_col(x, op->column))
		return xp_fail(pl, "table \"%s\" already has a column \"%s\"", x->t->name, op->column);
	/* a NOT NULL column with a default and nothing to compute is complete at once */
	bool now = op->not_null && op->default_expr && !op->up;
	if ((rc = xp_add_column(pl, x, op->column, op->type, op->default_expr, NULL, now, &phys)))
		return rc;
	if (op->up)
		rc = xp_assign(pl, as, x, true, phys, op->up, false);
	if (!rc && op->not_null && !now)
		rc = xp_require_not_null(pl, x, phys, op->column, op->type, op->default_expr);
	return rc;
}

int xp_op_drop_column(planner *pl, assigns *as, const sl_xop *op)
{
	xtab *x;
	const sl_column *c;
	int rc = xp_need_tab(pl, op->table, &x);
	if (!rc)
		rc = xp_need_col(pl, x, op->column, &c);
	if (rc)
		return rc;
	if (!c->nullable && !c->default_expr && !c->identity && !op->down)
		return xp_fail(
			pl,
			"%s.%s is NOT NULL without a default, so inserts from the new version would fail; "
			"give \"down (expression)\": the value old readers see for rows the new version adds",
			x->t->name, c->name);
	rc = xp_drop_guard(pl, x, c);
	if (!rc)
		rc = xp_hide(pl, x, c);
	if (!rc && op->down)
		rc = xp_assign(pl, as, x, false, c->name, op->down, true);
	return rc;
}

int xp_op_change_type(planner *pl, assigns *as, const sl_xop *op)
{
	xtab *x;
	const sl_column *c;
	const char *phys;
	int rc = xp_need_tab(pl, op->table, &x);
	if (!rc)
		rc = xp_need_col(pl, x, op->column, &c);
	if (rc)
		return rc;
	if (x->t->primary_key && sl_str_in(c->name, x->t->primary_key->columns, x->t->primary_key->ncolumns))
		return xp_fail(pl, "%s.%s is in the primary key; expand/contract cannot replace a key column",
			       x->t->name, c->name);
	if (!c->nullable && pl->p->d->refuse_replace_not_null)
		return xp_fail(pl, "not supported on %s: %s.%s is NOT NULL, and %s",
			       sl_engine_name(sl_conn_engine(pl->p->c)), x->t->name, c->name,
			       pl->p->d->refuse_replace_not_null);
	const char *dflt = op->default_expr ? op->default_expr : c->default_expr;
	if (c->identity)
		return xp_fail(pl, "%s.%s is an identity / auto-increment column", x->t->name, c->name);
	if ((rc = xp_add_column(pl, x, c->name, op->type, dflt, c->name, false, &phys)) ||
	    (rc = xp_replace_guard(pl, x, c, phys)) || (rc = xp_hide(pl, x, c)))
		return rc;
	rc = xp_assign(pl, as, x, true, phys, op->up, false);
	if (!rc)
		rc = xp_assign(pl, as, x, false, c->name, op->down, false);
	if (!rc && !c->nullable)
		rc = xp_require_not_null(pl, x, phys, c->name, op->type, dflt);
	return rc;
}

int xp_op_set_not_null(planner *pl, assigns *as, const sl_xop *op)
{
	xtab *x;
	const sl_column *c;
	const char *phys;
	int rc = xp_need_tab(pl, op->table, &x);
	if (!rc)
		rc = xp_need_col(pl, x, op->column, &c);
	if (rc)
		return rc;
	if (!c->nullable)
		return xp_fail(pl, "%s.%s is already NOT NULL", x->t->name, c->name);
	if ((rc = xp_add_column(pl, x, c->name, c->decl_type, c->default_expr, c->name, false, &phys)) ||
	    (rc = xp_replace_guard(pl, x, c, phys)) || (rc = xp_hide(pl, x, c)))
		return rc;
	sl_buf q = SL_BUF_INIT;
	rc = sl_conn_quote_ident(pl->p->c, &q, c->name);
	const char *ident = rc ? NULL : sl_arena_strdup(pl->p->arena, sl_buf_cstr(&q));
	sl_buf_free(&q);
	if (!rc && !ident)
		rc = sl_error_nomem();
	if (!rc)
		rc = xp_assign(pl, as, x, true, phys, op->up, false);
	if (!rc)
		rc = xp_assign(pl, as, x, false, c->name, ident, false);
	if (!rc)
		rc = xp_require_not_null(pl, x, phys, c->name, c->decl_type, c->default_expr);
	return rc;
}

int xp_op_split(planner *pl, assigns *as, const sl_xop *op)
{
	xtab *x;
	const sl_column *c;
	int rc = xp_need_tab(pl, op->table, &x);
	if (!rc)
		rc = xp_need_col(pl, x, op->column, &c);
	if (rc)
		return rc;
	for (size_t i = 0; !rc && i < op->ncols; i++) {
		const char *phys;
		rc = xp_add_column(pl, x, op->cols[i].name, op->cols[i].type, NULL, c->name, false, &phys);
		if (!rc)
			rc = xp_assign(pl, as, x, true, phys, op->cols[i].expr, false);
	}
	if (!rc)
		rc = xp_drop_guard(pl, x, c);
	if (!rc)
		rc = xp_hide(pl, x, c);
	if (!rc)
		rc = xp_assign(pl, as, x, false, c->name, op->down, false);
	return rc;
}

int xp_op_merge(planner *pl, assigns *as, const sl_xop *op)
{
	xtab *x;
	const sl_column *first, *c;
	const char *phys;
	int rc = xp_need_tab(pl, op->table, &x);
	if (!rc)
		rc = xp_need_col(pl, x, op->column, &first);
	if (!rc)
		rc = xp_add_column(pl, x, op->to, op->type, op->default_expr, first->name, false, &phys);
	if (!rc)
		rc = xp_assign(pl, as, x, true, phys, op->up, false);
	for (size_t i = 0; !rc && i <= op->ncols; i++) {
		if ((rc = xp_need_col(pl, x, i ? op->cols[i - 1].name : op->column, &c)))
			break;
		if (!(rc = xp_drop_guard(pl, x, c)) && !(rc = xp_hide(pl, x, c)))
			rc = xp_assign(pl, as, x, false, c->name, i ? op->cols[i - 1].expr : op->down, false);
	}
	return rc;
}

/* Key columns of a constraint: existing, and not lost or replaced by this migration. */
static int key_cols(planner *pl, xtab *x, const char *const *names, size_t n, const char ***out)
{
	const char **cols = sl_arena_calloc(pl->p->arena, n ? n : 1, sizeof(*cols));
	if (!cols)
		return sl_error_nomem();
	for (size_t i = 0; i < n; i++) {
		const sl_column *c;
		int rc = xp_need_col(pl, x, names[i], &c);
		if (rc)
			return rc;
		cols[i] = c->name;
	}
	*out = cols;
	return 0;
}

static bool name_taken(const xplan *p, const char *name)
{
	for (size_t k = 0; k < p->ntabs; k++) {
		const sl_table *t = p->tabs[k].t;
		for (size_t i = 0; i < t->nindexes; i++)
			if (strcmp(t->indexes[i].name, name) == 0)
				return true;
		for (size_t i = 0; i < t->nfkeys; i++)
			if (t->fkeys[i].name && strcmp(t->fkeys[i].name, name) == 0)
				return true;
		for (size_t i = 0; i < t->nchecks; i++)
			if (t->checks[i].name && strcmp(t->checks[i].name, name) == 0)
				return true;
		for (size_t i = 0; i < t->nuniques; i++)
			if (t->uniques[i].name && strcmp(t->uniques[i].name, name) == 0)
				return true;
	}
	return false;
}

/* The name of a new constraint: the one given, else <table>_<cols>_<suffix>. */
static int constraint_name(planner *pl, const xtab *x, const char *const *cols, size_t n, const char *suffix,
			   const char **out)
{
	xplan *p = pl->p;
	const sl_xop *op = pl->op;
	if (op->name) {
		*out = op->name;
		return 0;
	}
	sl_buf b = SL_BUF_INIT;
	int rc = sl_buf_puts(&b, x->t->name);
	for (size_t i = 0; !rc && i < n && i < 3; i++)
		rc = sl_buf_printf(&b, "_%s", cols[i]);
	const char *base = rc ? NULL : xplan_name(p, "", sl_buf_cstr(&b));
	sl_buf_free(&b);
	if (!base)
		return rc ? rc : sl_error_nomem();
	for (int k = 1; k < 100; k++) {
		char sfx[32];
		snprintf(sfx, sizeof(sfx), k == 1 ? "_%s" : "_%s%d", suffix, k);
		const char *nm = xplan_name(p, "", sl_arena_printf(p->arena, "%s%s", base, sfx));
		if (!nm)
			return sl_error_nomem();
		if (!name_taken(p, nm)) {
			*out = nm;
			return 0;
		}
	}
	return xp_fail(pl, "pick a name for it with \"name ...\"");
}

int xp_op_constraint(planner *pl, const sl_xop *op)
{
	xplan *p = pl->p;
	xtab *x;
	const char **cols = NULL, **refs = NULL, *nm = NULL;
	int rc = xp_need_tab(pl, op->table, &x);
	if (!rc && op->kind != SL_XOP_ADD_CHECK)
		rc = key_cols(pl, x, op->keys, op->nkeys, &cols);
	if (rc)
		return rc;
	if (op->name && name_taken(p, op->name))
		return xp_fail(pl, "an index or constraint \"%s\" already exists", op->name);
	sl_xact add = { .base = p->base, .table = x->t->name, .cols = cols, .ncols = op->nkeys };
	switch (op->kind) {
	case SL_XOP_ADD_UNIQUE:
	case SL_XOP_ADD_INDEX:
		if ((rc = constraint_name(pl, x, cols, op->nkeys,
					  op->kind == SL_XOP_ADD_INDEX ? "idx" : "key", &nm)))
			return rc;
		add.kind = SL_XA_ADD_INDEX;
		add.name = nm;
		add.unique = op->kind == SL_XOP_ADD_UNIQUE || op->unique;
		rc = xplan_push_act(p, &p->validate, &add);
		if (!rc)
			rc = xplan_push_act(p, &p->rollback,
					    &(sl_xact){ .kind = SL_XA_DROP_INDEX,
							.base = p->base,
							.table = x->t->name,
							.name = nm });
		if (!rc && op->kind == SL_XOP_ADD_UNIQUE)
			rc = xplan_push_act(p, &p->contract,
					    &(sl_xact){ .kind = SL_XA_ATTACH_UNIQUE,
							.base = p->base,
							.table = x->t->name,
							.name = nm,
							.to = nm,
							.cols = cols,
							.ncols = op->nkeys,
							.unique = true });
		return rc;
	case SL_XOP_ADD_FOREIGN_KEY: {
		xtab *r = xp_find_tab(pl, op->ref_table);
		if (!r)
			return xp_fail(pl, "no table \"%s\" in %s", op->ref_table, p->base);
		if ((rc = key_cols(pl, r, op->ref_cols, op->nref_cols, &refs)) ||
		    (rc = constraint_name(pl, x, cols, op->nkeys, "fkey", &nm)))
			return rc;
		add.kind = SL_XA_ADD_FOREIGN_KEY;
		add.ref_table = r->t->name;
		add.ref_cols = refs;
		add.nref_cols = op->nref_cols;
		add.on_delete = op->on_delete;
		add.on_update = op->on_update;
		break;
	}
	default: /* check */
		if ((rc = constraint_name(pl, x, NULL, 0, "check", &nm)))
			return rc;
		add.kind = SL_XA_ADD_CHECK;
		add.expr = op->check;
	}
	add.name = nm;
	sl_xact val = add;
	val.kind = SL_XA_VALIDATE;
	val.what = add.kind;
	rc = xplan_push_act(p, &p->expand, &add);
	if (!rc)
		rc = xplan_push_act(p, &p->validate, &val);
	if (!rc)
		rc = xplan_push_act(p, &p->rollback,
				    &(sl_xact){ .kind = SL_XA_DROP_CONSTRAINT,
						.base = p->base,
						.table = x->t->name,
						.name = nm,
						.what = add.kind });
	return rc;
}
