/*
 * check_rules.c - the rules check of a watch run: the integrity rules of
 * sluice.yaml (rules.h, docs/rules.md), selected by watch.rules, run on the
 * watched target (reconcile rules on their own source and target) through
 * the rule runner, and judged by each rule's own severity and threshold: a
 * halt rule over its threshold is a breach, a warn rule a warning. One
 * figure per rule: its violations.
 */
#include "watch_int.h"

#include <stdio.h>
#include <string.h>

#include "sluice/error.h"
#include "sluice/rules.h"

static bool selected(const watch_run *r, const sl_rule *rule)
{
	const sl_watch_config *c = r->o->config;
	if (c->rules_domain && (!rule->domain || strcmp(rule->domain, c->rules_domain) != 0))
		return false;
	if (!c->nrules_only)
		return true;
	for (size_t i = 0; i < c->nrules_only; i++)
		if (!strcmp(c->rules_only[i], rule->name))
			return true;
	return false;
}

/* The rule's database with its model, checked against the rule. */
static int prepare(watch_run *r, const sl_rule *rule, const char *spec, watch_db **db,
		   const sl_schema **schema)
{
	int rc = watch_db_get(db, r, spec);
	if (!rc)
		rc = watch_db_schema(schema, *db);
	if (!rc)
		rc = sl_rule_validate(rule, *schema);
	return rc;
}

static const char *level_of(sl_rule_status st)
{
	return st == SL_RULE_PASS ? "ok" : st == SL_RULE_WARN ? "warn" : "breach";
}

/* "3 of 120 rows; e.g. id=7" from what the runner found. */
static const char *detail_of(watch_run *r, const sl_rule_result *res)
{
	sl_buf b = SL_BUF_INIT;
	const char *out = NULL;
	int rc = 0;
	if (res->summary)
		rc = sl_buf_puts(&b, res->summary);
	else if (res->rows_checked >= 0)
		rc = sl_buf_printf(&b, "%lld of %lld rows", (long long)res->violations,
				   (long long)res->rows_checked);
	else
		rc = sl_buf_printf(&b, "%lld rows", (long long)res->violations);
	for (size_t i = 0; !rc && i < res->nexamples && i < 3; i++)
		rc = sl_buf_printf(&b, "%s%s", i ? "; " : "; e.g. ", res->examples[i]);
	if (!rc)
		out = sl_arena_strdup(r->a, sl_buf_cstr(&b));
	sl_buf_free(&b);
	return out;
}

static int one(watch_run *r, const sl_rule *rule)
{
	watch_db *src = NULL, *dst = NULL;
	const sl_schema *ss = NULL, *ds = NULL;
	sl_rule_result *res = NULL;
	int64_t t0 = watch_mono_ms();
	int rc;
	if (rule->type == SL_RULE_RECONCILE) {
		rc = prepare(r, rule, rule->source, &src, &ss);
		if (!rc)
			rc = prepare(r, rule, rule->target, &dst, &ds);
		if (!rc)
			rc = sl_rule_reconcile(&res, rule, src->conn, ss, dst->conn, ds);
	} else {
		rc = prepare(r, rule, r->o->target, &dst, &ds);
		if (!rc)
			rc = sl_rule_run(&res, rule, dst->conn, ds);
	}
	int64_t ms = watch_mono_ms() - t0;
	if (rc) { /* the figure's item names the rule */
		rc = watch_failed(r, rc, "rules", rule->name, "violations", ms);
	} else {
		sl_rule_status st = sl_rule_judge(rule, res->violations, res->rows_checked);
		const char *threshold = sl_arena_printf(r->a, "%s over %s",
							rule->severity == SL_SEVERITY_WARN ? "warn" : "halt",
							rule->threshold_text);
		const char *detail = st == SL_RULE_PASS && !res->violations ? NULL : detail_of(r, res);
		rc = watch_figure(r, "rules", rule->name, (double)res->violations, "violations", level_of(st),
				  threshold, detail, ms);
	}
	sl_rule_result_free(res);
	return rc;
}

int watch_check_rules(watch_run *r)
{
	int rc = 0;
	for (size_t i = 0; !rc && r->rules && i < r->rules->n && !watch_stopping(r); i++)
		if (selected(r, &r->rules->rules[i]))
			rc = one(r, &r->rules->rules[i]);
	return rc;
}
