/*
 * my_sync.c - change capture and apply on MySQL and MariaDB (the sync hooks
 * of sys/driver.h; docs/sync.md explains the design).
 *
 * MySQL has only row-level triggers: three AFTER triggers per table insert
 * one change-log row per changed key (two when an update changes the key).
 * It exposes no transaction id to SQL, so the log's tx column stays NULL;
 * nothing in sync depends on it (changes are consumed by identity, never by
 * a high-water mark). Apply stages rows in a regular table (LOAD DATA LOCAL
 * cannot see temporary tables' columns through information_schema) and
 * merges them with INSERT ... ON DUPLICATE KEY UPDATE; FOREIGN_KEY_CHECKS=0
 * while applying.
 */
#include "sluice/conn.h"
#include "sluice/error.h"
#include "sluice/sys/driver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int qi(sl_buf *b, const char *s)
{
	return sl_quote_ident_with(b, s, '`');
}

static int qs(sl_buf *b, const char *s)
{
	return sl_quote_string(b, s, strlen(s), true);
}

static int my_log_create(sl_conn *c)
{
	return sl_conn_exec(c, "CREATE TABLE " SL_CAPTURE_LOG " ("
			       "seq BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, tbl VARCHAR(255) NOT NULL,"
			       " op CHAR(1) NOT NULL, k TEXT, tx BIGINT NULL,"
			       " ts TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6))"
			       " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin");
}

/* JSON_ARRAY(alias.`k1`, alias.`k2`) */
static int key_expr(sl_buf *b, const sl_capture_table *t, const char *alias)
{
	int rc = sl_buf_puts(b, "JSON_ARRAY(");
	for (size_t i = 0; !rc && i < t->nkey; i++) {
		rc = sl_buf_printf(b, "%s%s.", i ? ", " : "", alias);
		if (!rc)
			rc = qi(b, t->key[i]);
	}
	return rc ? rc : sl_buf_putc(b, ')');
}

/* INSERT INTO sluice_sync_log (tbl, op, k) VALUES ('t', 'op', <key of alias>) */
static int log_insert(sl_buf *b, const sl_capture_table *t, char op, const char *alias)
{
	int rc = sl_buf_puts(b, "INSERT INTO " SL_CAPTURE_LOG " (tbl, op, k) VALUES (");
	if (!rc)
		rc = qs(b, t->table);
	if (!rc)
		rc = sl_buf_printf(b, ", '%c', ", op);
	if (!rc)
		rc = key_expr(b, t, alias);
	return rc ? rc : sl_buf_putc(b, ')');
}

static int trigger_head(sl_buf *b, const sl_capture_table *t, const char *sfx, const char *event)
{
	char name[80];
	snprintf(name, sizeof(name), "%s%s", t->name, sfx);
	int rc = sl_buf_puts(b, "CREATE TRIGGER ");
	if (!rc)
		rc = qi(b, name);
	if (!rc)
		rc = sl_buf_printf(b, " AFTER %s ON ", event);
	if (!rc)
		rc = qi(b, t->table);
	return rc ? rc : sl_buf_puts(b, " FOR EACH ROW ");
}

static int my_log_session(sl_conn *c)
{
	return sl_conn_exec(c, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/*
 * By identity, without ever waiting on a transaction that holds an
 * uncommitted log row. InnoDB ends a range scan by reading (and, to delete,
 * locking) the first row past the range, which may be that uncommitted
 * row; and it may run an IN list as a scan of a small log. So a run of
 * consecutive seqs a..b becomes "seq BETWEEN a AND b - 1", whose scan ends
 * on row b (read by this batch, so committed), then "seq = b"; a lone seq is
 * an equality on the primary key, which locks that row alone (docs/sync.md,
 * "Late commits"). Statements go 500 to a round trip.
 */
static int my_log_delete(sl_conn *c, const int64_t *seqs, size_t n)
{
	sl_buf q = SL_BUF_INIT;
	int64_t *s = n ? malloc(n * sizeof(*s)) : NULL;
	size_t nstmt = 0;
	int rc = n && !s ? sl_error_nomem() : 0;
	if (!rc && n) {
		memcpy(s, seqs, n * sizeof(*s));
		qsort(s, n, sizeof(*s), cmp_i64);
	}
	for (size_t i = 0; !rc && i < n;) {
		size_t j = i;
		while (j + 1 < n && s[j + 1] == s[j] + 1)
			j++;
		if (j > i) {
			rc = sl_buf_printf(&q,
					   "DELETE FROM " SL_CAPTURE_LOG " WHERE seq BETWEEN %lld AND %lld;",
					   (long long)s[i], (long long)s[j] - 1);
			nstmt++;
		}
		if (!rc)
			rc = sl_buf_printf(&q, "DELETE FROM " SL_CAPTURE_LOG " WHERE seq = %lld;",
					   (long long)s[j]);
		nstmt++;
		i = j + 1;
		if (!rc && (nstmt >= 500 || i == n)) {
			rc = sl_conn_exec(c, q.ptr);
			sl_buf_clear(&q);
			nstmt = 0;
		}
	}
	free(s);
	sl_buf_free(&q);
	return rc;
}

static int my_capture_add(sl_conn *c, const sl_capture_table *t)
{
	sl_buf b = SL_BUF_INIT;
	int rc = trigger_head(&b, t, "_i", "INSERT");
	if (!rc)
		rc = log_insert(&b, t, 'I', "NEW");
	if (!rc)
		rc = sl_conn_exec(c, b.ptr);
	sl_buf_clear(&b);
	/* an update logs the new key, and the old one too when the key changed */
	if (!rc)
		rc = trigger_head(&b, t, "_u", "UPDATE");
	if (!rc)
		rc = sl_buf_puts(&b, "BEGIN ");
	if (!rc)
		rc = log_insert(&b, t, 'U', "NEW");
	if (!rc)
		rc = sl_buf_puts(&b, "; IF NOT (");
	for (size_t i = 0; !rc && i < t->nkey; i++) {
		rc = sl_buf_puts(&b, i ? " AND NEW." : "NEW.");
		if (!rc)
			rc = qi(&b, t->key[i]);
		if (!rc)
			rc = sl_buf_puts(&b, " <=> OLD.");
		if (!rc)
			rc = qi(&b, t->key[i]);
	}
	if (!rc)
		rc = sl_buf_puts(&b, ") THEN ");
	if (!rc)
		rc = log_insert(&b, t, 'U', "OLD");
	if (!rc)
		rc = sl_buf_puts(&b, "; END IF; END");
	if (!rc)
		rc = sl_conn_exec(c, b.ptr);
	sl_buf_clear(&b);
	if (!rc)
		rc = trigger_head(&b, t, "_d", "DELETE");
	if (!rc)
		rc = log_insert(&b, t, 'D', "OLD");
	if (!rc)
		rc = sl_conn_exec(c, b.ptr);
	sl_buf_free(&b);
	return rc;
}

static int my_capture_drop(sl_conn *c, const sl_capture_table *t)
{
	sl_buf b = SL_BUF_INIT;
	static const char *const sfx[] = { "_i", "_u", "_d" };
	int rc = 0;
	for (size_t i = 0; !rc && i < 3; i++) {
		char name[80];
		snprintf(name, sizeof(name), "%s%s", t->name, sfx[i]);
		sl_buf_clear(&b);
		rc = sl_buf_puts(&b, "DROP TRIGGER IF EXISTS ");
		if (!rc)
			rc = qi(&b, name);
		if (!rc)
			rc = sl_conn_exec(c, b.ptr);
	}
	sl_buf_free(&b);
	return rc;
}

static int my_capture_list(sl_conn *c, sl_buf *out)
{
	return sl_capture_list_query(
		c,
		"SELECT EVENT_OBJECT_TABLE, TRIGGER_NAME FROM information_schema.TRIGGERS"
		" WHERE TRIGGER_SCHEMA = DATABASE() AND TRIGGER_NAME LIKE 'sluice\\\\_sync\\\\_%'"
		" ORDER BY 1, 2",
		out);
}

static int my_stage_create(sl_conn *c, const char *table, const char *stage)
{
	sl_buf b = SL_BUF_INIT;
	int rc = sl_buf_puts(&b, "CREATE TABLE IF NOT EXISTS ");
	if (!rc)
		rc = qi(&b, stage);
	if (!rc)
		rc = sl_buf_puts(&b, " LIKE ");
	if (!rc)
		rc = qi(&b, table);
	if (!rc)
		rc = sl_conn_exec(c, b.ptr);
	sl_buf_free(&b);
	return rc;
}

static int col_list(sl_buf *b, const char *const *cols, size_t n)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < n; i++) {
		if (i)
			rc = sl_buf_puts(b, ", ");
		if (!rc)
			rc = qi(b, cols[i]);
	}
	return rc;
}

static bool is_key(const char *col, const char *const *key, size_t nkey)
{
	for (size_t i = 0; i < nkey; i++)
		if (strcmp(col, key[i]) == 0)
			return true;
	return false;
}

static int my_stage_merge(sl_conn *c, const char *table, const char *stage, const char *const *cols,
			  size_t ncols, const char *const *key, size_t nkey)
{
	sl_buf b = SL_BUF_INIT;
	int rc = sl_buf_puts(&b, "INSERT INTO ");
	if (!rc)
		rc = qi(&b, table);
	if (!rc)
		rc = sl_buf_puts(&b, " (");
	if (!rc)
		rc = col_list(&b, cols, ncols);
	if (!rc)
		rc = sl_buf_puts(&b, ") SELECT ");
	if (!rc)
		rc = col_list(&b, cols, ncols);
	if (!rc)
		rc = sl_buf_puts(&b, " FROM ");
	if (!rc)
		rc = qi(&b, stage);
	if (!rc)
		rc = sl_buf_puts(&b, " ON DUPLICATE KEY UPDATE ");
	size_t nset = 0;
	for (size_t i = 0; !rc && i < ncols; i++) {
		if (is_key(cols[i], key, nkey))
			continue;
		if (nset++)
			rc = sl_buf_puts(&b, ", ");
		if (!rc)
			rc = qi(&b, cols[i]);
		if (!rc)
			rc = sl_buf_puts(&b, " = VALUES(");
		if (!rc)
			rc = qi(&b, cols[i]);
		if (!rc)
			rc = sl_buf_putc(&b, ')');
	}
	if (!rc && nset == 0 && nkey) {
		rc = qi(&b, key[0]);
		if (!rc)
			rc = sl_buf_puts(&b, " = ");
		if (!rc)
			rc = qi(&b, key[0]);
	}
	if (!rc)
		rc = sl_conn_exec(c, b.ptr);
	sl_buf_clear(&b);
	if (!rc)
		rc = sl_buf_puts(&b, "DELETE FROM ");
	if (!rc)
		rc = qi(&b, stage);
	if (!rc)
		rc = sl_conn_exec(c, b.ptr);
	sl_buf_free(&b);
	return rc;
}

static int my_apply_mode(sl_conn *c, bool replica)
{
	return sl_conn_exec(c, replica ? "SET SESSION FOREIGN_KEY_CHECKS = 0"
				       : "SET SESSION FOREIGN_KEY_CHECKS = 1");
}

const sl_sync_ops sl_my_sync_ops = {
	.log_create = my_log_create,
	.log_session = my_log_session,
	.log_delete = my_log_delete,
	.capture_add = my_capture_add,
	.capture_drop = my_capture_drop,
	.capture_list = my_capture_list,
	.stage_create = my_stage_create,
	.stage_merge = my_stage_merge,
	.apply_mode = my_apply_mode,
};
