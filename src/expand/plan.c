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
#include "expand_int.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sluice/error.h"

typedef struct planner {
	xplan *p;
	const char *origin;
	const sl_xop *op; /* the operation being resolved, for messages */
} planner;

static int fail(planner *pl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(planner *pl, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sl_error_set(SL_EINVALID, "%s:%zu: %s: %s", pl->origin, pl->op ? pl->op->line : 1,
			    pl->op ? sl_xop_kind_name(pl->op->kind) : "expand", msg);
}

static int warn(planner *pl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int warn(planner *pl, const char *fmt, ...)
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

static xtab *find_tab(planner *pl, const char *name)
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

static int need_tab(planner *pl, const char *name, xtab **out)
{
	if (!(*out = find_tab(pl, name)))
		return fail(pl, "no table \"%s\" in %s", name, pl->p->base);
	(*out)->touched = true;
	return 0;
}

static const sl_column *find_col(const xtab *x, const char *name)
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

static int need_col(planner *pl, const xtab *x, const char *name, const sl_column **out)
{
	*out = find_col(x, name);
	if (!*out || xcol_is_ours((*out)->name))
		return fail(pl, "table \"%s\" has no column \"%s\"", x->t->name, name);
	if ((*out)->generated_expr)
		return fail(pl, "column %s.%s is generated; change its expression with a plain migration",
			    x->t->name, (*out)->name);
	return 0;
}

static bool in_list(const char *const *l, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(l[i], s) == 0)
			return true;
	return false;
}

/* ---- building blocks ------------------------------------------------------------------- */

static int push_str(xplan *p, const char ***list, size_t *n, size_t *cap, const char *s)
{
	const char **slot = sl_arena_push(p->arena, list, n, cap, sizeof(*slot));
	if (!slot)
		return sl_error_nomem();
	*slot = s;
	return 0;
}

static int add_column(planner *pl, xtab *x, const char *name, const char *decl, const char *dflt,
		      const char *at, bool not_null_now, const char **physical)
{
	xplan *p = pl->p;
	const char *phys = xplan_name(p, XNEW_PREFIX, name);
	xadd *a = sl_arena_push(p->arena, &x->adds, &x->nadds, &x->cap_adds, sizeof(*a));
	if (!phys || !a)
		return sl_error_nomem();
	if (find_col(x, phys) && !xcol_is_ours(phys))
		return fail(pl, "table \"%s\" already has a column \"%s\"", x->t->name, phys);
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
static int hide(planner *pl, xtab *x, const sl_column *c)
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

typedef struct pending_assign {
	xtab *x;
	bool up;
	const char *target, *expr;
	bool insert_only;
} pending_assign;

/* Assignments are resolved once every operation has shaped its table (scopes need the whole shape). */
typedef struct assigns {
	pending_assign *items;
	size_t n, cap;
} assigns;

static int assign(planner *pl, assigns *as, xtab *x, bool up, const char *target, const char *expr,
		  bool insert_only)
{
	pending_assign *a = sl_arena_push(pl->p->arena, &as->items, &as->n, &as->cap, sizeof(*a));
	if (!a)
		return sl_error_nomem();
	*a = (pending_assign){ .x = x, .up = up, .target = target, .expr = expr, .insert_only = insert_only };
	return 0;
}

/* Requires a NOT NULL on a replacement column: NOT VALID check now, NOT NULL at contract. */
static int require_not_null(planner *pl, xtab *x, const char *phys, const char *final, const char *decl,
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
				return fail(pl,
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
			return fail(pl,
				    "generated column %s.%s is computed from %s.%s; change it with a plain "
				    "migration",
				    x->t->name, g->name, x->t->name, c->name);
	}
	return 0;
}

/*
 * A column about to be replaced (change type, set not null): refuses keys
 * that cannot follow, copies plain indexes onto the replacement, warns of
 * what contract drops with the old column.
 */
static int replace_guard(planner *pl, xtab *x, const sl_column *c, const char *phys)
{
	xplan *p = pl->p;
	const sl_table *t = x->t;
	int rc = 0;
	if (t->primary_key && in_list(t->primary_key->columns, t->primary_key->ncolumns, c->name))
		return fail(pl, "%s.%s is in the primary key; expand/contract cannot replace a key column",
			    t->name, c->name);
	if ((rc = generated_guard(pl, x, c)) || (rc = inline_unique_guard(pl, x, c)))
		return rc;
	for (size_t i = 0; i < t->nfkeys; i++)
		if (in_list(t->fkeys[i].columns, t->fkeys[i].ncolumns, c->name))
			return fail(pl,
				    "%s.%s is in foreign key \"%s\"; drop the key first (a plain migration)",
				    t->name, c->name, t->fkeys[i].name ? t->fkeys[i].name : "");
	for (size_t k = 0; k < p->ntabs; k++) {
		const sl_table *o = p->tabs[k].t;
		for (size_t i = 0; i < o->nfkeys; i++)
			if (strcmp(o->fkeys[i].ref_table, t->name) == 0 &&
			    in_list(o->fkeys[i].ref_columns, o->fkeys[i].ncolumns, c->name))
				return fail(
					pl,
					"%s.%s is referenced by foreign key \"%s\" of %s; drop the key first",
					t->name, c->name, o->fkeys[i].name ? o->fkeys[i].name : "", o->name);
	}
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
			rc = warn(pl,
				  "index \"%s\" of %s uses %s in an expression or predicate; contract drops "
				  "it with the old column: create it again afterwards",
				  ix->name, t->name, c->name);
			continue;
		}
		xindex_copy *cp =
			sl_arena_push(p->arena, &x->copies, &x->ncopies, &x->cap_copies, sizeof(*cp));
		const char **cols = sl_arena_calloc(p->arena, ix->ncolumns, sizeof(*cols));
		if (!cp || !cols)
			return sl_error_nomem();
		for (size_t j = 0; j < ix->ncolumns; j++)
			cols[j] = strcmp(ix->columns[j], c->name) == 0 ? phys : ix->columns[j];
		bool constraint = false;
		for (size_t j = 0; j < t->nuniques; j++)
			constraint = constraint ||
				     (t->uniques[j].name && strcmp(t->uniques[j].name, ix->name) == 0);
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
	}
	for (size_t i = 0; !rc && i < t->nchecks; i++)
		if (mentions(t->checks[i].expr, c->name))
			rc = warn(pl,
				  "check constraint \"%s\" of %s uses %s; contract drops it with the old "
				  "column: add it again with \"add check\" in a later migration",
				  t->checks[i].name ? t->checks[i].name : "", t->name, c->name);
	return rc;
}

/*
 * A column the new shape loses (drop, split, merge): keys that would break
 * are refused; indexes and checks that contract drops with it are named.
 */
static int drop_guard(planner *pl, xtab *x, const sl_column *c)
{
	xplan *p = pl->p;
	const sl_table *t = x->t;
	int rc = 0;
	if (t->primary_key && in_list(t->primary_key->columns, t->primary_key->ncolumns, c->name))
		return fail(pl, "%s.%s is in the primary key", t->name, c->name);
	if ((rc = generated_guard(pl, x, c)) || (rc = inline_unique_guard(pl, x, c)))
		return rc;
	for (size_t i = 0; i < t->nfkeys; i++)
		if (in_list(t->fkeys[i].columns, t->fkeys[i].ncolumns, c->name))
			return fail(pl,
				    "%s.%s is in foreign key \"%s\"; drop the key first (a plain migration)",
				    t->name, c->name, t->fkeys[i].name ? t->fkeys[i].name : "");
	for (size_t k = 0; k < p->ntabs; k++) {
		const sl_table *o = p->tabs[k].t;
		for (size_t i = 0; i < o->nfkeys; i++)
			if (strcmp(o->fkeys[i].ref_table, t->name) == 0 &&
			    in_list(o->fkeys[i].ref_columns, o->fkeys[i].ncolumns, c->name))
				return fail(
					pl,
					"%s.%s is referenced by foreign key \"%s\" of %s; drop the key first",
					t->name, c->name, o->fkeys[i].name ? o->fkeys[i].name : "", o->name);
	}
	for (size_t i = 0; !rc && i < t->nindexes; i++) {
		const sl_index *ix = &t->indexes[i];
		bool uses = ix->where && mentions(ix->where, c->name);
		for (size_t j = 0; j < ix->ncolumns; j++)
			uses = uses || (ix->is_expression[j] ? mentions(ix->columns[j], c->name)
							     : strcmp(ix->columns[j], c->name) == 0);
		if (uses && !ix->primary)
			rc = warn(pl, "index \"%s\" of %s uses %s; contract drops it with the column",
				  ix->name, t->name, c->name);
	}
	for (size_t i = 0; !rc && i < t->nchecks; i++)
		if (mentions(t->checks[i].expr, c->name))
			rc = warn(pl,
				  "check constraint \"%s\" of %s uses %s; contract drops it with the column",
				  t->checks[i].name ? t->checks[i].name : "", t->name, c->name);
	return rc;
}

/* Index copies are renamed after the columns are: appended once per table at the end. */
static int contract_copies(xplan *p, const xtab *x)
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

static int check_support(planner *pl)
{
	const char *why = sl_xop_unsupported(pl->op, sl_conn_engine(pl->p->c));
	if (why)
		return fail(pl, "not supported on %s: %s", sl_engine_name(sl_conn_engine(pl->p->c)), why);
	return 0;
}

/* ---- one operation each --------------------------------------------------------------------- */

static int op_rename_table(planner *pl, const sl_xop *op)
{
	xtab *x;
	int rc = need_tab(pl, op->table, &x);
	if (rc)
		return rc;
	if (find_tab(pl, op->to) && find_tab(pl, op->to) != x)
		return fail(pl, "a table \"%s\" already exists", op->to);
	x->name_new = op->to;
	return xplan_push_act(pl->p, &pl->p->contract,
			      &(sl_xact){ .kind = SL_XA_RENAME_TABLE,
					  .base = pl->p->base,
					  .table = x->t->name,
					  .to = op->to });
}

static int op_rename_column(planner *pl, const sl_xop *op)
{
	xtab *x;
	const sl_column *c;
	int rc = need_tab(pl, op->table, &x);
	if (!rc)
		rc = need_col(pl, x, op->column, &c);
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

static int op_add_column(planner *pl, assigns *as, const sl_xop *op)
{
	xtab *x;
	const char *phys;
	int rc = need_tab(pl, op->table, &x);
	if (rc)
		return rc;
	if (find_col(x, op->column))
		return fail(pl, "table \"%s\" already has a column \"%s\"", x->t->name, op->column);
	/* a NOT NULL column with a default and nothing to compute is complete at once */
	bool now = op->not_null && op->default_expr && !op->up;
	if ((rc = add_column(pl, x, op->column, op->type, op->default_expr, NULL, now, &phys)))
		return rc;
	if (op->up)
		rc = assign(pl, as, x, true, phys, op->up, false);
	if (!rc && op->not_null && !now)
		rc = require_not_null(pl, x, phys, op->column, op->type, op->default_expr);
	return rc;
}

static int op_drop_column(planner *pl, assigns *as, const sl_xop *op)
{
	xtab *x;
	const sl_column *c;
	int rc = need_tab(pl, op->table, &x);
	if (!rc)
		rc = need_col(pl, x, op->column, &c);
	if (rc)
		return rc;
	if (!c->nullable && !c->default_expr && !c->identity && !op->down)
		return fail(
			pl,
			"%s.%s is NOT NULL without a default, so inserts from the new version would fail; "
			"give \"down (expression)\": the value old readers see for rows the new version adds",
			x->t->name, c->name);
	rc = drop_guard(pl, x, c);
	if (!rc)
		rc = hide(pl, x, c);
	if (!rc && op->down)
		rc = assign(pl, as, x, false, c->name, op->down, true);
	return rc;
}

static int op_change_type(planner *pl, assigns *as, const sl_xop *op)
{
	xtab *x;
	const sl_column *c;
	const char *phys;
	int rc = need_tab(pl, op->table, &x);
	if (!rc)
		rc = need_col(pl, x, op->column, &c);
	if (rc)
		return rc;
	if (x->t->primary_key && in_list(x->t->primary_key->columns, x->t->primary_key->ncolumns, c->name))
		return fail(pl, "%s.%s is in the primary key; expand/contract cannot replace a key column",
			    x->t->name, c->name);
	if (!c->nullable && pl->p->d->refuse_replace_not_null)
		return fail(pl, "not supported on %s: %s.%s is NOT NULL, and %s",
			    sl_engine_name(sl_conn_engine(pl->p->c)), x->t->name, c->name,
			    pl->p->d->refuse_replace_not_null);
	const char *dflt = op->default_expr ? op->default_expr : c->default_expr;
	if (c->identity)
		return fail(pl, "%s.%s is an identity / auto-increment column", x->t->name, c->name);
	if ((rc = add_column(pl, x, c->name, op->type, dflt, c->name, false, &phys)) ||
	    (rc = replace_guard(pl, x, c, phys)) || (rc = hide(pl, x, c)))
		return rc;
	rc = assign(pl, as, x, true, phys, op->up, false);
	if (!rc)
		rc = assign(pl, as, x, false, c->name, op->down, false);
	if (!rc && !c->nullable)
		rc = require_not_null(pl, x, phys, c->name, op->type, dflt);
	return rc;
}

static int op_set_not_null(planner *pl, assigns *as, const sl_xop *op)
{
	xtab *x;
	const sl_column *c;
	const char *phys;
	int rc = need_tab(pl, op->table, &x);
	if (!rc)
		rc = need_col(pl, x, op->column, &c);
	if (rc)
		return rc;
	if (!c->nullable)
		return fail(pl, "%s.%s is already NOT NULL", x->t->name, c->name);
	if ((rc = add_column(pl, x, c->name, c->decl_type, c->default_expr, c->name, false, &phys)) ||
	    (rc = replace_guard(pl, x, c, phys)) || (rc = hide(pl, x, c)))
		return rc;
	sl_buf q = SL_BUF_INIT;
	rc = sl_conn_quote_ident(pl->p->c, &q, c->name);
	const char *ident = rc ? NULL : sl_arena_strdup(pl->p->arena, sl_buf_cstr(&q));
	sl_buf_free(&q);
	if (!rc && !ident)
		rc = sl_error_nomem();
	if (!rc)
		rc = assign(pl, as, x, true, phys, op->up, false);
	if (!rc)
		rc = assign(pl, as, x, false, c->name, ident, false);
	if (!rc)
		rc = require_not_null(pl, x, phys, c->name, c->decl_type, c->default_expr);
	return rc;
}

static int op_split(planner *pl, assigns *as, const sl_xop *op)
{
	xtab *x;
	const sl_column *c;
	int rc = need_tab(pl, op->table, &x);
	if (!rc)
		rc = need_col(pl, x, op->column, &c);
	if (rc)
		return rc;
	for (size_t i = 0; !rc && i < op->ncols; i++) {
		const char *phys;
		rc = add_column(pl, x, op->cols[i].name, op->cols[i].type, NULL, c->name, false, &phys);
		if (!rc)
			rc = assign(pl, as, x, true, phys, op->cols[i].expr, false);
	}
	if (!rc)
		rc = drop_guard(pl, x, c);
	if (!rc)
		rc = hide(pl, x, c);
	if (!rc)
		rc = assign(pl, as, x, false, c->name, op->down, false);
	return rc;
}

static int op_merge(planner *pl, assigns *as, const sl_xop *op)
{
	xtab *x;
	const sl_column *first, *c;
	const char *phys;
	int rc = need_tab(pl, op->table, &x);
	if (!rc)
		rc = need_col(pl, x, op->column, &first);
	if (!rc)
		rc = add_column(pl, x, op->to, op->type, op->default_expr, first->name, false, &phys);
	if (!rc)
		rc = assign(pl, as, x, true, phys, op->up, false);
	for (size_t i = 0; !rc && i <= op->ncols; i++) {
		if ((rc = need_col(pl, x, i ? op->cols[i - 1].name : op->column, &c)))
			break;
		if (!(rc = drop_guard(pl, x, c)) && !(rc = hide(pl, x, c)))
			rc = assign(pl, as, x, false, c->name, i ? op->cols[i - 1].expr : op->down, false);
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
		int rc = need_col(pl, x, names[i], &c);
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
	return fail(pl, "pick a name for it with \"name ...\"");
}

static int op_constraint(planner *pl, const sl_xop *op)
{
	xplan *p = pl->p;
	xtab *x;
	const char **cols = NULL, **refs = NULL, *nm = NULL;
	int rc = need_tab(pl, op->table, &x);
	if (!rc && op->kind != SL_XOP_ADD_CHECK)
		rc = key_cols(pl, x, op->keys, op->nkeys, &cols);
	if (rc)
		return rc;
	if (op->name && name_taken(p, op->name))
		return fail(pl, "an index or constraint \"%s\" already exists", op->name);
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
		xtab *r = find_tab(pl, op->ref_table);
		if (!r)
			return fail(pl, "no table \"%s\" in %s", op->ref_table, p->base);
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

static int resolve_assigns(planner *pl, const assigns *as)
{
	xplan *p = pl->p;
	int rc = 0;
	for (size_t k = 0; !rc && k < p->ntabs; k++) {
		xtab *x = &p->tabs[k];
		sl_xscope_col *olds = NULL, *news = NULL;
		sl_xview_col *vc = NULL;
		size_t nold = 0, nnew = 0, cap = 0;
		bool any = false;
		for (size_t i = 0; i < as->n; i++)
			any = any || as->items[i].x == x;
		if (!any)
			continue;
		if ((rc = xplan_old_scope(p, x, &olds, &nold)) || (rc = xplan_new_cols(p, x, &vc, &nnew)))
			break;
		size_t nview = nnew;
		nnew = 0;
		for (size_t i = 0; i < nview; i++) {
			sl_xscope_col *s = sl_arena_push(p->arena, &news, &nnew, &cap, sizeof(*s));
			if (!s)
				return sl_error_nomem();
			const sl_column *c = sl_table_find_column(x->t, vc[i].physical);
			const char *decl = c ? c->decl_type : NULL;
			for (size_t j = 0; j < x->nadds; j++)
				if (strcmp(x->adds[j].physical, vc[i].physical) == 0)
					decl = x->adds[j].decl;
			*s = (sl_xscope_col){ .name = vc[i].name, .physical = vc[i].physical, .decl = decl };
		}
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
		if ((rc = check_support(&pl)))
			break;
		switch (op->kind) {
		case SL_XOP_RENAME_TABLE:
			rc = op_rename_table(&pl, op);
			break;
		case SL_XOP_RENAME_COLUMN:
			rc = op_rename_column(&pl, op);
			break;
		case SL_XOP_ADD_COLUMN:
			rc = op_add_column(&pl, &as, op);
			break;
		case SL_XOP_DROP_COLUMN:
			rc = op_drop_column(&pl, &as, op);
			break;
		case SL_XOP_CHANGE_TYPE:
			rc = op_change_type(&pl, &as, op);
			break;
		case SL_XOP_SPLIT_COLUMN:
			rc = op_split(&pl, &as, op);
			break;
		case SL_XOP_MERGE_COLUMNS:
			rc = op_merge(&pl, &as, op);
			break;
		case SL_XOP_SET_NOT_NULL:
			rc = op_set_not_null(&pl, &as, op);
			break;
		default:
			rc = op_constraint(&pl, op);
		}
	}
	pl.op = NULL;
	for (size_t k = 0; !rc && k < p->ntabs; k++)
		if (p->tabs[k].touched)
			rc = check_shape(&pl, &p->tabs[k]);
	if (!rc)
		rc = resolve_assigns(&pl, &as);
	for (size_t k = 0; !rc && k < p->ntabs; k++)
		rc = contract_copies(p, &p->tabs[k]);
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
