/*
 * rules_int.h - helpers shared by rules_run.c and rules_reconcile.c: SQL
 * fragments per engine, first-row queries and example collection.
 */
#ifndef SLUICE_RULES_INT_H
#define SLUICE_RULES_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "sluice/buf.h"
#include "sluice/conn.h"
#include "sluice/rules.h"
#include "sluice/value.h"

bool rules_kind_numeric(sl_tkind k);
bool rules_kind_text(sl_tkind k);
/* alias.quoted_name (alias may be NULL). */
int rules_col(sl_buf *b, const sl_conn *c, const char *alias, const char *name);
/* The column as compared byte for byte on every engine (see rules_run.c). */
int rules_cmp_expr(sl_buf *b, const sl_conn *c, const char *alias, const sl_column *col, bool lower);
int rules_literal(sl_buf *b, const sl_conn *c, const sl_rule *r, const sl_column *col, const char *text,
		  bool lower);
int64_t rules_value_int(const sl_value *v);
int rules_format_value(sl_buf *b, const sl_value *v);
/* First row of sql into b (which the caller frees with sl_batch_free); *row NULL when none. */
int rules_first_row(sl_conn *c, const char *sql, sl_batch *b, const sl_value **row);
int rules_add_example(sl_rule_result *res, const char *text);
int rules_collect(sl_conn *c, const char *sql, sl_rule_result *res, int64_t *nrows);

#endif
