/*
 * diff_keyless.c - tables without a key, compared as multisets of 128-bit
 * row hashes (sl_canon_row_hash over every compared column).
 *
 * Each side is streamed once, its hashes kept in an array. While both arrays
 * together stay under opts.mem_cap they are sorted and merged in memory.
 * Past the cap, hashes go to NPART hash-partitioned temp files per side
 * (unlinked at creation), and each partition pair is then loaded, sorted and
 * merged on its own: memory is about mem_cap / NPART * 2 per partition pair.
 * Differences are runs of one hash with unequal counts; for a few of them
 * (opts.max_examples) the side is read again to show one example row.
 */
#include "check/canon_int.h"
#include "check/diff_int.h"
#include "sluice/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NPART 128

typedef struct hkey {
	uint64_t lo, hi;
} hkey;

/* A side's hashes: in memory, or spread over NPART files once spilled. */
typedef struct hset {
	hkey *v;
	size_t n, cap;
	FILE *part[NPART];
	bool spilled;
} hset;

/* A differing hash kept for the example pass. */
typedef struct hdiff {
	hkey h;
	int side; /* DIFF_SRC: more in source (MISSING); DIFF_DST: EXTRA */
	int64_t count;
	bool shown;
} hdiff;

typedef struct kl {
	diff_ctx *x;
	hset s[2];
	hdiff *d;
	size_t nd, capd;
	bool overflow; /* more differences than max_examples: no example pass */
} kl;

static int cmp_hkey(const void *pa, const void *pb)
{
	const hkey *a = pa, *b = pb;
	if (a->hi != b->hi)
		return a->hi < b->hi ? -1 : 1;
	return (a->lo > b->lo) - (a->lo < b->lo);
}

static const char *tmp_dir(const diff_ctx *x)
{
	if (x->opts.tmp_dir)
		return x->opts.tmp_dir;
	const char *t = getenv("TMPDIR");
	return t && *t ? t : "/tmp";
}

static int open_parts(const diff_ctx *x, hset *s)
{
	sl_buf path = SL_BUF_INIT;
	int rc = 0;
	for (int p = 0; p < NPART && !rc; p++) {
		sl_buf_clear(&path);
		rc = sl_buf_printf(&path, "%s/sluice-diff-XXXXXX", tmp_dir(x));
		if (rc)
			break;
		int fd = mkstemp(path.ptr);
		if (fd < 0) {
			rc = sl_error_set(SL_EIO, "creating a spill file in \"%s\": %s", tmp_dir(x),
					  strerror(errno));
			break;
		}
		unlink(path.ptr);
		s->part[p] = fdopen(fd, "w+b");
		if (!s->part[p]) {
			close(fd);
			rc = sl_error_set(SL_EIO, "opening a spill file: %s", strerror(errno));
		}
	}
	sl_buf_free(&path);
	return rc;
}

static int spill_one(hset *s, const hkey *h)
{
	FILE *f = s->part[h->hi >> 57];
	if (fwrite(h, sizeof(*h), 1, f) != 1)
		return sl_error_set(SL_EIO, "writing a spill file: %s", strerror(errno));
	return 0;
}

/* Moves the in-memory hashes of s into its partition files. */
static int spill(const diff_ctx *x, hset *s)
{
	int rc = s->spilled ? 0 : open_parts(x, s);
	for (size_t i = 0; !rc && i < s->n; i++)
		rc = spill_one(s, &s->v[i]);
	if (!rc) {
		s->spilled = true;
		free(s->v);
		s->v = NULL;
		s->n = s->cap = 0;
	}
	return rc;
}

static int push_hash(kl *k, int side, const hkey *h)
{
	hset *s = &k->s[side];
	if (s->spilled)
		return spill_one(s, h);
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 4096;
		size_t half = k->x->opts.mem_cap / 2 / sizeof(hkey);
		if (ncap > half)
			ncap = half > s->n ? half : s->n + 1;
		if (s->n >= half) {
			/* over the cap: both sides go to partitions */
			int rc = spill(k->x, &k->s[0]);
			if (!rc)
				rc = spill(k->x, &k->s[1]);
			return rc ? rc : spill_one(s, h);
		}
		hkey *nv = realloc(s->v, ncap * sizeof(hkey));
		if (!nv)
			return sl_error_nomem();
		s->v = nv;
		s->cap = ncap;
	}
	s->v[s->n++] = *h;
	size_t bytes = (k->s[0].cap + k->s[1].cap) * sizeof(hkey);
	if (bytes > k->x->res->peak_bytes)
		k->x->res->peak_bytes = bytes;
	return 0;
}

/* Streams one side, hashing each row; calls visit (when set) instead of storing. */
typedef int (*row_visit)(kl *k, int side, const sl_value *row, const hkey *h);

static int scan_side(kl *k, int side, row_visit visit)
{
	diff_ctx *x = k->x;
	sl_conn *c = side == DIFF_SRC ? x->src : x->dst;
	sl_cursor *cur = NULL;
	sl_batch b = { 0 };
	sl_buf sql = SL_BUF_INIT, enc = SL_BUF_INIT, scratch = SL_BUF_INIT;
	int rc = diff_build_select(x, side, false, &sql);
	if (!rc)
		rc = sl_conn_query(&cur, c, sl_buf_cstr(&sql));
	if (!rc)
		rc = sl_batch_init(&b, sl_cursor_ncols(cur), x->opts.batch_rows);
	if (rc)
		goto done;
	x->res->batches_held = 1;
	for (;;) {
		sl_batch_reset(&b);
		int n = sl_cursor_fetch(cur, &b, x->opts.batch_rows);
		if (n < 0) {
			rc = n;
			goto done;
		}
		if (n == 0)
			break;
		if (b.nrows > x->res->peak_batch_rows)
			x->res->peak_batch_rows = b.nrows;
		for (size_t r = 0; r < b.nrows; r++) {
			const sl_value *row = sl_batch_row(&b, r);
			uint64_t h[2];
			rc = sl_canon_row_hash_scratch(h, row, x->res->canon, x->res->ncolumns,
						       &x->opts.canon, &enc, &scratch);
			if (rc)
				goto done;
			hkey hk = { .lo = h[0], .hi = h[1] };
			if (visit) {
				rc = visit(k, side, row, &hk);
			} else {
				rc = push_hash(k, side, &hk);
				if (side == DIFF_SRC)
					x->res->src_rows++;
				else
					x->res->dst_rows++;
			}
			if (rc)
				goto done;
		}
	}
done:
	if (rc)
		sl_error_prefix("reading the %s", side == DIFF_SRC ? "source" : "target");
	if (cur)
		sl_cursor_close(cur);
	sl_batch_free(&b);
	sl_buf_free(&sql);
	sl_buf_free(&enc);
	sl_buf_free(&scratch);
	return rc;
}

static int emit_hash(kl *k, int side, const hkey *h, int64_t count, const sl_value *row)
{
	sl_diff_event ev = { .kind = side == DIFF_SRC ? SL_DIFF_MISSING : SL_DIFF_EXTRA,
			     .ncolumns = k->x->res->ncolumns,
			     .count = count,
			     .hash = { h->lo, h->hi },
			     .keyless = true };
	if (side == DIFF_SRC)
		ev.src_row = row;
	else
		ev.dst_row = row;
	return diff_emit(k->x, &ev);
}

/* Records a differing hash: kept for the example pass while there are few. */
static int note_diff(kl *k, int side, const hkey *h, int64_t count)
{
	diff_ctx *x = k->x;
	if (side == DIFF_SRC)
		x->res->missing += count;
	else
		x->res->extra += count;
	if (!x->opts.keyless_examples || k->overflow)
		return emit_hash(k, side, h, count, NULL);
	if (k->nd == x->opts.max_examples) {
		/* too many for examples: report the kept ones without rows */
		k->overflow = true;
		for (size_t i = 0; i < k->nd; i++) {
			int rc = emit_hash(k, k->d[i].side, &k->d[i].h, k->d[i].count, NULL);
			if (rc)
				return rc;
		}
		k->nd = 0;
		return emit_hash(k, side, h, count, NULL);
	}
	if (k->nd == k->capd) {
		size_t ncap = k->capd ? k->capd * 2 : 16;
		hdiff *nd = realloc(k->d, ncap * sizeof(*nd));
		if (!nd)
			return sl_error_nomem();
		k->d = nd;
		k->capd = ncap;
	}
	k->d[k->nd++] = (hdiff){ .h = *h, .side = side, .count = count };
	return 0;
}

/* Merges two sorted hash arrays, counting equal rows and surpluses. */
static int merge_sorted(kl *k, const hkey *a, size_t na, const hkey *b, size_t nb)
{
	size_t i = 0, j = 0;
	int rc = 0;
	while (!rc && (i < na || j < nb)) {
		int c = i == na ? 1 : j == nb ? -1 : cmp_hkey(&a[i], &b[j]);
		const hkey h = c <= 0 ? a[i] : b[j];
		int64_t ca = 0, cb = 0;
		while (i < na && cmp_hkey(&a[i], &h) == 0)
			i++, ca++;
		while (j < nb && cmp_hkey(&b[j], &h) == 0)
			j++, cb++;
		k->x->res->equal += ca < cb ? ca : cb;
		if (ca > cb)
			rc = note_diff(k, DIFF_SRC, &h, ca - cb);
		else if (cb > ca)
			rc = note_diff(k, DIFF_DST, &h, cb - ca);
	}
	return rc;
}

/* Reads one partition file whole into *v (realloc'd). */
static int load_part(FILE *f, hkey **v, size_t *n, size_t *cap)
{
	if (fflush(f) != 0 || fseeko(f, 0, SEEK_END) != 0)
		return sl_error_set(SL_EIO, "reading a spill file: %s", strerror(errno));
	off_t size = ftello(f);
	if (size < 0 || fseeko(f, 0, SEEK_SET) != 0)
		return sl_error_set(SL_EIO, "reading a spill file: %s", strerror(errno));
	size_t cnt = (size_t)size / sizeof(hkey);
	if (cnt > *cap) {
		hkey *nv = realloc(*v, cnt * sizeof(hkey));
		if (!nv)
			return sl_error_nomem();
		*v = nv;
		*cap = cnt;
	}
	if (cnt && fread(*v, sizeof(hkey), cnt, f) != cnt)
		return sl_error_set(SL_EIO, "reading a spill file: short read");
	*n = cnt;
	return 0;
}

static int merge_parts(kl *k)
{
	hkey *a = NULL, *b = NULL;
	size_t na = 0, nb = 0, capa = 0, capb = 0;
	int rc = 0;
	for (int p = 0; p < NPART && !rc; p++) {
		rc = load_part(k->s[0].part[p], &a, &na, &capa);
		if (!rc)
			rc = load_part(k->s[1].part[p], &b, &nb, &capb);
		if (rc)
			break;
		size_t bytes = (capa + capb) * sizeof(hkey);
		if (bytes > k->x->res->peak_bytes)
			k->x->res->peak_bytes = bytes;
		qsort(a, na, sizeof(hkey), cmp_hkey);
		qsort(b, nb, sizeof(hkey), cmp_hkey);
		rc = merge_sorted(k, a, na, b, nb);
	}
	free(a);
	free(b);
	return rc;
}

static int cmp_hdiff(const void *pa, const void *pb)
{
	const hdiff *a = pa, *b = pb;
	if (a->side != b->side)
		return a->side - b->side;
	return cmp_hkey(&a->h, &b->h);
}

static int visit_example(kl *k, int side, const sl_value *row, const hkey *h)
{
	hdiff key = { .h = *h, .side = side };
	hdiff *d = bsearch(&key, k->d, k->nd, sizeof(hdiff), cmp_hdiff);
	if (!d || d->shown)
		return 0;
	d->shown = true;
	return emit_hash(k, side, h, d->count, row);
}

/* Re-reads the sides that have differences to report one example row each. */
static int show_examples(kl *k)
{
	int rc = 0;
	if (k->nd == 0)
		return 0;
	qsort(k->d, k->nd, sizeof(hdiff), cmp_hdiff);
	for (int side = DIFF_SRC; side <= DIFF_DST && !rc; side++) {
		bool any = false;
		for (size_t i = 0; i < k->nd; i++)
			any |= k->d[i].side == side;
		if (any)
			rc = scan_side(k, side, visit_example);
	}
	/* rows that changed between the passes: report without an example */
	for (size_t i = 0; !rc && i < k->nd; i++)
		if (!k->d[i].shown)
			rc = emit_hash(k, k->d[i].side, &k->d[i].h, k->d[i].count, NULL);
	return rc;
}

int diff_run_keyless(diff_ctx *x)
{
	kl k = { .x = x };
	int rc = scan_side(&k, DIFF_SRC, NULL);
	if (!rc)
		rc = scan_side(&k, DIFF_DST, NULL);
	if (rc)
		goto done;
	if (k.s[0].spilled || k.s[1].spilled) {
		x->res->spilled = true;
		rc = merge_parts(&k);
	} else {
		for (int s = 0; s < 2; s++)
			if (k.s[s].n) /* an empty side has v == NULL, which qsort must not get */
				qsort(k.s[s].v, k.s[s].n, sizeof(hkey), cmp_hkey);
		rc = merge_sorted(&k, k.s[0].v, k.s[0].n, k.s[1].v, k.s[1].n);
	}
	for (int s = 0; s < 2; s++) {
		free(k.s[s].v);
		k.s[s].v = NULL;
	}
	if (!rc && !k.overflow)
		rc = show_examples(&k);
done:
	for (int s = 0; s < 2; s++) {
		free(k.s[s].v);
		for (int p = 0; p < NPART; p++)
			if (k.s[s].part[p])
				fclose(k.s[s].part[p]);
	}
	free(k.d);
	return rc;
}
