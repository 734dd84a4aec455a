/*
 * test_consumers.c - sluice.yaml's consumers, domains and criticality
 * (src/map/consumers*.c), positions inside values (sl_config_where_offset),
 * the "breaks:" header, and the data map and impact built from an SQLite
 * database in memory: edges, criticality, unowned objects, renderers that
 * give the same bytes twice, what a drop or a rename reaches.
 */
#include "testutil.h"

#include "sluice/config.h"
#include "sluice/consumers.h"
#include "sluice/lint.h"
#include "sluice/map.h"
#include "sluice/schemadiff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sl_config *parse(const char *yaml)
{
	sl_config *c = NULL;
	SL_OK_OR_FAIL(sl_config_parse(&c, "sluice.yaml", yaml, strlen(yaml)));
	return c;
}

/* Loading yaml fails with exactly msg. */
static void load_fails(const char *yaml, const char *msg)
{
	sl_config *c = parse(yaml);
	sl_consumers *cs = NULL;
	assert_int_equal(sl_consumers_load(&cs, c), SL_EINVALID);
	assert_null(cs);
	assert_string_equal(sl_error_last()->message, msg);
	sl_config_free(c);
}

static void test_load(void **state)
{
	(void)state;
	sl_config *c = parse("criticality:\n"
			     "  levels: [gold, silver, bronze]\n"
			     "  blocking: [gold]\n"
			     "consumers:\n"
			     "  report:\n"
			     "    owner: finance\n"
			     "    criticality: silver\n"
			     "    ticket_prefix: FIN-\n"
			     "    reads: [invoices.total, customers, payments.*]\n"
			     "    writes: [invoices.status]\n"
			     "  job:\n"
			     "    owner: ops\n"
			     "    query: [\"SELECT 1 FROM t\", \"SELECT 2 FROM u\"]\n"
			     "domains:\n"
			     "  billing: [invoices, customers]\n"
			     "  audit: { tables: [audit_log], criticality: gold, owner: security }\n");
	sl_consumers *cs = NULL;
	SL_OK_OR_FAIL(sl_consumers_load(&cs, c));
	assert_int_equal(cs->crit.nlevels, 3);
	assert_true(sl_criticality_blocks(&cs->crit, 0));
	assert_false(sl_criticality_blocks(&cs->crit, 1));
	assert_int_equal(cs->crit.dflt, 2);
	assert_int_equal(cs->n, 2);
	const sl_consumer *r = sl_consumers_find(cs, "report");
	assert_non_null(r);
	assert_string_equal(r->owner, "finance");
	assert_string_equal(sl_criticality_name(&cs->crit, r->criticality), "silver");
	assert_string_equal(r->ticket_prefix, "FIN-");
	assert_int_equal(r->ntouches, 4);
	assert_string_equal(r->touches[0].table, "invoices");
	assert_string_equal(r->touches[0].column, "total");
	assert_int_equal(r->touches[0].access, SL_ACCESS_READ);
	assert_null(r->touches[1].column);
	assert_null(r->touches[2].column); /* payments.* is the whole table */
	assert_int_equal(r->touches[3].access, SL_ACCESS_WRITE);
	assert_int_equal(r->touches[0].line, 9);
	assert_int_equal(r->touches[0].col, 13);
	const sl_consumer *j = sl_consumers_find(cs, "job");
	assert_int_equal(j->nqueries, 2);
	assert_int_equal(j->criticality, 2); /* the default: the last level */
	assert_int_equal(cs->ndomains, 2);
	const sl_domain *d = sl_consumers_find_domain(cs, "audit");
	assert_int_equal(d->criticality, 0);
	assert_string_equal(d->tables[0].name, "audit_log");
	assert_int_equal(sl_consumers_find_domain(cs, "billing")->criticality, -1);
	sl_consumers_free(cs);
	sl_config_free(c);

	/* no sections: the default levels, revenue and compliance blocking */
	c = parse("project: x\n");
	SL_OK_OR_FAIL(sl_consumers_load(&cs, c));
	assert_int_equal(cs->crit.nlevels, 4);
	assert_string_equal(cs->crit.levels[0], "revenue");
	assert_true(sl_criticality_blocks(&cs->crit, 1));
	assert_false(sl_criticality_blocks(&cs->crit, 2));
	assert_string_equal(sl_criticality_name(&cs->crit, cs->crit.dflt), "internal");
	sl_consumers_free(cs);
	sl_config_free(c);
}

static void test_load_errors(void **state)
{
	(void)state;
	load_fails("consumers:\n  r:\n    ownr: x\n",
		   "sluice.yaml:3:5: unknown key \"ownr\" in \"consumers.r\" (did you mean \"owner\"?)");
	load_fails("consumers:\n  r:\n    reads: [t]\n", "sluice.yaml:2:3: consumer \"r\" has no \"owner\" "
							 "(the team or person to ask before changing what "
							 "it uses)");
	load_fails(
		"consumers:\n  r:\n    owner: x\n",
		"sluice.yaml:2:3: consumer \"r\" says nothing of what it uses: give \"reads\", \"writes\" or "
		"\"query\"");
	load_fails(
		"consumers:\n  r:\n    owner: x\n    criticality: revenu\n    reads: [t]\n",
		"sluice.yaml:4:18: \"consumers.r.criticality\": unknown criticality \"revenu\" (did you mean "
		"\"revenue\"?)");
	load_fails("consumers:\n  r:\n    owner: x\n    reads: [\"t.\"]\n",
		   "sluice.yaml:4:14: \"consumers.r.reads\": \"t.\" is not a table or table.column name");
	load_fails("consumers:\n  r:\n    owner: x\n    query: \"  ;\"\n",
		   "sluice.yaml:4:13: \"consumers.r.query\" is empty");
	load_fails("criticality:\n  levels: [a, a]\n",
		   "sluice.yaml:2:12: \"criticality.levels\": \"a\" twice");
	load_fails(
		"criticality:\n  blocking: [gold]\n",
		"sluice.yaml:2:14: \"criticality.blocking\": unknown criticality \"gold\" (levels: revenue, "
		"compliance, customer-facing, internal)");
	load_fails(
		"domains:\n  billing:\n    tabels: [a]\n",
		"sluice.yaml:3:5: unknown key \"tabels\" in \"domains.billing\" (did you mean \"tables\"?)");
	load_fails("domains:\n  billing: {}\n", "sluice.yaml:2:3: domain \"billing\" lists no tables");
}

static void test_where_offset(void **state)
{
	(void)state;
	const char *yaml = "consumers:\n"
			   "  a:\n"
			   "    owner: x\n"
			   "    query: |\n"
			   "      SELECT id\n"
			   "        FROM invoices\n"
			   "  b:\n"
			   "    owner: x\n"
			   "    query: 'SELECT ''x'' FORM t'\n"
			   "  c:\n"
			   "    owner: x\n"
			   "    query: >-\n"
			   "      SELECT a\n"
			   "      FROM b\n";
	sl_config *c = parse(yaml);
	sl_consumers *cs = NULL;
	char where[128];
	SL_OK_OR_FAIL(sl_consumers_load(&cs, c));
	struct fy_node *a = cs->items[0].queries[0].node, *b = cs->items[1].queries[0].node,
		       *f = cs->items[2].queries[0].node;
	assert_string_equal(sl_config_where_offset(c, a, 0, where, sizeof(where)), "sluice.yaml:5:7");
	assert_string_equal(sl_config_where_offset(c, a, 7, where, sizeof(where)), "sluice.yaml:5:14");
	assert_string_equal(sl_config_where_offset(c, a, 17, where, sizeof(where)), "sluice.yaml:6:14");
	assert_string_equal(sl_config_where_offset(c, b, 0, where, sizeof(where)), "sluice.yaml:9:13");
	/* "SELECT 'x' FORM t": FORM is at value offset 11, two bytes later in the text ('' twice) */
	assert_string_equal(sl_config_where_offset(c, b, 11, where, sizeof(where)), "sluice.yaml:9:26");
	assert_string_equal(sl_config_where_offset(c, f, 9, where, sizeof(where)), "sluice.yaml:14:7");
	sl_consumers_free(cs);
	sl_config_free(c);
}

static void test_breaks(void **state)
{
	(void)state;
	sl_arena *a = sl_arena_new(0);
	sl_breaks_entry *e = NULL;
	size_t n = 0;
	SL_OK_OR_FAIL(sl_breaks_parse(a, "invoice-run BILL-1, revenue-report  FIN-2\ncrm GROW-3,", &e, &n));
	assert_int_equal(n, 3);
	assert_string_equal(e[1].consumer, "revenue-report");
	assert_string_equal(e[1].ticket, "FIN-2");
	assert_string_equal(e[2].ticket, "GROW-3");
	assert_int_equal(sl_breaks_parse(a, "invoice-run", &e, &n), SL_EINVALID);
	assert_non_null(strstr(sl_error_last()->message, "\"invoice-run\" has no ticket"));
	assert_int_equal(sl_breaks_parse(a, "a T-1 and b T-2", &e, &n), SL_EINVALID);
	SL_OK_OR_FAIL(sl_breaks_parse(a, NULL, &e, &n));
	assert_int_equal(n, 0);
	sl_arena_free(a);
}

static const char *const schema_sql[] = {
	"CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL, country TEXT)",
	"CREATE TABLE invoices (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES "
	"customers(id), "
	"total DECIMAL(12,2) NOT NULL, note TEXT)",
	"CREATE INDEX invoices_customer ON invoices (customer_id)",
	"CREATE TABLE scratch (x INTEGER)",
	"CREATE VIEW balances AS SELECT c.email, SUM(i.total) AS billed FROM customers c JOIN invoices i ON "
	"i.customer_id = c.id GROUP BY c.email",
	NULL
};

static const char *const consumers_yaml =
	"consumers:\n"
	"  report:\n"
	"    owner: finance\n"
	"    criticality: compliance\n"
	"    query: SELECT c.country, i.total FROM invoices i JOIN customers c ON c.id = "
	"i.customer_id\n"
	"  page:\n"
	"    owner: web\n"
	"    criticality: customer-facing\n"
	"    reads: [balances]\n"
	"domains:\n"
	"  billing: { tables: [customers, invoices], criticality: revenue }\n";

static int64_t edges_to(const sl_map *m, const char *from, const char *to, sl_edge_kind k)
{
	long f = sl_map_find(m, from), t = sl_map_find(m, to);
	for (size_t i = 0; f >= 0 && t >= 0 && i < m->nedges; i++)
		if ((long)m->edges[i].from == f && (long)m->edges[i].to == t && m->edges[i].kind == k)
			return 1;
	return 0;
}

static sl_effect effect_of(const sl_impact *im, const char *id)
{
	long n = sl_map_find(im->map, id);
	for (size_t i = 0; i < im->n; i++)
		if ((long)im->items[i].node == n)
			return im->items[i].effect;
	return (sl_effect)-1;
}

static void test_map(void **state)
{
	(void)state;
	sl_conn *c = sl_test_open("sqlite::memory:");
	sl_schema *s = NULL;
	sl_config *cfg = parse(consumers_yaml);
	sl_consumers *cs = NULL;
	sl_map *m = NULL;
	for (size_t i = 0; schema_sql[i]; i++)
		sl_test_exec(c, schema_sql[i]);
	SL_OK_OR_FAIL(sl_conn_introspect(&s, c, NULL));
	SL_OK_OR_FAIL(sl_consumers_load(&cs, cfg));
	SL_OK_OR_FAIL(sl_consumers_resolve(cs, c, s));
	sl_map_input in = { .schema = s, .consumers = cs, .title = "t" };
	SL_OK_OR_FAIL(sl_map_build(&m, &in));

	assert_int_equal(edges_to(m, "consumer:report", "column:invoices.total", SL_EDGE_READS), 1);
	assert_int_equal(edges_to(m, "consumer:report", "column:customers.country", SL_EDGE_READS), 1);
	assert_int_equal(edges_to(m, "consumer:page", "view:balances", SL_EDGE_READS), 1);
	assert_int_equal(edges_to(m, "view:balances", "column:invoices.total", SL_EDGE_READS), 1);
	assert_int_equal(edges_to(m, "column:invoices.total", "table:invoices", SL_EDGE_COLUMN_OF), 1);
	assert_int_equal(edges_to(m, "index:invoices.invoices_customer", "column:invoices.customer_id",
				  SL_EDGE_INDEXES),
			 1);
	assert_int_equal(edges_to(m, "domain:billing", "table:invoices", SL_EDGE_GROUPS), 1);
	/* criticality: the domain's revenue reaches its tables and their columns */
	assert_string_equal(sl_criticality_name(&m->crit,
						m->nodes[sl_map_find(m, "column:invoices.note")].level),
			    "revenue");
	assert_string_equal(sl_criticality_name(&m->crit, m->nodes[sl_map_find(m, "view:balances")].level),
			    "customer-facing");
	/* no consumer and no migration: scratch is unowned; invoices is used */
	assert_true(m->nodes[sl_map_find(m, "table:scratch")].unowned);
	assert_false(m->nodes[sl_map_find(m, "table:invoices")].unowned);
	size_t node;
	SL_OK_OR_FAIL(sl_map_lookup(m, "invoices_customer", &node));
	assert_string_equal(m->nodes[node].id, "index:invoices.invoices_customer");
	assert_int_equal(sl_map_lookup(m, "invoice", &node), SL_ENOTFOUND);
	assert_non_null(strstr(sl_error_last()->message, "did you mean \"invoices\"?"));

	/* every renderer gives the same bytes twice */
	int (*const renderers[])(sl_buf *, const sl_map *) = { sl_map_render_json, sl_map_render_dot,
							       sl_map_render_mermaid };
	for (size_t i = 0; i < 3; i++) {
		sl_buf x = SL_BUF_INIT, y = SL_BUF_INIT;
		SL_OK_OR_FAIL(renderers[i](&x, m));
		SL_OK_OR_FAIL(renderers[i](&y, m));
		assert_string_equal(sl_buf_cstr(&x), sl_buf_cstr(&y));
		sl_buf_free(&x);
		sl_buf_free(&y);
	}
	sl_buf md = SL_BUF_INIT;
	SL_OK_OR_FAIL(sl_map_render_md(&md, m, s));
	assert_non_null(strstr(sl_buf_cstr(&md),
			       "| **report** | finance | compliance (sign-off needed) | reads "
			       "**customers** (`country`, `id`), **invoices** (`customer_id`, "
			       "`total`) |"));
	assert_non_null(strstr(sl_buf_cstr(&md), "- table **scratch**"));
	assert_non_null(strstr(sl_buf_cstr(&md), "- Used by: **report** (compliance, finance); **page**"));
	sl_buf_free(&md);

	/* what dropping invoices.total would reach */
	sl_impact *im = NULL;
	SL_OK_OR_FAIL(sl_map_lookup(m, "invoices.total", &node));
	SL_OK_OR_FAIL(sl_impact_of_node(&im, m, node));
	assert_int_equal(effect_of(im, "view:balances"), SL_EFFECT_BREAKS);
	assert_int_equal(effect_of(im, "consumer:page"), SL_EFFECT_BREAKS);
	assert_int_equal(effect_of(im, "consumer:report"), SL_EFFECT_BREAKS);
	assert_int_equal(effect_of(im, "domain:billing"), SL_EFFECT_AFFECTED);
	assert_int_equal((int)effect_of(im, "table:scratch"), -1);
	assert_string_equal(sl_criticality_name(&m->crit, im->worst_level), "revenue");
	sl_impact_free(im);

	/* a rename that SQLite carries into the view: the view holds, its reader is only affected */
	sl_schema *after = NULL;
	sl_schemadiff *df = NULL;
	sl_test_exec(c, "ALTER TABLE invoices RENAME COLUMN total TO amount");
	SL_OK_OR_FAIL(sl_conn_introspect(&after, c, NULL));
	SL_OK_OR_FAIL(sl_schema_diff(&df, s, after, NULL));
	SL_OK_OR_FAIL(sl_impact_of_changes(&im, m, df, s, after, "rename", NULL, 0));
	assert_int_equal(effect_of(im, "column:invoices.total"), SL_EFFECT_BREAKS);
	assert_string_equal(im->items[0].cause, "column \"invoices\".\"total\" renamed to \"amount\"");
	assert_int_equal(effect_of(im, "consumer:report"), SL_EFFECT_BREAKS);
	assert_int_equal(effect_of(im, "consumer:page"), SL_EFFECT_AFFECTED);
	sl_buf t = SL_BUF_INIT;
	SL_OK_OR_FAIL(sl_impact_render_text(&t, im));
	assert_non_null(strstr(sl_buf_cstr(&t),
			       "BREAKS    consumer report [compliance, owner finance]: reads "
			       "invoices.total"));
	sl_buf_free(&t);
	sl_impact_free(im);
	sl_schemadiff_free(df);
	sl_schema_free(after);

	sl_map_free(m);
	sl_consumers_free(cs);
	sl_config_free(cfg);
	sl_schema_free(s);
	sl_conn_close(c);
}

static void test_resolve_errors(void **state)
{
	(void)state;
	sl_conn *c = sl_test_open("sqlite::memory:");
	sl_schema *s = NULL;
	for (size_t i = 0; schema_sql[i]; i++)
		sl_test_exec(c, schema_sql[i]);
	SL_OK_OR_FAIL(sl_conn_introspect(&s, c, NULL));
	static const struct {
		const char *yaml, *msg;
	} cases[] = {
		{ "consumers:\n  r:\n    owner: x\n    reads: [invoices.totl]\n",
		  "sluice.yaml:4:13: consumer \"r\": no column of \"invoices\" named \"totl\" (did you mean "
		  "\"total\"?)" },
		{ "domains:\n  d: [customers, invoice_lines]\n",
		  "sluice.yaml:2:18: domain \"d\": no table \"invoice_lines\" in :memory:" },
		{ "consumers:\n  r:\n    owner: x\n    writes: [invoice]\n",
		  "sluice.yaml:4:14: consumer \"r\": no table or view \"invoice\" (did you mean "
		  "\"invoices\"?)" },
		{ "domains:\n  d: [customers, balances]\n",
		  "sluice.yaml:2:18: domain \"d\": \"balances\" is a view; a domain groups tables" },
		{ "consumers:\n  r:\n    owner: x\n    query: |\n      SELECT total\n      FROM invoices "
		  "WHERE nope = 1\n",
		  "sluice.yaml:6:27: consumer \"r\": query: no such column: nope" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sl_config *cfg = parse(cases[i].yaml);
		sl_consumers *cs = NULL;
		SL_OK_OR_FAIL(sl_consumers_load(&cs, cfg));
		assert_int_equal(sl_consumers_resolve(cs, c, s), SL_EINVALID);
		assert_string_equal(sl_error_last()->message, cases[i].msg);
		sl_consumers_free(cs);
		sl_config_free(cfg);
	}
	sl_schema_free(s);
	sl_conn_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load),         cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_where_offset), cmocka_unit_test(test_breaks),
		cmocka_unit_test(test_map),          cmocka_unit_test(test_resolve_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
