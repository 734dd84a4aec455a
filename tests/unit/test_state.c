/*
 * test_state.c - the state store's versions and rehearsal records: a
 * version-1 file is migrated in place with its rows kept, a newer file is
 * refused, and rehearsals are recorded, read back (--latest) and found by
 * the cutover gate (a GO of exactly these migrations, at most N days old).
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	snprintf(url, sizeof(url), "sqlite:%s?mode=rwc",
		 path); /* makes the file: a missing source is an error */
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
	assert_int_equal(int_on(path, "PRAGMA user_version"), 4);
	assert_int_equal(int_on(path, "SELECT count(*) FROM check_results WHERE rule = 'r'"), 1);
	assert_int_equal(int_on(path, "SELECT count(*) FROM rehearsals"), 0);
	assert_int_equal(int_on(path, "SELECT count(*) FROM rehearsal_migrations"), 0);
	/* opening again changes nothing */
	assert_int_equal(sl_state_open(&s, path), 0);
	sl_state_close(s);
	assert_int_equal(int_on(path, "SELECT count(*) FROM check_runs"), 1);
	/* a newer file is refused, not misread */
	exec_on(path, "PRAGMA user_version = 5");
	assert_int_equal(sl_state_open(&s, path), SL_ECONFLICT);
	assert_non_null(strstr(sl_error_last()->message, "has schema version 5; this sluice knows 4"));
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_migrates_version_1),
		cmocka_unit_test(test_rehearsal_records),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
