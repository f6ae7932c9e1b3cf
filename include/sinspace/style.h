/* sinspace/style.h: OGC SLD 1.0 styles (with the SE 1.1 elements QGIS
 * writes).
 *
 * A style is a list of rules; each rule has an optional filter, a scale
 * range and symbolizers.  Sizes and widths are in SLD pixels: the OGC
 * standardised rendering pixel of 0.28 mm, so a renderer at any dpi scales
 * them by dpi / 90.7.  Unknown elements are logged as warnings naming the
 * element and line, never fatal; malformed XML or values, and filter
 * operators or expressions sinspace cannot evaluate (a rule that silently
 * matched everything would draw the wrong risk), fail with
 * SINSPACE_INVALID_INPUT naming file and line.  The XML is read with no
 * network access and no entity or DTD loading; a DOCTYPE declaring
 * entities is refused. */
#ifndef SINSPACE_STYLE_H
#define SINSPACE_STYLE_H

#include <sinspace/api.h>

#include <sinspace/context.h>

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sinspace_style sinspace_style;

typedef struct sinspace_rgba {
    double r, g, b, a; /* 0..1 */
} sinspace_rgba;

typedef enum sinspace_mark {
    SINSPACE_MARK_CIRCLE = 0,
    SINSPACE_MARK_SQUARE,
    SINSPACE_MARK_TRIANGLE,
    SINSPACE_MARK_STAR,
    SINSPACE_MARK_CROSS,
    SINSPACE_MARK_X,
    SINSPACE_MARK_GRAPHIC /* an ExternalGraphic (SVG or PNG) */
} sinspace_mark;

typedef enum sinspace_symbolizer_kind {
    SINSPACE_SYMBOLIZER_POINT = 0,
    SINSPACE_SYMBOLIZER_LINE,
    SINSPACE_SYMBOLIZER_POLYGON,
    SINSPACE_SYMBOLIZER_TEXT
} sinspace_symbolizer_kind;

typedef struct sinspace_stroke {
    int enabled;
    sinspace_rgba color;
    double width;       /* SLD pixels */
    double dash[8];     /* SLD pixels, on/off */
    int n_dash;
} sinspace_stroke;

/* Values a symbolizer may compute per feature from an SE expression
 * (ogc:PropertyName, arithmetic, ogc:Function...).  The field of the same
 * meaning holds the value used where no feature is at hand (legends). */
typedef enum sinspace_style_slot {
    SINSPACE_SLOT_SIZE = 0,
    SINSPACE_SLOT_ROTATION,
    SINSPACE_SLOT_OPACITY,
    SINSPACE_SLOT_FILL,
    SINSPACE_SLOT_FILL_OPACITY,
    SINSPACE_SLOT_STROKE,
    SINSPACE_SLOT_STROKE_WIDTH,
    SINSPACE_SLOT_STROKE_OPACITY,
    SINSPACE_SLOT_LABEL,
    SINSPACE_SLOT_FONT_SIZE,
    SINSPACE_SLOT_LABEL_ROTATION,
    SINSPACE_SLOT_COUNT
} sinspace_style_slot;

/* A compiled SE expression, owned by its style. */
typedef struct sinspace_style_expr sinspace_style_expr;
/* A loaded graphic (ExternalGraphic, shape://, ttf://), owned by its style. */
typedef struct sinspace_style_graphic sinspace_style_graphic;

typedef struct sinspace_symbolizer {
    sinspace_symbolizer_kind kind;
    /* Point */
    sinspace_mark mark;
    double size;              /* SLD pixels */
    double rotation;          /* degrees clockwise */
    const char *graphic_path; /* resolved absolute path inside the styles
                                 folder, or NULL */
    const char *graphic_format; /* "image/svg+xml" or "image/png" */
    /* Point and polygon fill */
    int has_fill;
    sinspace_rgba fill;
    /* Point outline, line, polygon outline */
    sinspace_stroke stroke;
    /* Text */
    const char *label_property; /* ogc:PropertyName inside Label */
    const char *font_family;
    double font_size;         /* SLD pixels */
    int font_bold, font_italic;
    double halo_radius;       /* SLD pixels; 0: no halo */
    sinspace_rgba halo_fill;
    double anchor_x, anchor_y;             /* 0..1, default 0.5 0.5 */
    double displacement_x, displacement_y; /* SLD pixels */
    /* SE 1.1 and GeoServer additions. */
    const sinspace_style_expr *expr[SINSPACE_SLOT_COUNT]; /* NULL: fixed */
    sinspace_style_graphic *graphic; /* ExternalGraphic, shape://, ttf://;
                                        NULL for the built-in marks */
    double graphic_opacity;   /* Graphic Opacity of a graphic, 0..1 */
    double uom_metres;        /* 0: SLD pixels; else metres per unit of
                                 size (uom metre 1, foot 0.3048) */
    double perpendicular_offset; /* lines, and line-placed labels */
    double label_rotation;    /* degrees clockwise */
    int line_placement;       /* LinePlacement (placed at the point for
                                 workplaces) */
    double max_displacement, space_around; /* VendorOptions, SLD pixels */
    int group, conflict_resolution;        /* VendorOptions; default 0, 1 */
    /* GraphicFill of a fill, GraphicStroke of a line (a point symbolizer
       holding the graphic), or NULL. */
    const struct sinspace_symbolizer *fill_pattern, *stroke_pattern;
    int dynamic;              /* computed for one feature: not to be kept
                                 or cached by its address */
} sinspace_symbolizer;

typedef struct sinspace_style_rule {
    const char *name;
    const char *title;           /* the legend text (falls back to name) */
    double min_scale, max_scale; /* denominators; 0 and INFINITY when unset */
    int is_else;                 /* ElseFilter */
    int has_filter;
    const sinspace_symbolizer *symbolizers;
    size_t n_symbolizers;
} sinspace_style_rule;

/* A feature's attributes, as text; a comparison is numeric when both sides
 * parse as numbers, else a string comparison. */
typedef struct sinspace_style_attr {
    const char *name;
    const char *value; /* NULL for a null value */
} sinspace_style_attr;

/* Loads an SLD file.  External graphics must resolve inside the folder of
 * the SLD file (or allowed_dir when not NULL); URLs and paths outside are
 * refused with SINSPACE_PERMISSION.  *out is freed with
 * sinspace_style_destroy(). */
SINSPACE_API sinspace_status sinspace_style_load(sinspace_context *ctx, const char *path,
                                    const char *allowed_dir,
                                    sinspace_style **out);
SINSPACE_API sinspace_status sinspace_style_load_memory(sinspace_context *ctx,
                                           const char *xml, size_t size,
                                           const char *name,
                                           const char *allowed_dir,
                                           sinspace_style **out);
SINSPACE_API void sinspace_style_destroy(sinspace_style *style);

/* The style's name and title (NamedLayer/UserStyle); may be NULL. */
SINSPACE_API const char *sinspace_style_name(const sinspace_style *style);
SINSPACE_API const char *sinspace_style_title(const sinspace_style *style);

/* Rules in document order; owned by the style. */
SINSPACE_API size_t sinspace_style_rule_count(const sinspace_style *style);
SINSPACE_API const sinspace_style_rule *sinspace_style_rule_at(const sinspace_style *style,
                                                  size_t index);

/* 1 if the rule applies to the feature at this scale denominator, else 0
 * (Min inclusive, Max exclusive).  An ElseFilter rule applies when no other
 * rule of the same FeatureTypeStyle does; sinspace_style_match handles
 * that, and here it is judged on its scale range only.  A value missing
 * from attrs is null: comparisons with null are false. */
SINSPACE_API int sinspace_style_rule_matches(const sinspace_style *style,
                                const sinspace_style_rule *rule,
                                const sinspace_style_attr *attrs, size_t n_attrs,
                                double scale_denominator);

/* Calls fn for every rule that applies to the feature, in order, honouring
 * ElseFilter.  Returns the number of rules that applied. */
SINSPACE_API size_t sinspace_style_match(const sinspace_style *style,
                            const sinspace_style_attr *attrs, size_t n_attrs,
                            double scale_denominator,
                            void (*fn)(void *user_data,
                                       const sinspace_style_rule *rule),
                            void *user_data);

/* The rule's filter as text, e.g. "(risk_class = 'high' AND sector =
 * 'brothel')", "ELSE" or "(all)", for `style check` and legends.  The
 * caller frees it with free(); NULL if rule is not the style's. */
SINSPACE_API char *sinspace_style_rule_describe_filter(const sinspace_style *style,
                                          const sinspace_style_rule *rule);

/* The properties the rule reads (its filter and its symbolizers'
 * expressions), comma-separated, or "" when none; the caller frees it. */
SINSPACE_API char *sinspace_style_rule_properties(const sinspace_style *style,
                                                  const sinspace_style_rule *rule);
/* An expression as text, e.g. "strConcat(name, ' ')"; the caller frees
 * it. */
SINSPACE_API char *sinspace_style_expr_describe(const sinspace_style_expr *e);

/* Logs warnings when the style will draw nothing for workplaces (no
 * PointSymbolizer, or filters on properties workplaces lack, named), and
 * when symbolizers read properties workplaces lack.  Returns 1 when the
 * style draws no workplace. */
SINSPACE_API int sinspace_style_check_workplaces(sinspace_context *ctx,
                                                 const sinspace_style *style,
                                                 const char *name);
/* The properties a workplace offers a style, NULL-terminated; static. */
SINSPACE_API const char *const *sinspace_style_workplace_properties(void);
/* Graphics may be read from any local path, not only the SLD's folder
 * (`--allow-remote-graphics`); URLs are never fetched.  Process-wide;
 * off by default. */
SINSPACE_API void sinspace_style_allow_outside_graphics(int allow);

/* "circle", "square", "triangle", "star", "cross", "x", "graphic"; static. */
SINSPACE_API const char *sinspace_mark_name(sinspace_mark mark);

#ifdef __cplusplus
}
#endif
#endif
