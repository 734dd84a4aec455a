/*
 * test_bisect.c - sl_diff_bisect (diff.h, src/check/bisect*.c) on real
 * databases. First, the canonical row text built in SQL on PostgreSQL and
 * on MariaDB/MySQL is byte for byte the text built in C from the same values
 * read from SQLite (and from the server itself), and the SQL md5 fingerprint
 * equals the C one. Then, for SQLite->PostgreSQL, PostgreSQL->MariaDB and
 * MariaDB->SQLite, a 100k-row table with injected differences gives exactly
 * the events and counts of the full keyed diff while reading under 5% of the
 * server sides' rows; a table with a float column falls back and says why.
 * Servers come from tests/servers/servers.sh; missing ones are skipped.
 */
#include "testutil.h"

#include "check/bisect_int.h"
#include "sluice/diff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NROWS 100000

typedef sl_test_pair pair;

/* ---- C text == SQL text ----------------------------------------------------- */

static const char *fp_ddl(sl_test_engine e)
{
	switch (e) {
	case SL_TEST_PG:
		return "CREATE TABLE fpv (id bigint PRIMARY KEY, i bigint, t text, v varchar(50), d "
		       "numeric(12,2), "
		       "dt date, ts timestamp(6), b boolean)";
	case SL_TEST_MY:
		return "CREATE TABLE fpv (id bigint PRIMARY KEY, i bigint, t text, v varchar(50), d "
		       "decimal(12,2), "
		       "dt date, ts datetime(6), b tinyint(1))";
	default:
		return "CREATE TABLE fpv (id INTEGER PRIMARY KEY, i BIGINT, t TEXT, v VARCHAR(50), d "
		       "DECIMAL(12,2), "
		       "dt DATE, ts TIMESTAMP, b BOOLEAN)";
	}
}

/* The same literals work on all three engines. */
static const char *const fp_rows[] = {
	"(1, 0, '', 'a', 0.00, '1970-01-01', '1970-01-01 00:00:00', FALSE)",
	"(2, -1, 'a:b|c,N;T3:x', 'N', 1.10, '1969-12-31', '1969-12-31 23:59:59.999999', TRUE)",
	("(3, 9223372036854775807, 'emoji \xf0\x9f\x98\x80 \xc3\xa9', '', -12.50, '1900-02-28', "
	 "'2024-03-01 12:00:00.000001', NULL)"),
	"(4, -9223372036854775807 - 1, NULL, NULL, NULL, NULL, NULL, NULL)",
	"(5, 42, 'UPPER lower', 'T5:hello', 100.00, '0001-01-01', '2999-12-31 23:59:59.5', TRUE)",
	"(-6, -42, 'N', 'tab\there', 0.50, '9999-12-31', '2000-02-29 12:34:56.123456', FALSE)",
	"(7, 7, 'it''s \"quoted\" | back', 'x', -0.05, '2024-02-29', '1901-01-01 00:00:00.000010', TRUE)",
};

static void fp_fill(sl_conn *c, sl_test_engine e)
{
	sl_test_exec(c, fp_ddl(e));
	for (size_t i = 0; i < sizeof(fp_rows) / sizeof(fp_rows[0]); i++) {
		char sql[512];
		snprintf(sql, sizeof(sql), "INSERT INTO fpv VALUES %s", fp_rows[i]);
		sl_test_exec(c, sql);
	}
}

/* Reads every row of fpv ordered by id; returns the batch (caller frees). */
static void read_rows(sl_conn *c, const char *sql, sl_batch *b)
{
	sl_cursor *cur = NULL;
	SL_OK_OR_FAIL(sl_conn_query(&cur, c, sql));
	SL_OK_OR_FAIL(sl_batch_init(b, sl_cursor_ncols(cur), 64));
	int n;
	while ((n = sl_cursor_fetch(cur, b, 64)) > 0)
		;
	if (n < 0)
		fail_msg("fetch: %s", sl_error_last()->message);
	sl_cursor_close(cur);
}

static void fingerprint_matches(pair *p)
{
	/* p->s is SQLite, p->d the server */
	fp_fill(p->s, p->se);
	fp_fill(p->d, p->de);
	sl_diff_spec spec = { .src_table = "fpv", .where = "1 = 0" };
	sl_diff_opts o = SL_DIFF_OPTS_INIT;
	sl_diff_result *r = NULL;
	SL_OK_OR_FAIL(sl_diff_table(&r, p->s, p->d, &spec, &o, NULL, NULL));
	assert_int_equal(r->ncolumns, 8);

	sl_schema *ds = NULL;
	sl_introspect_opts io = SL_INTROSPECT_OPTS_INIT;
	SL_OK_OR_FAIL(sl_conn_introspect(&ds, p->d, &io));
	const sl_table *t = sl_schema_find_table(ds, NULL, "fpv");
	assert_non_null(t);
	sl_buf row = SL_BUF_INIT, sql = SL_BUF_INIT, q = SL_BUF_INIT, hash = SL_BUF_INIT;
	const sl_rowhash_ops *rh = sl_conn_dialect(p->d)->rowhash;
	assert_non_null(rh);
	sl_buf_puts(&row, rh->row_open);
	for (size_t i = 0; i < r->ncolumns; i++) {
		const sl_column *col = sl_table_find_column(t, r->columns[i]);
		char why[256] = "";
		assert_non_null(col);
		sl_buf_clear(&q);
		sl_conn_quote_ident(p->d, &q, col->name);
		if (i)
			sl_buf_puts(&row, rh->row_sep);
		int rc = bisect_col_expr(&row, rh, col, sl_buf_cstr(&q), &r->canon[i], &o.canon, BISECT_SRC,
					 why, sizeof(why));
		if (rc)
			fail_msg("column %s: %d %s", col->name, rc, why);
	}
	sl_buf_puts(&row, rh->row_close);
	SL_OK_OR_FAIL(rh->hash60(&hash, sl_buf_cstr(&row)));
	sl_buf_printf(&sql, "SELECT %s, %s FROM fpv ORDER BY id", sl_buf_cstr(&row), sl_buf_cstr(&hash));

	sl_batch lite, srv, srv_rows;
	read_rows(p->s, "SELECT id, i, t, v, d, dt, ts, b FROM fpv ORDER BY id", &lite);
	read_rows(p->d, "SELECT id, i, t, v, d, dt, ts, b FROM fpv ORDER BY id", &srv_rows);
	read_rows(p->d, sl_buf_cstr(&sql), &srv);
	size_t n = sizeof(fp_rows) / sizeof(fp_rows[0]);
	assert_int_equal(lite.nrows, n);
	assert_int_equal(srv.nrows, n);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	sl_buf text = SL_BUF_INIT, text2 = SL_BUF_INIT, scratch = SL_BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		const sl_value *sv = sl_batch_row(&srv, i);
		sl_buf_clear(&text);
		sl_buf_clear(&text2);
		SL_OK_OR_FAIL(bisect_row_text(&text, &scratch, sl_batch_row(&lite, i), r->canon, r->ncolumns,
					      &o.canon));
		SL_OK_OR_FAIL(bisect_row_text(&text2, &scratch, sl_batch_row(&srv_rows, i), r->canon,
					      r->ncolumns, &o.canon));
		assert_int_equal(sv[0].type, SL_V_TEXT);
		if (sv[0].u.s.len != text.len || memcmp(sv[0].u.s.ptr, text.ptr, text.len) != 0)
			fail_msg("row %zu: SQL text\n  %.*s\nC text (SQLite values)\n  %s", i,
				 (int)sv[0].u.s.len, sv[0].u.s.ptr, sl_buf_cstr(&text));
		if (text2.len != text.len || memcmp(text2.ptr, text.ptr, text.len) != 0)
			fail_msg("row %zu: C text from server values\n  %s\nfrom SQLite values\n  %s", i,
				 sl_buf_cstr(&text2), sl_buf_cstr(&text));
		uint64_t h = 0;
		bisect_u128 sh = 0;
		SL_OK_OR_FAIL(bisect_hash60(md, text.ptr, text.len, &h));
		SL_OK_OR_FAIL(bisect_value_u128(&sv[1], &sh));
		assert_true(sh == h);
	}
	EVP_MD_CTX_free(md);
	sl_buf_free(&text);
	sl_buf_free(&text2);
	sl_buf_free(&scratch);
	sl_buf_free(&row);
	sl_buf_free(&sql);
	sl_buf_free(&q);
	sl_buf_free(&hash);
	sl_batch_free(&lite);
	sl_batch_free(&srv);
	sl_batch_free(&srv_rows);
	sl_schema_free(ds);
	sl_diff_result_free(r);
}

static void test_fingerprint(void **state)
{
	fingerprint_matches(*state);
}

/* ---- bisection == full diff --------------------------------------------------- */

static const char *items_ddl(sl_test_engine e)
{
	switch (e) {
	case SL_TEST_PG:
		return "CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL, amount numeric(12,2), "
		       "ts timestamp(6), note text, flag boolean)";
	case SL_TEST_MY:
		return "CREATE TABLE items (id bigint PRIMARY KEY, name varchar(200) NOT NULL, amount "
		       "decimal(12,2), "
		       "ts datetime(6), note text, flag tinyint(1))";
	default:
		return "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, amount "
		       "DECIMAL(12,2), "
		       "ts TIMESTAMP, note TEXT, flag BOOLEAN)";
	}
}

static void fill_items(sl_conn *c, int n)
{
	static const char *const cols[] = { "id", "name", "amount", "ts", "note", "flag" };
	sl_writer *w = NULL;
	sl_batch b;
	char name[64], amount[32], note[64];
	int64_t base = 0;
	SL_OK_OR_FAIL(sl_parse_timestamp("2024-01-01 00:00:00", 19, &base, NULL));
	SL_OK_OR_FAIL(sl_conn_begin(c));
	SL_OK_OR_FAIL(sl_writer_open(&w, c, NULL, "items", cols, 6));
	SL_OK_OR_FAIL(sl_batch_init(&b, 6, 5000));
	for (int i = 1; i <= n; i++) {
		sl_value *r = sl_batch_add_row(&b);
		assert_non_null(r);
		snprintf(name, sizeof(name), "%s-%d", i % 3 ? "Name" : "n\xc3\xa4me", i);
		snprintf(amount, sizeof(amount), "%d.%02d", i * 7 % 1000, i % 100);
		snprintf(note, sizeof(note), "note %d", i);
		r[0] = sl_int(i);
		SL_OK_OR_FAIL(sl_batch_set_bytes(&b, &r[1], SL_V_TEXT, name, strlen(name)));
		SL_OK_OR_FAIL(sl_batch_set_bytes(&b, &r[2], SL_V_DECIMAL, amount, strlen(amount)));
		r[3] = (sl_value){ .type = SL_V_TIMESTAMP,
				   .u.ts = base + (int64_t)i * 3600 * SL_USEC_PER_SEC + i * 7 };
		if (i % 7)
			SL_OK_OR_FAIL(sl_batch_set_bytes(&b, &r[4], SL_V_TEXT, note, strlen(note)));
		r[5] = sl_bool(i % 2);
		if (b.nrows == 5000) {
			SL_OK_OR_FAIL(sl_writer_write(w, &b));
			sl_batch_reset(&b);
		}
	}
	if (b.nrows)
		SL_OK_OR_FAIL(sl_writer_write(w, &b));
	SL_OK_OR_FAIL(sl_writer_close(w));
	SL_OK_OR_FAIL(sl_conn_commit(c));
	sl_batch_free(&b);
}

/* Every event as one line: kind, key, changed column indexes. */
static int log_event(const sl_diff_event *ev, void *ud)
{
	sl_buf *log = ud;
	const sl_value *row = ev->src_row ? ev->src_row : ev->dst_row;
	sl_buf_printf(log, "%d id=%lld", (int)ev->kind,
		      row && row[0].type == SL_V_INT ? (long long)row[0].u.i : -1LL);
	for (size_t i = 0; i < ev->nchanged; i++)
		sl_buf_printf(log, " %zu", ev->changed[i]);
	sl_buf_putc(log, '\n');
	return 0;
}

static void same_counts(const sl_diff_result *a, const sl_diff_result *b)
{
	assert_int_equal(a->src_rows, b->src_rows);
	assert_int_equal(a->dst_rows, b->dst_rows);
	assert_int_equal(a->equal, b->equal);
	assert_int_equal(a->changed, b->changed);
	assert_int_equal(a->missing, b->missing);
	assert_int_equal(a->extra, b->extra);
	assert_int_equal(b->src_rows, b->equal + b->changed + b->missing);
	assert_int_equal(b->dst_rows, b->equal + b->changed + b->extra);
}

/* Applies the injected differences to the target (and one equal-valued edit to both). */
static void inject(pair *p)
{
	bool lite = p->de == SL_TEST_SQLITE;
	sl_test_exec(p->d, "UPDATE items SET name = 'renamed' WHERE id = 500");
	sl_test_exec(p->d, "DELETE FROM items WHERE id = 20000");
	sl_test_exec(p->d, "DELETE FROM items WHERE id >= 70000 AND id <= 70004");
	sl_test_exec(p->d, "INSERT INTO items (id, name, amount) VALUES (100005, 'new', 1.00)");
	sl_test_exec(p->d, "INSERT INTO items (id, name, amount) VALUES (-5, 'below', 2.00)");
	sl_test_exec(p->d, "UPDATE items SET note = '' WHERE id = 70"); /* NULL vs '' */
	if (lite) {
		/* one microsecond after fill_items' value for id 33333 */
		int64_t base = 0;
		sl_buf ts = SL_BUF_INIT, sql = SL_BUF_INIT;
		SL_OK_OR_FAIL(sl_parse_timestamp("2024-01-01 00:00:00", 19, &base, NULL));
		SL_OK_OR_FAIL(sl_format_timestamp(
			&ts, base + INT64_C(33333) * 3600 * SL_USEC_PER_SEC + 33333 * 7 + 1, false));
		sl_buf_printf(&sql, "UPDATE items SET ts = '%s' WHERE id = 33333", sl_buf_cstr(&ts));
		sl_test_exec(p->d, sl_buf_cstr(&sql));
		sl_buf_free(&ts);
		sl_buf_free(&sql);
	} else {
		sl_test_exec(p->d,
			     p->de == SL_TEST_PG
				     ? "UPDATE items SET ts = ts + INTERVAL '1 microsecond' WHERE id = 33333"
				     : "UPDATE items SET ts = ts + INTERVAL 1 MICROSECOND WHERE id = 33333");
	}
	sl_test_exec(p->d, "UPDATE items SET name = UPPER(name) WHERE id = 44444");
	sl_test_exec(p->d, "UPDATE items SET flag = NOT flag WHERE id = 66666");
	sl_test_exec(p->d, "UPDATE items SET amount = amount + 1 WHERE id = 88888");
	/* 1.10 vs 1.1: equal, must not be reported */
	sl_test_exec(p->s, "UPDATE items SET amount = 1.10 WHERE id = 55555");
	sl_test_exec(p->d, "UPDATE items SET amount = 1.1 WHERE id = 55555");
}

static void bisect_equals_full(pair *p)
{
	sl_test_exec(p->s, items_ddl(p->se));
	sl_test_exec(p->d, items_ddl(p->de));
	fill_items(p->s, NROWS);
	fill_items(p->d, NROWS);
	if (p->de == SL_TEST_PG)
		sl_test_exec(p->d, "ANALYZE items");
	inject(p);

	sl_diff_spec spec = { .src_table = "items" };
	sl_diff_opts o = SL_DIFF_OPTS_INIT;
	sl_diff_result *full = NULL, *bis = NULL;
	sl_buf flog = SL_BUF_INIT, blog = SL_BUF_INIT;
	SL_OK_OR_FAIL(sl_diff_table(&full, p->s, p->d, &spec, &o, log_event, &flog));
	o.mode = SL_DIFF_BISECT;
	SL_OK_OR_FAIL(sl_diff_bisect(&bis, p->s, p->d, &spec, &o, log_event, &blog));
	if (!bis->bisected)
		fail_msg("not bisected: %s", bis->bisect_note);
	if (strcmp(sl_buf_cstr(&flog), sl_buf_cstr(&blog)) != 0)
		fail_msg("events differ\nfull:\n%s\nbisect:\n%s", sl_buf_cstr(&flog), sl_buf_cstr(&blog));
	same_counts(full, bis);
	/* renamed, 20000, 5 x 700xx, 2 extra, note, ts, case, flag, amount; not 55555 */
	assert_int_equal(full->changed + full->missing + full->extra, 14);
	assert_null(strstr(sl_buf_cstr(&flog), "id=55555"));
	fprintf(stderr,
		"  %s -> %s: %lld segments, %lld fingerprint queries/side, rows read %lld source (%.2f%%), "
		"%lld target (%.2f%%), %lld rows row-diffed\n",
		sl_test_engine_name(p->se), sl_test_engine_name(p->de), (long long)bis->segments_compared,
		(long long)bis->fingerprint_queries / 2, (long long)bis->src_rows_read,
		100.0 * (double)bis->src_rows_read / NROWS, (long long)bis->dst_rows_read,
		100.0 * (double)bis->dst_rows_read / NROWS, (long long)bis->leaf_rows_diffed);
	if (p->se != SL_TEST_SQLITE)
		assert_true(bis->src_rows_read < NROWS / 20);
	if (p->de != SL_TEST_SQLITE)
		assert_true(bis->dst_rows_read < NROWS / 20);

	/* identical tables: one level of fingerprints, nothing row-diffed */
	sl_diff_result *same = NULL;
	sl_buf slog = SL_BUF_INIT;
	spec.where = "id > 0 AND id < 60";
	SL_OK_OR_FAIL(sl_diff_bisect(&same, p->s, p->d, &spec, &o, log_event, &slog));
	assert_true(same->bisected);
	assert_int_equal(same->equal, 59);
	assert_int_equal(same->leaf_rows_diffed, 0);
	assert_int_equal(slog.len, 0);
	sl_diff_result_free(same);
	sl_buf_free(&slog);

	sl_diff_result_free(full);
	sl_diff_result_free(bis);
	sl_buf_free(&flog);
	sl_buf_free(&blog);
}

static void test_bisect_items(void **state)
{
	bisect_equals_full(*state);
}

/* A float column cannot be fingerprinted identically: the full diff runs and says why. */
static void test_float_falls_back(void **state)
{
	pair *p = *state;
	const char *ddl[2];
	for (int s = 0; s < 2; s++) {
		sl_test_engine e = s ? p->de : p->se;
		ddl[s] = e == SL_TEST_PG   ? "CREATE TABLE fl (id bigint PRIMARY KEY, x double precision)"
			 : e == SL_TEST_MY ? "CREATE TABLE fl (id bigint PRIMARY KEY, x double)"
					   : "CREATE TABLE fl (id INTEGER PRIMARY KEY, x REAL)";
	}
	sl_test_exec(p->s, ddl[0]);
	sl_test_exec(p->d, ddl[1]);
	sl_test_exec(p->s, "INSERT INTO fl VALUES (1, 0.5), (2, 1.25), (3, 3)");
	sl_test_exec(p->d, "INSERT INTO fl VALUES (1, 0.5), (2, 1.5), (4, 3)");
	sl_diff_spec spec = { .src_table = "fl" };
	sl_diff_opts o = SL_DIFF_OPTS_INIT;
	sl_diff_result *full = NULL, *bis = NULL;
	sl_buf flog = SL_BUF_INIT, blog = SL_BUF_INIT;
	SL_OK_OR_FAIL(sl_diff_table(&full, p->s, p->d, &spec, &o, log_event, &flog));
	SL_OK_OR_FAIL(sl_diff_bisect(&bis, p->s, p->d, &spec, &o, log_event, &blog));
	assert_false(bis->bisected);
	assert_non_null(strstr(bis->bisect_note, "\"x\""));
	assert_string_equal(sl_buf_cstr(&flog), sl_buf_cstr(&blog));
	same_counts(full, bis);
	assert_int_equal(bis->changed + bis->missing + bis->extra, 3);
	sl_diff_result_free(full);
	sl_diff_result_free(bis);
	sl_buf_free(&flog);
	sl_buf_free(&blog);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fingerprint, sl_test_pair_sqlite_pg,
						sl_test_pair_teardown),
		cmocka_unit_test_setup_teardown(test_fingerprint, sl_test_pair_sqlite_my,
						sl_test_pair_teardown),
		cmocka_unit_test_setup_teardown(test_bisect_items, sl_test_pair_sqlite_pg,
						sl_test_pair_teardown),
		cmocka_unit_test_setup_teardown(test_bisect_items, sl_test_pair_pg_my, sl_test_pair_teardown),
		cmocka_unit_test_setup_teardown(test_bisect_items, sl_test_pair_my_sqlite,
						sl_test_pair_teardown),
		cmocka_unit_test_setup_teardown(test_float_falls_back, sl_test_pair_pg_my,
						sl_test_pair_teardown),
		cmocka_unit_test_setup_teardown(test_float_falls_back, sl_test_pair_sqlite_pg,
						sl_test_pair_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
