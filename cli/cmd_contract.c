/*
 * cmd_contract.c - `sluice contract [TARGET]`: complete the expand/contract
 * migration in expand, removing its old shape once no client uses it.
 */
#include "cli.h"
#include "expand_cli.h"
#include "project.h"

#include <stdio.h>
#include <stdlib.h>

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
	sl_conn *c = NULL;
	char *id = NULL;
	int rc = cli_project_load(&p, true);
	if (!rc)
		rc = cli_project_connect(&c, &p, npos ? pos[0] : NULL);
	if (!rc) {
		sl_migrate_opts o = cli_project_migrate_opts(&p);
		sl_expand_opts x = cli_expand_opts(&xo);
		o.dry_run = dry;
		o.lock_timeout_ms = lock_timeout < 0 ? -1 : lock_timeout * 1000;
		o.ud = &dry;
		o.expand = &x;
		rc = sl_migrate_contract(c, p.set, &o, &id);
		cli_expand_done(&xo);
		if (!rc)
			fprintf(stderr, "migration %s %s\n", id, dry ? "would be contracted" : "contracted");
	}
	free(id);
	sl_conn_close(c);
	cli_project_free(&p);
	return rc ? cli_fail(rc) : EXIT_OK;
}
