/*
 * cast_int.h - internal to the cast planner (src/copy/cast*.c): the plan
 * object, the planning context and the per-dialect type mappers.
 *
 * cast.c drives planning (names, rules, defaults, source notes, key checks);
 * cast_types.c holds the default cast table, one function per target, and
 * must stay in step with docs/casts.md; cast_render.c prints plans.
 */
#ifndef SLUICE_COPY_CAST_INT_H
#define SLUICE_COPY_CAST_INT_H

#include "sluice/arena.h"
#include "sluice/cast.h"
#include "sluice/conn.h"
#include "sluice/dialect.h"
#include "schema/cast_plan.h"

/* Where a column is used, for decisions that depend on keys. */
typedef struct sl_col_use {
	bool in_pk, sole_pk, in_unique, in_index, in_fk;
} sl_col_use;

typedef struct sl_cast_ctx {
	sl_cast_plan *plan;
	const sl_table *table;
	sl_cast_table *ct;
	sl_col_use use;
} sl_cast_ctx;

/* Appends a note to (*notes, *n) in the plan's arena. */
int sl_cast_add_note(sl_cast_plan *p, sl_cast_note **notes, size_t *n, sl_cast_severity sev, const char *fmt,
		     ...) __attribute__((format(printf, 5, 6)));
/* A note on the column being planned. */
int sl_cast_col_note(sl_cast_ctx *x, sl_cast_column *cc, sl_cast_severity sev, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * The default cast of one column to x->plan->target (types.md/casts.md):
 * sets cc->type, cc->type_sql, cc->identity, cc->check_sql and adds the
 * notes the type itself causes. Source-side notes are added by cast.c.
 */
int sl_cast_map_type(sl_cast_ctx *x, const sl_column *c, sl_cast_column *cc);

/*
 * A literal default (text, or a number token when number is true) carried
 * the way the column's rows are (cast_default.c): converted with the rows'
 * conversion and written as a target literal into out, or dropped with a
 * lossy note naming shown (the source's text) when the rows' conversion
 * would refuse it or make it NULL. 0 or SL_E* (memory).
 */
int sl_cast_default_literal(sl_cast_ctx *x, sl_cast_column *cc, const char *text, bool number,
			    const char *shown, sl_buf *out);
/* Whether a default on a column of kind k must be written in parentheses on e (MySQL). */
bool sl_cast_default_needs_parens(sl_engine e, sl_tkind k);

/*
 * The user's rule for column c of table t, the most specific that matches:
 * its target type text (*to) and the rule as the user wrote it (*display).
 * False when no rule applies (or r is NULL).
 */
bool sl_cast_rules_find(const sl_cast_rules *r, const sl_table *t, const sl_column *c, const char **to,
			const char **display);

/* Parses a user's target type text into a portable type (best effort; SL_T_OTHER when unknown). */
void sl_cast_parse_type(const char *text, sl_type *out);

#endif
