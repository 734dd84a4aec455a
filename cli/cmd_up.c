/*
 * cmd_up.c - `sluice up [TARGET]`: apply pending migrations.
 */
#include "cli.h"
#include "expand_cli.h"
#include "project.h"

#include <stdio.h>

typedef struct up_args {
	const char *to;
	bool dry, ooo;
	cli_expand *xo;       /* expand/contract options */
	sl_expand_opts xopts; /* what o->expand points to while the run lasts */
} up_args;

static int run_up(sl_conn *c, cli_project *p, sl_migrate_opts *o, void *ud)
{
	up_args *x = ud;
	size_t n = 0;
	o->to = x->to;
	o->dry_run = x->dry;
	o->out_of_order = x->ooo;
	o->ud = &x->dry;
	x->xopts = cli_expand_opts(x->xo);
	o->expand = &x->xopts;
	int rc = sl_migrate_up(c, p->set, o, &n);
	cli_expand_done(x->xo);
	if (!rc)
		fprintf(stderr, "%zu migration(s) %s\n", n, x->dry ? "would be applied" : "applied");
	return rc;
}

int cmd_up(int argc, char **argv)
{
	cli_project p = { 0 };
	const char *to = NULL;
	bool dry = false, ooo = false;
	long lock_timeout = 0;
	cli_expand xo = CLI_EXPAND_INIT;
	const cli_option opts[] = {
		CLI_PROJECT_OPTIONS(&p),
		{ "to", 0, CLI_STRING, "ID", "apply up to and including this migration", &to },
		{ "dry-run", 'n', CLI_FLAG, NULL, "print the statements that would run; change nothing",
		  &dry },
		{ "lock-timeout", 0, CLI_INT, "SECONDS",
		  "wait this long for another run's lock (default 0: fail at once, exit 4; -1: forever)",
		  &lock_timeout },
		{ "out-of-order", 0, CLI_FLAG, NULL,
		  "apply a pending migration older than the newest applied one", &ooo },
		CLI_EXPAND_BACKFILL_OPTIONS(&xo),
		CLI_EXPAND_LOCK_OPTIONS(&xo),
		{ 0 }
	};
	const char *pos[1];
	int npos = 0, prc = cli_parse("up", opts, argc, argv, pos, 1, &npos);
	if (prc)
		return prc > 0 ? EXIT_OK : EXIT_USAGE;
	if ((prc = cli_expand_check("up", &xo)))
		return prc;
	up_args x = { .to = to, .dry = dry, .ooo = ooo, .xo = &xo };
	int rc = cli_migrate_run(&p, npos ? pos[0] : NULL, true, lock_timeout, run_up, &x);
	return rc ? cli_fail(rc) : EXIT_OK;
}
