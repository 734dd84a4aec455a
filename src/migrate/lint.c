/*
 * lint.c - the rule table, levels from sluice.yaml and the findings report
 * (include/sluice/lint.h). The rules themselves are in lint_static.c,
 * lint_pg.c and lint_dynamic.c.
 *
 * Adding a rule: one line in rules[] below, its check, docs/lint/<id>.md,
 * and a firing and a non-firing case in tests/unit/test_lint_static.c (or
 * tests/integration/test_lint.sh for a dynamic rule).
 */
#include "sluice/lint.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"

static const sl_lint_rule rules[] = {
	{ "required-metadata", SL_LINT_ERROR, false,
	  "every field of migrations.required is present and non-empty" },
	{ "missing-down", SL_LINT_ERROR, false,
	  "a migration has a down section or says why it is irreversible" },
	{ "destructive-statement", SL_LINT_WARN, false,
	  "an up section drops, truncates or deletes everything" },
	{ "empty-verify", SL_LINT_OFF, false, "a migration has a verify section" },
	{ "index-not-concurrent", SL_LINT_WARN, false,
	  "PostgreSQL: CREATE INDEX on an existing table without CONCURRENTLY" },
	{ "constraint-not-valid", SL_LINT_WARN, false,
	  "PostgreSQL: a foreign key or check added to an existing table without NOT VALID" },
	{ "column-type-rewrite", SL_LINT_WARN, false,
	  "PostgreSQL: ALTER COLUMN ... TYPE on an existing table" },
	{ "volatile-default", SL_LINT_WARN, false,
	  "PostgreSQL: ADD COLUMN with a volatile DEFAULT rewrites the table" },
	{ "concurrently-in-transaction", SL_LINT_ERROR, false,
	  "PostgreSQL: CREATE INDEX CONCURRENTLY in a transactional section" },
	{ "drop-detected", SL_LINT_WARN, true, "a table or column that existed is gone" },
	{ "type-narrowing", SL_LINT_ERROR, true, "a column's type got narrower" },
	{ "not-null-without-default", SL_LINT_ERROR, true,
	  "a column became NOT NULL without a default on a non-empty table" },
	{ "rename-detected", SL_LINT_WARN, true,
	  "a table or column was dropped and one of the same shape added" },
	{ "down-not-inverse", SL_LINT_ERROR, true, "up then down does not give back the schema before up" },
	{ "apply-failed", SL_LINT_ERROR, true, "the up or down section fails on the scratch database" },
	{ "breaks-declaration", SL_LINT_ERROR, false,
	  "a \"breaks:\" header names a declared consumer, with a ticket of its owner" },
	{ "consumer-broken", SL_LINT_ERROR, true,
	  "a change breaks a consumer of blocking criticality that the migration does not declare" },
	{ "consumer-affected", SL_LINT_WARN, true,
	  "a change breaks another consumer, or changes what a consumer uses" },
	{ "expand-candidate", SL_LINT_WARN, false,
	  "a plain migration renames, drops or retypes a column of an existing table: expand/contract keeps "
	  "both shapes live" },
	{ "expand-unsupported", SL_LINT_ERROR, false, "an expand operation the target engine cannot run" },
};

const sl_lint_rule *sl_lint_rules(size_t *n)
{
	*n = sizeof(rules) / sizeof(rules[0]);
	return rules;
}

const sl_lint_rule *sl_lint_rule_find(const char *id)
{
	for (size_t i = 0; id && i < sizeof(rules) / sizeof(rules[0]); i++)
		if (strcmp(rules[i].id, id) == 0)
			return &rules[i];
	return NULL;
}

const char *sl_lint_level_name(sl_lint_level l)
{
	switch (l) {
	case SL_LINT_OFF:
		return "off";
	case SL_LINT_WARN:
		return "warn";
	case SL_LINT_ERROR:
		return "error";
	}
	return "?";
}

int sl_lint_report_new(sl_lint_report **out, const sl_config *config)
{
	int rc = 0;
	sl_lint_report *r = calloc(1, sizeof(*r));
	*out = NULL;
	if (!r || !(r->arena = sl_arena_new(0))) {
		rc = sl_error_nomem();
		goto done;
	}
	r->config = config;
	*out = r;
	r = NULL;
done:
	sl_lint_report_free(r);
	return rc;
}

void sl_lint_report_free(sl_lint_report *r)
{
	if (!r)
		return;
	sl_arena_free(r->arena);
	free(r);
}

sl_lint_level sl_lint_level_of(const sl_lint_report *r, const char *rule)
{
	const sl_lint_rule *def = sl_lint_rule_find(rule);
	if (!def)
		return SL_LINT_OFF;
	return sl_config_lint_level(r ? r->config : NULL, rule, def->default_level);
}

int sl_lint_add(sl_lint_report *r, const char *rule, const sl_migration *m, size_t line, const char *fmt, ...)
{
	sl_lint_level level = sl_lint_level_of(r, rule);
	sl_buf b = SL_BUF_INIT;
	sl_lint_finding *f;
	va_list ap;
	int rc = 0;

	if (level == SL_LINT_OFF)
		goto done;
	va_start(ap, fmt);
	rc = sl_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (rc)
		goto done;
	if (!(f = sl_arena_push(r->arena, &r->items, &r->n, &r->cap, sizeof(*f)))) {
		rc = sl_error_nomem();
		goto done;
	}
	f->rule = rule;
	f->level = level;
	f->path = sl_arena_strdup(r->arena, m ? m->path : "");
	f->migration_id = sl_arena_strdup(r->arena, m ? m->id : "");
	f->line = line ? line : 1;
	f->message = sl_arena_strdup(r->arena, sl_buf_cstr(&b));
	if (!f->path || !f->migration_id || !f->message) {
		rc = sl_error_nomem();
		goto done;
	}
	if (level == SL_LINT_ERROR)
		r->nerrors++;
	else
		r->nwarnings++;
done:
	sl_buf_free(&b);
	return rc;
}

/* Levenshtein distance, capped: enough to suggest a rule id for a typo. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev[64], cur[64];
	if (la >= 64 || lb >= 64)
		return 64;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, (lb + 1) * sizeof(size_t));
	}
	return prev[lb];
}

int sl_lint_check_config(const sl_config *config)
{
	int rc = 0;
	for (size_t i = 0; config && i < config->nlint_rules; i++) {
		const sl_config_lint_rule *cr = &config->lint_rules[i];
		const char *best = NULL;
		size_t bestd = 4;
		if (sl_lint_rule_find(cr->name))
			continue;
		for (size_t j = 0; j < sizeof(rules) / sizeof(rules[0]); j++) {
			size_t d = distance(cr->name, rules[j].id);
			if (d < bestd) {
				bestd = d;
				best = rules[j].id;
			}
		}
		rc = sl_error_set(SL_EINVALID, "%s:%zu:%zu: unknown lint rule \"%s\"%s%s%s", config->path,
				  cr->line, cr->column, cr->name, best ? " (did you mean \"" : "",
				  best ? best : "", best ? "\"?)" : "");
		goto done;
	}
done:
	return rc;
}
