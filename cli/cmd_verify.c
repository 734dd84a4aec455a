/*
 * cmd_verify.c - `sluice verify [TARGET]`: run the verify query of every
 * applied migration; exit 1 when any returns rows.
 */
#include "cli.h"
#include "project.h"

#include <stdio.h>

static int run_verify(sl_conn *c, cli_project *p, sl_migrate_opts *o, void *ud)
{
	return sl_migrate_verify(c, p->set, o, ud);
}

int cmd_verify(int argc, char **argv)
{
	cli_project p = { 0 };
	const cli_option opts[] = { CLI_PROJECT_OPTIONS(&p), { 0 } };
	const char *pos[1];
	int npos = 0, prc = cli_parse("verify", opts, argc, argv, pos, 1, &npos);
	if (prc)
		return prc > 0 ? EXIT_OK : EXIT_USAGE;
	size_t failed = 0;
	int rc = cli_migrate_run(&p, npos ? pos[0] : NULL, false, 0, run_verify, &failed);
	if (rc)
		return cli_fail(rc);
	fprintf(stderr, "%zu verification(s) failed\n", failed);
	return failed ? EXIT_PROBLEMS : EXIT_OK;
}
