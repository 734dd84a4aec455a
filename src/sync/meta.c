/*
 * meta.c - sync's two bookkeeping tables, in portable SQL:
 *   sluice_sync_meta (source): the run id, the target's display name, and one
 *     row per captured table with its trigger base name and schema fingerprint;
 *   sluice_sync_state (target): one checkpoint row per run, advanced in the
 *     same transaction as each applied batch (docs/sync.md, "Checkpoints").
 */
#include "sync_int.h"

#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"

static int lit_text(sl_buf *b, const sl_conn *c, const char *s)
{
	if (!s)
		return sl_buf_puts(b, "NULL");
	sl_value v = sl_text(s);
	return sl_conn_quote_literal(c, b, &v);
}

int sl_sync_table_exists(sl_conn *c, const char *name, bool *out)
{
	sl_buf b = SL_BUF_INIT;
	int64_t n = 0;
	*out = false;
	int rc = sl_buf_puts(&b, "SELECT count(*) FROM ");
	if (!rc)
		rc = sl_conn_quote_ident(c, &b, name);
	if (!rc)
		rc = sl_buf_puts(&b, " WHERE 1 = 0");
	if (!rc)
		rc = sl_conn_query_int(c, b.ptr, &n);
	if (rc == SL_EDB) {
		/* missing, or the connection failed: a query that needs no table tells them apart */
		rc = sl_conn_query_int(c, "SELECT 1", &n);
		if (rc)
			sl_error_prefix("probe for table \"%s\"", name);
	} else if (!rc) {
		*out = true;
	}
	sl_buf_free(&b);
	return rc;
}

int sl_sync_meta_create(sl_conn *c)
{
	return sl_conn_exec(c, "CREATE TABLE " SL_SYNC_META_TABLE " (tbl VARCHAR(255) NOT NULL PRIMARY KEY,"
			       " trig VARCHAR(64) NOT NULL, run_id VARCHAR(32) NOT NULL,"
			       " fingerprint VARCHAR(32) NOT NULL, target VARCHAR(1000) NOT NULL,"
			       " started_us BIGINT NOT NULL)");
}

int sl_sync_meta_add(sl_conn *c, const char *run_id, const char *table, const char *trigger,
		     const char *fingerprint, const char *target, int64_t started_us)
{
	sl_buf b = SL_BUF_INIT;
	int rc = sl_buf_puts(&b, "INSERT INTO " SL_SYNC_META_TABLE
				 " (tbl, trig, run_id, fingerprint, target, started_us) VALUES (");
	if (!rc)
		rc = lit_text(&b, c, table);
	if (!rc)
		rc = sl_buf_puts(&b, ", ");
	if (!rc)
		rc = lit_text(&b, c, trigger);
	if (!rc)
		rc = sl_buf_puts(&b, ", ");
	if (!rc)
		rc = lit_text(&b, c, run_id);
	if (!rc)
		rc = sl_buf_puts(&b, ", ");
	if (!rc)
		rc = lit_text(&b, c, fingerprint);
	if (!rc)
		rc = sl_buf_puts(&b, ", ");
	if (!rc)
		rc = lit_text(&b, c, target);
	if (!rc)
		rc = sl_buf_printf(&b, ", %lld)", (long long)started_us);
	if (!rc)
		rc = sl_conn_exec(c, b.ptr);
	sl_buf_free(&b);
	return rc;
}

static char *dup_value(const sl_value *v)
{
	sl_buf b = SL_BUF_INIT;
	if (v->type == SL_V_NULL)
		return NULL;
	char *s = sl_value_format(&b, v) ? NULL : sl_buf_detach(&b);
	sl_buf_free(&b);
	return s ? s : strdup("");
}

static int64_t int_value(const sl_value *v)
{
	if (v->type == SL_V_INT)
		return v->u.i;
	if (v->type == SL_V_DOUBLE)
		return (int64_t)v->u.d;
	if (v->type == SL_V_BOOL)
		return v->u.b;
	if (v->type == SL_V_TEXT || v->type == SL_V_DECIMAL) {
		char tmp[32];
		size_t n = v->u.s.len < sizeof(tmp) - 1 ? v->u.s.len : sizeof(tmp) - 1;
		memcpy(tmp, v->u.s.ptr, n);
		tmp[n] = '\0';
		return strtoll(tmp, NULL, 10);
	}
	return 0;
}

static double double_value(const sl_value *v)
{
	if (v->type == SL_V_DOUBLE)
		return v->u.d;
	if (v->type == SL_V_TEXT || v->type == SL_V_DECIMAL) {
		char tmp[64];
		size_t n = v->u.s.len < sizeof(tmp) - 1 ? v->u.s.len : sizeof(tmp) - 1;
		memcpy(tmp, v->u.s.ptr, n);
		tmp[n] = '\0';
		return strtod(tmp, NULL);
	}
	return (double)int_value(v);
}

int sl_sync_meta_read(sl_sync_meta *out, sl_conn *c)
{
	sl_cursor *cur = NULL;
	sl_batch b = { 0 };
	int rc = 0;
	bool exists = false;
	memset(out, 0, sizeof(*out));
	if ((rc = sl_sync_table_exists(c, SL_SYNC_META_TABLE, &exists)) != 0)
		return rc;
	if (!exists)
		return sl_error_set(SL_ENOTFOUND, "no sync was started on %s (no table \"%s\")",
				    sl_conn_display(c), SL_SYNC_META_TABLE);
	rc = sl_conn_query(
		&cur, c,
		"SELECT tbl, trig, run_id, fingerprint, target, started_us FROM " SL_SYNC_META_TABLE
		" ORDER BY tbl");
	if (!rc)
		rc = sl_batch_init(&b, 6, 64);
	while (!rc) {
		sl_batch_reset(&b);
		int n = sl_cursor_fetch(cur, &b, 64);
		if (n <= 0) {
			rc = n;
			break;
		}
		sl_sync_meta_row *nr = realloc(out->rows, (out->nrows + b.nrows) * sizeof(*nr));
		if (!nr) {
			rc = sl_error_nomem();
			break;
		}
		out->rows = nr;
		for (size_t r = 0; r < b.nrows; r++) {
			const sl_value *row = sl_batch_row(&b, r);
			sl_sync_meta_row *m = &out->rows[out->nrows++];
			m->table = dup_value(&row[0]);
			m->trigger = dup_value(&row[1]);
			m->fingerprint = dup_value(&row[3]);
			if (!out->run_id) {
				out->run_id = dup_value(&row[2]);
				out->target = dup_value(&row[4]);
				out->started_us = int_value(&row[5]);
			}
			if (!m->table || !m->trigger || !m->fingerprint || !out->run_id)
				rc = sl_error_nomem();
		}
	}
	sl_cursor_close(cur);
	sl_batch_free(&b);
	if (!rc && out->nrows == 0)
		rc = sl_error_set(SL_ENOTFOUND, "no sync was started on %s (\"%s\" is empty)",
				  sl_conn_display(c), SL_SYNC_META_TABLE);
	if (rc)
		sl_sync_meta_free(out);
	return rc;
}

void sl_sync_meta_free(sl_sync_meta *m)
{
	for (size_t i = 0; i < m->nrows; i++) {
		free(m->rows[i].table);
		free(m->rows[i].trigger);
		free(m->rows[i].fingerprint);
	}
	free(m->rows);
	free(m->run_id);
	free(m->target);
	memset(m, 0, sizeof(*m));
}

int sl_sync_state_create(sl_conn *c, const char *run_id, const char *source, int64_t started_us)
{
	sl_buf b = SL_BUF_INIT;
	int rc = sl_conn_exec(
		c, "CREATE TABLE " SL_SYNC_STATE_TABLE " (run_id VARCHAR(32) NOT NULL PRIMARY KEY,"
		   " source VARCHAR(1000) NOT NULL, applied BIGINT NOT NULL, batches BIGINT NOT NULL,"
		   " last_seq BIGINT NOT NULL, heartbeat_us BIGINT NOT NULL,"
		   " updated_us BIGINT NOT NULL, started_us BIGINT NOT NULL,"
		   " rate DOUBLE PRECISION NOT NULL, paused INT NOT NULL, last_error VARCHAR(2000))");
	if (!rc)
		rc = sl_buf_puts(&b, "INSERT INTO " SL_SYNC_STATE_TABLE
				     " (run_id, source, applied, batches, last_seq, heartbeat_us, updated_us,"
				     " started_us, rate, paused) VALUES (");
	if (!rc)
		rc = lit_text(&b, c, run_id);
	if (!rc)
		rc = sl_buf_puts(&b, ", ");
	if (!rc)
		rc = lit_text(&b, c, source);
	if (!rc)
		rc = sl_buf_printf(&b, ", 0, 0, 0, 0, %lld, %lld, 0, 0)", (long long)started_us,
				   (long long)started_us);
	if (!rc)
		rc = sl_conn_exec(c, b.ptr);
	sl_buf_free(&b);
	return rc;
}

int sl_sync_state_read(sl_sync_state *out, sl_conn *c, const char *run_id)
{
	sl_cursor *cur = NULL;
	sl_batch b = { 0 };
	sl_buf q = SL_BUF_INIT;
	bool exists = false;
	memset(out, 0, sizeof(*out));
	int rc = sl_sync_table_exists(c, SL_SYNC_STATE_TABLE, &exists);
	if (rc)
		return rc;
	if (!exists)
		return sl_error_set(SL_ENOTFOUND, "%s holds no sync state (no table \"%s\")",
				    sl_conn_display(c), SL_SYNC_STATE_TABLE);
	rc = sl_buf_puts(&q, "SELECT run_id, source, applied, batches, last_seq, heartbeat_us, updated_us,"
			     " started_us, rate, paused, last_error FROM " SL_SYNC_STATE_TABLE);
	if (!rc && run_id) {
		rc = sl_buf_puts(&q, " WHERE run_id = ");
		if (!rc)
			rc = lit_text(&q, c, run_id);
	}
	if (!rc)
		rc = sl_conn_query(&cur, c, q.ptr);
	if (!rc)
		rc = sl_batch_init(&b, 11, 1);
	int n = rc ? rc : sl_cursor_fetch(cur, &b, 1);
	if (n < 0)
		rc = n;
	else if (n == 0)
		rc = sl_error_set(SL_ENOTFOUND, "%s holds no sync state of run %s", sl_conn_display(c),
				  run_id ? run_id : "(any)");
	else {
		const sl_value *row = sl_batch_row(&b, 0);
		out->run_id = dup_value(&row[0]);
		out->source = dup_value(&row[1]);
		out->applied = int_value(&row[2]);
		out->batches = int_value(&row[3]);
		out->last_seq = int_value(&row[4]);
		out->heartbeat_us = int_value(&row[5]);
		out->updated_us = int_value(&row[6]);
		out->started_us = int_value(&row[7]);
		out->rate = double_value(&row[8]);
		out->paused = int_value(&row[9]) != 0;
		out->last_error = dup_value(&row[10]);
		if (!out->run_id || !out->source)
			rc = sl_error_nomem();
	}
	sl_cursor_close(cur);
	sl_batch_free(&b);
	sl_buf_free(&q);
	if (rc)
		sl_sync_state_free(out);
	return rc;
}

void sl_sync_state_free(sl_sync_state *s)
{
	free(s->run_id);
	free(s->source);
	free(s->last_error);
	memset(s, 0, sizeof(*s));
}

int sl_sync_state_advance(sl_conn *c, const char *run_id, int64_t consumed, int64_t last_seq,
			  int64_t heartbeat_us, double rate)
{
	sl_buf b = SL_BUF_INIT;
	int rc = sl_buf_printf(&b,
			       "UPDATE " SL_SYNC_STATE_TABLE
			       " SET applied = applied + %lld, batches = batches + 1,"
			       " last_seq = %lld, updated_us = %lld, rate = %.3f",
			       (long long)consumed, (long long)last_seq, (long long)sl_sync_now_us(), rate);
	if (!rc && heartbeat_us > 0)
		rc = sl_buf_printf(&b, ", heartbeat_us = %lld", (long long)heartbeat_us);
	if (!rc)
		rc = sl_buf_puts(&b, " WHERE run_id = ");
	if (!rc)
		rc = lit_text(&b, c, run_id);
	if (!rc)
		rc = sl_conn_exec(c, b.ptr);
	if (!rc && sl_conn_changes(c) == 0)
		rc = sl_error_set(SL_ECONFLICT, "the sync state row of run %s is gone from %s", run_id,
				  sl_conn_display(c));
	sl_buf_free(&b);
	return rc;
}

int sl_sync_state_error(sl_conn *c, const char *run_id, const char *msg)
{
	sl_buf b = SL_BUF_INIT;
	char cut[1900];
	if (msg) {
		size_t n = strlen(msg);
		if (n >= sizeof(cut))
			n = sizeof(cut) - 1;
		memcpy(cut, msg, n);
		cut[n] = '\0';
	}
	int rc = sl_buf_puts(&b, "UPDATE " SL_SYNC_STATE_TABLE " SET last_error = ");
	if (!rc)
		rc = lit_text(&b, c, msg ? cut : NULL);
	if (!rc)
		rc = sl_buf_puts(&b, " WHERE run_id = ");
	if (!rc)
		rc = lit_text(&b, c, run_id);
	if (!rc)
		rc = sl_conn_exec(c, b.ptr);
	sl_buf_free(&b);
	return rc;
}

int sl_sync_state_pause(sl_conn *c, bool paused)
{
	return sl_conn_exec(c, paused ? "UPDATE " SL_SYNC_STATE_TABLE " SET paused = 1"
				      : "UPDATE " SL_SYNC_STATE_TABLE " SET paused = 0");
}
