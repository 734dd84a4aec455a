/*
 * my_internal.h - private structures of the MySQL/MariaDB driver, shared by
 * src/db/mysql.c (connection, queries, quoting, locks) and
 * src/db/mysql_writer.c (the LOAD DATA LOCAL INFILE bulk writer).
 *
 * Nothing outside those two files includes this header. docs/drivers/mysql.md
 * describes the behaviour users see.
 */
#ifndef SLUICE_DB_MY_INTERNAL_H
#define SLUICE_DB_MY_INTERNAL_H

#include "sluice/sys/driver.h"

#include <mysql.h>

/*
 * The bytes LOAD DATA LOCAL INFILE reads. The infile handler installed at
 * open serves only this buffer (never a file named by the server), so a
 * server asking for "/etc/passwd" gets the pending batch or nothing.
 */
typedef struct my_infile {
	const char *data;
	size_t len;
	size_t pos;
} my_infile;

typedef struct my_conn {
	sl_conn base; /* must stay first */
	MYSQL *mysql;
	bool no_backslash; /* sql_mode has NO_BACKSLASH_ESCAPES */
	bool mariadb;
	unsigned long version; /* mysql_get_server_version(): 100811 for 10.8.11 */
	my_infile infile;      /* what the next LOAD DATA LOCAL reads */
} my_conn;

/* Sets the error from the connection's last failure: SL_EDB, or SL_ECONNECT when the link is gone. */
int my_fail(my_conn *mc, const char *what);

/* Runs sql (one statement or several) and discards any result sets. */
int my_run(my_conn *mc, const char *sql, size_t len);

/* Appends s as a string literal that is valid under the session's sql_mode. */
int my_quote_string(const my_conn *mc, sl_buf *out, const char *s, size_t len);

/* Appends "YYYY-MM-DD HH:MM:SS[.ffffff]" (MySQL wants a space, not 'T'). */
int my_format_datetime(sl_buf *out, int64_t usec);

/* Writer entry points (mysql_writer.c). */
int my_writer_open(sl_writer **out, sl_conn *c, const char *schema, const char *table,
		   const char *const *columns, size_t ncolumns);
int my_writer_write(sl_writer *w, const sl_batch *b);
int my_writer_flush(sl_writer *w);
void my_writer_free(sl_writer *w);

/* Rehearsal hooks (mysql_rehearse.c); contracts in include/sluice/sys/driver.h. */
int my_scratch_url(const sl_conn *c, sl_url *u, const char *name);
int my_scratch_create(sl_conn *c, const char *name, bool clone, bool *cloned);
int my_scratch_list(sl_conn *c, const char *prefix, sl_name_fn fn, void *ud);
int my_scratch_drop(sl_conn *c, const char *name);
int my_session_id(sl_conn *c, int64_t *out);
int my_observe_locks(sl_conn *observer, int64_t session, sl_lock_fn fn, void *ud);
int my_table_storage(sl_conn *c, sl_name_fn fn, void *ud);
int my_rewrite_how(const sl_conn *c, int64_t changes, char *note, size_t n, bool *blocks_writes);
int my_set_fk_checks(sl_conn *c, bool on);
void my_sever(sl_conn *c);

/* Dialect and session hooks (my_dialect.c); contracts in include/sluice/sys/driver.h. */
extern const sl_dialect sl_my_dialect;
int my_bulk_session(sl_conn *c, bool load);
int my_bulk_fk_checks(sl_conn *c, bool on);
int my_fk_violations(sl_conn *c, sl_fk_violation_fn fn, void *ud);
int my_read_only(sl_conn *c);
int my_table_exists(sl_conn *c, const char *table);
bool my_error_is(const sl_error *e, sl_error_class k);

#endif
