/*
 * cmd_down.c - `sluice down [TARGET]`: revert applied migrations, newest first.
 */
#include "cli.h"
#include "expand_cli.h"
#include "project.h"

#include <stdio.h>

int cmd_down(int argc, char **argv)
{
	cli_project p = { 0 };
	const char *to = NULL;
	bool dry = false;
	long steps = 0, lock_timeout = 0;
	cli_expand xo = CLI_EXPAND_INIT;
	const cli_option opts[] = {
		CLI_PROJECT_OPTIONS(&p),
		{ "to", 0, CLI_STRING, "ID", "revert every migration after this one", &to },
		{ "steps", 0, CLI_INT, "N", "revert the last N migrations (default 1)", &steps },
		{ "dry-run", 'n', CLI_FLAG, NULL, "print the statements that would run; change nothing",
		  &dry },
		{ "lock-timeout", 0, CLI_INT, "SECONDS", "wait this long for another run's lock (default 0)",
		  &lock_timeout },
		CLI_EXPAND_LOCK_OPTIONS(&xo),
		{ 0 }
	};
	const char *pos[1];
	int npos = 0, prc = cli_parse("down", opts, argc, argv, pos, 1, &npos);
	if (prc)
		return prc > 0 ? EXIT_OK : EXIT_USAGE;
	if (to && steps)
		return cli_usage_error("down", "give --to or --steps, not both");
	if (steps < 0)
		return cli_usage_error("down", "--steps must be positive");
	if ((prc = cli_expand_check("down", &xo)))
		return prc;
	sl_conn *c = NULL;
	size_t n = 0;
	int rc = cli_project_load(&p, true);
	if (!rc)
		rc = cli_project_connect(&c, &p, npos ? pos[0] : NULL);
	if (!rc) {
		sl_migrate_opts o = cli_project_migrate_opts(&p);
		o.to = to;
		o.steps = steps;
		o.dry_run = dry;
		o.lock_timeout_ms = lock_timeout < 0 ? -1 : lock_timeout * 1000;
		o.ud = &dry;
		sl_expand_opts x = cli_expand_opts(&xo);
		o.expand = &x;
		rc = sl_migrate_down(c, p.set, &o, &n);
		cli_expand_done(&xo);
		if (!rc)
			fprintf(stderr, "%zu migration(s) %s\n", n, dry ? "would be reverted" : "reverted");
	}
	sl_conn_close(c);
	cli_project_free(&p);
	return rc ? cli_fail(rc) : EXIT_OK;
}
