/*
 * fuzz_runbook.c - libFuzzer target for sl_runbook_parse(): any bytes must
 * give a runbook or an error naming a position; a runbook that parses
 * renders its plan and finds its own steps by id.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/cutover.h"
#include "sluice/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sl_runbook *rb = NULL;
	if (sl_runbook_parse(&rb, "cutover.yaml", (const char *)data, size) != 0) {
		sl_error_clear();
		return 0;
	}
	sl_buf b = SL_BUF_INIT;
	(void)sl_runbook_plan_text(&b, rb);
	sl_buf_free(&b);
	for (size_t p = 0; p < rb->nphases; p++)
		for (size_t i = 0; i < rb->phases[p].nsteps; i++)
			if (sl_runbook_find_step(rb, rb->phases[p].steps[i].id, NULL) !=
			    &rb->phases[p].steps[i])
				abort();
	sl_runbook_free(rb);
	sl_error_clear();
	return 0;
}
