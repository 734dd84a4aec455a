/*
 * error.h - the one error convention of libsluice.
 *
 * Every fallible function returns int: 0 on success, a negative SL_E* code on
 * failure. The human message (and, for database errors, the engine's code and
 * SQLSTATE) is kept in a thread-local error object read with sl_error_last().
 * Callers that add context use sl_error_prefix() so the lower-level message is
 * kept, never replaced: "inspect "app.db": no such table "x"".
 */
#ifndef SLUICE_ERROR_H
#define SLUICE_ERROR_H

#include <stdarg.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Return codes. The CLI maps them to exit codes (docs/exit-codes.md). */
enum {
	SL_OK = 0,
	SL_ERROR = -1,         /* generic failure */
	SL_EINVALID = -2,      /* bad input: usage, URL, config, file format */
	SL_EDB = -3,           /* the database reported an error */
	SL_ECONNECT = -4,      /* could not reach or log in to a database */
	SL_ELOCKED = -5,       /* a lock is held by another run */
	SL_ENOTFOUND = -6,     /* a named object does not exist */
	SL_ECONFLICT = -7,     /* state disagrees (drift, dirty migration, ...) */
	SL_ENOMEM = -8,        /* out of memory or a size limit exceeded */
	SL_EIO = -9,           /* operating system I/O error */
	SL_ECHECK = -10,       /* checks or diff found problems past a threshold */
	SL_EINTERRUPTED = -11, /* stopped by a signal or a halt rule */
	SL_EREFUSED = -12      /* refused to protect data: same database, tables it did not create */
};

typedef struct sl_error {
	int code;         /* the SL_E* code of the failure */
	char *message;    /* never NULL after a failure; "" when cleared */
	char sqlstate[6]; /* SQLSTATE for database errors, "" otherwise */
	int engine_code;  /* engine's own error number (MySQL errno), or 0 */
} sl_error;

/* The calling thread's last error. Borrowed: valid until the next sl_error_* call. */
const sl_error *sl_error_last(void);

/* Sets the thread's error and returns code, so callers can `return sl_error_set(...)`. */
int sl_error_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int sl_error_setv(int code, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Like sl_error_set, also recording the SQLSTATE (may be NULL) and engine code. */
int sl_error_set_db(int code, const char *sqlstate, int engine_code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Prepends "<context>: " to the current message; keeps code and SQLSTATE. */
void sl_error_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Records an allocation failure; returns SL_ENOMEM. */
int sl_error_nomem(void);

void sl_error_clear(void);

/* A short name of a code ("database error"), for logs. */
const char *sl_error_name(int code);

/*
 * True when rc, with the thread's last error, says a connection was lost or
 * could not be made - what waiting and reconnecting may cure: SL_ECONNECT,
 * or a database error of SQLSTATE class 08 (connection exception), 57P01-03
 * (the server is shutting down, crashed or starting up) or 70100 (MySQL: the
 * query or connection was killed). Sync reconnects on these; watch records
 * them as a gap rather than a result.
 */
bool sl_error_is_disconnect(int rc);

#ifdef __cplusplus
}
#endif
#endif
