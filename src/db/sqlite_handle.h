/*
 * sqlite_handle.h - the SQLite driver's handle and rehearsal hooks, for the
 * other files of the SQLite driver in src/db/ only (it includes sqlite3.h,
 * which nothing outside src/db/ may). Contracts of the hooks are in
 * include/sluice/sys/driver.h.
 */
#ifndef SLUICE_DB_SQLITE_HANDLE_H
#define SLUICE_DB_SQLITE_HANDLE_H

#include <sqlite3.h>

#include "sluice/sys/driver.h"

/* Borrowed: the sqlite3 handle of a SQLite connection (NULL after sever). */
sqlite3 *sl_sqlite_handle(sl_conn *c);

int sl_sqlite_scratch_url(const sl_conn *c, sl_url *u, const char *name);
int sl_sqlite_scratch_create(sl_conn *c, const char *name, bool clone, bool *cloned);
int sl_sqlite_scratch_list(sl_conn *c, const char *prefix, sl_name_fn fn, void *ud);
int sl_sqlite_scratch_drop(sl_conn *c, const char *name);
int sl_sqlite_session_id(sl_conn *c, int64_t *out);
int sl_sqlite_observe_locks(sl_conn *observer, int64_t session, sl_lock_fn fn, void *ud);
int sl_sqlite_table_storage(sl_conn *c, sl_name_fn fn, void *ud);
int sl_sqlite_rewrite_how(const sl_conn *c, int64_t changes, char *note, size_t n, bool *blocks_writes);
int sl_sqlite_set_fk_checks(sl_conn *c, bool on);

#endif
