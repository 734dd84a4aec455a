/*
 * sqlite_internal.h - the few things the SQLite driver (src/db/sqlite.c)
 * offers to SQLite introspection (src/schema/introspect_sqlite.c) that the
 * public connection API cannot: SQLite's authorizer, and the one place that
 * turns a declared column type into a portable type. Internal; not installed.
 */
#ifndef SLUICE_DB_SQLITE_INTERNAL_H
#define SLUICE_DB_SQLITE_INTERNAL_H

#include "sluice/conn.h"
#include "sluice/schema.h"

#include <stddef.h>

/*
 * Called once per column a statement reads: db ("main"), table, column and
 * the innermost view or trigger through which it is read (NULL for the
 * statement itself). All strings are borrowed for the call. A non-zero
 * return stops the walk and is returned by sl_sqlite_statement_reads().
 */
typedef int (*sl_sqlite_read_fn)(void *ctx, const char *db, const char *table, const char *column,
				 const char *via);

/*
 * Prepares (never runs) sql on c with an authorizer attached and reports
 * every column read (SQLITE_READ) to fn. c must be a SQLite connection with
 * no open cursor. Returns 0, the callback's code, or SL_EDB when sql does
 * not prepare.
 */
int sl_sqlite_statement_reads(sl_conn *c, const char *sql, sl_sqlite_read_fn fn, void *ctx);

/*
 * Maps a declared type ("varchar(20)", "smallint unsigned", "TEXT[]",
 * "double precision", "") to a portable type by the rules in
 * docs/drivers/sqlite.md. For ARRAY the element type name is copied into
 * elem (cap bytes, truncated) and out->elem points at it; otherwise
 * out->elem is NULL. Never fails.
 */
void sl_sqlite_decl_type(const char *decl, sl_type *out, char *elem, size_t cap);

/* Dialect and session hooks (sqlite_dialect.c); contracts in include/sluice/sys/driver.h. */
extern const sl_dialect sl_sqlite_dialect;
int sl_sqlite_bulk_session(sl_conn *c, bool load);
int sl_sqlite_bulk_fk_checks(sl_conn *c, bool on);
int sl_sqlite_fk_violations(sl_conn *c, sl_fk_violation_fn fn, void *ud);
int sl_sqlite_read_only(sl_conn *c);
int sl_sqlite_table_exists(sl_conn *c, const char *table);
bool sl_sqlite_error_is(const sl_error *e, sl_error_class k);

#endif
