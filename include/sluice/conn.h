/*
 * conn.h - connections to SQLite, PostgreSQL and MySQL/MariaDB behind one API.
 *
 * sl_conn_open() picks the driver from the URL scheme (see url.h). Everything
 * here goes through thin wrappers over the driver's function table
 * (src/db/driver.h), which is also where tests inject faults.
 *
 * Rules every driver keeps:
 *  - A query streams: sl_cursor_fetch() returns at most max_rows rows per call
 *    and never holds a whole result in memory (PostgreSQL single-row or
 *    cursor mode, MySQL mysql_use_result, SQLite stepping).
 *  - While a cursor is open, the connection runs nothing else; close it first.
 *  - A connection (with its cursors and writers) is used by one thread at a
 *    time; threads that work in parallel open a connection each.
 *  - Errors carry the engine's message, SQLSTATE (PostgreSQL, MySQL) and code,
 *    and never the password.
 */
#ifndef SLUICE_CONN_H
#define SLUICE_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/buf.h"
#include "sluice/dialect.h"
#include "sluice/error.h"
#include "sluice/schema.h"
#include "sluice/url.h"
#include "sluice/value.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sl_conn sl_conn;
typedef struct sl_cursor sl_cursor;
typedef struct sl_writer sl_writer;

/* Capability bits: core code asks these, never "is this MySQL?". */
enum {
	SL_CAP_TRANSACTIONAL_DDL = 1u << 0, /* DDL rolls back with the transaction */
	SL_CAP_SAVEPOINTS = 1u << 1,
	SL_CAP_RETURNING = 1u << 2,
	SL_CAP_SCHEMAS = 1u << 3, /* namespaces inside a database */
	SL_CAP_SEQUENCES = 1u << 4,
	SL_CAP_ENUM_TYPES = 1u << 5, /* named enum types (CREATE TYPE) */
	SL_CAP_PARTIAL_INDEX = 1u << 6,
	SL_CAP_EXPR_INDEX = 1u << 7,
	SL_CAP_FLOAT_SPECIALS = 1u << 8, /* stores NaN and +-Infinity */
	SL_CAP_NUL_IN_TEXT = 1u << 9,    /* text may hold 0x00 */
	SL_CAP_CONCURRENT_INDEX = 1u << 10,
	SL_CAP_ADVISORY_LOCK = 1u << 11, /* session locks that die with the session */
	SL_CAP_CHECK_CONSTRAINTS = 1u << 12,
	SL_CAP_TIMEZONE_TYPE = 1u << 13, /* a timestamp type that keeps an instant */
	SL_CAP_LOCK_OBSERVE = 1u << 14,  /* a second session can list the table locks a session holds */
	SL_CAP_DB_WRITE_LOCK = 1u << 15, /* a write transaction locks the whole database against writers */
	SL_CAP_CAPTURE = 1u << 16,       /* change capture and apply for sync (capture.h) */
	SL_CAP_FREEZE = 1u << 17,        /* deny-write fences with a deadline for cutover (freeze.h) */
	SL_CAP_SNAPSHOT_READ =
		1u << 18, /* a read transaction on one consistent snapshot (sl_conn_snapshot_begin) */
	SL_CAP_SNAPSHOT_EXPORT =
		1u << 19, /* that snapshot can be shared with other sessions (export/import) */
};

/* One result column. name and decl are borrowed from the cursor. */
typedef struct sl_colinfo {
	const char *name;
	sl_vtype type;    /* the sl_value type its values decode to (SL_V_NULL: varies per row) */
	const char *decl; /* engine type name, e.g. "int8", "varchar", "DATETIME" */
} sl_colinfo;

/* Opens a connection; on failure the error names the host and reason, never the password. */
int sl_conn_open(sl_conn **out, const char *url);
int sl_conn_open_url(sl_conn **out, const sl_url *url);
void sl_conn_close(sl_conn *c);

sl_engine sl_conn_engine(const sl_conn *c);
/* Borrowed, constant: what c's SQL looks like (dialect.h). */
const sl_dialect *sl_conn_dialect(const sl_conn *c);
unsigned sl_conn_caps(const sl_conn *c);
static inline bool sl_conn_has(const sl_conn *c, unsigned cap)
{
	return (sl_conn_caps(c) & cap) != 0;
}
/* Borrowed: the URL with the password masked, for messages. */
const char *sl_conn_display(const sl_conn *c);
/* Borrowed: the server's version string ("15.18", "10.11.19-MariaDB", "3.40.1"). */
const char *sl_conn_server_version(const sl_conn *c);
/* Borrowed: the database (PostgreSQL database, MySQL schema, SQLite file). */
const char *sl_conn_database(const sl_conn *c);

/*
 * Which database a connection reaches, as the engine itself reports it - not
 * as the URL spells it, so localhost, 127.0.0.1, ::1, a unix socket, a
 * symlink or a relative path all resolve to the same identity:
 *   SQLite      the file's device and inode (an in-memory database is unique
 *               to its connection);
 *   PostgreSQL  the cluster (postmaster start time, and the system identifier
 *               where the role may read it) and the database's oid and name;
 *   MySQL       the server (host name, port, data directory, and server_uuid
 *               where the server has one) and DATABASE().
 * Two connections reach the same database exactly when
 * sl_db_identity_equal() says so. Run it outside a transaction.
 */
typedef struct sl_db_identity {
	sl_engine engine;
	char server[512];   /* the server instance; "" for SQLite */
	char server_id[64]; /* a second instance id, compared only when both sides have one */
	char database[512]; /* the database within the server; SQLite "dev:inode" */
} sl_db_identity;

int sl_conn_identity(sl_conn *c, sl_db_identity *out);
bool sl_db_identity_equal(const sl_db_identity *a, const sl_db_identity *b);
/*
 * The guard of every command that reads one database and writes or compares
 * another (copy, diff, and what builds on them): SL_EREFUSED with "source
 * and target are the same database: refusing to <verb>" when src and dst
 * reach the same database, 0 when they do not.
 */
int sl_conn_refuse_same_database(sl_conn *src, sl_conn *dst, const char *verb);

/* Runs one or more statements that return no rows (SQLite/MySQL: several, ';'-separated). */
int sl_conn_exec(sl_conn *c, const char *sql);
/* Rows changed by the last sl_conn_exec (engine's count), or -1. */
int64_t sl_conn_changes(const sl_conn *c);

int sl_conn_query(sl_cursor **out, sl_conn *c, const char *sql);
size_t sl_cursor_ncols(const sl_cursor *cur);
const sl_colinfo *sl_cursor_col(const sl_cursor *cur, size_t i);
/*
 * Appends up to max_rows rows to b (initialised for sl_cursor_ncols columns).
 * Returns the number appended, 0 at the end of the result, or a negative code.
 */
int sl_cursor_fetch(sl_cursor *cur, sl_batch *b, size_t max_rows);
void sl_cursor_close(sl_cursor *cur);

/* Convenience: first column of the first row as int64 / as an allocated string (NULL if SQL NULL). */
int sl_conn_query_int(sl_conn *c, const char *sql, int64_t *out);
int sl_conn_query_text(sl_conn *c, const char *sql, char **out);

int sl_conn_begin(sl_conn *c);
int sl_conn_commit(sl_conn *c);
int sl_conn_rollback(sl_conn *c);
bool sl_conn_in_transaction(const sl_conn *c);
int sl_conn_savepoint(sl_conn *c, const char *name);
int sl_conn_release(sl_conn *c, const char *name);
int sl_conn_rollback_to(sl_conn *c, const char *name);

/*
 * Takes the named advisory lock, waiting up to timeout_ms (0: try once,
 * negative: wait forever). SL_ELOCKED when another session holds it.
 * PostgreSQL and MySQL locks belong to the session and vanish with it;
 * SQLite has none - its callers hold a write transaction instead.
 */
int sl_conn_lock(sl_conn *c, const char *name, int timeout_ms);
int sl_conn_unlock(sl_conn *c, const char *name);

/* Appends the identifier quoted for this engine ("a""b", `a``b`). */
int sl_conn_quote_ident(const sl_conn *c, sl_buf *out, const char *ident);
/* Appends table t of a model read from c, schema-qualified where c has schemas (SL_CAP_SCHEMAS). */
int sl_conn_quote_table(const sl_conn *c, sl_buf *out, const sl_table *t);
/* Appends v as an SQL literal of this engine (NULL, numbers, 'text', X'..', ...). */
int sl_conn_quote_literal(const sl_conn *c, sl_buf *out, const sl_value *v);

/*
 * Bulk writer into an existing table. Rows go in with the engine's fastest
 * path: PostgreSQL COPY (binary), MySQL LOAD DATA LOCAL INFILE fed from
 * memory or multi-row INSERT, SQLite one prepared INSERT. The writer does not
 * begin or commit: rows land in the caller's transaction (or autocommit).
 * sl_writer_flush() finishes the current bulk statement, so every row
 * written so far is visible to later statements in the same transaction.
 * schema may be NULL for the connection's default.
 */
int sl_writer_open(sl_writer **out, sl_conn *c, const char *schema, const char *table,
		   const char *const *columns, size_t ncolumns);
int sl_writer_write(sl_writer *w, const sl_batch *b);
int sl_writer_flush(sl_writer *w);
/* Flushes and frees. The writer is freed even when the flush fails. */
int sl_writer_close(sl_writer *w);
/* Frees without flushing; pending rows are discarded (the caller rolls back). */
void sl_writer_abort(sl_writer *w);

/*
 * Which PostgreSQL schemas a model holds (ignored by other engines): every
 * schema but the system ones with all_schemas, else the nschemas of schemas,
 * else schema, else the search path's first (current_schema()). The model
 * lists in others how many tables the schemas it did not read hold.
 */
/* ---- bulk sessions, read-only sessions, catalog facts ---- */

/* Prepares c for a bulk copy into it; load: a session that loads rows (sys/driver.h, bulk_session). */
int sl_conn_bulk_session(sl_conn *c, bool load);
/* In a bulk session, the switch that lets tables be dropped and foreign keys added in any order. */
int sl_conn_bulk_fk_checks(sl_conn *c, bool on);
/*
 * One foreign key whose rows do not hold after a bulk load: rows of table
 * without their row in parent, found by check (the engine's statement, for
 * messages). Borrowed for the call; non-zero stops.
 */
typedef int (*sl_fk_violation_fn)(void *ud, const char *table, const char *parent, int64_t rows,
				  const char *check);
/* After a bulk load, the foreign keys the engine did not enforce during it and that do not hold. */
int sl_conn_fk_violations(sl_conn *c, sl_fk_violation_fn fn, void *ud);
/* Makes c's session read-only: every later statement that writes fails. */
int sl_conn_read_only(sl_conn *c);
/* 1 when table exists in c's default schema, 0 when not, or a negative code. */
int sl_conn_table_exists(sl_conn *c, const char *table);

/*
 * Consistent reads (docs/commands/distributed.md, "Consistent snapshots").
 * SL_CAP_SNAPSHOT_EXPORT: opens a REPEATABLE READ transaction on c and
 * exports its snapshot; id (n bytes) names it for other sessions as long as
 * c's transaction stays open (end it with sl_conn_commit or by closing c).
 * SL_EINVALID on an engine without it.
 */
int sl_conn_snapshot_export(sl_conn *c, char *id, size_t n);
/*
 * SL_CAP_SNAPSHOT_READ: opens a read-only transaction on c that reads one
 * consistent snapshot: the exported snapshot id when given (SL_ENOTFOUND
 * when it no longer exists: the transaction that exported it ended), else
 * one taken now. pos (n bytes) receives where the engine's change log stood
 * at that snapshot when it tells ("binlog.000003:4711"; "binlog off"), ""
 * otherwise. End the transaction with sl_conn_commit or sl_conn_rollback.
 */
int sl_conn_snapshot_begin(sl_conn *c, const char *id, char *pos, size_t n);

/* Classes of database errors that callers act on, whatever the engine. */
typedef enum sl_error_class {
	SL_ERRCLASS_EXISTS = 1,    /* the object a CREATE or ADD names exists already */
	SL_ERRCLASS_TRANSIENT = 2, /* serialization failure, deadlock, lock wait timeout: run it again */
} sl_error_class;
/* Whether e, a database error from any engine, is of class k. */
bool sl_error_is(const sl_error *e, sl_error_class k);

/* ---- scratch databases, observation and faults (`sluice rehearse`) ---- */

/* A name (and detail, may be NULL) reported by a listing. Borrowed for the call; non-zero stops. */
typedef int (*sl_name_fn)(void *ud, const char *name, const char *detail);

/* One table lock held or awaited by a session. Borrowed for the call. */
typedef struct sl_lock_info {
	const char *table;
	const char *mode;   /* the engine's name: "AccessExclusiveLock", ... */
	bool blocks_writes; /* other sessions cannot write the table meanwhile */
	bool blocks_reads;  /* ... nor read it */
	bool granted;       /* false: still waiting for it */
} sl_lock_info;
typedef int (*sl_lock_fn)(void *ud, const sl_lock_info *l);

/*
 * Scratch databases beside c's database (same server; SQLite: same
 * directory). name must be 1-63 letters, digits or '_'. See
 * include/sluice/sys/driver.h for what each engine does.
 */
int sl_conn_scratch_url(const sl_conn *c, sl_url *u, const char *name);
int sl_conn_scratch_create(sl_conn *c, const char *name, bool clone, bool *cloned);
int sl_conn_scratch_list(sl_conn *c, const char *prefix, sl_name_fn fn, void *ud);
int sl_conn_scratch_drop(sl_conn *c, const char *name);
/* The server's id of c's session (0 when the engine has none). */
int sl_conn_session_id(sl_conn *c, int64_t *out);
/* SL_CAP_LOCK_OBSERVE: the table locks session holds or awaits, seen from observer. */
int sl_conn_observe_locks(sl_conn *observer, int64_t session, sl_lock_fn fn, void *ud);
/* Every table of c's database with an id of its physical storage (changes when rewritten). */
int sl_conn_table_storage(sl_conn *c, sl_name_fn fn, void *ud);
/* After a statement that rewrote a table: how (note) and whether writers waited all along. */
int sl_conn_rewrite_how(const sl_conn *c, int64_t changes, char *note, size_t n, bool *blocks_writes);
/* Foreign-key enforcement of c's session off/on. */
int sl_conn_set_fk_checks(sl_conn *c, bool on);
/*
 * Cuts c as a network failure would (the server rolls back c's open
 * transaction). Every later call on c fails with SL_ECONNECT; close it as usual.
 */
void sl_conn_sever(sl_conn *c);
/* True after sl_conn_sever(). */
bool sl_conn_severed(const sl_conn *c);
/*
 * Makes the n-th next call of op on c ("exec", "query", "fetch", "write",
 * "flush", "commit") fail with code (an SL_E* value) and an "injected
 * failure" message, without reaching the server. n >= 1. The same mechanism
 * as SLUICE_FAULT (docs/testing.md), for one connection.
 */
int sl_conn_fault_arm(sl_conn *c, const char *op, long n, int code);

typedef struct sl_introspect_opts {
	const char *schema;         /* one PostgreSQL schema */
	const char *const *schemas; /* several, in this order */
	size_t nschemas;
	bool all_schemas;
	bool schemas_missing_ok; /* skip those of schemas that do not exist (none left: the default) */
	bool exact_counts;       /* count(*) every table rather than using estimates */
	bool include_sluice;     /* include sluice's own tables (sluice_*) */
} sl_introspect_opts;

#define SL_INTROSPECT_OPTS_INIT                                                                              \
	{                                                                                                    \
		.schema = NULL, .schemas = NULL, .nschemas = 0, .all_schemas = false,                        \
		.schemas_missing_ok = false, .exact_counts = true, .include_sluice = false                   \
	}

/* Reads the database's schema into a new model (caller frees with sl_schema_free). */
int sl_conn_introspect(sl_schema **out, sl_conn *c, const sl_introspect_opts *opts);

/* How a statement touches a table or column (bits; both for `SET x = x + 1`). */
enum { SL_ACCESS_READ = 1u << 0, SL_ACCESS_WRITE = 1u << 1 };

/*
 * Called for each table or column a statement touches: schema may be NULL;
 * table names a table or a view; column NULL means the table as a whole (a
 * read that names no column, as count(*), or a write of whole rows, as
 * INSERT and DELETE). The same reference may be reported more than once. The
 * strings are borrowed for the call. A non-zero return stops the walk and is
 * returned by sl_conn_statement_columns().
 */
typedef int (*sl_touch_fn)(void *ud, const char *schema, const char *table, const char *column,
			   unsigned access);

/*
 * Derives the tables and columns one statement reads and writes, without
 * running it: SQLite prepares it under an authorizer, PostgreSQL resolves
 * libpg_query's parse tree against model, MySQL reads the server's
 * rewritten statement from EXPLAIN. model is the connection's schema
 * (sl_conn_introspect); reads through a view are reported as reads of the
 * view, and what triggers do is not reported. A statement that does not
 * parse or names something that does not exist is SL_EINVALID with the
 * engine's message; *error_offset (may be NULL) is then the byte offset in
 * sql the engine points at, or -1. No open cursor may be on c.
 */
int sl_conn_statement_columns(sl_conn *c, const char *sql, const sl_schema *model, sl_touch_fn fn, void *ud,
			      long *error_offset);

#ifdef __cplusplus
}
#endif
#endif
