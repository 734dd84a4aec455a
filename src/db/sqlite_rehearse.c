/*
 * sqlite_rehearse.c - the SQLite driver's rehearsal hooks
 * (include/sluice/sys/driver.h, "Rehearsal support"). A scratch database is
 * a file <name>.db in the directory of the source file, made with the online
 * backup API (a consistent copy while others keep reading and writing);
 * leftovers are found by listing that directory. A table's storage is its
 * root page: the usual SQLite table rebuild (create, copy, drop, rename)
 * gives it a new one. A write transaction locks the whole file
 * (SL_CAP_DB_WRITE_LOCK), so there is nothing finer to observe.
 */
#include "db/sqlite_handle.h"

#include "sluice/error.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The directory of c's database file ("." when it has none); SL_EINVALID for memory and URIs. */
static int db_dir(const sl_conn *c, char *out, size_t n)
{
	const char *path = sl_conn_database(c);
	if (!*path || strcmp(path, ":memory:") == 0 || strncmp(path, "file:", 5) == 0)
		return sl_error_set(SL_EINVALID,
				    "%s: scratch databases need a plain database file beside which to live",
				    sl_conn_display(c));
	const char *slash = strrchr(path, '/');
	if (!slash)
		snprintf(out, n, ".");
	else if (slash == path)
		snprintf(out, n, "/");
	else
		snprintf(out, n, "%.*s", (int)(slash - path), path);
	return 0;
}

static int scratch_path(const sl_conn *c, const char *name, char *out, size_t n)
{
	char dir[4096];
	int rc = db_dir(c, dir, sizeof(dir));
	if (!rc && (size_t)snprintf(out, n, "%s/%s.db", dir, name) >= n)
		rc = sl_error_set(SL_EINVALID, "scratch path too long");
	return rc;
}

int sl_sqlite_scratch_url(const sl_conn *c, sl_url *u, const char *name)
{
	char path[4200];
	sl_buf raw = SL_BUF_INIT;
	int rc = scratch_path(c, name, path, sizeof(path));
	if (!rc)
		rc = sl_buf_printf(&raw, "sqlite:%s", path);
	char *p = rc ? NULL : strdup(path), *r = rc ? NULL : strdup(sl_buf_cstr(&raw)),
	     *d = rc ? NULL : strdup(sl_buf_cstr(&raw));
	if (!rc && (!p || !r || !d))
		rc = sl_error_nomem();
	if (!rc) {
		free(u->path);
		free(u->raw);
		free(u->redacted);
		u->path = p;
		u->raw = r;
		u->redacted = d;
		p = r = d = NULL;
	}
	free(p);
	free(r);
	free(d);
	sl_buf_free(&raw);
	return rc;
}

int sl_sqlite_scratch_create(sl_conn *c, const char *name, bool clone, bool *cloned)
{
	char path[4200];
	sqlite3 *dst = NULL;
	sqlite3_backup *bk = NULL;
	int rc = scratch_path(c, name, path, sizeof(path));
	*cloned = false;
	if (rc)
		return rc;
	if (access(path, F_OK) == 0)
		return sl_error_set(SL_ECONFLICT, "\"%s\" exists already", path);
	int src = sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (src == SQLITE_OK && clone) {
		bk = sqlite3_backup_init(dst, "main", sl_sqlite_handle(c), "main");
		if (!bk) {
			src = sqlite3_errcode(dst);
		} else {
			src = sqlite3_backup_step(bk, -1);
			int frc = sqlite3_backup_finish(bk);
			src = src == SQLITE_DONE ? frc : src;
			*cloned = src == SQLITE_OK;
		}
	}
	if (src != SQLITE_OK)
		rc = sl_error_set_db(SL_EDB, NULL, src, "\"%s\": %s", path,
				     dst ? sqlite3_errmsg(dst) : sqlite3_errstr(src));
	sqlite3_close_v2(dst);
	if (rc)
		unlink(path);
	return rc;
}

int sl_sqlite_scratch_list(sl_conn *c, const char *prefix, sl_name_fn fn, void *ud)
{
	char dir[4096];
	int rc = db_dir(c, dir, sizeof(dir));
	DIR *d = rc ? NULL : opendir(dir);
	if (!rc && !d)
		rc = sl_error_set(SL_EIO, "list \"%s\": %s", dir, strerror(errno));
	struct dirent *e;
	size_t plen = strlen(prefix);
	while (!rc && d && (e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len <= plen + 3 || strncmp(e->d_name, prefix, plen) != 0 ||
		    strcmp(e->d_name + len - 3, ".db") != 0)
			continue;
		char name[256];
		snprintf(name, sizeof(name), "%.*s", (int)(len - 3), e->d_name);
		rc = fn(ud, name, NULL);
	}
	if (d)
		closedir(d);
	return rc;
}

int sl_sqlite_scratch_drop(sl_conn *c, const char *name)
{
	static const char *const suffix[] = { "", "-journal", "-wal", "-shm" };
	char path[4200], p[4300];
	int rc = scratch_path(c, name, path, sizeof(path));
	for (size_t i = 0; !rc && i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
		if (unlink(p) != 0 && errno != ENOENT)
			rc = sl_error_set(SL_EIO, "remove \"%s\": %s", p, strerror(errno));
	}
	return rc;
}

int sl_sqlite_session_id(sl_conn *c, int64_t *out)
{
	(void)c;
	*out = 0;
	return 0;
}

int sl_sqlite_observe_locks(sl_conn *observer, int64_t session, sl_lock_fn fn, void *ud)
{
	(void)observer;
	(void)session;
	(void)fn;
	(void)ud;
	return 0; /* SL_CAP_DB_WRITE_LOCK instead */
}

int sl_sqlite_table_storage(sl_conn *c, sl_name_fn fn, void *ud)
{
	return sl_db_each_row(c,
			      "SELECT name, rootpage FROM sqlite_schema WHERE type = 'table' "
			      "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
			      fn, ud);
}

int sl_sqlite_rewrite_how(const sl_conn *c, int64_t changes, char *note, size_t n, bool *blocks_writes)
{
	(void)c;
	(void)changes;
	snprintf(note, n, "new root page: the table was rebuilt (created anew and filled)");
	*blocks_writes = true;
	return 0;
}

int sl_sqlite_set_fk_checks(sl_conn *c, bool on)
{
	return sl_conn_exec(c, on ? "PRAGMA foreign_keys = ON" : "PRAGMA foreign_keys = OFF");
}
