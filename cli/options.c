/*
 * options.c - option-table parsing, help output and error reporting shared by
 * every command (see cli.h).
 */
#include "cli.h"

#include "sluice/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void cli_print_help(FILE *f, const char *cmd, const cli_option *opts)
{
	const cli_command *c = cli_find(cmd);
	if (c) {
		fprintf(f, "usage: sluice %s\n\n%s\n", c->usage, c->summary);
		if (c->description && *c->description)
			fprintf(f, "\n%s\n", c->description);
	}
	if (opts && opts[0].name) {
		fprintf(f, "\noptions:\n");
		for (const cli_option *o = opts; o->name; o++) {
			char left[64];
			int n = 0;
			if (o->short_name)
				n = snprintf(left, sizeof(left), "-%c, --%s", o->short_name, o->name);
			else
				n = snprintf(left, sizeof(left), "    --%s", o->name);
			if (o->kind != CLI_FLAG && n > 0 && (size_t)n < sizeof(left))
				snprintf(left + n, sizeof(left) - (size_t)n, " %s",
					 o->arg ? o->arg : "VALUE");
			fprintf(f, "  %-28s %s%s\n", left, o->help,
				o->kind == CLI_LIST ? " (repeatable)" : "");
		}
	}
	fprintf(f, "  %-28s %s\n", "-h, --help", "show this help");
}

static const cli_option *find_long(const cli_option *opts, const char *name, size_t n)
{
	for (const cli_option *o = opts; o && o->name; o++)
		if (strlen(o->name) == n && strncmp(o->name, name, n) == 0)
			return o;
	return NULL;
}

static const cli_option *find_short(const cli_option *opts, char c)
{
	for (const cli_option *o = opts; o && o->name; o++)
		if (o->short_name == c)
			return o;
	return NULL;
}

static int set_value(const char *cmd, const cli_option *o, const char *val)
{
	if (o->kind == CLI_STRING) {
		*(const char **)o->target = val;
		return 0;
	}
	if (o->kind == CLI_LIST) {
		cli_list *l = o->target;
		if (l->n >= CLI_LIST_MAX)
			return cli_usage_error(cmd, "option --%s given more than %d times", o->name,
					       CLI_LIST_MAX),
			       -1;
		l->v[l->n++] = val;
		return 0;
	}
	char *end = NULL;
	errno = 0;
	long v = strtol(val, &end, 10);
	if (errno || end == val || *end)
		return cli_usage_error(cmd, "option --%s expects a number, got \"%s\"", o->name, val), -1;
	*(long *)o->target = v;
	return 0;
}

/* Where cli_collect_begin() asked the next option table to go (NULL: parse as usual). */
static struct {
	cli_option *out;
	size_t max;
	size_t *n;
} collecting;

void cli_collect_begin(cli_option *out, size_t max, size_t *n)
{
	collecting.out = out;
	collecting.max = max;
	collecting.n = n;
	*n = 0;
}

void cli_collect_end(void)
{
	collecting.out = NULL;
}

bool cli_collecting(void)
{
	return collecting.out != NULL;
}

int cli_parse(const char *cmd, const cli_option *opts, int argc, char **argv, const char **pos, int max_pos,
	      int *npos)
{
	*npos = 0;
	if (collecting.out) {
		for (const cli_option *o = opts; o && o->name && *collecting.n < collecting.max; o++)
			collecting.out[(*collecting.n)++] = *o;
		collecting.out = NULL;
		return 1;
	}
	bool only_pos = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const cli_option *o = NULL;
		const char *val = NULL;
		if (!only_pos && strcmp(a, "--") == 0) {
			only_pos = true;
			continue;
		}
		if (!only_pos && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
			cli_print_help(stdout, cmd, opts);
			return 1;
		}
		if (!only_pos && a[0] == '-' && a[1] == '-') {
			const char *eq = strchr(a + 2, '=');
			size_t n = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
			o = find_long(opts, a + 2, n);
			if (!o)
				return cli_usage_error(cmd, "unknown option \"--%.*s\" (see sluice help %s)",
						       (int)n, a + 2, cmd),
				       -1;
			if (eq) {
				if (o->kind == CLI_FLAG)
					return cli_usage_error(cmd, "option --%s takes no value", o->name),
					       -1;
				val = eq + 1;
			}
		} else if (!only_pos && a[0] == '-' && a[1] && a[2] == '\0') {
			o = find_short(opts, a[1]);
			if (!o)
				return cli_usage_error(cmd, "unknown option \"%s\" (see sluice help %s)", a,
						       cmd),
				       -1;
		} else {
			if (*npos >= max_pos)
				return cli_usage_error(cmd, "unexpected argument \"%s\"", a), -1;
			pos[(*npos)++] = a;
			continue;
		}
		if (o->kind == CLI_FLAG) {
			*(bool *)o->target = true;
			continue;
		}
		if (!val) {
			if (i + 1 >= argc)
				return cli_usage_error(cmd, "option --%s needs a value (%s)", o->name,
						       o->arg ? o->arg : "VALUE"),
				       -1;
			val = argv[++i];
		}
		if (set_value(cmd, o, val))
			return -1;
	}
	return 0;
}

int cli_exit_code(int rc)
{
	switch (rc) {
	case 0:
		return EXIT_OK;
	case SL_ECHECK:
		return EXIT_PROBLEMS;
	case SL_EINVALID:
	case SL_ENOTFOUND:
	case SL_EIO: /* a file the user named cannot be read or written */
		return EXIT_USAGE;
	case SL_EDB:
	case SL_ECONNECT:
		return EXIT_DATABASE;
	case SL_ELOCKED:
		return EXIT_LOCKED;
	case SL_ECONFLICT:
		return EXIT_CONFLICT;
	case SL_EREFUSED:
		return EXIT_REFUSED;
	case SL_EINTERRUPTED:
		return cli_interrupt_exit();
	case SL_ENOMEM:
	case SL_ERROR:
	default:
		return EXIT_INTERNAL;
	}
}

void cli_report_error(int rc)
{
	const sl_error *e = sl_error_last();
	fprintf(stderr, "sluice: error: %s", *e->message ? e->message : sl_error_name(rc));
	if (e->sqlstate[0])
		fprintf(stderr, " (SQLSTATE %s)", e->sqlstate);
	fputc('\n', stderr);
}

int cli_fail(int rc)
{
	cli_report_error(rc);
	return cli_exit_code(rc);
}

int cli_error(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("sluice: error: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return code;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "sluice: error: %s: ", cmd);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return EXIT_USAGE;
}

bool cli_color(FILE *f)
{
	const char *nc = getenv("NO_COLOR");
	return isatty(fileno(f)) && !(nc && *nc);
}
