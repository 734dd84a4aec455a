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
#include "sluice/journal.h"
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

/* ---- a recorded cutover and watch (the journal and the watch records, written as their modules do) ---- */

static void co_step(sl_state *st, int64_t run, const char *step, const char *type, const char *path,
		    const char *status, const char *gate, const char *figures, const char *msg, int64_t ms)
{
	char phase[32];
	int64_t row = 0;
	snprintf(phase, sizeof(phase), "%.*s", (int)(strchr(step, '.') - step), step);
	sl_journal_step s = { .step = step, .phase = phase, .type = type, .path = path, .attempt = 1 };
	SL_OK_OR_FAIL(sl_journal_step_begin(st, run, &s, &row));
	SL_OK_OR_FAIL(sl_journal_step_end(st, row, status, gate, figures, msg, ms));
}

static int64_t co_run(sl_state *st, const char *runbook, bool dry)
{
	int64_t id = 0;
	sl_journal_run r = { .runbook = runbook,
			     .path = "cutover.yaml",
			     .digest = "sha256:0f1e",
			     .source = "dev",
			     .target = "new",
			     .dry_run = dry,
			     .pid = 1,
			     .host = "build",
			     .os_user = "ana" };
	SL_OK_OR_FAIL(sl_journal_run_begin(st, &id, &r));
	return id;
}

static void co_score(sl_state *st, int64_t run, const char *name, const char *type, bool ok,
		     const char *figure, const char *limit)
{
	sl_journal_score sc = {
		.criterion = name, .type = type, .phase = NULL, .ok = ok, .figure = figure, .limit = limit
	};
	SL_OK_OR_FAIL(sl_journal_score_set(st, run, &sc));
}

/*
 * Three runbooks: billing done (approved by two people, a freeze within its
 * budget, every criterion met), audit rolled back (a diff gate failed, the
 * freeze overran its budget), reports waiting for its second approval; and
 * a dry run of billing. Step i starts at 01:00:00 + 5i seconds (times fixed
 * by record_times below).
 */
static void record_cutovers(sl_state *st)
{
	static const char digest[] =
		"sha256:da3699cb55f5e0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071829";
	int64_t run = co_run(st, "billing-cutover", false), fid = 0;
	co_step(st, run, "billing.sync-start", "sync-start", "forward", "done", NULL, "{\"rows\":386}", NULL,
		1200);
	co_step(st, run, "billing.wait-lag", "wait-lag", "forward", "done", "pass", "{\"lag_seconds\":0.4}",
		NULL, 800);
	SL_OK_OR_FAIL(sl_journal_request_add(st, run, "billing.approve", digest, "{\"lag_seconds\":0.4}"));
	sl_journal_approval a = { .step = "billing.approve",
				  .name = "ana",
				  .role = "dba",
				  .note = "lag & rules <checked>",
				  .digest = digest,
				  .os_user = "ana" };
	SL_OK_OR_FAIL(sl_journal_approval_add(st, run, &a));
	a.name = "carla";
	a.role = "finance";
	a.note = "totals reconcile";
	SL_OK_OR_FAIL(sl_journal_approval_add(st, run, &a));
	co_step(st, run, "billing.approve", "approve", "forward", "done", "pass", NULL, NULL, 0);
	co_step(st, run, "billing.freeze", "freeze", "forward", "done", NULL, NULL, NULL, 150);
	sl_journal_freeze f = { .phase = "billing",
				.step = "billing.freeze",
				.side = "source",
				.token = "t1",
				.tables = "[\"invoices\",\"payments\"]",
				.method = "triggers",
				.budget_ms = 30000,
				.started_us = 1767661220150000,
				.deadline_us = 1767661250150000 };
	SL_OK_OR_FAIL(sl_journal_freeze_begin(st, run, &f, &fid));
	co_step(st, run, "billing.drain", "drain", "forward", "done", NULL, NULL, NULL, 900);
	co_step(st, run, "billing.diff", "diff", "forward", "done", "pass", "{\"discrepancies\":0}", NULL,
		1400);
	co_step(st, run, "billing.switch", "switch", "forward", "done", NULL, NULL, NULL, 300);
	co_step(st, run, "billing.unfreeze", "unfreeze", "forward", "done", NULL, NULL, NULL, 100);
	SL_OK_OR_FAIL(sl_journal_freeze_end(st, fid, 1767661240100000, "unfreeze"));
	co_score(st, run, "no lost billing records", "lost_rows", true, "0 lost", "<= 0");
	co_score(st, run, "maximum downtime", "downtime", true, "19.950s frozen", "<= 30.000s");
	SL_OK_OR_FAIL(sl_journal_run_update(st, run, "done", "billing", NULL, true));

	run = co_run(st, "billing-cutover", true);
	co_step(st, run, "billing.sync-start", "sync-start", "forward", "done", NULL, NULL, NULL, 1100);
	SL_OK_OR_FAIL(sl_journal_run_update(st, run, "done", "billing", NULL, true));

	run = co_run(st, "audit-cutover", false);
	co_step(st, run, "audit.freeze", "freeze", "forward", "done", NULL, NULL, NULL, 150);
	f = (sl_journal_freeze){ .phase = "audit",
				 .step = "audit.freeze",
				 .side = "source",
				 .token = "t2",
				 .tables = "[\"audit_log\"]",
				 .method = "triggers",
				 .budget_ms = 10000,
				 .started_us = 1767661250150000,
				 .deadline_us = 1767661260150000 };
	SL_OK_OR_FAIL(sl_journal_freeze_begin(st, run, &f, &fid));
	co_step(st, run, "audit.diff", "diff", "forward", "failed", "fail", "{\"discrepancies\":3}",
		"3 rows differ in <audit_log>", 2000);
	SL_OK_OR_FAIL(sl_journal_event_add(st, run, "gate_failed", "audit.diff",
					   "{\"message\":\"3 rows differ in <audit_log>\"}"));
	SL_OK_OR_FAIL(sl_journal_event_add(st, run, "rollback_started", "audit.diff",
					   "{\"message\":\"diff failed: rolling back phase audit\"}"));
	co_step(st, run, "audit.drain", "drain", "rollback", "done", NULL, NULL, NULL, 700);
	co_step(st, run, "audit.unfreeze", "unfreeze", "rollback", "done", NULL, NULL, NULL, 100);
	SL_OK_OR_FAIL(sl_journal_freeze_end(st, fid, 1767661265100000, "rollback"));
	SL_OK_OR_FAIL(
		sl_journal_event_add(st, run, "rollback_done", NULL, "{\"message\":\"no write lost\"}"));
	co_score(st, run, "no lost audit rows", "lost_rows", true, "0 lost", "<= 0");
	SL_OK_OR_FAIL(sl_journal_run_update(st, run, "rolled_back", "audit", "diff: 3 rows differ", true));

	run = co_run(st, "reports-cutover", false);
	co_step(st, run, "reports.rehearse-required", "rehearse-required", "forward", "done", "pass", NULL,
		NULL, 40);
	SL_OK_OR_FAIL(sl_journal_request_add(st, run, "reports.approve", digest, "{}"));
	a = (sl_journal_approval){ .step = "reports.approve", .name = "bo", .role = "dba", .digest = digest };
	SL_OK_OR_FAIL(sl_journal_approval_add(st, run, &a));
	co_step(st, run, "reports.approve", "approve", "forward", "waiting", NULL, NULL,
		"1 of 2 roles approved", 0);
	SL_OK_OR_FAIL(sl_journal_run_update(st, run, "waiting", "reports", "waiting for approval", false));
}

static int64_t watch_run(sl_state *st, const char *target, const char *status, const char *state,
			 bool complete, const char *gap, double rows, const char *level)
{
	int64_t id = 0;
	sl_state_watch_figure fig[2] = {
		{ .check = "diff",
		  .item = "customers",
		  .value = rows,
		  .unit = "rows",
		  .level = level,
		  .threshold = "breach 1",
		  .duration_ms = 20 },
		{ .check = "sync",
		  .item = "lag",
		  .value = 1.5,
		  .unit = "seconds",
		  .level = complete ? "ok" : "gap",
		  .threshold = "warn 60s, breach 5m",
		  .duration_ms = 5 },
	};
	sl_state_watch_run r = { .target = target,
				 .source = "dev",
				 .checks = "diff,sync",
				 .status = status,
				 .complete = complete,
				 .state = state,
				 .gap_reason = gap,
				 .duration_ms = 25,
				 .figures = fig,
				 .nfigures = 2 };
	SL_OK_OR_FAIL(sl_state_watch_begin(st, &id, &r));
	SL_OK_OR_FAIL(sl_state_watch_finish(st, id, &r, NULL));
	return id;
}

/* new: ok, then a breach (its hook failed); replica: ok, then a gap that is still open; staging: ok. */
static void record_watch(sl_state *st)
{
	int64_t ev = 0, run = watch_run(st, "new", "ok", "ok", true, NULL, 0, "ok");
	sl_state_watch_event e = {
		.run_id = run, .target = "new", .kind = "state", .state = "ok", .payload = "{}"
	};
	SL_OK_OR_FAIL(sl_state_watch_event_add(st, &ev, &e, true));
	SL_OK_OR_FAIL(sl_state_watch_event_hook(st, ev, "ok", 0, 12, NULL));
	run = watch_run(st, "new", "breach", "breach", true, NULL, 1, "breach");
	e = (sl_state_watch_event){ .run_id = run,
				    .target = "new",
				    .kind = "state",
				    .state = "breach",
				    .previous = "ok",
				    .payload = "{}" };
	SL_OK_OR_FAIL(sl_state_watch_event_add(st, &ev, &e, true));
	SL_OK_OR_FAIL(sl_state_watch_event_hook(st, ev, "failed", 1, 30, "exit status 1: <no route>"));
	run = watch_run(st, "replica", "ok", "ok", true, NULL, 0, "ok");
	run = watch_run(st, "replica", "gap", "ok", false, "connection refused", NAN, "gap");
	e = (sl_state_watch_event){
		.run_id = run, .target = "replica", .kind = "gap_started", .payload = "{}"
	};
	SL_OK_OR_FAIL(sl_state_watch_event_add(st, &ev, &e, false));
	watch_run(st, "staging", "ok", "ok", true, NULL, 0, "ok");
}

/* Fixed times for everything the journal and the watch stamped with the clock. */
static const char record_times[] =
	"UPDATE cutover_steps SET started_at = strftime('%Y-%m-%dT%H:%M:%fZ', '2026-01-06 01:00:00', (id * "
	"5) || "
	"' seconds'), finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', '2026-01-06 01:00:00', (id * 5 + "
	"duration_ms / "
	"1000.0) || ' seconds');"
	"UPDATE cutover_runs SET started_at = (SELECT min(started_at) FROM cutover_steps s WHERE s.run_id = "
	"cutover_runs.id), finished_at = CASE WHEN finished_at IS NULL THEN NULL ELSE (SELECT "
	"max(finished_at) "
	"FROM cutover_steps s WHERE s.run_id = cutover_runs.id) END;"
	"UPDATE cutover_events SET at = strftime('%Y-%m-%dT%H:%M:%fZ', '2026-01-06 01:00:57', id || ' "
	"seconds');"
	"UPDATE cutover_requests SET requested_at = (SELECT min(started_at) FROM cutover_steps s WHERE "
	"s.run_id = "
	"cutover_requests.run_id);"
	"UPDATE cutover_approvals SET approved_at = strftime('%Y-%m-%dT%H:%M:%fZ', (SELECT min(started_at) "
	"FROM "
	"cutover_steps s WHERE s.run_id = cutover_approvals.run_id), (id + 6) || ' seconds');"
	"UPDATE cutover_scorecard SET evaluated_at = (SELECT finished_at FROM cutover_runs r WHERE r.id = "
	"cutover_scorecard.run_id);"
	"UPDATE watch_runs SET started_at = strftime('%Y-%m-%dT%H:%M:%fZ', '2026-01-06 02:00:00', (id * 60) "
	"|| "
	"' seconds'), finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', '2026-01-06 02:00:00', (id * 60) || ' "
	"seconds', '0.025 seconds');"
	"UPDATE watch_events SET at = (SELECT finished_at FROM watch_runs r WHERE r.id = "
	"watch_events.run_id);"
	"UPDATE watch_gaps SET started_at = (SELECT started_at FROM watch_runs r WHERE r.id = "
	"watch_gaps.first_run_id);";

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
	record_cutovers(st);
	record_watch(st);
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
	exec_on(g->path, record_times);
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
			       .migrations = g.status };
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
				strstr(h, "as of <time>2026-01-06T02:05:00.025Z</time> (the newest record)"));
			/* the cutover: a timeline chart with a text alternative, the freeze against its
			 * budget */
			assert_non_null(strstr(h, "<desc id=\"chart-cutover-1-d\">8 step attempts in"));
			assert_non_null(
				strstr(h,
				       "writes to source were frozen 19.9 s of a 30.0 s budget (within it)"));
			assert_non_null(strstr(h, "<desc id=\"chart-cutover-3-d\">"));
			assert_non_null(strstr(h, "of a 10.0 s budget (over it)"));
			assert_non_null(strstr(h, "3 rows differ in &lt;audit_log&gt;"));
			assert_null(strstr(h, "<audit_log>"));
			assert_non_null(strstr(h, "lag &amp; rules &lt;checked&gt;"));
			assert_non_null(strstr(h, "<code title=\"sha256:da3699cb55f5e0a1"));
			assert_non_null(strstr(h, "not done: waiting for approval of reports.approve"));
			/* the watch: each figure charted, the failed hook delivery listed */
			assert_non_null(strstr(h, "<desc id=\"chart-watch-d\">"));
			assert_non_null(strstr(h, "exit status 1: &lt;no route&gt;"));
			assert_non_null(strstr(h, "a gap is open since 2026-01-06T02:04:00.000Z"));
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
			assert_string_equal(section_status(j, "cutover"), "fail");
			assert_string_equal(section_status(j, "watch"), "fail");
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
	/* each runbook's newest real run, newest first, judged: waiting, rolled back, done */
	in.now = NULL;
	j = build_json(&in);
	const json_t *co = json_object_get(json_object_get(j, "sections"), "cutover");
	const json_t *runs = json_object_get(co, "runs");
	assert_int_equal(json_array_size(runs), 3);
	assert_string_equal(rp_str(json_array_get(runs, 0), "runbook"), "reports-cutover");
	assert_string_equal(rp_str(json_array_get(runs, 0), "judged"), "warn");
	assert_string_equal(rp_str(json_array_get(runs, 1), "judged"), "fail");
	assert_non_null(strstr(rp_str(json_array_get(runs, 1), "why"), "rolled back in phase audit"));
	assert_non_null(strstr(rp_str(json_array_get(runs, 1), "why"), "1 freeze window overran its budget"));
	assert_string_equal(rp_str(json_array_get(runs, 2), "judged"), "pass");
	assert_string_equal(rp_str(json_array_get(runs, 2), "why"),
			    "done in 35.1 s; 2 of 2 success criteria met");
	assert_int_equal(json_array_size(json_object_get(json_array_get(runs, 2), "approvals")), 2);
	assert_int_equal(rp_int(json_array_get(json_object_get(json_array_get(runs, 2), "freezes"), 0),
				"window_ms", 0),
			 19950);
	assert_int_equal(json_array_size(json_object_get(co, "dry_runs")), 1);
	/* the watch: every target's state; a breach and an open gap are red, the rest is green */
	const json_t *targets =
		json_object_get(json_object_get(json_object_get(j, "sections"), "watch"), "targets");
	assert_int_equal(json_array_size(targets), 3);
	assert_string_equal(rp_str(json_array_get(targets, 0), "target"), "staging");
	assert_string_equal(rp_str(json_array_get(targets, 0), "status"), "pass");
	assert_string_equal(rp_str(json_array_get(targets, 1), "target"), "replica");
	assert_string_equal(rp_str(json_array_get(targets, 1), "status"), "fail");
	assert_non_null(
		json_object_get(json_object_get(json_array_get(targets, 1), "open_gap"), "started_at"));
	assert_string_equal(rp_str(json_array_get(targets, 2), "status"), "fail");
	assert_string_equal(rp_str(json_array_get(targets, 2), "since"), "2026-01-06T02:02:00.025Z");
	json_decref(j);
	/* the Markdown variant has both sections' tables */
	sl_report *wr = NULL;
	sl_buf wb = SL_BUF_INIT;
	SL_OK_OR_FAIL(sl_report_build(&wr, &in));
	SL_OK_OR_FAIL(sl_report_md(&wb, wr));
	assert_non_null(strstr(sl_buf_cstr(&wb), "### Runbook audit-cutover, run 3"));
	assert_non_null(strstr(sl_buf_cstr(&wb), "| 3 rows differ in \\<audit_log> |"));
	assert_non_null(strstr(sl_buf_cstr(&wb), "| replica | ok |"));
	sl_buf_free(&wb);
	sl_report_free(wr);
	golden_teardown(&g);
}

/* The verdict's rules for a cutover and a watch, one recorded case at a time. */
static void test_cutover_watch_rules(void **state)
{
	(void)state;
	char *path = temp_path();
	sl_state *st = NULL;
	SL_OK_OR_FAIL(sl_state_open(&st, path));
	sl_report_input in = { .environment = "dev", .state = st, .state_path = path };
	/* only a dry run: not run yet, and the summary says how the dry run ended */
	int64_t run = co_run(st, "billing-cutover", true);
	SL_OK_OR_FAIL(sl_journal_run_update(st, run, "done", "billing", NULL, true));
	json_t *j = build_json(&in);
	assert_string_equal(section_status(j, "cutover"), "not_run");
	assert_non_null(strstr(rp_str(json_object_get(json_object_get(j, "sections"), "cutover"), "summary"),
			       "No cutover run yet: the newest dry run"));
	json_decref(j);
	/* done, but a success criterion missed: red */
	run = co_run(st, "billing-cutover", false);
	co_step(st, run, "billing.freeze", "freeze", "forward", "done", NULL, NULL, NULL, 10);
	co_score(st, run, "maximum downtime", "downtime", false, "45s frozen", "<= 30s");
	co_score(st, run, "no lost billing records", "lost_rows", true, "0 lost", "<= 0");
	SL_OK_OR_FAIL(sl_journal_run_update(st, run, "done", "billing", NULL, true));
	j = build_json(&in);
	assert_string_equal(section_status(j, "cutover"), "fail");
	assert_non_null(strstr(rp_str(json_object_get(json_object_get(j, "sections"), "cutover"), "summary"),
			       "1 of 2 success criteria met"));
	const json_t *red = json_object_get(json_object_get(j, "verdict"), "red"), *item;
	size_t i;
	bool cutover_red = false;
	json_array_foreach(red, i, item) cutover_red = cutover_red || rp_is(item, "section", "cutover");
	assert_true(cutover_red);
	json_decref(j);
	/* a newer run that stopped at a failed gate: red; one under way: amber */
	run = co_run(st, "billing-cutover", false);
	SL_OK_OR_FAIL(
		sl_journal_run_update(st, run, "stopped", "billing", "wait-lag: lag 40s over 5s", false));
	j = build_json(&in);
	assert_string_equal(section_status(j, "cutover"), "fail");
	json_decref(j);
	SL_OK_OR_FAIL(sl_journal_run_update(st, run, "running", "billing", NULL, false));
	j = build_json(&in);
	assert_string_equal(section_status(j, "cutover"), "warn");
	json_decref(j);
	/* a watch that only warns is amber; its first run incomplete (a gap, no state yet) is red */
	watch_run(st, "new", "warn", "warn", true, NULL, 0, "warn");
	j = build_json(&in);
	assert_string_equal(section_status(j, "watch"), "warn");
	json_decref(j);
	watch_run(st, "other", "gap", NULL, false, "connection refused", NAN, "gap");
	j = build_json(&in);
	assert_string_equal(section_status(j, "watch"), "fail");
	assert_non_null(strstr(rp_str(json_object_get(json_object_get(j, "sections"), "watch"), "summary"),
			       "2 databases watched; the worst: the watch of other: a gap is open since"));
	json_decref(j);
	sl_state_close(st);
	unlink(path);
	free(path);
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
		cmocka_unit_test(test_cutover_watch_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
