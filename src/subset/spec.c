/*
 * spec.c - the --subset argument: roots separated by ";", each
 * "TABLE: N%" (a sample) or "TABLE: CONDITION" (source SQL), see
 * include/sluice/subset.h.
 */
#include "sluice/subset.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"

static const char *trim(sl_arena *a, const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return sl_arena_strndup(a, s, n);
}

/* "5%", "0.5 %": the percentage, or -1 when the text is not one. */
static double percent_of(const char *s)
{
	char *end = NULL;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno || !isfinite(v))
		return -1;
	while (isspace((unsigned char)*end))
		end++;
	if (*end != '%')
		return -1;
	end++;
	while (isspace((unsigned char)*end))
		end++;
	return *end ? -1 : v;
}

static int parse_one(sl_subset_root *r, const char *part, size_t len, sl_arena *a)
{
	const char *colon = memchr(part, ':', len);
	const char *whole = trim(a, part, len);
	if (!whole)
		return sl_error_nomem();
	if (!colon)
		return sl_error_set(SL_EINVALID,
				    "--subset \"%s\": write TABLE: PERCENT%% or TABLE: CONDITION "
				    "(e.g. \"customers: 5%%\")",
				    whole);
	r->table = trim(a, part, (size_t)(colon - part));
	const char *rest = trim(a, colon + 1, len - (size_t)(colon + 1 - part));
	if (!r->table || !rest)
		return sl_error_nomem();
	if (!*r->table)
		return sl_error_set(SL_EINVALID, "--subset \"%s\": no table before \":\"", whole);
	if (!*rest)
		return sl_error_set(SL_EINVALID,
				    "--subset \"%s\": give a percentage or a condition after \":\"", whole);
	double p = percent_of(rest);
	if (strchr(rest, '%') && p < 0 && strspn(rest, "0123456789. %") == strlen(rest))
		return sl_error_set(SL_EINVALID, "--subset \"%s\": \"%s\" is not a percentage", whole, rest);
	if (p >= 0) {
		if (p <= 0 || p > 100)
			return sl_error_set(SL_EINVALID,
					    "--subset \"%s\": the percentage must be above 0 and at most 100",
					    whole);
		r->percent = p;
		return 0;
	}
	r->where = rest;
	return 0;
}

int sl_subset_parse(sl_subset_root **out, size_t *n, const char *spec, sl_arena *a)
{
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	for (const char *p = spec; p && *p;) {
		const char *end = strchr(p, ';');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *t = trim(a, p, len);
		if (!t)
			return sl_error_nomem();
		if (*t) {
			sl_subset_root *r = sl_arena_push(a, out, n, &cap, sizeof(*r));
			if (!r)
				return sl_error_nomem();
			int rc = parse_one(r, p, len, a);
			if (rc)
				return rc;
			for (size_t i = 0; i + 1 < *n; i++)
				if (strcmp((*out)[i].table, r->table) == 0)
					return sl_error_set(SL_EINVALID,
							    "--subset: table \"%s\" is given twice",
							    r->table);
		}
		p = end ? end + 1 : NULL;
	}
	if (*n == 0)
		return sl_error_set(SL_EINVALID, "--subset is empty: give e.g. \"customers: 5%%\"");
	return 0;
}
