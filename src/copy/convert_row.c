/*
 * convert_row.c - the conversion of one source row of a planned table into
 * the target's written columns, for callers outside the copy pump (sync
 * applies changed rows through exactly the cast plan and conversions copy
 * uses: sl_copy_convert per column, as pump.c's batches do).
 */
#include "copy_int.h"

#include "sluice/error.h"

int sl_copy_convert_row(sl_value *out, const sl_value *row, const sl_copy_tplan *t, const sl_copy_conv *cx,
			sl_batch *dst, sl_buf *reason, const char **refused_column)
{
	*refused_column = NULL;
	for (size_t j = 0; j < t->nwcols; j++) {
		const sl_cast_column *cc = &t->cast->columns[t->wcols[j]];
		sl_copy_loss loss = SL_COPY_LOSS_NONE; /* applied values are not counted (docs/sync.md) */
		sl_buf_clear(reason);
		int c = sl_copy_convert(&out[j], &loss, &row[j], cc, cx, dst, reason);
		if (c < 0)
			return c;
		if (c > 0) {
			*refused_column = cc->src->name;
			return 1;
		}
	}
	return 0;
}

void sl_copy_conv_init(sl_copy_conv *cx, const sl_conn *src, const sl_conn *dst)
{
	cx->source = sl_conn_engine(src);
	cx->target = sl_conn_engine(dst);
	cx->target_caps = sl_conn_caps(dst);
	cx->same = cx->source == cx->target;
	cx->sd = sl_conn_dialect(src);
	cx->td = sl_conn_dialect(dst);
}
