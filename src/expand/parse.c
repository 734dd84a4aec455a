/*
 * parse.c - the expand section's vocabulary (include/sluice/expand.h).
 *
 * The grammar is in docs/expand-contract.md ("Operations"); keep the two in
 * step. An operation is a few keywords, names and parenthesized SQL
 * expressions, ended by ';'. The lexer knows strings, quoted identifiers,
 * comments and balanced parentheses, so an expression is taken verbatim
 * without being parsed: it is the engine's SQL and reaches the engine as
 * written. Names are unquoted; whether they exist is the planner's business.
 */
#include "sluice/expand.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sluice/error.h"
#include "sluice/sys/expand_dialect.h"

typedef enum { T_END, T_WORD, T_QIDENT, T_STRING, T_GROUP, T_PUNCT } tkind;

typedef struct tok {
	tkind kind;
	const char *s; /* WORD/QIDENT: the name; GROUP: inside the parentheses; STRING: with quotes */
	size_t len;
	size_t line;
	char punct;
} tok;

/* How a dialect's SQL quotes and comments, as far as finding the end of an expression goes. */
typedef struct lex_rules {
	bool backslash;     /* '\'' escapes a quote inside '...' (MySQL) */
	bool dollar_quotes; /* $tag$...$tag$ (PostgreSQL, and the generic variant) */
	bool hash_comments; /* # to the end of the line (MySQL) */
} lex_rules;

/* dialect table: the lexical rules of each engine's SQL, facts of the language, not behaviour. */
static const lex_rules rules_by_dialect[] = {
	[SL_ENGINE_NONE] = { .dollar_quotes = true },
	[SL_ENGINE_SQLITE] = { 0 },
	[SL_ENGINE_POSTGRES] = { .dollar_quotes = true },
	[SL_ENGINE_MYSQL] = { .backslash = true, .hash_comments = true },
};

typedef struct lexer {
	const char *text;
	size_t len, pos, line;
	const char *origin;
	sl_engine dialect;
	lex_rules rules;
	sl_xops *ops;
	tok cur;
	bool have; /* cur holds a token not yet consumed */
} lexer;

static const char *const kind_names[SL_XOP__COUNT] = {
	"rename table",  "rename column", "add column", "drop column",     "change type", "split column",
	"merge columns", "set not null",  "add unique", "add foreign key", "add check",   "add index",
};

const char *sl_xop_kind_name(sl_xop_kind k)
{
	return (unsigned)k < SL_XOP__COUNT ? kind_names[k] : "?";
}

static int fail(lexer *lx, size_t line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(lexer *lx, size_t line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sl_error_set(SL_EINVALID, "%s:%zu: expand: %s", lx->origin, line, msg);
}

/* ---- lexing -------------------------------------------------------------------- */

static void count_lines(lexer *lx, size_t from, size_t to)
{
	for (size_t i = from; i < to && i < lx->len; i++)
		lx->line += lx->text[i] == '\n';
}

/* Skips a quoted run starting at i (the opening quote q); returns the index after it, or len. */
static size_t skip_quote(const lexer *lx, size_t i, char q)
{
	bool backslash = q == '\'' && lx->rules.backslash;
	for (i++; i < lx->len; i++) {
		if (backslash && lx->text[i] == '\\') {
			i++;
		} else if (lx->text[i] == q) {
			if (i + 1 < lx->len && lx->text[i + 1] == q)
				i++;
			else
				return i + 1;
		}
	}
	return lx->len;
}

/* A PostgreSQL dollar quote at i: the index after its end, or i when there is none. */
static size_t skip_dollar(const lexer *lx, size_t i)
{
	size_t j = i + 1;
	if (!lx->rules.dollar_quotes)
		return i;
	while (j < lx->len && (isalnum((unsigned char)lx->text[j]) || lx->text[j] == '_'))
		j++;
	if (j >= lx->len || lx->text[j] != '$' || (j > i + 1 && isdigit((unsigned char)lx->text[i + 1])))
		return i;
	size_t tag = j - i + 1;
	for (size_t k = j + 1; k + tag <= lx->len; k++)
		if (memcmp(lx->text + k, lx->text + i, tag) == 0)
			return k + tag;
	return lx->len;
}

/* A comment at i: the index after it, or i when there is none. */
static size_t skip_comment(const lexer *lx, size_t i)
{
	const char *t = lx->text;
	if (i + 1 < lx->len && t[i] == '-' && t[i + 1] == '-') {
		while (i < lx->len && t[i] != '\n')
			i++;
		return i;
	}
	if (t[i] == '#' && lx->rules.hash_comments) {
		while (i < lx->len && t[i] != '\n')
			i++;
		return i;
	}
	if (i + 1 < lx->len && t[i] == '/' && t[i + 1] == '*') {
		for (size_t j = i + 2; j + 1 < lx->len; j++)
			if (t[j] == '*' && t[j + 1] == '/')
				return j + 2;
		return lx->len;
	}
	return i;
}

/* Reads a parenthesized group starting at '(' (lx->pos). */
static int lex_group(lexer *lx, tok *t)
{
	size_t i = lx->pos + 1, depth = 1, start = i, line = lx->line;
	while (i < lx->len && depth) {
		char c = lx->text[i];
		size_t j;
		if (c == '\'' || c == '"' || c == '`') {
			i = skip_quote(lx, i, c);
		} else if (c == '$' && (j = skip_dollar(lx, i)) != i) {
			i = j;
		} else if ((j = skip_comment(lx, i)) != i) {
			i = j;
		} else {
			depth += c == '(';
			depth -= c == ')';
			i++;
		}
	}
	if (depth)
		return fail(lx, line, "\"(\" is never closed");
	t->kind = T_GROUP;
	t->s = lx->text + start;
	t->len = i - 1 - start;
	count_lines(lx, lx->pos, i);
	lx->pos = i;
	return 0;
}

static int lex(lexer *lx, tok *t)
{
	const char *s = lx->text;
	for (;;) {
		while (lx->pos < lx->len && isspace((unsigned char)s[lx->pos])) {
			lx->line += s[lx->pos] == '\n';
			lx->pos++;
		}
		size_t j = lx->pos < lx->len ? skip_comment(lx, lx->pos) : lx->pos;
		if (j == lx->pos)
			break;
		count_lines(lx, lx->pos, j);
		lx->pos = j;
	}
	memset(t, 0, sizeof(*t));
	t->line = lx->line;
	if (lx->pos >= lx->len) {
		t->kind = T_END;
		return 0;
	}
	char c = s[lx->pos];
	if (c == '(')
		return lex_group(lx, t);
	if (c == '\'' || c == '"' || c == '`') {
		size_t e = skip_quote(lx, lx->pos, c);
		if (e == lx->len && (e - lx->pos < 2 || s[e - 1] != c))
			return fail(lx, t->line, "%s is never closed",
				    c == '\'' ? "a string" : "a quoted name");
		t->kind = c == '\'' ? T_STRING : T_QIDENT;
		t->s = c == '\'' ? s + lx->pos : s + lx->pos + 1;
		t->len = c == '\'' ? e - lx->pos : e - lx->pos - 2;
		count_lines(lx, lx->pos, e);
		lx->pos = e;
		return 0;
	}
	if (isalnum((unsigned char)c) || c == '_' || (unsigned char)c >= 0x80) {
		size_t e = lx->pos;
		while (e < lx->len && (isalnum((unsigned char)s[e]) || s[e] == '_' || s[e] == '$' ||
				       (unsigned char)s[e] >= 0x80 ||
				       (s[e] == '.' && e + 1 < lx->len && isdigit((unsigned char)s[e + 1]) &&
					isdigit((unsigned char)c))))
			e++;
		t->kind = T_WORD;
		t->s = s + lx->pos;
		t->len = e - lx->pos;
		lx->pos = e;
		return 0;
	}
	if (strchr(",.;-+", c)) {
		t->kind = T_PUNCT;
		t->punct = c;
		t->s = s + lx->pos;
		t->len = 1;
		lx->pos++;
		return 0;
	}
	return fail(lx, t->line, "unexpected \"%c\"", c);
}

static int peek(lexer *lx, tok **out)
{
	int rc = 0;
	if (!lx->have) {
		rc = lex(lx, &lx->cur);
		lx->have = rc == 0;
	}
	*out = &lx->cur;
	return rc;
}

static int next(lexer *lx, tok *out)
{
	tok *t;
	int rc = peek(lx, &t);
	if (!rc) {
		*out = *t;
		lx->have = false;
	}
	return rc;
}

static bool is_word(const tok *t, const char *w)
{
	return t->kind == T_WORD && strlen(w) == t->len && strncasecmp(t->s, w, t->len) == 0;
}

static bool is_punct(const tok *t, char c)
{
	return t->kind == T_PUNCT && t->punct == c;
}

/* Describes a token for messages. */
static const char *show(const tok *t, char *buf, size_t n)
{
	switch (t->kind) {
	case T_END:
		return "the end of the section";
	case T_GROUP:
		return "\"(...)\"";
	case T_PUNCT:
		snprintf(buf, n, "\"%c\"", t->punct);
		return buf;
	default:
		snprintf(buf, n, "\"%.*s\"", (int)(t->len > 40 ? 40 : t->len), t->s);
		return buf;
	}
}

/* Consumes the keyword w or fails saying what was expected in what. */
static int expect_word(lexer *lx, const char *w, const char *what)
{
	tok t;
	char b[64];
	int rc = next(lx, &t);
	if (!rc && !is_word(&t, w))
		rc = fail(lx, t.line, "expected \"%s\" %s, found %s", w, what, show(&t, b, sizeof(b)));
	return rc;
}

/* Consumes w when it comes next; *yes says whether it did. */
static int accept_word(lexer *lx, const char *w, bool *yes)
{
	tok *t;
	int rc = peek(lx, &t);
	*yes = !rc && is_word(t, w);
	if (*yes)
		lx->have = false;
	return rc;
}

static int accept_punct(lexer *lx, char c, bool *yes)
{
	tok *t;
	int rc = peek(lx, &t);
	*yes = !rc && is_punct(t, c);
	if (*yes)
		lx->have = false;
	return rc;
}

static char *dup(lexer *lx, const char *s, size_t n)
{
	return sl_arena_strndup(lx->ops->arena, s, n);
}

/* A name: a word or a quoted identifier (doubled quotes inside undoubled). */
static int name(lexer *lx, const char **out, const char *what)
{
	tok t;
	char b[64];
	int rc = next(lx, &t);
	if (rc)
		return rc;
	if (t.kind != T_WORD && t.kind != T_QIDENT)
		return fail(lx, t.line, "expected %s, found %s", what, show(&t, b, sizeof(b)));
	if (t.len == 0)
		return fail(lx, t.line, "%s is empty", what);
	char *s = dup(lx, t.s, t.len);
	if (!s)
		return sl_error_nomem();
	if (t.kind == T_QIDENT) {
		char q = t.s[-1], *w = s;
		for (const char *r = s; *r; r++) {
			*w++ = *r;
			if (*r == q && r[1] == q)
				r++;
		}
		*w = '\0';
	}
	*out = s;
	return 0;
}

/* table.column */
static int qualified(lexer *lx, const char **table, const char **column)
{
	tok t;
	char b[64];
	int rc = name(lx, table, "a table name");
	if (!rc)
		rc = next(lx, &t);
	if (!rc && !is_punct(&t, '.'))
		return fail(lx, t.line,
			    "expected \".\" and a column after table \"%s\" (write table.column), found %s",
			    *table, show(&t, b, sizeof(b)));
	return rc ? rc : name(lx, column, "a column name");
}

/* A parenthesized expression; what names it in messages ("the up expression"). */
static int expression(lexer *lx, const char **out, const char *what)
{
	tok t;
	char b[64];
	int rc = next(lx, &t);
	if (rc)
		return rc;
	if (t.kind != T_GROUP)
		return fail(lx, t.line, "expected %s in parentheses, found %s", what, show(&t, b, sizeof(b)));
	const char *s = t.s, *e = t.s + t.len;
	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	if (s == e)
		return fail(lx, t.line, "%s is empty", what);
	*out = dup(lx, s, (size_t)(e - s));
	return *out ? 0 : sl_error_nomem();
}

/* A list of names in parentheses: (a, b, "c"). */
static int name_list(lexer *lx, const char ***out, size_t *n, const char *what)
{
	tok t;
	char b[64];
	int rc = next(lx, &t);
	if (rc)
		return rc;
	if (t.kind != T_GROUP)
		return fail(lx, t.line, "expected %s in parentheses, found %s", what, show(&t, b, sizeof(b)));
	lexer sub = { .text = t.s,
		      .len = t.len,
		      .line = t.line,
		      .origin = lx->origin,
		      .dialect = lx->dialect,
		      .rules = lx->rules,
		      .ops = lx->ops };
	size_t cap = 0;
	*n = 0;
	for (;;) {
		const char *nm = NULL, **slot;
		bool comma;
		if ((rc = name(&sub, &nm, what)))
			return rc;
		if (!(slot = sl_arena_push(lx->ops->arena, out, n, &cap, sizeof(*slot))))
			return sl_error_nomem();
		*slot = nm;
		if ((rc = accept_punct(&sub, ',', &comma)))
			return rc;
		if (!comma)
			break;
	}
	if ((rc = next(&sub, &t)))
		return rc;
	if (t.kind != T_END)
		return fail(lx, t.line, "expected \",\" or \")\" in %s, found %s", what,
			    show(&t, b, sizeof(b)));
	return 0;
}

static bool type_stop(const tok *t)
{
	static const char *const stops[] = { "up", "down", "not", "null", "default" };
	if (t->kind == T_END || t->kind == T_PUNCT || t->kind == T_STRING)
		return true;
	for (size_t i = 0; i < sizeof(stops) / sizeof(stops[0]); i++)
		if (is_word(t, stops[i]))
			return true;
	return false;
}

/* A declared type: words and parenthesized groups up to a clause keyword. */
static int type_decl(lexer *lx, const char **out, size_t line)
{
	sl_buf b = SL_BUF_INIT;
	tok *t;
	int rc = 0;
	while (!(rc = peek(lx, &t)) && !type_stop(t)) {
		if (t->kind == T_GROUP)
			rc = sl_buf_printf(&b, "(%.*s)", (int)t->len, t->s);
		else if (t->kind == T_QIDENT)
			rc = sl_buf_printf(&b, "%s%c%.*s%c", b.len ? " " : "", t->s[-1], (int)t->len, t->s,
					   t->s[-1]);
		else
			rc = sl_buf_printf(&b, "%s%.*s", b.len ? " " : "", (int)t->len, t->s);
		lx->have = false;
		if (rc)
			break;
	}
	if (!rc && !b.len)
		rc = fail(lx, line, "expected a column type");
	if (!rc && !(*out = dup(lx, b.ptr, b.len)))
		rc = sl_error_nomem();
	sl_buf_free(&b);
	return rc;
}

/* DEFAULT value: a string, a number, a word (true, current_timestamp, now()) or (expression). */
static int default_value(lexer *lx, const char **out)
{
	tok t, *p;
	char b[64];
	sl_buf v = SL_BUF_INIT;
	int rc = next(lx, &t);
	if (rc)
		goto done;
	if (is_punct(&t, '-') || is_punct(&t, '+')) {
		char sign = t.punct;
		if ((rc = next(lx, &t)))
			goto done;
		if (t.kind != T_WORD || !isdigit((unsigned char)t.s[0])) {
			rc = fail(lx, t.line, "expected a number after \"%c\" in default", sign);
			goto done;
		}
		rc = sl_buf_printf(&v, "%c%.*s", sign, (int)t.len, t.s);
	} else if (t.kind == T_STRING || t.kind == T_WORD) {
		rc = sl_buf_put(&v, t.s, t.len);
		if (!rc && t.kind == T_WORD && !(rc = peek(lx, &p)) && p->kind == T_GROUP) {
			rc = sl_buf_printf(&v, "(%.*s)", (int)p->len, p->s);
			lx->have = false;
		}
	} else if (t.kind == T_GROUP) {
		rc = sl_buf_printf(&v, "(%.*s)", (int)t.len, t.s);
	} else {
		rc = fail(lx, t.line, "expected a default value, found %s", show(&t, b, sizeof(b)));
	}
	if (!rc && !(*out = dup(lx, v.ptr, v.len)))
		rc = sl_error_nomem();
done:
	sl_buf_free(&v);
	return rc;
}

/* ---- operations ------------------------------------------------------------------ */

static int op_rename(lexer *lx, sl_xop *op)
{
	tok t;
	char b[64];
	int rc = next(lx, &t);
	if (rc)
		return rc;
	if (is_word(&t, "table")) {
		op->kind = SL_XOP_RENAME_TABLE;
		rc = name(lx, &op->table, "a table name");
	} else if (is_word(&t, "column")) {
		op->kind = SL_XOP_RENAME_COLUMN;
		rc = qualified(lx, &op->table, &op->column);
	} else {
		return fail(lx, t.line, "expected \"table\" or \"column\" after \"rename\", found %s",
			    show(&t, b, sizeof(b)));
	}
	if (!rc)
		rc = expect_word(lx, "to", "before the new name");
	return rc ? rc : name(lx, &op->to, "the new name");
}

/* Optional clauses of add column / change type / merge, in any order. */
static int column_clauses(lexer *lx, sl_xop *op, bool allow_not_null, bool allow_down)
{
	for (;;) {
		tok *t;
		int rc = peek(lx, &t);
		size_t line = t->line;
		if (rc)
			return rc;
		if (is_word(t, "not") && allow_not_null) {
			lx->have = false;
			if ((rc = expect_word(lx, "null", "after \"not\"")))
				return rc;
			op->not_null = true;
		} else if (is_word(t, "null") && allow_not_null) {
			lx->have = false;
		} else if (is_word(t, "default")) {
			lx->have = false;
			if (op->default_expr)
				return fail(lx, line, "\"default\" is given twice");
			if ((rc = default_value(lx, &op->default_expr)))
				return rc;
		} else if (is_word(t, "up")) {
			lx->have = false;
			if (op->up)
				return fail(lx, line, "\"up\" is given twice");
			if ((rc = expression(lx, &op->up, "the up expression")))
				return rc;
		} else if (is_word(t, "down") && allow_down) {
			lx->have = false;
			if (op->down)
				return fail(lx, line, "\"down\" is given twice");
			if ((rc = expression(lx, &op->down, "the down expression")))
				return rc;
		} else {
			return 0;
		}
	}
}

static int op_add_column(lexer *lx, sl_xop *op)
{
	op->kind = SL_XOP_ADD_COLUMN;
	int rc = qualified(lx, &op->table, &op->column);
	if (!rc)
		rc = type_decl(lx, &op->type, op->line);
	if (!rc)
		rc = column_clauses(lx, op, true, false);
	if (!rc && op->not_null && !op->default_expr && !op->up)
		rc = fail(lx, op->line,
			  "add column %s.%s: \"not null\" needs a default or an up expression, or inserts "
			  "from the "
			  "old version would fail",
			  op->table, op->column);
	return rc;
}

static int op_change_type(lexer *lx, sl_xop *op)
{
	op->kind = SL_XOP_CHANGE_TYPE;
	int rc = expect_word(lx, "type", "after \"change\"");
	if (!rc)
		rc = qualified(lx, &op->table, &op->column);
	if (!rc)
		rc = expect_word(lx, "to", "before the new type");
	if (!rc)
		rc = type_decl(lx, &op->type, op->line);
	if (!rc)
		rc = column_clauses(lx, op, false, true);
	if (!rc && (!op->up || !op->down))
		rc = fail(lx, op->line,
			  "change type %s.%s needs \"up (expression)\" (old value to new) and \"down "
			  "(expression)\" (new value to old)",
			  op->table, op->column);
	return rc;
}

static int push_col(lexer *lx, sl_xop *op, size_t *cap, sl_xcolspec **out)
{
	*out = sl_arena_push(lx->ops->arena, &op->cols, &op->ncols, cap, sizeof(**out));
	return *out ? 0 : sl_error_nomem();
}

static int op_split(lexer *lx, sl_xop *op)
{
	size_t cap = 0;
	bool comma;
	op->kind = SL_XOP_SPLIT_COLUMN;
	int rc = expect_word(lx, "column", "after \"split\"");
	if (!rc)
		rc = qualified(lx, &op->table, &op->column);
	if (!rc)
		rc = expect_word(lx, "into", "after the column to split");
	do {
		sl_xcolspec *c;
		tok *t;
		if (rc || (rc = push_col(lx, op, &cap, &c)) || (rc = peek(lx, &t)))
			break;
		c->line = t->line;
		if ((rc = name(lx, &c->name, "a new column name")) ||
		    (rc = type_decl(lx, &c->type, c->line)) ||
		    (rc = expect_word(lx, "up", "and the expression that fills the new column")) ||
		    (rc = expression(lx, &c->expr, "the up expression")))
			break;
		rc = accept_punct(lx, ',', &comma);
	} while (!rc && comma);
	if (!rc && op->ncols < 2)
		rc = fail(lx, op->line, "split column %s.%s needs two or more new columns", op->table,
			  op->column);
	if (!rc)
		rc = expect_word(lx, "down", "and the expression that rebuilds the old column");
	return rc ? rc : expression(lx, &op->down, "the down expression");
}

static int op_merge(lexer *lx, sl_xop *op)
{
	size_t cap = 0;
	bool comma;
	const char *t2;
	op->kind = SL_XOP_MERGE_COLUMNS;
	int rc = expect_word(lx, "columns", "after \"merge\"");
	if (!rc)
		rc = qualified(lx, &op->table, &op->column);
	while (!rc && !(rc = accept_punct(lx, ',', &comma)) && comma) {
		sl_xcolspec *c;
		tok *t;
		if ((rc = push_col(lx, op, &cap, &c)) || (rc = peek(lx, &t)))
			break;
		c->line = t->line;
		if ((rc = name(lx, &c->name, "a column to merge")))
			break;
		/* "table.column" is accepted for symmetry with the first column */
		if ((rc = accept_punct(lx, '.', &comma)))
			break;
		if (comma) {
			if (strcmp(c->name, op->table) != 0)
				return fail(lx, c->line,
					    "merge columns: \"%s\" is not table \"%s\"; merge columns of one "
					    "table",
					    c->name, op->table);
			if ((rc = name(lx, &c->name, "a column to merge")))
				break;
		}
	}
	if (!rc && op->ncols < 1)
		rc = fail(lx, op->line, "merge columns %s.%s needs two or more columns", op->table,
			  op->column);
	if (!rc)
		rc = expect_word(lx, "into", "after the columns to merge");
	if (!rc)
		rc = name(lx, &op->to, "the new column name");
	if (!rc)
		rc = type_decl(lx, &op->type, op->line);
	if (!rc)
		rc = column_clauses(lx, op, false, false);
	if (!rc && !op->up)
		rc = fail(lx, op->line, "merge columns into %s needs \"up (expression)\"", op->to);
	if (!rc)
		rc = expect_word(lx, "down", "and, for each merged column, the expression that rebuilds it");
	/* down a (expr), b (expr): the first column's expression goes to op->down */
	for (size_t i = 0; !rc && i <= op->ncols; i++) {
		tok *t;
		if (i && ((rc = accept_punct(lx, ',', &comma)) || !comma)) {
			if (!rc)
				rc = fail(lx, op->line,
					  "merge columns: \"down\" needs an expression for each of the %zu "
					  "columns",
					  op->ncols + 1);
			break;
		}
		if ((rc = peek(lx, &t)) || (rc = name(lx, &t2, "a merged column name")))
			break;
		const char *want = i ? op->cols[i - 1].name : op->column;
		if (strcmp(t2, want) != 0) {
			rc = fail(lx, t->line,
				  "merge columns: down expressions come in the order of the columns: "
				  "expected \"%s\", found \"%s\"",
				  want, t2);
			break;
		}
		rc = expression(lx, i ? &op->cols[i - 1].expr : &op->down, "the down expression");
	}
	return rc;
}

static int op_drop(lexer *lx, sl_xop *op)
{
	op->kind = SL_XOP_DROP_COLUMN;
	bool down;
	int rc = expect_word(lx, "column", "after \"drop\"");
	if (!rc)
		rc = qualified(lx, &op->table, &op->column);
	if (!rc)
		rc = accept_word(lx, "down", &down);
	if (!rc && down)
		rc = expression(lx, &op->down, "the down expression");
	return rc;
}

static int op_set_not_null(lexer *lx, sl_xop *op)
{
	op->kind = SL_XOP_SET_NOT_NULL;
	int rc = expect_word(lx, "not", "after \"set\"");
	if (!rc)
		rc = expect_word(lx, "null", "after \"set not\"");
	if (!rc)
		rc = qualified(lx, &op->table, &op->column);
	if (!rc)
		rc = expect_word(lx, "up",
				 "and the expression that replaces NULLs written by the old version");
	return rc ? rc : expression(lx, &op->up, "the up expression");
}

/* Trailing "name N" of constraints and indexes. */
static int opt_name(lexer *lx, sl_xop *op)
{
	bool yes;
	int rc = accept_word(lx, "name", &yes);
	return rc || !yes ? rc : name(lx, &op->name, "a constraint name");
}

static int fk_action(lexer *lx, const char **out)
{
	static const char *const acts[] = { "cascade", "restrict", "set null", "set default", "no action" };
	tok t;
	char b[64], w[32];
	int rc = next(lx, &t);
	if (rc)
		return rc;
	if (is_word(&t, "set") || is_word(&t, "no")) {
		tok t2;
		if ((rc = next(lx, &t2)))
			return rc;
		snprintf(w, sizeof(w), "%.*s %.*s", (int)t.len, t.s, (int)(t2.len > 10 ? 10 : t2.len), t2.s);
	} else {
		snprintf(w, sizeof(w), "%.*s", (int)(t.len > 20 ? 20 : t.len), t.s);
	}
	for (size_t i = 0; i < sizeof(acts) / sizeof(acts[0]); i++)
		if (strcasecmp(w, acts[i]) == 0) {
			*out = acts[i];
			return 0;
		}
	return fail(lx, t.line,
		    "unknown foreign key action %s (cascade, restrict, set null, set default, no action)",
		    show(&t, b, sizeof(b)));
}

static int op_add_constraint(lexer *lx, sl_xop *op, const tok *what)
{
	int rc;
	bool yes;
	if (is_word(what, "unique")) {
		op->kind = SL_XOP_ADD_UNIQUE;
		rc = name(lx, &op->table, "a table name");
		if (!rc)
			rc = name_list(lx, &op->keys, &op->nkeys, "the unique columns");
		return rc ? rc : opt_name(lx, op);
	}
	if (is_word(what, "index")) {
		op->kind = SL_XOP_ADD_INDEX;
		rc = name(lx, &op->table, "a table name");
		if (!rc)
			rc = name_list(lx, &op->keys, &op->nkeys, "the indexed columns");
		if (!rc)
			rc = accept_word(lx, "unique", &op->unique);
		return rc ? rc : opt_name(lx, op);
	}
	if (is_word(what, "check")) {
		op->kind = SL_XOP_ADD_CHECK;
		rc = name(lx, &op->table, "a table name");
		if (!rc)
			rc = expression(lx, &op->check, "the check condition");
		return rc ? rc : opt_name(lx, op);
	}
	/* foreign key */
	op->kind = SL_XOP_ADD_FOREIGN_KEY;
	rc = expect_word(lx, "key", "after \"add foreign\"");
	if (!rc)
		rc = name(lx, &op->table, "a table name");
	if (!rc)
		rc = name_list(lx, &op->keys, &op->nkeys, "the referencing columns");
	if (!rc)
		rc = expect_word(lx, "references", "after the referencing columns");
	if (!rc)
		rc = name(lx, &op->ref_table, "the referenced table");
	if (!rc)
		rc = name_list(lx, &op->ref_cols, &op->nref_cols, "the referenced columns");
	if (!rc && op->nkeys != op->nref_cols)
		rc = fail(lx, op->line, "add foreign key: %zu referencing but %zu referenced columns",
			  op->nkeys, op->nref_cols);
	while (!rc && !(rc = accept_word(lx, "on", &yes)) && yes) {
		tok t;
		char b[64];
		if ((rc = next(lx, &t)))
			break;
		if (is_word(&t, "delete") && !op->on_delete)
			rc = fk_action(lx, &op->on_delete);
		else if (is_word(&t, "update") && !op->on_update)
			rc = fk_action(lx, &op->on_update);
		else
			rc = fail(lx, t.line,
				  "expected \"delete\" or \"update\" after \"on\" (once each), found %s",
				  show(&t, b, sizeof(b)));
	}
	return rc ? rc : opt_name(lx, op);
}

static int op_add(lexer *lx, sl_xop *op)
{
	tok t;
	char b[64];
	int rc = next(lx, &t);
	if (rc)
		return rc;
	if (is_word(&t, "column"))
		return op_add_column(lx, op);
	if (is_word(&t, "unique") || is_word(&t, "index") || is_word(&t, "check") || is_word(&t, "foreign"))
		return op_add_constraint(lx, op, &t);
	return fail(lx, t.line,
		    "expected \"column\", \"unique\", \"index\", \"check\" or \"foreign key\" after \"add\", "
		    "found %s",
		    show(&t, b, sizeof(b)));
}

/* The columns an operation replaces or renames, for the one-operation-per-column rule. */
static size_t touched(const sl_xop *op, const char **out, size_t max)
{
	size_t n = 0;
	switch (op->kind) {
	case SL_XOP_RENAME_COLUMN:
	case SL_XOP_DROP_COLUMN:
	case SL_XOP_CHANGE_TYPE:
	case SL_XOP_SPLIT_COLUMN:
	case SL_XOP_SET_NOT_NULL:
	case SL_XOP_ADD_COLUMN:
		out[n++] = op->column;
		break;
	case SL_XOP_MERGE_COLUMNS:
		out[n++] = op->column;
		for (size_t i = 0; i < op->ncols && n < max; i++)
			out[n++] = op->cols[i].name;
		break;
	default:
		break;
	}
	return n;
}

static int check_overlap(lexer *lx)
{
	const sl_xops *ops = lx->ops;
	for (size_t i = 0; i < ops->n; i++) {
		const sl_xop *a = &ops->items[i];
		const char *ca[32];
		size_t na = touched(a, ca, 32);
		if (a->kind == SL_XOP_RENAME_TABLE)
			for (size_t j = 0; j < i; j++)
				if (ops->items[j].kind == SL_XOP_RENAME_TABLE &&
				    strcmp(ops->items[j].table, a->table) == 0)
					return fail(lx, a->line, "table %s is already renamed at line %zu",
						    a->table, ops->items[j].line);
		for (size_t j = 0; j < i; j++) {
			const sl_xop *b = &ops->items[j];
			const char *cb[32];
			size_t nb = touched(b, cb, 32);
			if (strcmp(a->table, b->table) != 0)
				continue;
			for (size_t x = 0; x < na; x++)
				for (size_t y = 0; y < nb; y++)
					if (strcmp(ca[x], cb[y]) == 0)
						return fail(lx, a->line,
							    "column %s.%s is already changed at line %zu "
							    "(one operation per "
							    "column in a migration; write a second migration "
							    "for the next step)",
							    a->table, ca[x], b->line);
		}
	}
	return 0;
}

static int parse_op(lexer *lx, const tok *first)
{
	char b[64];
	sl_xop *op = sl_arena_push(lx->ops->arena, &lx->ops->items, &lx->ops->n, &lx->ops->cap, sizeof(*op));
	if (!op)
		return sl_error_nomem();
	memset(op, 0, sizeof(*op));
	op->line = first->line;
	if (is_word(first, "rename"))
		return op_rename(lx, op);
	if (is_word(first, "add"))
		return op_add(lx, op);
	if (is_word(first, "drop"))
		return op_drop(lx, op);
	if (is_word(first, "change"))
		return op_change_type(lx, op);
	if (is_word(first, "split"))
		return op_split(lx, op);
	if (is_word(first, "merge"))
		return op_merge(lx, op);
	if (is_word(first, "set"))
		return op_set_not_null(lx, op);
	return fail(lx, first->line,
		    "unknown operation %s (rename table, rename column, add column, drop column, change "
		    "type, split "
		    "column, merge columns, set not null, add unique, add foreign key, add check, add index)",
		    show(first, b, sizeof(b)));
}

int sl_expand_parse(sl_xops **out, const char *origin, size_t first_line, const char *text, size_t len,
		    sl_engine dialect)
{
	lexer lx = { .text = text,
		     .len = text ? len : 0,
		     .line = first_line ? first_line : 1,
		     .origin = origin ? origin : "<expand>",
		     .dialect = dialect };
	if ((unsigned)dialect < sizeof(rules_by_dialect) / sizeof(rules_by_dialect[0]))
		lx.rules = rules_by_dialect[dialect];
	int rc = 0;
	*out = NULL;
	if (!(lx.ops = calloc(1, sizeof(*lx.ops))) || !(lx.ops->arena = sl_arena_new(0))) {
		rc = sl_error_nomem();
		goto done;
	}
	for (;;) {
		tok t;
		char b[64];
		if ((rc = next(&lx, &t)))
			goto done;
		if (t.kind == T_END)
			break;
		if (is_punct(&t, ';'))
			continue;
		if ((rc = parse_op(&lx, &t)))
			goto done;
		if ((rc = next(&lx, &t)))
			goto done;
		if (t.kind != T_END && !is_punct(&t, ';')) {
			rc = fail(&lx, t.line, "expected \";\" after %s, found %s",
				  sl_xop_kind_name(lx.ops->items[lx.ops->n - 1].kind),
				  show(&t, b, sizeof(b)));
			goto done;
		}
	}
	if (!lx.ops->n) {
		rc = fail(&lx, lx.line, "no operations");
		goto done;
	}
	if ((rc = check_overlap(&lx)))
		goto done;
	*out = lx.ops;
	lx.ops = NULL;
done:
	sl_xops_free(lx.ops);
	return rc;
}

void sl_xops_free(sl_xops *ops)
{
	if (!ops)
		return;
	sl_arena_free(ops->arena);
	free(ops);
}

const char *sl_xop_unsupported(const sl_xop *op, sl_engine e)
{
	const sl_expand_dialect *d = sl_expand_dialect_for(e);
	if (!d)
		return NULL; /* an engine without expand/contract at all: the planner says so */
	if (op->kind == SL_XOP_ADD_COLUMN)
		return op->not_null && !op->default_expr ? d->refuse_add_not_null : NULL;
	return d->refusals && (unsigned)op->kind < SL_XOP__COUNT ? d->refusals[op->kind] : NULL;
}
