/*
 * test_postgres_introspect.c - sl_introspect_postgres against a real server:
 * a schema holding every object kind (keys, FKs with actions, checks,
 * partial and expression indexes, a view over two tables, a trigger, a
 * sequence, an enum, identity, serial and generated columns, domains,
 * awkward names), another schema, and the realistic billing fixture.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char SCHEMA_SQL[] =
	"CREATE TYPE status AS ENUM ('new', 'paid', 'void');"
	"CREATE DOMAIN posint AS integer CHECK (VALUE > 0);"
	"CREATE SEQUENCE order_no START 1000 INCREMENT 5;"
	"CREATE TABLE customers ("
	"  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	"  email varchar(200) NOT NULL UNIQUE,"
	"  name text COLLATE \"C\","
	"  country char(2) DEFAULT 'US',"
	"  score numeric(10,3), raw numeric, f real, g double precision,"
	"  tiny smallint, born date, wake time(3), seen timestamp, seen_tz timestamptz(2),"
	"  span interval, tags text[], flags bit(4), key uuid, doc jsonb, ip inet, qty posint,"
	"  CONSTRAINT customers_country_check CHECK (country <> 'XX'));"
	"COMMENT ON TABLE customers IS 'people who pay';"
	"COMMENT ON COLUMN customers.email IS 'login';"
	"CREATE TABLE \"Order Lines\" ("
	"  line serial PRIMARY KEY,"
	"  customer_id bigint NOT NULL,"
	"  \"user\" text,"
	"  qty integer NOT NULL CHECK (qty > 0),"
	"  price numeric(12,2) NOT NULL,"
	"  total numeric GENERATED ALWAYS AS (qty * price) STORED,"
	"  st status NOT NULL DEFAULT 'new',"
	"  no integer DEFAULT nextval('order_no'),"
	"  UNIQUE (customer_id, \"user\"),"
	"  CONSTRAINT fk_cust FOREIGN KEY (customer_id) REFERENCES customers (id)"
	"    ON DELETE CASCADE ON UPDATE SET NULL DEFERRABLE INITIALLY DEFERRED);"
	"CREATE TABLE notes (id int, customer_id bigint);"
	"ALTER TABLE notes ADD CONSTRAINT fk_notes FOREIGN KEY (customer_id) REFERENCES customers (id) NOT "
	"VALID;"
	"CREATE INDEX lines_open ON \"Order Lines\" (customer_id) WHERE st <> 'void';"
	"CREATE INDEX cust_lower_email ON customers (lower(email), country);"
	"CREATE INDEX cust_doc ON customers USING gin (doc);"
	"CREATE VIEW customer_totals AS SELECT c.email, sum(l.price) AS spent"
	"  FROM customers c JOIN \"Order Lines\" l ON l.customer_id = c.id GROUP BY c.email;"
	"CREATE MATERIALIZED VIEW big_lines AS SELECT line FROM \"Order Lines\" WHERE price > 100;"
	"CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;"
	"CREATE TRIGGER lines_touch BEFORE INSERT OR UPDATE ON \"Order Lines\""
	"  FOR EACH ROW EXECUTE FUNCTION touch();"
	"CREATE TABLE sluice_state (id int);"
	"CREATE TABLE parted (id int, at date) PARTITION BY RANGE (at);"
	"CREATE TABLE parted_2024 PARTITION OF parted FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');"
	"INSERT INTO customers (email) VALUES ('a@x'), ('b@x');"
	"SELECT nextval('order_no');"
	"CREATE SCHEMA other; CREATE TABLE other.t1 (x int PRIMARY KEY);";

typedef struct fixture {
	char *url;
	sl_conn *c;
} fixture;

static int setup(void **state)
{
	if (!sl_test_available(SL_TEST_PG))
		skip();
	fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->url = sl_test_scratch_url(SL_TEST_PG);
	f->c = sl_test_open(f->url);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	if (f) {
		sl_conn_close(f->c);
		sl_test_scratch_drop(SL_TEST_PG, f->url);
		free(f);
	}
	return 0;
}

static sl_column *col(const sl_table *t, const char *name)
{
	sl_column *c = sl_table_find_column(t, name);
	if (!c)
		fail_msg("column \"%s\" of \"%s\" missing", name, t->name);
	return c;
}

static const sl_index *index_named(const sl_table *t, const char *name)
{
	for (size_t i = 0; i < t->nindexes; i++)
		if (strcmp(t->indexes[i].name, name) == 0)
			return &t->indexes[i];
	fail_msg("index \"%s\" missing", name);
	return NULL;
}

static void assert_type(const sl_column *c, sl_tkind kind, const char *decl)
{
	if (c->type.kind != kind)
		fail_msg("column \"%s\": kind %s, want %s", c->name, sl_tkind_name(c->type.kind),
			 sl_tkind_name(kind));
	assert_string_equal(c->decl_type, decl);
}

static void check_customers(const sl_schema *s)
{
	sl_table *t = sl_schema_find_table(s, "public", "customers");
	assert_non_null(t);
	assert_string_equal(t->comment, "people who pay");
	assert_int_equal(t->row_count, 2);
	assert_true(t->row_count_exact);
	sl_column *c = col(t, "id");
	assert_type(c, SL_T_INT64, "bigint");
	assert_true(c->identity);
	assert_false(c->nullable);
	c = col(t, "email");
	assert_type(c, SL_T_VARCHAR, "character varying(200)");
	assert_int_equal(c->type.length, 200);
	assert_string_equal(c->comment, "login");
	assert_string_equal(col(t, "name")->collation, "C");
	assert_null(col(t, "email")->collation);
	c = col(t, "country");
	assert_type(c, SL_T_CHAR, "character(2)");
	assert_int_equal(c->type.length, 2);
	assert_string_equal(c->default_expr, "'US'::bpchar");
	c = col(t, "score");
	assert_type(c, SL_T_DECIMAL, "numeric(10,3)");
	assert_int_equal(c->type.precision, 10);
	assert_int_equal(c->type.scale, 3);
	c = col(t, "raw");
	assert_type(c, SL_T_DECIMAL, "numeric");
	assert_int_equal(c->type.precision, 0);
	assert_type(col(t, "f"), SL_T_FLOAT32, "real");
	assert_type(col(t, "g"), SL_T_FLOAT64, "double precision");
	assert_type(col(t, "tiny"), SL_T_INT16, "smallint");
	assert_type(col(t, "born"), SL_T_DATE, "date");
	c = col(t, "wake");
	assert_type(c, SL_T_TIME, "time(3) without time zone");
	assert_int_equal(c->type.precision, 3);
	c = col(t, "seen");
	assert_type(c, SL_T_TIMESTAMP, "timestamp without time zone");
	assert_int_equal(c->type.precision, -1);
	c = col(t, "seen_tz");
	assert_type(c, SL_T_TIMESTAMPTZ, "timestamp(2) with time zone");
	assert_int_equal(c->type.precision, 2);
	assert_type(col(t, "span"), SL_T_INTERVAL, "interval");
	c = col(t, "tags");
	assert_type(c, SL_T_ARRAY, "text[]");
	assert_string_equal(c->type.elem, "text");
	c = col(t, "flags");
	assert_type(c, SL_T_BIT, "bit(4)");
	assert_int_equal(c->type.length, 4);
	assert_type(col(t, "key"), SL_T_UUID, "uuid");
	assert_type(col(t, "doc"), SL_T_JSON, "jsonb");
	assert_type(col(t, "ip"), SL_T_OTHER, "inet");
	assert_type(col(t, "qty"), SL_T_INT32, "posint");
	/* keys and checks */
	assert_non_null(t->primary_key);
	assert_int_equal(t->primary_key->ncolumns, 1);
	assert_string_equal(t->primary_key->columns[0], "id");
	assert_int_equal(t->nuniques, 1);
	assert_string_equal(t->uniques[0].columns[0], "email");
	assert_int_equal(t->nchecks, 1);
	assert_string_equal(t->checks[0].name, "customers_country_check");
	assert_string_equal(t->checks[0].expr, "country <> 'XX'::bpchar");
	/* indexes: pk, unique, expression, gin */
	const sl_index *i = index_named(t, "customers_pkey");
	assert_true(i->primary && i->unique);
	i = index_named(t, "cust_lower_email");
	assert_int_equal(i->ncolumns, 2);
	assert_true(i->is_expression[0]);
	assert_string_equal(i->columns[0], "lower(email::text)");
	assert_false(i->is_expression[1]);
	assert_string_equal(i->columns[1], "country");
	assert_null(i->method);
	assert_null(i->where);
	assert_non_null(strstr(i->definition, "CREATE INDEX cust_lower_email ON public.customers"));
	i = index_named(t, "cust_doc");
	assert_string_equal(i->method, "gin");
}

static void check_lines(const sl_schema *s)
{
	sl_table *t = sl_schema_find_table(s, "public", "Order Lines");
	assert_non_null(t);
	sl_column *c = col(t, "line");
	assert_type(c, SL_T_INT32, "integer");
	assert_true(c->identity); /* serial */
	c = col(t, "no");
	assert_false(c->identity); /* nextval of a free-standing sequence is not serial */
	assert_string_equal(c->default_expr, "nextval('order_no'::regclass)");
	c = col(t, "total");
	assert_string_equal(c->generated_expr, "((qty)::numeric * price)");
	assert_true(c->generated_stored);
	assert_null(c->default_expr);
	c = col(t, "st");
	assert_type(c, SL_T_ENUM, "status");
	assert_string_equal(c->type.elem, "status");
	assert_int_equal(c->type.nlabels, 3);
	assert_string_equal(c->type.labels[0], "new");
	assert_string_equal(c->type.labels[2], "void");
	assert_string_equal(c->default_expr, "'new'::status");
	assert_int_equal(t->nuniques, 1);
	assert_int_equal(t->uniques[0].ncolumns, 2);
	assert_string_equal(t->uniques[0].columns[1], "user");
	assert_int_equal(t->nchecks, 1);
	assert_string_equal(t->checks[0].expr, "qty > 0");
	assert_int_equal(t->nfkeys, 1);
	const sl_fkey *fk = &t->fkeys[0];
	assert_string_equal(fk->name, "fk_cust");
	assert_string_equal(fk->ref_table, "customers");
	assert_null(fk->ref_schema);
	assert_int_equal(fk->ncolumns, 1);
	assert_string_equal(fk->columns[0], "customer_id");
	assert_string_equal(fk->ref_columns[0], "id");
	assert_int_equal(fk->on_delete, SL_FK_CASCADE);
	assert_int_equal(fk->on_update, SL_FK_SET_NULL);
	assert_true(fk->deferrable);
	assert_true(fk->validated);
	const sl_index *i = index_named(t, "lines_open");
	assert_string_equal(i->where, "(st <> 'void'::status)");
	assert_false(i->unique);
	sl_table *notes = sl_schema_find_table(s, "public", "notes");
	assert_non_null(notes);
	assert_int_equal(notes->nfkeys, 1);
	assert_false(notes->fkeys[0].validated);
	assert_int_equal(notes->fkeys[0].on_delete, SL_FK_NO_ACTION);
	assert_null(notes->primary_key);
}

static const sl_view *view_named(const sl_schema *s, const char *name)
{
	for (size_t i = 0; i < s->nviews; i++)
		if (strcmp(s->views[i].name, name) == 0)
			return &s->views[i];
	fail_msg("view \"%s\" missing", name);
	return NULL;
}

static bool reads(const sl_view *v, const char *table, const char *column)
{
	for (size_t i = 0; i < v->nreads; i++)
		if (strcmp(v->reads[i].table, table) == 0 &&
		    ((!column && !v->reads[i].column) ||
		     (column && v->reads[i].column && strcmp(v->reads[i].column, column) == 0)))
			return true;
	return false;
}

static void check_other_objects(const sl_schema *s)
{
	const sl_view *v = view_named(s, "customer_totals");
	assert_false(v->materialized);
	assert_non_null(strstr(v->definition, "sum(l.price)"));
	assert_true(reads(v, "customers", "email"));
	assert_true(reads(v, "customers", "id"));
	assert_true(reads(v, "Order Lines", "price"));
	assert_true(reads(v, "Order Lines", "customer_id"));
	assert_false(reads(v, "Order Lines", "qty"));
	v = view_named(s, "big_lines");
	assert_true(v->materialized);
	assert_true(reads(v, "Order Lines", "line"));

	assert_int_equal(s->ntriggers, 1);
	const sl_trigger *tg = &s->triggers[0];
	assert_string_equal(tg->name, "lines_touch");
	assert_string_equal(tg->table, "Order Lines");
	assert_string_equal(tg->timing, "BEFORE");
	assert_string_equal(tg->events, "INSERT OR UPDATE");
	assert_true(tg->for_each_row);
	assert_non_null(strstr(tg->definition, "EXECUTE FUNCTION touch()"));

	const sl_sequence *seq = NULL, *serial = NULL, *ident = NULL;
	for (size_t i = 0; i < s->nsequences; i++) {
		if (!strcmp(s->sequences[i].name, "order_no"))
			seq = &s->sequences[i];
		else if (!strcmp(s->sequences[i].name, "Order Lines_line_seq"))
			serial = &s->sequences[i];
		else if (!strcmp(s->sequences[i].name, "customers_id_seq"))
			ident = &s->sequences[i];
	}
	assert_non_null(seq);
	assert_int_equal(seq->start, 1000);
	assert_int_equal(seq->increment, 5);
	assert_int_equal(seq->last_value, 1000);
	assert_null(seq->owned_by_table);
	assert_non_null(serial);
	assert_string_equal(serial->owned_by_table, "Order Lines");
	assert_string_equal(serial->owned_by_column, "line");
	assert_int_equal(serial->last_value, 0);
	assert_non_null(ident);
	assert_string_equal(ident->owned_by_column, "id");
	assert_int_equal(ident->last_value, 2);

	assert_int_equal(s->nenums, 1);
	assert_string_equal(s->enums[0].name, "status");
	assert_int_equal(s->enums[0].nlabels, 3);
	assert_string_equal(s->enums[0].labels[1], "paid");

	/* sluice's own tables, partitions and other schemas stay out */
	assert_null(sl_schema_find_table(s, NULL, "sluice_state"));
	assert_null(sl_schema_find_table(s, NULL, "parted_2024"));
	assert_non_null(sl_schema_find_table(s, NULL, "parted"));
	assert_null(sl_schema_find_table(s, NULL, "t1"));
	assert_int_equal(s->engine, SL_ENGINE_POSTGRES);
	assert_non_null(s->server_version);
}

static void test_full_schema(void **state)
{
	fixture *f = *state;
	sl_test_exec(f->c, SCHEMA_SQL);
	sl_schema *s = NULL;
	SL_OK_OR_FAIL(sl_conn_introspect(&s, f->c, NULL));
	check_customers(s);
	check_lines(s);
	check_other_objects(s);
	sl_schema_free(s);

	sl_introspect_opts o = SL_INTROSPECT_OPTS_INIT;
	o.include_sluice = true;
	o.exact_counts = false;
	SL_OK_OR_FAIL(sl_conn_introspect(&s, f->c, &o));
	sl_table *t = sl_schema_find_table(s, NULL, "sluice_state");
	assert_non_null(t);
	assert_false(t->row_count_exact);
	sl_schema_free(s);

	o.schema = "other";
	SL_OK_OR_FAIL(sl_conn_introspect(&s, f->c, &o));
	assert_int_equal(s->ntables, 1);
	assert_string_equal(s->tables[0].schema, "other");
	assert_string_equal(s->tables[0].primary_key->columns[0], "x");
	sl_schema_free(s);

	o.schema = "missing";
	assert_int_equal(sl_conn_introspect(&s, f->c, &o), SL_ENOTFOUND);
	assert_null(s);
}

static void test_awkward_names(void **state)
{
	fixture *f = *state;
	sl_test_exec(f->c, "CREATE TABLE \"select\" (\"user\" int PRIMARY KEY, \"a\"\"b\" text,"
			   " \"\xe5\x90\x8d\xe5\x89\x8d\" text, \"Mixed Case\" text UNIQUE)");
	sl_schema *s = NULL;
	SL_OK_OR_FAIL(sl_conn_introspect(&s, f->c, NULL));
	sl_table *t = sl_schema_find_table(s, NULL, "select");
	assert_non_null(t);
	assert_int_equal(t->ncolumns, 4);
	assert_string_equal(t->columns[1].name, "a\"b");
	assert_string_equal(t->columns[2].name, "\xe5\x90\x8d\xe5\x89\x8d");
	assert_string_equal(t->primary_key->columns[0], "user");
	assert_string_equal(t->uniques[0].columns[0], "Mixed Case");
	sl_schema_free(s);
}

static char *read_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return NULL;
	fseek(fp, 0, SEEK_END);
	long n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static void test_realistic_fixture(void **state)
{
	fixture *f = *state;
	char *sql = read_file(SLUICE_SOURCE_DIR "/tests/fixtures/realistic/postgres.sql");
	if (!sql)
		skip();
	sl_test_exec(f->c, sql);
	free(sql);
	sl_schema *s = NULL;
	SL_OK_OR_FAIL(sl_conn_introspect(&s, f->c, NULL));
	assert_int_equal(s->ntables, 6);
	sl_table *inv = sl_schema_find_table(s, NULL, "invoices");
	assert_non_null(inv);
	sl_column *c = col(inv, "total");
	assert_int_equal(c->type.kind, SL_T_DECIMAL);
	assert_int_equal(c->type.precision, 12);
	assert_int_equal(c->type.scale, 2);
	assert_true(col(inv, "id")->identity);
	assert_int_equal(inv->nfkeys, 2);
	for (size_t i = 0; i < inv->nfkeys; i++) {
		if (!strcmp(inv->fkeys[i].name, "fk_invoices_subscription"))
			assert_int_equal(inv->fkeys[i].on_delete, SL_FK_SET_NULL);
		else
			assert_int_equal(inv->fkeys[i].on_delete, SL_FK_RESTRICT);
	}
	assert_int_equal(inv->nchecks, 1);
	assert_string_equal(inv->checks[0].expr, "total >= (0)::numeric");
	assert_int_equal(s->nviews, 1);
	assert_true(reads(&s->views[0], "invoices", "total"));
	assert_int_equal(s->ntriggers, 1);
	assert_string_equal(s->triggers[0].timing, "AFTER");
	assert_string_equal(s->triggers[0].events, "INSERT");
	sl_table *audit = sl_schema_find_table(s, NULL, "audit_log");
	assert_int_equal(col(audit, "payload")->type.kind, SL_T_JSON);
	sl_schema_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_full_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_awkward_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_realistic_fixture, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
