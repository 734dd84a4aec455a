/*
 * test_state.c - the state store's versions and rehearsal records: a
 * version-1 file is migrated in place with its rows kept, a newer file is
 * refused, and rehearsals are recorded, read back (--latest) and found by
 * the cutover gate (a GO of exactly these migrations, at most N days old).
 * Watch runs: figures read back as written, gaps opened by an incomplete
 * run, extended by the next, closed by a complete one and left alone by a
 * stopped one; events and their hooks; the named lock refuses a second
 * holder, naming the first, and is free again once released.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sluice/journal.h"
#include "sluice/state.h"

static char *temp_path(void)
{
	char tmpl[] = "/tmp/sluice-state-XXXXXX";
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
	snprintf(url, sizeof(url), "sqlite:%s?mode=rwc", path); /* may create the file */
	assert_int_equal(sl_conn_open(&c, url), 0);
	if (sl_conn_exec(c, sql) != 0)
		fail_msg("%s", sl_error_last()->message);
	sl_conn_close(c);
}

static int64_t int_on(const char *path, const char *sql)
{
	char url[256];
	sl_conn *c = NULL;
	int64_t v = -1;
	snprintf(url, sizeof(url), "sqlite:%s", path);
	assert_int_equal(sl_conn_open(&c, url), 0);
	if (sl_conn_query_int(c, sql, &v) != 0)
		fail_msg("%s", sl_error_last()->message);
	sl_conn_close(c);
	return v;
}

static void test_migrates_version_1(void **state)
{
	(void)state;
	char *path = temp_path();
	/* a file exactly as version 1 wrote it, with one recorded check run */
	exec_on(path,
		"CREATE TABLE check_runs (id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT,"
		" environment TEXT NOT NULL, status TEXT);"
		"CREATE TABLE check_results (id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES "
		"check_runs (id), rule TEXT NOT NULL, domain TEXT, type TEXT, environment TEXT, status TEXT "
		"NOT NULL, violations INTEGER NOT NULL, rows_checked INTEGER, threshold TEXT, examples TEXT,"
		" message TEXT, duration_ms INTEGER);"
		"CREATE INDEX check_results_rule_idx ON check_results (rule, run_id);"
		"INSERT INTO check_runs VALUES (1, '2026-01-01T00:00:00.000Z', NULL, 'prod', 'pass');"
		"INSERT INTO check_results VALUES (1, 1, 'r', NULL, 'sql', 'prod', 'pass', 0, -1, '0', NULL,"
		" NULL, 3);"
		"PRAGMA user_version = 1");
	sl_state *s = NULL;
	assert_int_equal(sl_state_open(&s, path), 0);
	sl_state_close(s);
	assert_int_equal(int_on(path, "PRAGMA user_version"), 7);
	assert_int_equal(int_on(path, "SELECT count(*) FROM cutover_runs"), 0); /* version 5 */
	assert_int_equal(int_on(path, "SELECT count(*) FROM watch_runs"), 0);   /* version 6 */
	assert_int_equal(int_on(path, "SELECT count(*) FROM check_results WHERE rule = 'r'"), 1);
	assert_int_equal(int_on(path, "SELECT count(*) FROM rehearsals"), 0);
	assert_int_equal(int_on(path, "SELECT count(*) FROM rehearsal_migrations"), 0);
	assert_int_equal(int_on(path, "SELECT count(*) FROM copy_runs"), 0); /* version 7 */
	assert_int_equal(int_on(path, "SELECT count(*) FROM diff_tables"), 0);
	/* opening again changes nothing */
	assert_int_equal(sl_state_open(&s, path), 0);
	sl_state_close(s);
	assert_int_equal(int_on(path, "SELECT count(*) FROM check_runs"), 1);
	/* a newer file is refused, not misread */
	exec_on(path, "PRAGMA user_version = 8");
	assert_int_equal(sl_state_open(&s, path), SL_ECONFLICT);
	assert_non_null(strstr(sl_error_last()->message, "has schema version 8; this sluice knows 7"));
	unlink(path);
	free(path);
}

static void test_rehearsal_records(void **state)
{
	(void)state;
	char *path = temp_path();
	sl_state *s = NULL;
	char *json = NULL;
	int64_t id = 0, go = -1, other = 0;
	assert_int_equal(sl_state_open(&s, path), 0);
	assert_int_equal(sl_state_rehearsal_latest(s, NULL, &json), 0);
	assert_null(json);
	assert_int_equal(sl_state_rehearsal_begin(s, &id, "prod", "postgres"), 0);
	assert_true(id > 0);
	/* an unfinished rehearsal shows as such and is never a GO */
	assert_int_equal(sl_state_rehearsal_latest(s, "prod", &json), 0);
	assert_non_null(strstr(json, "\"verdict\": null"));
	free(json);
	sl_state_rehearsal_mig m[] = {
		{ .id = "20260101000001", .checksum = "v1:aa", .up_ms = 12, .down_ms = 3 }
	};
	sl_state_rehearsal r = {
		.verdict = "GO",
		.migrations_key = "v1:key",
		.failed_json = "[]",
		.report_json = "{\"verdict\": \"GO\", \"migrations\": [{\"id\": \"20260101000001\"}]}",
		.total_ms = 99,
		.migrations = m,
		.nmigrations = 1
	};
	assert_int_equal(sl_state_rehearsal_finish(s, id, &r), 0);
	assert_int_equal(sl_state_rehearsal_go(s, "v1:key", 7, &go), 0);
	assert_int_equal(go, id);
	assert_int_equal(sl_state_rehearsal_go(s, "v1:other", 7, &go), 0);
	assert_int_equal(go, 0);
	/* a NO-GO of the same migrations does not satisfy the gate; the GO before it still does */
	assert_int_equal(sl_state_rehearsal_begin(s, &other, "prod", "postgres"), 0);
	r.verdict = "NO-GO";
	r.failed_json = "[\"max_migration: migration 1 took 5 ms\"]";
	assert_int_equal(sl_state_rehearsal_finish(s, other, &r), 0);
	assert_int_equal(sl_state_rehearsal_go(s, "v1:key", 0, &go), 0);
	assert_int_equal(go, id);
	assert_int_equal(sl_state_rehearsal_latest(s, "prod", &json), 0);
	assert_non_null(strstr(json, "\"verdict\": \"NO-GO\""));
	assert_non_null(strstr(json, "max_migration: migration 1 took 5 ms"));
	assert_non_null(strstr(json, "\"report\": {"));
	free(json);
	assert_int_equal(sl_state_rehearsal_latest(s, "staging", &json), 0);
	assert_null(json);
	sl_state_close(s);
	/* age: a GO finished 10 days ago is too old for a 7-day gate */
	exec_on(path,
		"UPDATE rehearsals SET finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-10 days')");
	assert_int_equal(sl_state_open(&s, path), 0);
	assert_int_equal(sl_state_rehearsal_go(s, "v1:key", 7, &go), 0);
	assert_int_equal(go, 0);
	assert_int_equal(sl_state_rehearsal_go(s, "v1:key", 30, &go), 0);
	assert_int_equal(go, id);
	sl_state_close(s);
	assert_int_equal(int_on(path, "SELECT up_ms FROM rehearsal_migrations WHERE rehearsal_id = 1"), 12);
	unlink(path);
	free(path);
}

static int keep_run(const sl_state_watch_run *r, void *ud)
{
	sl_state_watch_run *out = ud;
	out->id = r->id;
	out->complete = r->complete;
	out->nfigures = r->nfigures;
	assert_string_equal(r->target, "prod");
	if (r->nfigures) {
		assert_string_equal(r->figures[0].check, "diff");
		assert_string_equal(r->figures[0].item, "invoices");
		assert_true(r->figures[0].value == 3);
		assert_string_equal(r->figures[0].detail, "3 missing");
		assert_true(isnan(r->figures[1].value));
	}
	return 0;
}

static int count_pending(const sl_state_watch_event *e, void *ud)
{
	assert_string_equal(e->hook, "pending");
	assert_string_equal(e->payload, "{\"event\":\"state\"}");
	(*(int *)ud)++;
	return 0;
}

static int64_t record_run(sl_state *s, const char *target, const char *status, bool complete,
			  sl_state_watch_gap_change *g)
{
	int64_t id = 0;
	sl_state_watch_figure f[] = {
		{ .check = "diff",
		  .item = "invoices",
		  .value = 3,
		  .unit = "rows",
		  .level = "breach",
		  .detail = "3 missing" },
		{ .check = "rules",
		  .item = "r",
		  .value = NAN,
		  .unit = "violations",
		  .level = "gap",
		  .detail = "down" },
	};
	sl_state_watch_run r = { .target = target, .source = "legacy", .checks = "rules,diff" };
	assert_int_equal(sl_state_watch_begin(s, &id, &r), 0);
	r.status = status;
	r.complete = complete;
	r.state = complete ? status : "breach";
	r.gap_reason = complete ? NULL : "rules: down";
	r.figures = f;
	r.nfigures = 2;
	if (sl_state_watch_finish(s, id, &r, g) != 0)
		fail_msg("%s", sl_error_last()->message);
	return id;
}

static void test_watch_records(void **state)
{
	(void)state;
	char *path = temp_path();
	sl_state *s = NULL;
	sl_state_watch_gap_change g;
	char st[16];
	assert_int_equal(sl_state_open(&s, path), 0);
	assert_int_equal(sl_state_watch_state(s, "prod", st, sizeof(st)), 0);
	assert_string_equal(st, "");
	int64_t first = record_run(s, "prod", "breach", true, &g);
	assert_int_equal(g.change, 0);
	assert_int_equal(sl_state_watch_state(s, "prod", st, sizeof(st)), 0);
	assert_string_equal(st, "breach");
	/* two incomplete runs: one gap, opened then extended */
	int64_t a = record_run(s, "prod", "gap", false, &g);
	assert_int_equal(g.change, 1);
	int64_t gap = g.gap_id;
	record_run(s, "prod", "gap", false, &g);
	assert_int_equal(g.change, 0);
	/* a stopped run neither extends nor closes it */
	record_run(s, "prod", "stopped", false, &g);
	assert_int_equal(g.change, 0);
	int64_t done = record_run(s, "prod", "ok", true, &g);
	assert_int_equal(g.change, -1);
	assert_int_equal(g.gap_id, gap);
	assert_int_equal(g.runs, 2);
	assert_int_equal(int_on(path, "SELECT count(*) FROM watch_gaps"), 1);
	char q[160];
	snprintf(q, sizeof(q),
		 "SELECT count(*) FROM watch_gaps WHERE first_run_id = %lld AND ended_at = "
		 "(SELECT started_at FROM watch_runs WHERE id = %lld)",
		 (long long)a, (long long)done);
	assert_int_equal(int_on(path, q), 1);
	/* another target of the same store keeps its own state and gaps */
	record_run(s, "staging", "gap", false, &g);
	assert_int_equal(g.change, 1);
	assert_int_equal(sl_state_watch_state(s, "staging", st, sizeof(st)), 0);
	assert_string_equal(st, "breach");
	record_run(s, "staging", "ok", true, &g);
	assert_int_equal(g.change, -1);
	assert_int_equal(sl_state_watch_state(s, "staging", st, sizeof(st)), 0);
	assert_string_equal(st, "ok");
	record_run(s, "prod", "gap", false, &g);
	assert_int_equal(g.change, 1); /* staging's complete run closed nothing of prod's */
	int64_t done2 = record_run(s, "prod", "ok", true, &g);
	assert_int_equal(g.change, -1);
	assert_int_equal(int_on(path, "SELECT count(*) FROM watch_gaps WHERE target = 'prod'"), 2);
	assert_int_equal(int_on(path, "SELECT count(*) FROM watch_gaps WHERE target = 'staging'"), 1);
	sl_state_watch_run back = { 0 };
	assert_int_equal(sl_state_watch_runs(s, 1, keep_run, &back), 0);
	assert_int_equal(back.id, done2);
	assert_true(back.complete);
	assert_int_equal(back.nfigures, 2);
	assert_true(first < done);
	/* events: pending until the hook's outcome is recorded */
	int64_t ev = 0;
	int n = 0;
	sl_state_watch_event e = { .run_id = done,
				   .kind = "state",
				   .state = "ok",
				   .previous = "breach",
				   .payload = "{\"event\":\"state\"}" };
	assert_int_equal(sl_state_watch_event_add(s, &ev, &e, true), 0);
	assert_int_equal(sl_state_watch_pending(s, count_pending, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(sl_state_watch_event_hook(s, ev, "ok", 0, 12, NULL), 0);
	n = 0;
	assert_int_equal(sl_state_watch_pending(s, count_pending, &n), 0);
	assert_int_equal(n, 0);
	sl_state_close(s);
	unlink(path);
	free(path);
}

typedef struct targets_seen {
	int n;
	char names[4][16], states[4][16];
	int64_t gap[4], runs[4];
} targets_seen;

static int keep_target(const sl_state_watch_target *t, void *ud)
{
	targets_seen *x = ud;
	if (x->n < 4) {
		snprintf(x->names[x->n], sizeof(x->names[0]), "%s", t->target);
		snprintf(x->states[x->n], sizeof(x->states[0]), "%s", t->state ? t->state : "-");
		x->gap[x->n] = t->gap_id;
		x->runs[x->n] = t->runs;
	}
	x->n++;
	return 0;
}

/* The readers `sluice report` uses: the newest run of each runbook, every watched target. */
static void test_report_readers(void **state)
{
	(void)state;
	char *path = temp_path();
	sl_state *s = NULL;
	sl_state_watch_gap_change g;
	int64_t ids[4];
	size_t n = 9;
	assert_int_equal(sl_state_open(&s, path), 0);
	assert_int_equal(sl_journal_run_latest(s, false, ids, 4, &n), 0);
	assert_int_equal(n, 0);
	sl_journal_run r = {
		.runbook = "billing", .digest = "sha256:0", .source = "dev", .target = "new", .pid = 1
	};
	int64_t b1 = 0, b2 = 0, a1 = 0, d1 = 0;
	assert_int_equal(sl_journal_run_begin(s, &b1, &r), 0);
	r.runbook = "audit";
	assert_int_equal(sl_journal_run_begin(s, &a1, &r), 0);
	r.runbook = "billing";
	assert_int_equal(sl_journal_run_begin(s, &b2, &r), 0);
	r.dry_run = true;
	assert_int_equal(sl_journal_run_begin(s, &d1, &r), 0);
	assert_int_equal(sl_journal_run_latest(s, false, ids, 4, &n), 0);
	assert_int_equal(n, 2); /* billing's newest, then audit's; the dry run is not among them */
	assert_int_equal(ids[0], b2);
	assert_int_equal(ids[1], a1);
	assert_int_equal(sl_journal_run_latest(s, false, ids, 1, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(sl_journal_run_latest(s, true, ids, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], d1);
	/* watched targets, the most recently watched first, each with its state and open gap */
	targets_seen seen = { 0 };
	assert_int_equal(sl_state_watch_targets(s, keep_target, &seen), 0);
	assert_int_equal(seen.n, 0);
	record_run(s, "prod", "ok", true, &g);
	record_run(s, "staging", "ok", true, &g);
	record_run(s, "prod", "gap", false, &g);
	int64_t gap = g.gap_id;
	assert_int_equal(sl_state_watch_targets(s, keep_target, &seen), 0);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.names[0], "prod");
	assert_string_equal(seen.states[0], "breach"); /* record_run: a gap raises the state */
	assert_int_equal(seen.gap[0], gap);
	assert_int_equal(seen.runs[0], 2);
	assert_string_equal(seen.names[1], "staging");
	assert_string_equal(seen.states[1], "ok");
	assert_int_equal(seen.gap[1], 0);
	sl_state_close(s);
	unlink(path);
	free(path);
}

static void test_lock(void **state)
{
	(void)state;
	char *path = temp_path(), lockfile[300];
	sl_state *s = NULL;
	sl_state_lock *a = NULL, *b = NULL;
	assert_int_equal(sl_state_open(&s, path), 0);
	assert_int_equal(sl_state_lock_take(&a, s, "watch", 0, NULL), 0);
	/* a second holder is refused at once, or after waiting */
	assert_int_equal(sl_state_lock_take(&b, s, "watch", 0, NULL), SL_ELOCKED);
	char pid[32];
	snprintf(pid, sizeof(pid), "pid %ld since", (long)getpid());
	assert_non_null(strstr(sl_error_last()->message, pid));
	assert_non_null(strstr(sl_error_last()->message, "in use by another watch"));
	assert_int_equal(sl_state_lock_take(&b, s, "watch", 300, NULL), SL_ELOCKED);
	/* another name is another lock */
	assert_int_equal(sl_state_lock_take(&b, s, "cutover", 0, NULL), 0);
	sl_state_lock_release(b);
	assert_int_equal(sl_state_lock_take(&b, s, "no such/name", 0, NULL), SL_EINVALID);
	sl_state_lock_release(a);
	assert_int_equal(sl_state_lock_take(&b, s, "watch", 0, NULL), 0);
	sl_state_lock_release(b);
	sl_state_close(s);
	snprintf(lockfile, sizeof(lockfile), "%s.watch.lock", path);
	unlink(lockfile);
	snprintf(lockfile, sizeof(lockfile), "%s.cutover.lock", path);
	unlink(lockfile);
	unlink(path);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_migrates_version_1),
		cmocka_unit_test(test_rehearsal_records),
		cmocka_unit_test(test_watch_records),
		cmocka_unit_test(test_report_readers),
		cmocka_unit_test(test_lock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
