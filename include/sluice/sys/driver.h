/*
 * sys/driver.h - the interface a database driver implements.
 *
 * For driver authors only; library users see include/sluice/conn.h. A driver
 * is a constant table of function pointers. Its connection, cursor and writer
 * types embed the base structs below as their FIRST member, so the core can
 * hand the base pointer around and the driver can cast it back.
 *
 * Adding a driver: implement every function below (none may be NULL; the
 * expand dialect table may be), set
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

	/* The SQL of expand/contract migrations (sys/expand_dialect.h); NULL when the engine has none. */
	const sl_expand_dialect *expand;
};

extern const sl_driver sl_driver_sqlite;
extern const sl_driver sl_driver_postgres;
extern const sl_driver sl_driver_mysql;

/* Shared helpers for drivers (src/db/quote.c). */
/* Appends ident wrapped in q, doubling any q inside: "a""b" or `a``b`. */
int sl_quote_ident_with(sl_buf *out, const char *ident, char q);
/* Appends 'text' with quotes doubled; backslashes doubled too when escape_backslash. */
int sl_quote_string(sl_buf *out, const char *s, size_t len, bool escape_backslash);

#ifdef __cplusplus
}
#endif
#endif
