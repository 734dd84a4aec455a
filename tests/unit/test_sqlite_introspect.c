/*
 * test_sqlite_introspect.c - SQLite schema introspection
 * (src/schema/introspect_sqlite.c): declared-type rules, keys, indexes,
 * foreign keys, checks, generated columns, views with their column reads,
 * triggers and AUTOINCREMENT sequences, then the real Chinook and Northwind
 * sample databases (skipped when ../shared/data is absent).
 */
#include "testutil.h"

#include "db/sqlite_internal.h"
#include "sluice/conn.h"
#include "sluice/schema.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char schema_sql[] =
	"CREATE TABLE customers (\n"
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
	"  email TEXT NOT NULL COLLATE NOCASE,\n"
	"  name VARCHAR(100) DEFAULT 'it''s (x), y',\n"
	"  score intege,\n"
	"  ratio \"double precision\",\n"
	"  age smallint unsigned,\n"
	"  created DATETIME DEFAULT 0,\n"
	"  tags TEXT[],\n"
	"  flag TINYINT(1),\n"
	"  price DECIMAL(10,2) CHECK (price >= 0),\n"
	"  anything,\n"
	"  code CHAR(3),\n"
	"  bin BYTEA,\n"
	"  starts TIMESTAMP WITH TIME ZONE,\n"
	"  uid UUID,\n"
	"  doc JSONB,\n"
	"  weird money, -- a comment with CHECK (x) inside\n"
	"  CONSTRAINT email_uq UNIQUE (email),\n"
	"  CONSTRAINT \"name ok\" CHECK (name <> 'a,b)' AND length(\"name\") > (1)),\n"
	"  CHECK (score IN (1, 2, 3) OR score IS NULL)\n"
	");\n"
	"CREATE TABLE regions(region TEXT, code TEXT, PRIMARY KEY (region, code)) WITHOUT ROWID;\n"
	"CREATE TABLE orders (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  customer_id INTEGER NOT NULL CONSTRAINT fk_cust REFERENCES customers(id)\n"
	"    ON DELETE CASCADE ON UPDATE RESTRICT,\n"
	"  total REAL,\n"
	"  qty INTEGER,\n"
	"  line_total REAL GENERATED ALWAYS AS (total * (qty + 0)) STORED,\n"
	"  note_len INT AS (length(note)) VIRTUAL,\n"
	"  note TEXT,\n"
	"  region TEXT, code TEXT,\n"
	"  CONSTRAINT fk_region FOREIGN KEY (region, code) REFERENCES regions(region, code)\n"
	"    ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED,\n"
	"  UNIQUE (customer_id, id)\n"
	");\n"
	"CREATE TABLE events(id INTEGER PRIMARY KEY AUTOINCREMENT, x);\n"
	"CREATE TABLE \"odd \"\"name\"\"\"([select] TEXT, \"a,b\" INT);\n"
	"CREATE INDEX orders_open ON orders(customer_id) WHERE total > 0;\n"
	"CREATE UNIQUE INDEX orders_expr ON orders(lower(note), qty DESC);\n"
	"CREATE VIEW big_orders AS SELECT c.email, o.total FROM orders o\n"
	"  JOIN customers c ON c.id = o.customer_id WHERE o.total > 100;\n"
	"CREATE VIEW counted (n) AS SELECT count(*) FROM regions;\n"
	"CREATE TRIGGER orders_audit AFTER UPDATE OF total ON orders FOR EACH ROW\n"
	"  BEGIN UPDATE customers SET score = 1 WHERE id = NEW.customer_id; END;\n"
	"CREATE TRIGGER IF NOT EXISTS \"no timing\" DELETE ON regions BEGIN SELECT 1; END;\n"
	"CREATE TABLE sluice_migrations(v INTEGER);\n"
	"INSERT INTO customers(email) VALUES ('a@x'), ('b@x'), ('c@x');\n"
	"DELETE FROM customers WHERE email = 'c@x';\n";

static sl_schema *introspect(sl_conn *c, bool include_sluice)
{
	sl_introspect_opts o = SL_INTROSPECT_OPTS_INIT;
	o.include_sluice = include_sluice;
	sl_schema *s = NULL;
	SL_OK_OR_FAIL(sl_conn_introspect(&s, c, &o));
	return s;
}

static const sl_column *col(const sl_table *t, const char *name)
{
	const sl_column *c = sl_table_find_column(t, name);
	if (!c)
		fail_msg("no column \"%s\" in \"%s\"", name, t->name);
	return c;
}

static const sl_index *index_named(const sl_table *t, const char *name)
{
	for (size_t i = 0; i < t->nindexes; i++)
		if (strcmp(t->indexes[i].name, name) == 0)
			return &t->indexes[i];
	fail_msg("no index \"%s\"", name);
	return NULL;
}

static bool view_reads(const sl_view *v, const char *table, const char *column)
{
	for (size_t i = 0; i < v->nreads; i++)
		if (strcmp(v->reads[i].table, table) == 0 &&
		    ((!column && !v->reads[i].column) ||
		     (column && v->reads[i].column && strcmp(v->reads[i].column, column) == 0)))
			return true;
	return false;
}

static void test_decl_types(void **state)
{
	(void)state;
	struct {
		const char *decl;
		sl_tkind kind;
		int length, precision, scale;
		bool is_unsigned;
	} cases[] = {
		{ "BOOLEAN", SL_T_BOOL, 0, -1, 0, false },
		{ "tinyint(1)", SL_T_BOOL, 0, -1, 0, false },
		{ "tinyint(4)", SL_T_INT64, 0, -1, 0, false },
		{ "smallint unsigned", SL_T_INT16, 0, -1, 0, true },
		{ "INT2", SL_T_INT16, 0, -1, 0, false },
		{ "int(11) UNSIGNED ZEROFILL", SL_T_INT64, 0, -1, 0, true },
		{ "intege", SL_T_INT64, 0, -1, 0, false },
		{ "MEDIUMINT", SL_T_INT64, 0, -1, 0, false },
		{ "\"double precision\"", SL_T_FLOAT64, 0, -1, 0, false },
		{ "double precision", SL_T_FLOAT64, 0, -1, 0, false },
		{ "FLOAT", SL_T_FLOAT64, 0, -1, 0, false },
		/* SQLite's own rule: "poINT" contains INT, so this is an integer column */
		{ "floating point", SL_T_INT64, 0, -1, 0, false },
		{ "floa", SL_T_FLOAT64, 0, -1, 0, false },
		{ "DECIMAL(10,2)", SL_T_DECIMAL, 0, 10, 2, false },
		{ "numeric( 18 , 0 )", SL_T_DECIMAL, 0, 18, 0, false },
		{ "NUMERIC", SL_T_DECIMAL, 0, 0, 0, false },
		{ "money", SL_T_DECIMAL, 0, 0, 0, false },
		{ "NCHAR(55)", SL_T_CHAR, 55, -1, 0, false },
		{ "CHARACTER(20)", SL_T_CHAR, 20, -1, 0, false },
		{ "NVARCHAR(160)", SL_T_VARCHAR, 160, -1, 0, false },
		{ "VARYING CHARACTER(255)", SL_T_VARCHAR, 255, -1, 0, false },
		{ "text nocase", SL_T_TEXT, 0, -1, 0, false },
		{ "CLOB", SL_T_TEXT, 0, -1, 0, false },
		{ "STRING", SL_T_TEXT, 0, -1, 0, false },
		{ "nvarchar2(5)", SL_T_TEXT, 0, -1, 0, false }, /* affinity: contains CHAR */
		{ "BLOB", SL_T_BLOB, 0, -1, 0, false },
		{ "VARBINARY(16)", SL_T_BLOB, 16, -1, 0, false },
		{ "", SL_T_UNKNOWN, 0, -1, 0, false },
		{ "DATE", SL_T_DATE, 0, -1, 0, false },
		{ "datetime", SL_T_TIMESTAMP, 0, -1, 0, false },
		{ "TIMESTAMP(3)", SL_T_TIMESTAMP, 0, 3, 0, false },
		{ "TIMESTAMPTZ", SL_T_TIMESTAMPTZ, 0, -1, 0, false },
		{ "timestamp(6) with time zone", SL_T_TIMESTAMPTZ, 0, 6, 0, false },
		{ "TIME", SL_T_TIME, 0, -1, 0, false },
		{ "uuid", SL_T_UUID, 0, -1, 0, false },
		{ "JSONB", SL_T_JSON, 0, -1, 0, false },
		{ "TEXT[]", SL_T_ARRAY, 0, -1, 0, false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sl_type t;
		char elem[32];
		sl_sqlite_decl_type(cases[i].decl, &t, elem, sizeof(elem));
		if (t.kind != cases[i].kind || t.length != cases[i].length ||
		    t.precision != cases[i].precision || t.scale != cases[i].scale ||
		    t.is_unsigned != cases[i].is_unsigned)
			fail_msg("\"%s\": got %s len %d prec %d scale %d unsigned %d", cases[i].decl,
				 sl_tkind_name(t.kind), t.length, t.precision, t.scale, t.is_unsigned);
	}
	sl_type t;
	char elem[32];
	sl_sqlite_decl_type("varchar(20) []", &t, elem, sizeof(elem));
	assert_int_equal(t.kind, SL_T_ARRAY);
	assert_string_equal(t.elem, "varchar(20)");
}

static void test_schema(void **state)
{
	(void)state;
	sl_conn *c = sl_test_open("sqlite::memory:");
	sl_test_exec(c, schema_sql);
	sl_schema *s = introspect(c, false);

	assert_int_equal(s->engine, SL_ENGINE_SQLITE);
	assert_int_equal(s->ntables, 5);
	assert_null(sl_schema_find_table(s, NULL, "sluice_migrations"));
	assert_null(sl_schema_find_table(s, NULL, "sqlite_sequence"));

	/* customers: types, defaults, collation, checks, uniques */
	const sl_table *t = sl_schema_find_table(s, "main", "customers");
	assert_non_null(t);
	assert_int_equal(t->ncolumns, 17);
	assert_int_equal(t->row_count, 2);
	assert_true(t->row_count_exact);
	const sl_column *id = col(t, "id");
	assert_true(id->identity);
	assert_false(id->nullable);
	assert_int_equal(id->type.kind, SL_T_INT64);
	assert_non_null(t->primary_key);
	assert_int_equal(t->primary_key->ncolumns, 1);
	assert_string_equal(t->primary_key->columns[0], "id");
	assert_false(col(t, "email")->nullable);
	assert_string_equal(col(t, "email")->collation, "NOCASE");
	assert_string_equal(col(t, "name")->default_expr, "'it''s (x), y'");
	assert_int_equal(col(t, "name")->type.kind, SL_T_VARCHAR);
	assert_int_equal(col(t, "name")->type.length, 100);
	assert_int_equal(col(t, "score")->type.kind, SL_T_INT64);
	assert_string_equal(col(t, "score")->decl_type, "intege");
	assert_int_equal(col(t, "ratio")->type.kind, SL_T_FLOAT64);
	assert_int_equal(col(t, "age")->type.kind, SL_T_INT16);
	assert_true(col(t, "age")->type.is_unsigned);
	assert_int_equal(col(t, "created")->type.kind, SL_T_TIMESTAMP);
	assert_string_equal(col(t, "created")->default_expr, "0");
	assert_int_equal(col(t, "tags")->type.kind, SL_T_ARRAY);
	assert_string_equal(col(t, "tags")->type.elem, "TEXT");
	assert_int_equal(col(t, "flag")->type.kind, SL_T_BOOL);
	assert_int_equal(col(t, "price")->type.kind, SL_T_DECIMAL);
	assert_int_equal(col(t, "price")->type.precision, 10);
	assert_int_equal(col(t, "price")->type.scale, 2);
	assert_int_equal(col(t, "anything")->type.kind, SL_T_UNKNOWN);
	assert_string_equal(col(t, "anything")->decl_type, "");
	assert_int_equal(col(t, "code")->type.kind, SL_T_CHAR);
	assert_int_equal(col(t, "bin")->type.kind, SL_T_BLOB);
	assert_int_equal(col(t, "starts")->type.kind, SL_T_TIMESTAMPTZ);
	assert_int_equal(col(t, "uid")->type.kind, SL_T_UUID);
	assert_int_equal(col(t, "doc")->type.kind, SL_T_JSON);
	assert_int_equal(col(t, "weird")->type.kind, SL_T_DECIMAL);
	assert_null(col(t, "weird")->generated_expr);

	assert_int_equal(t->nchecks, 3); /* sorted by name, NULL names first */
	bool seen_named = false, seen_price = false, seen_score = false;
	for (size_t i = 0; i < t->nchecks; i++) {
		const sl_check *k = &t->checks[i];
		if (k->name && strcmp(k->name, "name ok") == 0) {
			assert_string_equal(k->expr, "name <> 'a,b)' AND length(\"name\") > (1)");
			seen_named = true;
		} else if (!k->name && strcmp(k->expr, "price >= 0") == 0) {
			seen_price = true;
		} else if (!k->name && strcmp(k->expr, "score IN (1, 2, 3) OR score IS NULL") == 0) {
			seen_score = true;
		} else {
			fail_msg("unexpected check %s: %s", k->name ? k->name : "(none)", k->expr);
		}
	}
	assert_true(seen_named && seen_price && seen_score);
	assert_int_equal(t->nuniques, 1);
	assert_int_equal(t->uniques[0].ncolumns, 1);
	assert_string_equal(t->uniques[0].columns[0], "email");
	assert_int_equal(t->nindexes, 1); /* the autoindex behind the UNIQUE */
	assert_true(t->indexes[0].unique);
	assert_null(t->indexes[0].definition);

	/* orders: FKs with actions and names, generated columns, indexes */
	t = sl_schema_find_table(s, NULL, "orders");
	assert_non_null(t);
	assert_int_equal(t->row_count, 0);
	const sl_column *lt = col(t, "line_total");
	assert_string_equal(lt->generated_expr, "total * (qty + 0)");
	assert_true(lt->generated_stored);
	const sl_column *nl = col(t, "note_len");
	assert_string_equal(nl->generated_expr, "length(note)");
	assert_false(nl->generated_stored);
	assert_null(col(t, "note")->generated_expr);
	assert_true(col(t, "id")->identity);

	assert_int_equal(t->nfkeys, 2);
	const sl_fkey *cust = NULL, *reg = NULL;
	for (size_t i = 0; i < t->nfkeys; i++) {
		if (strcmp(t->fkeys[i].ref_table, "customers") == 0)
			cust = &t->fkeys[i];
		else if (strcmp(t->fkeys[i].ref_table, "regions") == 0)
			reg = &t->fkeys[i];
	}
	assert_non_null(cust);
	assert_non_null(reg);
	assert_string_equal(cust->name, "fk_cust");
	assert_int_equal(cust->ncolumns, 1);
	assert_string_equal(cust->columns[0], "customer_id");
	assert_string_equal(cust->ref_columns[0], "id");
	assert_int_equal(cust->on_delete, SL_FK_CASCADE);
	assert_int_equal(cust->on_update, SL_FK_RESTRICT);
	assert_false(cust->deferrable);
	assert_string_equal(reg->name, "fk_region");
	assert_int_equal(reg->ncolumns, 2);
	assert_string_equal(reg->columns[0], "region");
	assert_string_equal(reg->columns[1], "code");
	assert_string_equal(reg->ref_columns[1], "code");
	assert_int_equal(reg->on_delete, SL_FK_SET_NULL);
	assert_int_equal(reg->on_update, SL_FK_NO_ACTION);
	assert_true(reg->deferrable);

	const sl_index *ix = index_named(t, "orders_open");
	assert_false(ix->unique);
	assert_string_equal(ix->where, "total > 0");
	assert_int_equal(ix->ncolumns, 1);
	assert_string_equal(ix->columns[0], "customer_id");
	assert_false(ix->is_expression[0]);
	ix = index_named(t, "orders_expr");
	assert_true(ix->unique);
	assert_null(ix->where);
	assert_int_equal(ix->ncolumns, 2);
	assert_true(ix->is_expression[0]);
	assert_string_equal(ix->columns[0], "lower(note)");
	assert_false(ix->is_expression[1]);
	assert_string_equal(ix->columns[1], "qty");
	assert_non_null(strstr(ix->definition, "CREATE UNIQUE INDEX orders_expr"));
	assert_int_equal(t->nuniques, 1);
	assert_int_equal(t->uniques[0].ncolumns, 2);

	/* regions: WITHOUT ROWID, composite PK behind a 'pk' index */
	t = sl_schema_find_table(s, NULL, "regions");
	assert_int_equal(t->primary_key->ncolumns, 2);
	assert_string_equal(t->primary_key->columns[1], "code");
	assert_int_equal(t->nindexes, 1);
	assert_true(t->indexes[0].primary);
	assert_false(col(t, "region")->identity);

	/* a name with quotes and columns named like keywords */
	t = sl_schema_find_table(s, NULL, "odd \"name\"");
	assert_non_null(t);
	assert_int_equal(t->ncolumns, 2);
	assert_string_equal(t->columns[0].name, "select");
	assert_string_equal(t->columns[1].name, "a,b");
	assert_null(t->primary_key);

	/* views: body, and the columns each reads */
	assert_int_equal(s->nviews, 2);
	const sl_view *v = &s->views[0];
	assert_string_equal(v->name, "big_orders");
	assert_true(strncmp(v->definition, "SELECT c.email, o.total FROM orders o", 37) == 0);
	assert_true(view_reads(v, "customers", "email"));
	assert_true(view_reads(v, "customers", "id"));
	assert_true(view_reads(v, "orders", "total"));
	assert_true(view_reads(v, "orders", "customer_id"));
	assert_false(view_reads(v, "orders", "qty"));
	assert_int_equal(v->nreads, 4);
	v = &s->views[1];
	assert_string_equal(v->name, "counted");
	assert_string_equal(v->definition, "SELECT count(*) FROM regions");
	assert_true(view_reads(v, "regions", NULL)); /* whole table, no column */

	/* triggers */
	assert_int_equal(s->ntriggers, 2);
	/* sorted by table, then name */
	const sl_trigger *tr = &s->triggers[1];
	assert_string_equal(tr->name, "no timing");
	assert_string_equal(tr->table, "regions");
	assert_string_equal(tr->timing, "BEFORE");
	assert_string_equal(tr->events, "DELETE");
	tr = &s->triggers[0];
	assert_string_equal(tr->name, "orders_audit");
	assert_string_equal(tr->table, "orders");
	assert_string_equal(tr->timing, "AFTER");
	assert_string_equal(tr->events, "UPDATE");
	assert_true(tr->for_each_row);
	assert_non_null(strstr(tr->definition, "UPDATE customers SET score = 1"));

	/* AUTOINCREMENT: a used sequence and an empty one */
	assert_int_equal(s->nsequences, 2);
	assert_string_equal(s->sequences[0].name, "customers");
	assert_int_equal(s->sequences[0].last_value, 3);
	assert_string_equal(s->sequences[0].owned_by_table, "customers");
	assert_string_equal(s->sequences[0].owned_by_column, "id");
	assert_string_equal(s->sequences[1].name, "events");
	assert_int_equal(s->sequences[1].last_value, 0);
	sl_schema_free(s);

	s = introspect(c, true);
	assert_int_equal(s->ntables, 6);
	assert_non_null(sl_schema_find_table(s, NULL, "sluice_migrations"));
	sl_schema_free(s);
	sl_conn_close(c);
}

static int data_path(char *out, size_t n, const char *rel)
{
	snprintf(out, n, "%s/../shared/data/%s", SLUICE_SOURCE_DIR, rel);
	return access(out, R_OK) == 0;
}

static sl_conn *open_ro(const char *path)
{
	char url[1200];
	snprintf(url, sizeof(url), "sqlite:file:%s?mode=ro", path);
	return sl_test_open(url);
}

static int64_t rows_of(const sl_schema *s, const char *table)
{
	const sl_table *t = sl_schema_find_table(s, NULL, table);
	if (!t)
		fail_msg("no table \"%s\"", table);
	return t->row_count;
}

static void test_chinook(void **state)
{
	(void)state;
	char path[1024];
	if (!data_path(path, sizeof(path), "chinook/Chinook_Sqlite.sqlite"))
		skip();
	sl_conn *c = open_ro(path);
	sl_schema *s = introspect(c, false);
	assert_int_equal(s->ntables, 11);
	assert_int_equal(rows_of(s, "Album"), 347);
	assert_int_equal(rows_of(s, "Track"), 3503);
	assert_int_equal(rows_of(s, "InvoiceLine"), 2240);
	assert_int_equal(rows_of(s, "PlaylistTrack"), 8715);
	int64_t total = 0;
	for (size_t i = 0; i < s->ntables; i++)
		total += s->tables[i].row_count;
	assert_int_equal(total, 15607);
	const sl_table *pt = sl_schema_find_table(s, NULL, "PlaylistTrack");
	assert_int_equal(pt->primary_key->ncolumns, 2);
	assert_int_equal(pt->nfkeys, 2);
	const sl_table *emp = sl_schema_find_table(s, NULL, "Employee");
	bool self_ref = false;
	for (size_t i = 0; i < emp->nfkeys; i++)
		if (strcmp(emp->fkeys[i].ref_table, "Employee") == 0 &&
		    strcmp(emp->fkeys[i].columns[0], "ReportsTo") == 0)
			self_ref = true;
	assert_true(self_ref);
	const sl_table *inv = sl_schema_find_table(s, NULL, "Invoice");
	assert_int_equal(col(inv, "Total")->type.kind, SL_T_DECIMAL);
	assert_int_equal(col(inv, "Total")->type.precision, 10);
	assert_int_equal(col(inv, "InvoiceDate")->type.kind, SL_T_TIMESTAMP);
	assert_int_equal(col(sl_schema_find_table(s, NULL, "Artist"), "Name")->type.kind, SL_T_VARCHAR);
	assert_int_equal(s->nsequences, 0);
	sl_schema_free(s);
	sl_conn_close(c);
}

static void test_northwind(void **state)
{
	(void)state;
	char path[1024];
	if (!data_path(path, sizeof(path), "northwind/sqlite/northwind.db"))
		skip();
	sl_conn *c = open_ro(path);
	sl_schema *s = introspect(c, false);
	assert_int_equal(s->ntables, 13);
	assert_int_equal(s->nviews, 17);
	assert_int_equal(rows_of(s, "Order Details"), 2155);
	assert_int_equal(rows_of(s, "Orders"), 830);
	assert_int_equal(rows_of(s, "Customers"), 93);
	assert_int_equal(rows_of(s, "CustomerDemographics"), 0);
	int64_t total = 0;
	size_t nfk = 0;
	for (size_t i = 0; i < s->ntables; i++) {
		total += s->tables[i].row_count;
		nfk += s->tables[i].nfkeys;
	}
	assert_int_equal(total, 3310);
	assert_int_equal(nfk, 13);
	const sl_table *od = sl_schema_find_table(s, NULL, "Order Details");
	assert_int_equal(od->nchecks, 3);
	assert_int_equal(od->primary_key->ncolumns, 2);
	assert_int_equal(col(od, "UnitPrice")->type.kind, SL_T_DECIMAL);
	assert_string_equal(col(od, "Quantity")->default_expr, "1");
	const sl_table *orders = sl_schema_find_table(s, NULL, "Orders");
	assert_true(col(orders, "OrderID")->identity);
	bool seq = false;
	for (size_t i = 0; i < s->nsequences; i++)
		if (strcmp(s->sequences[i].name, "Orders") == 0 && s->sequences[i].last_value > 0)
			seq = true;
	assert_true(seq);
	/* every view reads something, and a view with spaces in its name resolves */
	for (size_t i = 0; i < s->nviews; i++)
		if (s->views[i].nreads == 0)
			fail_msg("view \"%s\" reads nothing", s->views[i].name);
	bool found = false;
	for (size_t i = 0; i < s->nviews; i++)
		if (strcmp(s->views[i].name, "Order Details Extended") == 0) {
			found = true;
			assert_true(view_reads(&s->views[i], "Order Details", "UnitPrice"));
			assert_true(view_reads(&s->views[i], "Products", "ProductName"));
		}
	assert_true(found);
	sl_schema_free(s);
	sl_conn_close(c);
}

/* The lead's realistic fixture, when it exists: it must introspect cleanly. */
static void test_realistic_fixture(void **state)
{
	(void)state;
	char path[1024];
	snprintf(path, sizeof(path), "%s/tests/fixtures/realistic/sqlite.sql", SLUICE_SOURCE_DIR);
	FILE *f = fopen(path, "rb");
	if (!f)
		skip();
	sl_buf sql = SL_BUF_INIT;
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		SL_OK_OR_FAIL(sl_buf_put(&sql, chunk, n));
	fclose(f);
	sl_conn *c = sl_test_open("sqlite::memory:");
	sl_test_exec(c, sl_buf_cstr(&sql));
	sl_schema *s = introspect(c, false);
	assert_true(s->ntables >= 1);
	for (size_t i = 0; i < s->ntables; i++) {
		const sl_table *t = &s->tables[i];
		assert_true(t->ncolumns > 0);
		assert_true(t->row_count >= 0);
		for (size_t j = 0; j < t->nfkeys; j++) {
			assert_non_null(sl_schema_find_table(s, NULL, t->fkeys[j].ref_table));
			assert_non_null(t->fkeys[j].name); /* the fixture names every FK */
		}
		for (size_t j = 0; j < t->nchecks; j++)
			assert_non_null(t->checks[j].name);
	}
	for (size_t i = 0; i < s->nviews; i++)
		assert_true(s->views[i].nreads > 0);
	for (size_t i = 0; i < s->ntriggers; i++) {
		assert_non_null(s->triggers[i].events);
		assert_non_null(sl_schema_find_table(s, NULL, s->triggers[i].table));
	}
	sl_schema_free(s);
	sl_buf_free(&sql);
	sl_conn_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decl_types),        cmocka_unit_test(test_schema),
		cmocka_unit_test(test_chinook),           cmocka_unit_test(test_northwind),
		cmocka_unit_test(test_realistic_fixture),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
