/*
 * keyed.c - the key and the keyed derivation every masking rule builds on:
 * HMAC-SHA-256 through OpenSSL's EVP_MAC (libcrypto).
 *
 * A sl_masker holds the key in memory it wipes on free (OPENSSL_cleanse);
 * each thread gets a sl_mask_ctx with its own initialised HMAC context,
 * re-initialised per value without re-keying (EVP_MAC_init with no key keeps
 * the key), which costs about a quarter of a microsecond per derivation.
 * Input framing: label, 0x1f, text, then 0x1e and the attempt number when
 * the attempt is not 0, so no two (label, text, attempt) share an input.
 */
#include "mask_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "sluice/error.h"

struct sl_masker {
	unsigned char *key;
	size_t len;
};

struct sl_mask_ctx {
	EVP_MAC *mac;
	EVP_MAC_CTX *ctx;
	sl_mask_scratch scratch[SL_MASK_SCRATCH_LEVELS];
	int depth; /* levels in use */
};

sl_mask_scratch *sl_mask_scratch_take(sl_mask_ctx *x)
{
	if (!x || x->depth >= SL_MASK_SCRATCH_LEVELS)
		return NULL;
	sl_mask_scratch *s = &x->scratch[x->depth++];
	sl_buf_clear(&s->in);
	sl_buf_clear(&s->out);
	return s;
}

void sl_mask_scratch_give(sl_mask_ctx *x, sl_mask_scratch *s)
{
	if (x && s)
		x->depth--;
}

int sl_masker_new(sl_masker **out, const void *key, size_t len)
{
	sl_masker *m = calloc(1, sizeof(*m));
	*out = NULL;
	if (!m)
		return sl_error_nomem();
	if (len == 0) {
		free(m);
		return sl_error_set(SL_EINVALID, "the masking key is empty");
	}
	m->key = malloc(len);
	if (!m->key) {
		free(m);
		return sl_error_nomem();
	}
	memcpy(m->key, key, len);
	m->len = len;
	*out = m;
	return 0;
}

void sl_masker_free(sl_masker *m)
{
	if (!m)
		return;
	if (m->key)
		OPENSSL_cleanse(m->key, m->len);
	free(m->key);
	free(m);
}

int sl_mask_ctx_new(sl_mask_ctx **out, const sl_masker *m)
{
	sl_mask_ctx *x = calloc(1, sizeof(*x));
	char digest[] = "SHA256";
	OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
				OSSL_PARAM_construct_end() };
	*out = NULL;
	if (!x)
		return sl_error_nomem();
	x->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	x->ctx = x->mac ? EVP_MAC_CTX_new(x->mac) : NULL;
	if (!x->ctx || !EVP_MAC_init(x->ctx, m->key, m->len, params)) {
		sl_mask_ctx_free(x);
		return sl_error_set(SL_ERROR, "initialise HMAC-SHA-256 (OpenSSL)");
	}
	*out = x;
	return 0;
}

void sl_mask_ctx_free(sl_mask_ctx *x)
{
	if (!x)
		return;
	EVP_MAC_CTX_free(x->ctx);
	EVP_MAC_free(x->mac);
	for (int i = 0; i < SL_MASK_SCRATCH_LEVELS; i++) {
		sl_buf_free(&x->scratch[i].in);
		sl_buf_free(&x->scratch[i].out);
	}
	free(x);
}

int sl_mask_derive(sl_mask_ctx *x, uint8_t out[SL_MASK_DIGEST], const char *label, const void *text,
		   size_t len, unsigned attempt)
{
	static const unsigned char us = 0x1f, rs = 0x1e;
	size_t olen = 0;
	char num[16];
	int ok = EVP_MAC_init(x->ctx, NULL, 0, NULL) &&
		 EVP_MAC_update(x->ctx, (const unsigned char *)label, strlen(label)) &&
		 EVP_MAC_update(x->ctx, &us, 1) && (len == 0 || EVP_MAC_update(x->ctx, text, len));
	if (ok && attempt) {
		int n = snprintf(num, sizeof(num), "%u", attempt);
		ok = EVP_MAC_update(x->ctx, &rs, 1) &&
		     EVP_MAC_update(x->ctx, (unsigned char *)num, (size_t)n);
	}
	if (ok)
		ok = EVP_MAC_final(x->ctx, out, &olen, SL_MASK_DIGEST) && olen == SL_MASK_DIGEST;
	return ok ? 0 : sl_error_set(SL_ERROR, "HMAC-SHA-256 failed (OpenSSL)");
}

uint64_t sl_mask_word(const uint8_t d[SL_MASK_DIGEST], int i)
{
	uint64_t w = 0;
	for (int k = 7; k >= 0; k--)
		w = (w << 8) | d[i * 8 + k];
	return w;
}

uint64_t sl_mask_hash64(sl_mask_ctx *x, const char *label, const void *text, size_t len)
{
	uint8_t d[SL_MASK_DIGEST];
	if (sl_mask_derive(x, d, label, text, len, 0))
		return 0;
	return sl_mask_word(d, 0);
}

int sl_masker_key_check(const sl_masker *m, char out[17])
{
	sl_mask_ctx *x = NULL;
	uint8_t d[SL_MASK_DIGEST];
	int rc = sl_mask_ctx_new(&x, m);
	if (!rc)
		rc = sl_mask_derive(x, d, "sluice key check", "", 0, 0);
	for (int i = 0; !rc && i < 8; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
	sl_mask_ctx_free(x);
	return rc;
}
