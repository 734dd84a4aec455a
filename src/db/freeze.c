/*
 * freeze.c - write freeze fences (include/sluice/freeze.h): the portable
 * part. The fence table SL_FREEZE_TABLE (token, started_us, deadline_us) and
 * the arming of a token are plain SQL every engine takes; the triggers, the
 * server's clock and the pass mark of a writing transaction are the
 * driver's freeze hooks (sqlite_freeze.c, pg_freeze.c, my_freeze.c).
 *
 * Order matters where DDL is not transactional (MySQL): the row goes in
 * before the first trigger and out after the last one is dropped, so a
 * failure half-way leaves either no trigger or triggers that still lift by
 * themselves at the deadline.
 */
#include "sluice/freeze.h"
#include "sluice/error.h"
#include "sluice/sys/driver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const sl_freeze_ops *ops(const sl_conn *c)
{
	return c->drv->freeze;
}

static int none(const sl_conn *c)
{
	return sl_error_set(SL_EINVALID, "%s has no write freeze", c->drv->name);
}

static uint64_t fnv(const char *s)
{
	uint64_t h = UINT64_C(14695981039346656037);
	for (; s && *s; s++) {
		h ^= (unsigned char)*s;
		h *= UINT64_C(1099511628211);
	}
	return h;
}

void sl_freeze_trigger_base(char out[64], const char *table)
{
	char clean[33];
	size_t n = 0;
	for (const char *p = table; *p && n < sizeof(clean) - 1; p++) {
		char ch = *p;
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')))
			ch = '_';
		clean[n++] = ch;
	}
	clean[n] = '\0';
	snprintf(out, 64, "sluice_freeze_%s_%08x", clean, (unsigned)(fnv(table) & 0xffffffffu));
}

static int check_token(const char *token)
{
	size_t n = token ? strlen(token) : 0;
	bool ok = n >= 1 && n <= 64;
	for (size_t i = 0; ok && i < n; i++)
		ok = (token[i] >= 'a' && token[i] <= 'z') || (token[i] >= '0' && token[i] <= '9') ||
		     token[i] == '_' || token[i] == '-';
	return ok ? 0
		  : sl_error_set(SL_EINVALID, "freeze token \"%s\" is not [a-z0-9_-]{1,64}",
				 token ? token : "");
}

int sl_freeze_clock(sl_conn *c, int64_t *now_us)
{
	*now_us = 0;
	if (!ops(c))
		return none(c);
	int rc = ops(c)->clock(c, now_us);
	if (rc)
		sl_error_prefix("read the server's clock");
	return rc;
}

int sl_freeze_list(sl_conn *c, sl_buf *out)
{
	if (!ops(c))
		return none(c);
	int rc = ops(c)->fence_list(c, out);
	if (rc)
		sl_error_prefix("list the freeze fences");
	return rc;
}

int sl_freeze_pass(sl_conn *c, bool on)
{
	if (!ops(c))
		return 0;
	int rc = ops(c)->pass(c, on);
	if (rc)
		sl_error_prefix("mark the transaction to write through freeze fences");
	return rc;
}

/*
 * Whether the fence table exists. A probe that fails tells nothing inside a
 * transaction (PostgreSQL aborts it), so this runs outside one, like sync's.
 */
static int table_exists(sl_conn *c, bool *out)
{
	int64_t n = 0;
	*out = false;
	int rc = sl_conn_query_int(c, "SELECT count(*) FROM " SL_FREEZE_TABLE " WHERE 1 = 0", &n);
	if (rc == SL_EDB) {
		rc = sl_conn_query_int(c, "SELECT 1", &n);
		if (rc)
			sl_error_prefix("probe for table \"%s\"", SL_FREEZE_TABLE);
		else
			sl_error_clear();
	} else if (!rc) {
		*out = true;
	}
	return rc;
}

/* Whether the trigger list (fence_list's lines) holds a fence on table t. */
static bool listed(const char *list, const char *t)
{
	char base[64];
	size_t tl = strlen(t);
	sl_freeze_trigger_base(base, t);
	for (const char *line = list; line && *line;) {
		const char *tab = strchr(line, '\t'), *nl = strchr(line, '\n');
		if (!tab || !nl)
			break;
		if ((size_t)(tab - line) == tl && strncmp(line, t, tl) == 0 &&
		    strncmp(tab + 1, base, strlen(base)) == 0)
			return true;
		line = nl + 1;
	}
	return false;
}

static sl_fence_table fence_of(const char *table, const char *token, char base[64])
{
	sl_freeze_trigger_base(base, table);
	return (sl_fence_table){ .schema = NULL, .table = table, .token = token, .name = base };
}

/* One aggregate of the token's row (always one row: -1 when there is none). */
static int row_value(sl_conn *c, const char *agg, const char *token, int64_t *out)
{
	sl_buf q = SL_BUF_INIT;
	sl_value tok = sl_text(token);
	int rc = sl_buf_printf(&q,
			       "SELECT coalesce(max(%s), -1) FROM " SL_FREEZE_TABLE " WHERE token = ", agg);
	if (!rc)
		rc = sl_conn_quote_literal(c, &q, &tok);
	if (!rc)
		rc = sl_conn_query_int(c, q.ptr, out);
	sl_buf_free(&q);
	return rc;
}

static int read_row(sl_conn *c, const char *token, sl_freeze_state *st)
{
	int rc = row_value(c, "started_us", token, &st->started_us);
	if (!rc && st->started_us >= 0) {
		st->armed = true;
		rc = row_value(c, "deadline_us", token, &st->deadline_us);
	} else {
		st->started_us = 0;
	}
	return rc;
}

int sl_freeze_read(sl_conn *c, const char *token, const char *const *tables, size_t n, sl_freeze_state *out)
{
	sl_buf list = SL_BUF_INIT;
	bool exists = false;
	memset(out, 0, sizeof(*out));
	if (!ops(c))
		return none(c);
	int rc = check_token(token);
	if (!rc)
		rc = table_exists(c, &exists);
	if (!rc && exists)
		rc = read_row(c, token, out);
	if (!rc)
		rc = ops(c)->fence_list(c, &list);
	for (size_t i = 0; !rc && i < n; i++)
		out->fenced += listed(list.ptr, tables[i]);
	if (!rc)
		rc = ops(c)->clock(c, &out->now_us);
	sl_buf_free(&list);
	if (rc)
		sl_error_prefix("read the freeze fence \"%s\" on %s", token, sl_conn_display(c));
	return rc;
}

static int create_table(sl_conn *c)
{
	return sl_conn_exec(c, "CREATE TABLE IF NOT EXISTS " SL_FREEZE_TABLE " ("
			       "token VARCHAR(64) NOT NULL PRIMARY KEY, started_us BIGINT NOT NULL,"
			       " deadline_us BIGINT NOT NULL)");
}

static int arm(sl_conn *c, const char *token, int64_t budget_ms)
{
	sl_buf q = SL_BUF_INIT;
	sl_value tok = sl_text(token);
	int64_t now = 0;
	int rc = ops(c)->clock(c, &now);
	if (!rc)
		rc = sl_buf_puts(&q, "DELETE FROM " SL_FREEZE_TABLE " WHERE token = ");
	if (!rc)
		rc = sl_conn_quote_literal(c, &q, &tok);
	if (!rc)
		rc = sl_conn_exec(c, q.ptr);
	sl_buf_clear(&q);
	if (!rc)
		rc = sl_buf_puts(&q,
				 "INSERT INTO " SL_FREEZE_TABLE " (token, started_us, deadline_us) VALUES (");
	if (!rc)
		rc = sl_conn_quote_literal(c, &q, &tok);
	if (!rc)
		rc = sl_buf_printf(&q, ", %lld, %lld)", (long long)now, (long long)(now + budget_ms * 1000));
	if (!rc)
		rc = sl_conn_exec(c, q.ptr);
	sl_buf_free(&q);
	return rc;
}

static int delete_row(sl_conn *c, const char *token)
{
	sl_buf q = SL_BUF_INIT;
	sl_value tok = sl_text(token);
	int rc = sl_buf_puts(&q, "DELETE FROM " SL_FREEZE_TABLE " WHERE token = ");
	if (!rc)
		rc = sl_conn_quote_literal(c, &q, &tok);
	if (!rc)
		rc = sl_conn_exec(c, q.ptr);
	sl_buf_free(&q);
	return rc;
}

/* Undoes a half-made install on an engine whose DDL committed as it went. */
static void undo(sl_conn *c, const char *token, const char *const *tables, size_t n)
{
	sl_error keep = *sl_error_last();
	char *msg = strdup(keep.message);
	if (sl_conn_in_transaction(c))
		sl_conn_rollback(c);
	for (size_t i = 0; i < n; i++) {
		char base[64];
		sl_fence_table t = fence_of(tables[i], token, base);
		ops(c)->fence_drop(c, &t);
	}
	delete_row(c, token);
	sl_error_set_db(keep.code, keep.sqlstate, keep.engine_code, "%s", msg ? msg : "freeze failed");
	free(msg);
}

int sl_freeze_install(sl_conn *c, const char *token, const char *const *tables, size_t n, int64_t budget_ms,
		      sl_freeze_state *out)
{
	sl_buf list = SL_BUF_INIT;
	bool tx = sl_conn_has(c, SL_CAP_TRANSACTIONAL_DDL), started = false;
	if (out)
		memset(out, 0, sizeof(*out));
	if (!ops(c))
		return none(c);
	int rc = check_token(token);
	if (!rc && budget_ms <= 0)
		rc = sl_error_set(SL_EINVALID, "a freeze needs a budget above 0 ms");
	if (!rc)
		rc = ops(c)->fence_list(c, &list);
	for (size_t i = 0; !rc && i < n; i++)
		if (listed(list.ptr, tables[i]))
			rc = sl_error_set(
				SL_ECONFLICT,
				"table \"%s\" already carries a freeze fence (another cutover's, or "
				"one left behind: `sluice cutover unfreeze` removes it)",
				tables[i]);
	if (!rc)
		rc = create_table(c);
	if (!rc && tx)
		rc = sl_conn_begin(c);
	started = !rc;
	if (!rc)
		rc = arm(c, token, budget_ms);
	for (size_t i = 0; !rc && i < n; i++) {
		char base[64];
		sl_fence_table t = fence_of(tables[i], token, base);
		rc = ops(c)->fence_add(c, &t);
		if (rc)
			sl_error_prefix("fence table \"%s\"", tables[i]);
	}
	if (!rc && tx)
		rc = sl_conn_commit(c);
	if (rc && started)
		undo(c, token, tables, n);
	if (!rc && out)
		rc = sl_freeze_read(c, token, tables, n, out);
	if (!rc && out)
		out->started_us = out->now_us; /* the fence holds from its commit on */
	sl_buf_free(&list);
	if (rc)
		sl_error_prefix("freeze writes on %s", sl_conn_display(c));
	return rc;
}

int sl_freeze_lift(sl_conn *c, const char *token, const char *const *tables, size_t n, int64_t *ended_us)
{
	sl_buf list = SL_BUF_INIT;
	bool tx = sl_conn_has(c, SL_CAP_TRANSACTIONAL_DDL), exists = false;
	int64_t left = 0;
	if (ended_us)
		*ended_us = 0;
	if (!ops(c))
		return none(c);
	int rc = check_token(token);
	if (!rc)
		rc = table_exists(c, &exists);
	if (!rc && tx)
		rc = sl_conn_begin(c);
	for (size_t i = 0; !rc && i < n; i++) {
		char base[64];
		sl_fence_table t = fence_of(tables[i], token, base);
		rc = ops(c)->fence_drop(c, &t);
	}
	if (!rc && exists)
		rc = delete_row(c, token);
	if (!rc && tx)
		rc = sl_conn_commit(c);
	if (rc && sl_conn_in_transaction(c))
		sl_conn_rollback(c);
	if (!rc && ended_us)
		rc = ops(c)->clock(c, ended_us);
	/* the shared objects go with the last fence */
	if (!rc)
		rc = ops(c)->fence_list(c, &list);
	if (!rc && exists && list.len == 0)
		rc = sl_conn_query_int(c, "SELECT count(*) FROM " SL_FREEZE_TABLE, &left);
	if (!rc && list.len == 0 && left == 0) {
		rc = ops(c)->cleanup(c);
		if (!rc && exists)
			rc = sl_conn_exec(c, "DROP TABLE IF EXISTS " SL_FREEZE_TABLE);
	}
	sl_buf_free(&list);
	if (rc)
		sl_error_prefix("lift the freeze on %s", sl_conn_display(c));
	return rc;
}
