/*
 * split_sqlite.c - statement splitting for SQLite scripts.
 *
 * SQLite itself decides where a statement ends: a small lexer here skips
 * strings, quoted identifiers ("x", `x`, [x]) and comments to find each ';'
 * outside them, and SQLite's own sqlite3_complete() is asked, through the
 * dialect's statement_complete hook, whether the text up to it is a complete
 * statement. That keeps CREATE TRIGGER ... BEGIN ...; END; whole
 * without parsing. sqlite3_prepare() is not used: it fails on statements that
 * name tables which do not exist yet.
 */
#include "sql/split_int.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/dialect.h"
#include "sluice/error.h"

/* Is buf[start, end) followed by ";" a complete statement? buf has room at end. */
static bool complete_at(char *buf, size_t start, size_t end, bool add_semicolon)
{
	char save0 = buf[end], save1 = buf[end + 1];
	bool ok;

	if (add_semicolon) {
		buf[end] = ';';
		buf[end + 1] = '\0';
	} else {
		buf[end] = '\0';
	}
	ok = sl_dialect_of(SL_ENGINE_SQLITE)->statement_complete(buf + start);
	buf[end] = save0;
	buf[end + 1] = save1;
	return ok;
}

/* End of the string/identifier/comment at pos; 0 with the error set when unterminated. */
static int skip_token(sl_split *sp, size_t pos, size_t *end, bool *comment)
{
	const char *s = sp->sql;
	size_t len = sp->len, p;
	char q = s[pos];

	*comment = false;
	if (q == '-') {
		for (p = pos; p < len && s[p] != '\n'; p++)
			;
		*comment = true;
		*end = p;
		return 0;
	}
	if (q == '/') { /* SQLite lets an unterminated comment run to the end */
		for (p = pos + 2; p + 1 < len && !(s[p] == '*' && s[p + 1] == '/'); p++)
			;
		*comment = true;
		*end = p + 1 < len ? p + 2 : len;
		return 0;
	}
	if (q == '[') {
		const char *e = memchr(s + pos, ']', len - pos);
		if (!e)
			return sl_split_fail(sp, pos, "unterminated quoted identifier");
		*end = (size_t)(e - s) + 1;
		return 0;
	}
	for (p = pos + 1; p < len; p++) {
		if (s[p] == q) {
			if (p + 1 < len && s[p + 1] == q) {
				p++;
				continue;
			}
			*end = p + 1;
			return 0;
		}
	}
	return sl_split_fail(sp, pos, "unterminated %s", q == '\'' ? "string" : "quoted identifier");
}

int sl_split_sqlite(sl_split *sp)
{
	const char *s = sp->sql;
	size_t len = sp->len, pos = 0, start = SL_SPLIT_NONE, sig_end = 0, e = 0;
	char *buf = NULL;
	bool comment;
	int rc = 0;

	if (!(buf = malloc(len + 2))) {
		rc = sl_error_nomem();
		goto done;
	}
	if (len)
		memcpy(buf, s, len);
	buf[len] = buf[len + 1] = '\0';
	while (pos < len) {
		char c = s[pos];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
			pos++;
			continue;
		}
		bool quoted = c == '\'' || c == '"' || c == '`' || c == '[' ||
			      (c == '-' && pos + 1 < len && s[pos + 1] == '-') ||
			      (c == '/' && pos + 1 < len && s[pos + 1] == '*');
		if (quoted) {
			if ((rc = skip_token(sp, pos, &e, &comment)) < 0)
				goto done;
			if (!comment) {
				if (start == SL_SPLIT_NONE)
					start = pos;
				sig_end = e;
			}
			pos = e;
			continue;
		}
		if (c == ';') {
			if (start == SL_SPLIT_NONE) {
				pos++;
				continue;
			}
			if (complete_at(buf, start, pos + 1, false)) {
				if ((rc = sl_split_emit(sp, start, sig_end)) < 0)
					goto done;
				start = SL_SPLIT_NONE;
				pos++;
				continue;
			}
		}
		if (start == SL_SPLIT_NONE)
			start = pos;
		sig_end = ++pos;
	}
	if (start != SL_SPLIT_NONE) {
		if (!complete_at(buf, start, sig_end, true)) {
			rc = sl_split_fail(sp, start,
					   "incomplete statement at the end of the script "
					   "(a CREATE TRIGGER body without END?)");
			goto done;
		}
		rc = sl_split_emit(sp, start, sig_end);
	}
done:
	free(buf);
	return rc;
}
