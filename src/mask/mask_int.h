/*
 * mask_int.h - what the files of the mask module share: the word lists
 * (words.c), the keyed derivation (keyed.c) and the fake makers (fake.c)
 * that value.c combines into sl_mask_value().
 */
#ifndef SLUICE_MASK_INT_H
#define SLUICE_MASK_INT_H

#include <stddef.h>
#include <stdint.h>

#include "sluice/buf.h"
#include "sluice/mask.h"

/* words.c: lists written for sluice (ASCII, so any column takes them). */
extern const char *const sl_words_first[];
extern const size_t sl_words_nfirst;
extern const char *const sl_words_last[];
extern const size_t sl_words_nlast;
extern const char *const sl_words_street[];
extern const size_t sl_words_nstreet;
extern const char *const sl_words_street_type[];
extern const size_t sl_words_nstreet_type;
extern const char *const sl_words_town_head[];
extern const size_t sl_words_ntown_head;
extern const char *const sl_words_town_tail[];
extern const size_t sl_words_ntown_tail;
extern const char *const sl_words_mail_domain[]; /* under the reserved .test and .example TLDs */
extern const size_t sl_words_nmail_domain;

/* True when s (len bytes) is one of list's n words (exact, case-sensitive). */
bool sl_words_has(const char *const *list, size_t n, const char *s, size_t len);

/*
 * keyed.c: scratch buffers of a context, one level per nesting of
 * sl_mask_value (a json rule masks the values inside it), so masking a value
 * allocates nothing once the buffers have grown. take returns NULL when
 * every level is in use (or x is NULL): the caller uses its own buffers.
 */
#define SL_MASK_SCRATCH_LEVELS 3
typedef struct sl_mask_scratch {
	sl_buf in, out;
} sl_mask_scratch;
sl_mask_scratch *sl_mask_scratch_take(sl_mask_ctx *x);
void sl_mask_scratch_give(sl_mask_ctx *x, sl_mask_scratch *s);

/* keyed.c: 32 bytes of HMAC-SHA-256 of label, text and attempt (attempt 0 adds nothing). */
#define SL_MASK_DIGEST 32
int sl_mask_derive(sl_mask_ctx *x, uint8_t out[SL_MASK_DIGEST], const char *label, const void *text,
		   size_t len, unsigned attempt);
/* Little-endian 64-bit word i (0..3) of a digest. */
uint64_t sl_mask_word(const uint8_t d[SL_MASK_DIGEST], int i);

/* fake.c: each appends the fake chosen by digest d to out. */
int sl_fake_name(sl_buf *out, const uint8_t *d, sl_mask_name_part part, int words);
int sl_fake_email(sl_buf *out, const uint8_t *d, const char *domain, size_t domain_len);
int sl_fake_phone(sl_buf *out, const uint8_t *d, const char *in, size_t len, int keep);
int sl_fake_address(sl_buf *out, const uint8_t *d, int parts);
int sl_fake_ip(sl_buf *out, const uint8_t *d, const char *in, size_t len);
/* Whether s could come from the maker (for the leak scan). */
bool sl_fake_is_name(const char *s, size_t len);
bool sl_fake_is_email(const char *s, size_t len, bool any_domain);
bool sl_fake_is_address(const char *s, size_t len);
bool sl_fake_is_ip(const char *s, size_t len);

/* json.c: the json rule on a document (text); the result goes to out. */
int sl_mask_json(sl_mask_ctx *x, sl_buf *out, const char *doc, size_t len, const sl_mask_rule *r,
		 const char *entity, size_t entity_len, sl_arena *a, bool *changed);
/* Checks a path's syntax; SL_EINVALID with the reason. */
int sl_mask_json_path_check(const char *path, char *why, size_t whylen);

/* UTF-8 helpers (value.c) */
size_t sl_mask_utf8_chars(const char *s, size_t len);
/* Byte length of the first n characters of s. */
size_t sl_mask_utf8_prefix(const char *s, size_t len, size_t n);

#endif
