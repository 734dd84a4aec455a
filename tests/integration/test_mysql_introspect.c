/*
 * test_mysql_introspect.c - sl_introspect_mysql against a real MariaDB/MySQL:
 * types, defaults, generated and auto_increment columns, keys, prefix and
 * FULLTEXT indexes, foreign key actions, checks, a view over two tables, a
 * trigger, awkward identifiers, and the realistic fixture of the lead.
 * Needs SLUICE_TEST_MY_URL; skipped without it.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct fixture {
	char *url;
	sl_conn *c;
} fixture;

static int setup(void **state)
{
	if (!sl_test_available(SL_TEST_MY))
		skip();
	fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->url = sl_test_scratch_url(SL_TEST_MY);
	f->c = sl_test_open(f->url);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	if (!f)
		return 0;
	sl_conn_close(f->c);
	sl_test_scratch_drop(SL_TEST_MY, f->url);
	free(f);
	return 0;
}

static const char *const DDL =
	"CREATE TABLE parent ("
	" id int NOT NULL AUTO_INCREMENT PRIMARY KEY,"
	" code varchar(20) NOT NULL,"
	" name varchar(100),"
	" bio text,"
	" status enum('new','it''s','back\\\\slash','\xe5\x90\x8d\xe5\x89\x8d') NOT NULL DEFAULT 'new',"
	" flags set('a','b') DEFAULT 'a,b',"
	" score decimal(10,3) DEFAULT 1.500,"
	" qty int NOT NULL DEFAULT 0,"
	" doubled int AS (qty * 2) STORED,"
	" half int AS (qty DIV 2) VIRTUAL,"
	" created datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),"
	" ts timestamp(3) NULL DEFAULT NULL,"
	" payload json,"
	" bits bit(8) DEFAULT b'0',"
	" is_ok tinyint(1) NOT NULL DEFAULT 1,"
	" small tinyint unsigned,"
	" uid uuid,"
	" big bigint unsigned,"
	" bin varbinary(16),"
	" g point,"
	" ci varchar(10) COLLATE utf8mb4_bin COMMENT 'case matters',"
	" CONSTRAINT parent_code_key UNIQUE (code),"
	" CONSTRAINT qty_nonneg CHECK (qty >= 0),"
	" KEY name_prefix (name(10), code),"
	" FULLTEXT KEY ft_bio (bio)"
	") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='the parents';"
	"CREATE TABLE child ("
	" id bigint NOT NULL PRIMARY KEY,"
	" parent_id int,"
	" note varchar(50),"
	" CONSTRAINT child_parent_note_key UNIQUE (parent_id, note),"
	" CONSTRAINT fk_child_parent FOREIGN KEY (parent_id) REFERENCES parent (id)"
	"   ON DELETE CASCADE ON UPDATE SET NULL"
	") ENGINE=InnoDB;"
	"CREATE TABLE `select` (`a``b` int NOT NULL, `\xe5\x90\x8d\xe5\x89\x8d` varchar(5), `Mixed Case` int,"
	" PRIMARY KEY (`a``b`, `Mixed Case`));"
	"CREATE TABLE sluice_state (k int);"
	"CREATE VIEW v_both AS SELECT p.name AS pname, c.note FROM parent p JOIN child c ON c.parent_id = "
	"p.id;"
	"CREATE TRIGGER trg_child BEFORE INSERT ON child FOR EACH ROW SET NEW.note = COALESCE(NEW.note, 'x');"
	"INSERT INTO parent (code, qty) VALUES ('a', 1), ('b', 2), ('c', 3)";

static const sl_index *find_index(const sl_table *t, const char *name)
{
	for (size_t i = 0; i < t->nindexes; i++)
		if (strcmp(t->indexes[i].name, name) == 0)
			return &t->indexes[i];
	fail_msg("index \"%s\" missing on \"%s\"", name, t->name);
	return NULL;
}

static const sl_column *col(const sl_table *t, const char *name)
{
	const sl_column *c = sl_table_find_column(t, name);
	if (!c)
		fail_msg("column \"%s\" missing on \"%s\"", name, t->name);
	return c;
}

static void check_parent(const sl_table *p)
{
	assert_int_equal(p->ncolumns, 21);
	assert_string_equal(p->comment, "the parents");
	assert_true(p->row_count_exact);
	assert_int_equal(p->row_count, 3);

	const sl_column *c = col(p, "id");
	assert_int_equal(c->type.kind, SL_T_INT32);
	assert_true(c->identity);
	assert_false(c->nullable);
	assert_null(c->default_expr);
	assert_string_equal(col(p, "code")->decl_type, "varchar(20)");
	assert_int_equal(col(p, "code")->type.kind, SL_T_VARCHAR);
	assert_int_equal(col(p, "code")->type.length, 20);
	assert_true(col(p, "name")->nullable);
	assert_null(col(p, "name")->default_expr);
	assert_int_equal(col(p, "bio")->type.kind, SL_T_TEXT);

	c = col(p, "status");
	assert_int_equal(c->type.kind, SL_T_ENUM);
	assert_int_equal(c->type.nlabels, 4);
	assert_string_equal(c->type.labels[0], "new");
	assert_string_equal(c->type.labels[1], "it's");
	assert_string_equal(c->type.labels[2], "back\\slash");
	assert_string_equal(c->type.labels[3], "\xe5\x90\x8d\xe5\x89\x8d");
	assert_non_null(strstr(c->default_expr, "new"));
	c = col(p, "flags");
	assert_int_equal(c->type.kind, SL_T_SET);
	assert_int_equal(c->type.nlabels, 2);
	c = col(p, "score");
	assert_int_equal(c->type.kind, SL_T_DECIMAL);
	assert_int_equal(c->type.precision, 10);
	assert_int_equal(c->type.scale, 3);
	assert_string_equal(c->default_expr, "1.500");
	assert_string_equal(col(p, "qty")->default_expr, "0");

	c = col(p, "doubled");
	assert_non_null(c->generated_expr);
	assert_non_null(strstr(c->generated_expr, "qty"));
	assert_true(c->generated_stored);
	assert_null(c->default_expr);
	c = col(p, "half");
	assert_non_null(c->generated_expr);
	assert_false(c->generated_stored);

	c = col(p, "created");
	assert_int_equal(c->type.kind, SL_T_TIMESTAMP);
	assert_int_equal(c->type.precision, 6);
	assert_non_null(c->default_expr);
	assert_non_null(strstr(c->default_expr, "current_timestamp"));
	c = col(p, "ts");
	assert_int_equal(c->type.kind, SL_T_TIMESTAMPTZ);
	assert_int_equal(c->type.precision, 3);
	assert_null(c->default_expr);
	assert_int_equal(col(p, "payload")->type.kind, SL_T_JSON);
	assert_int_equal(col(p, "bits")->type.kind, SL_T_BIT);
	assert_int_equal(col(p, "bits")->type.length, 8);
	assert_non_null(col(p, "bits")->default_expr);
	assert_int_equal(col(p, "is_ok")->type.kind, SL_T_BOOL);
	assert_string_equal(col(p, "is_ok")->default_expr, "1");
	assert_int_equal(col(p, "small")->type.kind, SL_T_INT16);
	assert_true(col(p, "small")->type.is_unsigned);
	assert_int_equal(col(p, "uid")->type.kind, SL_T_UUID);
	assert_int_equal(col(p, "big")->type.kind, SL_T_INT64);
	assert_true(col(p, "big")->type.is_unsigned);
	assert_int_equal(col(p, "bin")->type.kind, SL_T_BLOB);
	assert_int_equal(col(p, "g")->type.kind, SL_T_GEOMETRY);
	c = col(p, "ci");
	assert_string_equal(c->collation, "utf8mb4_bin");
	assert_string_equal(c->comment, "case matters");
	assert_null(col(p, "name")->collation);

	assert_non_null(p->primary_key);
	assert_int_equal(p->primary_key->ncolumns, 1);
	assert_string_equal(p->primary_key->columns[0], "id");
	assert_int_equal(p->nuniques, 1);
	assert_string_equal(p->uniques[0].name, "parent_code_key");
	assert_string_equal(p->uniques[0].columns[0], "code");

	const sl_index *ix = find_index(p, "name_prefix");
	assert_false(ix->unique);
	assert_int_equal(ix->ncolumns, 2);
	assert_string_equal(ix->columns[0], "name");
	assert_string_equal(ix->columns[1], "code");
	assert_non_null(strstr(ix->definition, "`name`(10)"));
	ix = find_index(p, "ft_bio");
	assert_string_equal(ix->method, "FULLTEXT");
	assert_true(find_index(p, "PRIMARY")->primary);
	assert_true(find_index(p, "parent_code_key")->unique);

	/* the json_valid check behind JSON is not a user check */
	assert_int_equal(p->nchecks, 1);
	assert_string_equal(p->checks[0].name, "qty_nonneg");
	assert_non_null(strstr(p->checks[0].expr, "qty"));
}

static void check_child(const sl_table *t)
{
	assert_int_equal(t->nfkeys, 1);
	const sl_fkey *fk = &t->fkeys[0];
	assert_string_equal(fk->name, "fk_child_parent");
	assert_string_equal(fk->ref_table, "parent");
	assert_null(fk->ref_schema);
	assert_int_equal(fk->ncolumns, 1);
	assert_string_equal(fk->columns[0], "parent_id");
	assert_string_equal(fk->ref_columns[0], "id");
	assert_int_equal(fk->on_delete, SL_FK_CASCADE);
	assert_int_equal(fk->on_update, SL_FK_SET_NULL);
	assert_int_equal(t->nuniques, 1);
	assert_int_equal(t->uniques[0].ncolumns, 2);
	assert_string_equal(t->uniques[0].columns[0], "parent_id");
	assert_string_equal(t->uniques[0].columns[1], "note");
	assert_int_equal(t->row_count, 0);
}

static bool reads(const sl_view *v, const char *table, const char *column)
{
	for (size_t i = 0; i < v->nreads; i++)
		if (strcmp(v->reads[i].table, table) == 0 &&
		    (!column || (v->reads[i].column && strcmp(v->reads[i].column, column) == 0)))
			return true;
	return false;
}

static void test_introspect_schema(void **state)
{
	fixture *f = *state;
	sl_test_exec(f->c, DDL);
	sl_schema *s = NULL;
	SL_OK_OR_FAIL(sl_conn_introspect(&s, f->c, NULL));
	assert_int_equal(s->engine, SL_ENGINE_MYSQL);
	assert_string_equal(s->database, sl_conn_database(f->c));
	assert_int_equal(s->ntables, 3);
	assert_null(sl_schema_find_table(s, NULL, "sluice_state"));
	check_parent(sl_schema_find_table(s, NULL, "parent"));
	check_child(sl_schema_find_table(s, NULL, "child"));

	const sl_table *w = sl_schema_find_table(s, NULL, "select");
	assert_non_null(w);
	assert_string_equal(w->columns[0].name, "a`b");
	assert_string_equal(w->columns[1].name, "\xe5\x90\x8d\xe5\x89\x8d");
	assert_int_equal(w->primary_key->ncolumns, 2);
	assert_string_equal(w->primary_key->columns[1], "Mixed Case");

	assert_int_equal(s->nviews, 1);
	const sl_view *v = &s->views[0];
	assert_string_equal(v->name, "v_both");
	assert_non_null(v->definition);
	assert_true(reads(v, "parent", NULL));
	assert_true(reads(v, "child", NULL));
	assert_true(reads(v, "parent", "name"));
	assert_true(reads(v, "child", "note"));
	assert_true(reads(v, "child", "parent_id"));

	assert_int_equal(s->ntriggers, 1);
	const sl_trigger *tg = &s->triggers[0];
	assert_string_equal(tg->name, "trg_child");
	assert_string_equal(tg->table, "child");
	assert_string_equal(tg->timing, "BEFORE");
	assert_string_equal(tg->events, "INSERT");
	assert_true(tg->for_each_row);
	assert_non_null(strstr(tg->definition, "COALESCE"));
	assert_int_equal(s->nsequences, 0);
	assert_int_equal(s->nenums, 0);
	sl_schema_free(s);

	/* estimates and sluice's own tables on request */
	sl_introspect_opts o = SL_INTROSPECT_OPTS_INIT;
	o.exact_counts = false;
	o.include_sluice = true;
	SL_OK_OR_FAIL(sl_conn_introspect(&s, f->c, &o));
	assert_int_equal(s->ntables, 4);
	const sl_table *p = sl_schema_find_table(s, NULL, "parent");
	assert_false(p->row_count_exact);
	assert_true(p->row_count >= 0);
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
	size_t got = fread(buf, 1, (size_t)n, fp);
	buf[got] = '\0';
	fclose(fp);
	return buf;
}

/* The lead's realistic fixture loads and reads back with the expected shape. */
static void test_realistic_fixture(void **state)
{
	fixture *f = *state;
	char *sql = read_file(SLUICE_SOURCE_DIR "/tests/fixtures/realistic/mysql.sql");
	if (!sql)
		skip();
	sl_test_exec(f->c, sql);
	free(sql);
	sl_schema *s = NULL;
	SL_OK_OR_FAIL(sl_conn_introspect(&s, f->c, NULL));
	assert_int_equal(s->ntables, 6);
	const sl_table *inv = sl_schema_find_table(s, NULL, "invoices");
	assert_non_null(inv);
	assert_int_equal(inv->ncolumns, 9);
	assert_int_equal(inv->nfkeys, 2);
	assert_int_equal(inv->nchecks, 1);
	const sl_table *cust = sl_schema_find_table(s, NULL, "customers");
	assert_int_equal(sl_table_find_column(cust, "is_vip")->type.kind, SL_T_BOOL);
	assert_int_equal(sl_table_find_column(cust, "public_id")->type.kind, SL_T_UUID);
	assert_int_equal(sl_table_find_column(cust, "created_at")->type.kind, SL_T_TIMESTAMP);
	assert_null(sl_table_find_column(cust, "country")->default_expr);
	assert_non_null(sl_table_find_column(cust, "status")->default_expr);
	const sl_table *audit = sl_schema_find_table(s, NULL, "audit_log");
	assert_int_equal(sl_table_find_column(audit, "payload")->type.kind, SL_T_JSON);
	assert_int_equal(audit->nchecks, 0);
	assert_int_equal(s->nviews, 1);
	assert_true(reads(&s->views[0], "customers", NULL));
	assert_true(reads(&s->views[0], "invoices", "total"));
	assert_int_equal(s->ntriggers, 1);
	assert_string_equal(s->triggers[0].timing, "AFTER");
	sl_schema_free(s);
}

static void test_no_database(void **state)
{
	(void)state;
	if (!sl_test_available(SL_TEST_MY))
		skip();
	char url[512];
	const char *base = sl_test_server_url(SL_TEST_MY);
	const char *slash = strchr(strstr(base, "://") + 3, '/');
	snprintf(url, sizeof(url), "%.*s", (int)(slash ? slash - base : (long)strlen(base)), base);
	sl_conn *c = sl_test_open(url);
	sl_schema *s = NULL;
	assert_int_equal(sl_conn_introspect(&s, c, NULL), SL_EINVALID);
	assert_null(s);
	assert_non_null(strstr(sl_error_last()->message, "no database"));
	sl_conn_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_introspect_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_realistic_fixture, setup, teardown),
		cmocka_unit_test(test_no_database),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
