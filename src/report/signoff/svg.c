/*
 * svg.c - charts for the report page as inline SVG: lines (one per series)
 * or bars over runs, with axes, grid, a legend and a tooltip per point.
 * Accessibility: role="img" named by the chart's <title> and described by
 * its <desc> (the text alternative); the page puts a table of the same
 * figures beside it. Colors are set with presentation attributes, never a
 * style attribute, so a Content-Security-Policy without 'unsafe-inline'
 * allows the chart; series differ by dash pattern as well as by color.
 * Coordinates are printed with one decimal: the same data gives the same
 * bytes.
 */
#include "signoff_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sluice/error.h"

/* Okabe-Ito: distinguishable with the common color-vision deficiencies. */
const char *const rp_palette[6] = { "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9" };
const char *const rp_dashes[6] = { "", "6 3", "2 3", "8 3 2 3", "4 4", "1 2" };

enum { W = 720, H = 260, LEFT = 64, RIGHT = 16, BOTTOM = 44 };

/* A round step so that about four steps reach max. */
static double nice_step(double max)
{
	double raw = max / 4, mag = pow(10, floor(log10(raw))), f = raw / mag;
	return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * mag;
}

static int num(sl_buf *out, double v)
{
	if (v == floor(v) && fabs(v) < 1e15)
		return sl_buf_printf(out, "%.0f", v);
	return sl_buf_printf(out, "%.3g", v);
}

static double max_of(const rp_chart *c)
{
	double m = 0;
	for (size_t s = 0; s < c->nseries; s++)
		for (size_t i = 0; i < c->nx; i++)
			if (!isnan(c->series[s].y[i]) && c->series[s].y[i] > m)
				m = c->series[s].y[i];
	return m;
}

static int axes(sl_buf *out, const rp_chart *c, double top, double step, double ymax)
{
	double ph = H - BOTTOM - top;
	int rc = 0;
	for (double v = 0; !rc && v <= ymax + step / 2; v += step) {
		double y = top + ph - v / ymax * ph;
		rc = sl_buf_printf(out,
				   "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#d0d0d0\" "
				   "stroke-width=\"1\"/>\n<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" "
				   "fill=\"#333\">",
				   LEFT, y, W - RIGHT, y, LEFT - 6, y + 4);
		if (!rc)
			rc = num(out, v);
		if (!rc)
			rc = sl_buf_puts(out, "</text>\n");
	}
	if (!rc)
		rc = sl_buf_printf(out,
				   "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#333\" "
				   "stroke-width=\"1\"/>\n",
				   LEFT, top + ph, W - RIGHT, top + ph);
	if (!rc && c->y_label) {
		rc = sl_buf_printf(out,
				   "<text x=\"14\" y=\"%.1f\" transform=\"rotate(-90 14 %.1f)\" "
				   "text-anchor=\"middle\" fill=\"#333\">",
				   top + ph / 2, top + ph / 2);
		if (!rc)
			rc = sl_html_text(out, c->y_label);
		if (!rc)
			rc = sl_buf_puts(out, "</text>\n");
	}
	/* x labels: at most about 12, always the last */
	size_t every = c->nx > 12 ? (c->nx + 11) / 12 : 1;
	for (size_t i = 0; !rc && i < c->nx; i++) {
		if (i % every && i + 1 != c->nx)
			continue;
		double x = c->bars      ? LEFT + ((double)i + 0.5) * (W - LEFT - RIGHT) / (double)c->nx
			   : c->nx == 1 ? LEFT + (W - LEFT - RIGHT) / 2.0
					: LEFT + (double)i * (W - LEFT - RIGHT) / (double)(c->nx - 1);
		rc = sl_buf_printf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#333\">", x,
				   H - BOTTOM + 18);
		if (!rc)
			rc = sl_html_text(out, c->x_labels[i]);
		if (!rc)
			rc = sl_buf_puts(out, "</text>\n");
	}
	return rc;
}

/* "<title>label, series: value</title>" for a point or bar. */
static int tip(sl_buf *out, const rp_chart *c, size_t s, size_t i)
{
	int rc = sl_buf_puts(out, "<title>");
	if (!rc)
		rc = sl_html_text(out, c->x_labels[i]);
	if (!rc && c->nseries > 1) {
		rc = sl_buf_puts(out, ", ");
		if (!rc)
			rc = sl_html_text(out, c->series[s].name);
	}
	if (!rc)
		rc = sl_buf_puts(out, ": ");
	if (!rc)
		rc = num(out, c->series[s].y[i]);
	return rc ? rc : sl_buf_puts(out, "</title>");
}

static int lines(sl_buf *out, const rp_chart *c, double top, double ymax)
{
	double ph = H - BOTTOM - top, pw = W - LEFT - RIGHT;
	int rc = 0;
	for (size_t s = 0; !rc && s < c->nseries; s++) {
		const rp_series *se = &c->series[s];
		const char *color = se->color ? se->color : rp_palette[s % 6];
		const char *dash = se->dash ? se->dash : rp_dashes[s % 6];
		bool pen = false;
		rc = sl_buf_puts(out, "<path d=\"");
		for (size_t i = 0; !rc && i < c->nx; i++) {
			if (isnan(se->y[i]))
				continue; /* a run of another series: the line goes on to this one's next */
			double x = c->nx == 1 ? LEFT + pw / 2 : LEFT + (double)i * pw / (double)(c->nx - 1);
			rc = sl_buf_printf(out, "%s%c%.1f %.1f", pen ? " " : "", pen ? 'L' : 'M', x,
					   top + ph - se->y[i] / ymax * ph);
			pen = true;
		}
		if (!rc)
			rc = sl_buf_printf(out,
					   "\" fill=\"none\" stroke=\"%s\" stroke-width=\"2.5\"%s%s%s/>\n",
					   color, *dash ? " stroke-dasharray=\"" : "", dash,
					   *dash ? "\"" : "");
		for (size_t i = 0; !rc && i < c->nx; i++) {
			if (isnan(se->y[i]))
				continue;
			double x = c->nx == 1 ? LEFT + pw / 2 : LEFT + (double)i * pw / (double)(c->nx - 1);
			rc = sl_buf_printf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\">", x,
					   top + ph - se->y[i] / ymax * ph, color);
			if (!rc)
				rc = tip(out, c, s, i);
			if (!rc)
				rc = sl_buf_puts(out, "</circle>\n");
		}
	}
	return rc;
}

static int bars(sl_buf *out, const rp_chart *c, double top, double ymax)
{
	double ph = H - BOTTOM - top, band = (double)(W - LEFT - RIGHT) / (double)c->nx;
	double bw = band * 0.6 > 48 ? 48 : band * 0.6;
	const rp_series *se = &c->series[0];
	int rc = 0;
	for (size_t i = 0; !rc && i < c->nx; i++) {
		if (isnan(se->y[i]))
			continue;
		double h = se->y[i] / ymax * ph, x = LEFT + ((double)i + 0.5) * band - bw / 2;
		const char *fill = c->bar_fill && c->bar_fill[i] ? c->bar_fill[i] : rp_palette[0];
		rc = sl_buf_printf(out,
				   "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">",
				   x, top + ph - h, bw, h, fill);
		if (!rc)
			rc = tip(out, c, 0, i);
		if (!rc)
			rc = sl_buf_printf(out,
					   "</rect>\n<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
					   "fill=\"#333\">",
					   x + bw / 2, top + ph - h - 4);
		if (!rc)
			rc = num(out, se->y[i]);
		if (!rc)
			rc = sl_buf_puts(out, "</text>\n");
	}
	return rc;
}

static int legend(sl_buf *out, const rp_chart *c)
{
	int rc = 0;
	double x = LEFT;
	for (size_t s = 0; !rc && s < c->nseries; s++) {
		const rp_series *se = &c->series[s];
		const char *dash = se->dash ? se->dash : rp_dashes[s % 6];
		rc = sl_buf_printf(out,
				   "<line x1=\"%.1f\" y1=\"14\" x2=\"%.1f\" y2=\"14\" stroke=\"%s\" "
				   "stroke-width=\"2.5\"%s%s%s/>\n<text x=\"%.1f\" y=\"18\" fill=\"#333\">",
				   x, x + 24, se->color ? se->color : rp_palette[s % 6],
				   *dash ? " stroke-dasharray=\"" : "", dash, *dash ? "\"" : "", x + 30);
		if (!rc)
			rc = sl_html_text(out, se->name);
		if (!rc)
			rc = sl_buf_puts(out, "</text>\n");
		x += 40 + 7.5 * (double)strlen(se->name ? se->name : "");
	}
	return rc;
}

int rp_svg_chart(sl_buf *out, const rp_chart *c)
{
	double top = c->nseries > 1 ? 34 : 16;
	double ymax = max_of(c), step;
	if (ymax <= 0)
		ymax = 1;
	step = nice_step(ymax);
	ymax = ceil(ymax / step - 1e-9) * step;
	int rc = sl_buf_printf(
		out,
		"<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
		"role=\"img\" aria-labelledby=\"%s-t %s-d\" font-family=\"sans-serif\" "
		"font-size=\"12\">\n<title id=\"%s-t\">",
		W, H, c->id, c->id, c->id);
	if (!rc)
		rc = sl_html_text(out, c->title);
	if (!rc)
		rc = sl_buf_printf(out, "</title>\n<desc id=\"%s-d\">", c->id);
	if (!rc)
		rc = sl_html_text(out, c->desc);
	if (!rc)
		rc = sl_buf_puts(out, "</desc>\n");
	if (!rc)
		rc = axes(out, c, top, step, ymax);
	if (!rc && c->nx)
		rc = c->bars ? bars(out, c, top, ymax) : lines(out, c, top, ymax);
	if (!rc && c->nseries > 1)
		rc = legend(out, c);
	return rc ? rc : sl_buf_puts(out, "</svg>\n");
}

/* ---- timelines: one row per span, time across ---- */

enum { TL_LEFT = 190, TL_ROW = 22, TL_TOP = 10, TL_AXIS = 34, TL_TEXT = 90 };

static const char *span_fill(const char *status)
{
	return !status                    ? rp_palette[0]
	       : !strcmp(status, RP_PASS) ? rp_palette[2]
	       : !strcmp(status, RP_FAIL) ? rp_palette[1]
	       : !strcmp(status, RP_WARN) ? rp_palette[4]
					  : rp_palette[0];
}

/* label cut to about 28 characters (whole UTF-8 sequences), escaped. */
static int short_label(sl_buf *out, const char *s)
{
	size_t n = 0, chars = 0;
	while (s && s[n] && chars < 28) {
		n++;
		while (((unsigned char)s[n] & 0xC0) == 0x80)
			n++;
		chars++;
	}
	char buf[160];
	snprintf(buf, sizeof(buf), "%.*s%s", (int)(n < 150 ? n : 150), s ? s : "",
		 s && s[n] ? "\xE2\x80\xA6" : "");
	return sl_html_text(out, buf);
}

static int fmt_ms(sl_buf *out, double ms)
{
	return rp_fmt_ms(out, ms);
}

/* The time axis's end for the spans of t, rounded up to a whole step, and that
 * step in *step. */
static double tl_end(const rp_timeline *t, double *step)
{
	double end = 0;
	for (size_t i = 0; i < t->n; i++) {
		const rp_span *s = &t->spans[i];
		double e = s->start_ms + (s->dur_ms > 0 ? s->dur_ms : 0);
		double b = s->start_ms + (s->budget_ms > 0 ? s->budget_ms : 0);
		end = e > end ? e : end;
		end = b > end ? b : end;
	}
	if (end <= 0)
		end = 1;
	*step = nice_step(end);
	return ceil(end / *step - 1e-9) * *step;
}

/* The <svg> element's opening, h pixels high, with its title and description. */
static int tl_open(sl_buf *out, const rp_timeline *t, int h)
{
	int rc = sl_buf_printf(
		out,
		"<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
		"role=\"img\" aria-labelledby=\"%s-t %s-d\" font-family=\"sans-serif\" "
		"font-size=\"12\">\n<title id=\"%s-t\">",
		W, h, t->id, t->id, t->id);
	if (!rc)
		rc = sl_html_text(out, t->title);
	if (!rc)
		rc = sl_buf_printf(out, "</title>\n<desc id=\"%s-d\">", t->id);
	if (!rc)
		rc = sl_html_text(out, t->desc);
	if (!rc)
		rc = sl_buf_puts(out, "</desc>\n");
	return rc;
}

/* The time axis: grid lines every step up to end with their times, over a plot
 * pw wide whose rows end at y = bottom, and the axis's name. */
static int tl_axis(sl_buf *out, double end, double step, double pw, double bottom)
{
	int rc = 0;
	for (double v = 0; !rc && v <= end + step / 2; v += step) {
		double x = TL_LEFT + v / end * pw;
		rc = sl_buf_printf(out,
				   "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#d0d0d0\" "
				   "stroke-width=\"1\"/>\n<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
				   "fill=\"#333\">",
				   x, TL_TOP, x, bottom, x, bottom + 16);
		if (!rc)
			rc = fmt_ms(out, v);
		if (!rc)
			rc = sl_buf_puts(out, "</text>\n");
	}
	if (!rc)
		rc = sl_buf_printf(
			out,
			"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#333\">time from "
			"the start</text>\n",
			TL_LEFT + pw / 2, bottom + 30);
	return rc;
}

/* Row i: span s's label, its budget's outline if it has one, its bar with a
 * tooltip and its duration after the bar, on an axis to end over pw pixels. */
static int tl_row(sl_buf *out, const rp_span *s, size_t i, double end, double pw)
{
	double y = TL_TOP + (double)i * TL_ROW, x = TL_LEFT + s->start_ms / end * pw;
	double w = s->dur_ms > 0 ? s->dur_ms / end * pw : 0;
	int rc = sl_buf_printf(out, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#333\">",
			       TL_LEFT - 8, y + 15);
	if (!rc)
		rc = short_label(out, s->label);
	if (!rc)
		rc = sl_buf_puts(out, "</text>\n");
	if (!rc && s->budget_ms > 0)
		rc = sl_buf_printf(
			out,
			"<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"16\" fill=\"none\" "
			"stroke=\"#333\" stroke-width=\"1\" stroke-dasharray=\"4 3\"><title>budget ",
			x, y + 3, s->budget_ms / end * pw);
	if (!rc && s->budget_ms > 0)
		rc = fmt_ms(out, s->budget_ms);
	if (!rc && s->budget_ms > 0)
		rc = sl_buf_puts(out, "</title></rect>\n");
	if (!rc)
		rc = sl_buf_printf(out,
				   "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"12\" fill=\"%s\">"
				   "<title>",
				   x, y + 5, w < 2 ? 2 : w, span_fill(s->status));
	if (!rc)
		rc = sl_html_text(out, s->label);
	if (!rc)
		rc = sl_buf_puts(out, ": ");
	if (!rc)
		rc = s->dur_ms >= 0 ? fmt_ms(out, s->dur_ms) : sl_buf_puts(out, "still running");
	if (!rc && s->word) {
		rc = sl_buf_puts(out, ", ");
		if (!rc)
			rc = sl_html_text(out, s->word);
	}
	if (!rc)
		rc = sl_buf_printf(out, "</title></rect>\n<text x=\"%.1f\" y=\"%.1f\" fill=\"#333\">",
				   x + (w < 2 ? 2 : w) + 4, y + 15);
	if (!rc)
		rc = s->dur_ms >= 0 ? fmt_ms(out, s->dur_ms) : sl_buf_puts(out, "running");
	if (!rc && s->word && strcmp(s->word, "done")) {
		rc = sl_buf_puts(out, " ");
		if (!rc)
			rc = sl_html_text(out, s->word);
	}
	if (!rc)
		rc = sl_buf_puts(out, "</text>\n");
	return rc;
}

int rp_svg_timeline(sl_buf *out, const rp_timeline *t)
{
	double step, pw = W - TL_LEFT - RIGHT - TL_TEXT;
	double end = tl_end(t, &step);
	int h = TL_TOP + (int)t->n * TL_ROW + TL_AXIS;
	int rc = tl_open(out, t, h);
	double bottom = TL_TOP + (double)t->n * TL_ROW;
	if (!rc)
		rc = tl_axis(out, end, step, pw, bottom);
	for (size_t i = 0; !rc && i < t->n; i++)
		rc = tl_row(out, &t->spans[i], i, end, pw);
	return rc ? rc : sl_buf_puts(out, "</svg>\n");
}
