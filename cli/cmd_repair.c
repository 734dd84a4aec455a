/*
 * cmd_repair.c - `sluice repair [TARGET]`: resolve dirty records and accept
 * edited files' checksums, saying what it changed.
 */
#include "cli.h"
#include "project.h"

#include <stdio.h>

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
	sl_conn *c = NULL;
	size_t n = 0;
	int rc = cli_project_load(&p, true);
	if (!rc)
		rc = cli_project_connect(&c, &p, npos ? pos[0] : NULL);
	if (!rc) {
		sl_migrate_opts o = cli_project_migrate_opts(&p);
		o.mark_applied = mark;
		o.lock_timeout_ms = lock_timeout < 0 ? -1 : lock_timeout * 1000;
		rc = sl_migrate_repair(c, p.set, &o, &n);
		if (!rc)
			fprintf(stderr, "%zu record(s) repaired\n", n);
	}
	sl_conn_close(c);
	cli_project_free(&p);
	return rc ? cli_fail(rc) : EXIT_OK;
}
