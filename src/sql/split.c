/*
 * split.c - sl_sql_split(): the dialect dispatch and the statement list.
 *
 * Each dialect's splitter (split_<dialect>.c) reports byte ranges; this file
 * trims them, copies them into the list's arena and records their line and
 * offset. Inputs holding a NUL byte are refused here for every dialect: the
 * engines' C APIs would silently cut the statement at it.
 */
#include "sql/split_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sluice/error.h"

size_t sl_split_line(sl_split *sp, size_t off)
{
	if (off > sp->len)
		off = sp->len;
	if (off < sp->line_pos) {
		sp->line_pos = 0;
		sp->line_no = 1;
	}
	for (size_t i = sp->line_pos; i < off; i++)
		if (sp->sql[i] == '\n')
			sp->line_no++;
	sp->line_pos = off;
	return sp->line_no + sp->line_base - 1;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

int sl_split_emit(sl_split *sp, size_t start, size_t end)
{
	sl_stmt_list *l = sp->out;
	int rc = 0;

	while (start < end && is_space(sp->sql[start]))
		start++;
	while (end > start && is_space(sp->sql[end - 1]))
		end--;
	if (start >= end)
		goto done;
	if (!l->arena && !(l->arena = sl_arena_new(0))) {
		rc = sl_error_nomem();
		goto done;
	}
	sl_stmt *st = sl_arena_push(l->arena, &l->items, &l->n, &l->cap, sizeof(*st));
	char *text = st ? sl_arena_strndup(l->arena, sp->sql + start, end - start) : NULL;
	if (!text) {
		if (st)
			l->n--;
		rc = sl_error_nomem();
		goto done;
	}
	st->text = text;
	st->len = end - start;
	st->offset = start;
	st->line = sl_split_line(sp, start);
done:
	return rc;
}

int sl_split_fail(sl_split *sp, size_t off, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (sp->origin)
		return sl_error_set(SL_EINVALID, "%s:%zu: %s", sp->origin, sl_split_line(sp, off), msg);
	return sl_error_set(SL_EINVALID, "line %zu: %s", sl_split_line(sp, off), msg);
}

void sl_stmt_list_free(sl_stmt_list *list)
{
	if (!list)
		return;
	sl_arena_free(list->arena);
	list->items = NULL;
	list->n = 0;
	list->cap = 0;
	list->arena = NULL;
}

int sl_sql_split(sl_stmt_list *out, sl_engine dialect, const char *sql, size_t len)
{
	return sl_sql_split_ext(out, dialect, sql, len, NULL);
}

int sl_sql_split_ext(sl_stmt_list *out, sl_engine dialect, const char *sql, size_t len,
		     const sl_sql_split_options *opts)
{
	sl_split sp = { .out = out,
			.sql = sql,
			.len = len,
			.line_pos = 0,
			.line_no = 1,
			.origin = opts ? opts->origin : NULL,
			.line_base = opts && opts->first_line ? opts->first_line : 1 };
	const char *nul;
	int rc = 0;

	out->items = NULL;
	out->n = 0;
	out->cap = 0;
	out->arena = NULL;
	if (!sql && len) {
		rc = sl_error_set(SL_EINVALID, "split sql: no text given");
		goto done;
	}
	if (len && (nul = memchr(sql, '\0', len))) {
		rc = sl_split_fail(&sp, (size_t)(nul - sql), "NUL byte in SQL text");
		goto done;
	}
	switch (dialect) {
	case SL_ENGINE_POSTGRES:
		rc = sl_split_pg(&sp);
		break;
	case SL_ENGINE_MYSQL:
		rc = sl_split_mysql(&sp);
		break;
	case SL_ENGINE_SQLITE:
		rc = sl_split_sqlite(&sp);
		break;
	default:
		rc = sl_error_set(SL_EINVALID, "split sql: unknown dialect %d", (int)dialect);
		break;
	}
done:
	if (rc)
		sl_stmt_list_free(out);
	return rc;
}
