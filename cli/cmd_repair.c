/*
 * cmd_repair.c - `sluice repair [TARGET]`: resolve dirty records and accept
 * edited files' checksums, saying what it changed.
 */
#include "cli.h"
#include "project.h"

#include <stdio.h>

static int run_repair(sl_conn *c, cli_project *p, sl_migrate_opts *o, void *ud)
{
	size_t n = 0;
	o->mark_applied = *(bool *)ud;
	int rc = sl_migrate_repair(c, p->set, o, &n);
	if (!rc)
		fprintf(stderr, "%zu record(s) repaired\n", n);
	return rc;
}

int cmd_repair(int argc, char **argv)
{
	cli_project p = { 0 };
	bool mark = false;
	long lock_timeout = 0;
	const cli_option opts[] = {
		CLI_PROJECT_OPTIONS(&p),
		{ "lock-timeout", 0, CLI_INT, "SECONDS",
		  "wait this long for another run's lock (default 0: exit 4 at once; -1: forever)",
		  &lock_timeout },
		{ "mark-applied", 0, CLI_FLAG, NULL,
		  "record dirty migrations as applied (you finished them by hand) instead of forgetting them",
		  &mark },
		{ 0 }
	};
	const char *pos[1];
	int npos = 0, prc = cli_parse("repair", opts, argc, argv, pos, 1, &npos);
	if (prc)
		return prc > 0 ? EXIT_OK : EXIT_USAGE;
	int rc = cli_migrate_run(&p, npos ? pos[0] : NULL, false, lock_timeout, run_repair, &mark);
	return rc ? cli_fail(rc) : EXIT_OK;
}
