/*
 * columns_mysql.c - what a MySQL/MariaDB statement reads and writes: the
 * MySQL driver's statement_columns hook, through the public connection API.
 *
 * The server checks the statement: EXPLAIN EXTENDED (MySQL 8: EXPLAIN)
 * fails with the server's message on a syntax error or an unknown name, and
 * leaves in SHOW WARNINGS (note 1003) the statement as the server resolved
 * it, every name quoted and qualified: `db`.`t`.`col`. That text gives the
 * columns read, and its head (update ... set, insert into t(cols), delete
 * from t) the columns written. Two things the rewrite hides are taken from
 * the statement as written: views (a merged view shows as its base tables,
 * so a base table the statement does not name belongs to the view, and a
 * view the statement names is read as a whole), and columns the optimizer
 * folded away (tables read as constants: one-row tables, lookups of a unique
 * key by a constant; EXISTS turned into a semi-join): every column of a
 * table the statement names whose name the statement holds counts as read.
 * So where two of those tables share a column name the statement uses, both
 * count: the read set errs on the side of too much.
 */
#include "schema/introspect.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sluice/error.h"
#include "sluice/sql.h"

#define NAME_MAX_LEN 192

typedef enum { T_END = 0, T_QIDENT, T_WORD, T_PUNCT } tkind;

typedef struct tok {
	tkind kind;
	char text[NAME_MAX_LEN];
} tok;

typedef struct toks {
	tok *v;
	size_t n, cap;
} toks;

/* A reference to `db`.`t`.`c` (col non-empty) or `db`.`t` in the rewritten text. */
typedef struct ref {
	char table[NAME_MAX_LEN];
	char column[NAME_MAX_LEN];
	unsigned access;
} ref;

typedef struct refs {
	ref *v;
	size_t n, cap;
} refs;

/* Words of the statement as written, for views and constant tables. */
typedef struct words {
	char **v;
	size_t n, cap;
} words;

static int push(void **v, size_t *n, size_t *cap, size_t size)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 32;
		void *nv = realloc(*v, nc * size);
		if (!nv)
			return sl_error_nomem();
		*v = nv;
		*cap = nc;
	}
	memset((char *)*v + *n * size, 0, size);
	(*n)++;
	return 0;
}

/* Tokens of the server's rewritten statement: `quoted`, words, punctuation; strings and comments skipped. */
static int tokenize(toks *t, const char *s)
{
	int rc = 0;
	while (!rc && *s) {
		if (isspace((unsigned char)*s)) {
			s++;
		} else if (s[0] == '/' && s[1] == '*') {
			const char *e = strstr(s + 2, "*/");
			s = e ? e + 2 : s + strlen(s);
		} else if (*s == '\'' || *s == '"') {
			char q = *s++;
			while (*s && *s != q)
				s += (*s == '\\' && s[1]) ? 2 : 1;
			s += *s ? 1 : 0;
		} else if (*s == '`') {
			size_t n = 0;
			if ((rc = push((void **)&t->v, &t->n, &t->cap, sizeof(tok))))
				break;
			tok *k = &t->v[t->n - 1];
			k->kind = T_QIDENT;
			for (s++; *s; s++) {
				if (*s == '`' && s[1] == '`')
					s++;
				else if (*s == '`')
					break;
				if (n + 1 < sizeof(k->text))
					k->text[n++] = *s;
			}
			s += *s ? 1 : 0;
		} else if (isalnum((unsigned char)*s) || *s == '_' || *s == '$' ||
			   (unsigned char)*s >= 0x80) {
			size_t n = 0;
			if ((rc = push((void **)&t->v, &t->n, &t->cap, sizeof(tok))))
				break;
			tok *k = &t->v[t->n - 1];
			k->kind = T_WORD;
			for (; isalnum((unsigned char)*s) || *s == '_' || *s == '$' ||
			       (unsigned char)*s >= 0x80;
			     s++)
				if (n + 1 < sizeof(k->text))
					k->text[n++] = *s;
		} else {
			if ((rc = push((void **)&t->v, &t->n, &t->cap, sizeof(tok))))
				break;
			t->v[t->n - 1].kind = T_PUNCT;
			t->v[t->n - 1].text[0] = *s++;
		}
	}
	if (!rc)
		rc = push((void **)&t->v, &t->n, &t->cap, sizeof(tok)); /* T_END */
	return rc;
}

static bool is_punct(const tok *k, char c)
{
	return k->kind == T_PUNCT && k->text[0] == c;
}

static bool is_word(const tok *k, const char *w)
{
	return k->kind == T_WORD && strcasecmp(k->text, w) == 0;
}

#define MAX_ALIASES 64

/* FROM items of the rewritten text: `db`.`table` [`alias`]. */
typedef struct aliases {
	char alias[MAX_ALIASES][NAME_MAX_LEN];
	char table[MAX_ALIASES][NAME_MAX_LEN];
	size_t n;
} aliases;

static const char *alias_table(const aliases *a, const char *name)
{
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->alias[i], name) == 0)
			return a->table[i];
	return NULL;
}

/*
 * At i: a column `db`.`t`.`c` or `alias`.`c` (fills table and column), or a
 * table `db`.`t` (column ""); returns the tokens used, 0 when none of these.
 */
static size_t qualified(const toks *t, size_t i, const char *db, const aliases *a, char *table, char *column)
{
	const tok *k = &t->v[i];
	const char *at;
	if (k->kind != T_QIDENT || !is_punct(&k[1], '.') || k[2].kind != T_QIDENT)
		return 0;
	column[0] = '\0';
	if (strcmp(k->text, db) == 0) {
		memcpy(table, k[2].text, NAME_MAX_LEN);
		if (is_punct(&k[3], '.') && k[4].kind == T_QIDENT) {
			memcpy(column, k[4].text, NAME_MAX_LEN);
			return 5;
		}
		return 3;
	}
	if (!(at = alias_table(a, k->text)))
		return 0;
	snprintf(table, NAME_MAX_LEN, "%s", at);
	memcpy(column, k[2].text, NAME_MAX_LEN);
	return 3;
}

/* Pass one: every `db`.`t` with its alias (the table's own name when none). */
static void find_aliases(aliases *a, const toks *t, const char *db)
{
	for (size_t i = 0; t->v[i].kind != T_END; i++) {
		const tok *k = &t->v[i];
		if (k->kind != T_QIDENT || strcmp(k->text, db) != 0 || !is_punct(&k[1], '.') ||
		    k[2].kind != T_QIDENT || is_punct(&k[3], '.') || a->n >= MAX_ALIASES)
			continue;
		memcpy(a->table[a->n], k[2].text, NAME_MAX_LEN);
		if (k[3].kind == T_QIDENT && !is_punct(&k[4], '.'))
			memcpy(a->alias[a->n], k[3].text, NAME_MAX_LEN);
		else
			memcpy(a->alias[a->n], k[2].text, NAME_MAX_LEN);
		a->n++;
	}
}

static int add_ref(refs *r, const char *table, const char *column, unsigned access)
{
	int rc = push((void **)&r->v, &r->n, &r->cap, sizeof(ref));
	if (!rc) {
		memcpy(r->v[r->n - 1].table, table, NAME_MAX_LEN);
		memcpy(r->v[r->n - 1].column, column, NAME_MAX_LEN);
		r->v[r->n - 1].access = access;
	}
	return rc;
}

/* Every qualified name of the rewritten text; assignments after SET and INSERT's columns are writes. */
static int scan(refs *r, const toks *t, const char *db)
{
	char table[NAME_MAX_LEN], column[NAME_MAX_LEN];
	aliases *a = calloc(1, sizeof(*a));
	if (!a)
		return sl_error_nomem();
	find_aliases(a, t, db);
	bool update = is_word(&t->v[0], "update"), in_set = false;
	bool insert = is_word(&t->v[0], "insert") || is_word(&t->v[0], "replace");
	bool del = is_word(&t->v[0], "delete");
	int depth = 0, rc = 0;
	for (size_t i = 0; !rc && t->v[i].kind != T_END;) {
		const tok *k = &t->v[i];
		size_t n = qualified(t, i, db, a, table, column);
		if (!n) {
			depth += is_punct(k, '(') - is_punct(k, ')');
			if (depth == 0 && update && is_word(k, "set"))
				in_set = true;
			else if (depth == 0 &&
				 (is_word(k, "where") || is_word(k, "order") || is_word(k, "limit")))
				in_set = false;
			i++;
			continue;
		}
		unsigned access = SL_ACCESS_READ;
		bool target = (insert && i > 0 && is_word(&t->v[i - 1], "into")) ||
			      (del && i > 0 && is_word(&t->v[i - 1], "from") && i == 2);
		if (column[0] && in_set && depth == 0 && is_punct(&k[n], '=') &&
		    (is_word(&k[-1], "set") || is_punct(&k[-1], ',')))
			access = SL_ACCESS_WRITE;
		if (target && !column[0]) {
			access = SL_ACCESS_WRITE;
			if (insert && is_punct(&k[n], '(')) { /* insert into `db`.`t`(a,b) */
				size_t j = i + n + 1;
				for (; !rc && (t->v[j].kind == T_WORD || t->v[j].kind == T_QIDENT); j++) {
					rc = add_ref(r, table, t->v[j].text, SL_ACCESS_WRITE);
					if (is_punct(&t->v[j + 1], ','))
						j++;
				}
			}
		}
		if (!rc)
			rc = add_ref(r, table, column, access);
		i += n;
	}
	free(a);
	return rc;
}

static int collect_word(void *ud, const char *w, size_t len, bool quoted)
{
	words *ws = ud;
	(void)quoted;
	int rc = push((void **)&ws->v, &ws->n, &ws->cap, sizeof(char *));
	if (!rc && !(ws->v[ws->n - 1] = strndup(w, len)))
		rc = sl_error_nomem();
	return rc;
}

static bool named(const words *ws, const char *name)
{
	for (size_t i = 0; i < ws->n; i++)
		if (ws->v[i] && strcasecmp(ws->v[i], name) == 0)
			return true;
	return false;
}

/* Byte offset in sql of the text after "near '" in a MySQL syntax error, or -1. */
static long near_offset(const char *sql, const char *msg)
{
	const char *p = msg ? strstr(msg, "near '") : NULL, *e;
	char snippet[80];
	if (!p)
		return -1;
	p += 6;
	e = strstr(p, "' at line");
	size_t n = e ? (size_t)(e - p) : strlen(p);
	if (n == 0)
		return (long)strlen(sql);
	if (n >= sizeof(snippet))
		n = sizeof(snippet) - 1;
	memcpy(snippet, p, n);
	snippet[n] = '\0';
	const char *at = strstr(sql, snippet);
	return at ? (long)(at - sql) : -1;
}

/* Runs EXPLAIN (EXTENDED where the server has it) and returns the server's rewritten statement, or NULL. */
static int explain(sl_conn *c, const char *sql, char **rewritten, long *error_offset)
{
	sl_buf q = SL_BUF_INIT;
	sl_cursor *cur = NULL;
	sl_batch b = { 0 };
	char *first = NULL;
	int rc;

	*rewritten = NULL;
	if ((rc = sl_buf_printf(&q, "EXPLAIN EXTENDED %s", sql)))
		goto done;
	rc = sl_conn_query_text(c, sl_buf_cstr(&q), &first);
	if (rc == SL_EDB && sl_error_last()->engine_code == 1064) { /* MySQL 8 has no EXTENDED */
		sl_buf_clear(&q);
		if (!(rc = sl_buf_printf(&q, "EXPLAIN %s", sql)))
			rc = sl_conn_query_text(c, sl_buf_cstr(&q), &first);
	}
	if (rc == SL_EDB) {
		*error_offset = near_offset(sql, sl_error_last()->message);
		rc = sl_error_set(SL_EINVALID, "%s", sl_error_last()->message);
		goto done;
	}
	if (rc == SL_ENOTFOUND)
		rc = 0;
	if (rc || (rc = sl_conn_query(&cur, c, "SHOW WARNINGS")) || (rc = sl_batch_init(&b, 3, 16)))
		goto done;
	while (!*rewritten && (rc = sl_cursor_fetch(cur, &b, 16)) > 0) {
		for (size_t i = 0; i < b.nrows && !*rewritten; i++) {
			const sl_value *v = sl_batch_row(&b, i);
			sl_buf code = SL_BUF_INIT, msg = SL_BUF_INIT;
			if (!sl_value_format(&code, &v[1]) && strcmp(sl_buf_cstr(&code), "1003") == 0 &&
			    !sl_value_format(&msg, &v[2]))
				*rewritten = sl_buf_detach(&msg);
			sl_buf_free(&code);
			sl_buf_free(&msg);
		}
		sl_batch_reset(&b);
	}
	rc = rc < 0 ? rc : 0;
done:
	sl_cursor_close(cur);
	sl_batch_free(&b);
	sl_buf_free(&q);
	free(first);
	return rc;
}

static bool written(const refs *r, const char *table, const char *column)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].access == SL_ACCESS_WRITE && strcmp(r->v[i].table, table) == 0 &&
		    strcmp(r->v[i].column, column) == 0)
			return true;
	return false;
}

/*
 * Reports the server's references to tables the statement names (the rest
 * belong to merged views), then, for each of those tables, the columns the
 * statement names that the server's rewrite lost (constants, semi-joins),
 * then the views the statement names.
 */
static int report(const refs *r, const words *ws, const sl_schema *model, sl_touch_fn fn, void *ud)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < r->n; i++) {
		const ref *x = &r->v[i];
		const sl_table *t = model ? sl_schema_find_table(model, NULL, x->table) : NULL;
		bool cols = false;
		if (!named(ws, x->table))
			continue;
		if (x->column[0]) {
			rc = fn(ud, NULL, x->table, x->column, x->access);
			continue;
		}
		for (size_t k = 0; !rc && t && k < t->ncolumns; k++) {
			const char *c = t->columns[k].name;
			if (named(ws, c) && !written(r, x->table, c)) {
				rc = fn(ud, NULL, x->table, c, SL_ACCESS_READ);
				cols = true;
			}
		}
		for (size_t j = 0; j < r->n; j++)
			cols |= strcmp(r->v[j].table, x->table) == 0 && r->v[j].column[0] &&
				r->v[j].access == SL_ACCESS_READ;
		if (!rc && (x->access == SL_ACCESS_WRITE || !cols))
			rc = fn(ud, NULL, x->table, NULL, x->access);
	}
	for (size_t i = 0; !rc && model && i < model->nviews; i++)
		if (named(ws, model->views[i].name))
			rc = fn(ud, model->views[i].schema, model->views[i].name, NULL, SL_ACCESS_READ);
	return rc;
}

int sl_columns_mysql(sl_conn *c, const char *sql, const sl_schema *model, sl_touch_fn fn, void *ud,
		     long *error_offset)
{
	toks t = { 0 };
	refs r = { 0 };
	words ws = { 0 };
	char *rewritten = NULL;
	const char *db = sl_conn_database(c);
	int rc;

	*error_offset = -1;
	if ((rc = explain(c, sql, &rewritten, error_offset)))
		goto done;
	if (!rewritten) {
		rc = sl_error_set(SL_EINVALID,
				  "the server did not say how it reads this statement "
				  "(no note from EXPLAIN): declare what it touches with reads/writes");
		goto done;
	}
	if ((rc = tokenize(&t, rewritten)) || (rc = scan(&r, &t, db ? db : "")) ||
	    (rc = sl_sql_idents(sql, strlen(sql), collect_word, &ws)))
		goto done;
	rc = report(&r, &ws, model, fn, ud);
done:
	for (size_t i = 0; i < ws.n; i++)
		free(ws.v[i]);
	free(ws.v);
	free(r.v);
	free(t.v);
	free(rewritten);
	return rc;
}
