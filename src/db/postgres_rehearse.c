/*
 * postgres_rehearse.c - the PostgreSQL driver's rehearsal hooks
 * (include/sluice/sys/driver.h, "Rehearsal support"): scratch databases made
 * with CREATE DATABASE ... TEMPLATE when nobody else is connected to the
 * source, pg_locks seen from a second session, relfilenode as the identity
 * of a table's storage, and a connection cut at the socket.
 */
#include "db/pg_internal.h"

#include "sluice/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int sl_pg_scratch_url(const sl_conn *c, sl_url *u, const char *name)
{
	(void)c;
	return sl_url_set_database(u, name);
}

/* conninfo of c's connection with dbname replaced (NULL: unchanged); malloc'd. */
static int conninfo_with_db(char **out, PGconn *pg, const char *dbname)
{
	sl_buf b = SL_BUF_INIT;
	int rc = 0;
	PQconninfoOption *opts = PQconninfo(pg);
	*out = NULL;
	if (!opts)
		return sl_error_nomem();
	for (PQconninfoOption *o = opts; !rc && o->keyword; o++) {
		const char *v = strcmp(o->keyword, "dbname") == 0 && dbname ? dbname : o->val;
		if (!v || !*v)
			continue;
		rc = sl_buf_printf(&b, "%s%s=", b.len ? " " : "", o->keyword);
		if (!rc)
			rc = sl_quote_string(&b, v, strlen(v), true);
	}
	PQconninfoFree(opts);
	if (!rc && !(*out = sl_buf_detach(&b)))
		rc = sl_error_nomem();
	sl_buf_free(&b);
	return rc;
}

static int admin_exec(PGconn *admin, const char *sql, char sqlstate[6])
{
	PGresult *r = PQexec(admin, sql);
	int rc = 0;
	sqlstate[0] = '\0';
	if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
		const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
		if (st)
			snprintf(sqlstate, 6, "%s", st);
		rc = sl_pg_error(admin, r);
	}
	PQclear(r);
	return rc;
}

/*
 * CREATE DATABASE name TEMPLATE <c's database>, from a connection to another
 * database (a template cannot have sessions, c's own included): c is closed
 * first and connected again afterwards, whatever happens. *cloned stays false
 * when another session appeared meanwhile (55006); the caller then creates
 * the database empty.
 */
static int clone_with_template(sl_pg_conn *c, const char *name, bool *cloned)
{
	char *self = NULL, *admin_ci = NULL, st[6];
	PGconn *admin = NULL;
	sl_buf sql = SL_BUF_INIT;
	char *src = strdup(PQdb(c->pg) ? PQdb(c->pg) : "");
	int rc = src ? 0 : sl_error_nomem();
	if (!rc)
		rc = conninfo_with_db(&self, c->pg, NULL);
	if (!rc)
		rc = conninfo_with_db(&admin_ci, c->pg,
				      strcmp(src, "postgres") == 0 ? "template1" : "postgres");
	if (!rc)
		rc = sl_buf_puts(&sql, "CREATE DATABASE ");
	if (!rc)
		rc = sl_quote_ident_with(&sql, name, '"');
	if (!rc)
		rc = sl_buf_puts(&sql, " TEMPLATE ");
	if (!rc)
		rc = sl_quote_ident_with(&sql, src, '"');
	if (rc)
		goto done;
	PQfinish(c->pg);
	c->pg = NULL;
	admin = PQconnectdb(admin_ci);
	if (PQstatus(admin) != CONNECTION_OK) {
		rc = 0; /* no maintenance database to connect to: not an error, copy instead */
		goto reconnect;
	}
	rc = admin_exec(admin, sl_buf_cstr(&sql), st);
	if (!rc)
		*cloned = true;
	else if (strcmp(st, "55006") == 0 || strcmp(st, "42501") == 0)
		rc = 0; /* someone connected meanwhile, or no right to use it as a template */
reconnect:
	PQfinish(admin);
	c->pg = PQconnectdb(self);
	if (PQstatus(c->pg) != CONNECTION_OK) {
		int rrc = sl_error_set(SL_ECONNECT, "reconnect after cloning: %s", PQerrorMessage(c->pg));
		rc = rc ? rc : rrc;
	} else {
		int rrc = sl_pg_session_setup(c);
		rc = rc ? rc : rrc;
	}
done:
	free(src);
	free(self);
	free(admin_ci);
	sl_buf_free(&sql);
	return rc;
}

int sl_pg_scratch_create(sl_conn *base, const char *name, bool clone, bool *cloned)
{
	sl_pg_conn *c = (sl_pg_conn *)base;
	sl_buf sql = SL_BUF_INIT;
	int64_t others = 1;
	int rc = 0;
	*cloned = false;
	if (clone)
		rc = sl_conn_query_int(
			base,
			"SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
			"AND pid <> pg_backend_pid()",
			&others);
	if (!rc && clone && others == 0)
		rc = clone_with_template(c, name, cloned);
	if (!rc && !*cloned) {
		rc = sl_buf_puts(&sql, "CREATE DATABASE ");
		if (!rc)
			rc = sl_quote_ident_with(&sql, name, '"');
		if (!rc)
			rc = sl_conn_exec(base, sl_buf_cstr(&sql));
	}
	sl_buf_free(&sql);
	return rc;
}

int sl_pg_scratch_list(sl_conn *c, const char *prefix, sl_name_fn fn, void *ud)
{
	sl_buf sql = SL_BUF_INIT;
	int rc = sl_buf_printf(&sql,
			       "SELECT datname FROM pg_database WHERE left(datname, %zu) = ", strlen(prefix));
	if (!rc)
		rc = sl_quote_string(&sql, prefix, strlen(prefix), false);
	if (!rc)
		rc = sl_buf_puts(&sql, " ORDER BY datname");
	if (!rc)
		rc = sl_db_each_row(c, sl_buf_cstr(&sql), fn, ud);
	sl_buf_free(&sql);
	return rc;
}

int sl_pg_scratch_drop(sl_conn *base, const char *name)
{
	sl_pg_conn *c = (sl_pg_conn *)base;
	sl_buf sql = SL_BUF_INIT;
	int rc = sl_buf_puts(&sql, "DROP DATABASE IF EXISTS ");
	if (!rc)
		rc = sl_quote_ident_with(&sql, name, '"');
	/* FORCE (13+) ends sessions a killed rehearsal may have left behind */
	if (!rc && PQserverVersion(c->pg) >= 130000)
		rc = sl_buf_puts(&sql, " WITH (FORCE)");
	if (!rc)
		rc = sl_conn_exec(base, sl_buf_cstr(&sql));
	sl_buf_free(&sql);
	return rc;
}

int sl_pg_session_id(sl_conn *base, int64_t *out)
{
	*out = PQbackendPID(((sl_pg_conn *)base)->pg);
	return 0;
}

typedef struct lock_ctx {
	sl_lock_fn fn;
	void *ud;
} lock_ctx;

/* detail is "mode|granted". */
static int lock_row(void *ud, const char *table, const char *detail)
{
	lock_ctx *x = ud;
	char mode[64];
	const char *bar = detail ? strchr(detail, '|') : NULL;
	size_t n = bar ? (size_t)(bar - detail) : 0;
	if (!bar || n >= sizeof(mode))
		return 0;
	memcpy(mode, detail, n);
	mode[n] = '\0';
	sl_lock_info l = {
		.table = table,
		.mode = mode,
		.blocks_writes =
			strcmp(mode, "ShareLock") == 0 || strcmp(mode, "ShareRowExclusiveLock") == 0 ||
			strcmp(mode, "ExclusiveLock") == 0 || strcmp(mode, "AccessExclusiveLock") == 0,
		.blocks_reads = strcmp(mode, "AccessExclusiveLock") == 0,
		.granted = bar[1] == 't',
	};
	return x->fn(x->ud, &l);
}

int sl_pg_observe_locks(sl_conn *observer, int64_t session, sl_lock_fn fn, void *ud)
{
	char sql[512];
	lock_ctx x = { .fn = fn, .ud = ud };
	/* tables created by the session's open transaction are invisible here: nobody can wait on them */
	snprintf(sql, sizeof(sql),
		 "SELECT c.relname, l.mode || '|' || CASE WHEN l.granted THEN 't' ELSE 'f' END "
		 "FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
		 "WHERE l.locktype = 'relation' AND l.pid = %lld AND c.relkind IN ('r', 'p', 'm') "
		 "AND c.relnamespace = current_schema()::regnamespace",
		 (long long)session);
	return sl_db_each_row(observer, sql, lock_row, &x);
}

int sl_pg_table_storage(sl_conn *c, sl_name_fn fn, void *ud)
{
	return sl_db_each_row(c,
			      "SELECT relname, pg_relation_filenode(oid)::text FROM pg_class "
			      "WHERE relnamespace = current_schema()::regnamespace AND relkind IN ('r', 'm')",
			      fn, ud);
}

int sl_pg_rewrite_how(const sl_conn *c, int64_t changes, char *note, size_t n, bool *blocks_writes)
{
	(void)c;
	(void)changes;
	snprintf(note, n, "new relfilenode: every row rewritten under ACCESS EXCLUSIVE");
	*blocks_writes = true;
	return 0;
}

int sl_pg_set_fk_checks(sl_conn *c, bool on)
{
	int rc = sl_conn_exec(c, on ? "SET session_replication_role = DEFAULT"
				    : "SET session_replication_role = replica");
	if (rc)
		sl_error_prefix("turn foreign-key triggers %s (needs superuser)", on ? "on" : "off");
	return rc;
}

void sl_pg_sever(sl_conn *base)
{
	sl_pg_conn *c = (sl_pg_conn *)base;
	int fd = c->pg ? PQsocket(c->pg) : -1;
	if (fd >= 0)
		shutdown(fd, SHUT_RDWR);
}
