/*
 * expand_cli.c - options and progress output for expand/contract
 * migrations (expand_cli.h).
 */
#include "expand_cli.h"
#include "sluice/util.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

int cli_expand_check(const char *cmd, const cli_expand *x)
{
	if (x->batch_size < 1)
		return cli_usage_error(cmd, "--batch-size must be at least 1");
	if (x->throttle_ms < 0 || x->max_batches < 0)
		return cli_usage_error(cmd, "--throttle and --max-batches cannot be negative");
	if (x->ddl_lock_timeout_ms < 1)
		return cli_usage_error(cmd, "--ddl-lock-timeout must be at least 1 ms");
	if (x->ddl_retries < 0)
		return cli_usage_error(cmd, "--ddl-retries cannot be negative");
	return 0;
}

void cli_expand_done(cli_expand *x)
{
	if (x->line_open)
		fputc('\n', stderr);
	x->line_open = false;
}

static void on_progress(void *ud, const sl_xprogress *p)
{
	cli_expand *x = ud;
	double t = sl_now_s();
	if (!p->done && t - x->last_print < (x->tty ? 0.2 : 5.0))
		return;
	x->last_print = t;
	char total[64] = "";
	if (p->rows_total > 0)
		snprintf(total, sizeof(total), " of ~%lld (%d%%)", (long long)p->rows_total,
			 (int)(p->rows_done * 100 /
			       (p->rows_total > p->rows_done ? p->rows_total : p->rows_done)));
	fprintf(stderr, "%s  backfill %s: %lld rows%s, %lld batches, %.0f rows/s%s%s",
		x->tty ? "\r\033[K" : "", p->table, (long long)p->rows_done, total, (long long)p->batches,
		p->rows_per_sec, p->done ? ", done" : "", x->tty && !p->done ? "" : "\n");
	fflush(stderr);
	x->line_open = x->tty && !p->done;
}

static void on_notice(void *ud, const char *id, const char *msg)
{
	cli_expand *x = ud;
	cli_expand_done(x);
	fprintf(stderr, "  %s: %s\n", id, msg);
}

sl_expand_opts cli_expand_opts(cli_expand *x)
{
	sl_expand_opts o = SL_EXPAND_OPTS_INIT;
	x->tty = isatty(fileno(stderr)) != 0;
	o.batch_size = x->batch_size;
	o.throttle_ms = x->throttle_ms;
	o.max_batches = x->max_batches;
	o.lock_timeout_ms = x->ddl_lock_timeout_ms;
	o.retries = x->ddl_retries;
	o.confirm = x->confirm;
	o.on_progress = on_progress;
	o.on_notice = on_notice;
	o.ud = x;
	return o;
}
