/* style_int.h: what style.c, style_expr.c and graphic.c share, and the
 * hooks the renderer (symbology.c, frame.c) calls to draw a style's
 * expressions and graphics. */
#ifndef SINSPACE_STYLE_INT_H
#define SINSPACE_STYLE_INT_H

#include "core/sinspaceInt.h"

#include <sinspace/style.h>

#include <cairo.h>
#include <libxml/tree.h>

/* ---- expressions (style_expr.c) ---- */

typedef enum sx_kind { SXV_NULL = 0, SXV_NUM, SXV_STR, SXV_BOOL } sx_kind;

/* A value while evaluating: strings point into the attributes, the
 * expression or the evaluation's buffer. */
typedef struct sx_value {
    sx_kind kind;
    double num;      /* SXV_NUM, SXV_BOOL (0 or 1) */
    const char *str; /* SXV_STR */
} sx_value;

/* What an evaluation reads: the feature's attributes and the map. */
typedef struct sx_env {
    const sinspace_style_attr *attrs;
    size_t n_attrs;
    double scale;    /* the scale denominator; NaN: unknown */
    char buf[4096];  /* strings made while evaluating */
    size_t used;
} sx_env;

/* Compiles the content of n (element children, or its text as a literal;
 * mixed text and elements concatenate, as in a Label) into *out.  Errors
 * (an unknown function, the wrong number of arguments) name file and line
 * through ctx.  what names the element for messages. */
sinspace_status sinspace__sx_compile(sinspace_context *ctx, const char *file,
                                     const xmlNode *n, int mixed,
                                     sinspace_style_expr **out);
/* One expression element (ogc:PropertyName, ogc:Literal, ogc:Add...,
 * ogc:Function). */
sinspace_status sinspace__sx_compile_one(sinspace_context *ctx,
                                         const char *file, const xmlNode *n,
                                         sinspace_style_expr **out);
void sinspace__sx_free(sinspace_style_expr *e);
/* 1 when e reads no property and no env(): its value is fixed. */
int sinspace__sx_is_const(const sinspace_style_expr *e);
/* 1 when e is a single ogc:PropertyName (*name: its name). */
int sinspace__sx_is_property(const sinspace_style_expr *e, const char **name);
sx_value sinspace__sx_eval(const sinspace_style_expr *e, sx_env *env);
/* Conversions; 0 on success. */
int sinspace__sx_number(sx_value v, double *out);
/* The value as text (numbers as %.15g); NULL for null. */
const char *sinspace__sx_text(sx_value v, sx_env *env);
int sinspace__sx_truth(sx_value v);
/* Compares as numbers when both are, else as text; 2 when either is null. */
int sinspace__sx_compare(sx_value a, sx_value b, int match_case, sx_env *env);
/* Calls fn for each property name e reads. */
void sinspace__sx_properties(const sinspace_style_expr *e,
                             void (*fn)(void *, const char *), void *user);
/* Appends e as text to a growing string (*s, *len, *cap); -1 on no memory. */
int sinspace__sx_describe(const sinspace_style_expr *e, char **s, size_t *len,
                          size_t *cap);
/* Parses a decimal number as SLD values are written; 0 on success. */
int sinspace__sx_parse_number(const char *s, double *out);
/* Parses "#rrggbb" (alpha untouched); 0 on success. */
int sinspace__sx_parse_color(const char *s, sinspace_rgba *out);

/* ---- resolving a symbolizer for a feature (style.c) ---- */

/* The properties a workplace has (id, ext_id, name, ...), NULL-terminated. */
extern const char *const sinspace__workplace_properties[];

/* s with its expressions evaluated for the feature and its uom applied at
 * the scale denominator; s itself when it has neither.  The result lives
 * as long as the style (interned: the same values give the same address),
 * or is marked dynamic when too many distinct values were made.  Not
 * thread-safe: one style per thread. */
const sinspace_symbolizer *sinspace__style_resolve(sinspace_style *style,
                                                   const sinspace_symbolizer *s,
                                                   const sinspace_style_attr *attrs,
                                                   size_t n_attrs, double scale);
/* The text of a label computed by an expression (NULL when s's label is a
 * plain property, or the value is null); buf holds what it makes. */
const char *sinspace__style_label(const sinspace_symbolizer *s,
                                  const sinspace_style_attr *attrs,
                                  size_t n_attrs, char *buf, size_t size);
/* Warns (through ctx) when the style draws nothing for workplaces: no
 * point symbolizer, or every point rule filters on properties workplaces
 * lack (named).  Returns 1 when it warned. */
int sinspace__style_warn_workplaces(sinspace_context *ctx,
                                    const sinspace_style *style,
                                    const char *name);
/* The rule's position in the style (for legends); (size_t)-1 if not its. */
size_t sinspace__style_rule_index(const sinspace_style *style,
                                  const sinspace_style_rule *rule);

/* ---- graphics (graphic.c) ---- */

/* A graphic from a file (PNG or SVG), a GeoServer shape:// name or a
 * ttf://Font#0xNNNN glyph; NULL and an error through ctx if it cannot be
 * read.  Freed with sinspace__graphic_free. */
sinspace_status sinspace__graphic_file(sinspace_context *ctx, const char *path,
                                       const char *format,
                                       sinspace_style_graphic **out);
/* NULL when name is not a shape:// or ttf:// mark (or is malformed). */
sinspace_style_graphic *sinspace__graphic_mark(const char *name);
void sinspace__graphic_free(sinspace_style_graphic *g);
/* Draws a point symbolizer whose graphic is set, centred at (x, y); k
 * converts SLD pixels to device pixels. */
void sinspace__graphic_draw(cairo_t *cr, const sinspace_symbolizer *s,
                            double x, double y, double k);
/* The intrinsic height of a file graphic in SLD pixels (0 for marks). */
double sinspace__graphic_height(const sinspace_style_graphic *g);
/* The graphic's width / height (1 when unknown). */
double sinspace__graphic_aspect(const sinspace_style_graphic *g);
/* "image/png 32x32", "shape://vertline", "ttf://Font#0x41": static until
 * freed. */
const char *sinspace__graphic_describe(const sinspace_style_graphic *g);

#endif
