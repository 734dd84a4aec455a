/*
 * cmd_contract.c - `sluice contract [TARGET]`: complete the expand/contract
 * migration in expand, removing its old shape once no client uses it.
 */
#include "cli.h"
#include "expand_cli.h"
#include "project.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct contract_args {
	bool dry;
	cli_expand *xo;
	sl_expand_opts xopts; /* what o->expand points to while the run lasts */
} contract_args;

static int run_contract(sl_conn *c, cli_project *p, sl_migrate_opts *o, void *ud)
{
	contract_args *x = ud;
	char *id = NULL;
	x->xopts = cli_expand_opts(x->xo);
	o->dry_run = x->dry;
	o->ud = &x->dry;
	o->expand = &x->xopts;
	int rc = sl_migrate_contract(c, p->set, o, &id);
	cli_expand_done(x->xo);
	if (!rc)
		fprintf(stderr, "migration %s %s\n", id, x->dry ? "would be contracted" : "contracted");
	free(id);
	return rc;
}

int cmd_contract(int argc, char **argv)
{
	cli_project p = { 0 };
	cli_expand xo = CLI_EXPAND_INIT;
	bool dry = false;
	long lock_timeout = 0;
	const cli_option opts[] = {
		CLI_PROJECT_OPTIONS(&p),
		{ "confirm", 0, CLI_FLAG, NULL,
		  "you confirm that no client uses the old shape (needed where sluice cannot see which "
		  "version "
		  "each client uses: MySQL, SQLite, PostgreSQL sessions that do not name their version)",
		  &xo.confirm },
		{ "dry-run", 'n', CLI_FLAG, NULL, "print the statements that would run; change nothing",
		  &dry },
		{ "lock-timeout", 0, CLI_INT, "SECONDS",
		  "wait this long for another run's lock (default 0: fail at once, exit 4; -1: forever)",
		  &lock_timeout },
		CLI_EXPAND_LOCK_OPTIONS(&xo),
		{ 0 }
	};
	const char *pos[1];
	int npos = 0, prc = cli_parse("contract", opts, argc, argv, pos, 1, &npos);
	if (prc)
		return prc > 0 ? EXIT_OK : EXIT_USAGE;
	if ((prc = cli_expand_check("contract", &xo)))
		return prc;
	contract_args x = { .dry = dry, .xo = &xo };
	int rc = cli_migrate_run(&p, npos ? pos[0] : NULL, false, lock_timeout, run_contract, &x);
	return rc ? cli_fail(rc) : EXIT_OK;
}
