/*
 * leak.c - the leak scan of a snapshot's report: are source values of the
 * masked columns anywhere in the target?
 *
 * Needles: the distinct source values (at most scan_values per column) of
 * every column masked by a rule that hides values (not keep, shuffle,
 * date_shift or noise, which keep or move real values by design), and the
 * strings at the masked paths of json rules. They are compared in a folded
 * form: ASCII lower case, runs of white space as one space, trimmed; values
 * shorter than MIN_NEEDLE bytes are not looked for (too common to mean
 * anything), nor the fixed value of a fixed rule.
 *
 * Haystack: every text and JSON value of every table of the target, as a
 * whole, word by word, and as runs of two to four words (a name inside free
 * text). A needle that is one plain word (a first name alone, "Jordan") is
 * only looked for in its own masked column: as a word of a film title or a
 * country it identifies nobody. A match in a masked column that the
 * column's rule could have produced (a generated name that happens to equal
 * a real one) is a coincidence, reported apart; any other match is a leak.
 * Values are never printed: the report names the columns only.
 */
#include "snapshot_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "sluice/error.h"

#define MIN_NEEDLE 5
#define MAX_WORDS  4

typedef struct needle {
	size_t col;  /* index into scan.cols */
	char *orig;  /* the value as in the source (for the coincidence test) */
	bool word;   /* one word of letters only: looked for in its own column only */
	bool leaked; /* counted once as a leak */
	bool fake;   /* counted once as a coincidence */
} needle;

typedef struct scol {
	const tbind *tb;
	const colbind *cb;
	int64_t values, found, coincidences;
	sl_buf where; /* "table.column, ..." where leaks were found */
} scol;

typedef struct scan {
	snap *s;
	sl_strmap *needles; /* folded text -> needle* */
	sl_strmap *firsts;  /* the first word of every needle of several words */
	scol *cols;
	size_t ncols;
	bool multiword;
	sl_buf fold;
	uint64_t *bloom; /* needles and first words: most words of the target are turned away here */
	uint64_t bloom_mask;
} scan;

static void bloom_set(scan *sc, uint64_t h)
{
	uint64_t a = h & sc->bloom_mask, b = (h >> 32) & sc->bloom_mask;
	sc->bloom[a >> 6] |= UINT64_C(1) << (a & 63);
	sc->bloom[b >> 6] |= UINT64_C(1) << (b & 63);
}

static bool bloom_maybe(const scan *sc, const char *s, size_t n)
{
	uint64_t h = XXH3_64bits(s, n), a = h & sc->bloom_mask, b = (h >> 32) & sc->bloom_mask;
	return (sc->bloom[a >> 6] >> (a & 63) & 1) && (sc->bloom[b >> 6] >> (b & 63) & 1);
}

/* Sizes the filter at 16 bits per entry (at least 64 Ki bits) and fills it. */
static int bloom_build(scan *sc)
{
	size_t n = sl_strmap_count(sc->needles) + sl_strmap_count(sc->firsts), bits = 65536, it = 0, len;
	const char *key;
	while (bits < n * 16)
		bits *= 2;
	sc->bloom = calloc(bits / 64, sizeof(uint64_t));
	if (!sc->bloom)
		return sl_error_nomem();
	sc->bloom_mask = bits - 1;
	while (sl_strmap_next(sc->needles, &it, &key, &len, NULL))
		bloom_set(sc, XXH3_64bits(key, len));
	it = 0;
	while (sl_strmap_next(sc->firsts, &it, &key, &len, NULL))
		bloom_set(sc, XXH3_64bits(key, len));
	return 0;
}

static bool hides(const sl_mask_rule *r)
{
	switch (r->kind) {
	case SL_MASK_KEEP:
	case SL_MASK_SHUFFLE:
	case SL_MASK_DATE_SHIFT:
	case SL_MASK_NOISE:
		return false;
	default:
		return true;
	}
}

/* Characters that end a word: white space, quotes, brackets, list punctuation. */
static const unsigned char separators[256] = {
	[' '] = 1,  ['\t'] = 1, ['\n'] = 1, ['\v'] = 1, ['\f'] = 1, ['\r'] = 1, ['"'] = 1,
	['\''] = 1, ['<'] = 1,  ['>'] = 1,  ['('] = 1,  [')'] = 1,  ['['] = 1,  [']'] = 1,
	['{'] = 1,  ['}'] = 1,  [','] = 1,  [';'] = 1,  ['|'] = 1,  ['\\'] = 1,
};

static bool separator(unsigned char c)
{
	return separators[c] != 0;
}

/*
 * The compared form of s: its words (split at white space, quotes, brackets
 * and list punctuation; a word's trailing . : ! ? dropped) in ASCII lower
 * case, joined by single spaces. A run of words of a value is a substring
 * of this form between spaces.
 */
static int fold(sl_buf *b, const char *s, size_t n)
{
	sl_buf_clear(b);
	int rc = sl_buf_grow(b, n + 1);
	if (rc)
		return rc;
	char *o = b->ptr;
	size_t len = 0;
	for (size_t i = 0; i < n;) {
		while (i < n && separator((unsigned char)s[i]))
			i++;
		size_t start = i;
		while (i < n && !separator((unsigned char)s[i]))
			i++;
		size_t e = i;
		while (e > start &&
		       (s[e - 1] == '.' || s[e - 1] == ':' || s[e - 1] == '!' || s[e - 1] == '?'))
			e--;
		if (e == start)
			continue;
		if (len)
			o[len++] = ' ';
		for (size_t k = start; k < e; k++)
			o[len++] = (char)tolower((unsigned char)s[k]);
	}
	o[len] = '\0';
	b->len = len;
	return 0;
}

static int add_needle(scan *sc, size_t col, const char *s, size_t n)
{
	const colbind *cb = sc->cols[col].cb;
	bool created = false;
	if (cb->rule->kind == SL_MASK_FIXED && strlen(cb->rule->value) == n && !memcmp(cb->rule->value, s, n))
		return 0;
	int rc = fold(&sc->fold, s, n);
	if (rc || sc->fold.len < MIN_NEEDLE)
		return rc;
	void **slot = sl_strmap_slot(sc->needles, sc->fold.ptr, sc->fold.len, &created);
	if (!slot)
		return sl_error_nomem();
	if (!created)
		return 0;
	needle *nd = sl_arena_calloc(sl_strmap_arena(sc->needles), 1, sizeof(*nd));
	if (!nd || !(nd->orig = sl_arena_strndup(sl_strmap_arena(sc->needles), s, n)))
		return sl_error_nomem();
	nd->col = col;
	nd->word = true;
	for (size_t i = 0; i < sc->fold.len && nd->word; i++)
		nd->word = isalpha((unsigned char)sc->fold.ptr[i]) ||
			   (unsigned char)sc->fold.ptr[i] >= 0x80 || sc->fold.ptr[i] == '\'' ||
			   sc->fold.ptr[i] == '-';
	*slot = nd;
	sc->cols[col].values++;
	const char *sp = memchr(sc->fold.ptr, ' ', sc->fold.len);
	if (sp) {
		sc->multiword = true;
		if (!sl_strmap_slot(sc->firsts, sc->fold.ptr, (size_t)(sp - sc->fold.ptr), NULL))
			return sl_error_nomem();
	}
	return 0;
}

typedef struct jctx {
	scan *sc;
	size_t col;
} jctx;

static int json_needle(void *ud, const char *s, size_t n)
{
	jctx *j = ud;
	return add_needle(j->sc, j->col, s, n);
}

/* The needles of one masked column, read from the source. */
static int load_column(scan *sc, size_t col)
{
	snap *s = sc->s;
	const scol *c = &sc->cols[col];
	sl_buf sql = SL_BUF_INIT;
	sl_cursor *cur = NULL;
	sl_batch b = { 0 };
	/* json columns: no DISTINCT (PostgreSQL json has no equality); their needles dedupe in the map */
	bool json = c->cb->rule->kind == SL_MASK_JSON || c->cb->target.kind == SL_T_JSON;
	bool paths = c->cb->rule->kind == SL_MASK_JSON;
	int64_t limit = s->o->scan_values > 0 ? s->o->scan_values : 1000000;
	int rc = sl_buf_puts(&sql, json ? "SELECT " : "SELECT DISTINCT ");
	if (!rc)
		rc = sl_conn_quote_ident(s->src, &sql, c->cb->c->name);
	if (!rc)
		rc = sl_buf_puts(&sql, " FROM ");
	if (!rc)
		rc = sl_snap_put_source_table(&sql, s->src, c->tb->t);
	if (!rc)
		rc = sl_buf_puts(&sql, " WHERE ");
	if (!rc)
		rc = sl_conn_quote_ident(s->src, &sql, c->cb->c->name);
	if (!rc)
		rc = sl_buf_puts(&sql, " IS NOT NULL");
	if (!rc)
		rc = sl_conn_query(&cur, s->src, sql.ptr);
	if (!rc)
		rc = sl_batch_init(&b, 1, 1024);
	while (!rc && sc->cols[col].values < limit) {
		sl_batch_reset(&b);
		int got = sl_cursor_fetch(cur, &b, 1024);
		if (got <= 0) {
			rc = got;
			break;
		}
		sl_buf txt = SL_BUF_INIT;
		for (size_t i = 0; !rc && i < b.nrows; i++) {
			const sl_value *v = sl_batch_row(&b, i);
			sl_buf_clear(&txt);
			if (v->type == SL_V_BLOB || v->type == SL_V_NULL)
				continue;
			rc = sl_mask_input_text(&txt, v);
			if (rc)
				break;
			if (!paths) {
				rc = add_needle(sc, col, txt.ptr ? txt.ptr : "", txt.len);
				continue;
			}
			jctx j = { .sc = sc, .col = col };
			for (size_t p = 0; !rc && p < c->cb->rule->npaths; p++)
				if (hides(c->cb->rule->paths[p].rule))
					rc = sl_mask_json_strings(txt.ptr ? txt.ptr : "", txt.len,
								  c->cb->rule->paths[p].path, json_needle,
								  &j);
		}
		sl_buf_free(&txt);
	}
	sl_cursor_close(cur);
	sl_batch_free(&b);
	sl_buf_free(&sql);
	if (rc)
		sl_error_prefix("leak scan: read \"%s\".\"%s\" in the source", c->tb->t->name,
				c->cb->c->name);
	return rc;
}

/* A match of folded text: counts it once for its column. */
/*
 * A match of folded text in target column `column` of `table`; own: the
 * scan column (index into sc->cols) the target column is, or -1 when it is
 * not masked.
 */
static int hit(scan *sc, const char *s, size_t n, const char *table, const char *column, int own)
{
	void *v = NULL;
	if (n < MIN_NEEDLE || !bloom_maybe(sc, s, n) || !sl_strmap_find(sc->needles, s, n, &v))
		return 0;
	needle *nd = v;
	scol *c = &sc->cols[nd->col];
	if (nd->word && own != (int)nd->col)
		return 0;
	if (own >= 0 && sl_mask_is_fake(sc->cols[own].cb->rule, nd->orig, strlen(nd->orig))) {
		if (!nd->fake && !nd->leaked)
			c->coincidences++;
		nd->fake = true;
		return 0;
	}
	if (nd->leaked)
		return 0;
	if (nd->fake) { /* counted as a coincidence first: it is a leak after all */
		nd->fake = false;
		c->coincidences--;
	}
	nd->leaked = true;
	c->found++;
	sl_buf where = SL_BUF_INIT;
	int rc = sl_buf_printf(&where, "%s.%s", table, column);
	if (!rc && !strstr(sl_buf_cstr(&c->where), where.ptr))
		rc = sl_buf_printf(&c->where, "%s%s", c->where.len ? ", " : "", where.ptr);
	sl_buf_free(&where);
	return rc;
}

/* Looks for needles in one target value: whole, word by word, and runs of words. */
static int look(scan *sc, const char *s, size_t n, const char *table, const char *column, int own)
{
	size_t starts[64] = { 0 }, ends[64] = { 0 }, nw = 0;
	int rc = fold(&sc->fold, s, n);
	const char *f = sc->fold.ptr ? sc->fold.ptr : "";
	size_t fl = sc->fold.len;
	if (!rc)
		rc = hit(sc, f, fl, table, column, own);
	for (size_t i = 0; !rc && i < fl; i++) {
		size_t start = i;
		while (i < fl && f[i] != ' ')
			i++;
		if (i - start < fl)
			rc = hit(sc, f + start, i - start, table, column, own);
		if (nw < 64) {
			starts[nw] = start;
			ends[nw++] = i;
		}
	}
	for (size_t w = 0; !rc && sc->multiword && w + 1 < nw; w++) {
		if (!bloom_maybe(sc, f + starts[w], ends[w] - starts[w]) ||
		    !sl_strmap_find(sc->firsts, f + starts[w], ends[w] - starts[w], NULL))
			continue; /* no needle starts with this word */
		for (size_t k = 1; !rc && k < MAX_WORDS && w + k < nw; k++)
			rc = hit(sc, f + starts[w], ends[w + k] - starts[w], table, column, own);
	}
	return rc;
}

static bool texty(sl_tkind k)
{
	return k != SL_T_BOOL && k != SL_T_INT16 && k != SL_T_INT32 && k != SL_T_INT64 && k != SL_T_FLOAT32 &&
	       k != SL_T_FLOAT64 && k != SL_T_DECIMAL && k != SL_T_DATE && k != SL_T_TIME &&
	       k != SL_T_TIMESTAMP && k != SL_T_TIMESTAMPTZ && k != SL_T_UUID && k != SL_T_BLOB;
}

/* Streams the text columns of one target table through look(). */
static int scan_table(scan *sc, const sl_table *t)
{
	snap *s = sc->s;
	const char *tt = sl_snap_target_table(s, t->name);
	const char **names = calloc(t->ncolumns + 1, sizeof(*names));
	int *own = calloc(t->ncolumns + 1, sizeof(*own));
	sl_buf sql = SL_BUF_INIT;
	sl_cursor *cur = NULL;
	sl_batch b = { 0 };
	size_t n = 0;
	int rc = names && own ? sl_buf_puts(&sql, "SELECT ") : sl_error_nomem();
	for (size_t i = 0; !rc && i < t->ncolumns; i++) {
		if (!texty(t->columns[i].type.kind) || t->columns[i].generated_expr)
			continue;
		own[n] = -1;
		for (size_t k = 0; k < sc->ncols; k++)
			if (sc->cols[k].tb->t == t && sc->cols[k].cb->c == &t->columns[i])
				own[n] = (int)k;
		names[n] = sl_snap_target_column(s, t->name, t->columns[i].name);
		if (n++)
			rc = sl_buf_puts(&sql, ", ");
		if (!rc)
			rc = sl_conn_quote_ident(s->dst, &sql, names[n - 1]);
	}
	if (!rc && n) {
		rc = sl_buf_puts(&sql, " FROM ");
		if (!rc)
			rc = sl_conn_quote_ident(s->dst, &sql, tt);
		if (!rc)
			rc = sl_conn_query(&cur, s->dst, sql.ptr);
		if (!rc)
			rc = sl_batch_init(&b, n, 1024);
		while (!rc) {
			sl_batch_reset(&b);
			int got = sl_cursor_fetch(cur, &b, 1024);
			if (got <= 0) {
				rc = got;
				break;
			}
			for (size_t r = 0; !rc && r < b.nrows; r++) {
				const sl_value *row = sl_batch_row(&b, r);
				for (size_t c = 0; !rc && c < n; c++)
					if (row[c].type == SL_V_TEXT || row[c].type == SL_V_JSON)
						rc = look(sc, row[c].u.s.ptr, row[c].u.s.len, tt, names[c],
							  own[c]);
			}
		}
		sl_cursor_close(cur);
	}
	if (rc)
		sl_error_prefix("leak scan: read \"%s\" in the target", tt);
	sl_batch_free(&b);
	sl_buf_free(&sql);
	free(names);
	free(own);
	return rc;
}

int sl_snap_check_leaks(snap *s)
{
	scan sc = { .s = s };
	size_t cap = 0;
	int rc = sl_strmap_new(&sc.needles);
	if (!rc)
		rc = sl_strmap_new(&sc.firsts);
	for (size_t i = 0; !rc && i < s->schema->ntables; i++) {
		const tbind *tb = &s->tables[i];
		for (size_t j = 0; !rc && j < tb->ncols; j++) {
			if (!hides(tb->cols[j].rule) || tb->cols[j].target.kind == SL_T_BLOB)
				continue;
			scol *c = sl_arena_push(s->a, &sc.cols, &sc.ncols, &cap, sizeof(*c));
			if (!c) {
				rc = sl_error_nomem();
				break;
			}
			c->tb = tb;
			c->cb = &tb->cols[j];
			rc = load_column(&sc, sc.ncols - 1);
		}
	}
	if (!rc)
		rc = bloom_build(&sc);
	for (size_t i = 0; !rc && sc.ncols && i < s->schema->ntables; i++)
		rc = scan_table(&sc, &s->schema->tables[i]);
	for (size_t i = 0; !rc && i < sc.ncols; i++) {
		scol *c = &sc.cols[i];
		char object[600];
		snprintf(object, sizeof(object), "%s.%s", c->tb->t->name, c->cb->c->name);
		rc = sl_snap_add_check(s, SL_SNAPSHOT_LEAK, c->tb->t->name, object, c->found, c->coincidences,
				       c->values, c->where.len ? c->where.ptr : NULL, c->found == 0);
		s->rep->leaks += c->found;
		s->rep->coincidences += c->coincidences;
	}
	for (size_t i = 0; i < sc.ncols; i++)
		sl_buf_free(&sc.cols[i].where);
	sl_strmap_free(sc.needles);
	sl_strmap_free(sc.firsts);
	free(sc.bloom);
	sl_buf_free(&sc.fold);
	return rc;
}
