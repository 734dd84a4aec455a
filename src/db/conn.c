/*
 * conn.c - the public connection API: picks a driver by URL scheme and wraps
 * each driver call. The wrappers keep the core's bookkeeping (transaction
 * state, the one open cursor) and add context to errors; they are the single
 * place where every database call passes, so fault injection lives here too
 * (SLUICE_FAULT, see docs/testing.md).
 */
#include "sluice/conn.h"
#include "sluice/error.h"
#include "sluice/sys/driver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const sl_driver *const drivers[] = {
	&sl_driver_sqlite,
	&sl_driver_postgres,
	&sl_driver_mysql,
};

static const sl_driver *driver_for(sl_engine e)
{
	for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++)
		if (drivers[i]->engine == e)
			return drivers[i];
	return NULL;
}

/*
 * SLUICE_FAULT=OP:N makes the N-th call of OP on each new connection fail as
 * a lost connection would (SL_ECONNECT). OP is exec, query, fetch, write,
 * flush or commit. For tests of crash safety and resume; see docs/testing.md.
 */
static void fault_setup(sl_conn *c)
{
	const char *f = getenv("SLUICE_FAULT");
	const char *colon = f ? strchr(f, ':') : NULL;
	if (!colon || (size_t)(colon - f) >= sizeof(c->fault_op))
		return;
	char *end = NULL;
	long n = strtol(colon + 1, &end, 10);
	if (end == colon + 1 || *end || n < 1)
		return;
	memcpy(c->fault_op, f, (size_t)(colon - f));
	c->fault_op[colon - f] = '\0';
	c->fault_at = n;
	c->fault_code = SL_ECONNECT;
}

static int severed(const sl_conn *c)
{
	return sl_error_set(SL_ECONNECT, "%s: the connection was cut (server closed the session)",
			    sl_conn_display(c));
}

/* Every wrapper that reaches the server passes here: a cut connection, then an armed fault. */
static int fault(sl_conn *c, const char *op)
{
	if (c->severed)
		return severed(c);
	if (!c->fault_at || strcmp(c->fault_op, op) != 0 || ++c->fault_calls != c->fault_at)
		return 0;
	c->fault_at = 0; /* fires once */
	return sl_error_set(c->fault_code, "%s on %s: injected fault (%s:%ld)", op, sl_conn_display(c), op,
			    c->fault_calls);
}

int sl_conn_fault_arm(sl_conn *c, const char *op, long n, int code)
{
	if (n < 1 || !op || strlen(op) >= sizeof(c->fault_op) || code >= 0)
		return sl_error_set(SL_EINVALID, "fault \"%s:%ld\": bad operation, count or code",
				    op ? op : "", n);
	memcpy(c->fault_op, op, strlen(op) + 1);
	c->fault_at = n;
	c->fault_calls = 0;
	c->fault_code = code;
	return 0;
}

int sl_conn_open_url(sl_conn **out, const sl_url *url)
{
	*out = NULL;
	const sl_driver *drv = driver_for(url->engine);
	if (!drv)
		return sl_error_set(SL_EINVALID, "no driver for \"%s\"", url->redacted);
	sl_conn *c = NULL;
	int rc = drv->open(&c, url);
	if (rc)
		return rc;
	c->drv = drv;
	c->changes = -1;
	if (drv->sync)
		c->caps |= SL_CAP_CAPTURE;
	if (drv->freeze)
		c->caps |= SL_CAP_FREEZE;
	if (drv->snapshot)
		c->caps |= SL_CAP_SNAPSHOT_READ;
	if (drv->snapshot && drv->snapshot->export_snapshot)
		c->caps |= SL_CAP_SNAPSHOT_EXPORT;
	fault_setup(c);
	c->display = strdup(url->redacted);
	if (!c->display) {
		sl_conn_close(c);
		return sl_error_nomem();
	}
	*out = c;
	return 0;
}

int sl_conn_open(sl_conn **out, const char *url)
{
	sl_url *u = NULL;
	*out = NULL;
	int rc = sl_url_parse(&u, url);
	if (rc)
		return rc;
	rc = sl_conn_open_url(out, u);
	sl_url_free(u);
	return rc;
}

void sl_conn_close(sl_conn *c)
{
	if (!c)
		return;
	if (c->open_cursor)
		sl_cursor_close(c->open_cursor);
	char *display = c->display, *db = c->database;
	c->drv->close(c);
	free(display);
	free(db);
}

sl_engine sl_conn_engine(const sl_conn *c)
{
	return c->drv->engine;
}
const sl_dialect *sl_conn_dialect(const sl_conn *c)
{
	return c->drv->dialect;
}
const sl_dialect *sl_dialect_of(sl_engine e)
{
	const sl_driver *d = driver_for(e);
	return d ? d->dialect : NULL;
}
bool sl_error_is(const sl_error *e, sl_error_class k)
{
	for (size_t i = 0; e && i < sizeof(drivers) / sizeof(drivers[0]); i++)
		if (drivers[i]->error_is(e, k))
			return true;
	return false;
}
unsigned sl_conn_caps(const sl_conn *c)
{
	return c->caps;
}
const char *sl_conn_display(const sl_conn *c)
{
	return c->display ? c->display : "";
}
const char *sl_conn_server_version(const sl_conn *c)
{
	return c->server_version;
}
const char *sl_conn_database(const sl_conn *c)
{
	return c->database ? c->database : "";
}
int64_t sl_conn_changes(const sl_conn *c)
{
	return c->changes;
}
bool sl_conn_in_transaction(const sl_conn *c)
{
	return c->in_tx;
}

static int busy(sl_conn *c)
{
	if (c->open_cursor)
		return sl_error_set(SL_ERROR, "a query on %s is still being read", sl_conn_display(c));
	return 0;
}

int sl_conn_exec(sl_conn *c, const char *sql)
{
	int rc = busy(c);
	if (!rc)
		rc = fault(c, "exec");
	return rc ? rc : c->drv->exec(c, sql);
}

int sl_conn_query(sl_cursor **out, sl_conn *c, const char *sql)
{
	*out = NULL;
	int rc = busy(c);
	if (!rc)
		rc = fault(c, "query");
	if (rc)
		return rc;
	rc = c->drv->query(out, c, sql);
	if (!rc)
		c->open_cursor = *out;
	return rc;
}

size_t sl_cursor_ncols(const sl_cursor *cur)
{
	return cur->ncols;
}

const sl_colinfo *sl_cursor_col(const sl_cursor *cur, size_t i)
{
	return i < cur->ncols ? &cur->cols[i] : NULL;
}

int sl_cursor_fetch(sl_cursor *cur, sl_batch *b, size_t max_rows)
{
	if (b->ncols != cur->ncols)
		return sl_error_set(SL_ERROR, "batch has %zu columns, the query returns %zu", b->ncols,
				    cur->ncols);
	int rc = fault(cur->conn, "fetch");
	return rc ? rc : cur->conn->drv->fetch(cur, b, max_rows ? max_rows : 1);
}

void sl_cursor_close(sl_cursor *cur)
{
	if (!cur)
		return;
	sl_conn *c = cur->conn;
	if (c->open_cursor == cur)
		c->open_cursor = NULL;
	c->drv->cursor_close(cur);
}

/* Runs sql and keeps the first row in b; b can be freed whatever the outcome. */
static int first_value(sl_conn *c, const char *sql, sl_batch *b)
{
	sl_cursor *cur = NULL;
	memset(b, 0, sizeof(*b)); /* a failed query leaves nothing for the caller's sl_batch_free */
	int rc = sl_conn_query(&cur, c, sql);
	if (rc)
		return rc;
	rc = sl_batch_init(b, sl_cursor_ncols(cur), 1);
	if (!rc) {
		rc = sl_cursor_fetch(cur, b, 1);
		if (rc == 0)
			rc = sl_error_set(SL_ENOTFOUND, "query returned no rows");
		else if (rc > 0)
			rc = b->ncols ? 0 : sl_error_set(SL_ERROR, "query returned no columns");
	}
	sl_cursor_close(cur);
	return rc;
}

int sl_conn_query_int(sl_conn *c, const char *sql, int64_t *out)
{
	sl_batch b = { 0 }; /* freed on every path, also when the query fails before init */
	int rc = first_value(c, sql, &b);
	if (!rc) {
		const sl_value *v = sl_batch_row(&b, 0);
		if (v->type == SL_V_INT)
			*out = v->u.i;
		else if (v->type == SL_V_BOOL)
			*out = v->u.b;
		else if (v->type == SL_V_DECIMAL || v->type == SL_V_TEXT) {
			char *end = NULL;
			char tmp[32];
			size_t n = v->u.s.len < sizeof(tmp) - 1 ? v->u.s.len : sizeof(tmp) - 1;
			memcpy(tmp, v->u.s.ptr, n);
			tmp[n] = '\0';
			long long x = strtoll(tmp, &end, 10);
			if (end == tmp || *end)
				rc = sl_error_set(SL_ERROR, "expected an integer, got \"%s\"", tmp);
			else
				*out = x;
		} else if (v->type == SL_V_DOUBLE)
			*out = (int64_t)v->u.d;
		else
			rc = sl_error_set(SL_ERROR, "expected an integer, got %s", sl_vtype_name(v->type));
	}
	sl_batch_free(&b);
	return rc;
}

int sl_conn_query_text(sl_conn *c, const char *sql, char **out)
{
	sl_batch b = { 0 };
	*out = NULL;
	int rc = first_value(c, sql, &b);
	if (!rc) {
		const sl_value *v = sl_batch_row(&b, 0);
		if (v->type != SL_V_NULL) {
			sl_buf s = SL_BUF_INIT;
			rc = sl_value_format(&s, v);
			if (!rc)
				*out = sl_buf_detach(&s);
			sl_buf_free(&s);
		}
	}
	sl_batch_free(&b);
	return rc;
}

int sl_conn_begin(sl_conn *c)
{
	int rc = c->severed ? severed(c) : busy(c);
	if (!rc && c->in_tx)
		rc = sl_error_set(SL_ERROR, "a transaction is already open on %s", sl_conn_display(c));
	if (!rc)
		rc = c->drv->begin(c);
	if (!rc)
		c->in_tx = true;
	return rc;
}

int sl_conn_commit(sl_conn *c)
{
	int rc = busy(c);
	if (!rc)
		rc = fault(c, "commit");
	if (!rc)
		rc = c->drv->commit(c);
	c->in_tx = false;
	return rc;
}

int sl_conn_rollback(sl_conn *c)
{
	if (c->open_cursor)
		sl_cursor_close(c->open_cursor);
	int rc = c->severed ? severed(c) : c->drv->rollback(c);
	c->in_tx = false;
	return rc;
}

int sl_conn_savepoint(sl_conn *c, const char *name)
{
	if (!sl_conn_has(c, SL_CAP_SAVEPOINTS))
		return sl_error_set(SL_ERROR, "%s has no savepoints", c->drv->name);
	return c->severed ? severed(c) : c->drv->savepoint(c, name);
}

int sl_conn_release(sl_conn *c, const char *name)
{
	return c->severed ? severed(c) : c->drv->release(c, name);
}
int sl_conn_rollback_to(sl_conn *c, const char *name)
{
	return c->severed ? severed(c) : c->drv->rollback_to(c, name);
}
int sl_conn_lock(sl_conn *c, const char *name, int timeout_ms)
{
	return c->severed ? severed(c) : c->drv->lock(c, name, timeout_ms);
}
int sl_conn_unlock(sl_conn *c, const char *name)
{
	return c->severed ? severed(c) : c->drv->unlock(c, name);
}

int sl_conn_quote_ident(const sl_conn *c, sl_buf *out, const char *ident)
{
	return c->drv->quote_ident(c, out, ident);
}

int sl_conn_quote_table(const sl_conn *c, sl_buf *out, const sl_table *t)
{
	int rc = 0;
	if (t->schema && sl_conn_has(c, SL_CAP_SCHEMAS)) {
		rc = sl_conn_quote_ident(c, out, t->schema);
		if (!rc)
			rc = sl_buf_putc(out, '.');
	}
	return rc ? rc : sl_conn_quote_ident(c, out, t->name);
}

int sl_conn_quote_literal(const sl_conn *c, sl_buf *out, const sl_value *v)
{
	return c->drv->quote_literal(c, out, v);
}

int sl_writer_open(sl_writer **out, sl_conn *c, const char *schema, const char *table,
		   const char *const *columns, size_t ncolumns)
{
	*out = NULL;
	int rc = c->severed ? severed(c) : busy(c);
	if (!rc)
		rc = c->drv->writer_open(out, c, schema, table, columns, ncolumns);
	if (rc)
		sl_error_prefix("bulk load into \"%s\"", table);
	return rc;
}

int sl_writer_write(sl_writer *w, const sl_batch *b)
{
	if (b->ncols != w->ncols)
		return sl_error_set(SL_ERROR, "batch has %zu columns, the writer %zu", b->ncols, w->ncols);
	int rc = fault(w->conn, "write");
	if (!rc)
		rc = w->conn->drv->writer_write(w, b);
	if (!rc)
		w->rows += b->nrows;
	return rc;
}

int sl_writer_flush(sl_writer *w)
{
	int rc = fault(w->conn, "flush");
	return rc ? rc : w->conn->drv->writer_flush(w);
}

int sl_writer_close(sl_writer *w)
{
	if (!w)
		return 0;
	int rc = sl_writer_flush(w);
	w->conn->drv->writer_free(w);
	return rc;
}

void sl_writer_abort(sl_writer *w)
{
	if (w)
		w->conn->drv->writer_free(w);
}

int sl_conn_introspect(sl_schema **out, sl_conn *c, const sl_introspect_opts *opts)
{
	sl_introspect_opts def = SL_INTROSPECT_OPTS_INIT;
	*out = NULL;
	int rc = c->severed ? severed(c) : busy(c);
	if (rc)
		return rc;
	rc = c->drv->introspect(out, c, opts ? opts : &def);
	if (rc) {
		sl_error_prefix("inspect %s", sl_conn_display(c));
		return rc;
	}
	if (!(opts ? opts : &def)->include_sluice) {
		/* sluice's own triggers (sync capture) are not part of the user's schema */
		sl_schema *s = *out;
		size_t n = 0;
		for (size_t i = 0; i < s->ntriggers; i++)
			if (!s->triggers[i].name || strncmp(s->triggers[i].name, "sluice_", 7) != 0)
				s->triggers[n++] = s->triggers[i];
		s->ntriggers = n;
	}
	sl_schema_sort(*out);
	return 0;
}

/* ---- scratch databases, observation and faults (driver version 2) ---- */

static int check_scratch_name(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	bool ok = n >= 1 && n <= 63;
	for (size_t i = 0; ok && i < n; i++)
		ok = (name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
		     (name[i] >= '0' && name[i] <= '9') || name[i] == '_';
	if (!ok)
		return sl_error_set(SL_EINVALID,
				    "scratch database name \"%s\": use 1-63 letters, digits or \"_\"",
				    name ? name : "");
	return 0;
}

int sl_conn_scratch_url(const sl_conn *c, sl_url *u, const char *name)
{
	int rc = check_scratch_name(name);
	return rc ? rc : c->drv->scratch_url(c, u, name);
}

int sl_conn_scratch_create(sl_conn *c, const char *name, bool clone, bool *cloned)
{
	*cloned = false;
	int rc = check_scratch_name(name);
	if (!rc)
		rc = c->severed ? severed(c) : busy(c);
	if (!rc)
		rc = c->drv->scratch_create(c, name, clone, cloned);
	if (rc)
		sl_error_prefix("create scratch database \"%s\" beside %s", name, sl_conn_display(c));
	return rc;
}

int sl_conn_scratch_list(sl_conn *c, const char *prefix, sl_name_fn fn, void *ud)
{
	int rc = check_scratch_name(prefix);
	if (!rc)
		rc = c->severed ? severed(c) : busy(c);
	return rc ? rc : c->drv->scratch_list(c, prefix, fn, ud);
}

int sl_conn_scratch_drop(sl_conn *c, const char *name)
{
	int rc = check_scratch_name(name);
	if (!rc)
		rc = c->severed ? severed(c) : busy(c);
	if (!rc)
		rc = c->drv->scratch_drop(c, name);
	if (rc)
		sl_error_prefix("drop scratch database \"%s\"", name);
	return rc;
}

int sl_conn_session_id(sl_conn *c, int64_t *out)
{
	*out = 0;
	int rc = c->severed ? severed(c) : busy(c);
	return rc ? rc : c->drv->session_id(c, out);
}

int sl_conn_observe_locks(sl_conn *observer, int64_t session, sl_lock_fn fn, void *ud)
{
	int rc = observer->severed ? severed(observer) : busy(observer);
	return rc ? rc : observer->drv->observe_locks(observer, session, fn, ud);
}

int sl_conn_table_storage(sl_conn *c, sl_name_fn fn, void *ud)
{
	int rc = c->severed ? severed(c) : busy(c);
	return rc ? rc : c->drv->table_storage(c, fn, ud);
}

int sl_conn_rewrite_how(const sl_conn *c, int64_t changes, char *note, size_t n, bool *blocks_writes)
{
	*blocks_writes = false;
	if (n)
		note[0] = '\0';
	return c->drv->rewrite_how(c, changes, note, n, blocks_writes);
}

int sl_conn_bulk_session(sl_conn *c, bool load)
{
	int rc = c->severed ? severed(c) : busy(c);
	return rc ? rc : c->drv->bulk_session(c, load);
}

int sl_conn_bulk_fk_checks(sl_conn *c, bool on)
{
	int rc = c->severed ? severed(c) : busy(c);
	return rc ? rc : c->drv->bulk_fk_checks(c, on);
}

int sl_conn_fk_violations(sl_conn *c, sl_fk_violation_fn fn, void *ud)
{
	int rc = c->severed ? severed(c) : busy(c);
	return rc ? rc : c->drv->fk_violations(c, fn, ud);
}

int sl_conn_read_only(sl_conn *c)
{
	int rc = c->severed ? severed(c) : busy(c);
	return rc ? rc : c->drv->read_only(c);
}

int sl_conn_table_exists(sl_conn *c, const char *table)
{
	int rc = c->severed ? severed(c) : busy(c);
	return rc ? rc : c->drv->table_exists(c, table);
}

/* Both snapshot calls open a transaction: refused in one, recorded in in_tx once open. */
static int snapshot_ready(sl_conn *c, bool export)
{
	int rc = c->severed ? severed(c) : busy(c);
	if (!rc && c->in_tx)
		rc = sl_error_set(SL_ERROR, "a transaction is already open on %s", sl_conn_display(c));
	if (!rc && (!c->drv->snapshot || (export && !c->drv->snapshot->export_snapshot)))
		rc = sl_error_set(SL_EINVALID, "%s cannot %s a consistent snapshot", sl_conn_display(c),
				  export ? "export" : "read");
	return rc;
}

int sl_conn_snapshot_export(sl_conn *c, char *id, size_t n)
{
	int rc = snapshot_ready(c, true);
	if (!rc)
		rc = c->drv->snapshot->export_snapshot(c, id, n);
	if (!rc)
		c->in_tx = true;
	return rc;
}

int sl_conn_snapshot_begin(sl_conn *c, const char *id, char *pos, size_t n)
{
	int rc = snapshot_ready(c, false);
	if (n)
		pos[0] = '\0';
	if (!rc)
		rc = c->drv->snapshot->begin_snapshot(c, id, pos, n);
	if (!rc)
		c->in_tx = true;
	return rc;
}

int sl_conn_set_fk_checks(sl_conn *c, bool on)
{
	int rc = c->severed ? severed(c) : busy(c);
	return rc ? rc : c->drv->set_fk_checks(c, on);
}

void sl_conn_sever(sl_conn *c)
{
	if (!c || c->severed)
		return;
	if (c->open_cursor)
		sl_cursor_close(c->open_cursor);
	c->drv->sever(c);
	c->severed = true;
	c->in_tx = false;
}

bool sl_conn_severed(const sl_conn *c)
{
	return c->severed;
}

int sl_conn_statement_columns(sl_conn *c, const char *sql, const sl_schema *model, sl_touch_fn fn, void *ud,
			      long *error_offset)
{
	long off = -1;
	int rc = busy(c);
	if (!rc)
		rc = c->drv->statement_columns(c, sql, model, fn, ud, &off);
	if (error_offset)
		*error_offset = rc == SL_EINVALID ? off : -1;
	return rc;
}
