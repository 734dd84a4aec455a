/*
 * lint_static.c - the rules that read migration files only: required
 * metadata, a down section (or an irreversible reason), destructive
 * statements in up sections, a verify section. Destructive statements are
 * found by a small keyword scanner that knows strings, quoted identifiers,
 * comments and dollar quotes - not a parser: it works the same for the three
 * dialects and the generic variant. A "breaks:" header is checked against
 * sluice.yaml's consumers. PostgreSQL rules that need a parse tree are in
 * lint_pg.c.
 */
#include "lint_int.h"
#include "sluice/lint.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sluice/dialect.h"
#include "sluice/error.h"

#define MAX_TOKENS  512
#define EXCERPT_MAX 80

typedef struct token {
	const char *s;
	size_t len;
	bool quoted; /* a quoted identifier: never a keyword */
	int depth;   /* parenthesis depth */
} token;

typedef struct scan {
	token t[MAX_TOKENS];
	size_t n;
} scan;

/* Skips a PostgreSQL dollar quote starting at s[i] == '$'; returns i unchanged when none. */
static size_t skip_dollar(const char *s, size_t i, size_t len)
{
	size_t j = i + 1;
	while (j < len && (isalnum((unsigned char)s[j]) || s[j] == '_'))
		j++;
	if (j >= len || s[j] != '$')
		return i;
	size_t taglen = j - i + 1;
	for (size_t k = j + 1; k + taglen <= len; k++)
		if (memcmp(s + k, s + i, taglen) == 0)
			return k + taglen;
	return len;
}

static void push(scan *sc, const char *s, size_t len, bool quoted, int depth)
{
	if (sc->n < MAX_TOKENS)
		sc->t[sc->n++] = (token){ .s = s, .len = len, .quoted = quoted, .depth = depth };
}

/* Collects the words and quoted identifiers of one statement. */
static void tokenize(scan *sc, const char *s, size_t len)
{
	int depth = 0;
	size_t i = 0;
	sc->n = 0;
	while (i < len) {
		char c = s[i];
		if (c == '-' && i + 1 < len && s[i + 1] == '-') {
			while (i < len && s[i] != '\n')
				i++;
		} else if (c == '#') {
			while (i < len && s[i] != '\n')
				i++;
		} else if (c == '/' && i + 1 < len && s[i + 1] == '*') {
			const char *end = strstr(s + i + 2, "*/");
			i = end ? (size_t)(end - s) + 2 : len;
		} else if (c == '\'') {
			i = sl_sql_skip_quoted(s, len, i, c, SL_QUOTE_DOUBLED, NULL);
		} else if (c == '"' || c == '`' || c == '[') {
			size_t j = c == '['
					   ? (strchr(s + i, ']') ? (size_t)(strchr(s + i, ']') - s) + 1 : len)
					   : sl_sql_skip_quoted(s, len, i, c, SL_QUOTE_DOUBLED, NULL);
			push(sc, s + i, j - i, true, depth);
			i = j;
		} else if (c == '$') {
			size_t j = skip_dollar(s, i, len);
			i = j > i ? j : i + 1;
		} else if (isalpha((unsigned char)c) || c == '_') {
			size_t j = i;
			while (j < len && (isalnum((unsigned char)s[j]) || s[j] == '_' || s[j] == '$'))
				j++;
			push(sc, s + i, j - i, false, depth);
			i = j;
		} else {
			if (c == '(')
				depth++;
			else if (c == ')' && depth > 0)
				depth--;
			i++;
		}
	}
}

static bool kw(const scan *sc, size_t i, const char *word)
{
	return i < sc->n && !sc->t[i].quoted && sc->t[i].len == strlen(word) &&
	       strncasecmp(sc->t[i].s, word, sc->t[i].len) == 0;
}

/* Words after ALTER TABLE ... DROP that do not name a column. */
static bool drops_other_than_column(const scan *sc, size_t i)
{
	static const char *const other[] = { "CONSTRAINT", "INDEX",   "KEY",    "PRIMARY",  "FOREIGN",
					     "CHECK",      "DEFAULT", "NOT",    "IDENTITY", "EXPRESSION",
					     "PARTITION",  "SYSTEM",  "PERIOD", "UNIQUE",   "FULLTEXT",
					     "SPATIAL",    NULL };
	if (i >= sc->n)
		return true;
	for (size_t k = 0; other[k]; k++)
		if (kw(sc, i, other[k]))
			return true;
	return false;
}

/* What a statement destroys, or NULL. */
static const char *destructive(const scan *sc)
{
	size_t i = 0;
	if (kw(sc, 0, "DROP")) {
		i = kw(sc, 1, "TEMPORARY") ? 2 : 1;
		if (kw(sc, i, "TABLE"))
			return "drops a table";
		if (kw(sc, i, "DATABASE"))
			return "drops a database";
		if (kw(sc, i, "SCHEMA"))
			return "drops a schema";
		return NULL;
	}
	if (kw(sc, 0, "TRUNCATE"))
		return "truncates a table";
	if (kw(sc, 0, "DELETE")) {
		for (i = 1; i < sc->n; i++)
			if (sc->t[i].depth == 0 && kw(sc, i, "WHERE"))
				return NULL;
		return "deletes every row (DELETE without WHERE)";
	}
	if (kw(sc, 0, "ALTER") && kw(sc, 1, "TABLE")) {
		for (i = 2; i < sc->n; i++) {
			if (sc->t[i].depth != 0 || !kw(sc, i, "DROP"))
				continue;
			if (kw(sc, i + 1, "COLUMN") || !drops_other_than_column(sc, i + 1))
				return "drops a column";
		}
	}
	return NULL;
}

/* The statement's first line, cut at EXCERPT_MAX bytes, into buf. */
static const char *excerpt(char *buf, size_t size, const sl_stmt *st)
{
	size_t n = strcspn(st->text, "\n");
	if (n > EXCERPT_MAX)
		n = EXCERPT_MAX;
	if (n >= size)
		n = size - 1;
	memcpy(buf, st->text, n);
	buf[n] = '\0';
	return buf;
}

static int check_destructive(sl_lint_report *r, const sl_migration *m, const sl_migration_part *pt,
			     sl_engine dialect)
{
	sl_stmt_list list = SL_STMT_LIST_INIT;
	sl_sql_split_options o = SL_SQL_SPLIT_OPTIONS_INIT;
	scan *sc = NULL;
	int rc = 0;

	o.origin = m->path;
	o.first_line = pt->line;
	if ((rc = sl_sql_split_ext(&list, dialect, pt->sql, pt->len, &o)))
		goto done;
	if (!(sc = calloc(1, sizeof(*sc)))) {
		rc = sl_error_nomem();
		goto done;
	}
	for (size_t i = 0; !rc && i < list.n; i++) {
		char buf[EXCERPT_MAX + 1];
		tokenize(sc, list.items[i].text, list.items[i].len);
		const char *what = destructive(sc);
		if (what)
			rc = sl_lint_add(r, "destructive-statement", m, list.items[i].line,
					 "up section %s: %s", what,
					 excerpt(buf, sizeof(buf), &list.items[i]));
	}
done:
	free(sc);
	sl_stmt_list_free(&list);
	return rc;
}

static size_t meta_line(const sl_migration *m, const char *key)
{
	for (size_t i = 0; i < m->nmeta; i++)
		if (strcmp(m->meta[i].key, key) == 0)
			return m->meta[i].line;
	return 1;
}

static int check_required(sl_lint_report *r, const sl_migration *m)
{
	const sl_config *c = r->config;
	int rc = 0;
	for (size_t i = 0; !rc && c && i < c->nrequired; i++) {
		const char *field = c->required[i];
		if (sl_migration_check_required(m, &field, 1) == 0)
			continue;
		if (sl_migration_meta_get(m, field))
			rc = sl_lint_add(r, "required-metadata", m, meta_line(m, field),
					 "\"%s\" is empty (required by sluice.yaml)", field);
		else
			rc = sl_lint_add(r, "required-metadata", m, 1,
					 "missing \"%s\" (required by sluice.yaml)", field);
	}
	sl_error_clear();
	return rc;
}

static const sl_migration_part *first_part(const sl_migration *m, sl_section s)
{
	for (size_t i = 0; i < m->nparts; i++)
		if (m->parts[i].section == s)
			return &m->parts[i];
	return NULL;
}

/* The up part the PostgreSQL rules read, or NULL when they do not apply. */
static const sl_migration_part *pg_part(const sl_migration *m, sl_engine target)
{
	if (target == lint_pg_dialect)
		return sl_migration_part_get(m, SL_SECTION_UP, lint_pg_dialect);
	for (size_t i = 0; i < m->nparts; i++)
		if (m->parts[i].section == SL_SECTION_UP && m->parts[i].dialect == lint_pg_dialect)
			return &m->parts[i];
	return NULL;
}

/* breaks-declaration: every "breaks:" entry names a consumer of sluice.yaml, with a ticket of its owner. */
static int check_breaks(sl_lint_report *r, const sl_migration *m, const sl_lint_opts *opts)
{
	const sl_migration_meta *meta = NULL;
	sl_breaks_entry *e = NULL;
	size_t n = 0;
	int rc = 0;
	for (size_t i = 0; i < m->nmeta; i++)
		if (strcmp(m->meta[i].key, "breaks") == 0)
			meta = &m->meta[i];
	if (!meta)
		return 0;
	if (sl_breaks_parse(r->arena, meta->value, &e, &n)) {
		const char *msg = sl_arena_strdup(r->arena, sl_error_last()->message);
		sl_error_clear();
		return msg ? sl_lint_add(r, "breaks-declaration", m, meta->line, "breaks: %s", msg)
			   : sl_error_nomem();
	}
	const sl_consumers *cs = opts ? opts->consumers : NULL;
	for (size_t i = 0; !rc && i < n; i++) {
		const sl_consumer *c = sl_consumers_find(cs, e[i].consumer);
		if (!c) {
			const char **names = cs ? sl_arena_calloc(r->arena, cs->n + 1, sizeof(char *)) : NULL;
			for (size_t k = 0; names && k < cs->n; k++)
				names[k] = cs->items[k].name;
			const char *best = names ? sl_nearest_name(e[i].consumer, names, cs->n) : NULL;
			rc = sl_lint_add(r, "breaks-declaration", m, meta->line,
					 "breaks: no consumer \"%s\" in sluice.yaml%s%s%s", e[i].consumer,
					 best ? " (did you mean \"" : "", best ? best : "",
					 best ? "\"?)" : "");
		} else if (c->ticket_prefix &&
			   strncmp(e[i].ticket, c->ticket_prefix, strlen(c->ticket_prefix)) != 0) {
			rc = sl_lint_add(r, "breaks-declaration", m, meta->line,
					 "breaks: ticket \"%s\" for \"%s\" is not one of its owner's (%s's "
					 "tickets start "
					 "with \"%s\")",
					 e[i].ticket, c->name, c->owner, c->ticket_prefix);
		}
	}
	return rc;
}

int sl_lint_static(sl_lint_report *r, const sl_migration *m, const sl_lint_opts *opts)
{
	const sl_migration_part *up = first_part(m, SL_SECTION_UP), *pg;
	if (!up) /* an expand/contract migration */
		up = first_part(m, SL_SECTION_EXPAND);
	sl_engine target = opts ? opts->dialect : SL_ENGINE_NONE;
	int rc = 0;

	r->nchecked++;
	if ((rc = check_required(r, m)))
		goto done;
	if (!first_part(m, SL_SECTION_DOWN) && !(m->irreversible && *m->irreversible) &&
	    (rc = sl_lint_add(r, "missing-down", m, up ? up->directive_line : 1,
			      "no down section and no \"irreversible: <reason>\" header")))
		goto done;
	if (!first_part(m, SL_SECTION_VERIFY) &&
	    (rc = sl_lint_add(r, "empty-verify", m, up ? up->directive_line : 1, "no verify section")))
		goto done;
	for (size_t i = 0; i < m->nparts; i++) {
		const sl_migration_part *pt = &m->parts[i];
		sl_engine d = pt->dialect != SL_ENGINE_NONE ? pt->dialect
			      : target != SL_ENGINE_NONE    ? target
							    : sl_dialect_default();
		if (pt->section != SL_SECTION_UP)
			continue;
		/* with a target, only the variant that would run there */
		if (target != SL_ENGINE_NONE && pt != sl_migration_part_get(m, SL_SECTION_UP, target))
			continue;
		if ((rc = check_destructive(r, m, pt, d)))
			goto done;
	}
	if ((rc = check_breaks(r, m, opts)))
		goto done;
	if ((pg = pg_part(m, target)))
		rc = sl_lint_pg(r, m, pg);
	if (!rc)
		rc = sl_lint_expand(r, m, opts);
done:
	return rc;
}
