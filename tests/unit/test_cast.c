/*
 * test_cast.c - the cast table: target types per dialect, and a note for
 * every TORTURE.md item the planner handles (unsigned overflow, tinyint(1),
 * zero dates, NaN, unconstrained decimals, enum/set, time zones, uuid, json,
 * arrays, geometry, long colliding names, collations), user rules by type
 * and by column, and the text / JSON renderings.
 */
#include "testutil.h"

#include "sluice/cast.h"
#include "ddl_billing.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static sl_column *col(sl_schema *s, sl_table *t, const char *name, sl_tkind k, const char *decl)
{
	sl_column *c = sl_table_add_column(s, t, name);
	c->type.kind = k;
	c->decl_type = sl_schema_strdup(s, decl);
	return c;
}

static sl_cast_plan *plan(const sl_schema *s, sl_engine target, const sl_cast_rules *r)
{
	sl_cast_plan *p = NULL;
	SL_OK_OR_FAIL(sl_cast_plan_new(&p, s, target, r));
	return p;
}

static const sl_cast_column *pcol(const sl_cast_plan *p, const char *table, const char *column)
{
	const sl_cast_table *t = sl_cast_plan_find_table(p, NULL, table);
	if (!t)
		fail_msg("no table %s in plan", table);
	const sl_cast_column *c = sl_cast_table_find_column(t, column);
	if (!c)
		fail_msg("no column %s.%s in plan", table, column);
	return c;
}

/* Fails unless the column has a note of severity sev containing text. */
static void has_note(const sl_cast_column *c, sl_cast_severity sev, const char *text)
{
	for (size_t i = 0; i < c->nnotes; i++)
		if (c->notes[i].severity == sev && strstr(c->notes[i].message, text))
			return;
	fprintf(stderr, "notes of %s:\n", c->src->name);
	for (size_t i = 0; i < c->nnotes; i++)
		fprintf(stderr, "  %s: %s\n", sl_cast_severity_name(c->notes[i].severity),
			c->notes[i].message);
	fail_msg("column %s: no %s note containing \"%s\"", c->src->name, sl_cast_severity_name(sev), text);
}

static void no_notes(const sl_cast_column *c)
{
	if (c->nnotes)
		fail_msg("column %s: unexpected note \"%s\"", c->src->name, c->notes[0].message);
}

static void test_billing_types(void **state)
{
	(void)state;
	sl_schema *s = billing_model(SL_ENGINE_POSTGRES);
	sl_cast_plan *p = plan(s, SL_ENGINE_MYSQL, NULL);
	const sl_cast_column *c = pcol(p, "invoices", "total");
	assert_string_equal(c->type_sql, "DECIMAL(12,2)");
	no_notes(c);
	assert_string_equal(c->default_sql, "0");
	c = pcol(p, "customers", "created_at");
	assert_string_equal(c->type_sql, "DATETIME(6)");
	assert_string_equal(c->default_sql, "CURRENT_TIMESTAMP(6)");
	c = pcol(p, "customers", "is_vip");
	assert_string_equal(c->type_sql, "TINYINT(1)");
	assert_string_equal(c->default_sql, "FALSE");
	c = pcol(p, "customers", "status");
	assert_string_equal(c->default_sql, "'active'");
	assert_true(pcol(p, "customers", "id")->identity);
	assert_int_equal(sl_cast_plan_count(p, SL_CAST_ERROR), 0);
	sl_cast_plan_free(p);

	p = plan(s, SL_ENGINE_SQLITE, NULL);
	assert_string_equal(pcol(p, "customers", "id")->type_sql, "INTEGER");
	assert_string_equal(pcol(p, "customers", "is_vip")->default_sql, "0");
	assert_string_equal(pcol(p, "invoices", "currency")->default_sql, "'USD'");
	assert_string_equal(pcol(p, "audit_log", "payload")->type_sql, "TEXT");
	sl_cast_plan_free(p);
	sl_schema_free(s);

	s = billing_model(SL_ENGINE_MYSQL);
	p = plan(s, SL_ENGINE_POSTGRES, NULL);
	assert_string_equal(pcol(p, "invoices", "total")->type_sql, "NUMERIC(12,2)");
	no_notes(pcol(p, "invoices", "total"));
	assert_string_equal(pcol(p, "invoices", "total")->default_sql, "0.00");
	assert_string_equal(pcol(p, "customers", "created_at")->type_sql, "TIMESTAMP(0)");
	assert_string_equal(pcol(p, "customers", "created_at")->default_sql, "CURRENT_TIMESTAMP");
	assert_string_equal(pcol(p, "customers", "is_vip")->default_sql, "FALSE");
	sl_cast_plan_free(p);
	sl_schema_free(s);
}

static void test_torture_numbers(void **state)
{
	(void)state;
	sl_schema *s = NULL;
	SL_OK_OR_FAIL(sl_schema_new(&s, SL_ENGINE_MYSQL));
	sl_table *t = sl_schema_add_table(s, NULL, "t");
	sl_column *id = col(s, t, "id", SL_T_INT64, "bigint(20) unsigned");
	id->type.is_unsigned = true;
	id->identity = true;
	sl_column *big = col(s, t, "big", SL_T_INT64, "bigint(20) unsigned");
	big->type.is_unsigned = true;
	col(s, t, "flag", SL_T_BOOL, "tinyint(1)");
	sl_column *d = col(s, t, "born", SL_T_DATE, "date");
	d->nullable = false;
	col(s, t, "seen", SL_T_TIMESTAMP, "datetime");
	sl_column *z = col(s, t, "zd", SL_T_TIMESTAMP, "datetime");
	z->default_expr = "'0000-00-00 00:00:00'";
	sl_column *b = col(s, t, "b", SL_T_BIT, "bit(1)");
	b->type.length = 1;
	b->default_expr = "b'0'";

	sl_cast_plan *p = plan(s, SL_ENGINE_POSTGRES, NULL);
	const sl_cast_column *c = pcol(p, "t", "big");
	assert_string_equal(c->type_sql, "NUMERIC(20,0)");
	has_note(c, SL_CAST_INFO, "do not fit BIGINT");
	c = pcol(p, "t", "id");
	assert_string_equal(c->type_sql, "BIGINT");
	assert_true(c->identity);
	has_note(c, SL_CAST_LOSSY, "above 9223372036854775807 are rejected");
	c = pcol(p, "t", "flag");
	assert_string_equal(c->type_sql, "BOOLEAN");
	has_note(c, SL_CAST_LOSSY, "values other than 0 and 1");
	has_note(pcol(p, "t", "born"), SL_CAST_LOSSY, "are rejected: the column is NOT NULL");
	has_note(pcol(p, "t", "seen"), SL_CAST_LOSSY, "zero dates");
	has_note(pcol(p, "t", "seen"), SL_CAST_LOSSY, "become NULL");
	has_note(pcol(p, "t", "zd"), SL_CAST_LOSSY,
		 "default '0000-00-00 00:00:00' (a MySQL zero date) dropped");
	assert_null(pcol(p, "t", "zd")->default_sql);
	assert_string_equal(pcol(p, "t", "b")->type_sql, "BIT(1)");
	assert_string_equal(pcol(p, "t", "b")->default_sql, "B'0'");
	sl_cast_plan_free(p);

	p = plan(s, SL_ENGINE_SQLITE, NULL);
	assert_string_equal(pcol(p, "t", "b")->default_sql, "0");
	has_note(pcol(p, "t", "big"), SL_CAST_LOSSY, "64-bit signed");
	sl_cast_plan_free(p);
	sl_schema_free(s);

	/* PostgreSQL floats and unconstrained numerics going to MySQL / SQLite */
	SL_OK_OR_FAIL(sl_schema_new(&s, SL_ENGINE_POSTGRES));
	t = sl_schema_add_table(s, "public", "metrics");
	col(s, t, "ratio", SL_T_FLOAT64, "double precision");
	sl_column *amount = col(s, t, "amount", SL_T_DECIMAL, "numeric");
	amount->type.precision = 0;
	sl_column *huge = col(s, t, "huge", SL_T_DECIMAL, "numeric(80,40)");
	huge->type.precision = 80;
	huge->type.scale = 40;
	p = plan(s, SL_ENGINE_MYSQL, NULL);
	c = pcol(p, "metrics", "ratio");
	assert_string_equal(c->type_sql, "DOUBLE");
	has_note(c, SL_CAST_LOSSY, "NaN/Infinity cannot be stored in MySQL: rows holding them are rejected");
	c = pcol(p, "metrics", "amount");
	assert_string_equal(c->type_sql, "DECIMAL(65,30)");
	has_note(c, SL_CAST_LOSSY, "values beyond 30 decimals are rounded");
	assert_string_equal(pcol(p, "metrics", "huge")->type_sql, "DECIMAL(65,30)");
	has_note(pcol(p, "metrics", "huge"), SL_CAST_LOSSY, "exceeds");
	sl_cast_plan_free(p);
	p = plan(s, SL_ENGINE_SQLITE, NULL);
	has_note(pcol(p, "metrics", "ratio"), SL_CAST_LOSSY, "NaN cannot be stored in SQLite");
	has_note(pcol(p, "metrics", "amount"), SL_CAST_LOSSY, "15th");
	sl_cast_plan_free(p);
	sl_schema_free(s);
}

static void test_torture_types(void **state)
{
	(void)state;
	sl_schema *s = NULL;
	SL_OK_OR_FAIL(sl_schema_new(&s, SL_ENGINE_POSTGRES));
	sl_table *t = sl_schema_add_table(s, "public", "events");
	sl_column *at = col(s, t, "at", SL_T_TIMESTAMPTZ, "timestamp with time zone");
	at->default_expr = "now()";
	col(s, t, "uid", SL_T_UUID, "uuid");
	col(s, t, "doc", SL_T_JSON, "jsonb");
	sl_column *tags = col(s, t, "tags", SL_T_ARRAY, "text[]");
	tags->type.elem = "text";
	col(s, t, "shape", SL_T_GEOMETRY, "geometry");
	col(s, t, "took", SL_T_INTERVAL, "interval");
	sl_column *mood = col(s, t, "mood", SL_T_ENUM, "mood");
	mood->type.elem = "mood";
	sl_enum_type *e = sl_schema_add_enum(s, "public", "mood");
	sl_schema_strlist_add(s, &e->labels, &e->nlabels, "happy");
	sl_schema_strlist_add(s, &e->labels, &e->nlabels, "back\\slash");
	sl_column *g = col(s, t, "total2", SL_T_INT32, "integer");
	g->generated_expr = "(seats * 2)";
	g->generated_stored = true;

	sl_cast_plan *p = plan(s, SL_ENGINE_MYSQL, NULL);
	const sl_cast_column *c = pcol(p, "events", "at");
	assert_string_equal(c->type_sql, "DATETIME(6)");
	assert_string_equal(c->default_sql, "CURRENT_TIMESTAMP(6)");
	has_note(c, SL_CAST_LOSSY, "MySQL DATETIME keeps no zone; values are converted to UTC");
	assert_string_equal(pcol(p, "events", "uid")->type_sql, "CHAR(36)");
	assert_string_equal(pcol(p, "events", "doc")->type_sql, "JSON");
	c = pcol(p, "events", "tags");
	assert_string_equal(c->type_sql, "JSON");
	has_note(c, SL_CAST_LOSSY, "JSON arrays");
	assert_string_equal(pcol(p, "events", "shape")->type_sql, "LONGBLOB");
	has_note(pcol(p, "events", "shape"), SL_CAST_LOSSY, "WKB");
	assert_string_equal(pcol(p, "events", "took")->type_sql, "VARCHAR(100)");
	assert_string_equal(pcol(p, "events", "mood")->type_sql, "ENUM('happy', 'back\\\\slash')");
	c = pcol(p, "events", "total2");
	assert_false(c->generated);
	has_note(c, SL_CAST_INFO, "plain column");
	sl_cast_plan_free(p);

	p = plan(s, SL_ENGINE_SQLITE, NULL);
	assert_string_equal(pcol(p, "events", "uid")->type_sql, "UUID");
	assert_string_equal(pcol(p, "events", "doc")->type_sql, "TEXT");
	assert_string_equal(pcol(p, "events", "tags")->type_sql, "TEXT");
	assert_string_equal(pcol(p, "events", "shape")->type_sql, "BLOB");
	c = pcol(p, "events", "mood");
	assert_string_equal(c->type_sql, "TEXT");
	assert_string_equal(c->check_sql, "\"mood\" IN ('happy', 'back\\slash')");
	sl_cast_plan_free(p);

	p = plan(s, SL_ENGINE_POSTGRES, NULL); /* same dialect: declared types kept */
	assert_string_equal(pcol(p, "events", "at")->type_sql, "timestamp with time zone");
	assert_string_equal(pcol(p, "events", "at")->default_sql, "now()");
	assert_true(pcol(p, "events", "total2")->generated);
	no_notes(pcol(p, "events", "tags"));
	sl_cast_plan_free(p);
	sl_schema_free(s);

	/* MySQL enum and set going to PostgreSQL */
	SL_OK_OR_FAIL(sl_schema_new(&s, SL_ENGINE_MYSQL));
	t = sl_schema_add_table(s, NULL, "users");
	sl_column *st = col(s, t, "state", SL_T_ENUM, "enum('on','off')");
	sl_schema_strlist_add(s, &st->type.labels, &st->type.nlabels, "on");
	sl_schema_strlist_add(s, &st->type.labels, &st->type.nlabels, "off");
	sl_column *fl = col(s, t, "flags", SL_T_SET, "set('a','b')");
	sl_schema_strlist_add(s, &fl->type.labels, &fl->type.nlabels, "a");
	sl_schema_strlist_add(s, &fl->type.labels, &fl->type.nlabels, "b");
	col(s, t, "at", SL_T_TIMESTAMPTZ, "timestamp");
	p = plan(s, SL_ENGINE_POSTGRES, NULL);
	c = pcol(p, "users", "state");
	assert_string_equal(c->type_sql, "\"users_state\"");
	assert_string_equal(c->enum_type, "users_state");
	c = pcol(p, "users", "flags");
	assert_string_equal(c->type_sql, "TEXT[]");
	assert_string_equal(c->check_sql, "\"flags\" <@ ARRAY['a', 'b']::text[]");
	has_note(c, SL_CAST_INFO, "{a,b}");
	assert_string_equal(pcol(p, "users", "at")->type_sql, "TIMESTAMPTZ");
	assert_true(sl_cast_plan_nnotes(p) >= 1);
	sl_cast_plan_free(p);
	sl_schema_free(s);

	/* SQLite's loose typing */
	SL_OK_OR_FAIL(sl_schema_new(&s, SL_ENGINE_SQLITE));
	t = sl_schema_add_table(s, "main", "loose");
	col(s, t, "n", SL_T_INT64, "INTEGER");
	col(s, t, "when", SL_T_TIMESTAMP, "DATETIME");
	sl_column *dflt = col(s, t, "made", SL_T_TIMESTAMP, "DATETIME");
	dflt->default_expr = "datetime('now','localtime')";
	p = plan(s, SL_ENGINE_POSTGRES, NULL);
	has_note(pcol(p, "loose", "n"), SL_CAST_INFO, "SQLite does not enforce the declared type INTEGER");
	assert_string_equal(pcol(p, "loose", "made")->default_sql, "CURRENT_TIMESTAMP");
	has_note(pcol(p, "loose", "made"), SL_CAST_LOSSY, "localtime");
	sl_cast_plan_free(p);
	sl_schema_free(s);
}

static void test_long_names(void **state)
{
	(void)state;
	const char *long1 = "a_very_long_table_name_that_goes_on_and_on_past_the_limit_of_postgres_1";
	const char *long2 = "a_very_long_table_name_that_goes_on_and_on_past_the_limit_of_postgres_2";
	sl_buf f = SL_BUF_INIT;
	SL_OK_OR_FAIL(sl_cast_fit_name(&f, long1, SL_ENGINE_POSTGRES));
	assert_int_equal(f.len, 63);
	assert_int_equal(strncmp(f.ptr, long1, 54), 0);
	assert_int_equal(f.ptr[54], '_');

	sl_schema *s = NULL;
	SL_OK_OR_FAIL(sl_schema_new(&s, SL_ENGINE_SQLITE));
	sl_table *t1 = sl_schema_add_table(s, "main", long1);
	col(s, t1, "x", SL_T_INT64, "INTEGER");
	sl_table *t2 = sl_schema_add_table(s, "main", long2);
	col(s, t2, "x", SL_T_INT64, "INTEGER");
	/* a table literally named what long1 becomes: the collision is an error */
	sl_table *t3 = sl_schema_add_table(s, "main", f.ptr);
	col(s, t3, "x", SL_T_INT64, "INTEGER");
	col(s, t3, "Name", SL_T_TEXT, "TEXT");
	col(s, t3, "name", SL_T_TEXT, "TEXT");

	sl_cast_plan *p = plan(s, SL_ENGINE_POSTGRES, NULL);
	const sl_cast_table *ct1 = sl_cast_plan_table(p, 0), *ct2 = sl_cast_plan_table(p, 1);
	assert_string_equal(ct1->name, f.ptr);
	assert_string_not_equal(ct1->name, ct2->name);
	assert_int_equal(strlen(ct2->name), 63);
	assert_int_equal(ct1->notes[0].severity, SL_CAST_LOSSY);
	assert_int_equal(sl_cast_plan_count(p, SL_CAST_ERROR), 1);
	assert_non_null(strstr(sl_cast_plan_note(p, 0)->message, "are both named"));
	sl_cast_plan_free(p);

	/* MySQL folds column case: Name and name collide */
	p = plan(s, SL_ENGINE_MYSQL, NULL);
	const sl_cast_table *ct3 = sl_cast_plan_table(p, 2);
	assert_int_equal(ct3->nnotes, 1);
	assert_int_equal(ct3->notes[0].severity, SL_CAST_ERROR);
	assert_non_null(strstr(ct3->notes[0].message, "differ only in case"));
	sl_cast_plan_free(p);
	sl_buf_free(&f);
	sl_schema_free(s);

	/* multibyte names are cut on a character boundary */
	char name[256] = "";
	for (int i = 0; i < 35; i++) /* 70 characters, 210 bytes */
		strcat(name, "名前");
	sl_buf g = SL_BUF_INIT;
	SL_OK_OR_FAIL(sl_cast_fit_name(&g, name, SL_ENGINE_POSTGRES));
	assert_true(g.len <= 63);
	assert_int_equal(g.len, 54 + 9);
	sl_buf_clear(&g);
	SL_OK_OR_FAIL(sl_cast_fit_name(&g, name, SL_ENGINE_MYSQL));
	assert_int_equal(g.len, 55 * 3 + 9);
	sl_buf_free(&g);
}

static void test_rules(void **state)
{
	(void)state;
	sl_schema *s = NULL;
	SL_OK_OR_FAIL(sl_schema_new(&s, SL_ENGINE_MYSQL));
	sl_table *t = sl_schema_add_table(s, NULL, "orders");
	col(s, t, "flag", SL_T_BOOL, "tinyint(1)");
	col(s, t, "other_flag", SL_T_BOOL, "tinyint(1)");
	sl_column *amt = col(s, t, "amount", SL_T_DECIMAL, "decimal(10,2)");
	amt->type.precision = 10;
	amt->type.scale = 2;
	sl_column *big = col(s, t, "big", SL_T_INT64, "bigint(20) unsigned");
	big->type.is_unsigned = true;
	col(s, t, "doc", SL_T_JSON, "longtext");

	sl_cast_rules *r = NULL;
	SL_OK_OR_FAIL(sl_cast_rules_new(&r));
	SL_OK_OR_FAIL(sl_cast_rules_add_type(r, "tinyint(1)", "SMALLINT"));
	SL_OK_OR_FAIL(sl_cast_rules_add_column(r, "orders.other_flag", "BOOLEAN"));
	SL_OK_OR_FAIL(sl_cast_rules_add_type(r, "int64 unsigned", "BIGINT"));
	SL_OK_OR_FAIL(sl_cast_rules_add_type(r, "json", "JSON"));
	SL_OK_OR_FAIL(sl_cast_rules_add_type(r, "longtext", "TEXT")); /* decl name beats kind */
	SL_OK_OR_FAIL(sl_cast_rules_add_column(r, "orders.amount", "NUMERIC(20,4)"));
	assert_int_equal(sl_cast_rules_add_column(r, "nodot", "TEXT"), SL_EINVALID);

	sl_cast_plan *p = plan(s, SL_ENGINE_POSTGRES, r);
	const sl_cast_column *c = pcol(p, "orders", "flag");
	assert_string_equal(c->type_sql, "SMALLINT");
	assert_int_equal(c->type.kind, SL_T_INT16);
	assert_string_equal(c->rule, "tinyint(1)");
	c = pcol(p, "orders", "other_flag");
	assert_string_equal(c->type_sql, "BOOLEAN");
	assert_string_equal(c->rule, "orders.other_flag");
	c = pcol(p, "orders", "amount");
	assert_string_equal(c->type_sql, "NUMERIC(20,4)");
	assert_int_equal(c->type.precision, 20);
	assert_int_equal(c->type.scale, 4);
	assert_string_equal(pcol(p, "orders", "big")->type_sql, "BIGINT");
	assert_string_equal(pcol(p, "orders", "doc")->type_sql, "TEXT");
	has_note(pcol(p, "orders", "doc"), SL_CAST_INFO, "cast by rule longtext -> TEXT");
	sl_cast_plan_free(p);
	sl_cast_rules_free(r);
	sl_schema_free(s);
}

static void test_fk_alignment_and_collation(void **state)
{
	(void)state;
	sl_schema *s = NULL;
	SL_OK_OR_FAIL(sl_schema_new(&s, SL_ENGINE_MYSQL));
	sl_table *u = sl_schema_add_table(s, NULL, "users");
	sl_column *id = col(s, u, "id", SL_T_INT64, "bigint(20) unsigned");
	id->type.is_unsigned = true;
	id->identity = true;
	id->nullable = false;
	u->primary_key = sl_arena_calloc(s->arena, 1, sizeof(sl_key));
	sl_schema_strlist_add(s, &u->primary_key->columns, &u->primary_key->ncolumns, "id");
	sl_table *o = sl_schema_add_table(s, NULL, "orders");
	sl_column *uid = col(s, o, "user_id", SL_T_INT64, "bigint(20) unsigned");
	uid->type.is_unsigned = true;
	sl_fkey *fk = sl_table_add_fkey(s, o, "orders_user");
	size_t n = 0;
	sl_schema_strlist_add(s, &fk->columns, &fk->ncolumns, "user_id");
	sl_schema_strlist_add(s, &fk->ref_columns, &n, "id");
	fk->ref_table = "users";
	sl_cast_plan *p = plan(s, SL_ENGINE_POSTGRES, NULL);
	const sl_cast_column *c = pcol(p, "orders", "user_id");
	assert_string_equal(c->type_sql, "BIGINT");
	has_note(c, SL_CAST_LOSSY, "to match the referenced key");
	sl_cast_plan_free(p);
	sl_schema_free(s);

	/* text keys from PostgreSQL keep case-sensitive comparison on MySQL, also in the referencing column
	 */
	SL_OK_OR_FAIL(sl_schema_new(&s, SL_ENGINE_POSTGRES));
	u = sl_schema_add_table(s, "public", "codes");
	col(s, u, "code", SL_T_TEXT, "text");
	u->primary_key = sl_arena_calloc(s->arena, 1, sizeof(sl_key));
	sl_schema_strlist_add(s, &u->primary_key->columns, &u->primary_key->ncolumns, "code");
	o = sl_schema_add_table(s, "public", "uses");
	col(s, o, "code", SL_T_TEXT, "text");
	col(s, o, "note", SL_T_TEXT, "text");
	fk = sl_table_add_fkey(s, o, "uses_code");
	n = 0;
	sl_schema_strlist_add(s, &fk->columns, &fk->ncolumns, "code");
	sl_schema_strlist_add(s, &fk->ref_columns, &n, "code");
	fk->ref_table = "codes";
	p = plan(s, SL_ENGINE_MYSQL, NULL);
	c = pcol(p, "codes", "code");
	assert_string_equal(c->type_sql, "VARCHAR(255)");
	assert_string_equal(c->collation, "utf8mb4_bin");
	has_note(c, SL_CAST_LOSSY, "MySQL cannot index TEXT whole");
	assert_string_equal(pcol(p, "uses", "code")->collation, "utf8mb4_bin");
	assert_string_equal(pcol(p, "uses", "note")->type_sql, "LONGTEXT");
	assert_null(pcol(p, "uses", "note")->collation);
	sl_cast_plan_free(p);
	sl_schema_free(s);
}

static void test_render(void **state)
{
	(void)state;
	sl_schema *s = billing_model(SL_ENGINE_POSTGRES);
	sl_table *t = sl_schema_find_table(s, NULL, "audit_log");
	sl_column *c = sl_table_add_column(s, t, "at");
	c->type.kind = SL_T_TIMESTAMPTZ;
	c->decl_type = "timestamp with time zone";
	sl_cast_plan *p = plan(s, SL_ENGINE_MYSQL, NULL);
	sl_buf b = SL_BUF_INIT;
	SL_OK_OR_FAIL(sl_cast_plan_text(&b, p));
	assert_non_null(strstr(b.ptr, "cast plan postgres -> mysql: 6 tables, 2 lossy, 0 errors\n"));
	assert_non_null(strstr(b.ptr, "\ninvoices.total: decimal(12,2) -> DECIMAL(12,2) default 0\n"));
	assert_non_null(strstr(b.ptr, "\naudit_log.at: timestamptz -> DATETIME(6)\n"
				      "  lossy: timestamptz -> DATETIME(6): MySQL DATETIME keeps no zone; "
				      "values are converted to UTC\n"));
	sl_buf_clear(&b);
	SL_OK_OR_FAIL(sl_cast_plan_json(&b, p));
	json_error_t err;
	json_t *root = json_loads(b.ptr, 0, &err);
	assert_non_null(root);
	assert_string_equal(json_string_value(json_object_get(root, "target")), "mysql");
	assert_int_equal(json_integer_value(json_object_get(root, "lossy")), 2);
	json_t *tables = json_object_get(root, "tables");
	assert_int_equal(json_array_size(tables), 6);
	json_t *inv = json_array_get(tables, 2);
	assert_string_equal(json_string_value(json_object_get(inv, "source")), "invoices");
	json_t *total = json_array_get(json_object_get(inv, "columns"), 6);
	assert_string_equal(json_string_value(json_object_get(total, "source")), "total");
	assert_string_equal(json_string_value(json_object_get(total, "to_sql")), "DECIMAL(12,2)");
	assert_string_equal(json_string_value(json_object_get(total, "from")), "decimal(12,2)");
	json_decref(root);
	sl_buf_free(&b);
	sl_cast_plan_free(p);
	sl_schema_free(s);
}

static void test_bad_args(void **state)
{
	(void)state;
	sl_cast_plan *p = NULL;
	assert_int_equal(sl_cast_plan_new(&p, NULL, SL_ENGINE_MYSQL, NULL), SL_EINVALID);
	assert_null(p);
	sl_schema *s = billing_model(SL_ENGINE_SQLITE);
	assert_int_equal(sl_cast_plan_new(&p, s, SL_ENGINE_NONE, NULL), SL_EINVALID);
	sl_schema_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_billing_types), cmocka_unit_test(test_torture_numbers),
		cmocka_unit_test(test_torture_types), cmocka_unit_test(test_long_names),
		cmocka_unit_test(test_rules),         cmocka_unit_test(test_fk_alignment_and_collation),
		cmocka_unit_test(test_render),        cmocka_unit_test(test_bad_args),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
