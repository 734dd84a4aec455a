/*
 * udiff.c - a unified diff of two texts, line by line, for showing what
 * changed in a migration file after it was applied (sluice status).
 *
 * Longest common subsequence over lines with an O(n*m) table; inputs larger
 * than SL_UDIFF_MAX_CELLS cells are summarised instead of diffed, so memory
 * stays bounded whatever the file size.
 */
#include "sluice/report.h"
#include "sluice/error.h"

#include <stdlib.h>
#include <string.h>

#define SL_UDIFF_MAX_CELLS (4u * 1024 * 1024)
#define CONTEXT            2

typedef struct lines {
	const char **p;
	size_t *len;
	size_t n;
} lines;

static int split_lines(lines *l, const char *s)
{
	size_t cap = 16;
	l->n = 0;
	l->p = malloc(cap * sizeof(*l->p));
	l->len = malloc(cap * sizeof(*l->len));
	if (!l->p || !l->len)
		return sl_error_nomem();
	while (s && *s) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);
		if (l->n == cap) {
			cap *= 2;
			const char **np = realloc(l->p, cap * sizeof(*l->p));
			if (np)
				l->p = np;
			size_t *nlen = realloc(l->len, cap * sizeof(*l->len));
			if (nlen)
				l->len = nlen;
			if (!np || !nlen)
				return sl_error_nomem();
		}
		l->p[l->n] = s;
		l->len[l->n++] = n && s[n - 1] == '\r' ? n - 1 : n;
		s = nl ? nl + 1 : s + n;
	}
	return 0;
}

static bool same(const lines *a, size_t i, const lines *b, size_t j)
{
	return a->len[i] == b->len[j] && memcmp(a->p[i], b->p[j], a->len[i]) == 0;
}

typedef struct op {
	char kind; /* ' ', '-', '+' */
	size_t ai, bi;
} op;

int sl_report_udiff(sl_buf *out, const char *a_text, const char *b_text, const char *a_label,
		    const char *b_label)
{
	lines a = { 0 }, b = { 0 };
	unsigned *t = NULL;
	op *ops = NULL;
	int rc = split_lines(&a, a_text);
	if (!rc)
		rc = split_lines(&b, b_text);
	if (rc)
		goto done;
	if ((a.n + 1) * (b.n + 1) > SL_UDIFF_MAX_CELLS) {
		rc = sl_buf_printf(out,
				   "--- %s\n+++ %s\n(%zu and %zu lines: too large to show line by line)\n",
				   a_label, b_label, a.n, b.n);
		goto done;
	}
	size_t w = b.n + 1;
	t = calloc((a.n + 1) * w, sizeof(*t));
	ops = malloc((a.n + b.n + 1) * sizeof(*ops));
	if (!t || !ops) {
		rc = sl_error_nomem();
		goto done;
	}
	for (size_t i = a.n; i-- > 0;)
		for (size_t j = b.n; j-- > 0;)
			t[i * w + j] = same(&a, i, &b, j)
					       ? t[(i + 1) * w + j + 1] + 1
					       : (t[(i + 1) * w + j] > t[i * w + j + 1] ? t[(i + 1) * w + j]
											: t[i * w + j + 1]);
	size_t n = 0, i = 0, j = 0;
	while (i < a.n || j < b.n) {
		if (i < a.n && j < b.n && same(&a, i, &b, j))
			ops[n++] = (op){ ' ', i++, j++ };
		else if (j < b.n && (i == a.n || t[i * w + j + 1] >= t[(i + 1) * w + j]))
			ops[n++] = (op){ '+', i, j++ };
		else
			ops[n++] = (op){ '-', i++, j };
	}
	rc = sl_buf_printf(out, "--- %s\n+++ %s\n", a_label, b_label);
	for (size_t k = 0; !rc && k < n;) {
		if (ops[k].kind == ' ') {
			k++;
			continue;
		}
		/* a hunk runs until changes are more than 2*CONTEXT equal lines apart */
		size_t start = k > CONTEXT ? k - CONTEXT : 0, last = k, end;
		for (end = k; end < n; end++) {
			if (ops[end].kind != ' ')
				last = end;
			else if (end - last > 2 * CONTEXT)
				break;
		}
		end = last + CONTEXT + 1 < n ? last + CONTEXT + 1 : n;
		rc = sl_buf_printf(out, "@@ -%zu +%zu @@\n", ops[start].ai + 1, ops[start].bi + 1);
		for (size_t q = start; !rc && q < end; q++) {
			const lines *src = ops[q].kind == '+' ? &b : &a;
			size_t idx = ops[q].kind == '+' ? ops[q].bi : ops[q].ai;
			rc = sl_buf_printf(out, "%c%.*s\n", ops[q].kind, (int)src->len[idx], src->p[idx]);
		}
		k = end;
	}
done:
	free(a.p);
	free(a.len);
	free(b.p);
	free(b.len);
	free(t);
	free(ops);
	return rc;
}
