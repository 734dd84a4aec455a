/*
 * sluice.h - the public API of libsluice, all modules.
 *
 * Conventions (docs/ARCHITECTURE.md): functions return 0 or a negative SL_E*
 * code and leave the message in sl_error_last(); whoever gets an object from
 * sl_x_new/sl_x_open frees it with sl_x_free/sl_x_close; other returned
 * pointers are borrowed.
 */
#ifndef SLUICE_H
#define SLUICE_H

#include "sluice/arena.h"
#include "sluice/buf.h"
#include "sluice/conn.h"
#include "sluice/dialect.h"
#include "sluice/error.h"
#include "sluice/report.h"
#include "sluice/schema.h"
#include "sluice/url.h"
#include "sluice/value.h"

#endif
