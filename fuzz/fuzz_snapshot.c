/*
 * fuzz_snapshot.c - libFuzzer target for the snapshot's parsers of untrusted
 * input: the snapshot section of sluice.yaml (masking rules, JSON paths) and
 * the --subset argument read from the same bytes, then every parsed rule run
 * on the input as a value and as a JSON document. Any bytes must give a
 * result or an error.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/mask.h"
#include "sluice/snapshot.h"
#include "sluice/subset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sl_config *c = NULL;
	sl_snapshot_config *sc = NULL;
	sl_masker *m = NULL;
	sl_mask_ctx *x = NULL;
	sl_arena *a = sl_arena_new(0);
	char *text = malloc(size + 1);
	if (!a || !text)
		goto done;
	memcpy(text, data, size);
	text[size] = '\0';
	sl_subset_root *roots = NULL;
	size_t nroots = 0;
	(void)sl_subset_parse(&roots, &nroots, text, a);
	if (sl_config_parse(&c, "sluice.yaml", text, size) != 0 || sl_snapshot_config_load(&sc, c) != 0)
		goto done;
	if (sl_masker_new(&m, "fuzz key for masking", 20) || sl_mask_ctx_new(&x, m))
		goto done;
	sl_mask_target t = { .kind = SL_T_TEXT };
	sl_value in = sl_bytes(SL_V_TEXT, text, size), js = sl_bytes(SL_V_JSON, text, size), out;
	for (size_t i = 0; i < sc->nmasks; i++) {
		const sl_mask_rule *r = &sc->masks[i].rule;
		sl_buf b = SL_BUF_INIT;
		(void)sl_mask_rule_text(&b, r);
		sl_buf_free(&b);
		if (r->kind == SL_MASK_FIXED)
			continue;
		(void)sl_mask_value(x, &out, &in, r, &t, NULL, 0, 0, a);
		(void)sl_mask_value(x, &out, &js, r, &t, "entity", 6, 1, a);
	}
done:
	sl_mask_ctx_free(x);
	sl_masker_free(m);
	sl_snapshot_config_free(sc);
	sl_config_free(c);
	sl_arena_free(a);
	free(text);
	return 0;
}
