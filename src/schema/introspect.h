/*
 * introspect.h - per-engine schema introspection (internal).
 *
 * Each function reads the catalog of one engine through the public
 * connection API only (SQL against the catalogs, PRAGMAs on SQLite) and
 * fills a new sl_schema. The driver tables point at these.
 */
#ifndef SLUICE_SCHEMA_INTROSPECT_H
#define SLUICE_SCHEMA_INTROSPECT_H

#include "sluice/conn.h"

int sl_introspect_sqlite(sl_schema **out, sl_conn *c, const sl_introspect_opts *opts);
int sl_introspect_postgres(sl_schema **out, sl_conn *c, const sl_introspect_opts *opts);
int sl_introspect_mysql(sl_schema **out, sl_conn *c, const sl_introspect_opts *opts);

#endif
