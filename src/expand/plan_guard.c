/*
 * plan_guard.c - building blocks of the expand planner (planner.h): columns
 * added and hidden, assignments the triggers keep, NOT NULL checks, and the
 * guards that refuse a column change the keys, generated columns or indexes
 * cannot follow (docs/expand-contract.md).
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

/* ---- building blocks ------------------------------------------------------------------- */

static int push_str(xplan *p, const char ***list, size_t *n, size_t *cap, const char *s)
{
	const char **slot = sl_arena_push(p->arena, list, n, cap, sizeof(*slot));
	if (!slot)
		return sl_error_nomem();
	*slot = s;
	return 0;
}

int xp_add_column(planner *pl, xtab *x, const char *name, const char *decl, const char *dflt, const char *at,
		  bool not_null_now, const char **physical)
{
	xplan *p = pl->p;
	const char *phys = xplan_name(p, XNEW_PREFIX, name);
	xadd *a = sl_arena_push(p->arena, &x->adds, &x->nadds, &x->cap_adds, sizeof(*a));
	if (!phys || !a)
		return sl_error_nomem();
	if (xp_find_col(x, phys) && !xcol_is_ours(phys))
		return xp_fail(pl, "table \"%s\" already has a column \"%s\"", x->t->name, phys);
	*a = (xadd){ .name = name, .physical = phys, .decl = decl, .default_expr = dflt, .at = at };
	*physical = phys;
	int rc = xplan_push_act(p, &p->expand,
				&(sl_xact){ .kind = SL_XA_ADD_COLUMN,
					    .base = p->base,
					    .table = x->t->name,
					    .column = phys,
					    .decl = decl,
					    .default_expr = dflt,
					    .not_null = not_null_now });
	if (!rc)
		rc = xplan_push_act(p, &p->contract,
				    &(sl_xact){ .kind = SL_XA_RENAME_COLUMN,
						.base = p->base,
						.table = x->t->name,
						.column = phys,
						.to = name });
	if (!rc)
		rc = xplan_push_act(p, &p->rollback,
				    &(sl_xact){ .kind = SL_XA_DROP_COLUMN,
						.base = p->base,
						.table = x->t->name,
						.column = phys });
	return rc;
}

/* Hides an old column from the new shape; contract drops it. */
int xp_hide(planner *pl, xtab *x, const sl_column *c)
{
	xplan *p = pl->p;
	int rc = push_str(p, &x->hidden, &x->nhidden, &x->cap_hidden, c->name);
	if (!rc)
		rc = xplan_push_act(p, &p->contract,
				    &(sl_xact){ .kind = SL_XA_DROP_COLUMN,
						.base = p->base,
						.table = x->t->name,
						.column = c->name });
	return rc;
}

int xp_assign(planner *pl, assigns *as, xtab *x, bool up, const char *target, const char *expr,
	      bool insert_only)
{
	pending_assign *a = sl_arena_push(pl->p->arena, &as->items, &as->n, &as->cap, sizeof(*a));
	if (!a)
		return sl_error_nomem();
	*a = (pending_assign){ .x = x, .up = up, .target = target, .expr = expr, .insert_only = insert_only };
	return 0;
}

/* Requires a NOT NULL on a replacement column: NOT VALID check now, NOT NULL at contract. */
int xp_require_not_null(planner *pl, xtab *x, const char *phys, const char *final, const char *decl,
			const char *dflt)
{
	xplan *p = pl->p;
	const char *ck = xplan_name(p, XPREFIX "nn_", final);
	if (!ck)
		return sl_error_nomem();
	int rc = push_str(p, &x->not_null, &x->nnot_null, &x->cap_not_null, phys);
	if (!rc)
		rc = xplan_push_act(p, &p->expand,
				    &(sl_xact){ .kind = SL_XA_ADD_NOT_NULL_CHECK,
						.base = p->base,
						.table = x->t->name,
						.column = phys,
						.name = ck });
	if (!rc)
		rc = xplan_push_act(p, &p->validate,
				    &(sl_xact){ .kind = SL_XA_VALIDATE,
						.base = p->base,
						.table = x->t->name,
						.column = phys,
						.name = ck,
						.what = SL_XA_ADD_NOT_NULL_CHECK });
	if (!rc)
		rc = xplan_push_act(p, &p->contract,
				    &(sl_xact){ .kind = SL_XA_SET_NOT_NULL,
						.base = p->base,
						.table = x->t->name,
						.column = final,
						.decl = decl,
						.default_expr = dflt,
						.name = ck });
	if (!rc)
		rc = xplan_push_act(p, &p->contract,
				    &(sl_xact){ .kind = SL_XA_DROP_CONSTRAINT,
						.base = p->base,
						.table = x->t->name,
						.name = ck,
						.what = SL_XA_ADD_NOT_NULL_CHECK });
	return rc;
}

/* Does expr name col as a word (a rough test, for warnings only)? */
static bool mentions(const char *expr, const char *col)
{
	size_t n = strlen(col);
	for (const char *s = expr; expr && (s = strcasestr(s, col)); s += n) {
		bool before = s == expr || !(isalnum((unsigned char)s[-1]) || s[-1] == '_');
		bool after = !(isalnum((unsigned char)s[n]) || s[n] == '_');
		if (before && after)
			return true;
	}
	return false;
}

/* A UNIQUE of the table's definition that the engine cannot drop pins its columns (SQLite). */
static int inline_unique_guard(planner *pl, const xtab *x, const sl_column *c)
{
	if (pl->p->d->drops_inline_unique)
		return 0;
	for (size_t i = 0; i < x->t->nindexes; i++) {
		const sl_index *ix = &x->t->indexes[i];
		if (!ix->unique || ix->primary || ix->definition)
			continue;
		for (size_t j = 0; j < ix->ncolumns; j++)
			if (!ix->is_expression[j] && strcmp(ix->columns[j], c->name) == 0)
				return xp_fail(pl,
					       "not supported on %s: %s.%s is in a UNIQUE of the table's "
					       "definition, which "
					       "cannot be dropped without rebuilding the table",
					       sl_engine_name(sl_conn_engine(pl->p->c)), x->t->name, c->name);
	}
	return 0;
}

/* A generated column computed from c cannot follow it to a replacement or survive its drop. */
static int generated_guard(planner *pl, const xtab *x, const sl_column *c)
{
	for (size_t i = 0; i < x->t->ncolumns; i++) {
		const sl_column *g = &x->t->columns[i];
		if (g != c && g->generated_expr && mentions(g->generated_expr, c->name))
			return xp_fail(
				pl,
				"generated column %s.%s is computed from %s.%s; change it with a plain "
				"migration",
				x->t->name, g->name, x->t->name, c->name);
	}
	return 0;
}

/*
 * Keys a replaced or lost column cannot take with it: the primary key (the
 * message ends with pk_why), a generated or inline-unique column, a foreign
 * key of its own or one that references it. 0, or the failure.
 */
static int key_guard(planner *pl, xtab *x, const sl_column *c, const char *pk_why)
{
	xplan *p = pl->p;
	const sl_table *t = x->t;
	int rc = 0;
	if (t->primary_key && sl_str_in(c->name, t->primary_key->columns, t->primary_key->ncolumns))
		return xp_fail(pl, "%s.%s is in the primary key%s", t->name, c->name, pk_why);
	if ((rc = generated_guard(pl, x, c)) || (rc = inline_unique_guard(pl, x, c)))
		return rc;
	for (size_t i = 0; i < t->nfkeys; i++)
		if (sl_str_in(c->name, t->fkeys[i].columns, t->fkeys[i].ncolumns))
			return xp_fail(
				pl, "%s.%s is in foreign key \"%s\"; drop the key first (a plain migration)",
				t->name, c->name, t->fkeys[i].name ? t->fkeys[i].name : "");
	for (size_t k = 0; k < p->ntabs; k++) {
		const sl_table *o = p->tabs[k].t;
		for (size_t i = 0; i < o->nfkeys; i++)
			if (strcmp(o->fkeys[i].ref_table, t->name) == 0 &&
			    sl_str_in(c->name, o->fkeys[i].ref_columns, o->fkeys[i].ncolumns))
				return xp_fail(
					pl,
					"%s.%s is referenced by foreign key \"%s\" of %s; drop the key first",
					t->name, c->name, o->fkeys[i].name ? o->fkeys[i].name : "", o->name);
	}
	return 0;
}

/*
 * A plain index on a column being replaced: a copy on the replacement column
 * phys, built in validate, dropped by rollback; contract drops the original
 * (before the old column: MySQL would keep it without the column).
 */
static int copy_index(planner *pl, xtab *x, const sl_column *c, const sl_index *ix, const char *phys)
{
	xplan *p = pl->p;
	const sl_table *t = x->t;
	int rc = 0;
	xindex_copy *cp = sl_arena_push(p->arena, &x->copies, &x->ncopies, &x->cap_copies, sizeof(*cp));
	const char **cols = sl_arena_calloc(p->arena, ix->ncolumns, sizeof(*cols));
	if (!cp || !cols)
		return sl_error_nomem();
	for (size_t j = 0; j < ix->ncolumns; j++)
		cols[j] = strcmp(ix->columns[j], c->name) == 0 ? phys : ix->columns[j];
	bool constraint = false;
	for (size_t j = 0; j < t->nuniques; j++)
		constraint = constraint || (t->uniques[j].name && strcmp(t->uniques[j].name, ix->name) == 0);
	*cp = (xindex_copy){ .orig = ix->name,
			     .copy = xplan_name(p, XPREFIX "ix_", ix->name),
			     .cols = cols,
			     .orig_cols = ix->columns,
			     .ncols = ix->ncolumns,
			     .unique = ix->unique,
			     .constraint = constraint };
	if (!cp->copy)
		return sl_error_nomem();
	rc = xplan_push_act(p, &p->validate,
			    &(sl_xact){ .kind = SL_XA_ADD_INDEX,
					.base = p->base,
					.table = t->name,
					.name = cp->copy,
					.cols = cols,
					.ncols = ix->ncolumns,
					.unique = ix->unique });
	if (!rc)
		rc = xplan_push_act(p, &p->rollback,
				    &(sl_xact){ .kind = SL_XA_DROP_INDEX,
						.base = p->base,
						.table = t->name,
						.name = cp->copy });
	/* the original goes before the old column (MySQL would keep it without the column) */
	if (!rc)
		rc = xplan_push_act(p, &p->contract,
				    constraint ? &(sl_xact){ .kind = SL_XA_DROP_CONSTRAINT,
							     .base = p->base,
							     .table = t->name,
							     .name = ix->name,
							     .what = SL_XA_ATTACH_UNIQUE }
					       : &(sl_xact){ .kind = SL_XA_DROP_INDEX,
							     .base = p->base,
							     .table = t->name,
							     .name = ix->name });
	return rc;
}

/*
 * A column about to be replaced (change type, set not null): refuses keys
 * that cannot follow, copies plain indexes onto the replacement, warns of
 * what contract drops with the old column.
 */
int xp_replace_guard(planner *pl, xtab *x, const sl_column *c, const char *phys)
{
	const sl_table *t = x->t;
	int rc = key_guard(pl, x, c, "; expand/contract cannot replace a key column");
	for (size_t i = 0; !rc && i < t->nindexes; i++) {
		const sl_index *ix = &t->indexes[i];
		bool uses = false, plain = !ix->where;
		for (size_t j = 0; j < ix->ncolumns; j++) {
			if (ix->is_expression[j])
				plain = false;
			uses = uses || (ix->is_expression[j] ? mentions(ix->columns[j], c->name)
							     : strcmp(ix->columns[j], c->name) == 0);
		}
		uses = uses || (ix->where && mentions(ix->where, c->name));
		if (!uses || ix->primary)
			continue;
		if (!plain) {
			rc = xp_warn(
				pl,
				"index \"%s\" of %s uses %s in an expression or predicate; contract drops "
				"it with the old column: create it again afterwards",
				ix->name, t->name, c->name);
			continue;
		}
		rc = copy_index(pl, x, c, ix, phys);
	}
	for (size_t i = 0; !rc && i < t->nchecks; i++)
		if (mentions(t->checks[i].expr, c->name))
			rc = xp_warn(pl,
				     "check constraint \"%s\" of %s uses %s; contract drops it with the old "
				     "column: add it again with \"add check\" in a later migration",
				     t->checks[i].name ? t->checks[i].name : "", t->name, c->name);
	return rc;
}

/*
 * A column the new shape loses (drop, split, merge): keys that would break
 * are refused; indexes and checks that contract drops with it are named.
 */
int xp_drop_guard(planner *pl, xtab *x, const sl_column *c)
{
	const sl_table *t = x->t;
	int rc = key_guard(pl, x, c, "");
	for (size_t i = 0; !rc && i < t->nindexes; i++) {
		const sl_index *ix = &t->indexes[i];
		bool uses = ix->where && mentions(ix->where, c->name);
		for (size_t j = 0; j < ix->ncolumns; j++)
			uses = uses || (ix->is_expression[j] ? mentions(ix->columns[j], c->name)
							     : strcmp(ix->columns[j], c->name) == 0);
		if (uses && !ix->primary)
			rc = xp_warn(pl, "index \"%s\" of %s uses %s; contract drops it with the column",
				     ix->name, t->name, c->name);
	}
	for (size_t i = 0; !rc && i < t->nchecks; i++)
		if (mentions(t->checks[i].expr, c->name))
			rc = xp_warn(
				pl,
				"check constraint \"%s\" of %s uses %s; contract drops it with the column",
				t->checks[i].name ? t->checks[i].name : "", t->name, c->name);
	return rc;
}

/* Index copies are renamed after the columns are: appended once per table at the end. */
int xp_contract_copies(xplan *p, const xtab *x)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < x->ncopies; i++) {
		const xindex_copy *cp = &x->copies[i];
		rc = xplan_push_act(p, &p->contract,
				    &(sl_xact){ .kind = cp->constraint ? SL_XA_ATTACH_UNIQUE
								       : SL_XA_RENAME_INDEX,
						.base = p->base,
						.table = x->t->name,
						.name = cp->copy,
						.to = cp->orig,
						.cols = cp->orig_cols,
						.ncols = cp->ncols,
						.unique = cp->unique });
	}
	return rc;
}

int xp_check_support(planner *pl)
{
	const char *why = sl_xop_unsupported(pl->op, sl_conn_engine(pl->p->c));
	if (why)
		return xp_fail(pl, "not supported on %s: %s", sl_engine_name(sl_conn_engine(pl->p->c)), why);
	return 0;
}
