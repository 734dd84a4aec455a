/*
 * ddl_expr.h - internal: a tokenizer for the small SQL expressions a schema
 * model carries (defaults, CHECK bodies, index predicates), and the rewriter
 * that carries the simple ones from one dialect to another. Used by the cast
 * planner (defaults) and the DDL generator (checks, partial indexes).
 *
 * "Simple" is deliberately narrow: column names, literals, comparison
 * operators, IN lists, BETWEEN, AND/OR/NOT, IS [NOT] NULL, parentheses.
 * Engine decorations that carry no meaning are removed first: PostgreSQL
 * casts (x::text), "= ANY (ARRAY[...])" (PostgreSQL's IN), MySQL charset
 * introducers (_utf8mb4'x').
 */
#ifndef SLUICE_SCHEMA_DDL_EXPR_H
#define SLUICE_SCHEMA_DDL_EXPR_H

#include "sluice/buf.h"
#include "sluice/cast.h"
#include "sluice/url.h"

typedef enum sl_xt_kind {
	SL_XT_WORD,   /* bare identifier or keyword, as written */
	SL_XT_IDENT,  /* quoted identifier, decoded */
	SL_XT_STRING, /* string literal, decoded */
	SL_XT_BITS,   /* b'0101' / B'0101', decoded digits */
	SL_XT_NUMBER,
	SL_XT_OP,   /* = <> != < > <= >= - + * / || */
	SL_XT_CAST, /* :: */
	SL_XT_LPAREN,
	SL_XT_RPAREN,
	SL_XT_COMMA,
	SL_XT_LBRACK,
	SL_XT_RBRACK,
	SL_XT_OTHER
} sl_xt_kind;

typedef struct sl_xtok {
	sl_xt_kind kind;
	char *text; /* malloc'd, decoded */
} sl_xtok;

typedef struct sl_xtoks {
	sl_xtok *v;
	size_t n, cap;
} sl_xtoks;

/*
 * Tokenizes expr written in dialect and normalises it (casts, introducers
 * and "= ANY (ARRAY[...])" removed as described above). Fails only on memory
 * or an unterminated quote (SL_EINVALID).
 */
int sl_expr_tokenize(sl_xtoks *out, const char *expr, sl_engine dialect);
void sl_expr_tokens_free(sl_xtoks *t);

/*
 * Rewrites a simple expression of table ct's source into target's dialect,
 * with columns renamed to their target names. Returns 0, or SL_EINVALID with
 * *why set to a static reason when the expression is not simple (no error
 * is recorded then: the caller notes it).
 */
int sl_expr_translate(sl_buf *out, const char *expr, sl_engine from, sl_engine to, const sl_cast_table *ct,
		      const char **why);

#endif
