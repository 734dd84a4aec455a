/*
 * cmd_down.c - `sluice down [TARGET]`: revert applied migrations, newest first.
 */
#include "cli.h"
#include "expand_cli.h"
#include "project.h"

#include <stdio.h>

typedef struct down_args {
	const char *to;
	long steps;
	bool dry;
	cli_expand *xo;       /* expand/contract options */
	sl_expand_opts xopts; /* what o->expand points to while the run lasts */
} down_args;

static int run_down(sl_conn *c, cli_project *p, sl_migrate_opts *o, void *ud)
{
	down_args *x = ud;
	size_t n = 0;
	o->to = x->to;
	o->steps = x->steps;
	o->dry_run = x->dry;
	o->ud = &x->dry;
	x->xopts = cli_expand_opts(x->xo);
	o->expand = &x->xopts;
	int rc = sl_migrate_down(c, p->set, o, &n);
	cli_expand_done(x->xo);
	if (!rc)
		fprintf(stderr, "%zu migration(s) %s\n", n, x->dry ? "would be reverted" : "reverted");
	return rc;
}

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
	down_args x = { .to = to, .steps = steps, .dry = dry, .xo = &xo };
	int rc = cli_migrate_run(&p, npos ? pos[0] : NULL, false, lock_timeout, run_down, &x);
	return rc ? cli_fail(rc) : EXIT_OK;
}
