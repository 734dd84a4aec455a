/*
 * introspect_sqlite.c - reads an SQLite database's schema into the portable
 * model, through the public connection API only: sqlite_schema, the
 * table-valued PRAGMA functions (table_xinfo, index_list, index_xinfo,
 * foreign_key_list) and sqlite_sequence. What the PRAGMAs do not report
 * (CHECK clauses, generated-column expressions, AUTOINCREMENT, COLLATE,
 * constraint names, index expressions and predicates, trigger heads, view
 * bodies) is taken from the stored CREATE text with a small tokenizer that
 * respects quotes, comments and nesting; it never guesses past what it can
 * match. View dependencies come from SQLite's authorizer (db/sqlite_internal.h).
 * The rules are documented in docs/drivers/sqlite.md.
 */
#include "schema/introspect.h"
#include "sluice/sql.h"
#include "sluice/error.h"
#include "db/sqlite_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- a tokenizer for stored CREATE statements ------------------------ */

typedef enum { TK_END, TK_WORD, TK_QUOTED, TK_STRING, TK_PUNCT } tk_kind;

typedef struct tok {
	tk_kind kind;
	const char *p;
	size_t n;
} tok;

typedef struct scan {
	const char *p, *end;
} scan;

static void skip_space(scan *s)
{
	while (s->p < s->end) {
		if (isspace((unsigned char)*s->p)) {
			s->p++;
		} else if (s->end - s->p >= 2 && s->p[0] == '-' && s->p[1] == '-') {
			while (s->p < s->end && *s->p != '\n')
				s->p++;
		} else if (s->end - s->p >= 2 && s->p[0] == '/' && s->p[1] == '*') {
			const char *q = s->p + 2;
			while (q + 1 < s->end && !(q[0] == '*' && q[1] == '/'))
				q++;
			s->p = q + 1 < s->end ? q + 2 : s->end;
		} else {
			break;
		}
	}
}

static tok next_tok(scan *s)
{
	tok t = { .kind = TK_END, .p = s->end, .n = 0 };
	skip_space(s);
	if (s->p >= s->end)
		return t;
	const char *q = s->p;
	char c = *q;
	t.p = q;
	if (c == '"' || c == '`' || c == '[' || c == '\'') {
		char close = c == '[' ? ']' : c;
		q++;
		while (q < s->end) {
			if (*q == close) {
				if (close != ']' && q + 1 < s->end && q[1] == close) {
					q += 2;
					continue;
				}
				q++;
				break;
			}
			q++;
		}
		t.kind = c == '\'' ? TK_STRING : TK_QUOTED;
	} else if (sl_sql_word_char((unsigned char)c)) {
		while (q < s->end && sl_sql_word_char((unsigned char)*q))
			q++;
		t.kind = TK_WORD;
	} else {
		q++;
		t.kind = TK_PUNCT;
	}
	t.n = (size_t)(q - t.p);
	s->p = q;
	return t;
}

static bool is_kw(tok t, const char *kw)
{
	return t.kind == TK_WORD && strlen(kw) == t.n && strncasecmp(t.p, kw, t.n) == 0;
}

static bool is_punct(tok t, char c)
{
	return t.kind == TK_PUNCT && *t.p == c;
}

/* With s just past a '(', moves s past the matching ')' and returns where it is (NULL if none). */
static const char *skip_group(scan *s)
{
	int depth = 1;
	for (;;) {
		tok t = next_tok(s);
		if (t.kind == TK_END)
			return NULL;
		if (is_punct(t, '('))
			depth++;
		else if (is_punct(t, ')') && --depth == 0)
			return t.p;
	}
}

/* Copies [p, p+n) trimmed of blanks into the arena. */
static char *trimmed(sl_arena *a, const char *p, size_t n)
{
	while (n && isspace((unsigned char)*p))
		p++, n--;
	while (n && (isspace((unsigned char)p[n - 1]) || p[n - 1] == ';'))
		n--;
	return sl_arena_strndup(a, p, n);
}

/* An identifier token without its quotes ("a""b" -> a"b). */
static char *unquote(sl_arena *a, tok t)
{
	if (t.kind != TK_QUOTED || t.n < 2)
		return sl_arena_strndup(a, t.p, t.n);
	char open = t.p[0], close = open == '[' ? ']' : open;
	char *r = sl_arena_alloc(a, t.n);
	if (!r)
		return NULL;
	size_t j = 0;
	for (size_t i = 1; i + 1 < t.n; i++) {
		r[j++] = t.p[i];
		if (close != ']' && t.p[i] == close && t.p[i + 1] == close)
			i++;
	}
	r[j] = '\0';
	return r;
}

/* ---- what the CREATE TABLE text says ---------------------------------- */

typedef struct pcol {
	char *name;
	char *generated; /* expression inside AS (...) */
	char *collation;
	bool autoincrement;
} pcol;

typedef struct pcheck {
	char *name;
	char *expr;
} pcheck;

typedef struct pfk {
	char *name;
	char *key; /* child columns, lower case, comma-joined */
	bool deferrable;
} pfk;

typedef struct ptable {
	pcol *cols;
	size_t ncols, cap_cols;
	pcheck *checks;
	size_t nchecks, cap_checks;
	pfk *fks;
	size_t nfks, cap_fks;
	bool without_rowid;
	bool autoincrement;
} ptable;

#define APUSH(a, arr, n, cap) sl_arena_push((a), &(arr), &(n), &(cap), sizeof(*(arr)))

static char *lower_dup(sl_arena *a, const char *s)
{
	char *r = sl_arena_strdup(a, s);
	for (char *p = r; p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return r;
}

/* Reads "(a, b)" after FOREIGN KEY into a lower-case comma-joined key. */
static char *fk_columns(sl_arena *a, scan *s)
{
	sl_buf key = SL_BUF_INIT;
	char *r = NULL;
	if (!is_punct(next_tok(s), '('))
		goto done;
	for (tok t = next_tok(s); t.kind != TK_END && !is_punct(t, ')'); t = next_tok(s)) {
		if (is_punct(t, ','))
			continue;
		char *name = unquote(a, t);
		if (!name || (key.len && sl_buf_putc(&key, ',')) || sl_buf_puts(&key, name))
			goto done;
	}
	r = lower_dup(a, sl_buf_cstr(&key));
done:
	sl_buf_free(&key);
	return r;
}

/*
 * Scans the constraints of one column definition (col != NULL) or one
 * table constraint (col == NULL) in [s->p, s->end).
 */
static int scan_constraints(sl_arena *a, ptable *pt, pcol *col, scan *s)
{
	char *pending = NULL; /* CONSTRAINT name waiting for its constraint */
	pfk *fk = NULL;       /* the foreign key being read in this item */
	bool prev_not = false;
	for (tok t = next_tok(s); t.kind != TK_END; t = next_tok(s)) {
		bool was_not = prev_not;
		prev_not = is_kw(t, "NOT");
		if (is_kw(t, "CONSTRAINT")) {
			pending = unquote(a, next_tok(s));
		} else if (is_kw(t, "CHECK")) {
			tok open = next_tok(s);
			const char *close = is_punct(open, '(') ? skip_group(s) : NULL;
			if (!close)
				continue;
			pcheck *c = APUSH(a, pt->checks, pt->nchecks, pt->cap_checks);
			if (!c)
				return SL_ENOMEM;
			c->name = pending;
			c->expr = trimmed(a, open.p + 1, (size_t)(close - open.p - 1));
			pending = NULL;
		} else if (col && is_kw(t, "AS")) {
			tok open = next_tok(s);
			const char *close = is_punct(open, '(') ? skip_group(s) : NULL;
			if (close)
				col->generated = trimmed(a, open.p + 1, (size_t)(close - open.p - 1));
			pending = NULL;
		} else if (is_kw(t, "AUTOINCREMENT")) {
			if (col)
				col->autoincrement = true;
			pt->autoincrement = true;
		} else if (col && is_kw(t, "COLLATE")) {
			col->collation = unquote(a, next_tok(s));
		} else if (is_kw(t, "FOREIGN") || (is_kw(t, "REFERENCES") && !fk)) {
			fk = APUSH(a, pt->fks, pt->nfks, pt->cap_fks);
			if (!fk)
				return SL_ENOMEM;
			fk->name = pending;
			pending = NULL;
			if (is_kw(t, "FOREIGN")) {
				next_tok(s); /* KEY */
				fk->key = fk_columns(a, s);
			} else {
				fk->key = col ? lower_dup(a, col->name) : NULL;
			}
		} else if (is_kw(t, "DEFERRABLE")) {
			if (fk)
				fk->deferrable = !was_not;
		} else if (is_kw(t, "DEFAULT")) {
			tok v = next_tok(s);
			if (is_punct(v, '('))
				skip_group(s);
			else if (is_punct(v, '-') || is_punct(v, '+'))
				next_tok(s);
			pending = NULL;
		} else if (is_punct(t, '(')) {
			skip_group(s);
		} else if (is_kw(t, "PRIMARY") || is_kw(t, "UNIQUE") || is_kw(t, "NULL")) {
			pending = NULL;
		}
	}
	return 0;
}

/* Splits the table body into items at top-level commas and scans each. */
static int parse_create_table(sl_arena *a, const char *sql, ptable *pt)
{
	scan s = { .p = sql, .end = sql + strlen(sql) };
	tok t;
	memset(pt, 0, sizeof(*pt));
	do
		t = next_tok(&s);
	while (t.kind != TK_END && !is_punct(t, '('));
	if (t.kind == TK_END)
		return 0;
	const char *body = s.p;
	const char *close = skip_group(&s);
	if (!close)
		return 0;
	for (tok w = next_tok(&s); w.kind != TK_END; w = next_tok(&s))
		if (is_kw(w, "ROWID"))
			pt->without_rowid = true;

	scan item = { .p = body, .end = close };
	while (item.p < close) {
		/* find the end of this item */
		scan probe = item;
		const char *item_end = close;
		for (tok u = next_tok(&probe); u.kind != TK_END; u = next_tok(&probe)) {
			if (is_punct(u, '('))
				skip_group(&probe);
			else if (is_punct(u, ',')) {
				item_end = u.p;
				break;
			}
		}
		scan one = { .p = item.p, .end = item_end };
		scan head = one;
		tok first = next_tok(&head);
		bool table_constraint = is_kw(first, "CONSTRAINT") || is_kw(first, "PRIMARY") ||
					is_kw(first, "UNIQUE") || is_kw(first, "CHECK") ||
					is_kw(first, "FOREIGN");
		int rc;
		if (first.kind == TK_END) {
			rc = 0;
		} else if (table_constraint) {
			rc = scan_constraints(a, pt, NULL, &one);
		} else {
			pcol *c = APUSH(a, pt->cols, pt->ncols, pt->cap_cols);
			if (!c || !(c->name = unquote(a, first)))
				return SL_ENOMEM;
			rc = scan_constraints(a, pt, c, &head);
		}
		if (rc)
			return rc;
		item.p = item_end < close ? item_end + 1 : close;
	}
	return 0;
}

static pcol *find_pcol(ptable *pt, const char *name)
{
	for (size_t i = 0; i < pt->ncols; i++)
		if (strcasecmp(pt->cols[i].name, name) == 0)
			return &pt->cols[i];
	return NULL;
}

/* ---- query helpers ---------------------------------------------------- */

/* Runs sql and keeps every row in b (initialised here; caller frees). */
static int fetch_all(sl_conn *c, const char *sql, sl_batch *b)
{
	sl_cursor *cur = NULL;
	int rc = sl_conn_query(&cur, c, sql);
	if (rc) {
		memset(b, 0, sizeof(*b));
		return rc;
	}
	rc = sl_batch_init(b, sl_cursor_ncols(cur), 16);
	int n;
	while (!rc && (n = sl_cursor_fetch(cur, b, 256)) != 0)
		if (n < 0)
			rc = n;
	sl_cursor_close(cur);
	if (rc)
		sl_batch_free(b);
	return rc;
}

/* The value as a string in the model's arena; NULL for SQL NULL. */
static const char *vstr(sl_schema *s, const sl_value *v)
{
	if (v->type == SL_V_NULL)
		return NULL;
	if (v->type == SL_V_TEXT || v->type == SL_V_DECIMAL || v->type == SL_V_JSON)
		return sl_arena_strndup(s->arena, v->u.s.ptr, v->u.s.len);
	sl_buf b = SL_BUF_INIT;
	const char *r = NULL;
	if (sl_value_format(&b, v) == 0)
		r = sl_arena_strndup(s->arena, sl_buf_cstr(&b), b.len);
	sl_buf_free(&b);
	return r;
}

static int64_t vint(const sl_value *v)
{
	if (v->type == SL_V_INT)
		return v->u.i;
	if (v->type == SL_V_BOOL)
		return v->u.b;
	return 0;
}

/* Builds "SELECT <cols> FROM pragma_<fn>('<arg>', 'main')". */
static int pragma_sql(sl_conn *c, sl_buf *out, const char *cols, const char *fn, const char *arg)
{
	sl_value v = sl_text(arg);
	sl_buf_clear(out);
	int rc = sl_buf_printf(out, "SELECT %s FROM pragma_%s(", cols, fn);
	if (!rc)
		rc = sl_conn_quote_literal(c, out, &v);
	return rc ? rc : sl_buf_puts(out, ", 'main')");
}

/* ---- tables ----------------------------------------------------------- */

/* One sqlite_schema row. */
typedef struct obj {
	const char *type, *name, *tbl, *sql;
} obj;

typedef struct ictx {
	sl_schema *s;
	sl_conn *c;
	sl_arena *tmp;
	const sl_introspect_opts *opts;
	obj *objs;
	size_t nobjs;
	sl_buf sql;
} ictx;

static int read_columns(ictx *x, sl_table *t, ptable *pt)
{
	sl_batch b;
	int rc = pragma_sql(x->c, &x->sql, "name, type, \"notnull\", dflt_value, pk, hidden", "table_xinfo",
			    t->name);
	if (!rc)
		rc = fetch_all(x->c, x->sql.ptr, &b);
	if (rc)
		return rc;
	size_t npk = 0;
	const char *pkcols[64];
	int pkord[64];
	for (size_t r = 0; !rc && r < b.nrows; r++) {
		const sl_value *row = sl_batch_row(&b, r);
		int64_t hidden = vint(&row[5]);
		if (hidden == 1) /* a virtual table's hidden column */
			continue;
		sl_column *col = sl_table_add_column(x->s, t, vstr(x->s, &row[0]));
		if (!col) {
			rc = SL_ENOMEM;
			break;
		}
		const char *decl = vstr(x->s, &row[1]);
		col->decl_type = decl ? decl : "";
		char elem[128];
		sl_sqlite_decl_type(col->decl_type, &col->type, elem, sizeof(elem));
		if (col->type.elem)
			col->type.elem = sl_schema_strdup(x->s, elem);
		col->nullable = vint(&row[2]) == 0;
		col->default_expr = vstr(x->s, &row[3]);
		pcol *pc = find_pcol(pt, col->name);
		if (hidden == 2 || hidden == 3) {
			col->generated_stored = hidden == 3;
			col->generated_expr =
				pc && pc->generated ? sl_schema_strdup(x->s, pc->generated) : "";
		}
		if (pc && pc->collation)
			col->collation = sl_schema_strdup(x->s, pc->collation);
		int64_t pk = vint(&row[4]);
		if (pk > 0 && npk < 64) {
			pkcols[npk] = col->name;
			pkord[npk++] = (int)pk;
		}
	}
	if (!rc && npk) {
		t->primary_key = sl_arena_calloc(x->s->arena, 1, sizeof(sl_key));
		if (!t->primary_key)
			rc = SL_ENOMEM;
		for (int ord = 1; !rc && ord <= (int)npk; ord++)
			for (size_t i = 0; i < npk; i++)
				if (pkord[i] == ord)
					rc = sl_schema_strlist_add(x->s, &t->primary_key->columns,
								   &t->primary_key->ncolumns, pkcols[i]);
	}
	/* INTEGER PRIMARY KEY is the rowid: never NULL, assigned when omitted */
	if (!rc && npk == 1 && !pt->without_rowid) {
		sl_column *col = sl_table_find_column(t, pkcols[0]);
		if (col && strcasecmp(col->decl_type, "INTEGER") == 0) {
			col->identity = true;
			col->nullable = false;
		}
	}
	sl_batch_free(&b);
	return rc;
}

/* Index items and WHERE predicate from the CREATE INDEX text. */
static int parse_index_sql(ictx *x, const char *sql, const char ***items, size_t *nitems, const char **where)
{
	scan s = { .p = sql, .end = sql + strlen(sql) };
	tok t;
	*items = NULL;
	*nitems = 0;
	*where = NULL;
	do
		t = next_tok(&s);
	while (t.kind != TK_END && !is_punct(t, '('));
	if (t.kind == TK_END)
		return 0;
	const char *start = s.p;
	for (;;) {
		tok u = next_tok(&s);
		if (u.kind == TK_END)
			return 0;
		if (is_punct(u, '(')) {
			skip_group(&s);
			continue;
		}
		if (!is_punct(u, ',') && !is_punct(u, ')'))
			continue;
		/* an item ends: drop a trailing ASC/DESC */
		const char *end = u.p;
		scan back = { .p = start, .end = end };
		const char *last_start = NULL;
		for (tok w = next_tok(&back); w.kind != TK_END; w = next_tok(&back))
			last_start = (is_kw(w, "ASC") || is_kw(w, "DESC")) ? w.p : NULL;
		if (last_start)
			end = last_start;
		char *item = trimmed(x->tmp, start, (size_t)(end - start));
		if (!item || sl_schema_strlist_add(x->s, items, nitems, item))
			return SL_ENOMEM;
		if (is_punct(u, ')'))
			break;
		start = s.p;
	}
	for (tok w = next_tok(&s); w.kind != TK_END; w = next_tok(&s))
		if (is_kw(w, "WHERE")) {
			*where = trimmed(x->s->arena, s.p, (size_t)(s.end - s.p));
			break;
		}
	return 0;
}

static const obj *find_obj(ictx *x, const char *type, const char *name)
{
	for (size_t i = 0; i < x->nobjs; i++)
		if (strcmp(x->objs[i].type, type) == 0 && strcmp(x->objs[i].name, name) == 0)
			return &x->objs[i];
	return NULL;
}

static int read_index_columns(ictx *x, sl_index *ix, const char *sql)
{
	const char **items = NULL;
	size_t nitems = 0;
	const char *where = NULL;
	sl_batch b;
	int rc = 0;
	if (sql) {
		rc = parse_index_sql(x, sql, &items, &nitems, &where);
		ix->where = where;
	}
	if (!rc)
		rc = pragma_sql(x->c, &x->sql, "seqno, cid, name", "index_xinfo", ix->name);
	if (!rc)
		rc = sl_buf_puts(&x->sql, " WHERE key = 1 ORDER BY seqno");
	if (!rc)
		rc = fetch_all(x->c, x->sql.ptr, &b);
	if (rc)
		return rc;
	ix->is_expression = sl_arena_calloc(x->s->arena, b.nrows ? b.nrows : 1, sizeof(bool));
	if (!ix->is_expression)
		rc = SL_ENOMEM;
	for (size_t r = 0; !rc && r < b.nrows; r++) {
		const sl_value *row = sl_batch_row(&b, r);
		int64_t seq = vint(&row[0]), cid = vint(&row[1]);
		const char *name = vstr(x->s, &row[2]);
		if (cid == -2) {
			ix->is_expression[ix->ncolumns] = true;
			name = seq >= 0 && (size_t)seq < nitems ? items[seq] : "?";
		} else if (cid == -1) {
			name = "rowid";
		}
		rc = sl_schema_strlist_add(x->s, &ix->columns, &ix->ncolumns, name);
	}
	sl_batch_free(&b);
	return rc;
}

static int read_indexes(ictx *x, sl_table *t)
{
	sl_batch b;
	int rc = pragma_sql(x->c, &x->sql, "name, \"unique\", origin, partial", "index_list", t->name);
	if (!rc)
		rc = fetch_all(x->c, x->sql.ptr, &b);
	if (rc)
		return rc;
	for (size_t r = 0; !rc && r < b.nrows; r++) {
		const sl_value *row = sl_batch_row(&b, r);
		const char *name = vstr(x->s, &row[0]);
		const char *origin = vstr(x->s, &row[2]);
		sl_index *ix = sl_table_add_index(x->s, t, name);
		if (!ix || !origin) {
			rc = SL_ENOMEM;
			break;
		}
		const obj *o = find_obj(x, "index", name);
		ix->unique = vint(&row[1]) != 0;
		ix->primary = strcmp(origin, "pk") == 0;
		ix->definition = o && o->sql ? sl_schema_strdup(x->s, o->sql) : NULL;
		rc = read_index_columns(x, ix, o ? o->sql : NULL);
		if (!rc && strcmp(origin, "u") == 0) {
			sl_key *k = sl_table_add_unique(x->s, t, NULL);
			if (!k)
				rc = SL_ENOMEM;
			for (size_t i = 0; !rc && i < ix->ncolumns; i++)
				rc = sl_schema_strlist_add(x->s, &k->columns, &k->ncolumns, ix->columns[i]);
		}
	}
	sl_batch_free(&b);
	return rc;
}

static sl_fk_action fk_action(const char *s)
{
	if (!s)
		return SL_FK_NO_ACTION;
	if (strcasecmp(s, "RESTRICT") == 0)
		return SL_FK_RESTRICT;
	if (strcasecmp(s, "CASCADE") == 0)
		return SL_FK_CASCADE;
	if (strcasecmp(s, "SET NULL") == 0)
		return SL_FK_SET_NULL;
	if (strcasecmp(s, "SET DEFAULT") == 0)
		return SL_FK_SET_DEFAULT;
	return SL_FK_NO_ACTION;
}

/* A parent given without columns references its primary key. */
static int parent_pk_column(ictx *x, const char *parent, size_t seq, const char **out)
{
	sl_batch b;
	*out = NULL;
	int rc = pragma_sql(x->c, &x->sql, "name", "table_info", parent);
	if (!rc)
		rc = sl_buf_printf(&x->sql, " WHERE pk = %zu", seq + 1);
	if (!rc)
		rc = fetch_all(x->c, x->sql.ptr, &b);
	if (rc)
		return rc;
	if (b.nrows)
		*out = vstr(x->s, sl_batch_row(&b, 0));
	sl_batch_free(&b);
	return 0;
}

/* Gives the foreign key the name and DEFERRABLE the CREATE text declared for its columns. */
static void match_fk_text(ictx *x, sl_fkey *fk, ptable *pt)
{
	sl_buf key = SL_BUF_INIT;
	for (size_t i = 0; i < fk->ncolumns; i++)
		if ((i && sl_buf_putc(&key, ',')) || sl_buf_puts(&key, fk->columns[i]))
			goto done;
	for (char *p = key.ptr; p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	for (size_t i = 0; i < pt->nfks; i++)
		if (pt->fks[i].key && strcmp(pt->fks[i].key, sl_buf_cstr(&key)) == 0) {
			fk->name = sl_schema_strdup(x->s, pt->fks[i].name);
			fk->deferrable = pt->fks[i].deferrable;
			break;
		}
done:
	sl_buf_free(&key);
}

static int read_fkeys(ictx *x, sl_table *t, ptable *pt)
{
	sl_batch b;
	int rc = pragma_sql(x->c, &x->sql, "id, seq, \"table\", \"from\", \"to\", on_update, on_delete",
			    "foreign_key_list", t->name);
	if (!rc)
		rc = sl_buf_puts(&x->sql, " ORDER BY id, seq");
	if (!rc)
		rc = fetch_all(x->c, x->sql.ptr, &b);
	if (rc)
		return rc;
	sl_fkey *fk = NULL;
	int64_t cur_id = -1;
	size_t nref = 0;
	for (size_t r = 0; !rc && r < b.nrows; r++) {
		const sl_value *row = sl_batch_row(&b, r);
		if (!fk || vint(&row[0]) != cur_id) {
			if (fk)
				match_fk_text(x, fk, pt);
			cur_id = vint(&row[0]);
			nref = 0; /* ref_columns runs parallel to columns */
			fk = sl_table_add_fkey(x->s, t, NULL);
			if (!fk) {
				rc = SL_ENOMEM;
				break;
			}
			fk->ref_table = vstr(x->s, &row[2]);
			fk->on_update = fk_action(vstr(x->s, &row[5]));
			fk->on_delete = fk_action(vstr(x->s, &row[6]));
		}
		const char *to = vstr(x->s, &row[4]);
		if (!to)
			rc = parent_pk_column(x, fk->ref_table, (size_t)vint(&row[1]), &to);
		if (!rc)
			rc = sl_schema_strlist_add(x->s, &fk->columns, &fk->ncolumns, vstr(x->s, &row[3]));
		if (!rc)
			rc = sl_schema_strlist_add(x->s, &fk->ref_columns, &nref, to);
	}
	if (!rc && fk)
		match_fk_text(x, fk, pt);
	sl_batch_free(&b);
	return rc;
}

static int count_rows(ictx *x, sl_table *t)
{
	sl_buf_clear(&x->sql);
	int rc = sl_buf_puts(&x->sql, "SELECT count(*) FROM main.");
	if (!rc)
		rc = sl_conn_quote_ident(x->c, &x->sql, t->name);
	if (!rc)
		rc = sl_conn_query_int(x->c, x->sql.ptr, &t->row_count);
	if (!rc)
		t->row_count_exact = true;
	return rc;
}

static int add_sequence(ictx *x, sl_table *t, int64_t last)
{
	for (size_t i = 0; i < x->s->nsequences; i++)
		if (strcmp(x->s->sequences[i].name, t->name) == 0) {
			x->s->sequences[i].last_value = last;
			return 0;
		}
	sl_sequence *q = sl_schema_add_sequence(x->s, "main", t->name);
	if (!q)
		return SL_ENOMEM;
	q->last_value = last;
	q->owned_by_table = t->name;
	for (size_t i = 0; i < t->ncolumns; i++)
		if (t->columns[i].identity)
			q->owned_by_column = t->columns[i].name;
	return 0;
}

static int read_table(ictx *x, const obj *o)
{
	ptable pt;
	sl_table *t = sl_schema_add_table(x->s, "main", o->name);
	if (!t)
		return SL_ENOMEM;
	int rc = parse_create_table(x->tmp, o->sql ? o->sql : "", &pt);
	if (!rc)
		rc = read_columns(x, t, &pt);
	if (!rc)
		rc = read_indexes(x, t);
	if (!rc)
		rc = read_fkeys(x, t, &pt);
	for (size_t i = 0; !rc && i < pt.nchecks; i++)
		if (!sl_table_add_check(x->s, t, pt.checks[i].name, pt.checks[i].expr))
			rc = SL_ENOMEM;
	if (!rc && pt.autoincrement)
		rc = add_sequence(x, t, 0);
	if (!rc && x->opts->exact_counts)
		rc = count_rows(x, t);
	if (rc)
		sl_error_prefix("table \"%s\"", o->name);
	return rc;
}

/* ---- views, triggers, sequences -------------------------------------- */

struct view_reads {
	sl_schema *s;
	sl_view *v;
	bool through_view; /* reads arrive via the view itself (SELECT * FROM v) */
};

static int on_read(void *p, const char *db, const char *table, const char *column, const char *via)
{
	struct view_reads *r = p;
	if (r->through_view ? !via || strcmp(via, r->v->name) != 0 : via != NULL)
		return 0;
	if (strcmp(table, r->v->name) == 0)
		return 0;
	return sl_view_add_read(r->s, r->v, db ? db : "main", table, column && *column ? column : NULL);
}

/* The SELECT after the top-level AS of CREATE VIEW. */
static const char *view_body(sl_arena *a, const char *sql)
{
	scan s = { .p = sql, .end = sql + strlen(sql) };
	for (tok t = next_tok(&s); t.kind != TK_END; t = next_tok(&s)) {
		if (is_punct(t, '('))
			skip_group(&s);
		else if (is_kw(t, "AS"))
			return trimmed(a, s.p, (size_t)(s.end - s.p));
	}
	return NULL;
}

static int read_view(ictx *x, const obj *o)
{
	sl_view *v = sl_schema_add_view(x->s, "main", o->name);
	if (!v)
		return SL_ENOMEM;
	v->definition = o->sql ? view_body(x->s->arena, o->sql) : NULL;
	struct view_reads r = { .s = x->s, .v = v, .through_view = false };
	int rc = v->definition ? sl_sqlite_statement_reads(x->c, v->definition, on_read, &r) : SL_EDB;
	if (rc == SL_EDB) {
		/* the body did not stand alone (or was not found): go through the view */
		r.through_view = true;
		sl_buf_clear(&x->sql);
		rc = sl_buf_puts(&x->sql, "SELECT * FROM main.");
		if (!rc)
			rc = sl_conn_quote_ident(x->c, &x->sql, o->name);
		if (!rc)
			rc = sl_sqlite_statement_reads(x->c, x->sql.ptr, on_read, &r);
	}
	if (rc)
		sl_error_prefix("view \"%s\"", o->name);
	return rc;
}

/* Timing and event from "CREATE [TEMP] TRIGGER [IF NOT EXISTS] name <timing> <event> ON". */
static int read_trigger(ictx *x, const obj *o)
{
	sl_trigger *tr = sl_schema_add_trigger(x->s, "main", o->name);
	if (!tr)
		return SL_ENOMEM;
	tr->table = sl_schema_strdup(x->s, o->tbl);
	tr->definition = sl_schema_strdup(x->s, o->sql);
	tr->for_each_row = true; /* SQLite has only row triggers */
	tr->timing = "BEFORE";   /* SQLite's default when none is written */
	scan s = { .p = o->sql ? o->sql : "", .end = NULL };
	s.end = s.p + strlen(s.p);
	tok t;
	do
		t = next_tok(&s);
	while (t.kind != TK_END && !is_kw(t, "TRIGGER"));
	t = next_tok(&s);
	if (is_kw(t, "IF")) {
		next_tok(&s);
		next_tok(&s);
		t = next_tok(&s);
	}
	/* t is the name, perhaps schema-qualified */
	t = next_tok(&s);
	if (is_punct(t, '.')) {
		next_tok(&s);
		t = next_tok(&s);
	}
	if (is_kw(t, "BEFORE") || is_kw(t, "AFTER")) {
		tr->timing = is_kw(t, "BEFORE") ? "BEFORE" : "AFTER";
		t = next_tok(&s);
	} else if (is_kw(t, "INSTEAD")) {
		tr->timing = "INSTEAD OF";
		next_tok(&s);
		t = next_tok(&s);
	}
	if (is_kw(t, "INSERT"))
		tr->events = "INSERT";
	else if (is_kw(t, "UPDATE"))
		tr->events = "UPDATE";
	else if (is_kw(t, "DELETE"))
		tr->events = "DELETE";
	return 0;
}

static int read_sqlite_sequence(ictx *x)
{
	sl_batch b;
	if (!find_obj(x, "table", "sqlite_sequence"))
		return 0;
	int rc = fetch_all(x->c, "SELECT name, seq FROM main.sqlite_sequence", &b);
	for (size_t r = 0; !rc && r < b.nrows; r++) {
		const sl_value *row = sl_batch_row(&b, r);
		const char *name = vstr(x->s, &row[0]);
		sl_table *t = name ? sl_schema_find_table(x->s, NULL, name) : NULL;
		if (t)
			rc = add_sequence(x, t, vint(&row[1]));
	}
	sl_batch_free(&b);
	return rc;
}

/* ---- the entry point -------------------------------------------------- */

static bool skipped(ictx *x, const char *name)
{
	if (strncmp(name, "sqlite_", 7) == 0)
		return true;
	return !x->opts->include_sluice && strncasecmp(name, "sluice_", 7) == 0;
}

static int read_objects(ictx *x, sl_batch *b)
{
	int rc = fetch_all(x->c,
			   "SELECT type, name, tbl_name, sql FROM main.sqlite_schema"
			   " WHERE type IN ('table', 'view', 'index', 'trigger') ORDER BY rowid",
			   b);
	if (rc)
		return rc;
	x->objs = sl_arena_calloc(x->tmp, b->nrows ? b->nrows : 1, sizeof(obj));
	if (!x->objs)
		return SL_ENOMEM;
	for (size_t r = 0; r < b->nrows; r++) {
		const sl_value *row = sl_batch_row(b, r);
		obj *o = &x->objs[x->nobjs++];
		o->type = vstr(x->s, &row[0]);
		o->name = vstr(x->s, &row[1]);
		o->tbl = vstr(x->s, &row[2]);
		o->sql = vstr(x->s, &row[3]);
		if (!o->type || !o->name || !o->tbl)
			return SL_ENOMEM;
	}
	return 0;
}

int sl_introspect_sqlite(sl_schema **out, sl_conn *c, const sl_introspect_opts *opts)
{
	ictx x = { .c = c, .opts = opts, .sql = SL_BUF_INIT };
	sl_batch objs = { 0 };
	int rc = 0;

	*out = NULL;
	rc = sl_schema_new(&x.s, SL_ENGINE_SQLITE);
	if (rc)
		goto done;
	x.tmp = sl_arena_new(0);
	if (!x.tmp) {
		rc = SL_ENOMEM;
		goto done;
	}
	x.s->server_version = sl_schema_strdup(x.s, sl_conn_server_version(c));
	x.s->database = sl_schema_strdup(x.s, sl_conn_database(c));
	rc = read_objects(&x, &objs);
	for (size_t i = 0; !rc && i < x.nobjs; i++) {
		const obj *o = &x.objs[i];
		if (skipped(&x, o->name))
			continue;
		if (strcmp(o->type, "table") == 0)
			rc = read_table(&x, o);
		else if (strcmp(o->type, "view") == 0)
			rc = read_view(&x, o);
		else if (strcmp(o->type, "trigger") == 0 && !skipped(&x, o->tbl))
			rc = read_trigger(&x, o);
	}
	if (!rc)
		rc = read_sqlite_sequence(&x);
	if (rc)
		goto done;
	*out = x.s;
	x.s = NULL;
done:
	sl_batch_free(&objs);
	sl_buf_free(&x.sql);
	sl_arena_free(x.tmp);
	sl_schema_free(x.s);
	return rc;
}
