/*
 * main.c - the sluice command table and entry point.
 *
 * One line per command (see cli.h for how to add one). `sluice help CMD`
 * and `sluice CMD --help` print the same text, built from the table and the
 * command's option table.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static int cmd_help(int argc, char **argv);

static const cli_command commands[] = {
	{ "inspect", cmd_inspect, "inspect URL [--format text|json|md] [options]",
	  "Read a database's schema and print it: tables, keys, links, views, triggers, row counts.",
	  "URL is sqlite:PATH, postgres://... or mysql://... (see docs/urls.md).\n"
	  "--format md writes a data map a non-technical reader can follow: what each\n"
	  "table holds, what links to what, and how many rows each has.\n"
	  "Exit codes: 0 ok, 2 bad URL or usage, 3 database unreachable or error." },
	{ "help", cmd_help, "help [COMMAND]", "Show the commands, or one command's help.", NULL },
};

const cli_command *cli_commands(int *n)
{
	*n = (int)(sizeof(commands) / sizeof(commands[0]));
	return commands;
}

const cli_command *cli_find(const char *name)
{
	int n;
	const cli_command *c = cli_commands(&n);
	for (int i = 0; i < n; i++)
		if (strcmp(c[i].name, name) == 0)
			return &c[i];
	return NULL;
}

static void usage(FILE *f)
{
	int n;
	const cli_command *c = cli_commands(&n);
	fprintf(f, "usage: sluice COMMAND [options]\n\n"
		   "Move a database to where it must be - a new schema, a new engine, or both -\n"
		   "and prove the move was safe.\n\ncommands:\n");
	for (int i = 0; i < n; i++)
		fprintf(f, "  %-10s %s\n", c[i].name, c[i].summary);
	fprintf(f, "\nRun 'sluice help COMMAND' for a command's options. Exit codes: docs/exit-codes.md.\n");
}

static int cmd_help(int argc, char **argv)
{
	if (argc < 2) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		cli_print_help(stdout, "help", NULL);
		return EXIT_OK;
	}
	const cli_command *c = cli_find(argv[1]);
	if (!c)
		return cli_usage_error("help", "unknown command \"%s\"", argv[1]);
	char *args[] = { (char *)c->name, (char *)"--help", NULL };
	return c->run(2, args);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("sluice %s\n", SLUICE_VERSION);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	const cli_command *c = cli_find(argv[1]);
	if (!c) {
		fprintf(stderr, "sluice: unknown command \"%s\"\n\n", argv[1]);
		usage(stderr);
		return EXIT_USAGE;
	}
	return c->run(argc - 1, argv + 1);
}
