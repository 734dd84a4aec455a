/*
 * test_rules.c - the rules parser (every type and key, errors with
 * file:line:col and the rule's name), thresholds and severities deciding
 * pass / warn / halt, and validation against a schema (SQLite in memory).
 */
#include "testutil.h"

#include <string.h>

#include "sluice/rules.h"

static sl_rules *parse_ok(sl_config **cfg, const char *yaml)
{
	sl_rules *r = NULL;
	SL_OK_OR_FAIL(sl_rules_parse(&r, cfg, "sluice.yaml", yaml, strlen(yaml)));
	return r;
}

static void parse_fails(const char *yaml, const char *message)
{
	sl_rules *r = NULL;
	sl_config *cfg = NULL;
	int rc = sl_rules_parse(&r, &cfg, "sluice.yaml", yaml, strlen(yaml));
	assert_int_equal(rc, SL_EINVALID);
	if (!strstr(sl_error_last()->message, message))
		fail_msg("error \"%s\" lacks \"%s\"", sl_error_last()->message, message);
	assert_null(r);
	assert_null(cfg);
}

static const char every_type[] =
	"rules:\n"
	"  billing:\n"
	"    - name: totals\n"
	"      type: not_null\n"
	"      table: invoices\n"
	"      columns: [total, currency]\n"
	"      severity: warn\n"
	"      threshold: \"0.1%\"\n"
	"    - { name: numbers, type: unique, table: invoices, column: number, case_insensitive: true }\n"
	"    - { name: customers, type: relationship, table: invoices, columns: [customer_id], references: { "
	"table: customers, column: id } }\n"
	"    - { name: currencies, type: accepted_values, table: invoices, column: currency, values: [USD, "
	"EUR, JPY] }\n"
	"    - { name: positive, type: range, table: invoices, column: total, min: 0 }\n"
	"    - { name: enough, type: row_count, table: customers, min: 1, max: 10 }\n"
	"    - { name: fresh, type: freshness, table: payments, column: paid_at, max_age: 30d }\n"
	"  other:\n"
	"    - { name: negative, type: sql, sql: \"SELECT id FROM invoices WHERE total < 0\", threshold: 3 "
	"}\n"
	"    - { name: match, type: reconcile, source: a, target: b, table: invoices, group_by: [currency],\n"
	"        measures: [count, sum(total), min(issued_on)], tolerance: 0.01 }\n";

static void test_every_type(void **state)
{
	sl_config *cfg = NULL;
	sl_rules *r = parse_ok(&cfg, every_type);
	assert_int_equal(r->n, 9);
	const sl_rule *t = sl_rules_find(r, "totals");
	assert_non_null(t);
	assert_int_equal(t->type, SL_RULE_NOT_NULL);
	assert_string_equal(t->domain, "billing");
	assert_int_equal(t->severity, SL_SEVERITY_WARN);
	assert_true(t->threshold_ratio);
	assert_true(t->threshold > 0.00099 && t->threshold < 0.00101);
	assert_int_equal(t->ncolumns, 2);
	assert_string_equal(t->where_columns[1], "sluice.yaml:6:24");
	const sl_rule *u = sl_rules_find(r, "numbers");
	assert_true(u->case_insensitive);
	assert_int_equal(u->ncolumns, 1);
	const sl_rule *rel = sl_rules_find(r, "customers");
	assert_string_equal(rel->ref_table, "customers");
	assert_string_equal(rel->ref_columns[0], "id");
	assert_int_equal(sl_rules_find(r, "currencies")->nvalues, 3);
	assert_string_equal(sl_rules_find(r, "positive")->min, "0");
	assert_null(sl_rules_find(r, "positive")->max);
	assert_int_equal(sl_rules_find(r, "fresh")->max_age_s, 30 * 86400);
	const sl_rule *sq = sl_rules_find(r, "negative");
	assert_string_equal(sq->domain, "other");
	assert_false(sq->threshold_ratio);
	assert_true(sq->threshold == 3);
	const sl_rule *m = sl_rules_find(r, "match");
	assert_int_equal(m->nmeasures, 3);
	assert_string_equal(m->measures[1].fn, "sum");
	assert_string_equal(m->measures[1].column, "total");
	assert_null(m->measures[0].column);
	assert_true(m->tolerance == 0.01);
	sl_rules_free(r);
	sl_config_free(cfg);
}

static void test_judge(void **state)
{
	sl_config *cfg = NULL;
	sl_rules *r = parse_ok(
		&cfg,
		"rules:\n"
		"  - { name: count, type: row_count, table: t, min: 1, threshold: 2 }\n"
		"  - { name: ratio, type: row_count, table: t, min: 1, threshold: \"10%\", severity: warn }\n"
		"  - { name: zero, type: row_count, table: t, min: 1 }\n");
	const sl_rule *c = sl_rules_find(r, "count"), *q = sl_rules_find(r, "ratio"),
		      *z = sl_rules_find(r, "zero");
	assert_int_equal(sl_rule_judge(c, 2, 100), SL_RULE_PASS);
	assert_int_equal(sl_rule_judge(c, 3, 100), SL_RULE_HALT);
	assert_int_equal(sl_rule_judge(q, 10, 100), SL_RULE_PASS);
	assert_int_equal(sl_rule_judge(q, 11, 100), SL_RULE_WARN);
	assert_int_equal(sl_rule_judge(q, 1, 0), SL_RULE_WARN);
	assert_int_equal(sl_rule_judge(z, 0, 0), SL_RULE_PASS);
	assert_int_equal(sl_rule_judge(z, 1, 1000000), SL_RULE_HALT);
	assert_string_equal(z->threshold_text, "0");
	sl_rules_free(r);
	sl_config_free(cfg);
}

static void test_errors(void **state)
{
	parse_fails(
		"rules:\n  - { name: a, type: nul_null, table: t, column: c }\n",
		"sluice.yaml:2:22: rule \"a\": unknown rule type \"nul_null\" (did you mean \"not_null\"?)");
	parse_fails("rules:\n  - { name: a, type: not_null, table: t, colunms: [c] }\n",
		    "sluice.yaml:2:42: rule \"a\": unknown key \"colunms\" (did you mean \"columns\"?)");
	parse_fails("rules:\n  - { name: a, type: range, table: t, column: c, values: [1] }\n",
		    "rule \"a\": key \"values\" does not apply to rule type \"range\"");
	parse_fails("rules:\n  - { name: a, type: range, table: t, column: c }\n",
		    "rule \"a\": rule type \"range\" needs \"min\", \"max\" or both");
	parse_fails("rules:\n  - { name: a, type: not_null, table: t, column: c, threshold: -1 }\n",
		    "bad threshold \"-1\"");
	parse_fails("rules:\n  - { name: a, type: not_null, table: t, column: c, threshold: 1.5 }\n",
		    "bad threshold \"1.5\"");
	parse_fails("rules:\n  - { name: a, type: sql, sql: \"SELECT 1\", threshold: \"1%\" }\n",
		    "a percentage threshold needs rows to count");
	parse_fails("rules:\n  - { name: a, type: not_null, table: t, column: c, severity: fatal }\n",
		    "severity must be \"halt\" or \"warn\", not \"fatal\"");
	parse_fails("rules:\n  - { type: not_null, table: t, column: c }\n", "rule 1 has no \"name\"");
	parse_fails("rules:\n  - { name: a, type: not_null, table: t, column: c, columns: [d] }\n",
		    "give either \"column\" or \"columns\", not both");
	parse_fails("rules:\n  - { name: a, type: relationship, table: t, columns: [a, b], references: { "
		    "table: u, columns: [x] } }\n",
		    "\"references\" must list as many columns (1) as \"columns\" (2)");
	parse_fails("rules:\n  - { name: a, type: row_count, table: t, min: lots }\n",
		    "must be a whole number");
	parse_fails("rules:\n  - { name: a, type: freshness, table: t, column: c, max_age: 3y }\n",
		    "bad max_age \"3y\"");
	parse_fails("rules:\n  - { name: a, type: reconcile, source: x, target: y, table: t, measures: "
		    "[sum(a b)] }\n",
		    "bad measure \"sum(a b)\"");
	parse_fails("rules:\n  billing: { name: a }\n", "domain \"billing\" must hold a list of rules");
	parse_fails("rules:\n  - { name: a, type: not_null, table: t, column: "
		    "\"${SLUICE_TEST_UNSET_VARIABLE_X}\" }\n",
		    "SLUICE_TEST_UNSET_VARIABLE_X");
}

static void test_validate(void **state)
{
	sl_conn *c = sl_test_open("sqlite::memory:");
	sl_test_exec(c, "CREATE TABLE invoices (id INTEGER PRIMARY KEY, currency TEXT, customer_id INT);"
			"CREATE TABLE customers (id INTEGER PRIMARY KEY)");
	sl_schema *s = NULL;
	SL_OK_OR_FAIL(sl_conn_introspect(&s, c, NULL));
	sl_config *cfg = NULL;
	sl_rules *r = parse_ok(
		&cfg,
		"rules:\n"
		"  - { name: ok, type: relationship, table: INVOICES, column: customer_id, references: { "
		"table: customers, column: id } }\n"
		"  - { name: typo, type: accepted_values, table: invoices, column: currncy, values: [USD] }\n"
		"  - { name: no table, type: row_count, table: invoice, min: 1 }\n"
		"  - { name: bad ref, type: relationship, table: invoices, column: customer_id, references: "
		"{ table: customers, column: uid } }\n");
	SL_OK_OR_FAIL(sl_rule_validate(sl_rules_find(r, "ok"), s));
	assert_int_equal(sl_rule_validate(sl_rules_find(r, "typo"), s), SL_EINVALID);
	assert_string_equal(
		sl_error_last()->message,
		"sluice.yaml:3:67: rule \"typo\": column \"currncy\" does not exist in table \"invoices\"");
	assert_int_equal(sl_rule_validate(sl_rules_find(r, "no table"), s), SL_EINVALID);
	assert_non_null(strstr(sl_error_last()->message,
			       "sluice.yaml:4:47: rule \"no table\": table \"invoice\" does not exist"));
	assert_int_equal(sl_rule_validate(sl_rules_find(r, "bad ref"), s), SL_EINVALID);
	assert_non_null(
		strstr(sl_error_last()->message, "column \"uid\" does not exist in table \"customers\""));
	sl_rules_free(r);
	sl_config_free(cfg);
	sl_schema_free(s);
	sl_conn_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_type),
		cmocka_unit_test(test_judge),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_validate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
