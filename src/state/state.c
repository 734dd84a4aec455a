/*
 * state.c - the state store (include/sluice/state.h, docs/state.md): a
 * SQLite file opened through the ordinary SQLite driver, so it shares the
 * driver's busy timeout and error handling. Tables check_runs and
 * check_results here, rehearsals and rehearsal_migrations in rehearsals.c,
 * snapshot reports in the tables of snapshot.c, shadow runs in shadow.c,
 * watch runs in watch.c, locks in lock.c; PRAGMA user_version holds
 * the schema version, and opening an older file migrates it step by step
 * (docs/state.md, "Versions").
 */
#include "state/state_int.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "sluice/arena.h"
#include "sluice/buf.h"
#include "sluice/conn.h"
#include "sluice/error.h"
#include "state_int.h"
#include "sluice/util.h"

/*
 * Version 5 (the cutover journal) is journal.c's, 6 (watch runs) watch.c's,
 * 7 (copy and diff runs) copies.c's.
 */
#define STATE_VERSION 7

/* Version 1: check runs and results. */
static const char schema_v1[] =
	"CREATE TABLE IF NOT EXISTS check_runs ("
	" id INTEGER PRIMARY KEY,"
	" started_at TEXT NOT NULL,"
	" finished_at TEXT,"
	" environment TEXT NOT NULL,"
	" status TEXT);"
	"CREATE TABLE IF NOT EXISTS check_results ("
	" id INTEGER PRIMARY KEY,"
	" run_id INTEGER NOT NULL REFERENCES check_runs (id),"
	" rule TEXT NOT NULL,"
	" domain TEXT,"
	" type TEXT,"
	" environment TEXT,"
	" status TEXT NOT NULL,"
	" violations INTEGER NOT NULL,"
	" rows_checked INTEGER,"
	" threshold TEXT,"
	" examples TEXT,"
	" message TEXT,"
	" duration_ms INTEGER);"
	"CREATE INDEX IF NOT EXISTS check_results_rule_idx ON check_results (rule, run_id);";

/* Version 2: rehearsals (sluice rehearse). */
static const char schema_v2[] =
	"CREATE TABLE IF NOT EXISTS rehearsals ("
	" id INTEGER PRIMARY KEY,"
	" started_at TEXT NOT NULL,"
	" finished_at TEXT,"
	" environment TEXT NOT NULL,"
	" engine TEXT,"
	" verdict TEXT,"
	" migrations_key TEXT,"
	" failed TEXT,"
	" total_ms INTEGER,"
	" report TEXT);"
	"CREATE INDEX IF NOT EXISTS rehearsals_env_idx ON rehearsals (environment, id);"
	"CREATE INDEX IF NOT EXISTS rehearsals_key_idx ON rehearsals (migrations_key, id);"
	"CREATE TABLE IF NOT EXISTS rehearsal_migrations ("
	" rehearsal_id INTEGER NOT NULL REFERENCES rehearsals (id),"
	" migration TEXT NOT NULL,"
	" checksum TEXT NOT NULL,"
	" up_ms INTEGER,"
	" down_ms INTEGER,"
	" rewrites INTEGER,"
	" exclusive_lock_ms INTEGER,"
	" PRIMARY KEY (rehearsal_id, migration));";

/* Brings a file of version `from` to STATE_VERSION in one transaction. */
static int migrate_schema(sl_state *s, int64_t from)
{
	int rc = sl_conn_begin(s->conn);
	if (!rc && from < 1)
		rc = sl_conn_exec(s->conn, schema_v1);
	if (!rc && from < 2)
		rc = sl_conn_exec(s->conn, schema_v2);
	if (!rc && from < 3)
		rc = sl_state_snapshot_schema(s->conn); /* version 3: snapshot reports */
	if (!rc && from < 4)
		rc = sl_state_shadow_schema(s->conn); /* version 4: shadow runs */
	if (!rc && from < 5)
		rc = sl_state_journal_schema(s->conn); /* version 5: the cutover journal */
	if (!rc && from < 6)
		rc = sl_state_watch_schema(s->conn); /* version 6: watch runs, figures, events, gaps */
	if (!rc && from < 7)
		rc = sl_state_copies_schema(s->conn); /* version 7: copy and diff runs */
	if (!rc && from < STATE_VERSION) {
		char sql[64];
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", STATE_VERSION);
		rc = sl_conn_exec(s->conn, sql);
	}
	if (!rc)
		rc = sl_conn_commit(s->conn);
	else if (sl_conn_in_transaction(s->conn))
		sl_conn_rollback(s->conn);
	if (rc)
		sl_error_prefix("bring the state store from version %lld to %d", (long long)from,
				STATE_VERSION);
	return rc;
}

/* Creates every missing directory of path's parent (mkdir -p of dirname). */
static int make_parent_dirs(const char *path)
{
	int rc = 0;
	char *dir = strdup(path);
	if (!dir)
		return sl_error_nomem();
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		goto done;
	*slash = '\0';
	for (char *p = dir + 1;; p++) {
		bool end = *p == '\0';
		if (*p == '/' || end) {
			char saved = *p;
			*p = '\0';
			if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
				rc = sl_error_set(SL_EIO, "create state directory \"%s\": %s", dir,
						  strerror(errno));
				goto done;
			}
			*p = saved;
		}
		if (end)
			break;
	}
done:
	free(dir);
	return rc;
}

void sl_state_now_utc(char *out, size_t n)
{
	sl_now_utc_text(out, n, 'T', 3);
}

int sl_state_open(sl_state **out, const char *path)
{
	sl_state *s = NULL;
	sl_buf url = SL_BUF_INIT;
	int64_t version = 0;
	int rc;

	*out = NULL;
	if ((rc = make_parent_dirs(path)) != 0)
		goto done;
	s = calloc(1, sizeof(*s));
	if (!s || !(s->path = strdup(path))) {
		rc = sl_error_nomem();
		goto done;
	}
	if ((rc = sl_buf_printf(&url, "sqlite:%s?mode=rwc", path)) != 0)
		goto done;
	if ((rc = sl_conn_open(&s->conn, sl_buf_cstr(&url))) != 0)
		goto done;
	if ((rc = sl_conn_query_int(s->conn, "PRAGMA user_version", &version)) != 0)
		goto done;
	if (version > STATE_VERSION) {
		rc = sl_error_set(SL_ECONFLICT,
				  "state store \"%s\" has schema version %lld; this sluice knows %d", path,
				  (long long)version, STATE_VERSION);
		goto done;
	}
	rc = migrate_schema(s, version);
done:
	sl_buf_free(&url);
	if (rc) {
		sl_error_prefix("open state store \"%s\"", path);
		sl_state_close(s);
	} else {
		*out = s;
	}
	return rc;
}

void sl_state_close(sl_state *s)
{
	if (!s)
		return;
	sl_conn_close(s->conn);
	free(s->path);
	free(s);
}

/* Appends a text literal, or NULL for a NULL string. */
int sl_state_put_text(sl_state *s, sl_buf *b, const char *text)
{
	sl_value v = text ? sl_text(text) : sl_null();
	return sl_conn_quote_literal(s->conn, b, &v);
}

int sl_state_run_begin(sl_state *s, int64_t *out_run_id, const char *environment)
{
	char now[40];
	sl_buf sql = SL_BUF_INIT;
	int rc;

	sl_state_now_utc(now, sizeof(now));
	rc = sl_buf_puts(&sql, "INSERT INTO check_runs (started_at, environment) VALUES (");
	if (!rc)
		rc = sl_state_put_text(s, &sql, now);
	if (!rc)
		rc = sl_buf_puts(&sql, ", ");
	if (!rc)
		rc = sl_state_put_text(s, &sql, environment ? environment : "");
	if (!rc)
		rc = sl_buf_puts(&sql, ")");
	if (!rc)
		rc = sl_conn_exec(s->conn, sl_buf_cstr(&sql));
	if (!rc)
		rc = sl_conn_query_int(s->conn, "SELECT last_insert_rowid()", out_run_id);
	sl_buf_free(&sql);
	if (rc)
		sl_error_prefix("record check run in \"%s\"", s->path);
	return rc;
}

int sl_state_result_add(sl_state *s, int64_t run_id, const sl_state_result *r)
{
	sl_buf sql = SL_BUF_INIT;
	int rc = sl_buf_printf(
		&sql,
		"INSERT INTO check_results (run_id, rule, domain, type, environment, status, "
		"violations, rows_checked, threshold, examples, message, duration_ms) VALUES (%lld, ",
		(long long)run_id);
	const char *texts[] = { r->rule, r->domain, r->type, r->environment, r->status };
	for (size_t i = 0; !rc && i < sizeof(texts) / sizeof(texts[0]); i++) {
		rc = sl_state_put_text(s, &sql, texts[i]);
		if (!rc)
			rc = sl_buf_puts(&sql, ", ");
	}
	if (!rc)
		rc = sl_buf_printf(&sql, "%lld, %lld, ", (long long)r->violations,
				   (long long)r->rows_checked);
	if (!rc)
		rc = sl_state_put_text(s, &sql, r->threshold);
	if (!rc)
		rc = sl_buf_puts(&sql, ", ");
	if (!rc)
		rc = sl_state_put_text(s, &sql, r->examples);
	if (!rc)
		rc = sl_buf_puts(&sql, ", ");
	if (!rc)
		rc = sl_state_put_text(s, &sql, r->message);
	if (!rc)
		rc = sl_buf_printf(&sql, ", %lld)", (long long)r->duration_ms);
	if (!rc)
		rc = sl_conn_exec(s->conn, sl_buf_cstr(&sql));
	sl_buf_free(&sql);
	if (rc)
		sl_error_prefix("record result of rule \"%s\" in \"%s\"", r->rule, s->path);
	return rc;
}

int sl_state_run_finish(sl_state *s, int64_t run_id, const char *status)
{
	char now[40];
	sl_buf sql = SL_BUF_INIT;
	int rc;

	sl_state_now_utc(now, sizeof(now));
	rc = sl_buf_puts(&sql, "UPDATE check_runs SET finished_at = ");
	if (!rc)
		rc = sl_state_put_text(s, &sql, now);
	if (!rc)
		rc = sl_buf_puts(&sql, ", status = ");
	if (!rc)
		rc = sl_state_put_text(s, &sql, status);
	if (!rc)
		rc = sl_buf_printf(&sql, " WHERE id = %lld", (long long)run_id);
	if (!rc)
		rc = sl_conn_exec(s->conn, sl_buf_cstr(&sql));
	sl_buf_free(&sql);
	if (rc)
		sl_error_prefix("finish check run in \"%s\"", s->path);
	return rc;
}

/* Batch text is not NUL-terminated: copy it into a, which the caller resets per row. */
static const char *text_of(sl_arena *a, const sl_value *v)
{
	return v->type == SL_V_TEXT ? sl_arena_strndup(a, v->u.s.ptr, v->u.s.len) : NULL;
}

static int64_t int_of(const sl_value *v)
{
	return v->type == SL_V_INT ? v->u.i : -1;
}

/* Fetches one result row of the history query into a history row and calls cb. */
static int emit_history(sl_arena *a, const sl_value *v, sl_state_history_cb cb, void *ud)
{
	sl_state_history_row h = {
		.run_id = int_of(&v[0]),
		.started_at = text_of(a, &v[1]),
		.finished_at = text_of(a, &v[2]),
		.run_status = text_of(a, &v[3]),
		.environment = text_of(a, &v[4]),
		.result = {
			.rule = text_of(a, &v[5]),
			.domain = text_of(a, &v[6]),
			.type = text_of(a, &v[7]),
			.environment = text_of(a, &v[8]),
			.status = text_of(a, &v[9]),
			.violations = int_of(&v[10]),
			.rows_checked = int_of(&v[11]),
			.threshold = text_of(a, &v[12]),
			.examples = text_of(a, &v[13]),
			.message = text_of(a, &v[14]),
			.duration_ms = int_of(&v[15]),
		},
	};
	return cb(&h, ud);
}

int sl_state_history(sl_state *s, const char *rule, size_t limit, sl_state_history_cb cb, void *ud)
{
	sl_buf sql = SL_BUF_INIT;
	sl_cursor *cur = NULL;
	sl_batch b = { 0 };
	bool batch_ready = false;
	sl_arena *a = sl_arena_new(4096);
	int rc, n;

	if (!a)
		return sl_error_nomem();

	rc = sl_buf_puts(&sql,
			 "SELECT r.id, r.started_at, r.finished_at, r.status, r.environment, "
			 "x.rule, x.domain, x.type, x.environment, x.status, x.violations, x.rows_checked, "
			 "x.threshold, x.examples, x.message, x.duration_ms "
			 "FROM check_runs r JOIN check_results x ON x.run_id = r.id WHERE 1 = 1");
	if (!rc && rule) {
		rc = sl_buf_puts(&sql, " AND x.rule = ");
		if (!rc)
			rc = sl_state_put_text(s, &sql, rule);
	}
	if (!rc && limit) {
		rc = sl_buf_printf(&sql, " AND r.id IN (SELECT run_id FROM check_results");
		if (!rc && rule) {
			rc = sl_buf_puts(&sql, " WHERE rule = ");
			if (!rc)
				rc = sl_state_put_text(s, &sql, rule);
		}
		if (!rc)
			rc = sl_buf_printf(&sql, " GROUP BY run_id ORDER BY run_id DESC LIMIT %zu)", limit);
	}
	if (!rc)
		rc = sl_buf_puts(&sql, " ORDER BY r.id DESC, x.id");
	if (!rc)
		rc = sl_conn_query(&cur, s->conn, sl_buf_cstr(&sql));
	if (!rc && !(rc = sl_batch_init(&b, sl_cursor_ncols(cur), 256)))
		batch_ready = true;
	while (!rc && (n = sl_cursor_fetch(cur, &b, 256)) != 0) {
		if (n < 0) {
			rc = n;
			break;
		}
		for (size_t i = 0; !rc && i < b.nrows; i++) {
			rc = emit_history(a, sl_batch_row(&b, i), cb, ud);
			sl_arena_reset(a);
		}
		sl_batch_reset(&b);
	}
	sl_cursor_close(cur);
	if (batch_ready)
		sl_batch_free(&b);
	sl_buf_free(&sql);
	sl_arena_free(a);
	return rc;
}
