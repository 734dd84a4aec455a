/*
 * test_copy_torture.c - `sluice copy` of the torture databases
 * (tests/fixtures/torture/<engine>.sql) in all nine directions between
 * SQLite, PostgreSQL and MariaDB, reconciled row by row with sl_diff_table:
 *
 *   - the summary adds up per table (read = written + rejected) and the
 *     target holds exactly `written` rows;
 *   - every source row missing from the target is in sluice_rejects, and the
 *     rejected rows are exactly the ones docs/casts.md promises (table
 *     expected_rejects below, "table|key|column"), with one record for each
 *     refused column of a row (pg_types row 6 to MySQL: f4 and f8);
 *   - no extra rows; a changed value only in a column whose cast documents the
 *     change (expected_changes: zero dates to NULL, float rounding...).
 */
#include "testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/diff.h"
#include "sluice/schema.h"

typedef struct expect {
	sl_test_engine src, dst;
	const char *rejects; /* sorted "table|row_key|column" lines, column empty for a target refusal */
	const char *changes; /* "table.column" lines allowed to differ */
	int exit_code;
} expect;

#define S SL_TEST_SQLITE
#define P SL_TEST_PG
#define M SL_TEST_MY

static const expect expects[] = {
	{ S, S, "", "", 0 },
	{ S, P,
	  "loose|{\"id\":3}|n\n"
	  "loose|{\"id\":4}|n\n"
	  "loose|{\"id\":5}|flag\n"
	  "loose|{\"id\":6}|t\n"
	  "loose|{\"id\":7}|j\n"
	  "loose|{\"id\":8}|d\n"
	  "loose|{\"id\":9}|u\n",
	  "", 0 },
	{ S, M,
	  "loose|{\"id\":3}|n\n"
	  "loose|{\"id\":4}|n\n"
	  "loose|{\"id\":5}|flag\n"
	  "loose|{\"id\":7}|j\n"
	  "loose|{\"id\":8}|d\n",
	  "", 0 },
	{ P, S,
	  "pg_types|{\"id\":2}|f8\n"
	  "pg_types|{\"id\":3}|num\n"
	  "pg_types|{\"id\":7}|d\n",
	  "pg_types.arr\npg_types.tarr\n", 0 },
	{ P, P, "", "", 0 },
	{ P, M,
	  "pg_types|{\"id\":2}|f8\n"
	  "pg_types|{\"id\":3}|num\n"
	  "pg_types|{\"id\":4}|d\n"
	  "pg_types|{\"id\":5}|d\n"
	  "pg_types|{\"id\":6}|f4\n"
	  "pg_types|{\"id\":6}|f8\n"
	  "pg_types|{\"id\":7}|d\n",
	  "pg_types.arr\npg_types.tarr\n", 0 },
	{ M, S,
	  "my_types|{\"id\":1}|ubi\n"
	  "my_types|{\"id\":3}|flag\n"
	  "my_types|{\"id\":3}|ubi\n"
	  "my_types|{\"id\":4}|flag\n"
	  "my_types|{\"id\":5}|dnn\n"
	  "my_types|{\"id\":6}|tm\n"
	  "my_types|{\"id\":7}|tm\n"
	  "ubig|{\"id\":\"18446744073709551615\"}|id\n",
	  "my_types.d\nmy_types.dt\n", 0 },
	{ M, P,
	  "my_types|{\"id\":3}|flag\n"
	  "my_types|{\"id\":4}|flag\n"
	  "my_types|{\"id\":5}|dnn\n"
	  "my_types|{\"id\":6}|tm\n"
	  "my_types|{\"id\":7}|tm\n"
	  "ubig|{\"id\":\"18446744073709551615\"}|id\n",
	  "my_types.d\nmy_types.dt\nmy_types.s\n", 0 }, /* SET as text[] */
	{ M, M, "", "", 0 },
};

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *s = malloc((size_t)n + 1);
	assert_non_null(s);
	assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
	s[n] = '\0';
	fclose(f);
	return s;
}

static const char *fixture_name(sl_test_engine e)
{
	return e == S ? "sqlite" : e == P ? "postgres" : "mysql";
}

static char *load_source(sl_test_engine e)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/tests/fixtures/torture/%s.sql", SLUICE_SOURCE_DIR, fixture_name(e));
	char *sql = read_file(path);
	assert_non_null(sql);
	char *url = sl_test_scratch_url(e);
	sl_conn *c = sl_test_open(url);
	sl_test_exec(c, sql);
	sl_conn_close(c);
	free(sql);
	return url;
}

typedef struct diffs {
	const char *table;
	sl_buf changed; /* "table.column\n" */
	int64_t missing, extra;
} diffs;

static int on_diff(const sl_diff_event *ev, void *ud)
{
	diffs *d = ud;
	if (ev->kind == SL_DIFF_MISSING)
		d->missing += ev->count;
	else if (ev->kind == SL_DIFF_EXTRA)
		d->extra += ev->count;
	return 0;
}

static bool line_in(const char *lines, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = lines; p && *p;) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == n && strncmp(p, line, n) == 0)
			return true;
		p = e ? e + 1 : p + len;
	}
	return false;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The rejects in the target as sorted "table|row_key|column\n" lines. */
static char *target_rejects(sl_conn *dst)
{
	sl_cursor *cur = NULL;
	sl_batch b = { 0 };
	char *lines[512];
	size_t n = 0;
	SL_OK_OR_FAIL(sl_conn_query(&cur, dst,
				    "SELECT table_name, row_key, column_name, reason FROM sluice_rejects"));
	SL_OK_OR_FAIL(sl_batch_init(&b, 4, 64));
	for (;;) {
		sl_batch_reset(&b);
		int got = sl_cursor_fetch(cur, &b, 64);
		assert_true(got >= 0);
		if (!got)
			break;
		for (size_t r = 0; r < b.nrows && n < 512; r++) {
			sl_value *row = sl_batch_row(&b, r);
			char buf[1024];
			snprintf(buf, sizeof(buf), "%.*s|%.*s|%.*s\n", (int)row[0].u.s.len, row[0].u.s.ptr,
				 (int)row[1].u.s.len, row[1].u.s.ptr,
				 row[2].type == SL_V_NULL ? 0 : (int)row[2].u.s.len,
				 row[2].type == SL_V_NULL ? "" : row[2].u.s.ptr);
			assert_true(row[3].type == SL_V_TEXT && row[3].u.s.len > 0); /* a reason, always */
			lines[n++] = strdup(buf);
		}
	}
	sl_cursor_close(cur);
	sl_batch_free(&b);
	qsort(lines, n, sizeof(*lines), cmp_str);
	sl_buf out = SL_BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		sl_buf_puts(&out, lines[i]);
		free(lines[i]);
	}
	return sl_buf_detach(&out);
}

static void check_direction(const expect *x, const char *src_url)
{
	char *dst_url = sl_test_scratch_url(x->dst);
	char *out = NULL;
	int st = sl_test_run(&out, "%s copy '%s' '%s' --max-rejects 1000 --json -q 2>/dev/null",
			     SLUICE_BINARY, src_url, dst_url);
	print_message("%s -> %s: exit %d\n", fixture_name(x->src), fixture_name(x->dst), st);
	if (st != x->exit_code)
		fail_msg("%s -> %s: exit %d, expected %d: %s", fixture_name(x->src), fixture_name(x->dst), st,
			 x->exit_code, out);
	json_error_t jerr;
	json_t *res = json_loads(out, 0, &jerr);
	if (!res)
		fail_msg("summary is not JSON: %s", out);
	assert_true(json_is_true(json_object_get(res, "finished")));

	sl_conn *src = sl_test_open(src_url), *dst = sl_test_open(dst_url);
	size_t i;
	json_t *t;
	int64_t total_rejected = 0;
	sl_diff_opts dopts = SL_DIFF_OPTS_INIT;
	dopts.canon.pad_char = true; /* MySQL CHAR drops trailing spaces on read */
	json_array_foreach(json_object_get(res, "tables"), i, t)
	{
		const char *name = json_string_value(json_object_get(t, "table"));
		int64_t rd = json_integer_value(json_object_get(t, "read"));
		int64_t wr = json_integer_value(json_object_get(t, "written"));
		int64_t rj = json_integer_value(json_object_get(t, "rejected"));
		assert_int_equal(rd, wr + rj);
		total_rejected += rj;
		sl_diff_spec spec = { .src_table = name,
				      .dst_table = json_string_value(json_object_get(t, "target")) };
		sl_diff_result *dr = NULL;
		diffs d = { .table = name };
		SL_OK_OR_FAIL(sl_diff_table(&dr, src, dst, &spec, &dopts, on_diff, &d));
		assert_int_equal(dr->dst_rows, wr);
		assert_int_equal(dr->src_rows, rd);
		if (d.missing != rj || d.extra != 0)
			fail_msg("%s -> %s: \"%s\": %lld missing, %lld extra, %lld rejected",
				 fixture_name(x->src), fixture_name(x->dst), name, (long long)d.missing,
				 (long long)d.extra, (long long)rj);
		/* changed rows: only in columns whose change the cast documents */
		if (dr->changed > 0) {
			sl_diff_result *dr2 = NULL;
			for (size_t c = 0; c < dr->ncolumns; c++) {
				bool is_key = false;
				for (size_t k = 0; k < dr->nkey; k++)
					is_key |= dr->key[k] == c;
				if (is_key)
					continue;
				char tc[512];
				snprintf(tc, sizeof(tc), "%s.%s", name, dr->columns[c]);
				const char *cols[1] = { dr->columns[c] };
				sl_diff_spec one = spec;
				one.columns = cols;
				one.ncolumns = 1;
				SL_OK_OR_FAIL(sl_diff_table(&dr2, src, dst, &one, &dopts, NULL, NULL));
				if (dr2->changed && !line_in(x->changes, tc))
					fail_msg("%s -> %s: %lld rows differ in %s, which the cast does not "
						 "document",
						 fixture_name(x->src), fixture_name(x->dst),
						 (long long)dr2->changed, tc);
				sl_diff_result_free(dr2);
				dr2 = NULL;
			}
		}
		sl_diff_result_free(dr);
	}
	assert_int_equal(json_integer_value(json_object_get(res, "rejected")), total_rejected);
	char *rej = target_rejects(dst);
	if (strcmp(rej, x->rejects) != 0)
		fail_msg("%s -> %s: rejects differ:\n--- got\n%s--- expected\n%s", fixture_name(x->src),
			 fixture_name(x->dst), rej, x->rejects);
	free(rej);
	json_decref(res);
	free(out);
	sl_conn_close(src);
	sl_conn_close(dst);
	sl_test_scratch_drop(x->dst, dst_url);
}

static void test_from(sl_test_engine s)
{
	if (!sl_test_available(s))
		return;
	char *src_url = load_source(s);
	for (size_t i = 0; i < sizeof(expects) / sizeof(expects[0]); i++) {
		if (expects[i].src != s)
			continue;
		if (expects[i].dst != SL_TEST_SQLITE && !sl_test_server_url(expects[i].dst))
			continue;
		check_direction(&expects[i], src_url);
	}
	sl_test_scratch_drop(s, src_url);
}

static void from_sqlite(void **state)
{
	(void)state;
	test_from(S);
}
static void from_postgres(void **state)
{
	(void)state;
	test_from(P);
}
static void from_mysql(void **state)
{
	(void)state;
	test_from(M);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(from_sqlite),
		cmocka_unit_test(from_postgres),
		cmocka_unit_test(from_mysql),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
