/*
 * introspect.h - per-engine schema introspection (internal).
 *
 * Each function reads the catalog of one engine through the public
 * connection API only (SQL against the catalogs, PRAGMAs on SQLite) and
 * fills a new sl_schema. The driver tables point at these, and at the
 * statement readers below.
 */
#ifndef SLUICE_SCHEMA_INTROSPECT_H
#define SLUICE_SCHEMA_INTROSPECT_H

#include "sluice/conn.h"

int sl_introspect_sqlite(sl_schema **out, sl_conn *c, const sl_introspect_opts *opts);
int sl_introspect_postgres(sl_schema **out, sl_conn *c, const sl_introspect_opts *opts);
int sl_introspect_mysql(sl_schema **out, sl_conn *c, const sl_introspect_opts *opts);

/*
 * What one statement reads and writes (the drivers' statement_columns hook,
 * sl_conn_statement_columns): PostgreSQL from libpg_query's parse tree
 * resolved against model (columns_postgres.c), MySQL from the server's
 * EXPLAIN (columns_mysql.c). SQLite's uses its authorizer, in src/db/sqlite.c.
 */
int sl_columns_postgres(sl_conn *c, const char *sql, const sl_schema *model, sl_touch_fn fn, void *ud,
			long *error_offset);
int sl_columns_mysql(sl_conn *c, const char *sql, const sl_schema *model, sl_touch_fn fn, void *ud,
		     long *error_offset);

#endif
