/*
 * identity.c - which database a connection reaches, and the guard that
 * refuses to copy or compare a database with itself (conn.h).
 *
 * Each driver's identity hook asks its engine (never the URL): a URL cannot
 * tell that localhost, 127.0.0.1 and a unix socket reach one server, or that
 * two paths name one file. The comparison and the guard live here so every
 * command that reads one database and writes another uses the same rule.
 */
#include "sluice/conn.h"
#include "sluice/error.h"
#include "sluice/sys/driver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sl_identity_text(sl_conn *c, const char *sql, char *out, size_t n)
{
	char *v = NULL;
	int rc = sl_conn_query_text(c, sql, &v);
	if (!rc)
		snprintf(out, n, "%s", v ? v : "");
	free(v);
	return rc;
}

int sl_conn_identity(sl_conn *c, sl_db_identity *out)
{
	memset(out, 0, sizeof(*out));
	out->engine = sl_conn_engine(c);
	int rc = c->drv->identity(c, out);
	if (rc)
		sl_error_prefix("find out which database %s is", sl_conn_display(c));
	return rc;
}

bool sl_db_identity_equal(const sl_db_identity *a, const sl_db_identity *b)
{
	if (a->engine != b->engine || strcmp(a->server, b->server) != 0 ||
	    strcmp(a->database, b->database) != 0)
		return false;
	return !a->server_id[0] || !b->server_id[0] || strcmp(a->server_id, b->server_id) == 0;
}

int sl_conn_refuse_same_database(sl_conn *src, sl_conn *dst, const char *verb)
{
	sl_db_identity a, b;
	int rc = sl_conn_identity(src, &a);
	if (!rc)
		rc = sl_conn_identity(dst, &b);
	if (!rc && sl_db_identity_equal(&a, &b))
		rc = sl_error_set(SL_EREFUSED,
				  "source and target are the same database: refusing to %s (%s and %s both "
				  "reach it)",
				  verb, sl_conn_display(src), sl_conn_display(dst));
	return rc;
}
