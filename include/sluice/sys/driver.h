/*
 * sys/driver.h - the interface a database driver implements.
 *
 * For driver authors only; library users see include/sluice/conn.h. A driver
 * is a constant table of function pointers. Its connection, cursor and writer
 * types embed the base structs below as their FIRST member, so the core can
 * hand the base pointer around and the driver can cast it back.
 *
 * Adding a driver: implement every function below (none may be NULL, except
 * the optional tables of sync, freeze and snapshot hooks and the dialect's optional row-hash
 * spellings), fill a dialect descriptor (sluice/dialect.h), set
 * the capability bits honestly, add the table to the list in src/db/conn.c,
 * add the scheme to src/db/url.c, and run tests/integration with it.
 * docs/ARCHITECTURE.md has the checklist.
 */
#ifndef SLUICE_SYS_DRIVER_H
#define SLUICE_SYS_DRIVER_H

#include "sluice/conn.h"
#include "sluice/dialect.h"
#include "sluice/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SL_DRIVER_VERSION 3

typedef struct sl_driver sl_driver;
typedef struct sl_expand_dialect sl_expand_dialect;

/* Base of every connection. The core fills drv and display after open. */
struct sl_conn {
	const sl_driver *drv;
	char *display;           /* redacted URL; owned by the core */
	unsigned caps;           /* set by the driver's open */
	char server_version[64]; /* set by the driver's open */
	char *database;          /* set by the driver's open (malloc'd; the core frees it) */
	int64_t changes;         /* rows changed by the last exec, -1 unknown */
	bool in_tx;              /* maintained by the core's begin/commit/rollback wrappers */
	sl_cursor *open_cursor;  /* the one open cursor, maintained by the core */
	/* fault injection (SLUICE_FAULT, sl_conn_fault_arm; docs/testing.md), maintained by the core */
	char fault_op[16];
	long fault_at;
	long fault_calls;
	int fault_code; /* SL_E* the injected failure returns */
	bool severed;   /* sl_conn_sever() cut the connection: every later call fails */
};

/* Base of every cursor. The driver fills ncols and cols in query. */
struct sl_cursor {
	sl_conn *conn;
	size_t ncols;
	sl_colinfo *cols; /* owned by the driver's cursor */
};

/* Base of every writer. */
struct sl_writer {
	sl_conn *conn;
	size_t ncols;
	uint64_t rows; /* rows accepted so far */
};

/*
 * Change capture and apply for `sluice sync` (include/sluice/capture.h, docs/sync.md).
 * Every piece of engine-specific SQL that sync needs lives behind these hooks;
 * src/sync/ writes only portable SQL itself. A driver without them leaves
 * sl_driver.sync NULL and does not set SL_CAP_CAPTURE.
 *
 * The change log is SL_CAPTURE_LOG in the connection's default schema, with
 * the columns seq (a monotonic integer key), tbl, op ('I', 'U', 'D'), k (the
 * row's key as a JSON array, one element per key column in key order), tx
 * (the writing transaction's id where the engine exposes one, else NULL) and
 * ts (the engine's clock). Triggers log one row per changed key and
 * statement; an update that changes the key logs the old and the new key.
 */
#define SL_CAPTURE_LOG "sluice_sync_log"

typedef struct sl_capture_table {
	const char *schema; /* the table's schema, NULL for the default */
	const char *table;
	const char *const *key; /* key columns, in key order */
	size_t nkey;
	const char *name; /* base for the names of the triggers and functions (an identifier
			     of [a-z0-9_], at most 48 bytes, starting "sluice_sync_") */
} sl_capture_table;

typedef struct sl_sync_ops {
	/* Creates the change log (fails when it exists). In the caller's transaction, if any. */
	int (*log_create)(sl_conn *c);
	/*
	 * Prepares a session that reads and deletes change-log rows so that a
	 * transaction holding an uncommitted log row blocks neither the read nor
	 * the delete of other rows (MySQL: READ COMMITTED, whose semi-consistent
	 * reads skip rows locked by others; a no-op where that is the default).
	 */
	int (*log_session)(sl_conn *c);
	/*
	 * Deletes the change-log rows with these seq values, by identity, in the
	 * caller's transaction. It must lock nothing but those rows: a concurrent
	 * transaction holding an uncommitted log row must not make it wait.
	 */
	int (*log_delete)(sl_conn *c, const int64_t *seqs, size_t n);
	/* Installs the capture triggers of t (and any function they need). */
	int (*capture_add)(sl_conn *c, const sl_capture_table *t);
	/* Removes what capture_add made; objects already gone are no error. */
	int (*capture_drop)(sl_conn *c, const sl_capture_table *t);
	/*
	 * Lists every trigger in the database whose name starts with "sluice_sync_",
	 * whoever made it, as lines "table<TAB>trigger\n" appended to out.
	 */
	int (*capture_list)(sl_conn *c, sl_buf *out);
	/*
	 * Creates (when absent) the staging table stage with the columns of table
	 * (same names and types, no keys or constraints that could refuse a row).
	 * Called outside a transaction; the stage may be a session's temporary
	 * table or a regular one (the core drops it by name when sync stops).
	 */
	int (*stage_create)(sl_conn *c, const char *table, const char *stage);
	/*
	 * Inserts every row of stage into table, updating the row with the same
	 * key (key columns, a primary or unique key of table) where one exists,
	 * then empties stage. Runs in the caller's transaction.
	 */
	int (*stage_merge)(sl_conn *c, const char *table, const char *stage, const char *const *cols,
			   size_t ncols, const char *const *key, size_t nkey);
	/*
	 * Turns this session's foreign key enforcement (and, where the engine ties
	 * them together, user triggers) off or back on, outside a transaction.
	 * SL_EDB when the user may not (then the caller applies with it on).
	 */
	int (*apply_mode)(sl_conn *c, bool replica);
} sl_sync_ops;

/*
 * Write freeze for `sluice cutover` (include/sluice/freeze.h, docs/runbook.md,
 * "freeze"). A fence is a set of deny-write triggers on chosen tables; each
 * raises an error while the fence table SL_FREEZE_TABLE holds its token's row
 * with a deadline (the server's clock, UTC microseconds) still ahead. The
 * trigger itself compares the deadline with the server's clock, so the fence
 * lifts itself at the deadline even when nothing is left running to remove
 * it. The fence table and the arming of a token are portable SQL
 * (src/db/freeze.c); what each engine writes differently is here. A driver
 * without these hooks leaves sl_driver.freeze NULL (SL_CAP_FREEZE unset).
 */
#define SL_FREEZE_TABLE "sluice_freeze"

typedef struct sl_fence_table {
	const char *schema; /* the table's schema, NULL for the default */
	const char *table;
	const char *token; /* the fence's row in SL_FREEZE_TABLE ([a-z0-9_-], at most 64 bytes) */
	const char *name;  /* base for trigger names ([a-z0-9_], at most 56 bytes, "sluice_freeze_...") */
} sl_fence_table;

typedef struct sl_freeze_ops {
	/* The server's clock now, UTC microseconds: the clock the fence triggers compare with. */
	int (*clock)(sl_conn *c, int64_t *now_us);
	/*
	 * Installs the deny-write triggers of t (BEFORE INSERT, UPDATE, DELETE,
	 * and TRUNCATE where the engine fires triggers on it), raising unless the
	 * token's deadline has passed or the writing transaction passes (below).
	 * Runs in the caller's transaction where DDL is transactional.
	 */
	int (*fence_add)(sl_conn *c, const sl_fence_table *t);
	/* Removes what fence_add made; objects already gone are no error. */
	int (*fence_drop)(sl_conn *c, const sl_fence_table *t);
	/* Appends "table<TAB>trigger\n" for every trigger named sluice_freeze_* in the database. */
	int (*fence_list)(sl_conn *c, sl_buf *out);
	/*
	 * Marks (on) the current transaction as one that writes through fences
	 * (sync's applier carrying changes back into a frozen database), or
	 * clears the mark (off, before commit). Only that transaction may see
	 * the mark: a session setting that ends with the transaction, or a row
	 * that is never committed.
	 */
	int (*pass)(sl_conn *c, bool on);
	/* Drops the shared objects fence_add made (functions, tables) once no fence is left. */
	int (*cleanup)(sl_conn *c);
} sl_freeze_ops;

/*
 * Consistent snapshots for distributed copies (sl_conn_snapshot_export,
 * sl_conn_snapshot_begin in conn.h). A driver without them leaves
 * sl_driver.snapshot NULL (SL_CAP_SNAPSHOT_READ unset): each read is then
 * whatever one statement sees. export may be NULL (SL_CAP_SNAPSHOT_EXPORT
 * unset) when a snapshot cannot be shared between sessions.
 */
typedef struct sl_snapshot_ops {
	/* Begins a REPEATABLE READ transaction and writes its exported snapshot's name into id[n]. */
	int (*export_snapshot)(sl_conn *c, char *id, size_t n);
	/*
	 * Begins a read-only transaction on snapshot id (NULL: a consistent
	 * snapshot taken now); SL_ENOTFOUND, with the transaction closed, when
	 * id no longer exists. pos[n]: the change-log position of the snapshot
	 * where the engine tells it, "" otherwise.
	 */
	int (*begin_snapshot)(sl_conn *c, const char *id, char *pos, size_t n);
} sl_snapshot_ops;

struct sl_driver {
	int version;      /* SL_DRIVER_VERSION */
	const char *name; /* "sqlite", "postgres", "mysql" */
	sl_engine engine;

	/* Allocates the driver's connection (base first) and connects. */
	int (*open)(sl_conn **out, const sl_url *url);
	/* Disconnects and frees the driver's part (not display/database: the core frees those). */
	void (*close)(sl_conn *c);

	int (*exec)(sl_conn *c, const char *sql);
	int (*query)(sl_cursor **out, sl_conn *c, const char *sql);
	int (*fetch)(sl_cursor *cur, sl_batch *b, size_t max_rows);
	void (*cursor_close)(sl_cursor *cur);

	int (*begin)(sl_conn *c);
	int (*commit)(sl_conn *c);
	int (*rollback)(sl_conn *c);
	int (*savepoint)(sl_conn *c, const char *name);
	int (*release)(sl_conn *c, const char *name);
	int (*rollback_to)(sl_conn *c, const char *name);

	int (*lock)(sl_conn *c, const char *name, int timeout_ms);
	int (*unlock)(sl_conn *c, const char *name);

	int (*quote_ident)(const sl_conn *c, sl_buf *out, const char *ident);
	int (*quote_literal)(const sl_conn *c, sl_buf *out, const sl_value *v);

	int (*writer_open)(sl_writer **out, sl_conn *c, const char *schema, const char *table,
			   const char *const *columns, size_t ncolumns);
	int (*writer_write)(sl_writer *w, const sl_batch *b);
	int (*writer_flush)(sl_writer *w);
	void (*writer_free)(sl_writer *w);

	int (*introspect)(sl_schema **out, sl_conn *c, const sl_introspect_opts *opts);
	/* Fills out with what the engine says about where c is connected (conn.h). */
	int (*identity)(sl_conn *c, sl_db_identity *out);

	/*
	 * ---- Rehearsal support (version 2; `sluice rehearse`, src/rehearse/) ----
	 * Scratch databases live beside c's database: on the same server, or for
	 * SQLite as a file in the same directory. Names are given by the caller
	 * (letters, digits and '_'; the core checks). Every hook is required; an
	 * engine that cannot do a thing says so through a capability bit
	 * (SL_CAP_LOCK_OBSERVE, SL_CAP_DB_WRITE_LOCK) or the documented fallback.
	 */
	/* Points u (parsed from the URL c was opened with) at scratch database name. */
	int (*scratch_url)(const sl_conn *c, sl_url *u, const char *name);
	/*
	 * Creates scratch database name. With clone, makes it an exact copy of c's
	 * database when the engine can do that natively without blocking other
	 * sessions (SQLite: the online backup API; PostgreSQL: CREATE DATABASE
	 * ... TEMPLATE when no other session is connected - c itself is
	 * disconnected and reconnected around it) and sets *cloned; otherwise
	 * (MySQL, a busy PostgreSQL database) creates it empty, *cloned false.
	 */
	int (*scratch_create)(sl_conn *c, const char *name, bool clone, bool *cloned);
	/* Calls fn(ud, name, NULL) for every scratch database whose name starts with prefix. */
	int (*scratch_list)(sl_conn *c, const char *prefix, sl_name_fn fn, void *ud);
	/* Drops scratch database name (no error when it does not exist). */
	int (*scratch_drop)(sl_conn *c, const char *name);
	/* The server's id of c's session (PostgreSQL backend pid, MySQL connection id; SQLite 0). */
	int (*session_id)(sl_conn *c, int64_t *out);
	/*
	 * SL_CAP_LOCK_OBSERVE only: from observer (another session on the same
	 * database), the table locks session holds or waits for, one fn call each.
	 * Others return 0 without calling fn.
	 */
	int (*observe_locks)(sl_conn *observer, int64_t session, sl_lock_fn fn, void *ud);
	/*
	 * Calls fn(ud, table, storage) for every table of c's database (schema):
	 * storage identifies the table's physical storage (PostgreSQL relfilenode,
	 * InnoDB table id, SQLite root page), so a changed value means the table
	 * was rewritten. Runs on c itself: it sees c's uncommitted DDL.
	 */
	int (*table_storage)(sl_conn *c, sl_name_fn fn, void *ud);
	/*
	 * Describes a rewrite the last statement on c made (called only when a
	 * table's storage changed); changes is sl_conn_changes() after it. Writes
	 * a short note ("ALGORITHM=COPY: 1200 rows copied") and whether writers
	 * to the table were blocked for the whole statement.
	 */
	int (*rewrite_how)(const sl_conn *c, int64_t changes, char *note, size_t n, bool *blocks_writes);
	/* Turns foreign-key enforcement of c's session off or on (sampling a scratch database). */
	int (*set_fk_checks)(sl_conn *c, bool on);
	/*
	 * Cuts the connection as a network failure would: the server sees the
	 * session end and rolls back its open transaction (SQLite: the open
	 * transaction is rolled back and the handle closed). The core then fails
	 * every call on c with SL_ECONNECT; close() must still work.
	 */
	void (*sever)(sl_conn *c);

	/* What one statement reads and writes, without running it (sl_conn_statement_columns). */
	int (*statement_columns)(sl_conn *c, const char *sql, const sl_schema *model, sl_touch_fn fn,
				 void *ud, long *error_offset);

	/* Change capture and apply (above); NULL when the engine has none. */
	const sl_sync_ops *sync;

	/* Write freeze fences (above); NULL when the engine has none. */
	const sl_freeze_ops *freeze;

	/* The SQL of expand/contract migrations (sys/expand_dialect.h); NULL when the engine has none. */
	const sl_expand_dialect *expand;
	/*
	 * ---- SQL dialect and bulk sessions (version 3) ----
	 * What the engine's SQL looks like (sluice/dialect.h): limits, literal
	 * spellings, expressions. Constant; also reached without a connection
	 * through sl_dialect_of().
	 */
	const sl_dialect *dialect;
	/*
	 * Prepares c for a bulk copy into it (sluice copy's target sessions):
	 * settings that make the load exact (no value rewritten on the way in,
	 * UTC session time) and fast; with load, a session that loads tables in
	 * any order (foreign-key enforcement off where the engine checks them
	 * per row during a load).
	 */
	int (*bulk_session)(sl_conn *c, bool load);
	/*
	 * In a bulk session: turns the session switch that lets tables be
	 * dropped and foreign keys added whatever the order (MySQL's
	 * foreign_key_checks) off or on. Engines without one return 0.
	 */
	int (*bulk_fk_checks)(sl_conn *c, bool on);
	/*
	 * After the foreign keys of a bulk load: engines whose foreign keys are
	 * declared with the table and were not enforced during the load check
	 * them now, calling fn(ud, table, parent table, violating rows) per
	 * broken key. Engines that validate when a key is added return 0.
	 */
	int (*fk_violations)(sl_conn *c, sl_fk_violation_fn fn, void *ud);
	/* Makes c's session read-only (every later transaction). */
	int (*read_only)(sl_conn *c);
	/* Whether table (in the connection's default schema) exists: 1, 0, or a negative code. */
	int (*table_exists)(sl_conn *c, const char *table);
	/* Whether error e (from any engine) is of class k; false when it is not this engine's error. */
	bool (*error_is)(const sl_error *e, sl_error_class k);
	/* Consistent snapshots (above); NULL when the engine has none. */
	const sl_snapshot_ops *snapshot;
};

extern const sl_driver sl_driver_sqlite;
extern const sl_driver sl_driver_postgres;
extern const sl_driver sl_driver_mysql;
extern const sl_sync_ops sl_pg_sync_ops, sl_my_sync_ops, sl_sqlite_sync_ops;
extern const sl_freeze_ops sl_pg_freeze_ops, sl_my_freeze_ops, sl_sqlite_freeze_ops;
extern const sl_snapshot_ops sl_pg_snapshot_ops, sl_my_snapshot_ops;

/* Shared helpers for drivers (src/db/quote.c). */
/* Appends ident wrapped in q, doubling any q inside: "a""b" or `a``b`. */
int sl_quote_ident_with(sl_buf *out, const char *ident, char q);
/* Appends 'text' with quotes doubled; backslashes doubled too when escape_backslash. */
int sl_quote_string(sl_buf *out, const char *s, size_t len, bool escape_backslash);
/* For identity hooks (src/db/identity.c): the first value of sql as text into out[n] ("" for NULL). */
int sl_identity_text(sl_conn *c, const char *sql, char *out, size_t n);
/*
 * Runs sql on c and calls fn(ud, first column, second column or NULL) per
 * row, values formatted as text (src/db/rows.c). For the rehearsal hooks.
 */
int sl_db_each_row(sl_conn *c, const char *sql, sl_name_fn fn, void *ud);
/*
 * For table_exists hooks (src/db/rows.c): runs sql_prefix followed by name
 * as a literal (a query counting rows) and returns 1 when the count is
 * positive, 0 when not, or a negative code.
 */
int sl_db_count_named(sl_conn *c, const char *sql_prefix, const char *name);
/* For capture_list (src/db/capture.c): runs sql (two text columns) and appends "a<TAB>b\n" per row. */
int sl_capture_list_query(sl_conn *c, const char *sql, sl_buf *out);
/* For log_delete: DELETE ... WHERE seq IN (...) in chunks of 1000. */
int sl_capture_log_delete_in(sl_conn *c, const int64_t *seqs, size_t n);

#ifdef __cplusplus
}
#endif
#endif
