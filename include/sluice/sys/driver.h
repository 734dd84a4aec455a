/*
 * sys/driver.h - the interface a database driver implements.
 *
 * For driver authors only; library users see include/sluice/conn.h. A driver
 * is a constant table of function pointers. Its connection, cursor and writer
 * types embed the base structs below as their FIRST member, so the core can
 * hand the base pointer around and the driver can cast it back.
 *
 * Adding a driver: implement every function below (none may be NULL, except
 * the optional table of sync hooks), set
 * the capability bits honestly, add the table to the list in src/db/conn.c,
 * add the scheme to src/db/url.c, and run tests/integration with it.
 * docs/ARCHITECTURE.md has the checklist.
 */
#ifndef SLUICE_SYS_DRIVER_H
#define SLUICE_SYS_DRIVER_H

#include "sluice/conn.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SL_DRIVER_VERSION 1

typedef struct sl_driver sl_driver;

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
	/* fault injection (SLUICE_FAULT, docs/testing.md), maintained by the core */
	char fault_op[16];
	long fault_at;
	long fault_calls;
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

	/* Change capture and apply (above); NULL when the engine has none. */
	const sl_sync_ops *sync;
};

extern const sl_driver sl_driver_sqlite;
extern const sl_driver sl_driver_postgres;
extern const sl_driver sl_driver_mysql;
extern const sl_sync_ops sl_pg_sync_ops, sl_my_sync_ops, sl_sqlite_sync_ops;

/* Shared helpers for drivers (src/db/quote.c). */
/* Appends ident wrapped in q, doubling any q inside: "a""b" or `a``b`. */
int sl_quote_ident_with(sl_buf *out, const char *ident, char q);
/* Appends 'text' with quotes doubled; backslashes doubled too when escape_backslash. */
int sl_quote_string(sl_buf *out, const char *s, size_t len, bool escape_backslash);
/* For capture_list (src/db/capture.c): runs sql (two text columns) and appends "a<TAB>b\n" per row. */
int sl_capture_list_query(sl_conn *c, const char *sql, sl_buf *out);
/* For log_delete: DELETE ... WHERE seq IN (...) in chunks of 1000. */
int sl_capture_log_delete_in(sl_conn *c, const int64_t *seqs, size_t n);

#ifdef __cplusplus
}
#endif
#endif
