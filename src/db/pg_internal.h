/*
 * pg_internal.h - what the PostgreSQL driver's files share (internal).
 *
 * postgres.c holds the connection, queries, transactions, locks and quoting;
 * postgres_copy.c holds the bulk writer (COPY ... FROM STDIN, binary with a
 * text fallback). docs/drivers/postgres.md describes the value mapping.
 * Nothing here is visible to library users.
 */
#ifndef SLUICE_DB_PG_INTERNAL_H
#define SLUICE_DB_PG_INTERNAL_H

#include <libpq-fe.h>

#include "sluice/sys/driver.h"

/* Well-known type OIDs (stable since PostgreSQL 8; see pg_type.dat). */
enum {
	SL_PG_BOOL = 16,
	SL_PG_BYTEA = 17,
	SL_PG_CHAR = 18,
	SL_PG_NAME = 19,
	SL_PG_INT8 = 20,
	SL_PG_INT2 = 21,
	SL_PG_INT4 = 23,
	SL_PG_TEXT = 25,
	SL_PG_OID = 26,
	SL_PG_JSON = 114,
	SL_PG_XML = 142,
	SL_PG_FLOAT4 = 700,
	SL_PG_FLOAT8 = 701,
	SL_PG_UNKNOWN = 705,
	SL_PG_BPCHAR = 1042,
	SL_PG_VARCHAR = 1043,
	SL_PG_DATE = 1082,
	SL_PG_TIME = 1083,
	SL_PG_TIMESTAMP = 1114,
	SL_PG_TIMESTAMPTZ = 1184,
	SL_PG_INTERVAL = 1186,
	SL_PG_TIMETZ = 1266,
	SL_PG_NUMERIC = 1700,
	SL_PG_UUID = 2950,
	SL_PG_JSONB = 3802
};

/* PostgreSQL's epoch (2000-01-01) relative to the Unix epoch. */
#define SL_PG_EPOCH_DAYS 10957
#define SL_PG_EPOCH_USEC INT64_C(946684800000000)

typedef struct sl_pg_typename {
	Oid oid;
	char *name;
} sl_pg_typename;

/* The driver's connection; base must stay first. */
typedef struct sl_pg_conn {
	sl_conn base;
	PGconn *pg;
	sl_pg_typename *types; /* cache of type names for OIDs not in the static table */
	size_t ntypes, cap_types;
} sl_pg_conn;

/*
 * Sets the thread's error from a failed result (res may be NULL: the
 * connection's message is used). The message is the server's primary text
 * plus "; detail: ..." and "; hint: ..." when present; the SQLSTATE is kept.
 * Returns SL_EDB, or SL_ECONNECT when the connection is gone.
 */
int sl_pg_error(PGconn *pg, const PGresult *res);

/* Reads and discards every pending result so the connection is idle again. */
void sl_pg_drain(PGconn *pg);

/* PostgreSQL input forms of temporals: "0044-03-15 BC", "... 12:00:00+00 BC". */
int sl_pg_format_date(sl_buf *out, int32_t days);
int sl_pg_format_timestamp(sl_buf *out, int64_t usec, bool tz);

/* The bulk writer (postgres_copy.c). */
int sl_pg_writer_open(sl_writer **out, sl_conn *c, const char *schema, const char *table,
		      const char *const *columns, size_t ncolumns);
int sl_pg_writer_write(sl_writer *w, const sl_batch *b);
int sl_pg_writer_flush(sl_writer *w);
void sl_pg_writer_free(sl_writer *w);

/* Runs the session set-up of pg_open on c (after a reconnect). */
int sl_pg_session_setup(sl_pg_conn *c);

/* Rehearsal hooks (postgres_rehearse.c); contracts in include/sluice/sys/driver.h. */
int sl_pg_scratch_url(const sl_conn *c, sl_url *u, const char *name);
int sl_pg_scratch_create(sl_conn *c, const char *name, bool clone, bool *cloned);
int sl_pg_scratch_list(sl_conn *c, const char *prefix, sl_name_fn fn, void *ud);
int sl_pg_scratch_drop(sl_conn *c, const char *name);
int sl_pg_session_id(sl_conn *c, int64_t *out);
int sl_pg_observe_locks(sl_conn *observer, int64_t session, sl_lock_fn fn, void *ud);
int sl_pg_table_storage(sl_conn *c, sl_name_fn fn, void *ud);
int sl_pg_rewrite_how(const sl_conn *c, int64_t changes, char *note, size_t n, bool *blocks_writes);
int sl_pg_set_fk_checks(sl_conn *c, bool on);
void sl_pg_sever(sl_conn *c);

/* Dialect and session hooks (pg_dialect.c); contracts in include/sluice/sys/driver.h. */
extern const sl_dialect sl_pg_dialect;
int sl_pg_bulk_session(sl_conn *c, bool load);
int sl_pg_bulk_fk_checks(sl_conn *c, bool on);
int sl_pg_fk_violations(sl_conn *c, sl_fk_violation_fn fn, void *ud);
int sl_pg_read_only(sl_conn *c);
int sl_pg_table_exists(sl_conn *c, const char *table);
bool sl_pg_error_is(const sl_error *e, sl_error_class k);

#endif
