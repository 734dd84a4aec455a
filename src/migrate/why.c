/*
 * why.c - `sluice why OBJECT`: which migrations created or changed a table,
 * a column or an index, found by scanning each migration's up statements for
 * the object's name (sl_sql_idents: strings and comments are skipped, so a
 * name inside a literal does not count). OBJECT is "table", "table.column"
 * or an index name. Bare words compare case-insensitively, quoted ones exactly.
 */
#include "sluice/migrate.h"

#include "sluice/error.h"
#include "sluice/sql.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_WORDS 4096

typedef struct word {
	const char *p;
	size_t n;
	bool quoted;
} word;

typedef struct words {
	word w[MAX_WORDS];
	size_t n;
} words;

static int collect(void *ud, const char *p, size_t n, bool quoted)
{
	words *ws = ud;
	if (ws->n < MAX_WORDS)
		ws->w[ws->n++] = (word){ p, n, quoted };
	return 0;
}

static bool is(const word *w, const char *s)
{
	size_t n = strlen(s);
	if (w->n != n)
		return false;
	return w->quoted ? memcmp(w->p, s, n) == 0 : strncasecmp(w->p, s, n) == 0;
}

static bool kw(const word *w, const char *s)
{
	return !w->quoted && w->n == strlen(s) && strncasecmp(w->p, s, w->n) == 0;
}

static long find(const words *ws, const char *name, size_t from)
{
	for (size_t i = from; i < ws->n; i++)
		if (is(&ws->w[i], name))
			return (long)i;
	return -1;
}

/* The statement's kind ("create table", "alter table", ...) in lower case. */
static void kind_of(char *out, size_t cap, const words *ws)
{
	size_t j = 0;
	out[0] = '\0';
	for (size_t i = 0; i < ws->n && i < 4; i++) {
		const word *w = &ws->w[i];
		if (w->quoted)
			break;
		if (i > 0 &&
		    !(kw(w, "table") || kw(w, "index") || kw(w, "view") || kw(w, "trigger") ||
		      kw(w, "unique") || kw(w, "sequence") || kw(w, "type") || kw(w, "materialized") ||
		      kw(w, "or") || kw(w, "replace") || kw(w, "temporary") || kw(w, "function") ||
		      /* expand/contract operations: "rename column", "set not null", "add foreign key" */
		      kw(w, "column") || kw(w, "columns") || kw(w, "not") || kw(w, "null") ||
		      kw(w, "check") || kw(w, "foreign") || kw(w, "key")))
			break;
		for (size_t k = 0; k < w->n && j + 2 < cap; k++)
			out[j++] = (char)tolower((unsigned char)w->p[k]);
		if (j + 1 < cap)
			out[j++] = ' ';
		out[j] = '\0';
	}
	if (j && out[j - 1] == ' ')
		out[j - 1] = '\0';
}

/* For ALTER TABLE: the sub-command keyword closest before position pos. */
static const char *alter_action(const words *ws, long pos)
{
	static const char *const acts[] = { "add", "drop", "rename", "alter", "modify", "change" };
	for (long i = pos; i >= 0; i--)
		for (size_t a = 0; a < sizeof(acts) / sizeof(acts[0]); a++)
			if (kw(&ws->w[i], acts[a]) && i > 2)
				return acts[a];
	return NULL;
}

static int add_hit(sl_why *w, const sl_mig_status *s, const char *action, const sl_stmt *st)
{
	sl_why_hit *nh = realloc(w->hits, (w->n + 1) * sizeof(*nh));
	if (!nh)
		return sl_error_nomem();
	w->hits = nh;
	sl_why_hit *h = &w->hits[w->n];
	memset(h, 0, sizeof(*h));
	h->status = s;
	h->line = st->line;
	snprintf(h->action, sizeof(h->action), "%s", action);
	size_t n = st->len > 300 ? 300 : st->len;
	h->statement = malloc(n + 4);
	if (!h->statement)
		return sl_error_nomem();
	memcpy(h->statement, st->text, n);
	memcpy(h->statement + n, st->len > n ? "...\0" : "\0", st->len > n ? 4 : 1);
	for (char *p = h->statement; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	w->n++;
	return 0;
}

/* Decides whether the statement concerns object (table[.column] or index) and how. */
static bool matches(const words *ws, const char *table, const char *column, char *action, size_t cap)
{
	char kind[64];
	kind_of(kind, sizeof(kind), ws);
	long t = find(ws, table, 0);
	if (t < 0)
		return false;
	if (!column) {
		snprintf(action, cap, "%s", *kind ? kind : "statement");
		return true;
	}
	long c = find(ws, column, 0);
	if (c < 0)
		return false;
	if (strcmp(kind, "alter table") == 0) {
		const char *a = alter_action(ws, c);
		snprintf(action, cap, "alter table (%s)", a ? a : "change");
	} else {
		snprintf(action, cap, "%s", *kind ? kind : "statement");
	}
	return true;
}

/* One object asked about, split into table and column. */
typedef struct wanted {
	char *table;
	const char *column;
} wanted;

int sl_migrate_why_many(const sl_migrate_status *st, sl_engine dialect, const char *const *objects, size_t n,
			sl_why_fn fn, void *ud)
{
	wanted *wv = calloc(n + 1, sizeof(*wv));
	words *ws = malloc(sizeof(*ws));
	int rc = wv && ws ? 0 : sl_error_nomem();
	for (size_t i = 0; !rc && i < n; i++) {
		if (!(wv[i].table = strdup(objects[i]))) {
			rc = sl_error_nomem();
			break;
		}
		char *dot = strchr(wv[i].table, '.');
		if (dot) {
			*dot = '\0';
			wv[i].column = dot + 1;
		}
	}
	for (size_t i = 0; !rc && i < st->n; i++) {
		const sl_mig_status *s = &st->items[i];
		sl_stmt_list list = SL_STMT_LIST_INIT;
		bool expand =
			s->file ? sl_migration_is_expand(s->file)
				: (s->row && s->row->status && strncmp(s->row->status, "expand", 6) == 0);
		if (s->file) /* an expand/contract migration's operations read like statements */
			rc = sl_migration_statements(&list, s->file,
						     expand ? SL_SECTION_EXPAND : SL_SECTION_UP, dialect);
		else if (s->row && s->row->up_sql)
			rc = sl_sql_split(&list, dialect, s->row->up_sql, strlen(s->row->up_sql));
		for (size_t k = 0; !rc && k < list.n; k++) {
			char action[64];
			ws->n = 0;
			sl_sql_idents(list.items[k].text, list.items[k].len, collect, ws);
			for (size_t o = 0; !rc && o < n; o++) {
				if (!matches(ws, wv[o].table, wv[o].column, action, sizeof(action)))
					continue;
				if (expand) {
					char tmp[sizeof(action)];
					snprintf(tmp, sizeof(tmp), "expand: %.*s", (int)sizeof(action) - 9,
						 action);
					memcpy(action, tmp, sizeof(action));
				}
				rc = fn(ud, o, s, action, &list.items[k]);
			}
		}
		sl_stmt_list_free(&list);
	}
	for (size_t i = 0; wv && i < n; i++)
		free(wv[i].table);
	free(wv);
	free(ws);
	return rc;
}

static int on_hit(void *ud, size_t object, const sl_mig_status *s, const char *action, const sl_stmt *st)
{
	(void)object;
	return add_hit(ud, s, action, st);
}

int sl_migrate_why(sl_why **out, const sl_migrate_status *st, sl_engine dialect, const char *object)
{
	*out = NULL;
	if (!object || !*object)
		return sl_error_set(SL_EINVALID, "why: name a table, table.column or index");
	sl_why *w = calloc(1, sizeof(*w));
	if (!w)
		return sl_error_nomem();
	int rc = sl_migrate_why_many(st, dialect, &object, 1, on_hit, w);
	if (rc) {
		sl_why_free(w);
		return rc;
	}
	*out = w;
	return 0;
}

void sl_why_free(sl_why *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->n; i++)
		free(w->hits[i].statement);
	free(w->hits);
	free(w);
}
