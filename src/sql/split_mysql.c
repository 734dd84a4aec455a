/*
 * split_mysql.c - statement splitting for MySQL and MariaDB scripts.
 *
 * A hand-written lexer following the mysql client's rules: '...' and "..."
 * strings (backslash escapes and doubled quotes), `identifiers`, comments
 * (-- needs a space or control character after it, #, and C-style), and
 * executable comments (C-style comments opening with "!" or "M!"), which are
 * SQL and stay in the statement. A DELIMITER line at the start of a statement changes the
 * terminator (;; $$ // | ...) and is not itself a statement.
 *
 * Without DELIMITER, CREATE PROCEDURE/FUNCTION/TRIGGER/EVENT bodies are kept
 * whole by counting BEGIN and CASE against END ("END IF", "END LOOP",
 * "END WHILE", "END REPEAT", "END FOR" close nothing counted). This is a
 * heuristic: it is described, with its limits, in docs/migration-format.md.
 */
#include "sql/split_int.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#define MAX_DELIM           32
#define COMPOUND_SCAN_WORDS 12

typedef struct my_state {
	sl_split *sp;
	const char *s;
	size_t len;
	size_t pos;
	char delim[MAX_DELIM];
	size_t dlen;
	size_t start;    /* first significant byte of the statement, or SL_SPLIT_NONE */
	size_t sig_end;  /* end of the last significant token */
	int compound;    /* -1 deciding, 0 plain statement, 1 routine/trigger/event body */
	int words;       /* words seen in the statement */
	int depth;       /* open BEGIN/CASE in a compound statement */
	bool client_cmd; /* the statement is a mysql client command (SOURCE) */
} my_state;

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool is_word_start(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c >= 0x80;
}

static bool is_word_char(unsigned char c)
{
	return is_word_start(c) || (c >= '0' && c <= '9') || c == '$';
}

static bool word_is(const char *w, size_t n, const char *kw)
{
	return strlen(kw) == n && strncasecmp(w, kw, n) == 0;
}

static bool word_in(const char *w, size_t n, const char *const *list)
{
	for (; *list; list++)
		if (word_is(w, n, *list))
			return true;
	return false;
}

/* Length of a comment starting at pos (not executable), or 0 when there is none. */
static int comment_len(my_state *st, size_t pos, size_t *out)
{
	const char *s = st->s;
	size_t len = st->len, p;

	*out = 0;
	if (s[pos] == '#' || (pos + 1 < len && s[pos] == '-' && s[pos + 1] == '-' &&
			      (pos + 2 >= len || (unsigned char)s[pos + 2] <= ' '))) {
		for (p = pos; p < len && s[p] != '\n'; p++)
			;
		*out = p - pos;
		return 0;
	}
	if (pos + 1 < len && s[pos] == '/' && s[pos + 1] == '*') {
		bool exec = (pos + 2 < len && s[pos + 2] == '!') ||
			    (pos + 3 < len && s[pos + 2] == 'M' && s[pos + 3] == '!');
		if (exec)
			return 0;
		const char *e = NULL;
		for (p = pos + 2; p + 1 < len; p++)
			if (s[p] == '*' && s[p + 1] == '/') {
				e = s + p;
				break;
			}
		if (!e)
			return sl_split_fail(st->sp, pos, "unterminated comment");
		*out = (size_t)(e + 2 - (s + pos));
	}
	return 0;
}

/* Skips a quoted string, identifier or executable comment at pos; sets *end. */
static int skip_quoted(my_state *st, size_t pos, size_t *end)
{
	const char *s = st->s;
	char q = s[pos];
	size_t p;

	if (q == '/') { /* executable comment: opaque up to the closing star-slash */
		for (p = pos + 2; p + 1 < st->len; p++)
			if (s[p] == '*' && s[p + 1] == '/') {
				*end = p + 2;
				return 0;
			}
		return sl_split_fail(st->sp, pos, "unterminated comment");
	}
	bool closed = false;
	p = sl_sql_skip_quoted(s, st->len, pos, q, SL_QUOTE_DOUBLED | (q != '`' ? SL_QUOTE_BACKSLASH : 0),
			       &closed);
	if (closed) {
		*end = p;
		return 0;
	}
	return sl_split_fail(st->sp, pos, "unterminated %s", q == '`' ? "quoted identifier" : "string");
}

/*
 * At the start of a statement: is this a DELIMITER line? If so it sets the
 * new delimiter, moves past the line and returns 1.
 */
static int try_delimiter(my_state *st)
{
	const char *s = st->s;
	size_t p = st->pos, b;

	if (st->len - p < 9 || strncasecmp(s + p, "delimiter", 9) != 0 ||
	    (st->len - p > 9 && !is_ws(s[p + 9])))
		return 0;
	for (p += 9; p < st->len && (s[p] == ' ' || s[p] == '\t'); p++)
		;
	b = p;
	if (p < st->len && (s[p] == '\'' || s[p] == '"' || s[p] == '`')) {
		/* a quoted delimiter: the client strips the quotes */
		const char *q = memchr(s + p + 1, s[p], st->len - p - 1);
		const char *nl = memchr(s + p + 1, '\n', st->len - p - 1);
		if (q && (!nl || q < nl)) {
			b = p + 1;
			p = (size_t)(q - s);
		}
	}
	if (b == p) {
		for (; p < st->len && !is_ws(s[p]); p++)
			;
	}
	if (p == b)
		return sl_split_fail(st->sp, st->pos, "DELIMITER without a delimiter");
	if (p - b >= MAX_DELIM)
		return sl_split_fail(st->sp, st->pos, "delimiter \"%.*s\" is too long", (int)(p - b), s + b);
	memcpy(st->delim, s + b, p - b);
	st->dlen = p - b;
	while (p < st->len && s[p] != '\n')
		p++;
	st->pos = p;
	return 1;
}

/* Reads the next word after pos, skipping whitespace and comments. */
static void peek_word(my_state *st, size_t pos, const char **w, size_t *n)
{
	size_t c;

	*w = NULL;
	*n = 0;
	while (pos < st->len) {
		if (is_ws(st->s[pos])) {
			pos++;
			continue;
		}
		if (comment_len(st, pos, &c) == 0 && c > 0) {
			pos += c;
			continue;
		}
		break;
	}
	if (pos < st->len && is_word_start((unsigned char)st->s[pos])) {
		size_t b = pos;
		while (pos < st->len && is_word_char((unsigned char)st->s[pos]))
			pos++;
		*w = st->s + b;
		*n = pos - b;
	}
}

/* Updates the compound-statement tracking for a word at [b, e); may move st->pos. */
static void on_word(my_state *st, size_t b, size_t e)
{
	static const char *const bodies[] = { "PROCEDURE", "FUNCTION", "TRIGGER", "EVENT", NULL };
	static const char *const plain[] = { "TABLE",      "VIEW",     "INDEX",     "DATABASE",
					     "SCHEMA",     "USER",     "ROLE",      "SERVER",
					     "TABLESPACE", "SEQUENCE", "LOGFILE",   "SPATIAL",
					     "FULLTEXT",   "UNIQUE",   "TEMPORARY", NULL };
	static const char *const ends[] = { "IF", "LOOP", "WHILE", "REPEAT", "FOR", NULL };
	const char *w = st->s + b, *nw;
	size_t n = e - b, nn;

	st->words++;
	if (b > 0 && (st->s[b - 1] == '.' || st->s[b - 1] == '@'))
		return;
	if (st->words == 1) {
		st->compound = word_is(w, n, "CREATE") ? -1 : 0;
		st->client_cmd = word_is(w, n, "SOURCE");
		return;
	}
	if (st->compound < 0) {
		if (word_in(w, n, bodies))
			st->compound = 1;
		else if (word_in(w, n, plain) || st->words > COMPOUND_SCAN_WORDS)
			st->compound = 0;
		return;
	}
	if (st->compound == 0)
		return;
	if (word_is(w, n, "BEGIN") || word_is(w, n, "CASE")) {
		st->depth++;
	} else if (word_is(w, n, "END")) {
		peek_word(st, e, &nw, &nn);
		if (nw && word_in(nw, nn, ends))
			return;
		if (nw && word_is(nw, nn, "CASE"))
			st->pos = (size_t)(nw + nn - st->s);
		if (st->depth > 0)
			st->depth--;
	}
}

static void reset_stmt(my_state *st)
{
	st->start = SL_SPLIT_NONE;
	st->sig_end = 0;
	st->compound = 0;
	st->words = 0;
	st->depth = 0;
	st->client_cmd = false;
}

/* Emits the current statement, refusing mysql client commands. */
static int emit(my_state *st)
{
	if (st->start == SL_SPLIT_NONE)
		return 0;
	if (st->client_cmd)
		return sl_split_fail(st->sp, st->start,
				     "mysql client command \"%.*s\" is not SQL: "
				     "migrations must be plain SQL",
				     (int)(st->sig_end - st->start > 60 ? 60 : st->sig_end - st->start),
				     st->s + st->start);
	return sl_split_emit(st->sp, st->start, st->sig_end);
}

static void significant(my_state *st, size_t b, size_t e)
{
	if (st->start == SL_SPLIT_NONE)
		st->start = b;
	st->sig_end = e;
}

static bool delim_at(const my_state *st, size_t pos)
{
	return st->len - pos >= st->dlen && memcmp(st->s + pos, st->delim, st->dlen) == 0;
}

static bool at_delimiter(const my_state *st)
{
	if (!delim_at(st, st->pos))
		return false;
	if (st->dlen == 1 && st->delim[0] == ';')
		return st->depth == 0;
	return true;
}

int sl_split_mysql(sl_split *sp)
{
	my_state st = { .sp = sp, .s = sp->sql, .len = sp->len, .pos = 0, .delim = ";", .dlen = 1 };
	size_t c = 0, e = 0;
	int rc = 0;

	reset_stmt(&st);
	while (st.pos < st.len) {
		size_t p = st.pos;
		unsigned char ch = (unsigned char)st.s[p];

		if (is_ws((char)ch)) {
			st.pos++;
			continue;
		}
		if ((rc = comment_len(&st, p, &c)) < 0)
			goto done;
		if (c > 0) {
			st.pos += c;
			continue;
		}
		if (st.start == SL_SPLIT_NONE) {
			if ((rc = try_delimiter(&st)) < 0)
				goto done;
			if (rc > 0) {
				rc = 0;
				continue;
			}
		}
		if (at_delimiter(&st)) {
			if ((rc = emit(&st)) < 0)
				goto done;
			reset_stmt(&st);
			st.pos += st.dlen;
			continue;
		}
		if (ch == '\'' || ch == '"' || ch == '`' || ch == '/') {
			if (ch != '/' || (p + 1 < st.len && st.s[p + 1] == '*')) {
				if ((rc = skip_quoted(&st, p, &e)) < 0)
					goto done;
				significant(&st, p, e);
				st.pos = e;
				continue;
			}
		}
		if (is_word_start(ch)) {
			for (e = p; e < st.len && is_word_char((unsigned char)st.s[e]); e++)
				if (e > p && delim_at(&st, e))
					break;
			significant(&st, p, e);
			st.pos = e;
			on_word(&st, p, e);
			continue;
		}
		if (ch >= '0' && ch <= '9') { /* numbers and identifiers like 1abc */
			for (e = p; e < st.len && is_word_char((unsigned char)st.s[e]); e++)
				;
			significant(&st, p, e);
			st.pos = e;
			continue;
		}
		significant(&st, p, p + 1);
		st.pos++;
	}
	rc = emit(&st);
done:
	return rc;
}
