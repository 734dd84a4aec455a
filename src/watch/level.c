/*
 * level.c - the judgement of a watch (include/sluice/watch.h): levels and
 * their names, limits turning a figure into a level, the state machine, the
 * names of the checks, and the defaults a sluice.yaml `watch:` gives.
 */
#include "watch_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sluice/error.h"
#include "sluice/rules.h"
#include "sluice/shadow.h"

const char *const watch_check_names[] = { "rules", "diff", "sync", "shadow", NULL };

const char *sl_watch_level_name(sl_watch_level l)
{
	switch (l) {
	case SL_WATCH_OK:
		return "ok";
	case SL_WATCH_WARN:
		return "warn";
	case SL_WATCH_BREACH:
		return "breach";
	default:
		return NULL;
	}
}

sl_watch_level sl_watch_level_from_name(const char *name)
{
	for (int l = SL_WATCH_OK; name && l <= SL_WATCH_BREACH; l++)
		if (!strcmp(name, sl_watch_level_name((sl_watch_level)l)))
			return (sl_watch_level)l;
	return SL_WATCH_NONE;
}

int sl_watch_checks_parse(unsigned *out, const char *list)
{
	unsigned bits = 0;
	const char *p = list ? list : "";
	while (*p) {
		size_t n = strcspn(p, ",");
		char word[32];
		snprintf(word, sizeof(word), "%.*s", (int)(n < sizeof(word) ? n : sizeof(word) - 1), p);
		char *w = word;
		while (*w == ' ')
			w++;
		for (char *e = w + strlen(w); e > w && e[-1] == ' ';)
			*--e = '\0';
		unsigned bit = 0;
		for (unsigned i = 0; watch_check_names[i]; i++)
			if (!strcmp(w, watch_check_names[i]))
				bit = 1u << i;
		if (!bit && *w) {
			const char *near = sl_config_nearest(w, watch_check_names);
			if (near)
				return sl_error_set(SL_EINVALID,
						    "unknown check \"%s\" (did you mean \"%s\"?)", w, near);
			return sl_error_set(SL_EINVALID, "unknown check \"%s\" (rules, diff, sync, shadow)",
					    w);
		}
		bits |= bit;
		p += n;
		if (*p == ',')
			p++;
	}
	if (!bits)
		return sl_error_set(SL_EINVALID, "no check named (rules, diff, sync, shadow)");
	*out = bits;
	return 0;
}

int sl_watch_checks_format(sl_buf *out, unsigned checks)
{
	int rc = 0;
	bool first = true;
	for (unsigned i = 0; !rc && watch_check_names[i]; i++)
		if (checks & (1u << i)) {
			rc = sl_buf_printf(out, "%s%s", first ? "" : ",", watch_check_names[i]);
			first = false;
		}
	return rc;
}

sl_watch_level sl_watch_judge(double value, sl_watch_limit lim)
{
	if (lim.breach >= 0 && value >= lim.breach)
		return SL_WATCH_BREACH;
	if (lim.warn >= 0 && value >= lim.warn)
		return SL_WATCH_WARN;
	return SL_WATCH_OK;
}

sl_watch_level sl_watch_next_state(sl_watch_level current, sl_watch_level run, bool complete)
{
	if (complete)
		return run;
	if (current == SL_WATCH_NONE && run == SL_WATCH_OK)
		return SL_WATCH_NONE; /* saw part of it, and nothing wrong: still nothing known */
	return run > current ? run : current;
}

/* "90s", "5m", "1.5h": a duration as sluice.yaml writes them. */
static void seconds_text(char *buf, size_t n, double s)
{
	if (s >= 3600 && fmod(s, 360) == 0)
		snprintf(buf, n, "%gh", s / 3600);
	else if (s >= 60 && fmod(s, 6) == 0)
		snprintf(buf, n, "%gm", s / 60);
	else
		snprintf(buf, n, "%gs", s);
}

const char *watch_limit_text(sl_arena *a, sl_watch_limit lim, bool seconds)
{
	char w[32], b[32];
	if (seconds) {
		seconds_text(w, sizeof(w), lim.warn);
		seconds_text(b, sizeof(b), lim.breach);
	} else {
		snprintf(w, sizeof(w), "%.0f", lim.warn);
		snprintf(b, sizeof(b), "%.0f", lim.breach);
	}
	if (lim.warn >= 0 && lim.breach >= 0)
		return sl_arena_printf(a, "warn %s, breach %s", w, b);
	if (lim.warn >= 0)
		return sl_arena_printf(a, "warn %s", w);
	if (lim.breach >= 0)
		return sl_arena_printf(a, "breach %s", b);
	return NULL;
}

int64_t watch_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Does sluice.yaml hold rules, shadow queries? (Malformed sections count as present: the check says why.) */
static bool has_rules(sl_config *project)
{
	sl_rules *r = NULL;
	bool yes = sl_rules_load(&r, project) != 0 || r->n > 0;
	sl_rules_free(r);
	sl_error_clear();
	return yes;
}

static bool has_shadow(sl_config *project)
{
	return project && sl_config_section(project, "shadow") != NULL;
}

void sl_watch_opts_from_config(sl_watch_opts *o, const sl_watch_config *c, sl_config *project)
{
	o->config = c;
	o->project = project;
	o->target = c->target;
	o->source = c->source;
	o->every_ms = c->every_ms;
	o->for_ms = c->for_ms;
	o->checks = c->checks;
}

unsigned sl_watch_checks_of(const sl_watch_opts *o)
{
	unsigned checks = o->checks;
	if (checks)
		return checks;
	if (has_rules(o->project))
		checks |= SL_WATCH_RULES;
	if (o->source)
		checks |= SL_WATCH_DIFF;
	if (o->source && has_shadow(o->project))
		checks |= SL_WATCH_SHADOW;
	if (o->config && o->config->sync_set)
		checks |= SL_WATCH_SYNC;
	return checks;
}
