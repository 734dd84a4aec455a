/*
 * url.h - database URLs: which engine, where, and how to show it safely.
 *
 * Accepted forms (docs/urls.md):
 *   sqlite:PATH   sqlite://PATH   sqlite::memory:   sqlite:file:...?mode=ro (SQLite URI)
 *   sqlite:PATH?mode=rwc&...          (SQLite URI parameters after a plain path)
 *   postgres://... postgresql://...   (libpq URL; PG* variables and .pgpass apply)
 *   postgres:KEY=VALUE ...            (libpq keyword form after the scheme)
 *   mysql://[user[:password]@][host][:port][/database][?option=value&...]
 *   mariadb://...                     (same as mysql://)
 * The password never appears in sl_url_redacted() and never in an error.
 */
#ifndef SLUICE_URL_H
#define SLUICE_URL_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sl_engine {
	SL_ENGINE_NONE = 0,
	SL_ENGINE_SQLITE,
	SL_ENGINE_POSTGRES,
	SL_ENGINE_MYSQL
} sl_engine;

typedef struct sl_url_param {
	char *key;
	char *value;
} sl_url_param;

typedef struct sl_url {
	sl_engine engine;
	char *raw;      /* as given: may hold a password, never print it */
	char *redacted; /* safe to print: password replaced by "***" */
	char *conninfo; /* postgres: the string handed to libpq */
	char *path;     /* sqlite: what SQLite opens: a file path, ":memory:" or a file: URI */
	char *file;     /* sqlite: the file itself (NULL in memory), which must exist unless create */
	char *user;     /* mysql: decoded parts, NULL when absent */
	char *password;
	char *host;
	int port; /* 0 when absent */
	char *database;
	sl_url_param *params;
	size_t nparams;
	/*
	 * SQLite: create the file when it does not exist. Only a target may be
	 * created: the URL asks with ?mode=rwc, and commands that write set it
	 * (copy's target, up, baseline). Without it a missing file is an error
	 * ("no such SQLite file"), never a new empty database.
	 */
	bool create;
} sl_url;

/* Parses s. On SL_EINVALID the error names the part that is wrong. */
int sl_url_parse(sl_url **out, const char *s);
void sl_url_free(sl_url *u);
/*
 * Points u at another database of the same server (for scratch databases):
 * the parsed parts, the string handed to libpq and the redacted form all
 * change together. Not for SQLite, whose "database" is the file path.
 */
int sl_url_set_database(sl_url *u, const char *database);
/* Sets the password the connection will use (replacing the URL's own), on every engine. */
int sl_url_set_password(sl_url *u, const char *password);
/* Borrowed: the value of ?key=... or NULL. */
const char *sl_url_param_get(const sl_url *u, const char *key);
const char *sl_engine_name(sl_engine e);

#ifdef __cplusplus
}
#endif
#endif
