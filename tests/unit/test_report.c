/*
 * test_report.c - the sign-off report (src/report/signoff/): HTML escaping
 * (text, attributes, JSON inside <script>, invalid UTF-8), charts that carry
 * a text alternative and no style attribute, copy and diff runs recorded
 * and read back from the state store, a report over no state store and an
 * empty one (every section says what has not been run, nothing fails), the
 * verdict, the cutover extension point, and the golden files: a fixed state
 * store, map and history give exactly tests/fixtures/report/golden.{html,md,json}
 * (SLUICE_UPDATE_GOLDEN=1 rewrites them after a deliberate change).
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/signoff/signoff_int.h"
#include "sluice/config.h"
#include "sluice/consumers.h"
#include "sluice/copy.h"
#include "sluice/map.h"
#include "sluice/report.h"
#include "sluice/state.h"

static char *esc(int (*fn)(sl_buf *, const char *), const char *in)
{
	sl_buf b = SL_BUF_INIT;
	assert_int_equal(fn(&b, in), 0);
	return sl_buf_detach(&b);
}

static void expect(int (*fn)(sl_buf *, const char *), const char *in, const char *want)
{
	char *got = esc(fn, in);
	assert_string_equal(got ? got : "", want);
	free(got);
}

static void test_escape(void **state)
{
	(void)state;
	expect(sl_html_text, "a < b && c > \"d\" 'e'", "a &lt; b &amp;&amp; c &gt; \"d\" 'e'");
	expect(sl_html_attr, "x\" onload='y' <", "x&quot; onload=&#39;y&#39; &lt;");
	expect(sl_html_text, "<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;");
	expect(sl_html_text, "caf\xC3\xA9 \xE2\x86\x92 \xF0\x9F\x98\x80",
	       "caf\xC3\xA9 \xE2\x86\x92 \xF0\x9F\x98\x80");
	/* a lone continuation byte, an overlong '<', a truncated sequence, a surrogate */
	expect(sl_html_text, "a\x80z", "a\xEF\xBF\xBDz");
	expect(sl_html_text, "\xC0\xBC", "\xEF\xBF\xBD\xEF\xBF\xBD");
	expect(sl_html_text, "x\xE2\x86", "x\xEF\xBF\xBD\xEF\xBF\xBD");
	expect(sl_html_text, "\xED\xA0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
	expect(sl_html_text, "tab\there\nline\x01\x1b[31m", "tab\there\nline[31m");
	expect(sl_html_text, NULL, "");
	expect(sl_html_json, "{\"a\":\"</script><!-- & -->\"}",
	       "{\"a\":\"\\u003c/script\\u003e\\u003c!-- \\u0026 --\\u003e\"}");
}

static void test_rich(void **state)
{
	(void)state;
	expect(rp_h_rich, "run `sluice check <ENV>` now", "run <code>sluice check &lt;ENV&gt;</code> now");
	expect(rp_h_rich, "a ` lone tick", "a ` lone tick");
	expect(rp_h_rich, "`a` and `b`", "<code>a</code> and <code>b</code>");
}

static void test_chart(void **state)
{
	(void)state;
	const char *x[] = { "#1", "#2", "#3" };
	double y1[] = { 3, 0, 1 }, y2[] = { NAN, 2, 5 };
	rp_series se[] = { { .name = "dev", .y = y1 }, { .name = "new <x>", .y = y2 } };
	rp_chart c = { .id = "c1",
		       .title = "Violations",
		       .desc = "from 0 to 5 & more",
		       .y_label = "violations",
		       .x_labels = x,
		       .nx = 3,
		       .series = se,
		       .nseries = 2 };
	sl_buf a = SL_BUF_INIT, b = SL_BUF_INIT;
	assert_int_equal(rp_svg_chart(&a, &c), 0);
	assert_int_equal(rp_svg_chart(&b, &c), 0);
	assert_string_equal(sl_buf_cstr(&a), sl_buf_cstr(&b));
	const char *s = sl_buf_cstr(&a);
	assert_non_null(strstr(s, "role=\"img\" aria-labelledby=\"c1-t c1-d\""));
	assert_non_null(strstr(s, "<title id=\"c1-t\">Violations</title>"));
	assert_non_null(strstr(s, "<desc id=\"c1-d\">from 0 to 5 &amp; more</desc>"));
	assert_non_null(strstr(s, "new &lt;x&gt;"));
	assert_null(strstr(s, "style="));
	assert_null(strstr(s, "<script"));
	/* the second series starts at #2: one M, then L; three points for the first */
	assert_non_null(strstr(s, "<title>#3, new &lt;x&gt;: 5</title>"));
	assert_non_null(strstr(s, "stroke-dasharray=\"6 3\""));
	sl_buf_free(&a);
	sl_buf_free(&b);
}

static char *temp_path(void)
{
	char tmpl[] = "/tmp/sluice-report-XXXXXX";
	int fd = mkstemp(tmpl);
	assert_true(fd >= 0);
	close(fd);
	unlink(tmpl);
	char *p = malloc(strlen(tmpl) + 10);
	assert_non_null(p);
	snprintf(p, strlen(tmpl) + 10, "%s.db", tmpl);
	return p;
}

static void exec_on(const char *path, const char *sql)
{
	char url[256];
	sl_conn *c = NULL;
	snprintf(url, sizeof(url), "sqlite:%s", path);
	assert_int_equal(sl_conn_open(&c, url), 0);
	if (sl_conn_exec(c, sql) != 0)
		fail_msg("%s", sl_error_last()->message);
	sl_conn_close(c);
}

static json_t *build_json(const sl_report_input *in)
{
	sl_report *r = NULL;
	sl_buf b = SL_BUF_INIT;
	SL_OK_OR_FAIL(sl_report_build(&r, in));
	SL_OK_OR_FAIL(sl_report_json(&b, r));
	json_t *j = json_loads(sl_buf_cstr(&b), 0, NULL);
	assert_non_null(j);
	sl_buf_free(&b);
	sl_report_free(r);
	return j;
}

static const char *section_status(const json_t *root, const char *key)
{
	return rp_str(json_object_get(json_object_get(root, "sections"), key), "status");
}

/* No state store, then an empty one: every section says what has not been run; nothing fails. */
static void test_nothing_recorded(void **state)
{
	(void)state;
	char *path = temp_path();
	sl_state *st = NULL;
	for (int pass = 0; pass < 2; pass++) {
		if (pass)
			SL_OK_OR_FAIL(sl_state_open(&st, path));
		sl_report_input in = { .environment = "dev",
				       .state = st,
				       .state_path = ".sluice/state.db",
				       .map_error = "no database" };
		json_t *j = build_json(&in);
		assert_string_equal(rp_str(json_object_get(j, "verdict"), "verdict"), "NO-GO");
		assert_int_equal(json_array_size(json_object_get(json_object_get(j, "verdict"), "red")), 2);
		const char *keys[] = { "rehearsals", "checks", "diffs",   "shadow", "copies",
				       "snapshots",  "sync",   "cutover", "watch",  "migrations" };
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			assert_string_equal(section_status(j, keys[i]), "not_run");
		assert_string_equal(section_status(j, "map"), "unavailable");
		assert_true(json_is_null(json_object_get(j, "as_of")));
		assert_string_equal(rp_str(j, "as_of_from"), "no record");
		const char *sum =
			rp_str(json_object_get(json_object_get(j, "sections"), "rehearsals"), "summary");
		assert_non_null(strstr(sum, "sluice rehearse ENV"));
		assert_int_equal(!!strstr(sum, "there is no state store yet"), !pass);
		json_decref(j);
		/* the page renders too */
		sl_report *r = NULL;
		sl_buf b = SL_BUF_INIT;
		SL_OK_OR_FAIL(sl_report_build(&r, &in));
		SL_OK_OR_FAIL(sl_report_html(&b, r));
		assert_non_null(strstr(sl_buf_cstr(&b), "Not run yet"));
		assert_non_null(strstr(sl_buf_cstr(&b), "<p class=\"word\">NO-GO</p>"));
		sl_buf_free(&b);
		sl_report_free(r);
	}
	sl_state_close(st);
	unlink(path);
	free(path);
}

/* Copy and diff runs are recorded (state store version 7) and read back with their tables. */
static void test_copy_diff_records(void **state)
{
	(void)state;
	char *path = temp_path();
	sl_state *st = NULL;
	char *out = NULL;
	SL_OK_OR_FAIL(sl_state_open(&st, path));
	sl_copy_table_result t[] = {
		{ .table = "customers", .target = "customers", .read = 24, .written = 24, .done = true },
		{ .table = "notes",
		  .target = "notes",
		  .read = 3,
		  .written = 2,
		  .rejected = 1,
		  .failed = true,
		  .error = "refused" }
	};
	sl_copy_result cr = { .run_id = "run-1",
			      .tables = t,
			      .ntables = 2,
			      .read = 27,
			      .written = 26,
			      .rejected = 1,
			      .failed = 1,
			      .seconds = 1.5 };
	SL_OK_OR_FAIL(sl_state_copy_record(st, &cr, "dev", "new", NULL, NULL));
	sl_state_diff_table dt[] = {
		{ .table = "customers", .source_rows = 24, .target_rows = 23, .missing = 1 },
		{ .table = "extra",
		  .source_rows = -1,
		  .target_rows = 4,
		  .extra = 4,
		  .note = "only in the target" }
	};
	sl_state_diff d = { .source = "dev",
			    .target = "new",
			    .status = "problems",
			    .discrepancies = 5,
			    .seconds = 0.25,
			    .tables = dt,
			    .ntables = 2 };
	SL_OK_OR_FAIL(sl_state_diff_record(st, &d, NULL));
	SL_OK_OR_FAIL(sl_state_records_json(st, SL_STATE_COPIES, 0, &out));
	json_t *a = json_loads(out, 0, NULL);
	assert_int_equal(json_array_size(a), 1);
	json_t *r = json_array_get(a, 0);
	assert_string_equal(rp_str(r, "status"), "incomplete");
	assert_int_equal(rp_int(r, "table_count", 0), 2);
	assert_int_equal(rp_int(r, "rows_rejected", 0), 1);
	assert_int_equal(json_array_size(json_object_get(r, "tables")), 2);
	assert_string_equal(rp_str(json_array_get(json_object_get(r, "tables"), 1), "error"), "refused");
	assert_null(json_object_get(json_array_get(json_object_get(r, "tables"), 1), "run_id"));
	json_decref(a);
	free(out);
	SL_OK_OR_FAIL(sl_state_records_json(st, SL_STATE_DIFFS, 0, &out));
	a = json_loads(out, 0, NULL);
	r = json_array_get(a, 0);
	assert_int_equal(rp_int(r, "discrepancies", 0), 5);
	assert_string_equal(rp_str(json_array_get(json_object_get(r, "tables"), 1), "note"),
			    "only in the target");
	assert_int_equal(rp_int(json_array_get(json_object_get(r, "tables"), 1), "source_rows", 0), -1);
	json_decref(a);
	free(out);
	assert_int_equal(sl_state_records_json(st, (sl_state_kind)99, 0, &out), SL_EINVALID);
	sl_state_close(st);
	unlink(path);
	free(path);
}

/* ---- the golden report ---- */

static const char *const schema_sql[] = {
	"CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, country TEXT)",
	"CREATE TABLE invoices (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers "
	"(id),"
	" total NUMERIC(12,2) NOT NULL, status TEXT NOT NULL)",
	"CREATE TABLE legacy_notes (id INTEGER PRIMARY KEY, body TEXT)",
	"CREATE VIEW balances AS SELECT customer_id, sum(total) AS due FROM invoices GROUP BY customer_id",
	"INSERT INTO customers VALUES (1, 'Ana', 'BR'), (2, 'Bo', 'SE')",
	"INSERT INTO invoices VALUES (1, 1, 10.5, 'open'), (2, 2, 3, 'paid'), (3, 1, 7, 'paid')",
	NULL
};

static const char consumers_yaml[] =
	"criticality:\n"
	"  levels: [revenue, compliance, internal]\n"
	"  blocking: [revenue, compliance]\n"
	"consumers:\n"
	"  revenue-report:\n"
	"    owner: finance\n"
	"    criticality: compliance\n"
	"    description: \"Files <the> accounts & \\\"more\\\"\"\n"
	"    query: SELECT c.country, sum(i.total) FROM invoices i JOIN customers c ON c.id = i.customer_id "
	"GROUP BY 1\n"
	"  billing-run:\n"
	"    owner: billing\n"
	"    criticality: revenue\n"
	"    writes: [invoices]\n"
	"    reads: [customers.id]\n"
	"  portal:\n"
	"    owner: web\n"
	"    reads: [balances]\n"
	"domains:\n"
	"  billing: { tables: [customers, invoices], owner: finance, criticality: revenue }\n";

static const char mig1[] =
	"-- title: Initial schema\n-- ticket: BILL-1\n-- author: Ana\n-- why: Start.\n"
	"-- rollback: Drop it all.\n\n-- +sluice up\n"
	"CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, country TEXT);\n"
	"CREATE TABLE invoices (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, total "
	"NUMERIC(12,2) NOT NULL, status TEXT NOT NULL);\n"
	"-- +sluice down\nDROP TABLE invoices;\nDROP TABLE customers;\n";
static const char mig2[] =
	"-- title: Index invoices by <status>\n-- ticket: BILL-2\n-- pr: https://example.com/pr/2\n"
	"-- why: The run filters on it.\n-- rollback: Drop the index.\n\n-- +sluice up\n"
	"CREATE INDEX invoices_status ON invoices (status);\n-- +sluice down\nDROP INDEX "
	"invoices_status;\n";

typedef struct golden {
	sl_conn *db;
	sl_schema *schema;
	sl_config *cfg;
	sl_consumers *cs;
	sl_map *map;
	sl_migration_set set;
	sl_migration *m[2];
	sl_history hist;
	sl_history_row row;
	sl_migrate_status *status;
	char *path;
	sl_state *st;
	char checksum2[SL_CHECKSUM_SIZE];
} golden;

static void golden_state(golden *g)
{
	sl_state *st = NULL;
	int64_t run = 0, rh = 0;
	SL_OK_OR_FAIL(sl_state_open(&st, g->path));
	/* two check runs: all pass, then a halt */
	sl_state_result ok = { .rule = "one number per invoice",
			       .domain = "billing",
			       .type = "unique",
			       .environment = "dev",
			       .status = "pass",
			       .violations = 0,
			       .rows_checked = 3,
			       .threshold = "0",
			       .duration_ms = 2 };
	SL_OK_OR_FAIL(sl_state_run_begin(st, &run, "dev"));
	SL_OK_OR_FAIL(sl_state_result_add(st, run, &ok));
	SL_OK_OR_FAIL(sl_state_run_finish(st, run, "pass"));
	sl_state_result bad = ok;
	bad.rule = "known <currencies>";
	bad.type = "accepted_values";
	bad.status = "halt";
	bad.violations = 4;
	bad.examples = "[\"id=1, currency=\\\"XXX\\\"\"]";
	SL_OK_OR_FAIL(sl_state_run_begin(st, &run, "dev"));
	SL_OK_OR_FAIL(sl_state_result_add(st, run, &ok));
	SL_OK_OR_FAIL(sl_state_result_add(st, run, &bad));
	SL_OK_OR_FAIL(sl_state_run_finish(st, run, "halt"));
	/* a GO rehearsal of the pending migration */
	char report[1024];
	snprintf(report, sizeof(report),
		 "{\"verdict\":\"GO\",\"repeat\":1,\"migrations\":[{\"id\":\"20260102000000\",\"title\":"
		 "\"Index "
		 "invoices\",\"up\":{\"median_us\":1500},\"down\":{\"median_us\":700},\"rewrites\":0,"
		 "\"write_block_us\":1200,\"verify_failed\":false}],\"rollback_fidelity\":{\"checked\":true,"
		 "\"identical\":true,\"differences\":[]}}");
	sl_state_rehearsal_mig rm = {
		.id = "20260102000000", .checksum = g->checksum2, .up_ms = 2, .down_ms = 1
	};
	sl_state_rehearsal rec = { .verdict = "GO",
				   .migrations_key = "v1:test",
				   .failed_json = "[]",
				   .report_json = report,
				   .total_ms = 2450,
				   .migrations = &rm,
				   .nmigrations = 1 };
	SL_OK_OR_FAIL(sl_state_rehearsal_begin(st, &rh, "dev", "sqlite"));
	SL_OK_OR_FAIL(sl_state_rehearsal_finish(st, rh, &rec));
	/* a copy, two diffs (5 discrepancies, then none), a shadow run */
	sl_copy_table_result t = {
		.table = "customers", .target = "customers", .read = 2, .written = 2, .done = true
	};
	sl_copy_result cr = { .run_id = "c1",
			      .tables = &t,
			      .ntables = 1,
			      .read = 2,
			      .written = 2,
			      .finished = true,
			      .seconds = 0.5 };
	SL_OK_OR_FAIL(sl_state_copy_record(st, &cr, "dev", "new", NULL, NULL));
	sl_state_diff_table dt = { .table = "customers", .source_rows = 2, .target_rows = 2, .changed = 5 };
	sl_state_diff d = { .source = "dev",
			    .target = "new",
			    .status = "problems",
			    .discrepancies = 5,
			    .tables = &dt,
			    .ntables = 1,
			    .seconds = 0.1 };
	SL_OK_OR_FAIL(sl_state_diff_record(st, &d, NULL));
	dt.changed = 0;
	d.status = "ok";
	d.discrepancies = 0;
	SL_OK_OR_FAIL(sl_state_diff_record(st, &d, NULL));
	sl_state_shadow_row q = {
		.query = "revenue by country", .source_rows = 2, .target_rows = 2, .duration_ms = 3
	};
	SL_OK_OR_FAIL(sl_state_shadow_record(st, NULL, "dev", "new", &q, 1));
	sl_state_close(st);
	/* fixed times, so that the report's bytes are fixed */
	exec_on(g->path, "UPDATE check_runs SET started_at = '2026-01-05T10:00:0' || id || '.000Z',"
			 " finished_at = '2026-01-05T10:00:0' || id || '.500Z';"
			 "UPDATE check_results SET duration_ms = 2;"
			 "UPDATE rehearsals SET started_at = '2026-01-04T09:00:00.000Z', finished_at = "
			 "'2026-01-04T09:00:02.450Z';"
			 "UPDATE copy_runs SET finished_at = '2026-01-05T11:00:00.000Z';"
			 "UPDATE diff_runs SET finished_at = '2026-01-05T12:00:0' || id || '.000Z';"
			 "UPDATE shadow_runs SET started_at = '2026-01-05T13:00:00.000Z'");
	SL_OK_OR_FAIL(sl_state_open(&g->st, g->path));
}

static void golden_setup(golden *g)
{
	memset(g, 0, sizeof(*g));
	g->db = sl_test_open("sqlite::memory:");
	for (size_t i = 0; schema_sql[i]; i++)
		sl_test_exec(g->db, schema_sql[i]);
	SL_OK_OR_FAIL(sl_conn_introspect(&g->schema, g->db, NULL));
	SL_OK_OR_FAIL(sl_config_parse(&g->cfg, "sluice.yaml", consumers_yaml, strlen(consumers_yaml)));
	SL_OK_OR_FAIL(sl_consumers_load(&g->cs, g->cfg));
	SL_OK_OR_FAIL(sl_consumers_resolve(g->cs, g->db, g->schema));
	SL_OK_OR_FAIL(
		sl_migration_parse(&g->m[0], "migrations/20260101000000_initial.sql", mig1, strlen(mig1)));
	SL_OK_OR_FAIL(
		sl_migration_parse(&g->m[1], "migrations/20260102000000_index.sql", mig2, strlen(mig2)));
	g->set.items = g->m;
	g->set.n = 2;
	static char checksum1[SL_CHECKSUM_SIZE];
	SL_OK_OR_FAIL(sl_migration_checksum(checksum1, g->m[0], SL_ENGINE_SQLITE));
	SL_OK_OR_FAIL(sl_migration_checksum(g->checksum2, g->m[1], SL_ENGINE_SQLITE));
	g->row = (sl_history_row){ .id = "20260101000000",
				   .checksum = checksum1,
				   .title = "Initial schema",
				   .applied_at = "2026-01-01T08:00:00.000000Z",
				   .applied_by = "ana",
				   .duration_ms = 12,
				   .status = "applied" };
	g->hist.rows = &g->row;
	g->hist.n = 1;
	SL_OK_OR_FAIL(sl_migrate_status_build(&g->status, &g->set, &g->hist, SL_ENGINE_SQLITE));
	sl_map_input mi = { .schema = g->schema,
			    .consumers = g->cs,
			    .migrations = g->status,
			    .dialect = SL_ENGINE_SQLITE,
			    .title = "billing" };
	SL_OK_OR_FAIL(sl_map_build(&g->map, &mi));
	g->path = temp_path();
	golden_state(g);
}

static void golden_teardown(golden *g)
{
	sl_state_close(g->st);
	unlink(g->path);
	free(g->path);
	sl_map_free(g->map);
	sl_migrate_status_free(g->status);
	sl_migration_free(g->m[0]);
	sl_migration_free(g->m[1]);
	sl_consumers_free(g->cs);
	sl_config_free(g->cfg);
	sl_schema_free(g->schema);
	sl_conn_close(g->db);
}

static const char cutover_json[] =
	"{\"runbook\":\"billing.yaml\",\"timeline\":["
	"{\"step\":\"freeze\",\"phase\":\"billing\",\"started_at\":\"2026-01-06T01:00:00Z\",\"finished_at\":"
	"\"2026-01-06T01:00:04Z\",\"outcome\":\"done\",\"detail\":\"writes frozen 4.0 s\"},"
	"{\"step\":\"switch\",\"phase\":\"billing\",\"started_at\":\"2026-01-06T01:00:04Z\",\"finished_at\":"
	"\"2026-01-06T01:00:05Z\",\"outcome\":\"done\"}],"
	"\"scorecard\":[{\"criterion\":\"no lost billing "
	"records\",\"expected\":\"0\",\"actual\":\"0\",\"ok\":true},"
	"{\"criterion\":\"downtime\",\"expected\":\"<= 60 s\",\"actual\":\"4.0 s\",\"ok\":true}]}";

static void compare_golden(const char *name, const sl_buf *b)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/tests/fixtures/report/%s", SLUICE_SOURCE_DIR, name);
	const char *upd = getenv("SLUICE_UPDATE_GOLDEN");
	if (upd && *upd == '1') {
		FILE *f = fopen(path, "w");
		assert_non_null(f);
		fwrite(b->ptr, 1, b->len, f);
		fclose(f);
		return;
	}
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("missing %s (SLUICE_UPDATE_GOLDEN=1 writes it)", path);
	sl_buf want = SL_BUF_INIT;
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		assert_int_equal(sl_buf_put(&want, chunk, n), 0);
	fclose(f);
	if (want.len != b->len || memcmp(want.ptr, b->ptr, b->len) != 0) {
		size_t i = 0;
		while (i < want.len && i < b->len && want.ptr[i] == b->ptr[i])
			i++;
		fail_msg("%s differs from the golden file at byte %zu (got %zu bytes, want %zu): \"%.60s\"",
			 name, i, b->len, want.len, b->ptr + (i < b->len ? i : 0));
	}
	sl_buf_free(&want);
}

static void test_golden(void **state)
{
	(void)state;
	golden g;
	golden_setup(&g);
	sl_report_input in = { .title = "billing",
			       .environment = "dev",
			       .engine = "sqlite",
			       .generator = "sluice (test)",
			       .state = g.st,
			       .state_path = ".sluice/state.db",
			       .map = g.map,
			       .migrations = g.status,
			       .cutover_json = cutover_json };
	int (*renderers[3])(sl_buf *, const sl_report *) = { sl_report_html, sl_report_md, sl_report_json };
	const char *names[3] = { "golden.html", "golden.md", "golden.json" };
	for (int k = 0; k < 3; k++) {
		sl_report *r1 = NULL, *r2 = NULL;
		sl_buf a = SL_BUF_INIT, b = SL_BUF_INIT;
		SL_OK_OR_FAIL(sl_report_build(&r1, &in));
		SL_OK_OR_FAIL(sl_report_build(&r2, &in));
		SL_OK_OR_FAIL(renderers[k](&a, r1));
		SL_OK_OR_FAIL(renderers[k](&b, r2));
		assert_int_equal(a.len, b.len); /* same inputs, same bytes */
		assert_memory_equal(a.ptr, b.ptr, a.len);
		compare_golden(names[k], &a);
		if (k == 0) {
			const char *h = sl_buf_cstr(&a);
			assert_string_equal(sl_report_verdict(r1), "NO-GO");
			/* the check run that halted is red; the rest is what was recorded */
			assert_non_null(strstr(h, "<p class=\"word\">NO-GO</p>"));
			assert_non_null(strstr(h, "Files &lt;the&gt; accounts &amp; \"more\""));
			assert_null(strstr(h, "<the>"));
			assert_non_null(strstr(h, "known &lt;currencies&gt;"));
			assert_non_null(strstr(h, "<desc id=\"chart-checks-d\">"));
			assert_non_null(strstr(h, "<desc id=\"chart-diffs-d\">"));
			assert_non_null(strstr(h, "<desc id=\"chart-rehearsals-d\">"));
			assert_non_null(strstr(h, "<desc id=\"map-diagram-d\">"));
			assert_non_null(strstr(h, "Scorecard: the runbook's success criteria"));
			assert_non_null(strstr(h, "no lost billing records"));
			/* recorded words get the color of what they mean: applied and done are not red */
			assert_non_null(strstr(h, "<span class=\"badge s-pass\">applied</span>"));
			assert_non_null(strstr(h, "<span class=\"badge s-warn\">pending</span>"));
			assert_non_null(strstr(h, "<span class=\"badge s-pass\">done</span>"));
			assert_non_null(strstr(h, "<span class=\"badge s-fail\">halt</span>"));
			assert_non_null(
				strstr(h, "as of <time>2026-01-06T01:00:05Z</time> (the newest record)"));
			assert_null(strstr(h, "style=\""));
			/* the only script is the data block, and nothing in it can end it early */
			const char *data =
				strstr(h, "<script type=\"application/json\" id=\"sluice-report-data\">");
			assert_non_null(data);
			assert_null(strstr(data + 10, "<script"));
			const char *end = strstr(data, "</script>");
			assert_non_null(end);
			assert_null(strstr(end + 1, "</script>"));
			char *json = strndup(
				data + strlen("<script type=\"application/json\" id=\"sluice-report-data\">"),
				(size_t)(end - data) - strlen("<script type=\"application/json\" "
							      "id=\"sluice-report-data\">"));
			json_t *j = json_loads(json, 0, NULL);
			assert_non_null(j);
			assert_string_equal(rp_str(j, "format"), "sluice-report/1");
			assert_string_equal(section_status(j, "checks"), "fail");
			assert_string_equal(section_status(j, "rehearsals"), "pass");
			assert_string_equal(section_status(j, "diffs"), "pass");
			assert_string_equal(section_status(j, "cutover"), "pass");
			assert_string_equal(section_status(j, "snapshots"), "not_run");
			assert_string_equal(
				rp_str(json_object_get(json_object_get(json_object_get(j, "sections"), "map"),
						       "map"),
				       "format"),
				"sluice-map/1");
			json_decref(j);
			free(json);
		}
		sl_buf_free(&a);
		sl_buf_free(&b);
		sl_report_free(r1);
		sl_report_free(r2);
	}
	/* --now replaces the newest record's time; a changed pending migration is no longer rehearsed */
	in.now = "2026-02-01T00:00:00Z";
	json_t *j = build_json(&in);
	assert_string_equal(rp_str(j, "as_of"), "2026-02-01T00:00:00Z");
	json_decref(j);
	g.checksum2[10] ^= 1;
	exec_on(g.path, "UPDATE rehearsal_migrations SET checksum = 'v1:other'");
	j = build_json(&in);
	assert_string_equal(section_status(j, "rehearsals"), "fail");
	assert_string_equal(json_string_value(json_array_get(
				    json_object_get(json_object_get(json_object_get(j, "sections"),
								    "rehearsals"),
						    "unrehearsed"),
				    0)),
			    "20260102000000");
	json_decref(j);
	/* a cutover whose scorecard misses a criterion is red */
	in.cutover_json = "{\"scorecard\":[{\"criterion\":\"downtime\",\"ok\":false}]}";
	j = build_json(&in);
	assert_string_equal(section_status(j, "cutover"), "fail");
	json_decref(j);
	in.cutover_json = "{not json";
	j = build_json(&in);
	assert_string_equal(section_status(j, "cutover"), "unavailable");
	json_decref(j);
	/* watch runs handed in: the newest is a breach, so the section is red; the page lists the runs */
	in.watch_json = "{\"runs\":[{\"id\":2,\"checked_at\":\"2026-01-07T00:05:00Z\",\"state\":\"breach\","
			"\"summary\":\"invoice 17 <missing> in the target\"},{\"id\":1,\"checked_at\":"
			"\"2026-01-07T00:00:00Z\",\"state\":\"ok\"}]}";
	in.now = NULL;
	j = build_json(&in);
	assert_string_equal(section_status(j, "watch"), "fail");
	assert_string_equal(rp_str(j, "as_of"), "2026-01-07T00:05:00Z");
	json_decref(j);
	sl_report *wr = NULL;
	sl_buf wb = SL_BUF_INIT;
	SL_OK_OR_FAIL(sl_report_build(&wr, &in));
	SL_OK_OR_FAIL(sl_report_html(&wb, wr));
	assert_non_null(strstr(sl_buf_cstr(&wb), "invoice 17 &lt;missing&gt; in the target"));
	assert_non_null(strstr(sl_buf_cstr(&wb), "<span class=\"badge s-fail\">breach</span>"));
	sl_buf_clear(&wb);
	SL_OK_OR_FAIL(sl_report_md(&wb, wr));
	assert_non_null(
		strstr(sl_buf_cstr(&wb),
		       "| 2 | 2026-01-07T00:05:00Z | breach | invoice 17 \\<missing> in the target |"));
	sl_buf_free(&wb);
	sl_report_free(wr);
	golden_teardown(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_rich),
		cmocka_unit_test(test_chart),
		cmocka_unit_test(test_nothing_recorded),
		cmocka_unit_test(test_copy_diff_records),
		cmocka_unit_test(test_golden),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
