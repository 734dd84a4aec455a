/*
 * error.c - the thread-local last error (see include/sluice/error.h).
 *
 * The message buffer is owned by the thread and grows as needed. An allocation
 * failure while formatting falls back to a static message, so reporting an
 * error can never itself fail. A pthread key's destructor frees the buffer
 * when a thread that reported an error exits (copy workers do).
 */
#include "sluice/error.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local sl_error tl_err = { .code = 0, .message = NULL };
static _Thread_local char *tl_buf;

static char nomem_msg[] = "out of memory";
static char empty_msg[] = "";

static pthread_key_t exit_key;
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;

/* Runs at thread exit with the thread's buffer (the value set below). */
static void free_at_exit(void *buf)
{
	free(buf);
	tl_buf = NULL;
}

static void make_key(void)
{
	pthread_key_create(&exit_key, free_at_exit);
}

static void store(char *msg)
{
	if (tl_buf && tl_buf != msg)
		free(tl_buf);
	tl_buf = msg;
	tl_err.message = msg ? msg : nomem_msg;
	pthread_once(&exit_once, make_key);
	pthread_setspecific(exit_key, msg);
}

__attribute__((format(printf, 1, 0))) static char *vformat(const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return NULL;
	char *s = malloc((size_t)n + 1);
	if (!s)
		return NULL;
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

const sl_error *sl_error_last(void)
{
	if (!tl_err.message)
		tl_err.message = empty_msg;
	return &tl_err;
}

int sl_error_setv(int code, const char *fmt, va_list ap)
{
	store(vformat(fmt, ap));
	tl_err.code = code;
	tl_err.sqlstate[0] = '\0';
	tl_err.engine_code = 0;
	return code;
}

int sl_error_set(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sl_error_setv(code, fmt, ap);
	va_end(ap);
	return code;
}

int sl_error_set_db(int code, const char *sqlstate, int engine_code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sl_error_setv(code, fmt, ap);
	va_end(ap);
	if (sqlstate) {
		strncpy(tl_err.sqlstate, sqlstate, sizeof(tl_err.sqlstate) - 1);
		tl_err.sqlstate[sizeof(tl_err.sqlstate) - 1] = '\0';
	}
	tl_err.engine_code = engine_code;
	return code;
}

void sl_error_prefix(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *ctx = vformat(fmt, ap);
	va_end(ap);
	if (!ctx)
		return;
	const char *old = tl_err.message ? tl_err.message : "";
	size_t n = strlen(ctx) + strlen(old) + 3;
	char *s = malloc(n);
	if (s) {
		snprintf(s, n, "%s: %s", ctx, old);
		store(s);
	}
	free(ctx);
}

int sl_error_nomem(void)
{
	store(NULL);
	tl_err.code = SL_ENOMEM;
	tl_err.sqlstate[0] = '\0';
	tl_err.engine_code = 0;
	return SL_ENOMEM;
}

void sl_error_clear(void)
{
	store(NULL);
	tl_err.message = empty_msg;
	tl_err.code = 0;
	tl_err.sqlstate[0] = '\0';
	tl_err.engine_code = 0;
}

const char *sl_error_name(int code)
{
	switch (code) {
	case SL_OK:
		return "ok";
	case SL_EINVALID:
		return "invalid input";
	case SL_EDB:
		return "database error";
	case SL_ECONNECT:
		return "connection error";
	case SL_ELOCKED:
		return "locked";
	case SL_ENOTFOUND:
		return "not found";
	case SL_ECONFLICT:
		return "conflict";
	case SL_ENOMEM:
		return "out of memory";
	case SL_EIO:
		return "i/o error";
	case SL_ECHECK:
		return "check failed";
	case SL_EINTERRUPTED:
		return "interrupted";
	case SL_EREFUSED:
		return "refused";
	default:
		return "error";
	}
}

bool sl_error_is_disconnect(int rc)
{
	if (rc == SL_ECONNECT)
		return true;
	if (rc != SL_EDB)
		return false;
	const char *st = tl_err.sqlstate;
	return strncmp(st, "08", 2) == 0 || strcmp(st, "57P01") == 0 || strcmp(st, "57P02") == 0 ||
	       strcmp(st, "57P03") == 0 || strcmp(st, "70100") == 0;
}
