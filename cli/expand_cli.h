/*
 * expand_cli.h - what up, down, contract and status share for
 * expand/contract migrations: the options of the locking discipline and
 * the backfill, and the backfill's progress line (on a terminal, one line
 * rewritten in place; elsewhere a line every few seconds and at the end).
 */
#ifndef SLUICE_CLI_EXPAND_H
#define SLUICE_CLI_EXPAND_H

#include "cli.h"

#include "sluice/expand.h"

typedef struct cli_expand {
	long batch_size, throttle_ms, max_batches, ddl_lock_timeout_ms, ddl_retries;
	bool confirm;
	/* progress display */
	bool tty;
	double last_print;
	bool line_open;
} cli_expand;

#define CLI_EXPAND_INIT                                                                                      \
	{                                                                                                    \
		.batch_size = 1000, .throttle_ms = 0, .max_batches = 0, .ddl_lock_timeout_ms = 2000,         \
		.ddl_retries = 10                                                                            \
	}

/* The options of the locking discipline (up, down, contract). */
/* clang-format off */
#define CLI_EXPAND_LOCK_OPTIONS(x) \
	{ "ddl-lock-timeout", 0, CLI_INT, "MS", "expand/contract: the longest a DDL statement waits for its lock before it gives up and tries again (default 2000)", &(x)->ddl_lock_timeout_ms }, \
	{ "ddl-retries", 0, CLI_INT, "N", "expand/contract: attempts after a lock wait gave up, with a growing pause (default 10)", &(x)->ddl_retries }
#define CLI_EXPAND_BACKFILL_OPTIONS(x) \
	{ "batch-size", 0, CLI_INT, "ROWS", "expand: rows per backfill batch, each committed with its checkpoint (default 1000)", &(x)->batch_size }, \
	{ "throttle", 0, CLI_INT, "MS", "expand: pause between backfill batches (default 0)", &(x)->throttle_ms }, \
	{ "max-batches", 0, CLI_INT, "N", "expand: stop the backfill after N batches; the next `up` resumes it", &(x)->max_batches }
/* clang-format on */

/* Checks the values; prints a usage error and returns EXIT_USAGE when one is out of range. */
int cli_expand_check(const char *cmd, const cli_expand *x);
/* Expand options from x, with progress and notices printed to stderr. */
sl_expand_opts cli_expand_opts(cli_expand *x);
/* Ends an open progress line. */
void cli_expand_done(cli_expand *x);

#endif
