/*
 * idents.c - the identifiers and keywords of one SQL statement, in order,
 * skipping strings and comments. Enough lexing for `sluice why` to tell which
 * statements name an object; it does not parse SQL. Quoted identifiers
 * ("x", `x`, [x]) are reported unquoted with quoted = true; bare words are
 * reported as written (callers compare them case-insensitively).
 */
#include "sluice/sql.h"

#include <ctype.h>
#include <string.h>

static bool word_start(unsigned char c)
{
	return isalpha(c) || c == '_' || c >= 0x80;
}

bool sl_sql_word_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

size_t sl_sql_skip_quoted(const char *s, size_t len, size_t i, char close, unsigned flags, bool *closed)
{
	if (closed)
		*closed = false;
	for (i++; i < len; i++) {
		if ((flags & SL_QUOTE_BACKSLASH) && s[i] == '\\' && i + 1 < len) {
			i++;
			continue;
		}
		if (s[i] != close)
			continue;
		if ((flags & SL_QUOTE_DOUBLED) && i + 1 < len && s[i + 1] == close) {
			i++;
			continue;
		}
		if (closed)
			*closed = true;
		return i + 1;
	}
	return len;
}

/* An identifier lexer's quotes: doubled except in [brackets]; backslashes escape in 'strings'. */
static size_t skip_quoted(const char *s, size_t len, size_t i, char close)
{
	unsigned flags = (close != ']' ? SL_QUOTE_DOUBLED : 0) | (close == '\'' ? SL_QUOTE_BACKSLASH : 0);
	return sl_sql_skip_quoted(s, len, i, close, flags, NULL);
}

int sl_sql_idents(const char *s, size_t len, sl_sql_ident_cb cb, void *ud)
{
	size_t i = 0;
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		if (c == '-' && i + 1 < len && s[i + 1] == '-') {
			while (i < len && s[i] != '\n')
				i++;
		} else if (c == '#') {
			while (i < len && s[i] != '\n')
				i++;
		} else if (c == '/' && i + 1 < len && s[i + 1] == '*') {
			const char *e = NULL;
			for (size_t j = i + 2; j + 1 < len; j++)
				if (s[j] == '*' && s[j + 1] == '/') {
					e = s + j;
					break;
				}
			i = e ? (size_t)(e - s) + 2 : len;
		} else if (c == '\'') {
			i = skip_quoted(s, len, i, '\'');
		} else if (c == '$' && i + 1 < len &&
			   (s[i + 1] == '$' || word_start((unsigned char)s[i + 1]))) {
			/* PostgreSQL dollar quote: $tag$ ... $tag$ */
			size_t j = i + 1;
			while (j < len && s[j] != '$' && sl_sql_word_char((unsigned char)s[j]))
				j++;
			if (j < len && s[j] == '$') {
				size_t tl = j - i + 1;
				const char *end = NULL;
				for (size_t k = j + 1; k + tl <= len; k++)
					if (memcmp(s + k, s + i, tl) == 0) {
						end = s + k;
						break;
					}
				i = end ? (size_t)(end - s) + tl : len;
			} else {
				i = j;
			}
		} else if (c == '"' || c == '`' || c == '[') {
			char close = c == '[' ? ']' : (char)c;
			size_t e = skip_quoted(s, len, i, close);
			size_t n = e > i + 1 ? e - i - 2 : 0;
			int rc = cb(ud, s + i + 1, n, true);
			if (rc)
				return rc;
			i = e;
		} else if (word_start(c)) {
			size_t b = i;
			while (i < len && sl_sql_word_char((unsigned char)s[i]))
				i++;
			int rc = cb(ud, s + b, i - b, false);
			if (rc)
				return rc;
		} else {
			i++;
		}
	}
	return 0;
}
