/*
 * cast_rules.c - the user's cast rules (sluice.yaml casts:, --cast): a rule
 * for a type (by kind, first word, base type or exact declared text) or for
 * one table.column; the most specific rule that matches a column wins, and a
 * column rule wins over every type rule. Used by the cast planner (cast.c).
 */
#include "copy/cast_int.h"
#include "sluice/error.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { R_KIND = 0, R_FIRST_WORD, R_BASE, R_EXACT, R_COLUMN };

typedef struct cast_rule {
	char *from; /* normalised as the level requires */
	char *to;
	char *display; /* as the user wrote it */
	int level;
	sl_tkind kind;
	bool is_unsigned;
} cast_rule;

struct sl_cast_rules {
	cast_rule *v;
	size_t n, cap;
};

int sl_cast_rules_new(sl_cast_rules **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : sl_error_nomem();
}

void sl_cast_rules_free(sl_cast_rules *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].from);
		free(r->v[i].to);
		free(r->v[i].display);
	}
	free(r->v);
	free(r);
}

/* Lowercase, spaces dropped; with strip_args also "(...)" dropped. */
static void normalise(char *dst, size_t cap, const char *s, bool strip_args)
{
	size_t n = 0;
	int depth = 0;
	for (; *s && n + 1 < cap; s++) {
		if (*s == '(')
			depth++;
		if (!(strip_args && depth) && !isspace((unsigned char)*s))
			dst[n++] = (char)tolower((unsigned char)*s);
		if (*s == ')' && depth)
			depth--;
	}
	dst[n] = '\0';
}

static void first_word(char *dst, size_t cap, const char *s)
{
	size_t n = 0;
	while (*s && isspace((unsigned char)*s))
		s++;
	while (*s && !isspace((unsigned char)*s) && *s != '(' && n + 1 < cap)
		dst[n++] = (char)tolower((unsigned char)*s++);
	dst[n] = '\0';
}

static int add_rule(sl_cast_rules *r, const char *from, const char *to, bool column)
{
	if (!r || !from || !*from || !to || !*to)
		return sl_error_set(SL_EINVALID, "cast rule: both a source and a target type are required");
	if (column && !strchr(from, '.'))
		return sl_error_set(SL_EINVALID, "cast rule for column \"%s\": expected table.column", from);
	if (r->n == r->cap) {
		size_t nc = r->cap ? r->cap * 2 : 8;
		cast_rule *nv = realloc(r->v, nc * sizeof(*nv));
		if (!nv)
			return sl_error_nomem();
		r->v = nv;
		r->cap = nc;
	}
	cast_rule *ru = &r->v[r->n];
	memset(ru, 0, sizeof(*ru));
	char norm[256];
	if (column) {
		ru->level = R_COLUMN;
		snprintf(norm, sizeof(norm), "%s", from);
	} else {
		normalise(norm, sizeof(norm), from, false);
		bool uns = false;
		size_t nl = strlen(norm);
		char kindname[256];
		snprintf(kindname, sizeof(kindname), "%s", norm);
		if (nl > 8 && strcmp(norm + nl - 8, "unsigned") == 0) {
			uns = true;
			kindname[nl - 8] = '\0';
		}
		ru->level = strchr(from, '(') ? R_EXACT : strchr(from, ' ') ? R_BASE : R_FIRST_WORD;
		for (int k = 1; k < SL_T__COUNT; k++)
			if (strcmp(kindname, sl_tkind_name((sl_tkind)k)) == 0) {
				ru->level = R_KIND;
				ru->kind = (sl_tkind)k;
				ru->is_unsigned = uns;
			}
	}
	ru->from = strdup(norm);
	ru->to = strdup(to);
	ru->display = strdup(from);
	if (!ru->from || !ru->to || !ru->display) {
		free(ru->from);
		free(ru->to);
		free(ru->display);
		return sl_error_nomem();
	}
	r->n++;
	return 0;
}

int sl_cast_rules_add_type(sl_cast_rules *r, const char *from, const char *to)
{
	return add_rule(r, from, to, false);
}

int sl_cast_rules_add_column(sl_cast_rules *r, const char *table_column, const char *to)
{
	return add_rule(r, table_column, to, true);
}

static bool rule_matches(const cast_rule *ru, const sl_table *t, const sl_column *c)
{
	char buf[256];
	const char *decl = c->decl_type ? c->decl_type : "";
	switch (ru->level) {
	case R_COLUMN: {
		size_t tl = strlen(t->name);
		return strncmp(ru->from, t->name, tl) == 0 && ru->from[tl] == '.' &&
		       strcmp(ru->from + tl + 1, c->name) == 0;
	}
	case R_EXACT:
		normalise(buf, sizeof(buf), decl, false);
		return strcmp(buf, ru->from) == 0;
	case R_BASE:
		normalise(buf, sizeof(buf), decl, true);
		return strcmp(buf, ru->from) == 0;
	case R_FIRST_WORD:
		normalise(buf, sizeof(buf), decl, true);
		if (strcmp(buf, ru->from) == 0)
			return true;
		first_word(buf, sizeof(buf), decl);
		return strcmp(buf, ru->from) == 0;
	default:
		return c->type.kind == ru->kind && (!ru->is_unsigned || c->type.is_unsigned);
	}
}

bool sl_cast_rules_find(const sl_cast_rules *r, const sl_table *t, const sl_column *c, const char **to,
			const char **display)
{
	const cast_rule *best = NULL;
	for (size_t i = 0; r && i < r->n; i++)
		if (rule_matches(&r->v[i], t, c) && (!best || r->v[i].level >= best->level))
			best = &r->v[i];
	if (best) {
		*to = best->to;
		*display = best->display;
	}
	return best != NULL;
}
