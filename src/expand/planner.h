/*
 * planner.h - internal to the expand planner (src/expand/plan*.c): the
 * planner's state, the assignments waiting for every operation, and the
 * pieces the files share. plan.c walks the operations and finishes each
 * table; plan_guard.c holds the building blocks (columns added, hidden,
 * assignments, the guards that refuse what cannot follow a column);
 * plan_ops.c resolves one operation each.
 */
#ifndef SLUICE_EXPAND_PLANNER_H
#define SLUICE_EXPAND_PLANNER_H

#include "expand_int.h"

typedef struct planner {
	xplan *p;
	const char *origin;
	const sl_xop *op; /* the operation being resolved, for messages */
} planner;

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

int xp_add_column(planner *pl, xtab *x, const char *name, const char *decl, const char *dflt, const char *at,
		  bool not_null_now, const char **physical);
int xp_hide(planner *pl, xtab *x, const sl_column *c);
int xp_assign(planner *pl, assigns *as, xtab *x, bool up, const char *target, const char *expr,
	      bool insert_only);
int xp_require_not_null(planner *pl, xtab *x, const char *phys, const char *final, const char *decl,
			const char *dflt);
int xp_replace_guard(planner *pl, xtab *x, const sl_column *c, const char *phys);
int xp_drop_guard(planner *pl, xtab *x, const sl_column *c);
int xp_contract_copies(xplan *p, const xtab *x);
int xp_check_support(planner *pl);
int xp_op_rename_table(planner *pl, const sl_xop *op);
int xp_op_rename_column(planner *pl, const sl_xop *op);
int xp_op_add_column(planner *pl, assigns *as, const sl_xop *op);
int xp_op_drop_column(planner *pl, assigns *as, const sl_xop *op);
int xp_op_change_type(planner *pl, assigns *as, const sl_xop *op);
int xp_op_set_not_null(planner *pl, assigns *as, const sl_xop *op);
int xp_op_split(planner *pl, assigns *as, const sl_xop *op);
int xp_op_merge(planner *pl, assigns *as, const sl_xop *op);
int xp_op_constraint(planner *pl, const sl_xop *op);
int xp_fail(planner *pl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int xp_warn(planner *pl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
xtab *xp_find_tab(planner *pl, const char *name);
int xp_need_tab(planner *pl, const char *name, xtab **out);
const sl_column *xp_find_col(const xtab *x, const char *name);
int xp_need_col(planner *pl, const xtab *x, const char *name, const sl_column **out);

#endif
