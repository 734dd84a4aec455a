/*
 * pii_int.h - what the files of the pii module share: the lists of common
 * names the detector checks capitalised phrases against (names.c).
 */
#ifndef SLUICE_PII_INT_H
#define SLUICE_PII_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "sluice/pii.h"

/* True when s starts with a common given name or ends with a common family name. */
bool sl_pii_known_name(const char *s, size_t n);

#endif
