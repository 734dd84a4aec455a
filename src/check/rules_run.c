/*
 * rules_run.c - the SQL behind each rule type and running it (see
 * include/sluice/rules.h; docs/rules.md lists the SQL per type and what one
 * violation is). Identifiers are quoted with sl_conn_quote_ident and values
 * with sl_conn_quote_literal; table and column names are taken from the
 * introspected schema, so PostgreSQL's case folding does not matter.
 *
 * Text comparisons are made byte for byte on every engine (MySQL's default
 * collations ignore case and trailing spaces: there the column is compared
 * as BINARY), so a rule gives the same count on the three engines.
 */
#include "sluice/rules.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sluice/error.h"
#include "rules_int.h"

void sl_rule_result_free(sl_rule_result *res)
{
	if (!res)
		return;
	for (size_t i = 0; i < res->nexamples; i++)
		free(res->examples[i]);
	free(res->examples);
	free(res->summary);
	free(res);
}

int sl_rules_read_only(sl_conn *c)
{
	return sl_conn_read_only(c);
}

bool rules_kind_numeric(sl_tkind k)
{
	return k == SL_T_INT16 || k == SL_T_INT32 || k == SL_T_INT64 || k == SL_T_FLOAT32 ||
	       k == SL_T_FLOAT64 || k == SL_T_DECIMAL;
}

bool rules_kind_text(sl_tkind k)
{
	return k == SL_T_CHAR || k == SL_T_VARCHAR || k == SL_T_TEXT || k == SL_T_ENUM || k == SL_T_SET ||
	       k == SL_T_UNKNOWN || k == SL_T_OTHER;
}

int rules_col(sl_buf *b, const sl_conn *c, const char *alias, const char *name)
{
	int rc = 0;
	if (alias)
		rc = sl_buf_printf(b, "%s.", alias);
	return rc ? rc : sl_conn_quote_ident(c, b, name);
}

/*
 * A column as compared byte for byte (the dialect's text_expr: text kinds,
 * enums, dates) or, for numbers and booleans, as itself. lower: fold ASCII
 * case.
 */
int rules_cmp_expr(sl_buf *b, const sl_conn *c, const char *alias, const sl_column *col, bool lower)
{
	sl_tkind k = col->type.kind;
	sl_buf ref = SL_BUF_INIT;
	int rc = rules_col(&ref, c, alias, col->name);
	if (rc)
		goto done;
	if (rules_kind_numeric(k) || k == SL_T_BOOL) {
		rc = sl_buf_puts(b, sl_buf_cstr(&ref));
		goto done;
	}
	rc = sl_conn_dialect(c)->text_expr(b, sl_buf_cstr(&ref), lower ? SL_TEXT_LOWER : 0);
done:
	sl_buf_free(&ref);
	return rc;
}

/* A literal for a value written in YAML: a number for numeric columns, else text. */
int rules_literal(sl_buf *b, const sl_conn *c, const sl_rule *r, const sl_column *col, const char *text,
		  bool lower)
{
	if (rules_kind_numeric(col->type.kind)) {
		char *end = NULL;
		errno = 0;
		double d = strtod(text, &end);
		if (end == text || *end || errno || !isfinite(d))
			return sl_error_set(
				SL_EINVALID,
				"%s: rule \"%s\": \"%s\" is not a number, but column \"%s\" is %s", r->where,
				r->name, text, col->name, col->decl_type ? col->decl_type : "numeric");
		return sl_buf_puts(b, text);
	}
	char *copy = strdup(text);
	if (!copy)
		return sl_error_nomem();
	if (lower)
		for (char *p = copy; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	sl_value v = sl_text(copy);
	int rc = sl_conn_quote_literal(c, b, &v);
	free(copy);
	return rc;
}

int64_t rules_value_int(const sl_value *v)
{
	switch (v->type) {
	case SL_V_INT:
		return v->u.i;
	case SL_V_BOOL:
		return v->u.b;
	case SL_V_DOUBLE:
		return (int64_t)v->u.d;
	case SL_V_DECIMAL:
	case SL_V_TEXT: {
		char tmp[64];
		size_t n = v->u.s.len < sizeof(tmp) - 1 ? v->u.s.len : sizeof(tmp) - 1;
		memcpy(tmp, v->u.s.ptr, n);
		tmp[n] = '\0';
		return strtoll(tmp, NULL, 10);
	}
	default:
		return 0;
	}
}

/* Human-readable value: NULL, "text" in quotes, everything else in canonical display form. */
int rules_format_value(sl_buf *b, const sl_value *v)
{
	int rc;
	if (v->type == SL_V_NULL)
		return sl_buf_puts(b, "NULL");
	if (v->type == SL_V_TEXT) {
		rc = sl_buf_putc(b, '"');
		if (!rc)
			rc = sl_buf_put(b, v->u.s.ptr, v->u.s.len);
		return rc ? rc : sl_buf_putc(b, '"');
	}
	return sl_value_format(b, v);
}

/* Runs sql and hands the first row to *row (NULL when there is none); row lives in *b. */
int rules_first_row(sl_conn *c, const char *sql, sl_batch *b, const sl_value **row)
{
	sl_cursor *cur = NULL;
	int rc = sl_conn_query(&cur, c, sql), n;
	*row = NULL;
	if (rc)
		return rc;
	rc = sl_batch_init(b, sl_cursor_ncols(cur), 1);
	if (rc) {
		sl_cursor_close(cur);
		return rc;
	}
	n = sl_cursor_fetch(cur, b, 1);
	if (n < 0)
		rc = n;
	else if (n > 0)
		*row = sl_batch_row(b, 0);
	sl_cursor_close(cur);
	return rc;
}

int rules_add_example(sl_rule_result *res, const char *text)
{
	if (res->nexamples >= SL_RULE_EXAMPLES)
		return 0;
	if (!res->examples && !(res->examples = calloc(SL_RULE_EXAMPLES, sizeof(char *))))
		return sl_error_nomem();
	if (!(res->examples[res->nexamples] = strdup(text)))
		return sl_error_nomem();
	res->nexamples++;
	return 0;
}

/*
 * Streams sql, counting every row into *nrows (may be NULL) and keeping the
 * first SL_RULE_EXAMPLES as "col=value, ..." examples. A trailing column
 * named sl_n is shown as "(N rows)".
 */
int rules_collect(sl_conn *c, const char *sql, sl_rule_result *res, int64_t *nrows)
{
	sl_cursor *cur = NULL;
	sl_batch b = { 0 };
	sl_buf line = SL_BUF_INIT;
	bool ready = false;
	int rc = sl_conn_query(&cur, c, sql), n;
	if (nrows)
		*nrows = 0;
	if (rc)
		return rc;
	size_t ncols = sl_cursor_ncols(cur);
	if ((rc = sl_batch_init(&b, ncols, 256)) != 0)
		goto done;
	ready = true;
	while ((n = sl_cursor_fetch(cur, &b, 256)) != 0) {
		if (n < 0) {
			rc = n;
			goto done;
		}
		res->rows_read += n;
		if (nrows)
			*nrows += n;
		for (size_t i = 0; i < b.nrows && res->nexamples < SL_RULE_EXAMPLES; i++) {
			const sl_value *row = sl_batch_row(&b, i);
			sl_buf_clear(&line);
			for (size_t k = 0; !rc && k < ncols; k++) {
				const char *name = sl_cursor_col(cur, k)->name;
				if (strcmp(name, "sl_n") == 0)
					rc = sl_buf_printf(&line, " (%lld rows)",
							   (long long)rules_value_int(&row[k]));
				else if (!(rc = sl_buf_printf(&line, "%s%s=", k ? ", " : "", name)))
					rc = rules_format_value(&line, &row[k]);
			}
			if (!rc)
				rc = rules_add_example(res, sl_buf_cstr(&line));
			if (rc)
				goto done;
		}
		sl_batch_reset(&b);
		if (!nrows && res->nexamples >= SL_RULE_EXAMPLES)
			break;
	}
done:
	sl_cursor_close(cur);
	if (ready)
		sl_batch_free(&b);
	sl_buf_free(&line);
	return rc;
}

/* FROM <table> sl_a, with the rule's own filter as WHERE (filter) when extra is NULL. */
static int from_clause(sl_buf *b, const sl_conn *c, const sl_table *t)
{
	int rc = sl_buf_puts(b, " FROM ");
	if (!rc)
		rc = sl_conn_quote_table(c, b, t);
	return rc ? rc : sl_buf_puts(b, " sl_a");
}

static int where_clause(sl_buf *b, const sl_rule *r, const char *cond)
{
	if (cond && r->filter)
		return sl_buf_printf(b, " WHERE (%s) AND (%s)", cond, r->filter);
	if (cond)
		return sl_buf_printf(b, " WHERE (%s)", cond);
	if (r->filter)
		return sl_buf_printf(b, " WHERE (%s)", r->filter);
	return 0;
}

/* The violation condition of a row-level rule (not_null, accepted_values, range, relationship). */
static int row_condition(sl_buf *b, const sl_rule *r, sl_conn *c, const sl_schema *s, const sl_table *t)
{
	int rc = 0;
	switch (r->type) {
	case SL_RULE_NOT_NULL:
		for (size_t i = 0; !rc && i < r->ncolumns; i++) {
			rc = sl_buf_puts(b, i ? " OR " : "");
			if (!rc)
				rc = rules_col(b, c, "sl_a", sl_rules_find_column(t, r->columns[i])->name);
			if (!rc)
				rc = sl_buf_puts(b, " IS NULL");
		}
		return rc;
	case SL_RULE_ACCEPTED_VALUES: {
		const sl_column *col = sl_rules_find_column(t, r->columns[0]);
		rc = rules_col(b, c, "sl_a", col->name);
		if (!rc)
			rc = sl_buf_puts(b, " IS NOT NULL AND ");
		if (!rc)
			rc = rules_cmp_expr(b, c, "sl_a", col, r->case_insensitive);
		if (!rc)
			rc = sl_buf_puts(b, " NOT IN (");
		for (size_t i = 0; !rc && i < r->nvalues; i++) {
			rc = sl_buf_puts(b, i ? ", " : "");
			if (!rc)
				rc = rules_literal(b, c, r, col, r->values[i], r->case_insensitive);
		}
		return rc ? rc : sl_buf_puts(b, ")");
	}
	case SL_RULE_RANGE: {
		const sl_column *col = sl_rules_find_column(t, r->columns[0]);
		const char *lims[2] = { r->min, r->max }, *ops[2] = { " < ", " > " };
		bool first = true;
		rc = rules_col(b, c, "sl_a", col->name);
		if (!rc)
			rc = sl_buf_puts(b, " IS NOT NULL AND (");
		for (size_t i = 0; !rc && i < 2; i++) {
			if (!lims[i])
				continue;
			rc = sl_buf_puts(b, first ? "" : " OR ");
			first = false;
			if (!rc)
				rc = rules_col(b, c, "sl_a", col->name);
			if (!rc)
				rc = sl_buf_puts(b, ops[i]);
			if (!rc)
				rc = rules_literal(b, c, r, col, lims[i], false);
		}
		return rc ? rc : sl_buf_puts(b, ")");
	}
	case SL_RULE_RELATIONSHIP: {
		const sl_table *rt = sl_rules_find_table(s, r->ref_table);
		for (size_t i = 0; !rc && i < r->ncolumns; i++) {
			rc = sl_buf_puts(b, i ? " AND " : "");
			if (!rc)
				rc = rules_col(b, c, "sl_a", sl_rules_find_column(t, r->columns[i])->name);
			if (!rc)
				rc = sl_buf_puts(b, " IS NOT NULL");
		}
		if (!rc)
			rc = sl_buf_puts(b, " AND NOT EXISTS (SELECT 1 FROM ");
		if (!rc)
			rc = sl_conn_quote_table(c, b, rt);
		if (!rc)
			rc = sl_buf_puts(b, " sl_b WHERE ");
		for (size_t i = 0; !rc && i < r->ncolumns; i++) {
			rc = sl_buf_puts(b, i ? " AND " : "");
			if (!rc)
				rc = rules_col(b, c, "sl_b",
					       sl_rules_find_column(rt, r->ref_columns[i])->name);
			if (!rc)
				rc = sl_buf_puts(b, " = ");
			if (!rc)
				rc = rules_col(b, c, "sl_a", sl_rules_find_column(t, r->columns[i])->name);
		}
		return rc ? rc : sl_buf_puts(b, ")");
	}
	default:
		return sl_error_set(SL_ERROR, "rule \"%s\": no row condition for type \"%s\"", r->name,
				    sl_rule_type_name(r->type));
	}
}

/* The columns shown in examples: the primary key, then the rule's columns not in it. */
static int example_columns(sl_buf *b, const sl_rule *r, sl_conn *c, const sl_table *t, sl_buf *order)
{
	int rc = 0;
	size_t n = 0;
	const sl_key *pk = t->primary_key;
	for (size_t i = 0; !rc && pk && i < pk->ncolumns; i++) {
		rc = sl_buf_puts(b, n++ ? ", " : "");
		if (!rc)
			rc = rules_col(b, c, "sl_a", pk->columns[i]);
		if (!rc)
			rc = sl_buf_puts(order, i ? ", " : " ORDER BY ");
		if (!rc)
			rc = rules_col(order, c, "sl_a", pk->columns[i]);
	}
	for (size_t i = 0; !rc && i < r->ncolumns; i++) {
		const sl_column *col = sl_rules_find_column(t, r->columns[i]);
		bool in_pk = false;
		for (size_t k = 0; pk && k < pk->ncolumns; k++)
			in_pk = in_pk || strcmp(pk->columns[k], col->name) == 0;
		if (in_pk)
			continue;
		rc = sl_buf_puts(b, n++ ? ", " : "");
		if (!rc)
			rc = rules_col(b, c, "sl_a", col->name);
	}
	return rc;
}

static int run_row_rule(sl_rule_result *res, const sl_rule *r, sl_conn *c, const sl_schema *s,
			const sl_table *t)
{
	sl_buf cond = SL_BUF_INIT, sql = SL_BUF_INIT, order = SL_BUF_INIT;
	sl_batch b = { 0 };
	const sl_value *row = NULL;
	int rc = row_condition(&cond, r, c, s, t);
	if (rc)
		goto done;
	rc = sl_buf_printf(&sql, "SELECT count(*), sum(CASE WHEN %s THEN 1 ELSE 0 END)", sl_buf_cstr(&cond));
	if (!rc)
		rc = from_clause(&sql, c, t);
	if (!rc)
		rc = where_clause(&sql, r, NULL);
	if (!rc)
		rc = rules_first_row(c, sl_buf_cstr(&sql), &b, &row);
	if (rc)
		goto done;
	res->rows_checked = row ? rules_value_int(&row[0]) : 0;
	res->violations = row ? rules_value_int(&row[1]) : 0;
	if (res->violations > 0) {
		sl_buf_clear(&sql);
		rc = sl_buf_puts(&sql, "SELECT ");
		if (!rc)
			rc = example_columns(&sql, r, c, t, &order);
		if (!rc)
			rc = from_clause(&sql, c, t);
		if (!rc)
			rc = where_clause(&sql, r, sl_buf_cstr(&cond));
		if (!rc)
			rc = sl_buf_printf(&sql, "%s LIMIT %d", sl_buf_cstr(&order), SL_RULE_EXAMPLES);
		if (!rc)
			rc = rules_collect(c, sl_buf_cstr(&sql), res, NULL);
	}
done:
	if (b.values || b.arena)
		sl_batch_free(&b);
	sl_buf_free(&cond);
	sl_buf_free(&sql);
	sl_buf_free(&order);
	return rc;
}

/* unique: violations are the rows beyond the first of each duplicated value (NULLs never duplicate). */
static int run_unique(sl_rule_result *res, const sl_rule *r, sl_conn *c, const sl_table *t)
{
	sl_buf nn = SL_BUF_INIT, grp = SL_BUF_INIT, shown = SL_BUF_INIT, inner = SL_BUF_INIT,
	       sql = SL_BUF_INIT;
	sl_batch b = { 0 };
	const sl_value *row = NULL;
	int rc = 0;
	for (size_t i = 0; !rc && i < r->ncolumns; i++) {
		const sl_column *col = sl_rules_find_column(t, r->columns[i]);
		rc = sl_buf_puts(&nn, i ? " AND " : "");
		if (!rc)
			rc = rules_col(&nn, c, "sl_a", col->name);
		if (!rc)
			rc = sl_buf_puts(&nn, " IS NOT NULL");
		if (!rc)
			rc = sl_buf_puts(&grp, i ? ", " : "");
		if (!rc)
			rc = rules_cmp_expr(&grp, c, "sl_a", col, r->case_insensitive);
		if (!rc)
			rc = sl_buf_printf(&shown, "%smin(", i ? ", " : "");
		if (!rc)
			rc = rules_col(&shown, c, "sl_a", col->name);
		if (!rc)
			rc = sl_buf_puts(&shown, ") AS ");
		if (!rc)
			rc = sl_conn_quote_ident(c, &shown, col->name);
	}
	if (!rc)
		rc = from_clause(&inner, c, t);
	if (!rc)
		rc = where_clause(&inner, r, sl_buf_cstr(&nn));
	if (!rc)
		rc = sl_buf_printf(&inner, " GROUP BY %s HAVING count(*) > 1", sl_buf_cstr(&grp));
	/* rows checked, then the extra rows of duplicated values */
	if (!rc)
		rc = sl_buf_puts(&sql, "SELECT count(*)");
	if (!rc)
		rc = from_clause(&sql, c, t);
	if (!rc)
		rc = where_clause(&sql, r, NULL);
	if (!rc)
		rc = rules_first_row(c, sl_buf_cstr(&sql), &b, &row);
	if (rc)
		goto done;
	res->rows_checked = row ? rules_value_int(&row[0]) : 0;
	sl_batch_free(&b);
	memset(&b, 0, sizeof(b));
	sl_buf_clear(&sql);
	rc = sl_buf_printf(&sql, "SELECT sum(sl_n - 1) FROM (SELECT count(*) AS sl_n%s) sl_d",
			   sl_buf_cstr(&inner));
	if (!rc)
		rc = rules_first_row(c, sl_buf_cstr(&sql), &b, &row);
	if (rc)
		goto done;
	res->violations = row ? rules_value_int(&row[0]) : 0;
	if (res->violations > 0) {
		sl_buf_clear(&sql);
		rc = sl_buf_printf(&sql, "SELECT %s, count(*) AS sl_n%s ORDER BY count(*) DESC, %s LIMIT %d",
				   sl_buf_cstr(&shown), sl_buf_cstr(&inner), sl_buf_cstr(&grp),
				   SL_RULE_EXAMPLES);
		if (!rc)
			rc = rules_collect(c, sl_buf_cstr(&sql), res, NULL);
	}
done:
	if (b.values || b.arena)
		sl_batch_free(&b);
	sl_buf_free(&nn);
	sl_buf_free(&grp);
	sl_buf_free(&shown);
	sl_buf_free(&inner);
	sl_buf_free(&sql);
	return rc;
}

static int run_row_count(sl_rule_result *res, const sl_rule *r, sl_conn *c, const sl_table *t)
{
	sl_buf sql = SL_BUF_INIT;
	sl_batch b = { 0 };
	const sl_value *row = NULL;
	int rc = sl_buf_puts(&sql, "SELECT count(*)");
	if (!rc)
		rc = from_clause(&sql, c, t);
	if (!rc)
		rc = where_clause(&sql, r, NULL);
	if (!rc)
		rc = rules_first_row(c, sl_buf_cstr(&sql), &b, &row);
	if (!rc) {
		int64_t n = row ? rules_value_int(&row[0]) : 0;
		long long lo = r->min ? strtoll(r->min, NULL, 10) : 0,
			  hi = r->max ? strtoll(r->max, NULL, 10) : 0;
		char line[160];
		res->rows_checked = n;
		if (r->min && n < lo) {
			res->violations = 1;
			snprintf(line, sizeof(line), "%lld rows, fewer than min %lld", (long long)n, lo);
			rc = rules_add_example(res, line);
		} else if (r->max && n > hi) {
			res->violations = 1;
			snprintf(line, sizeof(line), "%lld rows, more than max %lld", (long long)n, hi);
			rc = rules_add_example(res, line);
		}
	}
	if (b.values || b.arena)
		sl_batch_free(&b);
	sl_buf_free(&sql);
	return rc;
}

/* The newest value as microseconds since the epoch (naive timestamps read as UTC). */
static bool value_epoch_us(const sl_value *v, int64_t *out)
{
	switch (v->type) {
	case SL_V_DATE:
		*out = (int64_t)v->u.date * SL_USEC_PER_DAY;
		return true;
	case SL_V_TIMESTAMP:
	case SL_V_TIMESTAMPTZ:
		*out = v->u.ts;
		return true;
	case SL_V_INT:
		*out = v->u.i * SL_USEC_PER_SEC;
		return true;
	case SL_V_DOUBLE:
		*out = (int64_t)(v->u.d * 1e6);
		return true;
	case SL_V_TEXT: {
		bool zone = false;
		int32_t days;
		if (sl_parse_timestamp(v->u.s.ptr, v->u.s.len, out, &zone) == 0)
			return true;
		if (sl_parse_date(v->u.s.ptr, v->u.s.len, &days) == 0) {
			*out = (int64_t)days * SL_USEC_PER_DAY;
			return true;
		}
		sl_error_clear();
		return false;
	}
	default:
		return false;
	}
}

static int run_freshness(sl_rule_result *res, const sl_rule *r, sl_conn *c, const sl_table *t)
{
	sl_buf sql = SL_BUF_INIT, shown = SL_BUF_INIT;
	sl_batch b = { 0 };
	const sl_value *row = NULL;
	const sl_column *col = sl_rules_find_column(t, r->columns[0]);
	char line[400];
	int rc = sl_buf_puts(&sql, "SELECT count(*), max(");
	if (!rc)
		rc = rules_col(&sql, c, "sl_a", col->name);
	if (!rc)
		rc = sl_buf_puts(&sql, ")");
	if (!rc)
		rc = from_clause(&sql, c, t);
	if (!rc)
		rc = where_clause(&sql, r, NULL);
	if (!rc)
		rc = rules_first_row(c, sl_buf_cstr(&sql), &b, &row);
	if (rc)
		goto done;
	res->rows_checked = row ? rules_value_int(&row[0]) : 0;
	int64_t newest = 0;
	if (!row || row[1].type == SL_V_NULL) {
		res->violations = 1;
		snprintf(line, sizeof(line), "no value in \"%s\"", col->name);
		rc = rules_add_example(res, line);
		goto done;
	}
	if (!value_epoch_us(&row[1], &newest)) {
		rc = sl_error_set(SL_EINVALID, "%s: rule \"%s\": newest \"%s\" is not a date or timestamp",
				  r->where, r->name, col->name);
		goto done;
	}
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	int64_t now_us = (int64_t)now.tv_sec * SL_USEC_PER_SEC + now.tv_nsec / 1000;
	int64_t age_s = (now_us - newest) / SL_USEC_PER_SEC;
	if (age_s > r->max_age_s) {
		res->violations = 1;
		if ((rc = rules_format_value(&shown, &row[1])) != 0)
			goto done;
		snprintf(line, sizeof(line), "newest %s %s is %lld s old, more than max_age %lld s",
			 col->name, sl_buf_cstr(&shown), (long long)age_s, (long long)r->max_age_s);
		rc = rules_add_example(res, line);
	}
done:
	if (b.values || b.arena)
		sl_batch_free(&b);
	sl_buf_free(&sql);
	sl_buf_free(&shown);
	return rc;
}

int sl_rule_run(sl_rule_result **out, const sl_rule *r, sl_conn *c, const sl_schema *schema)
{
	sl_rule_result *res = calloc(1, sizeof(*res));
	const sl_table *t = NULL;
	int rc = 0;
	*out = NULL;
	if (!res)
		return sl_error_nomem();
	if (r->type != SL_RULE_SQL) {
		if ((rc = sl_rule_validate(r, schema)) != 0)
			goto done;
		t = sl_rules_find_table(schema, r->table);
	}
	switch (r->type) {
	case SL_RULE_NOT_NULL:
	case SL_RULE_ACCEPTED_VALUES:
	case SL_RULE_RANGE:
	case SL_RULE_RELATIONSHIP:
		rc = run_row_rule(res, r, c, schema, t);
		break;
	case SL_RULE_UNIQUE:
		rc = run_unique(res, r, c, t);
		break;
	case SL_RULE_ROW_COUNT:
		rc = run_row_count(res, r, c, t);
		break;
	case SL_RULE_FRESHNESS:
		rc = run_freshness(res, r, c, t);
		break;
	case SL_RULE_SQL:
		res->rows_checked = -1;
		rc = rules_collect(c, r->sql, res, &res->violations);
		break;
	case SL_RULE_RECONCILE:
		rc = sl_error_set(SL_EINVALID, "rule \"%s\": reconcile rules run with sl_rule_reconcile",
				  r->name);
		break;
	}
done:
	if (rc) {
		sl_error_prefix("rule \"%s\" on \"%s\"", r->name, sl_conn_display(c));
		sl_rule_result_free(res);
	} else {
		*out = res;
	}
	return rc;
}
