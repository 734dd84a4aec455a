/*
 * dist_cli.h - what the commands of distributed runs share (cli/dist_cli.c):
 * `sluice worker`, `copy --distributed`, `diff --distributed` and
 * `status --distributed` (docs/commands/distributed.md).
 */
#ifndef SLUICE_CLI_DIST_H
#define SLUICE_CLI_DIST_H

#include "project.h"

#include "sluice/dist.h"

/*
 * How a side given as arg is recorded in the run: display (an environment's
 * name, else the URL with its password masked) and ref (what a worker may
 * connect with unaided: the environment's name, or the URL when it holds no
 * password; "" otherwise).
 */
void dist_cli_names(const cli_project *p, const char *arg, char *display, char *ref, size_t n);
/* Opens the store; EXIT_USAGE-worthy SL_EINVALID when url is not PostgreSQL. */
int dist_cli_open(sl_dist **out, const char *url);
/*
 * Waits until the run's chunks are all done (progress on stderr every few
 * seconds unless quiet); SL_ECHECK when chunks failed, SL_EINTERRUPTED on
 * Ctrl-C (the run goes on with its workers).
 */
int dist_cli_wait(sl_dist *d, const char *run_id, bool quiet);
/* `status --distributed`: the run (NULL: newest) as text or JSON on stdout. */
int dist_cli_status(const char *url, const char *run_id, bool json);

/* `diff --distributed`: plan (unless finish), wait (unless detach), sum and report as diff does. */
typedef struct dist_cli_diff_args {
	const char *url;             /* the state store */
	const char *source, *target; /* plan only */
	const sl_diff_pairing *pairing;
	int64_t chunk_rows;
	int lease, max_attempts;
	bool detach, finish, quiet, retry_failed;
	const char *run; /* finish: the run (NULL: the newest) */
	long threshold;
} dist_cli_diff_args;
/* The exit code: 0 no discrepancy above threshold, 1 more, 2 usage, 3 database error or failed chunks. */
int dist_cli_diff(cli_project *p, const dist_cli_diff_args *a);

#endif
