/*
 * lint_expand.c - the lint rules about expand/contract migrations
 * (docs/lint/expand-candidate.md, docs/lint/expand-unsupported.md):
 *
 *   expand-candidate    a plain up section renames or drops a column or a
 *                       table, changes a column's type, or makes a column NOT
 *                       NULL on a table that existed before: clients of the
 *                       old shape break the moment it runs, where an
 *                       expand/contract migration keeps both shapes live;
 *   expand-unsupported  an expand operation the target engine cannot run
 *                       (SQLite cannot add a constraint to an existing table).
 *
 * Statements are read with sl_sql_idents, clause by clause (top-level commas
 * of an ALTER TABLE), not parsed: a table created earlier in the same
 * section is new, so changing it breaks nobody.
 */
#include "sluice/lint.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sluice/dialect.h"
#include "sluice/error.h"
#include "sluice/expand.h"
#include "sluice/sql.h"

#define MAX_WORDS  48
#define MAX_TABLES 64

typedef struct word {
	char s[128];
	bool quoted;
} word;

typedef struct words {
	word w[MAX_WORDS];
	size_t n;
} words;

static int collect(void *ud, const char *p, size_t n, bool quoted)
{
	words *ws = ud;
	if (ws->n < MAX_WORDS) {
		snprintf(ws->w[ws->n].s, sizeof(ws->w[ws->n].s), "%.*s", (int)n, p);
		ws->w[ws->n++].quoted = quoted;
	}
	return 0;
}

static bool kw(const words *ws, size_t i, const char *k)
{
	return i < ws->n && !ws->w[i].quoted && strcasecmp(ws->w[i].s, k) == 0;
}

static const char *at(const words *ws, size_t i)
{
	return i < ws->n ? ws->w[i].s : "?";
}

typedef struct ctx {
	sl_lint_report *r;
	const sl_migration *m;
	char created[MAX_TABLES][128];
	size_t ncreated;
} ctx;

static bool created(const ctx *x, const char *t)
{
	for (size_t i = 0; i < x->ncreated; i++)
		if (strcasecmp(x->created[i], t) == 0)
			return true;
	return false;
}

static int flag(ctx *x, size_t line, const char *what, const char *op)
{
	return sl_lint_add(
		x->r, "expand-candidate", x->m, line,
		"%s: clients of the old shape break when this runs; an expand/contract migration keeps "
		"both shapes live (%s)",
		what, op);
}

/* Calls fn for each top-level comma-separated clause of s. */
static int each_clause(const char *s, size_t len, int (*fn)(void *ud, const char *p, size_t n), void *ud)
{
	size_t start = 0;
	int depth = 0, rc = 0;
	for (size_t i = 0; !rc && i <= len; i++) {
		char c = i < len ? s[i] : ',';
		if (c == '\'' || c == '"' || c == '`') {
			for (i++; i < len && s[i] != c; i++)
				;
		} else if (c == '(') {
			depth++;
		} else if (c == ')') {
			depth--;
		} else if (c == ',' && depth <= 0) {
			rc = fn(ud, s + start, i - start);
			start = i + 1;
		}
	}
	return rc;
}

typedef struct alter {
	ctx *x;
	size_t line;
	char table[128];
	bool first; /* the first clause holds ALTER TABLE <name> */
} alter;

/* The first clause of ALTER TABLE: the table's name into a->table; the index of the clause's first word. */
static size_t table_of(alter *a, const words *ws)
{
	size_t i = 2;
	a->first = false;
	if (kw(ws, i, "if") && kw(ws, i + 1, "exists"))
		i += 2;
	if (kw(ws, i, "only"))
		i++;
	snprintf(a->table, sizeof(a->table), "%s", at(ws, i));
	/* schema.table: the table is the last name before the first clause's keyword */
	while (i + 1 < ws->n && !kw(ws, i + 1, "rename") && !kw(ws, i + 1, "alter") &&
	       !kw(ws, i + 1, "drop") && !kw(ws, i + 1, "add") && !kw(ws, i + 1, "modify") &&
	       !kw(ws, i + 1, "change")) {
		i++;
		snprintf(a->table, sizeof(a->table), "%s", at(ws, i));
	}
	i++;
	return i;
}

static int on_clause(void *ud, const char *p, size_t n)
{
	alter *a = ud;
	words ws = { .n = 0 };
	char what[256], op[300];
	size_t i = 0;
	sl_sql_idents(p, n, collect, &ws);
	if (a->first) /* ALTER TABLE [IF EXISTS] [ONLY] name */
		i = table_of(a, &ws);
	if (created(a->x, a->table))
		return 0;
	const char *t = a->table;
	if (kw(&ws, i, "rename") && kw(&ws, i + 1, "to")) {
		snprintf(what, sizeof(what), "ALTER TABLE %s RENAME TO %s", t, at(&ws, i + 2));
		snprintf(op, sizeof(op), "rename table %s to %s", t, at(&ws, i + 2));
	} else if (kw(&ws, i, "rename") && !kw(&ws, i + 1, "constraint") && !kw(&ws, i + 1, "index") &&
		   !kw(&ws, i + 1, "key")) {
		size_t c = kw(&ws, i + 1, "column") ? i + 2 : i + 1;
		snprintf(what, sizeof(what), "ALTER TABLE %s RENAME COLUMN %s", t, at(&ws, c));
		snprintf(op, sizeof(op), "rename column %s.%s to %s", t, at(&ws, c), at(&ws, c + 2));
	} else if (kw(&ws, i, "alter")) {
		size_t c = kw(&ws, i + 1, "column") ? i + 2 : i + 1;
		if (kw(&ws, c + 1, "type") || (kw(&ws, c + 1, "set") && kw(&ws, c + 2, "data"))) {
			snprintf(what, sizeof(what), "ALTER TABLE %s ALTER COLUMN %s TYPE", t, at(&ws, c));
			snprintf(op, sizeof(op), "change type %s.%s to ... up (...) down (...)", t,
				 at(&ws, c));
		} else if (kw(&ws, c + 1, "set") && kw(&ws, c + 2, "not")) {
			snprintf(what, sizeof(what), "ALTER TABLE %s ALTER COLUMN %s SET NOT NULL", t,
				 at(&ws, c));
			snprintf(op, sizeof(op), "set not null %s.%s up (...)", t, at(&ws, c));
		} else {
			return 0;
		}
	} else if (kw(&ws, i, "modify") || kw(&ws, i, "change")) {
		size_t c = kw(&ws, i + 1, "column") ? i + 2 : i + 1;
		bool change = kw(&ws, i, "change");
		snprintf(what, sizeof(what), "ALTER TABLE %s %s COLUMN %s", t, change ? "CHANGE" : "MODIFY",
			 at(&ws, c));
		if (change && strcasecmp(at(&ws, c), at(&ws, c + 1)) != 0)
			snprintf(op, sizeof(op), "rename column %s.%s to %s", t, at(&ws, c), at(&ws, c + 1));
		else
			snprintf(op, sizeof(op), "change type %s.%s to ... up (...) down (...)", t,
				 at(&ws, c));
	} else if (kw(&ws, i, "drop")) {
		size_t c = kw(&ws, i + 1, "column") ? i + 2 : i + 1;
		static const char *const not_columns[] = { "constraint", "index", "key",     "primary",
							   "foreign",    "check", "default", "partition",
							   "trigger",    "unique" };
		for (size_t k = 0; k < sizeof(not_columns) / sizeof(not_columns[0]); k++)
			if (kw(&ws, i + 1, not_columns[k]))
				return 0;
		if (kw(&ws, c, "if") && kw(&ws, c + 1, "exists"))
			c += 2;
		snprintf(what, sizeof(what), "ALTER TABLE %s DROP COLUMN %s", t, at(&ws, c));
		snprintf(op, sizeof(op), "drop column %s.%s", t, at(&ws, c));
	} else if (kw(&ws, i, "add") && !kw(&ws, i + 1, "constraint") && !kw(&ws, i + 1, "index") &&
		   !kw(&ws, i + 1, "key") && !kw(&ws, i + 1, "primary") && !kw(&ws, i + 1, "foreign") &&
		   !kw(&ws, i + 1, "unique") && !kw(&ws, i + 1, "check")) {
		size_t c = kw(&ws, i + 1, "column") ? i + 2 : i + 1;
		bool not_null = false, dflt = false;
		for (size_t k = c + 1; k < ws.n; k++) {
			not_null = not_null || (kw(&ws, k, "not") && kw(&ws, k + 1, "null"));
			dflt = dflt || kw(&ws, k, "default");
		}
		if (!not_null || dflt)
			return 0;
		snprintf(what, sizeof(what), "ALTER TABLE %s ADD COLUMN %s ... NOT NULL without a default", t,
			 at(&ws, c));
		snprintf(op, sizeof(op), "add column %s.%s ... not null up (...)", t, at(&ws, c));
	} else {
		return 0;
	}
	return flag(a->x, a->line, what, op);
}

static int check_statement(ctx *x, const sl_stmt *st)
{
	words ws = { .n = 0 };
	sl_sql_idents(st->text, st->len, collect, &ws);
	if (kw(&ws, 0, "create") && (kw(&ws, 1, "table") || (kw(&ws, 2, "table")))) {
		size_t i = kw(&ws, 1, "table") ? 2 : 3;
		if (kw(&ws, i, "if") && kw(&ws, i + 1, "not") && kw(&ws, i + 2, "exists"))
			i += 3;
		if (x->ncreated < MAX_TABLES)
			snprintf(x->created[x->ncreated++], sizeof(x->created[0]), "%s", at(&ws, i));
		return 0;
	}
	if (kw(&ws, 0, "rename") && kw(&ws, 1, "table") && !created(x, at(&ws, 2))) {
		char what[300], op[300];
		snprintf(what, sizeof(what), "RENAME TABLE %s", at(&ws, 2));
		snprintf(op, sizeof(op), "rename table %s to %s", at(&ws, 2), at(&ws, 4));
		return flag(x, st->line, what, op);
	}
	if (kw(&ws, 0, "alter") && kw(&ws, 1, "table")) {
		alter a = { .x = x, .line = st->line, .first = true };
		return each_clause(st->text, st->len, on_clause, &a);
	}
	return 0;
}

static int check_up(ctx *x, const sl_migration_part *pt, sl_engine d)
{
	sl_stmt_list list = SL_STMT_LIST_INIT;
	sl_sql_split_options o = SL_SQL_SPLIT_OPTIONS_INIT;
	o.origin = x->m->path;
	o.first_line = pt->line;
	int rc = sl_sql_split_ext(&list, d, pt->sql, pt->len, &o);
	if (rc) { /* the destructive-statement rule reports the file; nothing to add */
		sl_error_clear();
		rc = 0;
	}
	x->ncreated = 0;
	for (size_t i = 0; !rc && i < list.n; i++)
		rc = check_statement(x, &list.items[i]);
	sl_stmt_list_free(&list);
	return rc;
}

static int check_expand(ctx *x, const sl_migration_part *pt, sl_engine d)
{
	sl_xops *ops = NULL;
	int rc = sl_expand_parse(&ops, x->m->path, pt->line, pt->sql, pt->len, pt->dialect);
	for (size_t i = 0; !rc && i < ops->n; i++) {
		const char *why = sl_xop_unsupported(&ops->items[i], d);
		if (why)
			rc = sl_lint_add(x->r, "expand-unsupported", x->m, ops->items[i].line,
					 "%s %s%s%s: not supported on %s: %s",
					 sl_xop_kind_name(ops->items[i].kind), ops->items[i].table,
					 ops->items[i].column ? "." : "",
					 ops->items[i].column ? ops->items[i].column : "", sl_engine_name(d),
					 why);
	}
	sl_xops_free(ops);
	return rc;
}

int sl_lint_expand(sl_lint_report *r, const sl_migration *m, const sl_lint_opts *opts)
{
	ctx x = { .r = r, .m = m };
	sl_engine target = opts ? opts->dialect : SL_ENGINE_NONE;
	int rc = 0;
	for (size_t i = 0; !rc && i < m->nparts; i++) {
		const sl_migration_part *pt = &m->parts[i];
		sl_engine d = pt->dialect != SL_ENGINE_NONE ? pt->dialect : target;
		if (pt->section != SL_SECTION_UP && pt->section != SL_SECTION_EXPAND)
			continue;
		/* with a target, only the variant that would run there */
		if (target != SL_ENGINE_NONE && pt != sl_migration_part_get(m, pt->section, target))
			continue;
		if (pt->section == SL_SECTION_UP)
			rc = check_up(&x, pt, d != SL_ENGINE_NONE ? d : sl_dialect_default());
		else if (d != SL_ENGINE_NONE)
			rc = check_expand(&x, pt, d);
	}
	return rc;
}
