/*
 * cmd_verify.c - `sluice verify [TARGET]`: run the verify query of every
 * applied migration; exit 1 when any returns rows.
 */
#include "cli.h"
#include "project.h"

#include <stdio.h>

int cmd_verify(int argc, char **argv)
{
	cli_project p = { 0 };
	const cli_option opts[] = { CLI_PROJECT_OPTIONS(&p), { 0 } };
	const char *pos[1];
	int npos = 0, prc = cli_parse("verify", opts, argc, argv, pos, 1, &npos);
	if (prc)
		return prc > 0 ? EXIT_OK : EXIT_USAGE;
	sl_conn *c = NULL;
	size_t failed = 0;
	int rc = cli_project_load(&p, true);
	if (!rc)
		rc = cli_project_connect(&c, &p, npos ? pos[0] : NULL);
	if (!rc) {
		sl_migrate_opts o = cli_project_migrate_opts(&p);
		rc = sl_migrate_verify(c, p.set, &o, &failed);
	}
	sl_conn_close(c);
	cli_project_free(&p);
	if (rc)
		return cli_fail(rc);
	fprintf(stderr, "%zu verification(s) failed\n", failed);
	return failed ? EXIT_PROBLEMS : EXIT_OK;
}
