/*
 * cmd_baseline.c - `sluice baseline ID [TARGET]`: adopt an existing database
 * by recording every migration up to ID as applied, without running it.
 */
#include "cli.h"
#include "project.h"

static int run_baseline(sl_conn *c, cli_project *p, sl_migrate_opts *o, void *ud)
{
	return sl_migrate_baseline(c, p->set, ud, o);
}

int cmd_baseline(int argc, char **argv)
{
	cli_project p = { 0 };
	long lock_timeout = 0;
	const cli_option opts[] = {
		CLI_PROJECT_OPTIONS(&p),
		{ "lock-timeout", 0, CLI_INT, "SECONDS",
		  "wait this long for another run's lock (default 0: exit 4 at once; -1: forever)",
		  &lock_timeout },
		{ 0 }
	};
	const char *pos[2];
	int npos = 0, prc = cli_parse("baseline", opts, argc, argv, pos, 2, &npos);
	if (prc)
		return prc > 0 ? EXIT_OK : EXIT_USAGE;
	if (npos < 1)
		return cli_usage_error("baseline",
				       "expected the id of the last migration the database already has");
	int rc = cli_migrate_run(&p, npos > 1 ? pos[1] : NULL, true, lock_timeout, run_baseline,
				 (void *)pos[0]);
	return rc ? cli_fail(rc) : EXIT_OK;
}
