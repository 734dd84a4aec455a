/*
 * test_diff.c - the streaming row diff (include/sluice/diff.h) on real
 * databases: SQLite vs SQLite always; SQLite vs PostgreSQL and PostgreSQL vs
 * MariaDB/MySQL when tests/servers/servers.sh has them (skipped otherwise).
 * Each pair: 10k identical rows give no difference; injected changes are
 * each found exactly and nothing else; a keyless table with duplicates
 * (in memory and spilled); text keys in mixed case and non-ASCII.
 * SLUICE_BENCH_ROWS=N also times an N-row SQLite self-diff.
 */
#include "testutil.h"

#include "sluice/diff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NROWS 10000

typedef sl_test_pair pair;

/* Everything the callback saw. */
typedef struct seen {
	int n;
	struct {
		sl_diff_kind kind;
		int64_t id;        /* key, or the first column for keyless rows */
		char text[64];     /* key text for text-keyed tables */
		char changed[128]; /* "name,ts" */
		int64_t count;
		bool has_row;
	} ev[64];
} seen;

static int record(const sl_diff_event *ev, void *ud)
{
	seen *s = ud;
	if (s->n >= 64)
		return 0;
	const sl_value *row = ev->src_row ? ev->src_row : ev->dst_row;
	s->ev[s->n].kind = ev->kind;
	s->ev[s->n].count = ev->count;
	s->ev[s->n].has_row = row != NULL;
	s->ev[s->n].id = row && row[0].type == SL_V_INT ? row[0].u.i : -1;
	if (row && (row[0].type == SL_V_TEXT)) {
		size_t n = row[0].u.s.len < 63 ? row[0].u.s.len : 63;
		memcpy(s->ev[s->n].text, row[0].u.s.ptr, n);
		s->ev[s->n].text[n] = '\0';
	}
	size_t off = 0;
	for (size_t i = 0; i < ev->nchanged; i++)
		off += (size_t)snprintf(s->ev[s->n].changed + off, sizeof(s->ev[s->n].changed) - off, "%s%zu",
					i ? "," : "", ev->changed[i]);
	s->n++;
	return 0;
}

static const char *main_ddl(sl_test_engine e)
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

/* Writes rows 1..n of the items table through the bulk writer. */
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
	SL_OK_OR_FAIL(sl_batch_init(&b, 6, 1000));
	for (int i = 1; i <= n; i++) {
		sl_value *r = sl_batch_add_row(&b);
		assert_non_null(r);
		snprintf(name, sizeof(name), "%s-%d", i % 3 ? "Name" : "näme", i);
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
		if (b.nrows == 1000) {
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

static sl_diff_result *run(pair *p, const char *table, seen *s, const sl_diff_opts *o)
{
	sl_diff_spec spec = { .src_table = table };
	sl_diff_result *r = NULL;
	memset(s, 0, sizeof(*s));
	int rc = sl_diff_table(&r, p->s, p->d, &spec, o, record, s);
	if (rc)
		fail_msg("diff %s: %s", table, sl_error_last()->message);
	assert_non_null(r);
	assert_int_equal(r->src_rows, r->equal + r->changed + r->missing);
	assert_int_equal(r->dst_rows, r->equal + r->changed + r->extra);
	return r;
}

/* Index of the column named name in the result. */
static size_t colix(const sl_diff_result *r, const char *name)
{
	for (size_t i = 0; i < r->ncolumns; i++)
		if (strcmp(r->columns[i], name) == 0)
			return i;
	fail_msg("no column %s", name);
	return 0;
}

static int find_ev(const seen *s, sl_diff_kind kind, int64_t id)
{
	for (int i = 0; i < s->n; i++)
		if (s->ev[i].kind == kind && s->ev[i].id == id)
			return i;
	fail_msg("no %d event for id %lld (saw %d events)", (int)kind, (long long)id, s->n);
	return -1;
}

static void test_items(void **state)
{
	pair *p = *state;
	sl_test_exec(p->s, main_ddl(p->se));
	sl_test_exec(p->d, main_ddl(p->de));
	fill_items(p->s, NROWS);
	fill_items(p->d, NROWS);

	sl_diff_opts o = SL_DIFF_OPTS_INIT;
	o.batch_rows = 700;
	seen s;
	sl_diff_result *r = run(p, "items", &s, &o);
	if (s.n)
		fail_msg("identical tables: %d differences, first id %lld changed %s", s.n,
			 (long long)s.ev[0].id, s.ev[0].changed);
	assert_int_equal(r->src_rows, NROWS);
	assert_int_equal(r->dst_rows, NROWS);
	assert_int_equal(r->equal, NROWS);
	assert_int_equal(r->nkey, 1);
	assert_false(r->keyless);
	/* bounded memory: two batches per side (compared, being read), never more rows than asked */
	assert_int_equal(r->batches_held, 4);
	assert_true(r->peak_batch_rows <= o.batch_rows);
	assert_true(r->peak_batch_rows > 0);
	sl_diff_result_free(r);

	/* injections on the target (and on the source for NULL and decimals) */
	sl_test_exec(p->d, "UPDATE items SET name = 'changed' WHERE id = 10");
	sl_test_exec(p->d, "DELETE FROM items WHERE id = 20");
	sl_test_exec(p->d, "INSERT INTO items (id, name) VALUES (20000, 'new')");
	sl_test_exec(p->s, "UPDATE items SET note = NULL WHERE id = 30");
	sl_test_exec(p->d, "UPDATE items SET note = '' WHERE id = 30");
	sl_test_exec(p->s, "UPDATE items SET amount = 1.10 WHERE id = 40");
	sl_test_exec(p->d, "UPDATE items SET amount = 1.1 WHERE id = 40");
	sl_test_exec(p->s, "UPDATE items SET ts = '2030-05-05 10:00:00.000001' WHERE id = 50");
	sl_test_exec(p->d, "UPDATE items SET ts = '2030-05-05 10:00:00.000002' WHERE id = 50");
	sl_test_exec(p->s, "UPDATE items SET name = 'Alice' WHERE id = 60");
	sl_test_exec(p->d, "UPDATE items SET name = 'alice' WHERE id = 60");
	sl_test_exec(p->s, "UPDATE items SET note = '<null>' WHERE id = 70");
	sl_test_exec(p->d, "UPDATE items SET note = NULL WHERE id = 70");

	r = run(p, "items", &s, &o);
	char name_ix[24], note_ix[24], ts_ix[24];
	snprintf(name_ix, sizeof(name_ix), "%zu", colix(r, "name"));
	snprintf(note_ix, sizeof(note_ix), "%zu", colix(r, "note"));
	snprintf(ts_ix, sizeof(ts_ix), "%zu", colix(r, "ts"));
	if (s.n != 7) {
		for (int i = 0; i < s.n; i++)
			print_message("event %d: kind %d id %lld changed %s\n", i, (int)s.ev[i].kind,
				      (long long)s.ev[i].id, s.ev[i].changed);
		fail_msg("expected 7 differences, got %d", s.n);
	}
	assert_int_equal(r->missing, 1);
	assert_int_equal(r->extra, 1);
	assert_int_equal(r->changed, 5);
	assert_int_equal(r->equal, NROWS - 6);
	assert_string_equal(s.ev[find_ev(&s, SL_DIFF_CHANGED, 10)].changed, name_ix);
	find_ev(&s, SL_DIFF_MISSING, 20);
	find_ev(&s, SL_DIFF_EXTRA, 20000);
	assert_string_equal(s.ev[find_ev(&s, SL_DIFF_CHANGED, 30)].changed, note_ix);
	assert_string_equal(s.ev[find_ev(&s, SL_DIFF_CHANGED, 50)].changed, ts_ix);
	assert_string_equal(s.ev[find_ev(&s, SL_DIFF_CHANGED, 60)].changed, name_ix);
	assert_string_equal(s.ev[find_ev(&s, SL_DIFF_CHANGED, 70)].changed, note_ix);
	sl_diff_result_free(r);

	/* with case-insensitive text, the case change is no longer a difference */
	o.canon.ci_text = SL_CANON_CI_ALL;
	r = run(p, "items", &s, &o);
	assert_int_equal(r->changed, 4);
	sl_diff_result_free(r);
}

static const char *keyless_ddl(sl_test_engine e)
{
	return e == SL_TEST_MY ? "CREATE TABLE bag (a int, b varchar(20))"
			       : "CREATE TABLE bag (a integer, b text)";
}

static void test_keyless(void **state)
{
	pair *p = *state;
	sl_test_exec(p->s, keyless_ddl(p->se));
	sl_test_exec(p->d, keyless_ddl(p->de));
	sl_test_exec(p->s, "INSERT INTO bag VALUES (1,'x'),(1,'x'),(1,'x'),(2,'y'),(3,'z'),(5,NULL),(6,'')");
	sl_test_exec(p->d, "INSERT INTO bag VALUES (1,'x'),(2,'y'),(1,'x'),(4,'w'),(6,NULL),(5,'')");
	seen s;
	sl_diff_opts o = SL_DIFF_OPTS_INIT;
	for (int round = 0; round < 2; round++) {
		sl_diff_result *r = run(p, "bag", &s, &o);
		assert_true(r->keyless);
		assert_int_equal(r->src_rows, 7);
		assert_int_equal(r->dst_rows, 6);
		assert_int_equal(r->equal, 3);
		assert_int_equal(r->missing, 4);
		assert_int_equal(r->extra, 3);
		assert_int_equal(s.n, 7);
		if (round == 1) {
			for (int i = 0; i < s.n; i++)
				assert_false(s.ev[i].has_row);
			sl_diff_result_free(r);
			break;
		}
		int ix = find_ev(&s, SL_DIFF_MISSING, 1);
		assert_int_equal(s.ev[ix].count, 1);
		assert_true(s.ev[ix].has_row);
		find_ev(&s, SL_DIFF_MISSING, 3);
		find_ev(&s, SL_DIFF_MISSING, 5);
		find_ev(&s, SL_DIFF_MISSING, 6);
		find_ev(&s, SL_DIFF_EXTRA, 4);
		find_ev(&s, SL_DIFF_EXTRA, 5);
		find_ev(&s, SL_DIFF_EXTRA, 6);
		sl_diff_result_free(r);
		o.keyless_examples = false;
	}

	/* past the memory cap the hashes spill to partition files: same answer */
	sl_test_exec(p->s, "DELETE FROM bag");
	sl_test_exec(p->d, "DELETE FROM bag");
	sl_buf sql = SL_BUF_INIT;
	for (int side = 0; side < 2; side++) {
		sl_buf_clear(&sql);
		SL_OK_OR_FAIL(sl_buf_puts(&sql, "INSERT INTO bag VALUES "));
		for (int i = 0; i < 3000; i++)
			SL_OK_OR_FAIL(sl_buf_printf(&sql, "%s(%d,'r%d')", i ? "," : "", i % 1000, i % 1000));
		if (side == 1)
			SL_OK_OR_FAIL(sl_buf_puts(&sql, ",(7,'r7'),(5000,'r5000')"));
		sl_test_exec(side ? p->d : p->s, sl_buf_cstr(&sql));
	}
	sl_buf_free(&sql);
	o = (sl_diff_opts)SL_DIFF_OPTS_INIT;
	o.mem_cap = 8192;
	o.batch_rows = 500;
	sl_diff_result *r = run(p, "bag", &s, &o);
	assert_true(r->spilled);
	assert_int_equal(r->equal, 3000);
	assert_int_equal(r->missing, 0);
	assert_int_equal(r->extra, 2);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.ev[find_ev(&s, SL_DIFF_EXTRA, 7)].count, 1);
	find_ev(&s, SL_DIFF_EXTRA, 5000);
	sl_diff_result_free(r);
}

/* Regression: an empty side passed NULL to qsort (undefined behaviour, a UBSan abort). */
static void test_keyless_empty_side(void **state)
{
	pair *p = *state;
	sl_test_exec(p->s, keyless_ddl(p->se));
	sl_test_exec(p->d, keyless_ddl(p->de));
	sl_test_exec(p->s, "INSERT INTO bag VALUES (1,'x'),(1,'x')");
	seen s;
	sl_diff_opts o = SL_DIFF_OPTS_INIT;
	sl_diff_result *r = run(p, "bag", &s, &o);
	assert_true(r->keyless);
	assert_int_equal(r->src_rows, 2);
	assert_int_equal(r->dst_rows, 0);
	assert_int_equal(r->missing, 2);
	sl_diff_result_free(r);
	sl_test_exec(p->s, "DELETE FROM bag");
	r = run(p, "bag", &s, &o);
	assert_int_equal(r->src_rows + r->dst_rows + r->missing + r->extra, 0);
	sl_diff_result_free(r);
}

static const char *textkey_ddl(sl_test_engine e)
{
	if (e == SL_TEST_MY)
		return "CREATE TABLE tk (k varchar(50) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PRIMARY "
		       "KEY, v int)";
	if (e == SL_TEST_PG)
		return "CREATE TABLE tk (k text PRIMARY KEY, v int)";
	return "CREATE TABLE tk (k TEXT PRIMARY KEY, v INTEGER)";
}

static void test_text_keys(void **state)
{
	pair *p = *state;
	static const char *const keys[] = { "apple",  "Apple",    "APPLE", "banana", "Banana", "éclair",
					    "Éclair", "zebra",    "Zebra", "ß",      "ä",      "Ä",
					    "a b",    "a-b",      "a_b",   "_x",     "10",     "9",
					    "日本",   "ελληνικά", "Ω",     "z",      "ab",     "aB" };
	size_t nk = sizeof(keys) / sizeof(keys[0]);
	sl_test_exec(p->s, textkey_ddl(p->se));
	sl_test_exec(p->d, textkey_ddl(p->de));
	sl_buf sql = SL_BUF_INIT;
	for (int side = 0; side < 2; side++) {
		sl_buf_clear(&sql);
		SL_OK_OR_FAIL(sl_buf_puts(&sql, "INSERT INTO tk VALUES "));
		for (size_t i = 0; i < nk; i++)
			SL_OK_OR_FAIL(sl_buf_printf(&sql, "%s('%s',%zu)", i ? "," : "", keys[i], i));
		if (side == 1)
			SL_OK_OR_FAIL(sl_buf_puts(&sql, ",('Ärger',99)"));
		sl_test_exec(side ? p->d : p->s, sl_buf_cstr(&sql));
	}
	sl_buf_free(&sql);
	sl_test_exec(p->d, "UPDATE tk SET v = 1000 WHERE k = 'Éclair'");
	seen s;
	sl_diff_opts o = SL_DIFF_OPTS_INIT;
	o.batch_rows = 3;
	sl_diff_result *r = run(p, "tk", &s, &o);
	if (s.n != 2)
		fail_msg("expected 2 differences, got %d (first: kind %d key %s)", s.n,
			 s.n ? (int)s.ev[0].kind : 0, s.n ? s.ev[0].text : "");
	assert_int_equal(r->extra, 1);
	assert_int_equal(r->changed, 1);
	assert_int_equal(r->equal, (int64_t)nk - 1);
	for (int i = 0; i < 2; i++) {
		if (s.ev[i].kind == SL_DIFF_EXTRA)
			assert_string_equal(s.ev[i].text, "Ärger");
		else
			assert_string_equal(s.ev[i].text, "Éclair");
	}
	sl_diff_result_free(r);
}

/* The callback stops the diff: its code comes back with the counts so far. */
static int stop_at_first(const sl_diff_event *ev, void *ud)
{
	(void)ev;
	(*(int *)ud)++;
	return SL_EINTERRUPTED;
}

static void test_stop_and_errors(void **state)
{
	pair *p = *state;
	sl_test_exec(p->s, textkey_ddl(p->se));
	sl_test_exec(p->d, textkey_ddl(p->de));
	sl_test_exec(p->s, "INSERT INTO tk VALUES ('a',1),('b',2),('c',3)");
	sl_diff_spec spec = { .src_table = "tk" };
	sl_diff_result *r = NULL;
	int calls = 0;
	assert_int_equal(sl_diff_table(&r, p->s, p->d, &spec, NULL, stop_at_first, &calls), SL_EINTERRUPTED);
	assert_int_equal(calls, 1);
	assert_non_null(r);
	assert_int_equal(r->missing, 1);
	sl_diff_result_free(r);
	spec.src_table = "nope";
	assert_int_equal(sl_diff_table(&r, p->s, p->d, &spec, NULL, NULL, NULL), SL_ENOTFOUND);
	assert_null(r);
	assert_non_null(strstr(sl_error_last()->message, "nope"));
	spec.src_table = "tk";
	assert_int_equal(sl_diff_table(&r, p->s, p->s, &spec, NULL, NULL, NULL), SL_EINVALID);
	/* an explicit key that is not unique is refused, not merged wrongly */
	sl_test_exec(p->s, "INSERT INTO tk VALUES ('d',1)");
	sl_test_exec(p->d, "INSERT INTO tk VALUES ('a',1),('d',1)");
	static const char *const vkey[] = { "v" };
	spec.key = vkey;
	spec.nkey = 1;
	assert_int_equal(sl_diff_table(&r, p->s, p->d, &spec, NULL, NULL, NULL), SL_ECONFLICT);
	assert_non_null(strstr(sl_error_last()->message, "not unique"));
}

/*
 * A read that fails in a side's reader thread, at its first or a later batch:
 * the diff returns the driver's error (code and message, with the side named)
 * in the caller's thread, and both connections work afterwards.
 */
static void test_read_failure(void **state)
{
	pair *p = *state;
	sl_test_exec(p->s, main_ddl(p->se));
	sl_test_exec(p->d, main_ddl(p->de));
	fill_items(p->s, 1000);
	fill_items(p->d, 1000);
	sl_diff_spec spec = { .src_table = "items" };
	sl_diff_opts o = SL_DIFF_OPTS_INIT;
	o.batch_rows = 100;
	for (int side = 0; side < 2; side++) {
		sl_conn *c = side ? p->d : p->s;
		int streaming = 0; /* failures while the rows were read (not while inspecting) */
		for (long at = 1;; at++) {
			sl_diff_result *r = NULL;
			SL_OK_OR_FAIL(sl_conn_fault_arm(c, "fetch", at, SL_EDB));
			int rc = sl_diff_table(&r, p->s, p->d, &spec, &o, NULL, NULL);
			if (rc == 0) { /* past the last fetch: the fault never fired */
				assert_int_equal(r->equal, 1000);
				sl_diff_result_free(r);
				SL_OK_OR_FAIL(sl_conn_fault_arm(c, "fetch", 1000000, SL_EDB)); /* disarm */
				break;
			}
			assert_int_equal(rc, SL_EDB);
			assert_null(r);
			const char *m = sl_error_last()->message;
			assert_non_null(strstr(m, "injected fault"));
			assert_non_null(strstr(m, "diff \"items\""));
			streaming += strstr(m, side ? "reading the target" : "reading the source") != NULL;
		}
		/* 1000 rows in batches of 100: eleven fetches, the first to the one that finds the end */
		assert_int_equal(streaming, 11);
	}
	seen s;
	sl_diff_result *r = run(p, "items", &s, &o);
	assert_int_equal(r->equal, 1000);
	assert_int_equal(s.n, 0);
	sl_diff_result_free(r);
}

/*
 * Case-insensitive by collation: a MySQL column without a collation of its
 * own compares with its table's (utf8mb4_general_ci folds case, the
 * PostgreSQL side does not, so the pair does).
 */
static void test_table_collation(void **state)
{
	pair *p = *state;
	sl_test_exec(p->s, "CREATE TABLE who (id integer PRIMARY KEY, name text)");
	sl_test_exec(p->d, "CREATE TABLE who (id int PRIMARY KEY, name varchar(20)) "
			   "DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci");
	sl_test_exec(p->s, "INSERT INTO who VALUES (1, 'Alice'), (2, 'bob')");
	sl_test_exec(p->d, "INSERT INTO who VALUES (1, 'ALICE'), (2, 'bob')");
	seen s;
	sl_diff_opts o = SL_DIFF_OPTS_INIT;
	o.canon.ci_text = SL_CANON_CI_COLLATION;
	sl_diff_result *r = run(p, "who", &s, &o);
	assert_int_equal(r->changed, 0);
	assert_int_equal(r->equal, 2);
	sl_diff_result_free(r);
	o.canon.ci_text = SL_CANON_CI_OFF;
	r = run(p, "who", &s, &o);
	assert_int_equal(r->changed, 1);
	sl_diff_result_free(r);
}

/* SLUICE_BENCH_ROWS=N: rows per second of an N-row SQLite self-diff. */
static void test_bench(void **state)
{
	pair *p = *state;
	const char *env = getenv("SLUICE_BENCH_ROWS");
	if (!env)
		skip();
	int n = (int)strtol(env, NULL, 10);
	sl_test_exec(p->s, main_ddl(p->se));
	sl_test_exec(p->d, main_ddl(p->de));
	fill_items(p->s, n);
	fill_items(p->d, n);
	seen s;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	sl_diff_result *r = run(p, "items", &s, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double sec = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	print_message("keyed diff of %d rows: %.2f s, %.0f rows/s, peak %zu bytes\n", n, sec, n / sec,
		      r->peak_bytes);
	sl_diff_result_free(r);
	sl_diff_opts o = SL_DIFF_OPTS_INIT;
	o.mode = SL_DIFF_KEYLESS;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = run(p, "items", &s, &o);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	sec = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	print_message("keyless diff of %d rows: %.2f s, %.0f rows/s, peak %zu bytes\n", n, sec, n / sec,
		      r->peak_bytes);
	assert_int_equal(r->equal, n);
	sl_diff_result_free(r);
}

#define PAIR_TESTS(setup)                                                                                    \
	cmocka_unit_test_setup_teardown(test_items, setup, sl_test_pair_teardown),                           \
		cmocka_unit_test_setup_teardown(test_keyless, setup, sl_test_pair_teardown),                 \
		cmocka_unit_test_setup_teardown(test_keyless_empty_side, setup, sl_test_pair_teardown),      \
		cmocka_unit_test_setup_teardown(test_text_keys, setup, sl_test_pair_teardown),               \
		cmocka_unit_test_setup_teardown(test_stop_and_errors, setup, sl_test_pair_teardown),         \
		cmocka_unit_test_setup_teardown(test_read_failure, setup, sl_test_pair_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		PAIR_TESTS(sl_test_pair_sqlite_sqlite),
		PAIR_TESTS(sl_test_pair_sqlite_pg),
		PAIR_TESTS(sl_test_pair_pg_my),
		PAIR_TESTS(sl_test_pair_my_sqlite),
		cmocka_unit_test_setup_teardown(test_table_collation, sl_test_pair_pg_my,
						sl_test_pair_teardown),
		cmocka_unit_test_setup_teardown(test_bench, sl_test_pair_sqlite_sqlite,
						sl_test_pair_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
