/*
 * state.c - the copy's own tables in the TARGET database (docs/copy.md):
 *
 *   sluice_copy_state: one row per table part (tbl, part) with its key range,
 *     the last key committed (JSON [[type, text], ...]), the row counts and
 *     the values changed by lossy casts (JSON {"column": {"kind": n}}), plus
 *     the run row (tbl = '', part = -1) whose status is the next phase and
 *     whose nparts is 1 when the run loaded into tables it did not create
 *     (--data-only), 0 when it created them, whose rows_rejected is the
 *     run-wide reject budget taken by the batches of distributed workers, and
 *     whose flavour is the target flavour the run was planned for ("none":
 *     the base engine; NULL: recorded by a sluice that did not record it).
 *   sluice_rejects: one row per refused value or row.
 *
 * Checkpoint and reject rows are written in the caller's transaction, the
 * one that holds the batch they describe. Only SQL that all three engines
 * accept is used; values are quoted with the target's quote_literal.
 */
#include "copy_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "sluice/error.h"
#include "sluice/util.h"

static int q_text(sl_conn *c, sl_buf *b, const char *s)
{
	if (!s)
		return sl_buf_puts(b, "NULL");
	sl_value v = sl_bytes(SL_V_TEXT, s, strlen(s));
	return sl_conn_quote_literal(c, b, &v);
}

/* Adds column col (declared decl) when the state table lacks it (outside any transaction). */
static int add_missing_column(sl_conn *c, const char *col, const char *decl)
{
	sl_buf b = SL_BUF_INIT;
	int64_t n = 0;
	int rc = sl_buf_printf(&b, "SELECT count(%s) FROM " SL_COPY_STATE_TABLE " WHERE 1 = 0", col);
	if (!rc && sl_conn_query_int(c, b.ptr, &n) == 0)
		goto done;
	sl_error_clear();
	sl_buf_clear(&b);
	if (!rc)
		rc = sl_buf_printf(&b, "ALTER TABLE " SL_COPY_STATE_TABLE " ADD COLUMN %s %s", col, decl);
	if (!rc)
		rc = sl_conn_exec(c, b.ptr);
done:
	sl_buf_free(&b);
	return rc;
}

int sl_copy_state_upgrade(sl_conn *c)
{
	/* a state table an earlier version made has no losses, attempt or flavour column yet */
	int rc = add_missing_column(c, "losses", "TEXT");
	if (!rc)
		rc = add_missing_column(c, "attempt", "INTEGER");
	if (!rc)
		rc = add_missing_column(c, "flavour", "VARCHAR(64)");
	return rc;
}

int sl_copy_state_create(sl_conn *c)
{
	const char *idcol = sl_conn_dialect(c)->serial_key;
	sl_buf b = SL_BUF_INIT;
	int rc = sl_buf_printf(
		&b, "CREATE TABLE IF NOT EXISTS " SL_COPY_STATE_TABLE " ("
		    "tbl VARCHAR(255) NOT NULL, part INTEGER NOT NULL, run_id VARCHAR(64) NOT NULL, "
		    "nparts INTEGER NOT NULL, status VARCHAR(32) NOT NULL, range_lo BIGINT, range_hi BIGINT, "
		    "last_key TEXT, rows_read BIGINT NOT NULL, rows_written BIGINT NOT NULL, "
		    "rows_rejected BIGINT NOT NULL, expected BIGINT, updated_at VARCHAR(32), "
		    "losses TEXT, attempt INTEGER, flavour VARCHAR(64), PRIMARY KEY (tbl, part))");
	if (!rc)
		rc = sl_conn_exec(c, b.ptr);
	if (!rc)
		rc = sl_copy_state_upgrade(c);
	sl_buf_clear(&b);
	if (!rc)
		rc = sl_buf_printf(&b,
				   "CREATE TABLE IF NOT EXISTS " SL_COPY_REJECTS_TABLE
				   " (id %s, run_id VARCHAR(64) NOT NULL, "
				   "table_name VARCHAR(255) NOT NULL, row_key TEXT, column_name "
				   "VARCHAR(255), value TEXT, "
				   "reason TEXT NOT NULL, rejected_at VARCHAR(32) NOT NULL)",
				   idcol);
	if (!rc)
		rc = sl_conn_exec(c, b.ptr);
	if (rc)
		sl_error_prefix("create the copy state tables in \"%s\"", sl_conn_display(c));
	sl_buf_free(&b);
	return rc;
}

int sl_copy_state_new_run(sl_conn *c, const char *run_id, const char *phase, bool data_only,
			  const char *flavour)
{
	sl_buf b = SL_BUF_INIT;
	char now[40];
	sl_now_utc_text(now, sizeof(now), ' ', 0);
	int rc = sl_buf_puts(&b,
			     "INSERT INTO " SL_COPY_STATE_TABLE " (tbl, part, run_id, nparts, status, "
			     "rows_read, rows_written, rows_rejected, updated_at, flavour) VALUES ('', -1, ");
	if (!rc)
		rc = q_text(c, &b, run_id);
	if (!rc)
		rc = sl_buf_printf(&b, ", %d, ", data_only ? 1 : 0);
	if (!rc)
		rc = q_text(c, &b, phase);
	if (!rc)
		rc = sl_buf_printf(&b, ", 0, 0, 0, '%s', ", now);
	if (!rc)
		rc = q_text(c, &b, flavour && *flavour ? flavour : SL_COPY_NO_FLAVOUR);
	if (!rc)
		rc = sl_buf_puts(&b, ")");
	if (!rc)
		rc = sl_conn_exec(c, b.ptr);
	sl_buf_free(&b);
	return rc;
}

int sl_copy_state_flavour(sl_conn *c, char **flavour)
{
	return sl_conn_query_text(c, "SELECT flavour FROM " SL_COPY_STATE_TABLE " WHERE part = -1", flavour);
}

int sl_copy_state_set_phase(sl_conn *c, const char *run_id, const char *phase)
{
	sl_buf b = SL_BUF_INIT;
	char now[40];
	sl_now_utc_text(now, sizeof(now), ' ', 0);
	int rc = sl_buf_puts(&b, "UPDATE " SL_COPY_STATE_TABLE " SET status = ");
	if (!rc)
		rc = q_text(c, &b, phase);
	if (!rc)
		rc = sl_buf_printf(&b, ", updated_at = '%s' WHERE part = -1 AND run_id = ", now);
	if (!rc)
		rc = q_text(c, &b, run_id);
	if (!rc)
		rc = sl_conn_exec(c, b.ptr);
	sl_buf_free(&b);
	return rc;
}

int sl_copy_state_clear(sl_conn *c)
{
	return sl_conn_exec(c, "DELETE FROM " SL_COPY_STATE_TABLE);
}

static int put_i64_or_null(sl_buf *b, bool has, int64_t v)
{
	return has ? sl_buf_printf(b, "%" PRId64, v) : sl_buf_puts(b, "NULL");
}

int sl_copy_state_add_part(sl_conn *c, const char *run_id, const sl_copy_part *p)
{
	sl_buf b = SL_BUF_INIT;
	char now[40];
	sl_now_utc_text(now, sizeof(now), ' ', 0);
	int rc = sl_buf_puts(
		&b,
		"INSERT INTO " SL_COPY_STATE_TABLE " (tbl, part, run_id, nparts, status, range_lo, "
		"range_hi, last_key, rows_read, rows_written, rows_rejected, expected, updated_at) VALUES (");
	if (!rc)
		rc = q_text(c, &b, p->table);
	if (!rc)
		rc = sl_buf_printf(&b, ", %d, ", p->part);
	if (!rc)
		rc = q_text(c, &b, run_id);
	if (!rc)
		rc = sl_buf_printf(&b, ", %d, 'pending', ", p->nparts);
	if (!rc)
		rc = put_i64_or_null(&b, p->has_lo, p->lo);
	if (!rc)
		rc = sl_buf_puts(&b, ", ");
	if (!rc)
		rc = put_i64_or_null(&b, p->has_hi, p->hi);
	if (!rc)
		rc = sl_buf_printf(&b, ", NULL, 0, 0, 0, %" PRId64 ", '%s')", p->expected, now);
	if (!rc)
		rc = sl_conn_exec(c, b.ptr);
	sl_buf_free(&b);
	return rc;
}

int sl_copy_state_add_failed(sl_conn *c, const char *run_id, const char *table)
{
	sl_buf b = SL_BUF_INIT;
	char now[40];
	sl_now_utc_text(now, sizeof(now), ' ', 0);
	int rc = sl_buf_puts(&b, "INSERT INTO " SL_COPY_STATE_TABLE " (tbl, part, run_id, nparts, status, "
				 "rows_read, rows_written, rows_rejected, expected, updated_at) VALUES (");
	if (!rc)
		rc = q_text(c, &b, table);
	if (!rc)
		rc = sl_buf_puts(&b, ", 0, ");
	if (!rc)
		rc = q_text(c, &b, run_id);
	if (!rc)
		rc = sl_buf_printf(&b, ", 1, 'failed', 0, 0, 0, 0, '%s')", now);
	if (!rc)
		rc = sl_conn_exec(c, b.ptr);
	sl_buf_free(&b);
	return rc;
}

int sl_copy_state_clear_failed(sl_conn *c)
{
	return sl_conn_exec(c, "DELETE FROM " SL_COPY_STATE_TABLE " WHERE part >= 0 AND status = 'failed'");
}

static char *dup_val(const sl_value *v)
{
	if (v->type == SL_V_NULL)
		return NULL;
	if (v->type == SL_V_INT) {
		char tmp[32];
		snprintf(tmp, sizeof(tmp), "%" PRId64, v->u.i);
		return strdup(tmp);
	}
	return strndup(v->u.s.ptr, v->u.s.len);
}

static int64_t val_i64(const sl_value *v)
{
	if (v->type == SL_V_INT)
		return v->u.i;
	if (v->type == SL_V_TEXT || v->type == SL_V_DECIMAL) {
		char tmp[32];
		size_t n = v->u.s.len < sizeof(tmp) - 1 ? v->u.s.len : sizeof(tmp) - 1;
		memcpy(tmp, v->u.s.ptr, n);
		tmp[n] = '\0';
		return strtoll(tmp, NULL, 10);
	}
	return 0;
}

int sl_copy_state_run(sl_conn *c, char **run_id, char **phase, bool *data_only)
{
	sl_cursor *cur = NULL;
	sl_batch b = { 0 };
	int rc = sl_conn_query(&cur, c,
			       "SELECT run_id, status, nparts FROM " SL_COPY_STATE_TABLE " WHERE part = -1");
	*run_id = *phase = NULL;
	if (data_only)
		*data_only = false;
	if (rc)
		goto done;
	rc = sl_batch_init(&b, 3, 4);
	if (rc)
		goto done;
	int n = sl_cursor_fetch(cur, &b, 2);
	if (n < 0) {
		rc = n;
		goto done;
	}
	if (n == 0) {
		rc = SL_ENOTFOUND;
		goto done;
	}
	sl_value *row = sl_batch_row(&b, 0);
	*run_id = strndup(row[0].u.s.ptr, row[0].u.s.len);
	*phase = strndup(row[1].u.s.ptr, row[1].u.s.len);
	if (data_only)
		*data_only = val_i64(&row[2]) == 1;
	if (!*run_id || !*phase)
		rc = sl_error_nomem();
done:
	sl_cursor_close(cur);
	sl_batch_free(&b);
	return rc;
}

void sl_copy_parts_free(sl_copy_part *p, size_t n)
{
	for (size_t i = 0; p && i < n; i++) {
		free(p[i].table);
		free(p[i].last_key);
		free(p[i].losses);
	}
	free(p);
}

int sl_copy_state_parts(sl_conn *c, sl_copy_part **out, size_t *n)
{
	sl_cursor *cur = NULL;
	sl_batch b = { 0 };
	sl_copy_part *parts = NULL;
	size_t np = 0, cap = 0;
	int rc = sl_conn_query(
		&cur, c,
		"SELECT tbl, part, nparts, status, range_lo, range_hi, last_key, rows_read, "
		"rows_written, rows_rejected, expected, losses, attempt FROM " SL_COPY_STATE_TABLE
		" WHERE part >= 0 ORDER BY tbl, part");
	*out = NULL;
	*n = 0;
	if (rc)
		goto done;
	rc = sl_batch_init(&b, 13, 256);
	for (;;) {
		if (rc)
			goto done;
		sl_batch_reset(&b);
		int got = sl_cursor_fetch(cur, &b, 256);
		if (got < 0) {
			rc = got;
			goto done;
		}
		if (got == 0)
			break;
		for (size_t r = 0; r < b.nrows; r++) {
			sl_value *row = sl_batch_row(&b, r);
			if (np == cap) {
				size_t nc = cap ? cap * 2 : 16;
				sl_copy_part *np2 = realloc(parts, nc * sizeof(*parts));
				if (!np2) {
					rc = sl_error_nomem();
					goto done;
				}
				parts = np2;
				cap = nc;
			}
			sl_copy_part *p = &parts[np++];
			memset(p, 0, sizeof(*p));
			p->table = dup_val(&row[0]);
			p->part = (int)val_i64(&row[1]);
			p->nparts = (int)val_i64(&row[2]);
			p->done = row[3].type == SL_V_TEXT && row[3].u.s.len == 4 &&
				  memcmp(row[3].u.s.ptr, "done", 4) == 0;
			p->failed = row[3].type == SL_V_TEXT && row[3].u.s.len == 6 &&
				    memcmp(row[3].u.s.ptr, "failed", 6) == 0;
			p->has_lo = row[4].type != SL_V_NULL;
			p->lo = val_i64(&row[4]);
			p->has_hi = row[5].type != SL_V_NULL;
			p->hi = val_i64(&row[5]);
			p->last_key = dup_val(&row[6]);
			p->read = val_i64(&row[7]);
			p->written = val_i64(&row[8]);
			p->rejected = val_i64(&row[9]);
			p->expected = row[10].type == SL_V_NULL ? -1 : val_i64(&row[10]);
			p->losses = dup_val(&row[11]);
			p->attempt = (int)val_i64(&row[12]);
			if (!p->table)
				p->table = strdup("");
		}
	}
	*out = parts;
	*n = np;
	parts = NULL;
done:
	sl_cursor_close(cur);
	sl_batch_free(&b);
	sl_copy_parts_free(parts, np);
	return rc;
}

/*
 * A worker's part: the batch's new rejects are taken from the run row's
 * counter, in the batch's transaction, only while the run has not rejected
 * more than budget_max rows (the row lock serializes the workers: each
 * engine's UPDATE re-reads the latest committed counter); a batch without
 * rejects only reads it. SL_ECHECK when the run is over its budget: the
 * caller rolls the batch back.
 */
static int take_rejects(sl_conn *c, sl_copy_part *p)
{
	int64_t delta = p->rejected - p->saved_rejected, total = 0;
	bool over = false;
	char sql[256];
	int rc = 0;
	if (delta > 0) {
		snprintf(sql, sizeof(sql),
			 "UPDATE " SL_COPY_STATE_TABLE " SET rows_rejected = rows_rejected + %" PRId64
			 " WHERE tbl = '' AND part = -1 AND rows_rejected <= %" PRId64,
			 delta, p->budget_max);
		rc = sl_conn_exec(c, sql);
		over = !rc && sl_conn_changes(c) == 0;
	} else {
		rc = sl_conn_query_int(c,
				       "SELECT rows_rejected FROM " SL_COPY_STATE_TABLE
				       " WHERE tbl = '' AND part = -1",
				       &total);
		over = !rc && total > p->budget_max;
	}
	if (over)
		rc = sl_error_set(SL_ECHECK,
				  "copy halted: the run's workers rejected more than --max-rejects %" PRId64
				  " rows: nothing of this batch of \"%s\" is kept",
				  p->budget_max, p->table);
	if (!rc)
		p->saved_rejected = p->rejected;
	return rc;
}

int sl_copy_state_save(sl_conn *c, sl_copy_part *p)
{
	sl_buf b = SL_BUF_INIT;
	char now[40];
	sl_now_utc_text(now, sizeof(now), ' ', 0);
	int rc = sl_buf_printf(&b, "UPDATE " SL_COPY_STATE_TABLE " SET status = '%s', last_key = ",
			       p->done ? "done" : "loading");
	if (!rc)
		rc = q_text(c, &b, p->last_key);
	if (!rc)
		rc = sl_buf_puts(&b, ", losses = ");
	if (!rc)
		rc = q_text(c, &b, p->losses);
	if (!rc)
		rc = sl_buf_printf(&b,
				   ", rows_read = %" PRId64 ", rows_written = %" PRId64
				   ", rows_rejected = %" PRId64 ", updated_at = '%s' WHERE tbl = ",
				   p->read, p->written, p->rejected, now);
	if (!rc)
		rc = q_text(c, &b, p->table);
	if (!rc)
		rc = sl_buf_printf(&b, " AND part = %d AND COALESCE(attempt, 0) = %d", p->part, p->attempt);
	if (!rc)
		rc = sl_conn_exec(c, b.ptr);
	if (!rc && sl_conn_changes(c) == 0)
		rc = p->attempt ? sl_error_set(
					  SL_ECONFLICT,
					  "checkpoint of \"%s\" part %d: attempt %d no longer holds the "
					  "part (a later attempt claimed it): nothing of this batch is kept",
					  p->table, p->part, p->attempt)
				: sl_error_set(SL_ECONFLICT,
					       "checkpoint of \"%s\" part %d: no state row in the target",
					       p->table, p->part);
	if (!rc && p->budget)
		rc = take_rejects(c, p);
	sl_buf_free(&b);
	return rc;
}

int sl_copy_state_claim(sl_conn *c, const char *table, int part, int attempt)
{
	sl_buf b = SL_BUF_INIT;
	int rc = sl_buf_printf(&b, "UPDATE " SL_COPY_STATE_TABLE " SET attempt = %d WHERE tbl = ", attempt);
	if (!rc)
		rc = q_text(c, &b, table);
	if (!rc)
		rc = sl_buf_printf(&b, " AND part = %d AND COALESCE(attempt, 0) < %d", part, attempt);
	if (!rc)
		rc = sl_conn_exec(c, b.ptr);
	if (!rc && sl_conn_changes(c) == 0)
		rc = sl_error_set(SL_ECONFLICT,
				  "claim \"%s\" part %d as attempt %d: the target has no such part or a "
				  "later attempt holds it",
				  table, part, attempt);
	sl_buf_free(&b);
	return rc;
}

int64_t sl_copy_state_total_rejects(sl_conn *c)
{
	int64_t n = 0;
	if (sl_conn_query_int(c,
			      "SELECT COALESCE(SUM(rows_rejected), 0) FROM " SL_COPY_STATE_TABLE
			      " WHERE part >= 0",
			      &n))
		return -1;
	return n;
}

int sl_copy_reject_insert(sl_conn *c, const char *run_id, const char *table, const char *key_json,
			  const char *column, const char *value, const char *reason)
{
	sl_buf b = SL_BUF_INIT;
	char now[40];
	sl_now_utc_text(now, sizeof(now), ' ', 0);
	int rc = sl_buf_puts(
		&b, "INSERT INTO " SL_COPY_REJECTS_TABLE
		    " (run_id, table_name, row_key, column_name, value, reason, rejected_at) VALUES (");
	if (!rc)
		rc = q_text(c, &b, run_id);
	if (!rc)
		rc = sl_buf_puts(&b, ", ");
	if (!rc)
		rc = q_text(c, &b, table);
	if (!rc)
		rc = sl_buf_puts(&b, ", ");
	if (!rc)
		rc = q_text(c, &b, key_json);
	if (!rc)
		rc = sl_buf_puts(&b, ", ");
	if (!rc)
		rc = q_text(c, &b, column);
	if (!rc)
		rc = sl_buf_puts(&b, ", ");
	if (!rc)
		rc = q_text(c, &b, value);
	if (!rc)
		rc = sl_buf_puts(&b, ", ");
	if (!rc)
		rc = q_text(c, &b, reason);
	if (!rc)
		rc = sl_buf_printf(&b, ", '%s')", now);
	if (!rc)
		rc = sl_conn_exec(c, b.ptr);
	if (rc)
		sl_error_prefix("record a rejected row of \"%s\"", table);
	sl_buf_free(&b);
	return rc;
}

/* ---- key encoding ---- */

static int hex_encode(sl_buf *out, const void *p, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	const unsigned char *u = p;
	int rc = 0;
	for (size_t i = 0; !rc && i < n; i++) {
		rc = sl_buf_putc(out, hx[u[i] >> 4]);
		if (!rc)
			rc = sl_buf_putc(out, hx[u[i] & 15]);
	}
	return rc;
}

int sl_copy_key_encode(sl_buf *out, const sl_value *vals, size_t n)
{
	json_t *arr = json_array();
	sl_buf t = SL_BUF_INIT;
	int rc = arr ? 0 : sl_error_nomem();
	for (size_t i = 0; !rc && i < n; i++) {
		const sl_value *v = &vals[i];
		const char *type = sl_vtype_name(v->type);
		json_t *s = NULL;
		sl_buf_clear(&t);
		if (v->type == SL_V_TEXT || v->type == SL_V_DECIMAL || v->type == SL_V_JSON) {
			s = json_stringn(v->u.s.ptr, v->u.s.len);
			if (!s) { /* invalid UTF-8: hex */
				type = v->type == SL_V_TEXT   ? "text_hex"
				       : v->type == SL_V_JSON ? "json_hex"
							      : "decimal_hex";
				rc = hex_encode(&t, v->u.s.ptr, v->u.s.len);
			}
		} else if (v->type == SL_V_BLOB) {
			rc = hex_encode(&t, v->u.s.ptr, v->u.s.len);
		} else if (v->type == SL_V_INT) {
			rc = sl_buf_printf(&t, "%" PRId64, v->u.i);
		} else if (v->type == SL_V_DOUBLE) {
			rc = sl_buf_printf(&t, "%.17g", v->u.d);
		} else if (v->type != SL_V_NULL) {
			rc = sl_value_format(&t, v);
		}
		if (!rc && !s)
			s = json_stringn(t.ptr ? t.ptr : "", t.len);
		json_t *pair = s ? json_pack("[so]", type, s) : NULL;
		if (!rc && (!pair || json_array_append_new(arr, pair)))
			rc = sl_error_nomem();
	}
	char *txt = rc ? NULL : json_dumps(arr, JSON_COMPACT);
	if (!rc && !txt)
		rc = sl_error_nomem();
	if (!rc)
		rc = sl_buf_puts(out, txt);
	free(txt);
	json_decref(arr);
	sl_buf_free(&t);
	return rc;
}

static int unhex(const char *s, size_t len, sl_arena *a, const char **out, size_t *outlen)
{
	char *p = sl_arena_alloc(a, len / 2 + 1);
	if (!p)
		return SL_ENOMEM;
	for (size_t i = 0; i + 1 < len; i += 2) {
		unsigned hi, lo;
		char h = s[i], l = s[i + 1];
		hi = h <= '9' ? (unsigned)(h - '0') : (unsigned)(h - 'a' + 10);
		lo = l <= '9' ? (unsigned)(l - '0') : (unsigned)(l - 'a' + 10);
		p[i / 2] = (char)((hi << 4) | lo);
	}
	*out = p;
	*outlen = len / 2;
	return 0;
}

static int decode_one(sl_value *v, const char *type, const char *s, size_t len, sl_arena *a)
{
	bool zone;
	const char *p;
	size_t n;
	memset(v, 0, sizeof(*v));
	if (strcmp(type, "text_hex") == 0 || strcmp(type, "json_hex") == 0 ||
	    strcmp(type, "decimal_hex") == 0 || strcmp(type, "blob") == 0) {
		if (unhex(s, len, a, &p, &n))
			return SL_ENOMEM;
		v->type = type[0] == 't'   ? SL_V_TEXT
			  : type[0] == 'j' ? SL_V_JSON
			  : type[0] == 'd' ? SL_V_DECIMAL
					   : SL_V_BLOB;
		v->u.s.ptr = p;
		v->u.s.len = n;
		return 0;
	}
	for (int t = 0; t < SL_V__COUNT; t++) {
		if (strcmp(type, sl_vtype_name((sl_vtype)t)) != 0)
			continue;
		v->type = (sl_vtype)t;
		switch (v->type) {
		case SL_V_NULL:
			return 0;
		case SL_V_BOOL:
			v->u.b = strcmp(s, "true") == 0;
			return 0;
		case SL_V_INT:
			v->u.i = strtoll(s, NULL, 10);
			return 0;
		case SL_V_DOUBLE:
			v->u.d = strtod(s, NULL);
			return 0;
		case SL_V_TEXT:
		case SL_V_DECIMAL:
		case SL_V_JSON:
			v->u.s.ptr = sl_arena_memdup(a, s, len + 1);
			v->u.s.len = len;
			return v->u.s.ptr ? 0 : SL_ENOMEM;
		case SL_V_DATE:
			return sl_parse_date(s, len, &v->u.date);
		case SL_V_TIME:
			return sl_parse_time(s, len, &v->u.time);
		case SL_V_TIMESTAMP:
		case SL_V_TIMESTAMPTZ:
			return sl_parse_timestamp(s, len, &v->u.ts, &zone);
		case SL_V_UUID:
			return sl_parse_uuid(s, len, v->u.uuid);
		default:
			break;
		}
	}
	return sl_error_set(SL_EINVALID, "checkpoint key: unknown value type \"%s\"", type);
}

int sl_copy_key_decode(sl_value *vals, size_t n, const char *json, sl_arena *a)
{
	json_error_t err;
	json_t *arr = json_loads(json, JSON_ALLOW_NUL, &err);
	int rc = 0;
	if (!arr || !json_is_array(arr) || json_array_size(arr) != n) {
		rc = sl_error_set(SL_ECONFLICT,
				  "checkpoint key %s does not match the table's key (%zu columns)", json, n);
		goto done;
	}
	for (size_t i = 0; !rc && i < n; i++) {
		json_t *pair = json_array_get(arr, i);
		json_t *t = json_array_get(pair, 0), *s = json_array_get(pair, 1);
		if (!json_is_string(t) || !json_is_string(s)) {
			rc = sl_error_set(SL_ECONFLICT, "checkpoint key %s is malformed", json);
			break;
		}
		rc = decode_one(&vals[i], json_string_value(t), json_string_value(s), json_string_length(s),
				a);
	}
done:
	json_decref(arr);
	return rc;
}

int sl_copy_key_object(sl_buf *out, const char *const *names, const sl_value *vals, size_t n)
{
	json_t *o = json_object();
	sl_buf t = SL_BUF_INIT;
	int rc = o ? 0 : sl_error_nomem();
	for (size_t i = 0; !rc && i < n; i++) {
		json_t *jv;
		sl_buf_clear(&t);
		if (vals[i].type == SL_V_INT)
			jv = json_integer(vals[i].u.i);
		else if (vals[i].type == SL_V_NULL)
			jv = json_null();
		else {
			rc = sl_copy_value_text(&t, &vals[i], 200);
			jv = json_stringn(t.ptr ? t.ptr : "", t.len);
		}
		if (!rc && (!jv || json_object_set_new(o, names[i], jv)))
			rc = sl_error_nomem();
	}
	char *txt = rc ? NULL : json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	if (!rc)
		rc = txt ? sl_buf_puts(out, txt) : sl_error_nomem();
	free(txt);
	json_decref(o);
	sl_buf_free(&t);
	return rc;
}

int sl_copy_target_run(sl_conn *c, char **run_id, char **phase)
{
	int rc = sl_copy_state_create(c);
	*run_id = *phase = NULL;
	return rc ? rc : sl_copy_state_run(c, run_id, phase, NULL);
}
