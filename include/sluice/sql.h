/*
 * sql.h - splitting a SQL script into statements, per dialect.
 *
 * The splitter knows just enough of each dialect's lexical rules to find
 * where statements end: strings, quoted identifiers, comments, dollar quotes
 * (PostgreSQL), DELIMITER lines and BEGIN ... END bodies (MySQL), trigger
 * bodies (SQLite). It does not parse or validate SQL. The rules and the
 * limits of each dialect are described in docs/migration-format.md
 * ("How statements are split").
 */
#ifndef SLUICE_SQL_H
#define SLUICE_SQL_H

#include <stdbool.h>
#include <stddef.h>

#include "sluice/arena.h"
#include "sluice/url.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One statement of a script. */
typedef struct sl_stmt {
	const char *text; /* NUL-terminated copy owned by the list: the exact bytes of the
			     statement without its terminating delimiter, leading comments
			     and surrounding whitespace; comments inside are kept */
	size_t len;       /* bytes in text */
	size_t line;      /* 1-based line of text's first byte in the input */
	size_t offset;    /* byte offset of text's first byte in the input */
} sl_stmt;

/* The statements of a script, in input order. Owns every text. */
typedef struct sl_stmt_list {
	sl_stmt *items;
	size_t n;
	size_t cap;
	sl_arena *arena; /* holds items and texts; NULL while empty */
} sl_stmt_list;

#define SL_STMT_LIST_INIT                                                                                    \
	{                                                                                                    \
		.items = NULL, .n = 0, .cap = 0, .arena = NULL                                               \
	}

/*
 * Splits sql[0..len) written in dialect into statements. *out is overwritten
 * (free a previous list first) and holds the statements on success; empty
 * statements and chunks made only of comments are skipped. On failure (an
 * unterminated string or comment, a NUL byte, a psql meta-command, COPY ...
 * FROM stdin, a bad DELIMITER line) returns SL_EINVALID with a message that
 * starts with "line N: " and *out is empty.
 */
int sl_sql_split(sl_stmt_list *out, sl_engine dialect, const char *sql, size_t len);

/* Where a script came from, so positions name the file rather than the text. */
typedef struct sl_sql_split_options {
	const char *origin; /* e.g. a file path: errors read "origin:N: ..."; NULL: "line N: ..." */
	size_t first_line;  /* line number of the text's first line in origin (default 1) */
} sl_sql_split_options;

#define SL_SQL_SPLIT_OPTIONS_INIT                                                                            \
	{                                                                                                    \
		.origin = NULL, .first_line = 1                                                              \
	}

/* sl_sql_split() with options; opts NULL means SL_SQL_SPLIT_OPTIONS_INIT. */
int sl_sql_split_ext(sl_stmt_list *out, sl_engine dialect, const char *sql, size_t len,
		     const sl_sql_split_options *opts);

/* Flags of sl_sql_skip_quoted. */
enum {
	SL_QUOTE_DOUBLED = 1u << 0,   /* a doubled closing character stands for itself ('it''s') */
	SL_QUOTE_BACKSLASH = 1u << 1, /* a backslash escapes the next byte (MySQL strings) */
};
/*
 * The index just after the quoted run that opens at s[i] and ends with
 * close; len when it does not end (then *closed is false; closed may be
 * NULL). The one scanner of quoted strings and identifiers of every lexer.
 */
size_t sl_sql_skip_quoted(const char *s, size_t len, size_t i, char close, unsigned flags, bool *closed);

/* Whether c may stand in an unquoted identifier or keyword (letters, digits, '_', '$', UTF-8 bytes). */
bool sl_sql_word_char(unsigned char c);

/*
 * Calls cb for each identifier or keyword of sql[0..len), in order, skipping
 * strings, dollar quotes and comments. Quoted identifiers come unquoted (a
 * doubled quote inside stays doubled) with quoted = true. A non-zero return
 * from cb stops the scan and is returned.
 */
typedef int (*sl_sql_ident_cb)(void *ud, const char *word, size_t len, bool quoted);
int sl_sql_idents(const char *sql, size_t len, sl_sql_ident_cb cb, void *ud);

/* Frees the statements and resets the list to SL_STMT_LIST_INIT. NULL is fine. */
void sl_stmt_list_free(sl_stmt_list *list);

#ifdef __cplusplus
}
#endif
#endif
