/*
 * cmd_baseline.c - `sluice baseline ID [TARGET]`: adopt an existing database
 * by recording every migration up to ID as applied, without running it.
 */
#include "cli.h"
#include "project.h"

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
	sl_conn *c = NULL;
	int rc = cli_project_load(&p, true);
	if (!rc)
		rc = cli_project_connect_target(&c, &p, npos > 1 ? pos[1] : NULL);
	if (!rc) {
		sl_migrate_opts o = cli_project_migrate_opts(&p);
		o.lock_timeout_ms = lock_timeout < 0 ? -1 : lock_timeout * 1000;
		rc = sl_migrate_baseline(c, p.set, pos[0], &o);
	}
	sl_conn_close(c);
	cli_project_free(&p);
	return rc ? cli_fail(rc) : EXIT_OK;
}
