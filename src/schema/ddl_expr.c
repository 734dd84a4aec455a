/*
 * ddl_expr.c - tokenizing, normalising and translating the small SQL
 * expressions of a schema model (see ddl_expr.h for what "simple" means),
 * and identifier / string quoting per dialect (ddl.h).
 */
#include "schema/ddl_expr.h"
#include "sluice/sql.h"
#include "sluice/ddl.h"
#include "sluice/error.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int sl_ddl_quote_ident(sl_buf *out, sl_engine target, const char *ident)
{
	char q = target == SL_ENGINE_MYSQL ? '`' : '"';
	int rc = sl_buf_putc(out, q);
	for (const char *p = ident ? ident : ""; !rc && *p; p++) {
		if (*p == q)
			rc = sl_buf_putc(out, q);
		if (!rc)
			rc = sl_buf_putc(out, *p);
	}
	return rc ? rc : sl_buf_putc(out, q);
}

int sl_ddl_quote_string(sl_buf *out, sl_engine target, const char *s)
{
	int rc = sl_buf_putc(out, '\'');
	for (const char *p = s ? s : ""; !rc && *p; p++) {
		if (*p == '\'' || (*p == '\\' && target == SL_ENGINE_MYSQL))
			rc = sl_buf_putc(out, *p);
		if (!rc)
			rc = sl_buf_putc(out, *p);
	}
	return rc ? rc : sl_buf_putc(out, '\'');
}

void sl_expr_tokens_free(sl_xtoks *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].text);
	free(t->v);
	t->v = NULL;
	t->n = t->cap = 0;
}

static int push_tok(sl_xtoks *t, sl_xt_kind kind, const char *s, size_t n)
{
	if (t->n == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 16;
		sl_xtok *nv = realloc(t->v, nc * sizeof(*nv));
		if (!nv)
			return sl_error_nomem();
		t->v = nv;
		t->cap = nc;
	}
	char *text = malloc(n + 1);
	if (!text)
		return sl_error_nomem();
	memcpy(text, s, n);
	text[n] = '\0';
	t->v[t->n].kind = kind;
	t->v[t->n].text = text;
	t->n++;
	return 0;
}

/* Reads a quoted run starting at *pp (on the opening quote) into b, decoding doubled quotes. */
static int read_quoted(const char **pp, char q, bool backslash, sl_buf *b)
{
	const char *p = *pp + 1;
	int rc = 0;
	for (;;) {
		if (!*p)
			return sl_error_set(SL_EINVALID, "unterminated %c in expression", q);
		if (backslash && *p == '\\' && p[1]) {
			char c = p[1];
			rc = sl_buf_putc(b, c == 'n' ? '\n' : c == 't' ? '\t' : c == '0' ? '\0' : c);
			p += 2;
		} else if (*p == q && p[1] == q) {
			rc = sl_buf_putc(b, q);
			p += 2;
		} else if (*p == q) {
			p++;
			break;
		} else {
			rc = sl_buf_putc(b, *p++);
		}
		if (rc)
			return rc;
	}
	*pp = p;
	return 0;
}

static bool word_start(unsigned char c)
{
	return isalpha(c) || c == '_' || c >= 0x80;
}

static int scan(sl_xtoks *out, const char *expr, sl_engine dialect)
{
	sl_buf b = SL_BUF_INIT;
	int rc = 0;
	const char *p = expr;
	while (!rc && *p) {
		unsigned char c = (unsigned char)*p;
		sl_buf_clear(&b);
		if (isspace(c)) {
			p++;
		} else if (c == '\'') {
			rc = read_quoted(&p, '\'', dialect == SL_ENGINE_MYSQL, &b);
			if (!rc)
				rc = push_tok(out, SL_XT_STRING, b.ptr ? b.ptr : "", b.len);
		} else if ((c == 'b' || c == 'B' || c == 'E' || c == 'e' || c == 'N' || c == 'n') &&
			   p[1] == '\'') {
			bool bits = c == 'b' || c == 'B';
			p++;
			rc = read_quoted(&p, '\'', dialect == SL_ENGINE_MYSQL || c == 'E' || c == 'e', &b);
			if (!rc)
				rc = push_tok(out, bits ? SL_XT_BITS : SL_XT_STRING, b.ptr ? b.ptr : "",
					      b.len);
		} else if (c == '"' || c == '`') {
			rc = read_quoted(&p, (char)c, false, &b);
			if (!rc)
				rc = push_tok(out, SL_XT_IDENT, b.ptr ? b.ptr : "", b.len);
		} else if (c == '[' && dialect == SL_ENGINE_SQLITE) {
			const char *e = strchr(p, ']');
			if (!e) {
				rc = sl_error_set(SL_EINVALID, "unterminated [ in expression");
				break;
			}
			rc = push_tok(out, SL_XT_IDENT, p + 1, (size_t)(e - p - 1));
			p = e + 1;
		} else if (isdigit(c) || (c == '.' && isdigit((unsigned char)p[1]))) {
			const char *s = p;
			while (isdigit((unsigned char)*p) || *p == '.')
				p++;
			if ((*p == 'e' || *p == 'E') &&
			    (isdigit((unsigned char)p[1]) ||
			     ((p[1] == '-' || p[1] == '+') && isdigit((unsigned char)p[2])))) {
				p += 2;
				while (isdigit((unsigned char)*p))
					p++;
			}
			rc = push_tok(out, SL_XT_NUMBER, s, (size_t)(p - s));
		} else if (word_start(c)) {
			const char *s = p;
			while (sl_sql_word_char((unsigned char)*p))
				p++;
			rc = push_tok(out, SL_XT_WORD, s, (size_t)(p - s));
		} else if (c == ':' && p[1] == ':') {
			rc = push_tok(out, SL_XT_CAST, p, 2);
			p += 2;
		} else if (strchr("<>!=|", c) && p[1] && strchr("<>=|", p[1]) && !(c == '=' && p[1] != '=')) {
			rc = push_tok(out, SL_XT_OP, p, 2);
			p += 2;
		} else if (strchr("=<>+-*/%", c)) {
			rc = push_tok(out, SL_XT_OP, p, 1);
			p++;
		} else {
			sl_xt_kind k = c == '('   ? SL_XT_LPAREN
				       : c == ')' ? SL_XT_RPAREN
				       : c == ',' ? SL_XT_COMMA
				       : c == '[' ? SL_XT_LBRACK
				       : c == ']' ? SL_XT_RBRACK
						  : SL_XT_OTHER;
			rc = push_tok(out, k, p, 1);
			p++;
		}
	}
	sl_buf_free(&b);
	return rc;
}

static bool is_word(const sl_xtok *t, const char *w)
{
	return t->kind == SL_XT_WORD && strcasecmp(t->text, w) == 0;
}

static void drop_range(sl_xtoks *t, size_t from, size_t n)
{
	for (size_t i = from; i < from + n; i++)
		free(t->v[i].text);
	memmove(&t->v[from], &t->v[from + n], (t->n - from - n) * sizeof(sl_xtok));
	t->n -= n;
}

/* Words that may follow the first word of a PostgreSQL type name after "::". */
static bool type_tail_word(const char *w)
{
	static const char *const tails[] = { "varying", "precision", "without", "with", "time", "zone" };
	for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++)
		if (strcasecmp(w, tails[i]) == 0)
			return true;
	return false;
}

/* Removes "::type[(n[,m])][[]]" casts. */
static void strip_casts(sl_xtoks *t)
{
	size_t i = 0;
	while (i < t->n) {
		if (t->v[i].kind != SL_XT_CAST) {
			i++;
			continue;
		}
		size_t j = i + 1;
		if (j < t->n && (t->v[j].kind == SL_XT_WORD || t->v[j].kind == SL_XT_IDENT))
			j++;
		while (j < t->n && t->v[j].kind == SL_XT_WORD && type_tail_word(t->v[j].text))
			j++;
		if (j < t->n && t->v[j].kind == SL_XT_LPAREN) {
			size_t k = j + 1;
			while (k < t->n && (t->v[k].kind == SL_XT_NUMBER || t->v[k].kind == SL_XT_COMMA))
				k++;
			if (k < t->n && t->v[k].kind == SL_XT_RPAREN)
				j = k + 1;
		}
		while (j + 1 < t->n && t->v[j].kind == SL_XT_LBRACK && t->v[j + 1].kind == SL_XT_RBRACK)
			j += 2;
		drop_range(t, i, j - i);
	}
}

/* MySQL writes _utf8mb4'x' in stored check clauses. */
static void strip_introducers(sl_xtoks *t)
{
	for (size_t i = 0; i + 1 < t->n; i++)
		if (t->v[i].kind == SL_XT_WORD && t->v[i].text[0] == '_' && t->v[i + 1].kind == SL_XT_STRING)
			drop_range(t, i, 1);
}

/* "= ANY ((ARRAY[a, b]))" -> "IN (a, b)". */
static int rewrite_any_array(sl_xtoks *t)
{
	for (size_t i = 0; i + 2 < t->n; i++) {
		if (!(t->v[i].kind == SL_XT_OP && strcmp(t->v[i].text, "=") == 0 &&
		      is_word(&t->v[i + 1], "ANY")))
			continue;
		size_t j = i + 2, opens = 0;
		while (j < t->n && t->v[j].kind == SL_XT_LPAREN) {
			opens++;
			j++;
		}
		if (!opens || j + 1 >= t->n || !is_word(&t->v[j], "ARRAY") ||
		    t->v[j + 1].kind != SL_XT_LBRACK)
			continue;
		size_t k = j + 2;
		while (k < t->n && t->v[k].kind != SL_XT_RBRACK)
			k++;
		size_t close = k + 1;
		size_t m = 0;
		while (m < opens && close + m < t->n && t->v[close + m].kind == SL_XT_RPAREN)
			m++;
		if (k >= t->n || m != opens)
			continue;
		/* tokens: [i]= [i+1]ANY ( x opens [j]ARRAY [j+1][ elems [k]] ) x opens */
		free(t->v[i].text);
		t->v[i].kind = SL_XT_WORD;
		if (!(t->v[i].text = strdup("IN")))
			return sl_error_nomem();
		free(t->v[i + 1].text);
		t->v[i + 1].kind = SL_XT_LPAREN;
		if (!(t->v[i + 1].text = strdup("(")))
			return sl_error_nomem();
		free(t->v[k].text);
		t->v[k].kind = SL_XT_RPAREN;
		if (!(t->v[k].text = strdup(")")))
			return sl_error_nomem();
		drop_range(t, close, opens);           /* trailing parens */
		drop_range(t, i + 2, j + 2 - (i + 2)); /* "( x opens ARRAY [" */
	}
	return 0;
}

/* "(0)" -> "0": parentheses around one operand, left over from a removed cast. */
static void strip_lone_parens(sl_xtoks *t)
{
	for (size_t i = 0; i + 2 < t->n; i++) {
		sl_xt_kind mid = t->v[i + 1].kind;
		bool call = i > 0 && (t->v[i - 1].kind == SL_XT_WORD || t->v[i - 1].kind == SL_XT_IDENT);
		if (t->v[i].kind == SL_XT_LPAREN && t->v[i + 2].kind == SL_XT_RPAREN && !call &&
		    (mid == SL_XT_NUMBER || mid == SL_XT_STRING || mid == SL_XT_IDENT || mid == SL_XT_WORD)) {
			drop_range(t, i + 2, 1);
			drop_range(t, i, 1);
		}
	}
}

int sl_expr_tokenize(sl_xtoks *out, const char *expr, sl_engine dialect)
{
	memset(out, 0, sizeof(*out));
	int rc = scan(out, expr ? expr : "", dialect);
	if (rc)
		goto done;
	strip_casts(out);
	strip_lone_parens(out);
	if (dialect == SL_ENGINE_MYSQL)
		strip_introducers(out);
	rc = rewrite_any_array(out);
done:
	if (rc)
		sl_expr_tokens_free(out);
	return rc;
}

static bool keyword(const char *w)
{
	static const char *const kw[] = {
		"AND", "OR", "NOT", "IN", "IS", "NULL", "TRUE", "FALSE", "BETWEEN"
	};
	for (size_t i = 0; i < sizeof(kw) / sizeof(kw[0]); i++)
		if (strcasecmp(w, kw[i]) == 0)
			return true;
	return false;
}

/* The target name of a source column named name (exact first, then ignoring ASCII case). */
static const char *target_column(const sl_cast_table *ct, const char *name, bool fold)
{
	for (size_t i = 0; i < ct->ncolumns; i++)
		if (strcmp(ct->columns[i].src->name, name) == 0)
			return ct->columns[i].name;
	if (fold)
		for (size_t i = 0; i < ct->ncolumns; i++)
			if (strcasecmp(ct->columns[i].src->name, name) == 0)
				return ct->columns[i].name;
	return NULL;
}

static int emit_token(sl_buf *out, const sl_xtok *t, sl_engine from, sl_engine to, const sl_cast_table *ct,
		      const char **why)
{
	const char *col;
	switch (t->kind) {
	case SL_XT_WORD:
		if (keyword(t->text)) {
			for (const char *p = t->text; *p; p++)
				if (sl_buf_putc(out, (char)toupper((unsigned char)*p)))
					return SL_ENOMEM;
			return 0;
		}
		col = target_column(ct, t->text, true);
		if (!col) {
			*why = "uses something other than column names, literals and comparisons";
			return SL_EINVALID;
		}
		return sl_ddl_quote_ident(out, to, col);
	case SL_XT_IDENT:
		col = target_column(ct, t->text, from != SL_ENGINE_POSTGRES);
		if (!col) {
			*why = "names something that is not a column of the table";
			return SL_EINVALID;
		}
		return sl_ddl_quote_ident(out, to, col);
	case SL_XT_STRING:
		return sl_ddl_quote_string(out, to, t->text);
	case SL_XT_NUMBER:
		return sl_buf_puts(out, t->text);
	case SL_XT_OP:
		if (strcmp(t->text, "!=") == 0 || strcmp(t->text, "<>") == 0)
			return sl_buf_puts(out, "<>");
		if (strcmp(t->text, "=") == 0 || strcmp(t->text, "<") == 0 || strcmp(t->text, ">") == 0 ||
		    strcmp(t->text, "<=") == 0 || strcmp(t->text, ">=") == 0 || strcmp(t->text, "-") == 0)
			return sl_buf_puts(out, t->text);
		*why = "uses an operator other than a comparison";
		return SL_EINVALID;
	case SL_XT_LPAREN:
	case SL_XT_RPAREN:
	case SL_XT_COMMA:
		return sl_buf_puts(out, t->text);
	default:
		*why = "uses syntax that differs between engines";
		return SL_EINVALID;
	}
}

int sl_expr_translate(sl_buf *out, const char *expr, sl_engine from, sl_engine to, const sl_cast_table *ct,
		      const char **why)
{
	sl_xtoks t;
	*why = NULL;
	int rc = sl_expr_tokenize(&t, expr, from);
	if (rc) {
		*why = "cannot be read";
		sl_error_clear();
		return SL_EINVALID;
	}
	size_t a = 0, b = t.n;
	/* parentheses around the whole expression: the caller adds its own */
	while (b - a >= 2 && t.v[a].kind == SL_XT_LPAREN && t.v[b - 1].kind == SL_XT_RPAREN) {
		int depth = 0;
		bool whole = true;
		for (size_t i = a; i < b && whole; i++) {
			depth += t.v[i].kind == SL_XT_LPAREN;
			depth -= t.v[i].kind == SL_XT_RPAREN;
			whole = depth > 0 || i + 1 == b;
		}
		if (!whole)
			break;
		a++;
		b--;
	}
	if (a == b) {
		*why = "is empty";
		rc = SL_EINVALID;
	}
	for (size_t i = a; !rc && i < b; i++) {
		const sl_xtok *k = &t.v[i];
		/* a word followed by "(" is a function call, even when it names a column */
		if (k->kind == SL_XT_WORD && !keyword(k->text) && i + 1 < b &&
		    t.v[i + 1].kind == SL_XT_LPAREN) {
			*why = "calls a function";
			rc = SL_EINVALID;
			break;
		}
		bool space = i > a && k->kind != SL_XT_RPAREN && k->kind != SL_XT_COMMA &&
			     t.v[i - 1].kind != SL_XT_LPAREN &&
			     !(t.v[i - 1].kind == SL_XT_OP && strcmp(t.v[i - 1].text, "-") == 0 &&
			       k->kind == SL_XT_NUMBER && (i < a + 2 || t.v[i - 2].kind != SL_XT_NUMBER));
		if (space && sl_buf_putc(out, ' '))
			rc = SL_ENOMEM;
		if (!rc)
			rc = emit_token(out, k, from, to, ct, why);
	}
	sl_expr_tokens_free(&t);
	return rc;
}
