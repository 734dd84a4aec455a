/*
 * mysql_rehearse.c - the MySQL/MariaDB driver's rehearsal hooks
 * (include/sluice/sys/driver.h, "Rehearsal support"): scratch databases
 * (schemas) on the same server, filled by the caller with sluice copy; the
 * InnoDB table id as the identity of a table's storage, so a rebuild shows;
 * the algorithm the server chose read from the rows an ALTER copied; and a
 * connection cut at the socket. No second-session lock view: MariaDB lists
 * metadata locks only with a plugin, so lock figures are inferred (docs).
 */
#include "db/my_internal.h"

#include "sluice/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int my_scratch_url(const sl_conn *c, sl_url *u, const char *name)
{
	(void)c;
	return sl_url_set_database(u, name);
}

int my_scratch_create(sl_conn *c, const char *name, bool clone, bool *cloned)
{
	(void)clone; /* no native clone: the caller fills the database with copy */
	sl_buf sql = SL_BUF_INIT;
	char *charset = NULL, *collation = NULL;
	*cloned = false;
	int rc = sl_buf_puts(&sql, "CREATE DATABASE ");
	if (!rc)
		rc = sl_quote_ident_with(&sql, name, '`');
	/* the same defaults as the source, so tables created later match it */
	if (!rc && sl_conn_database(c)[0]) {
		rc = sl_conn_query_text(c,
					"SELECT DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA "
					"WHERE SCHEMA_NAME = DATABASE()",
					&charset);
		if (!rc)
			rc = sl_conn_query_text(
				c,
				"SELECT DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA "
				"WHERE SCHEMA_NAME = DATABASE()",
				&collation);
		if (!rc && charset && collation &&
		    strspn(charset, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(charset) &&
		    strspn(collation, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(collation))
			rc = sl_buf_printf(&sql, " CHARACTER SET %s COLLATE %s", charset, collation);
	}
	if (!rc)
		rc = sl_conn_exec(c, sl_buf_cstr(&sql));
	free(charset);
	free(collation);
	sl_buf_free(&sql);
	return rc;
}

int my_scratch_list(sl_conn *c, const char *prefix, sl_name_fn fn, void *ud)
{
	sl_buf sql = SL_BUF_INIT;
	int rc = sl_buf_printf(
		&sql, "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE LEFT(SCHEMA_NAME, %zu) = ",
		strlen(prefix));
	if (!rc)
		rc = sl_quote_string(&sql, prefix, strlen(prefix), true);
	if (!rc)
		rc = sl_buf_puts(&sql, " ORDER BY SCHEMA_NAME");
	if (!rc)
		rc = sl_db_each_row(c, sl_buf_cstr(&sql), fn, ud);
	sl_buf_free(&sql);
	return rc;
}

int my_scratch_drop(sl_conn *c, const char *name)
{
	sl_buf sql = SL_BUF_INIT;
	int rc = sl_buf_puts(&sql, "DROP DATABASE IF EXISTS ");
	if (!rc)
		rc = sl_quote_ident_with(&sql, name, '`');
	if (!rc)
		rc = sl_conn_exec(c, sl_buf_cstr(&sql));
	sl_buf_free(&sql);
	return rc;
}

int my_session_id(sl_conn *c, int64_t *out)
{
	*out = (int64_t)mysql_thread_id(((my_conn *)c)->mysql);
	return 0;
}

int my_observe_locks(sl_conn *observer, int64_t session, sl_lock_fn fn, void *ud)
{
	(void)observer;
	(void)session;
	(void)fn;
	(void)ud;
	return 0; /* no SL_CAP_LOCK_OBSERVE */
}

int my_table_storage(sl_conn *c, sl_name_fn fn, void *ud)
{
	const my_conn *mc = (const my_conn *)c;
	/* InnoDB names tables "db/table"; a rebuild (COPY or INPLACE) gives a new id */
	return sl_db_each_row(c,
			      mc->mariadb
				      ? "SELECT SUBSTRING(NAME, LENGTH(DATABASE()) + 2), TABLE_ID "
					"FROM information_schema.INNODB_SYS_TABLES "
					"WHERE LEFT(NAME, LENGTH(DATABASE()) + 1) = CONCAT(DATABASE(), '/')"
				      : "SELECT SUBSTRING(NAME, LENGTH(DATABASE()) + 2), TABLE_ID "
					"FROM information_schema.INNODB_TABLES "
					"WHERE LEFT(NAME, LENGTH(DATABASE()) + 1) = CONCAT(DATABASE(), '/')",
			      fn, ud);
}

int my_rewrite_how(const sl_conn *c, int64_t changes, char *note, size_t n, bool *blocks_writes)
{
	(void)c;
	/* ALTER reports the rows it copied only with ALGORITHM=COPY; INPLACE rebuilds report 0 */
	if (changes > 0) {
		snprintf(note, n, "ALGORITHM=COPY: %lld rows copied into a new table; writes wait",
			 (long long)changes);
		*blocks_writes = true;
	} else {
		snprintf(note, n, "ALGORITHM=INPLACE: table rebuilt (or COPY of an empty table)");
		*blocks_writes = false;
	}
	return 0;
}

int my_set_fk_checks(sl_conn *c, bool on)
{
	return sl_conn_exec(c,
			    on ? "SET SESSION FOREIGN_KEY_CHECKS = 1" : "SET SESSION FOREIGN_KEY_CHECKS = 0");
}

void my_sever(sl_conn *c)
{
	my_conn *mc = (my_conn *)c;
	my_socket fd = mc->mysql ? mysql_get_socket(mc->mysql) : (my_socket)-1;
	if ((int)fd >= 0)
		shutdown((int)fd, SHUT_RDWR);
}
