/*
 * expand_common.c - what the three expand dialects share
 * (sys/expand_dialect.h, src/db/expand_int.h): statement lists, quoting
 * helpers, catalog reads, and which columns an expression block needs.
 */
#include "expand_int.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"
#include "sluice/sys/driver.h"

const sl_expand_dialect *sl_expand_dialect_of(const sl_conn *c)
{
	return c && c->drv ? c->drv->expand : NULL;
}

const sl_expand_dialect *sl_expand_dialect_for(sl_engine e)
{
	static const sl_driver *const drivers[] = { &sl_driver_sqlite, &sl_driver_postgres,
						    &sl_driver_mysql };
	for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++)
		if (drivers[i]->engine == e)
			return drivers[i]->expand;
	return NULL;
}

int sl_xsql_add(sl_xsql *s, unsigned flags, const char *sql)
{
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 8;
		sl_xstmt *ni = realloc(s->items, nc * sizeof(*ni));
		if (!ni)
			return sl_error_nomem();
		s->items = ni;
		s->cap = nc;
	}
	char *copy = strdup(sql);
	if (!copy)
		return sl_error_nomem();
	s->items[s->n++] = (sl_xstmt){ .sql = copy, .flags = flags };
	return 0;
}

int sl_xsql_addf(sl_xsql *s, unsigned flags, const char *fmt, ...)
{
	sl_buf b = SL_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	int rc = sl_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (!rc)
		rc = sl_xsql_add(s, flags, sl_buf_cstr(&b));
	sl_buf_free(&b);
	return rc;
}

int sl_xsql_add_buf(sl_xsql *s, unsigned flags, sl_buf *buf)
{
	int rc = sl_xsql_add(s, flags, sl_buf_cstr(buf));
	sl_buf_clear(buf);
	return rc;
}

void sl_xsql_free(sl_xsql *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->items[i].sql);
	free(s->items);
	memset(s, 0, sizeof(*s));
}

/* ---- quoting ------------------------------------------------------------------------------ */

int xd_q(sl_conn *c, sl_buf *b, const char *name)
{
	return sl_conn_quote_ident(c, b, name ? name : "");
}

int xd_qt(sl_conn *c, sl_buf *b, const char *base, const char *table)
{
	int rc = 0;
	if (base && *base) {
		rc = xd_q(c, b, base);
		if (!rc)
			rc = sl_buf_putc(b, '.');
	}
	return rc ? rc : xd_q(c, b, table);
}

int xd_lit(sl_conn *c, sl_buf *b, const char *s)
{
	if (!s)
		return sl_buf_puts(b, "NULL");
	sl_value v = sl_text(s);
	return sl_conn_quote_literal(c, b, &v);
}

int xd_cols(sl_conn *c, sl_buf *b, const char *const *cols, size_t n)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < n; i++) {
		if (i)
			rc = sl_buf_puts(b, ", ");
		if (!rc)
			rc = xd_q(c, b, cols[i]);
	}
	return rc;
}

/* ---- catalog reads ------------------------------------------------------------------------ */

int xd_rows(sl_conn *c, const char *sql, int (*fn)(void *ud, const sl_value *row, size_t ncols), void *ud)
{
	sl_cursor *cur = NULL;
	sl_batch b = { 0 };
	int rc = sl_conn_query(&cur, c, sql);
	if (!rc)
		rc = sl_batch_init(&b, sl_cursor_ncols(cur), 256);
	while (!rc) {
		sl_batch_reset(&b);
		int n = sl_cursor_fetch(cur, &b, 256);
		if (n <= 0) {
			rc = n;
			break;
		}
		for (size_t r = 0; !rc && r < b.nrows; r++)
			rc = fn(ud, sl_batch_row(&b, r), b.ncols);
	}
	sl_cursor_close(cur);
	sl_batch_free(&b);
	return rc;
}

static int collect_text(void *ud, const sl_value *row, size_t ncols)
{
	xd_strings *s = ud;
	sl_buf b = SL_BUF_INIT;
	int rc = 0;
	for (size_t i = 0; !rc && i < ncols; i++) {
		if (i)
			rc = sl_buf_putc(&b, '\t');
		if (!rc && row[i].type != SL_V_NULL)
			rc = sl_value_format(&b, &row[i]);
	}
	if (!rc && s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 16;
		char **ni = realloc(s->items, nc * sizeof(*ni));
		if (!ni)
			rc = sl_error_nomem();
		else {
			s->items = ni;
			s->cap = nc;
		}
	}
	if (!rc && !(s->items[s->n] = strdup(sl_buf_cstr(&b))))
		rc = sl_error_nomem();
	if (!rc)
		s->n++;
	sl_buf_free(&b);
	return rc;
}

int xd_strings_query(sl_conn *c, const char *sql, xd_strings *out)
{
	return xd_rows(c, sql, collect_text, out);
}

void xd_strings_free(xd_strings *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->items[i]);
	free(s->items);
	memset(s, 0, sizeof(*s));
}

/* ---- expression blocks --------------------------------------------------------------------- */

static bool in(const char *const *l, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(l[i], s) == 0)
			return true;
	return false;
}

bool xd_scope_used(const sl_xscope_col *col, const sl_xassign *as, size_t n, bool update)
{
	for (size_t i = 0; i < n; i++)
		if ((!update || !as[i].insert_only) && in(as[i].sources, as[i].nsources, col->physical))
			return true;
	return false;
}

bool xd_any(const sl_xassign *as, size_t n, bool update)
{
	for (size_t i = 0; i < n; i++)
		if (!update || !as[i].insert_only)
			return true;
	return false;
}

/* Appends "<new_>.<col> <op> <old>.<col>" in the engine's null-safe comparison. */
static int cmp(sl_conn *c, sl_buf *b, xd_cmp style, bool differ, const char *col, const char *new_,
	       const char *old)
{
	sl_buf x = SL_BUF_INIT, y = SL_BUF_INIT;
	int rc = sl_buf_printf(&x, "%s.", new_);
	if (!rc)
		rc = xd_q(c, &x, col);
	if (!rc)
		rc = sl_buf_printf(&y, "%s.", old);
	if (!rc)
		rc = xd_q(c, &y, col);
	const char *l = sl_buf_cstr(&x), *r = sl_buf_cstr(&y);
	if (!rc)
		switch (style) {
		case XD_CMP_PG:
			rc = differ ? sl_buf_printf(b, "%s IS DISTINCT FROM %s", l, r)
				    : sl_buf_printf(b, "%s IS NOT DISTINCT FROM %s", l, r);
			break;
		case XD_CMP_MY:
			rc = differ ? sl_buf_printf(b, "NOT (%s <=> %s)", l, r)
				    : sl_buf_printf(b, "%s <=> %s", l, r);
			break;
		default:
			rc = differ ? sl_buf_printf(b, "%s IS NOT %s", l, r)
				    : sl_buf_printf(b, "%s IS %s", l, r);
		}
	sl_buf_free(&x);
	sl_buf_free(&y);
	return rc;
}

int xd_change_cond(sl_conn *c, sl_buf *b, const sl_xassign *a, xd_cmp style, const char *old,
		   const char *new_)
{
	int rc = sl_buf_puts(b, "((");
	for (size_t i = 0; !rc && i < a->nsources; i++) {
		if (i)
			rc = sl_buf_puts(b, " OR ");
		if (!rc)
			rc = cmp(c, b, style, true, a->sources[i], new_, old);
	}
	if (!rc && !a->nsources)
		rc = sl_buf_puts(b, "1 = 0");
	if (!rc)
		rc = sl_buf_puts(b, ") AND ");
	if (!rc)
		rc = cmp(c, b, style, false, a->target, new_, old);
	if (!rc)
		rc = sl_buf_putc(b, ')');
	return rc;
}

bool xd_names(const char *hay, const char *word)
{
	size_t n = strlen(word);
	for (const char *s = hay; n && hay && (s = strstr(s, word)); s++) {
		bool before = s == hay || !(isalnum((unsigned char)s[-1]) || s[-1] == '_');
		bool after = !(isalnum((unsigned char)s[n]) || s[n] == '_');
		if (before && after)
			return true;
	}
	return false;
}
