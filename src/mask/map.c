/*
 * map.c - injective masking maps (sl_mask_map, include/sluice/mask.h): the
 * outputs of one rule for a set of inputs, with collisions resolved so that
 * a unique column stays unique after masking and never loses a row.
 *
 * Inputs are sorted by the bytes of their text; each takes the first
 * alternative (attempt 0, 1, 2, ...) whose output no earlier input took.
 * Outputs are compared the way a unique index under a case-insensitive,
 * pad-space collation would (ASCII case folded, trailing spaces dropped),
 * so the map holds on every engine. Memory: every distinct input and its
 * output, in the map's arenas.
 */
#include "mask_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"
#include "sluice/strmap.h"

#define MAX_ATTEMPTS 1000

typedef struct input {
	const char *text;
	size_t len;
	sl_value value; /* payload in the map's arena */
} input;

struct sl_mask_map {
	const sl_mask_rule *rule;
	sl_mask_target target;
	sl_strmap *out;  /* input text -> sl_value* (output) */
	sl_strmap *seen; /* input text, while adding */
	input *in;       /* in the arena (sl_arena_push) */
	size_t nin, capin;
	sl_arena *a;
	bool built;
};

int sl_mask_map_new(sl_mask_map **out, const sl_mask_rule *r, const sl_mask_target *t)
{
	sl_mask_map *m = calloc(1, sizeof(*m));
	*out = NULL;
	if (!m)
		return sl_error_nomem();
	m->rule = r;
	m->target = *t;
	m->a = sl_arena_new(0);
	int rc = m->a ? 0 : sl_error_nomem();
	if (!rc)
		rc = sl_strmap_new(&m->out);
	if (!rc)
		rc = sl_strmap_new(&m->seen);
	if (rc) {
		sl_mask_map_free(m);
		return rc;
	}
	*out = m;
	return 0;
}

void sl_mask_map_free(sl_mask_map *m)
{
	if (!m)
		return;
	sl_strmap_free(m->out);
	sl_strmap_free(m->seen);
	sl_arena_free(m->a);
	free(m);
}

int sl_mask_map_add(sl_mask_map *m, const sl_value *v)
{
	sl_buf t = SL_BUF_INIT;
	bool created = false;
	int rc = 0;
	if (v->type == SL_V_NULL)
		return 0;
	if (m->built)
		return sl_error_set(SL_ERROR, "masking map: input added after the map was built");
	rc = sl_mask_input_text(&t, v);
	void **slot = rc ? NULL : sl_strmap_slot(m->seen, t.ptr ? t.ptr : "", t.len, &created);
	if (!rc && !slot)
		rc = SL_ENOMEM;
	if (!rc && created) {
		input *in = sl_arena_push(m->a, &m->in, &m->nin, &m->capin, sizeof(*in));
		if (!in)
			rc = SL_ENOMEM;
		else {
			in->text = sl_arena_memdup(m->a, t.ptr ? t.ptr : "", t.len + 1);
			in->len = t.len;
			rc = in->text ? sl_value_copy(&in->value, v, m->a) : SL_ENOMEM;
		}
	}
	sl_buf_free(&t);
	return rc == SL_ENOMEM ? sl_error_nomem() : rc;
}

static int cmp_input(const void *pa, const void *pb)
{
	const input *a = pa, *b = pb;
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->text, b->text, n);
	return c ? c : (a->len > b->len) - (a->len < b->len);
}

/* The form two outputs are compared in. */
static int fold(sl_buf *b, const sl_value *v)
{
	sl_buf_clear(b);
	int rc = sl_mask_input_text(b, v);
	while (!rc && b->len && b->ptr[b->len - 1] == ' ')
		b->len--;
	for (size_t i = 0; !rc && i < b->len; i++)
		b->ptr[i] = (char)tolower((unsigned char)b->ptr[i]);
	return rc;
}

int sl_mask_map_build(sl_mask_map *m, sl_mask_ctx *x)
{
	sl_strmap *taken = NULL;
	sl_buf key = SL_BUF_INIT;
	int rc = sl_strmap_new(&taken);
	if (!rc && m->nin)
		qsort(m->in, m->nin, sizeof(*m->in), cmp_input);
	for (size_t i = 0; !rc && i < m->nin; i++) {
		const input *in = &m->in[i];
		sl_value *o = sl_arena_alloc(m->a, sizeof(*o));
		unsigned attempt = 0;
		bool created = false;
		if (!o) {
			rc = sl_error_nomem();
			break;
		}
		for (;; attempt++) {
			if (attempt == MAX_ATTEMPTS) {
				rc = sl_error_set(
					SL_EINVALID,
					"rule \"%s\" cannot keep the column unique: %u outputs tried "
					"for one value (the rule has too few outputs for the column's "
					"distinct values)",
					sl_mask_kind_name(m->rule->kind), attempt);
				break;
			}
			rc = sl_mask_value(x, o, &in->value, m->rule, &m->target, NULL, 0, attempt, m->a);
			if (!rc && o->type == SL_V_NULL)
				break;
			if (!rc)
				rc = fold(&key, o);
			if (rc)
				break;
			void **slot = sl_strmap_slot(taken, key.ptr ? key.ptr : "", key.len, &created);
			if (!slot) {
				rc = sl_error_nomem();
				break;
			}
			if (created)
				break;
		}
		void **slot = rc ? NULL : sl_strmap_slot(m->out, in->text, in->len, NULL);
		if (!rc && !slot)
			rc = sl_error_nomem();
		if (!rc)
			*slot = o;
	}
	sl_strmap_free(taken);
	sl_strmap_free(m->seen);
	m->seen = NULL;
	sl_buf_free(&key);
	m->built = rc == 0;
	return rc;
}

size_t sl_mask_map_count(const sl_mask_map *m)
{
	return sl_strmap_count(m->out);
}

const sl_value *sl_mask_map_get(const sl_mask_map *m, const char *text, size_t len)
{
	void *v = NULL;
	return m->built && sl_strmap_find(m->out, text, len, &v) ? v : NULL;
}
