/*
 * test_statement_columns.c - sl_conn_statement_columns() on SQLite,
 * PostgreSQL and MariaDB: the columns a query reads and writes (joins with
 * aliases, count(*), UPDATE, INSERT, DELETE, a view, a correlated subquery,
 * a lookup the MySQL optimizer folds into constants), and the errors for a
 * statement that does not parse or names a missing column.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct got {
	char items[64][160];
	size_t n;
} got;

static int on_touch(void *ud, const char *schema, const char *table, const char *column, unsigned access)
{
	got *g = ud;
	char item[160];
	(void)schema;
	for (unsigned bit = SL_ACCESS_READ; bit <= SL_ACCESS_WRITE; bit <<= 1) {
		if (!(access & bit))
			continue;
		snprintf(item, sizeof(item), "%c:%s.%s", bit == SL_ACCESS_READ ? 'r' : 'w', table,
			 column ? column : "*");
		bool dup = false;
		for (size_t i = 0; i < g->n; i++)
			dup |= strcmp(g->items[i], item) == 0;
		if (!dup && g->n < 64)
			snprintf(g->items[g->n++], sizeof(g->items[0]), "%s", item);
	}
	return 0;
}

static bool has(const got *g, const char *item)
{
	for (size_t i = 0; i < g->n; i++)
		if (strcmp(g->items[i], item) == 0)
			return true;
	return false;
}

static void dump(const got *g, const char *sql)
{
	fprintf(stderr, "touches of %s:\n", sql);
	for (size_t i = 0; i < g->n; i++)
		fprintf(stderr, "  %s\n", g->items[i]);
}

/* Every item of want (NULL-terminated) is reported, and nothing of nowant. */
static void expect(sl_conn *c, const sl_schema *s, const char *sql, const char *const *want,
		   const char *const *nowant)
{
	got g = { .n = 0 };
	SL_OK_OR_FAIL(sl_conn_statement_columns(c, sql, s, on_touch, &g, NULL));
	for (size_t i = 0; want[i]; i++)
		if (!has(&g, want[i])) {
			dump(&g, sql);
			fail_msg("%s: %s not reported", sql, want[i]);
		}
	for (size_t i = 0; nowant && nowant[i]; i++)
		if (has(&g, nowant[i])) {
			dump(&g, sql);
			fail_msg("%s: %s reported", sql, nowant[i]);
		}
}

static const char *const schema_sql[] = {
	"CREATE TABLE customers (id INTEGER PRIMARY KEY, email VARCHAR(200) NOT NULL, name VARCHAR(100))",
	"CREATE TABLE invoices (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, total DECIMAL(12,2) "
	"NOT NULL, status VARCHAR(16) NOT NULL)",
	"CREATE VIEW customer_balances AS SELECT c.id AS customer_id, c.email AS email, SUM(i.total) AS "
	"billed FROM customers c JOIN invoices i ON i.customer_id = c.id GROUP BY c.id, c.email",
	"INSERT INTO customers (id, email, name) VALUES (1, 'a@example.com', 'A')", NULL
};

static void run(sl_test_engine e)
{
	if (!sl_test_available(e))
		skip();
	char *url = sl_test_scratch_url(e);
	sl_conn *c = sl_test_open(url);
	sl_schema *s = NULL;
	for (size_t i = 0; schema_sql[i]; i++)
		sl_test_exec(c, schema_sql[i]);
	SL_OK_OR_FAIL(sl_conn_introspect(&s, c, NULL));

	expect(c, s,
	       "SELECT c.email, sum(i.total) FROM customers c JOIN invoices i ON i.customer_id = c.id "
	       "WHERE i.status = 'paid' GROUP BY c.email",
	       (const char *const[]){ "r:customers.email", "r:customers.id", "r:invoices.total",
				      "r:invoices.customer_id", "r:invoices.status", NULL },
	       (const char *const[]){ "r:customers.name", "w:customers.*", "w:invoices.*", NULL });
	expect(c, s, "SELECT count(*) FROM invoices", (const char *const[]){ "r:invoices.*", NULL },
	       (const char *const[]){ "r:customers.*", NULL });
	expect(c, s, "UPDATE invoices SET status = 'void' WHERE total < 0",
	       (const char *const[]){ "w:invoices.status", "r:invoices.total", NULL },
	       (const char *const[]){ "w:invoices.total", "w:invoices.*", NULL });
	expect(c, s, "INSERT INTO invoices (id, customer_id, total, status) VALUES (7, 1, 0, 'new')",
	       (const char *const[]){ "w:invoices.*", NULL }, (const char *const[]){ "r:customers.*", NULL });
	expect(c, s, "DELETE FROM invoices WHERE status = 'void'",
	       (const char *const[]){ "w:invoices.*", "r:invoices.status", NULL }, NULL);
	/* through a view: the view is read, not the tables behind it */
	expect(c, s, "SELECT email, billed FROM customer_balances WHERE billed > 100",
	       (const char *const[]){ NULL },
	       (const char *const[]){ "r:customers.email", "r:invoices.total", "r:customers.*", NULL });
	{
		got g = { .n = 0 };
		SL_OK_OR_FAIL(sl_conn_statement_columns(c, "SELECT email, billed FROM customer_balances", s,
							on_touch, &g, NULL));
		bool view = false;
		for (size_t i = 0; i < g.n; i++)
			view |= strncmp(g.items[i], "r:customer_balances.", 20) == 0;
		if (!view) {
			dump(&g, "view");
			fail_msg("the view is not reported as read");
		}
	}
	expect(c, s,
	       "SELECT name FROM customers WHERE EXISTS (SELECT 1 FROM invoices WHERE invoices.customer_id = "
	       "customers.id AND total > 10)",
	       (const char *const[]){ "r:customers.name", "r:customers.id", "r:invoices.customer_id",
				      "r:invoices.total", NULL },
	       NULL);
	/* one row, looked up by its key: MySQL's optimizer reads it as a constant */
	expect(c, s, "SELECT email FROM customers WHERE id = 1",
	       (const char *const[]){ "r:customers.email", "r:customers.id", NULL },
	       (const char *const[]){ "r:customers.name", NULL });

	/* bad input: the engine's message, and where it points */
	long off = -2;
	got g = { .n = 0 };
	assert_int_equal(sl_conn_statement_columns(c, "SELECT email FORM customers", s, on_touch, &g, &off),
			 SL_EINVALID);
	assert_true(off >= 13 && off <= 18);
	assert_int_equal(sl_conn_statement_columns(c, "SELECT nope FROM customers", s, on_touch, &g, &off),
			 SL_EINVALID);
	if (!strstr(sl_error_last()->message, "nope"))
		fail_msg("message does not name the column: %s", sl_error_last()->message);
	assert_int_equal(sl_conn_statement_columns(c, "SELECT 1 FROM missing_table", s, on_touch, &g, &off),
			 SL_EINVALID);
	if (!strstr(sl_error_last()->message, "missing_table"))
		fail_msg("message does not name the table: %s", sl_error_last()->message);

	sl_schema_free(s);
	sl_conn_close(c);
	sl_test_scratch_drop(e, url);
}

static void test_sqlite(void **state)
{
	(void)state;
	run(SL_TEST_SQLITE);
}

static void test_postgres(void **state)
{
	(void)state;
	run(SL_TEST_PG);
}

static void test_mysql(void **state)
{
	(void)state;
	run(SL_TEST_MY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sqlite),
		cmocka_unit_test(test_postgres),
		cmocka_unit_test(test_mysql),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
