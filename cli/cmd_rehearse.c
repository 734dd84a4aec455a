/*
 * cmd_rehearse.c - `sluice rehearse [TARGET]`: the measured dry run on a
 * scratch copy, its verdict, and the leftovers of a crashed one (--cleanup).
 * Parses options, opens connections for the library (src/rehearse/) and
 * prints; every figure comes from sl_rehearse_run(). Exit 0 GO (or a fault
 * drill whose state was reported truthfully), 1 NO-GO, else the usual codes.
 */
#include "cli.h"
#include "project.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sluice/error.h"
#include "sluice/rehearse.h"
#include "sluice/rules.h"
#include "sluice/state.h"

typedef struct target {
	const char *url; /* may hold a secret: never printed */
	const sl_config_env *env;
} target;

/* Opens the rehearsed database, or a scratch database beside it, with env's password applied. */
static int connect_cb(sl_conn **out, void *ud, const sl_conn *beside, const char *scratch)
{
	const target *t = ud;
	return cli_project_open_beside(out, t->url, t->env, beside, scratch);
}

/* The first SIGINT/SIGTERM asks the rehearsal to stop at the next phase (its scratch copy is dropped); a
 * second one ends the process. */
static volatile sig_atomic_t stop_asked;

static void on_signal(int sig)
{
	stop_asked = 1;
	signal(sig, SIG_DFL);
}

static void progress(void *ud, const char *phase, const char *detail)
{
	(void)ud;
	fprintf(stderr, "\r\033[K  %-11s %s", phase, detail);
	fflush(stderr);
}

static int print_cleaned(void *ud, const char *name, const char *detail)
{
	size_t *n = ud;
	printf("%s %s\n", strcmp(detail, "dropped") == 0 ? "dropped" : "kept", name);
	if (strcmp(detail, "dropped") != 0)
		printf("  (%s)\n", detail);
	else
		(*n)++;
	return 0;
}

static int cleanup(const target *t, const char *prefix)
{
	sl_conn *c = NULL;
	size_t n = 0;
	int rc = connect_cb(&c, (void *)t, NULL, NULL);
	if (!rc)
		rc = sl_rehearse_cleanup(c, prefix, print_cleaned, &n);
	if (!rc)
		printf("%zu scratch database(s) dropped beside %s\n", n, sl_conn_display(c));
	sl_conn_close(c);
	return rc;
}

static const char *display_of(const target *t, char *buf, size_t n)
{
	if (t->env)
		return t->env->name;
	sl_url *u = NULL;
	if (sl_url_parse(&u, t->url) == 0) {
		snprintf(buf, n, "%s", u->redacted);
		sl_url_free(u);
	} else {
		snprintf(buf, n, "?");
	}
	return buf;
}

static int latest(cli_project *p, const char *env, bool json)
{
	sl_state *st = NULL;
	char *out = NULL;
	const char *path = p->cfg ? sl_config_resolve(p->cfg, p->cfg->state) : ".sluice/state.db";
	int rc = sl_state_open(&st, path);
	if (!rc)
		rc = sl_state_rehearsal_latest(st, env, &out);
	if (!rc && !out)
		rc = sl_error_set(SL_ENOTFOUND, "no rehearsal of %s is recorded in \"%s\"",
				  env ? env : "any database", path);
	if (!rc && json)
		printf("%s\n", out);
	else if (!rc)
		printf("%s", out); /* the JSON is the record; text would only repeat it */
	free(out);
	sl_state_close(st);
	return rc;
}

/* `--latest`: the newest recorded rehearsal of env (a URL is recorded with its password masked). */
static int print_latest(cli_project *p, const char *env, const char *format)
{
	char disp[512];
	/* recorded under the environment's name, or the URL with its password masked */
	if (env && strchr(env, ':')) {
		target u = { .url = env };
		env = display_of(&u, disp, sizeof(disp));
	}
	return latest(p, env, strcmp(format, "json") == 0);
}

/* The rehearsal's options that come from the project and the target. */
static void rehearse_opts(sl_rehearse_opts *o, cli_project *p, target *t, sl_rules *rules, sl_state *st,
			  char *disp, size_t ndisp)
{
	o->set = p->set;
	o->table = p->table;
	o->cfg = p->cfg;
	o->rules = rules;
	o->environment = display_of(t, disp, ndisp);
	o->connect = connect_cb;
	o->connect_ud = t;
	o->state = st;
}

/* Runs the rehearsal with progress on a terminal; SIGINT and SIGTERM cancel it. */
static int run_rehearsal(sl_rehearsal **r, sl_rehearse_opts *o)
{
	int rc;
	bool tty = isatty(STDERR_FILENO) && !getenv("NO_COLOR");
	if (tty)
		o->on_progress = progress;
	o->cancel = &stop_asked;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	rc = sl_rehearse_run(r, o);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (tty)
		fprintf(stderr, "\r\033[K");
	return rc;
}

/* The rehearsal in format (text only when it succeeded). */
static void print_rehearsal(const sl_rehearsal *r, int rc, const char *format)
{
	sl_buf b = SL_BUF_INIT;
	int frc = strcmp(format, "json") == 0 ? sl_rehearsal_json(&b, r)
		  : strcmp(format, "md") == 0 ? sl_rehearsal_md(&b, r)
					      : sl_rehearsal_text(&b, r, cli_color(stdout));
	if (!frc && (!rc || strcmp(format, "text")))
		fputs(sl_buf_cstr(&b), stdout);
	sl_buf_free(&b);
}

/* --format, --repeat and --forecast; -1 when they are fine, else the exit code. */
static int check_args(const char *format, long repeat, long forecast)
{
	if (strcmp(format, "text") && strcmp(format, "json") && strcmp(format, "md"))
		return cli_usage_error("rehearse", "--format must be text, json or md, not \"%s\"", format);
	if (repeat < 1 || repeat > 100)
		return cli_usage_error("rehearse", "--repeat must be 1 to 100");
	if (forecast < 0)
		return cli_usage_error("rehearse", "--forecast must be a number of rows");
	return -1;
}

/* The exit code of a rehearsal that ended with rc, NO-GO when nogo. */
static int rehearse_exit(int rc, bool nogo)
{
	if (rc == SL_EINTERRUPTED) {
		cli_fail(rc);
		return EXIT_INTERRUPTED; /* as the shell reports a command stopped by SIGINT */
	}
	if (rc)
		return cli_fail(rc);
	return nogo ? EXIT_PROBLEMS : EXIT_OK;
}

int cmd_rehearse(int argc, char **argv)
{
	cli_project p = { 0 };
	const char *fail_at = NULL, *drop_at = NULL, *format = NULL, *prefix = NULL;
	long repeat = 1, forecast = 0;
	bool json = false, do_cleanup = false, do_latest = false, no_record = false;
	const cli_option opts[] = {
		CLI_PROJECT_OPTIONS(&p),
		{ "repeat", 0, CLI_INT, "N", "round trips, for min / median / max (default 1)", &repeat },
		{ "fail-at", 0, CLI_STRING, "MIG:N", "make up statement N of migration MIG fail (a drill)",
		  &fail_at },
		{ "drop-connection-at", 0, CLI_STRING, "MIG:N",
		  "cut the connection just before up statement N of migration MIG (a drill)", &drop_at },
		{ "forecast", 0, CLI_INT, "ROWS",
		  "forecast each migration's duration at ROWS rows from three sample sizes", &forecast },
		{ "format", 0, CLI_STRING, "FMT", "text (default), json or md (a pull-request comment)",
		  &format },
		{ "json", 0, CLI_FLAG, NULL, "same as --format json", &json },
		{ "cleanup", 0, CLI_FLAG, NULL,
		  "drop scratch databases a killed rehearsal left behind, and say which", &do_cleanup },
		{ "latest", 0, CLI_FLAG, NULL,
		  "print the newest recorded rehearsal (JSON) instead of rehearsing", &do_latest },
		{ "prefix", 0, CLI_STRING, "NAME",
		  "scratch database prefix (default: rehearsal.scratch_prefix)", &prefix },
		{ "no-record", 0, CLI_FLAG, NULL, "do not record the verdict in the state store",
		  &no_record },
		{ 0 }
	};
	const char *pos[1];
	int npos = 0, prc = cli_parse("rehearse", opts, argc, argv, pos, 1, &npos);
	if (prc)
		return prc > 0 ? EXIT_OK : EXIT_USAGE;
	if (!format)
		format = json ? "json" : "text";
	int arc = check_args(format, repeat, forecast);
	if (arc >= 0)
		return arc;
	sl_rules *rules = NULL;
	sl_state *st = NULL;
	sl_rehearsal *r = NULL;
	target t = { 0 };
	char disp[512];
	int rc = cli_project_load(&p, !do_cleanup && !do_latest);
	if (!rc && do_latest) {
		rc = print_latest(&p, npos ? pos[0] : NULL, format);
		goto done;
	}
	if (!rc)
		rc = cli_project_resolve(&p, npos ? pos[0] : NULL, &t.url, &t.env);
	if (!rc && !prefix)
		prefix = p.cfg ? p.cfg->rehearsal.scratch_prefix : "sluice_rehearse_";
	if (!rc && do_cleanup) {
		rc = cleanup(&t, prefix);
		goto done;
	}
	if (!rc && p.cfg)
		rc = sl_rules_load(&rules, p.cfg);
	if (!rc && !no_record)
		rc = sl_state_open(&st, p.cfg ? sl_config_resolve(p.cfg, p.cfg->state) : ".sluice/state.db");
	if (rc)
		goto done;
	sl_rehearse_opts o = SL_REHEARSE_OPTS_INIT;
	rehearse_opts(&o, &p, &t, rules, st, disp, sizeof(disp));
	o.repeat = (int)repeat;
	o.fail_at = fail_at;
	o.drop_at = drop_at;
	o.forecast_rows = forecast;
	o.prefix = prefix;
	rc = run_rehearsal(&r, &o);
	if (r && (!rc || r->nmigrations || r->nstmts))
		print_rehearsal(r, rc, format);
done:;
	bool go = !rc && r && r->verdict &&
		  (strcmp(r->verdict, "GO") == 0 || strcmp(r->verdict, "DRILL OK") == 0);
	bool nogo = !rc && r && !go;
	sl_rehearsal_free(r);
	sl_state_close(st);
	sl_rules_free(rules);
	cli_project_free(&p);
	return rehearse_exit(rc, nogo);
}
