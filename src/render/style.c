/* style.c: OGC SLD 1.0 / SE 1.1 styles (see sinspace/style.h).
 *
 * libxml2 parses the document with the network off and no entity
 * substitution or DTD loading; a DOCTYPE that declares entities is refused
 * outright, so an SLD cannot make us read files or hosts.  The tree is then
 * walked once into plain structs: rules, their filters (a small expression
 * tree evaluated against a feature's text attributes) and symbolizers.
 * Elements we do not know are logged as warnings with their line and
 * skipped; values we cannot use (colours, opacities, numbers) and filter
 * operators we cannot evaluate fail the load, because a style that silently
 * draws a high-risk workplace in the low-risk colour is worse than none.
 * External graphics must resolve inside the style's folder. */
#include "render/style_int.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* The biggest SLD we read: hand-written and QGIS styles are kilobytes. */
#define MAX_SLD_BYTES (32u << 20)
/* Nesting of And/Or/Not beyond this is refused (stack safety). */
#define MAX_FILTER_DEPTH 64

/* ---------------------------------------------------------------------
 * Filters
 * --------------------------------------------------------------------- */

typedef enum filter_op {
    OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE,
    OP_BETWEEN, OP_LIKE, OP_NULL, OP_AND, OP_OR, OP_NOT,
    OP_FUNC,   /* an ogc:Function (or any expression) used as a test */
    OP_FID,    /* FeatureId / GmlObjectId / ResourceId */
    OP_BBOX    /* BBOX on the point's lon/lat */
} filter_op;

typedef struct filter {
    filter_op op;
    /* comparisons a ? b; between: a in [b, c]; like: a LIKE b; func: a */
    sinspace_style_expr *a, *b, *c;
    int match_case;
    /* Like: the pattern and its special characters. */
    char wild, single, escape;
    struct filter **kids;  /* And, Or, Not */
    size_t n_kids;
    char **fids;           /* OP_FID */
    size_t n_fids;
    double box[4];         /* OP_BBOX: minx, miny, maxx, maxy (lon/lat) */
} filter;

static void
filter_free(filter *f)
{
    if (!f)
        return;
    sinspace__sx_free(f->a);
    sinspace__sx_free(f->b);
    sinspace__sx_free(f->c);
    for (size_t i = 0; i < f->n_kids; i++)
        filter_free(f->kids[i]);
    free(f->kids);
    for (size_t i = 0; i < f->n_fids; i++)
        free(f->fids[i]);
    free(f->fids);
    free(f);
}

/* ---------------------------------------------------------------------
 * The style
 * --------------------------------------------------------------------- */

typedef struct rule_extra {
    filter *filter;
    int fts; /* which FeatureTypeStyle: ElseFilter scope */
} rule_extra;

struct sinspace_style {
    char *name, *title;
    sinspace_style_rule *rules;
    rule_extra *extra;
    size_t n_rules, cap_rules;
    /* Every string the rules and symbolizers point at. */
    char **strings;
    size_t n_strings, cap_strings;
    /* Every expression and graphic the symbolizers point at. */
    sinspace_style_expr **exprs;
    size_t n_exprs, cap_exprs;
    sinspace_style_graphic **graphics;
    size_t n_graphics, cap_graphics;
    /* Symbolizers resolved for features (sinspace__style_resolve). */
    struct resolved *resolved;
    /* FeatureTypeStyles and their index of equality rules (match). */
    struct fts_group *groups;
    size_t n_groups;
};

static void resolved_free(struct resolved *r);
static void groups_free(sinspace_style *style);

void
sinspace_style_destroy(sinspace_style *style)
{
    if (!style)
        return;
    for (size_t i = 0; i < style->n_rules; i++) {
        free((void *)style->rules[i].symbolizers);
        filter_free(style->extra[i].filter);
    }
    free(style->rules);
    free(style->extra);
    for (size_t i = 0; i < style->n_strings; i++)
        free(style->strings[i]);
    free(style->strings);
    for (size_t i = 0; i < style->n_exprs; i++)
        sinspace__sx_free(style->exprs[i]);
    free(style->exprs);
    for (size_t i = 0; i < style->n_graphics; i++)
        sinspace__graphic_free(style->graphics[i]);
    free(style->graphics);
    resolved_free(style->resolved);
    groups_free(style);
    free(style->name);
    free(style->title);
    free(style);
}

/* Keeps a copy of s in the style; NULL on failure or for NULL. */
static const char *
keep(sinspace_style *style, const char *s)
{
    if (!s)
        return NULL;
    if (style->n_strings == style->cap_strings) {
        size_t cap = style->cap_strings ? style->cap_strings * 2 : 32;
        char **p = realloc(style->strings, cap * sizeof *p);
        if (!p)
            return NULL;
        style->strings = p;
        style->cap_strings = cap;
    }
    char *d = sinspace__strdup(s);
    if (d)
        style->strings[style->n_strings++] = d;
    return d;
}

/* Keeps e in the style (it frees it); -1 on no memory (e freed). */
static int
keep_expr(sinspace_style *style, sinspace_style_expr *e)
{
    if (style->n_exprs == style->cap_exprs) {
        size_t cap = style->cap_exprs ? style->cap_exprs * 2 : 16;
        sinspace_style_expr **p = realloc(style->exprs, cap * sizeof *p);
        if (!p) {
            sinspace__sx_free(e);
            return -1;
        }
        style->exprs = p;
        style->cap_exprs = cap;
    }
    style->exprs[style->n_exprs++] = e;
    return 0;
}

static int
keep_graphic(sinspace_style *style, sinspace_style_graphic *g)
{
    if (style->n_graphics == style->cap_graphics) {
        size_t cap = style->cap_graphics ? style->cap_graphics * 2 : 8;
        sinspace_style_graphic **p = realloc(style->graphics, cap * sizeof *p);
        if (!p) {
            sinspace__graphic_free(g);
            return -1;
        }
        style->graphics = p;
        style->cap_graphics = cap;
    }
    style->graphics[style->n_graphics++] = g;
    return 0;
}

static size_t
hash_text(const char *s)
{
    size_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* ---------------------------------------------------------------------
 * Parsing
 * --------------------------------------------------------------------- */

typedef struct parser {
    sinspace_context *ctx;
    sinspace_style *style;
    const char *name;   /* for messages */
    char *base_dir;     /* realpath of the folder graphics must be in; NULL */
    int fts;
    int anywhere;       /* graphics may be read from any local path */
} parser;

/* The local name of an element, without its prefix. */
static const char *
lname(const xmlNode *n)
{
    return (const char *)n->name;
}

static int
is(const xmlNode *n, const char *local)
{
    return n && n->type == XML_ELEMENT_NODE && !strcmp(lname(n), local);
}

static long
line_of(const xmlNode *n)
{
    return xmlGetLineNo(n);
}

/* "se:Foo" or "Foo", for messages. */
static void
qname(const xmlNode *n, char *buf, size_t size)
{
    if (n->ns && n->ns->prefix)
        snprintf(buf, size, "%s:%s", (const char *)n->ns->prefix, lname(n));
    else
        snprintf(buf, size, "%s", lname(n));
}

static void
warn_unknown(parser *p, const xmlNode *n, const char *where)
{
    char q[128];
    qname(n, q, sizeof q);
    sinspace__log(p->ctx, SINSPACE_LOG_WARNING,
                  "%s:%ld: unknown element <%s> in %s ignored", p->name,
                  line_of(n), q, where);
}

static void
warn_ignored(parser *p, const xmlNode *n, const char *why)
{
    char q[128];
    qname(n, q, sizeof q);
    xmlChar *attr = xmlGetProp(n, (const xmlChar *)"name");
    sinspace__log(p->ctx, SINSPACE_LOG_WARNING, "%s:%ld: <%s%s%s%s> %s",
                  p->name, line_of(n), q, attr ? " name=\"" : "",
                  attr ? (const char *)attr : "", attr ? "\"" : "", why);
    xmlFree(attr);
}

static sinspace_status
bad(parser *p, const xmlNode *n, const char *what, const char *value)
{
    char shown[80];
    size_t len = value ? strlen(value) : 0;
    /* Do not echo a huge value into the message. */
    snprintf(shown, sizeof shown, "%.60s%s", value ? value : "",
             len > 60 ? "..." : "");
    return sinspace__error(p->ctx, SINSPACE_INVALID_INPUT, "%s:%ld: %s '%s'",
                           p->name, line_of(n), what, shown);
}

static sinspace_status
no_memory(parser *p)
{
    return sinspace__error(p->ctx, SINSPACE_NO_MEMORY, "out of memory");
}

/* The element's text with surrounding white space removed; free() it.
 * Mixed content (e.g. an ogc:Literal inside) is concatenated. */
static char *
text_of(const xmlNode *n)
{
    xmlChar *c = xmlNodeGetContent(n);
    if (!c)
        return sinspace__strdup("");
    const char *s = (const char *)c;
    while (*s && isspace((unsigned char)*s))
        s++;
    size_t len = strlen(s);
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    char *out = malloc(len + 1);
    if (out) {
        memcpy(out, s, len);
        out[len] = '\0';
    }
    xmlFree(c);
    return out;
}

static int
parse_number(const char *s, double *out)
{
    char *end;
    /* Decimal only: strtod would also take "0x10", "inf" and "nan". */
    if (strpbrk(s, "xXiInN"))
        return -1;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno == ERANGE || !isfinite(v))
        return -1;
    while (isspace((unsigned char)*end))
        end++;
    if (*end)
        return -1;
    *out = v;
    return 0;
}

static sinspace_status
number_of(parser *p, const xmlNode *n, const char *what, double min, double max,
          double *out)
{
    char *t = text_of(n);
    if (!t)
        return no_memory(p);
    double v;
    sinspace_status st = SINSPACE_OK;
    if (parse_number(t, &v) < 0 || v < min || v > max) {
        char msg[128];
        if (isinf(max))
            snprintf(msg, sizeof msg, "bad %s (a number, at least %g)", what, min);
        else
            snprintf(msg, sizeof msg, "bad %s (a number from %g to %g)", what,
                     min, max);
        st = bad(p, n, msg, t);
    } else {
        *out = v;
    }
    free(t);
    return st;
}

/* Sizes beyond these are mistakes, and beyond what cairo can draw. */
#define MAX_SIZE_PX 1000.0
#define MAX_OFFSET_PX 10000.0

static void
range_msg(char *msg, size_t size, const char *what, double min, double max)
{
    if (isinf(max) && isinf(min))
        snprintf(msg, size, "bad %s (a number)", what);
    else if (isinf(max))
        snprintf(msg, size, "bad %s (a number, at least %g)", what, min);
    else
        snprintf(msg, size, "bad %s (a number from %g to %g)", what, min, max);
}

/* A value SE lets an expression give (Size, Rotation, Opacity...): when it
 * is fixed, checked against [min, max] into *out; when it reads the
 * feature, compiled into s->expr[slot] and evaluated per feature. */
static sinspace_status
value_of(parser *p, const xmlNode *n, const char *what, double min, double max,
         double *out, sinspace_symbolizer *s, int slot)
{
    sinspace_style_expr *e = NULL;
    sinspace_status st = sinspace__sx_compile(p->ctx, p->name, n, 0, &e);
    if (st)
        return st;
    if (!sinspace__sx_is_const(e)) {
        if (!s || slot < 0) {
            sinspace__sx_free(e);
            char msg[128];
            snprintf(msg, sizeof msg, "%s cannot be computed from a feature", what);
            return bad(p, n, msg, (const char *)n->name);
        }
        if (keep_expr(p->style, e) < 0)
            return no_memory(p);
        s->expr[slot] = e;
        return SINSPACE_OK;
    }
    sx_env env;
    memset(&env, 0, sizeof env);
    env.scale = NAN;
    sx_value v = sinspace__sx_eval(e, &env);
    const char *t = sinspace__sx_text(v, &env);
    double d;
    if (!t || sinspace__sx_parse_number(t, &d) < 0 || d < min || d > max) {
        char msg[128];
        range_msg(msg, sizeof msg, what, min, max);
        /* The value as written (a literal), else as computed. */
        char *written = sinspace__sx_is_property(e, NULL) ? NULL : text_of(n);
        st = bad(p, n, msg, written && !strchr(written, '<') ? written : t ? t : "(null)");
        free(written);
    } else {
        *out = d;
    }
    sinspace__sx_free(e);
    return st;
}

static int
hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static int
parse_color(const char *s, sinspace_rgba *out)
{
    if (strlen(s) != 7 || s[0] != '#')
        return -1;
    int v[6];
    for (int i = 0; i < 6; i++)
        if ((v[i] = hexval((unsigned char)s[i + 1])) < 0)
            return -1;
    out->r = (v[0] * 16 + v[1]) / 255.0;
    out->g = (v[2] * 16 + v[3]) / 255.0;
    out->b = (v[4] * 16 + v[5]) / 255.0;
    return 0;
}

/* A CssParameter / SvgParameter's name, or NULL for other elements. */
static xmlChar *
param_name(const xmlNode *n)
{
    if (!is(n, "CssParameter") && !is(n, "SvgParameter"))
        return NULL;
    return xmlGetProp(n, (const xmlChar *)"name");
}

/* The parameter's value: its text when fixed (*out), else the compiled
 * expression (*ex, kept by the style) when ex is given; a parameter
 * computed from a feature where sinspace cannot use one is warned about
 * and both are NULL. */
static sinspace_status
param_value_ex(parser *p, const xmlNode *n, char **out, sinspace_style_expr **ex)
{
    *out = NULL;
    if (ex)
        *ex = NULL;
    sinspace_style_expr *e = NULL;
    sinspace_status st = sinspace__sx_compile(p->ctx, p->name, n, 1, &e);
    if (st)
        return st;
    if (!sinspace__sx_is_const(e)) {
        if (!ex) {
            sinspace__sx_free(e);
            warn_ignored(p, n, "computed from a feature: not supported here, ignored");
            return SINSPACE_OK;
        }
        if (keep_expr(p->style, e) < 0)
            return no_memory(p);
        *ex = e;
        return SINSPACE_OK;
    }
    sx_env env;
    memset(&env, 0, sizeof env);
    env.scale = NAN;
    const char *t = sinspace__sx_text(sinspace__sx_eval(e, &env), &env);
    /* Trimmed, as the text of a parameter always was. */
    while (t && isspace((unsigned char)*t))
        t++;
    size_t len = t ? strlen(t) : 0;
    while (len && isspace((unsigned char)t[len - 1]))
        len--;
    *out = malloc(len + 1);
    if (*out) {
        if (len)
            memcpy(*out, t, len);
        (*out)[len] = '\0';
    }
    sinspace__sx_free(e);
    return *out ? SINSPACE_OK : no_memory(p);
}


static sinspace_status
param_color(parser *p, const xmlNode *n, const char *value, sinspace_rgba *c)
{
    double a = c->a;
    if (parse_color(value, c) < 0)
        return bad(p, n, "bad colour (expected #rrggbb)", value);
    c->a = a;
    return SINSPACE_OK;
}

static sinspace_status
param_number(parser *p, const xmlNode *n, const char *what, const char *value,
             double min, double max, double *out)
{
    double v;
    if (parse_number(value, &v) < 0 || v < min || v > max) {
        char msg[128];
        if (isinf(max))
            snprintf(msg, sizeof msg, "bad %s (a number, at least %g)", what, min);
        else
            snprintf(msg, sizeof msg, "bad %s (a number from %g to %g)", what,
                     min, max);
        return bad(p, n, msg, value);
    }
    *out = v;
    return SINSPACE_OK;
}

static sinspace_status parse_graphic(parser *p, const xmlNode *g,
                                     sinspace_symbolizer *s);

/* A GraphicFill or GraphicStroke: its Graphic, drawn as the fill pattern
 * or along the line; kept on the symbolizer's graphic_fill. */
static sinspace_status
parse_graphic_pattern(parser *p, const xmlNode *n, sinspace_symbolizer *owner)
{
    const xmlNode *g = NULL;
    for (const xmlNode *c = n->children; c; c = c->next)
        if (is(c, "Graphic"))
            g = c;
    if (!g)
        return bad(p, n, "needs a Graphic", lname(n));
    if (!owner) {
        warn_ignored(p, n, "not supported here, ignored");
        return SINSPACE_OK;
    }
    sinspace_symbolizer tmp;
    memset(&tmp, 0, sizeof tmp);
    tmp.kind = SINSPACE_SYMBOLIZER_POINT;
    tmp.size = 6;
    tmp.graphic_opacity = 1;
    sinspace_status st = parse_graphic(p, g, &tmp);
    if (st)
        return st;
    sinspace_symbolizer *keep_sym = malloc(sizeof *keep_sym);
    if (!keep_sym)
        return no_memory(p);
    *keep_sym = tmp;
    /* The pattern's symbolizer lives in the style's string list. */
    if (!keep(p->style, "")) {
        free(keep_sym);
        return no_memory(p);
    }
    free(p->style->strings[p->style->n_strings - 1]);
    p->style->strings[p->style->n_strings - 1] = (char *)keep_sym;
    if (is(n, "GraphicFill"))
        owner->fill_pattern = keep_sym;
    else
        owner->stroke_pattern = keep_sym;
    return SINSPACE_OK;
}

/* Fill: fill, fill-opacity, GraphicFill; s and the slots (or -1) take
 * values computed per feature. */
static sinspace_status
parse_fill_ex(parser *p, const xmlNode *fill, sinspace_rgba *color,
              sinspace_symbolizer *s, int slot_color, int slot_opacity)
{
    color->r = color->g = color->b = 128 / 255.0; /* SLD default grey */
    color->a = 1.0;
    sinspace_status st = SINSPACE_OK;
    for (const xmlNode *c = fill->children; c && !st; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        xmlChar *name = param_name(c);
        if (!name) {
            if (is(c, "GraphicFill"))
                st = parse_graphic_pattern(p, c, s);
            else
                warn_unknown(p, c, "Fill");
            continue;
        }
        char *v = NULL;
        sinspace_style_expr *ex = NULL;
        int slot = !strcmp((char *)name, "fill") ? slot_color
                   : !strcmp((char *)name, "fill-opacity") ? slot_opacity : -1;
        st = param_value_ex(p, c, &v, s && slot >= 0 ? &ex : NULL);
        if (!st && ex)
            s->expr[slot] = ex;
        if (!st && v) {
            if (!strcmp((char *)name, "fill"))
                st = param_color(p, c, v, color);
            else if (!strcmp((char *)name, "fill-opacity"))
                st = param_number(p, c, "fill-opacity", v, 0, 1, &color->a);
            else
                warn_ignored(p, c, "unknown fill parameter, ignored");
        }
        free(v);
        xmlFree(name);
    }
    return st;
}

static sinspace_status
parse_fill(parser *p, const xmlNode *fill, sinspace_rgba *color)
{
    return parse_fill_ex(p, fill, color, NULL, -1, -1);
}

static sinspace_status
parse_dasharray(parser *p, const xmlNode *n, const char *v, sinspace_stroke *s)
{
    const char *q = v;
    s->n_dash = 0;
    while (*q) {
        while (*q && (isspace((unsigned char)*q) || *q == ','))
            q++;
        if (!*q)
            break;
        char *end;
        errno = 0;
        double d = strtod(q, &end);
        if (end == q || errno || !isfinite(d) || d < 0)
            return bad(p, n, "bad stroke-dasharray (non-negative numbers)", v);
        if (s->n_dash == (int)(sizeof s->dash / sizeof s->dash[0]))
            return bad(p, n, "stroke-dasharray has more than 8 values", v);
        s->dash[s->n_dash++] = d;
        q = end;
    }
    if (s->n_dash == 1) { /* "4" means 4 on, 4 off */
        s->dash[1] = s->dash[0];
        s->n_dash = 2;
    }
    double total = 0;
    for (int i = 0; i < s->n_dash; i++)
        total += s->dash[i];
    if (s->n_dash && total <= 0)
        return bad(p, n, "stroke-dasharray is all zeros", v);
    return SINSPACE_OK;
}

/* Stroke: stroke, stroke-width, stroke-opacity, stroke-dasharray; joins
 * and caps are accepted and left to the renderer's defaults. */
static sinspace_status
parse_stroke(parser *p, const xmlNode *stroke, sinspace_stroke *s,
             sinspace_symbolizer *owner)
{
    memset(s, 0, sizeof *s);
    s->enabled = 1;
    s->color.a = 1.0; /* black */
    s->width = 1.0;
    sinspace_status st = SINSPACE_OK;
    for (const xmlNode *c = stroke->children; c && !st; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        xmlChar *name = param_name(c);
        if (!name) {
            if (is(c, "GraphicStroke") || is(c, "GraphicFill"))
                st = parse_graphic_pattern(p, c, owner);
            else
                warn_unknown(p, c, "Stroke");
            continue;
        }
        char *v = NULL;
        const char *nm = (const char *)name;
        int slot = !strcmp(nm, "stroke") ? SINSPACE_SLOT_STROKE
                   : !strcmp(nm, "stroke-width") ? SINSPACE_SLOT_STROKE_WIDTH
                   : !strcmp(nm, "stroke-opacity") ? SINSPACE_SLOT_STROKE_OPACITY : -1;
        sinspace_style_expr *ex = NULL;
        st = param_value_ex(p, c, &v, owner && slot >= 0 ? &ex : NULL);
        if (!st && ex)
            owner->expr[slot] = ex;
        if (!st && v) {
            if (!strcmp(nm, "stroke"))
                st = param_color(p, c, v, &s->color);
            else if (!strcmp(nm, "stroke-width"))
                st = param_number(p, c, "stroke-width", v, 0, MAX_SIZE_PX, &s->width);
            else if (!strcmp(nm, "stroke-opacity"))
                st = param_number(p, c, "stroke-opacity", v, 0, 1, &s->color.a);
            else if (!strcmp(nm, "stroke-dasharray"))
                st = parse_dasharray(p, c, v, s);
            else if (strcmp(nm, "stroke-linejoin") && strcmp(nm, "stroke-linecap") &&
                     strcmp(nm, "stroke-dashoffset"))
                warn_ignored(p, c, "unknown stroke parameter, ignored");
        }
        free(v);
        xmlFree(name);
    }
    return st;
}

static void
symbolizer_defaults(sinspace_symbolizer *s, sinspace_symbolizer_kind kind)
{
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->mark = SINSPACE_MARK_SQUARE; /* SLD's default mark */
    s->size = 6.0;
    s->anchor_x = s->anchor_y = 0.5;
    s->halo_fill.r = s->halo_fill.g = s->halo_fill.b = s->halo_fill.a = 1.0;
    s->font_size = 10.0;
    s->graphic_opacity = 1.0;
    s->conflict_resolution = 1;
}

/* Only a folder name path: is "a/../.." escaping upward? */
static int
escapes_upward(const char *href)
{
    int depth = 0;
    const char *s = href;
    while (*s) {
        const char *e = strchr(s, '/');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len == 2 && s[0] == '.' && s[1] == '.') {
            if (--depth < 0)
                return 1;
        } else if (len && !(len == 1 && s[0] == '.')) {
            depth++;
        }
        if (!e)
            break;
        s = e + 1;
    }
    return 0;
}

static int
has_scheme(const char *s)
{
    if (!isalpha((unsigned char)s[0]))
        return 0;
    const char *q = s + 1;
    while (isalnum((unsigned char)*q) || *q == '+' || *q == '-' || *q == '.')
        q++;
    return *q == ':';
}

static int
inside(const char *dir, const char *path)
{
    size_t n = strlen(dir);
    if (n == 1 && dir[0] == '/')
        return 1;
    return !strncmp(dir, path, n) && path[n] == '/';
}

/* Resolves an ExternalGraphic's href inside the allowed folder. */
static sinspace_status
resolve_graphic(parser *p, const xmlNode *n, const char *href, char **out)
{
    if (!*href)
        return bad(p, n, "empty ExternalGraphic href", href);
    if (has_scheme(href))
        return sinspace__error(p->ctx, SINSPACE_PERMISSION,
                               "%s:%ld: external graphic '%.200s' refused: only "
                               "files are read, never URLs (download it next to "
                               "the style)",
                               p->name, line_of(n), href);
    if (p->anywhere && href[0] == '/') {
        char *real = realpath(href, NULL);
        struct stat sb;
        if (!real || stat(real, &sb) != 0 || !S_ISREG(sb.st_mode)) {
            free(real);
            return sinspace__error(p->ctx, SINSPACE_INVALID_INPUT,
                                   "%s:%ld: external graphic '%.200s' not found",
                                   p->name, line_of(n), href);
        }
        *out = real;
        return SINSPACE_OK;
    }
    if (!p->base_dir)
        return sinspace__error(p->ctx, SINSPACE_PERMISSION,
                               "%s:%ld: external graphic '%.200s' refused: no "
                               "folder given to read graphics from",
                               p->name, line_of(n), href);
    if (href[0] != '/' && escapes_upward(href) && !p->anywhere)
        return sinspace__error(p->ctx, SINSPACE_PERMISSION,
                               "%s:%ld: external graphic '%.200s' refused: it "
                               "leaves the style's folder %s (--allow-remote-"
                               "graphics reads it)",
                               p->name, line_of(n), href, p->base_dir);
    size_t len = strlen(p->base_dir) + strlen(href) + 2;
    char *joined = malloc(len);
    if (!joined)
        return no_memory(p);
    if (href[0] == '/')
        snprintf(joined, len, "%s", href);
    else
        snprintf(joined, len, "%s/%s", p->base_dir, href);
    char *real = realpath(joined, NULL);
    free(joined);
    if (real && !p->anywhere && !inside(p->base_dir, real)) {
        free(real);
        return sinspace__error(p->ctx, SINSPACE_PERMISSION,
                               "%s:%ld: external graphic '%.200s' refused: it "
                               "is outside the style's folder %s (--allow-remote-"
                               "graphics reads it)",
                               p->name, line_of(n), href, p->base_dir);
    }
    if (!real) {
        if (href[0] == '/')
            return sinspace__error(p->ctx, SINSPACE_PERMISSION,
                                   "%s:%ld: external graphic '%.200s' refused: "
                                   "it is outside the style's folder %s",
                                   p->name, line_of(n), href, p->base_dir);
        return sinspace__error(p->ctx, SINSPACE_INVALID_INPUT,
                               "%s:%ld: external graphic '%.200s' not found in %s",
                               p->name, line_of(n), href, p->base_dir);
    }
    struct stat sb;
    if (stat(real, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        free(real);
        return bad(p, n, "external graphic is not a file", href);
    }
    *out = real;
    return SINSPACE_OK;
}

static const char *
format_from_name(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (dot && !strcasecmp(dot, ".svg"))
        return "image/svg+xml";
    if (dot && !strcasecmp(dot, ".png"))
        return "image/png";
    return NULL;
}

static sinspace_status
parse_external_graphic(parser *p, const xmlNode *eg, sinspace_symbolizer *s)
{
    char *href = NULL, *format = NULL;
    const xmlNode *res = NULL;
    sinspace_status st = SINSPACE_OK;
    for (const xmlNode *c = eg->children; c && !st; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (is(c, "OnlineResource")) {
            xmlChar *h = xmlGetNsProp(c, (const xmlChar *)"href",
                                      (const xmlChar *)"http://www.w3.org/1999/xlink");
            if (!h)
                h = xmlGetProp(c, (const xmlChar *)"href");
            free(href);
            href = h ? sinspace__strdup((const char *)h) : sinspace__strdup("");
            xmlFree(h);
            res = c;
            if (!href)
                st = no_memory(p);
        } else if (is(c, "Format")) {
            free(format);
            if (!(format = text_of(c)))
                st = no_memory(p);
        } else if (is(c, "InlineContent")) {
            warn_ignored(p, c, "inline graphics are not supported, ignored");
        } else {
            warn_unknown(p, c, "ExternalGraphic");
        }
    }
    if (!st && !res)
        st = bad(p, eg, "ExternalGraphic without OnlineResource", "");
    char *real = NULL;
    if (!st)
        st = resolve_graphic(p, res, href, &real);
    if (!st) {
        const char *fmt = NULL;
        if (format && (!strcmp(format, "image/svg+xml") || !strcmp(format, "image/svg")))
            fmt = "image/svg+xml";
        else if (format && !strcmp(format, "image/png"))
            fmt = "image/png";
        else if (!format || !*format)
            fmt = format_from_name(real);
        if (!fmt)
            st = bad(p, eg, "unsupported graphic format (SVG or PNG)",
                     format && *format ? format : href);
        else if (!(s->graphic_path = keep(p->style, real)) ||
                 !(s->graphic_format = keep(p->style, fmt)))
            st = no_memory(p);
        else
            s->mark = SINSPACE_MARK_GRAPHIC;
    }
    if (!st) {
        sinspace_style_graphic *g = NULL;
        st = sinspace__graphic_file(p->ctx, s->graphic_path, s->graphic_format, &g);
        if (st)
            sinspace__error(p->ctx, st, "%s:%ld: %s", p->name, line_of(eg),
                            sinspace_context_message(p->ctx));
        else if (keep_graphic(p->style, g) < 0)
            st = no_memory(p);
        else
            s->graphic = g;
    }
    free(real);
    free(href);
    free(format);
    return st;
}

static const struct {
    const char *name;
    sinspace_mark mark;
} marks[] = {
    {"circle", SINSPACE_MARK_CIRCLE}, {"square", SINSPACE_MARK_SQUARE},
    {"triangle", SINSPACE_MARK_TRIANGLE}, {"star", SINSPACE_MARK_STAR},
    {"cross", SINSPACE_MARK_CROSS}, {"x", SINSPACE_MARK_X},
};

static sinspace_status
parse_mark(parser *p, const xmlNode *m, sinspace_symbolizer *s)
{
    sinspace_status st = SINSPACE_OK;
    int has_fill = 0, has_stroke = 0;
    s->mark = SINSPACE_MARK_SQUARE;
    for (const xmlNode *c = m->children; c && !st; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (is(c, "WellKnownName")) {
            char *t = text_of(c);
            if (!t)
                return no_memory(p);
            size_t i;
            for (i = 0; i < sizeof marks / sizeof marks[0]; i++)
                if (!strcasecmp(t, marks[i].name))
                    break;
            sinspace_style_graphic *g = NULL;
            if (i < sizeof marks / sizeof marks[0]) {
                s->mark = marks[i].mark;
            } else if ((g = sinspace__graphic_mark(t))) {
                /* shape://vertline, ttf://Font#0x41... */
                if (keep_graphic(p->style, g) < 0) {
                    free(t);
                    return no_memory(p);
                }
                s->graphic = g;
                s->mark = SINSPACE_MARK_GRAPHIC;
            } else {
                sinspace__log(p->ctx, SINSPACE_LOG_WARNING,
                              "%s:%ld: mark '%.60s' not supported (circle, "
                              "square, triangle, star, cross, x, shape://..., "
                              "ttf://...); drawn as a square", p->name,
                              line_of(c), t);
                s->mark = SINSPACE_MARK_SQUARE;
            }
            free(t);
        } else if (is(c, "Fill")) {
            has_fill = 1;
            st = parse_fill_ex(p, c, &s->fill, s, SINSPACE_SLOT_FILL,
                               SINSPACE_SLOT_FILL_OPACITY);
        } else if (is(c, "Stroke")) {
            has_stroke = 1;
            st = parse_stroke(p, c, &s->stroke, s);
        } else {
            warn_unknown(p, c, "Mark");
        }
    }
    /* SLD: a Mark without Fill and Stroke is grey with a black outline. */
    if (!has_fill && !has_stroke) {
        s->has_fill = 1;
        s->fill.r = s->fill.g = s->fill.b = 128 / 255.0;
        s->fill.a = 1.0;
        s->stroke.enabled = 1;
        s->stroke.color.a = 1.0;
        s->stroke.width = 1.0;
    } else {
        s->has_fill = has_fill;
    }
    return st;
}

static sinspace_status
parse_graphic(parser *p, const xmlNode *g, sinspace_symbolizer *s)
{
    sinspace_status st = SINSPACE_OK;
    int have_symbol = 0, have_size = 0;
    double opacity = 1.0;
    for (const xmlNode *c = g->children; c && !st; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (is(c, "Mark") || is(c, "ExternalGraphic")) {
            /* SLD: the first usable one wins. */
            if (have_symbol)
                continue;
            have_symbol = 1;
            st = is(c, "Mark") ? parse_mark(p, c, s)
                               : parse_external_graphic(p, c, s);
        } else if (is(c, "Size")) {
            have_size = 1;
            st = value_of(p, c, "Size", 0, MAX_SIZE_PX, &s->size, s,
                          SINSPACE_SLOT_SIZE);
        } else if (is(c, "Rotation")) {
            st = value_of(p, c, "Rotation", -1e6, 1e6, &s->rotation, s,
                          SINSPACE_SLOT_ROTATION);
        } else if (is(c, "Opacity")) {
            st = value_of(p, c, "Opacity", 0, 1, &opacity, s, SINSPACE_SLOT_OPACITY);
        } else if (is(c, "Displacement")) {
            for (const xmlNode *d = c->children; d && !st; d = d->next) {
                if (d->type != XML_ELEMENT_NODE)
                    continue;
                if (is(d, "DisplacementX"))
                    st = number_of(p, d, "DisplacementX", -MAX_OFFSET_PX,
                                   MAX_OFFSET_PX, &s->displacement_x);
                else if (is(d, "DisplacementY"))
                    st = number_of(p, d, "DisplacementY", -MAX_OFFSET_PX,
                                   MAX_OFFSET_PX, &s->displacement_y);
                else
                    warn_unknown(p, d, "Displacement");
            }
        } else if (is(c, "AnchorPoint")) {
            warn_ignored(p, c, "not supported for points (centred), ignored");
        } else {
            warn_unknown(p, c, "Graphic");
        }
    }
    if (!st && !have_symbol) {
        /* SLD: a Graphic with neither is the default square mark. */
        s->mark = SINSPACE_MARK_SQUARE;
        s->has_fill = 1;
        s->fill.r = s->fill.g = s->fill.b = 128 / 255.0;
        s->fill.a = 1.0;
        s->stroke.enabled = 1;
        s->stroke.color.a = 1.0;
        s->stroke.width = 1.0;
    }
    s->fill.a *= opacity;
    s->stroke.color.a *= opacity;
    s->graphic_opacity = opacity;
    /* A Displacement moves graphics; the built-in marks are stamped at
     * the point, so it is dropped for them, with a warning. */
    if (!st && !s->graphic && (s->displacement_x != 0 || s->displacement_y != 0)) {
        s->displacement_x = s->displacement_y = 0;
        warn_ignored(p, g, "Displacement of a built-in mark not supported, ignored");
    }
    /* SLD: without a Size, an image is drawn at its own size. */
    if (!st && !have_size && sinspace__graphic_height(s->graphic) > 0)
        s->size = fmin(sinspace__graphic_height(s->graphic), MAX_SIZE_PX);
    return st;
}

static sinspace_status
parse_point_placement(parser *p, const xmlNode *pp, sinspace_symbolizer *s)
{
    sinspace_status st = SINSPACE_OK;
    for (const xmlNode *c = pp->children; c && !st; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (is(c, "AnchorPoint")) {
            for (const xmlNode *d = c->children; d && !st; d = d->next) {
                if (d->type != XML_ELEMENT_NODE)
                    continue;
                if (is(d, "AnchorPointX"))
                    st = number_of(p, d, "AnchorPointX", 0, 1, &s->anchor_x);
                else if (is(d, "AnchorPointY"))
                    st = number_of(p, d, "AnchorPointY", 0, 1, &s->anchor_y);
                else
                    warn_unknown(p, d, "AnchorPoint");
            }
        } else if (is(c, "Displacement")) {
            for (const xmlNode *d = c->children; d && !st; d = d->next) {
                if (d->type != XML_ELEMENT_NODE)
                    continue;
                if (is(d, "DisplacementX"))
                    st = number_of(p, d, "DisplacementX", -MAX_OFFSET_PX,
                                   MAX_OFFSET_PX, &s->displacement_x);
                else if (is(d, "DisplacementY"))
                    st = number_of(p, d, "DisplacementY", -MAX_OFFSET_PX,
                                   MAX_OFFSET_PX, &s->displacement_y);
                else
                    warn_unknown(p, d, "Displacement");
            }
        } else if (is(c, "Rotation")) {
            st = value_of(p, c, "label Rotation", -1e6, 1e6, &s->label_rotation,
                          s, SINSPACE_SLOT_LABEL_ROTATION);
            if (!st && (s->label_rotation != 0 || s->expr[SINSPACE_SLOT_LABEL_ROTATION]))
                warn_ignored(p, c, "read, but labels are drawn level: the label "
                                   "placer does not rotate them yet");
        } else {
            warn_unknown(p, c, "PointPlacement");
        }
    }
    return st;
}

static sinspace_status
parse_font(parser *p, const xmlNode *f, sinspace_symbolizer *s)
{
    sinspace_status st = SINSPACE_OK;
    for (const xmlNode *c = f->children; c && !st; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        xmlChar *name = param_name(c);
        if (!name) {
            warn_unknown(p, c, "Font");
            continue;
        }
        char *v = NULL;
        const char *nm = (const char *)name;
        sinspace_style_expr *ex = NULL;
        st = param_value_ex(p, c, &v, !strcmp(nm, "font-size") ? &ex : NULL);
        if (!st && ex)
            s->expr[SINSPACE_SLOT_FONT_SIZE] = ex;
        if (!st && v) {
            if (!strcmp(nm, "font-family")) {
                if (!*v)
                    st = bad(p, c, "empty font-family", v);
                else if (!(s->font_family = keep(p->style, v)))
                    st = no_memory(p);
            } else if (!strcmp(nm, "font-size")) {
                st = param_number(p, c, "font-size", v, 0, 1000, &s->font_size);
            } else if (!strcmp(nm, "font-weight")) {
                double w;
                if (!strcasecmp(v, "bold") || !strcasecmp(v, "bolder"))
                    s->font_bold = 1;
                else if (!strcasecmp(v, "normal") || !strcasecmp(v, "lighter"))
                    s->font_bold = 0;
                else if (parse_number(v, &w) == 0 && w >= 1 && w <= 1000)
                    s->font_bold = w >= 600;
                else
                    st = bad(p, c, "bad font-weight (normal or bold)", v);
            } else if (!strcmp(nm, "font-style")) {
                if (!strcasecmp(v, "italic") || !strcasecmp(v, "oblique"))
                    s->font_italic = 1;
                else if (!strcasecmp(v, "normal"))
                    s->font_italic = 0;
                else
                    st = bad(p, c, "bad font-style (normal, italic or oblique)", v);
            } else {
                warn_ignored(p, c, "unknown font parameter, ignored");
            }
        }
        free(v);
        xmlFree(name);
    }
    return st;
}

static sinspace_status
parse_halo(parser *p, const xmlNode *h, sinspace_symbolizer *s)
{
    sinspace_status st = SINSPACE_OK;
    s->halo_radius = 1.0; /* SLD default */
    s->halo_fill.r = s->halo_fill.g = s->halo_fill.b = s->halo_fill.a = 1.0;
    for (const xmlNode *c = h->children; c && !st; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (is(c, "Radius"))
            st = value_of(p, c, "halo Radius", 0, 1000, &s->halo_radius, NULL, -1);
        else if (is(c, "Fill")) {
            st = parse_fill(p, c, &s->halo_fill);
        } else
            warn_unknown(p, c, "Halo");
    }
    return st;
}

/* Label: a property, or any expression (strConcat, literal text mixed
 * with properties...), evaluated per feature. */
static sinspace_status
parse_label(parser *p, const xmlNode *l, sinspace_symbolizer *s)
{
    sinspace_style_expr *e = NULL;
    sinspace_status st = sinspace__sx_compile(p->ctx, p->name, l, 1, &e);
    if (st)
        return st;
    const char *prop = NULL;
    if (sinspace__sx_is_property(e, &prop)) {
        s->label_property = keep(p->style, prop);
        sinspace__sx_free(e);
        return s->label_property ? SINSPACE_OK : no_memory(p);
    }
    if (keep_expr(p->style, e) < 0)
        return no_memory(p);
    s->expr[SINSPACE_SLOT_LABEL] = e;
    if (sinspace__sx_is_const(e)) {
        sx_env env;
        memset(&env, 0, sizeof env);
        env.scale = NAN;
        const char *t = sinspace__sx_text(sinspace__sx_eval(e, &env), &env);
        if (!t || !*t)
            sinspace__log(p->ctx, SINSPACE_LOG_WARNING,
                          "%s:%ld: empty Label: nothing to draw", p->name,
                          line_of(l));
    }
    return SINSPACE_OK;
}

/* VendorOptions that map onto label placement; others are warned about. */
static sinspace_status
parse_vendor_option(parser *p, const xmlNode *n, sinspace_symbolizer *s)
{
    xmlChar *name = xmlGetProp(n, (const xmlChar *)"name");
    char *v = text_of(n);
    sinspace_status st = SINSPACE_OK;
    const char *nm = name ? (const char *)name : "";
    double d;
    if (s && s->kind == SINSPACE_SYMBOLIZER_TEXT &&
        (!strcmp(nm, "maxDisplacement") || !strcmp(nm, "spaceAround") ||
         !strcmp(nm, "group") || !strcmp(nm, "conflictResolution")))
        warn_ignored(p, n, "read and checked, but the label placer does not "
                           "apply it yet");
    if (!v) {
        st = no_memory(p);
    } else if (s && s->kind == SINSPACE_SYMBOLIZER_TEXT && !strcmp(nm, "maxDisplacement")) {
        if (sinspace__sx_parse_number(v, &d) < 0 || d < 0 || d > MAX_OFFSET_PX)
            st = bad(p, n, "bad maxDisplacement (pixels, 0 to 10000)", v);
        else
            s->max_displacement = d;
    } else if (s && s->kind == SINSPACE_SYMBOLIZER_TEXT && !strcmp(nm, "spaceAround")) {
        if (sinspace__sx_parse_number(v, &d) < 0 || d < -MAX_OFFSET_PX || d > MAX_OFFSET_PX)
            st = bad(p, n, "bad spaceAround (pixels)", v);
        else
            s->space_around = d;
    } else if (s && s->kind == SINSPACE_SYMBOLIZER_TEXT &&
               (!strcmp(nm, "group") || !strcmp(nm, "conflictResolution"))) {
        int b;
        if (!strcasecmp(v, "true") || !strcasecmp(v, "yes"))
            b = 1;
        else if (!strcasecmp(v, "false") || !strcasecmp(v, "no"))
            b = 0;
        else {
            xmlFree(name);
            st = bad(p, n, "bad VendorOption (true or false)", v);
            free(v);
            return st;
        }
        if (!strcmp(nm, "group"))
            s->group = b;
        else
            s->conflict_resolution = b;
    } else {
        warn_ignored(p, n, "not used by sinspace, ignored");
    }
    xmlFree(name);
    free(v);
    return st;
}

/* uom: SE's metre, foot and pixel; ground units become pixels at the
 * map's scale when drawn. */
static double
check_uom(parser *p, const xmlNode *sym)
{
    xmlChar *uom = xmlGetProp(sym, (const xmlChar *)"uom");
    double m = 0;
    if (uom) {
        const char *u = (const char *)uom;
        const char *slash = strrchr(u, '/');
        const char *unit = slash ? slash + 1 : u;
        if (!strcmp(unit, "metre") || !strcmp(unit, "meter"))
            m = 1;
        else if (!strcmp(unit, "foot"))
            m = 0.3048;
        else if (strcmp(unit, "pixel"))
            sinspace__log(p->ctx, SINSPACE_LOG_WARNING,
                          "%s:%ld: uom '%s' not known (metre, foot, pixel): "
                          "sizes read as pixels", p->name, line_of(sym), u);
    }
    xmlFree(uom);
    return m;
}

/* Parses one symbolizer element; *kind_known is 0 if it is not one. */
static sinspace_status
parse_symbolizer(parser *p, const xmlNode *n, sinspace_symbolizer *s)
{
    sinspace_status st = SINSPACE_OK;
    double uom = check_uom(p, n);
    if (is(n, "PointSymbolizer")) {
        symbolizer_defaults(s, SINSPACE_SYMBOLIZER_POINT);
        int have_graphic = 0;
        for (const xmlNode *c = n->children; c && !st; c = c->next) {
            if (c->type != XML_ELEMENT_NODE)
                continue;
            if (is(c, "Graphic")) {
                have_graphic = 1;
                st = parse_graphic(p, c, s);
            } else if (is(c, "VendorOption")) {
                st = parse_vendor_option(p, c, s);
            } else if (is(c, "Geometry")) {
                warn_ignored(p, c, "not supported, ignored");
            } else {
                warn_unknown(p, c, "PointSymbolizer");
            }
        }
        if (!st && !have_graphic) {
            s->has_fill = 1;
            s->fill.r = s->fill.g = s->fill.b = 128 / 255.0;
            s->fill.a = 1.0;
            s->stroke.enabled = 1;
            s->stroke.color.a = 1.0;
            s->stroke.width = 1.0;
        }
    } else if (is(n, "LineSymbolizer")) {
        symbolizer_defaults(s, SINSPACE_SYMBOLIZER_LINE);
        int have_stroke = 0;
        for (const xmlNode *c = n->children; c && !st; c = c->next) {
            if (c->type != XML_ELEMENT_NODE)
                continue;
            if (is(c, "Stroke")) {
                have_stroke = 1;
                st = parse_stroke(p, c, &s->stroke, s);
            } else if (is(c, "PerpendicularOffset")) {
                st = value_of(p, c, "PerpendicularOffset", -MAX_OFFSET_PX,
                              MAX_OFFSET_PX, &s->perpendicular_offset, NULL, -1);
            } else if (is(c, "VendorOption")) {
                st = parse_vendor_option(p, c, s);
            } else if (is(c, "Geometry")) {
                warn_ignored(p, c, "not supported, ignored");
            } else {
                warn_unknown(p, c, "LineSymbolizer");
            }
        }
        if (!have_stroke) { /* SLD: default 1 px black line */
            s->stroke.enabled = 1;
            s->stroke.color.a = 1.0;
            s->stroke.width = 1.0;
        }
    } else if (is(n, "PolygonSymbolizer")) {
        symbolizer_defaults(s, SINSPACE_SYMBOLIZER_POLYGON);
        for (const xmlNode *c = n->children; c && !st; c = c->next) {
            if (c->type != XML_ELEMENT_NODE)
                continue;
            if (is(c, "Fill")) {
                s->has_fill = 1;
                st = parse_fill_ex(p, c, &s->fill, s, SINSPACE_SLOT_FILL,
                                   SINSPACE_SLOT_FILL_OPACITY);
            } else if (is(c, "Stroke")) {
                st = parse_stroke(p, c, &s->stroke, s);
            } else if (is(c, "PerpendicularOffset")) {
                st = value_of(p, c, "PerpendicularOffset", -MAX_OFFSET_PX,
                              MAX_OFFSET_PX, &s->perpendicular_offset, NULL, -1);
            } else if (is(c, "VendorOption")) {
                st = parse_vendor_option(p, c, s);
            } else if (is(c, "Geometry") || is(c, "Displacement")) {
                warn_ignored(p, c, "not supported, ignored");
            } else {
                warn_unknown(p, c, "PolygonSymbolizer");
            }
        }
    } else {
        symbolizer_defaults(s, SINSPACE_SYMBOLIZER_TEXT);
        s->has_fill = 1; /* black text */
        s->fill.a = 1.0;
        s->halo_radius = 0;
        for (const xmlNode *c = n->children; c && !st; c = c->next) {
            if (c->type != XML_ELEMENT_NODE)
                continue;
            if (is(c, "Label")) {
                st = parse_label(p, c, s);
            } else if (is(c, "Font")) {
                st = parse_font(p, c, s);
            } else if (is(c, "LabelPlacement")) {
                for (const xmlNode *d = c->children; d && !st; d = d->next) {
                    if (d->type != XML_ELEMENT_NODE)
                        continue;
                    if (is(d, "PointPlacement")) {
                        st = parse_point_placement(p, d, s);
                    } else if (is(d, "LinePlacement")) {
                        s->line_placement = 1;
                        for (const xmlNode *e = d->children; e && !st; e = e->next) {
                            if (e->type != XML_ELEMENT_NODE)
                                continue;
                            if (is(e, "PerpendicularOffset"))
                                st = value_of(p, e, "PerpendicularOffset",
                                              -MAX_OFFSET_PX, MAX_OFFSET_PX,
                                              &s->perpendicular_offset, NULL, -1);
                            else if (!is(e, "IsRepeated") && !is(e, "InitialGap") &&
                                     !is(e, "Gap") && !is(e, "IsAligned") &&
                                     !is(e, "GeneralizeLine"))
                                warn_unknown(p, e, "LinePlacement");
                        }
                    } else
                        warn_unknown(p, d, "LabelPlacement");
                }
            } else if (is(c, "Halo")) {
                st = parse_halo(p, c, s);
            } else if (is(c, "Fill")) {
                st = parse_fill_ex(p, c, &s->fill, s, SINSPACE_SLOT_FILL,
                                   SINSPACE_SLOT_FILL_OPACITY);
            } else if (is(c, "VendorOption")) {
                st = parse_vendor_option(p, c, s);
            } else if (is(c, "Geometry") || is(c, "Priority") || is(c, "Graphic")) {
                warn_ignored(p, c, "not supported, ignored");
            } else {
                warn_unknown(p, c, "TextSymbolizer");
            }
        }
    }
    s->uom_metres = uom;
    return st;
}

static int
is_symbolizer(const xmlNode *n)
{
    return is(n, "PointSymbolizer") || is(n, "LineSymbolizer") ||
           is(n, "PolygonSymbolizer") || is(n, "TextSymbolizer");
}

static int
is_other_symbolizer(const xmlNode *n)
{
    return is(n, "RasterSymbolizer") || is(n, "ExtensionSymbolizer");
}

/* --- filters ----------------------------------------------------------- */

static sinspace_status parse_filter_op(parser *p, const xmlNode *n, int depth,
                                       filter **out);

static const struct {
    const char *name;
    filter_op op;
} comparisons[] = {
    {"PropertyIsEqualTo", OP_EQ}, {"PropertyIsNotEqualTo", OP_NE},
    {"PropertyIsLessThan", OP_LT}, {"PropertyIsLessThanOrEqualTo", OP_LE},
    {"PropertyIsGreaterThan", OP_GT}, {"PropertyIsGreaterThanOrEqualTo", OP_GE},
};

static sinspace_status
parse_expr(parser *p, const xmlNode *n, sinspace_style_expr **e)
{
    return sinspace__sx_compile_one(p->ctx, p->name, n, e);
}

/* The fid of a FeatureId / GmlObjectId / ResourceId element. */
static char *
fid_of(const xmlNode *n)
{
    static const char *const names[] = {"fid", "id", "rid"};
    for (size_t i = 0; i < 3; i++) {
        xmlChar *v = xmlGetProp(n, (const xmlChar *)names[i]);
        if (!v)
            v = xmlGetNsProp(n, (const xmlChar *)names[i],
                             (const xmlChar *)"http://www.opengis.net/gml");
        if (v) {
            char *r = sinspace__strdup((const char *)v);
            xmlFree(v);
            return r;
        }
    }
    return NULL;
}

static int
is_fid(const xmlNode *n)
{
    return is(n, "FeatureId") || is(n, "GmlObjectId") || is(n, "ResourceId");
}

/* A FeatureId filter over the elements of parent (one or several). */
static sinspace_status
parse_fids(parser *p, const xmlNode *parent, const xmlNode *only, filter *f)
{
    f->op = OP_FID;
    for (const xmlNode *c = only ? only : parent->children; c;
         c = only ? NULL : c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (!is_fid(c))
            return bad(p, c, "FeatureId mixed with other operators", lname(c));
        char *id = fid_of(c);
        if (!id || !*id) {
            free(id);
            return bad(p, c, "FeatureId without fid", lname(c));
        }
        char **q = realloc(f->fids, (f->n_fids + 1) * sizeof *q);
        if (!q) {
            free(id);
            return no_memory(p);
        }
        f->fids = q;
        f->fids[f->n_fids++] = id;
    }
    return SINSPACE_OK;
}

/* Numbers from a gml:coordinates / lowerCorner / upperCorner text. */
static int
read_numbers(const char *s, double *out, int max)
{
    int n = 0;
    while (*s && n < max) {
        while (*s && (isspace((unsigned char)*s) || *s == ','))
            s++;
        if (!*s)
            break;
        char *end;
        double v = strtod(s, &end);
        if (end == s || !isfinite(v))
            return -1;
        out[n++] = v;
        s = end;
    }
    while (*s && (isspace((unsigned char)*s) || *s == ','))
        s++;
    return *s ? -1 : n;
}

/* BBOX: [PropertyName,] gml:Box (coordinates) or gml:Envelope
 * (lowerCorner, upperCorner), in lon/lat (EPSG:4326, CRS:84 or unset). */
static sinspace_status
parse_bbox(parser *p, const xmlNode *n, filter *f)
{
    f->op = OP_BBOX;
    const xmlNode *box = NULL;
    for (const xmlNode *c = n->children; c; c = c->next)
        if (is(c, "Box") || is(c, "Envelope"))
            box = c;
    if (!box)
        return bad(p, n, "BBOX needs a gml:Box or gml:Envelope", lname(n));
    xmlChar *srs = xmlGetProp(box, (const xmlChar *)"srsName");
    if (!srs)
        srs = xmlGetProp(n, (const xmlChar *)"srsName");
    int ok_srs = !srs || strstr((const char *)srs, "4326") ||
                 strstr((const char *)srs, "CRS84") || strstr((const char *)srs, "CRS:84");
    if (!ok_srs) {
        sinspace_status st = bad(p, box, "BBOX in a CRS other than lon/lat "
                                         "(EPSG:4326) not supported", (const char *)srs);
        xmlFree(srs);
        return st;
    }
    /* EPSG:4326 in the OGC URN form is lat, lon. */
    int latlon = srs && (strstr((const char *)srs, "urn:") ||
                         strstr((const char *)srs, "opengis.net/def"));
    xmlFree(srs);
    double v[4];
    int nv = 0;
    for (const xmlNode *c = box->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        char *t = text_of(c);
        if (!t)
            return no_memory(p);
        int k = -1;
        if (is(c, "coordinates") && nv == 0)
            k = read_numbers(t, v, 4);
        else if ((is(c, "lowerCorner") && nv == 0) || (is(c, "upperCorner") && nv == 2))
            k = read_numbers(t, v + nv, 2);
        else if (is(c, "coord")) {
            for (const xmlNode *d = c->children; d; d = d->next)
                if (is(d, "X") || is(d, "Y")) {
                    char *u = text_of(d);
                    double x;
                    if (u && nv < 4 && sinspace__sx_parse_number(u, &x) == 0)
                        v[nv++] = x;
                    free(u);
                }
            free(t);
            continue;
        }
        free(t);
        if (k < 0)
            return bad(p, c, "bad BBOX coordinates", lname(c));
        nv += k;
    }
    if (nv != 4)
        return bad(p, box, "BBOX needs two corners", lname(box));
    if (latlon) {
        double t = v[0]; v[0] = v[1]; v[1] = t;
        t = v[2]; v[2] = v[3]; v[3] = t;
    }
    f->box[0] = fmin(v[0], v[2]);
    f->box[1] = fmin(v[1], v[3]);
    f->box[2] = fmax(v[0], v[2]);
    f->box[3] = fmax(v[1], v[3]);
    return SINSPACE_OK;
}

/* The element children of n, up to max; returns how many there are. */
static size_t
element_children(const xmlNode *n, const xmlNode **out, size_t max)
{
    size_t k = 0;
    for (const xmlNode *c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE) {
            if (k < max)
                out[k] = c;
            k++;
        }
    return k;
}

static int
attr_is_false(const xmlNode *n, const char *name)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
    int f = v && (!strcasecmp((const char *)v, "false") || !strcmp((const char *)v, "0"));
    xmlFree(v);
    return f;
}

/* One character attribute of PropertyIsLike (wildCard, singleChar, escape
 * or SE's escapeChar), or def. */
static sinspace_status
like_char(parser *p, const xmlNode *n, const char *name, const char *alt,
          char def, char *out)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
    if (!v && alt)
        v = xmlGetProp(n, (const xmlChar *)alt);
    if (!v) {
        *out = def;
        return SINSPACE_OK;
    }
    sinspace_status st = SINSPACE_OK;
    if (strlen((const char *)v) != 1 || (unsigned char)v[0] >= 0x80) {
        char what[96];
        snprintf(what, sizeof what, "PropertyIsLike %s must be one ASCII character", name);
        st = bad(p, n, what, (const char *)v);
    } else {
        *out = (char)v[0];
    }
    xmlFree(v);
    return st;
}

static sinspace_status
parse_filter_op(parser *p, const xmlNode *n, int depth, filter **out)
{
    if (depth > MAX_FILTER_DEPTH)
        return bad(p, n, "filter nested too deeply", lname(n));
    filter *f = calloc(1, sizeof *f);
    if (!f)
        return no_memory(p);
    f->match_case = !attr_is_false(n, "matchCase");
    const xmlNode *kids[3];
    size_t nk = element_children(n, kids, 3);
    sinspace_status st = SINSPACE_OK;
    size_t ci;
    for (ci = 0; ci < sizeof comparisons / sizeof comparisons[0]; ci++)
        if (is(n, comparisons[ci].name))
            break;
    if (ci < sizeof comparisons / sizeof comparisons[0]) {
        f->op = comparisons[ci].op;
        if (nk != 2)
            st = bad(p, n, "a comparison needs two operands", lname(n));
        else if (!(st = parse_expr(p, kids[0], &f->a)))
            st = parse_expr(p, kids[1], &f->b);
    } else if (is(n, "PropertyIsBetween")) {
        f->op = OP_BETWEEN;
        const xmlNode *lo = NULL, *hi = NULL, *ex = NULL;
        for (const xmlNode *c = n->children; c; c = c->next) {
            if (c->type != XML_ELEMENT_NODE)
                continue;
            if (is(c, "LowerBoundary"))
                lo = c;
            else if (is(c, "UpperBoundary"))
                hi = c;
            else if (!ex)
                ex = c;
        }
        if (!ex || !lo || !hi)
            st = bad(p, n, "PropertyIsBetween needs an expression, "
                     "LowerBoundary and UpperBoundary", lname(n));
        else if (!(st = parse_expr(p, ex, &f->a)) &&
                 !(st = sinspace__sx_compile(p->ctx, p->name, lo, 0, &f->b)))
            st = sinspace__sx_compile(p->ctx, p->name, hi, 0, &f->c);
    } else if (is(n, "PropertyIsLike")) {
        f->op = OP_LIKE;
        if (nk != 2 || !is(kids[1], "Literal"))
            st = bad(p, n, "PropertyIsLike needs an expression then ogc:Literal",
                     lname(n));
        else if (!(st = parse_expr(p, kids[0], &f->a)) &&
                 !(st = parse_expr(p, kids[1], &f->b)) &&
                 !(st = like_char(p, n, "wildCard", NULL, '*', &f->wild)) &&
                 !(st = like_char(p, n, "singleChar", NULL, '?', &f->single)))
            st = like_char(p, n, "escape", "escapeChar", '\\', &f->escape);
        if (!st && (f->wild == f->single || f->wild == f->escape ||
                    f->single == f->escape))
            st = bad(p, n, "PropertyIsLike wildCard, singleChar and escape must "
                     "differ", lname(n));
    } else if (is(n, "PropertyIsNull")) {
        f->op = OP_NULL;
        if (nk != 1)
            st = bad(p, n, "PropertyIsNull needs one expression", lname(n));
        else
            st = parse_expr(p, kids[0], &f->a);
    } else if (is(n, "Function")) {
        /* A function as a test (GeoServer): true when it is. */
        f->op = OP_FUNC;
        st = parse_expr(p, n, &f->a);
    } else if (is_fid(n)) {
        st = parse_fids(p, NULL, n, f);
    } else if (is(n, "BBOX")) {
        st = parse_bbox(p, n, f);
    } else if (is(n, "And") || is(n, "Or") || is(n, "Not")) {
        f->op = is(n, "And") ? OP_AND : is(n, "Or") ? OP_OR : OP_NOT;
        if (f->op == OP_NOT ? nk != 1 : nk < 1)
            st = bad(p, n, f->op == OP_NOT ? "Not needs one operand"
                                           : "And/Or need operands", lname(n));
        else if (!(f->kids = calloc(nk, sizeof *f->kids)))
            st = no_memory(p);
        for (const xmlNode *c = n->children; c && !st; c = c->next) {
            if (c->type != XML_ELEMENT_NODE)
                continue;
            st = parse_filter_op(p, c, depth + 1, &f->kids[f->n_kids]);
            if (!st)
                f->n_kids++;
        }
    } else {
        char q[128];
        qname(n, q, sizeof q);
        /* An operator we cannot evaluate would change which features the
         * rule draws: refuse rather than guess. */
        st = sinspace__error(p->ctx, SINSPACE_INVALID_INPUT,
                             "%s:%ld: filter operator <%s> not supported",
                             p->name, line_of(n), q);
    }
    if (st) {
        filter_free(f);
        return st;
    }
    *out = f;
    return SINSPACE_OK;
}

/* --- rules ------------------------------------------------------------- */

static sinspace_status
parse_description(parser *p, const xmlNode *d, const char **title)
{
    for (const xmlNode *c = d->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (is(c, "Title")) {
            char *t = text_of(c);
            if (!t)
                return no_memory(p);
            *title = keep(p->style, t);
            free(t);
            if (!*title)
                return no_memory(p);
        } else if (!is(c, "Abstract")) {
            warn_unknown(p, c, "Description");
        }
    }
    return SINSPACE_OK;
}

static sinspace_status
keep_text(parser *p, const xmlNode *n, const char **out)
{
    char *t = text_of(n);
    if (!t)
        return no_memory(p);
    *out = keep(p->style, t);
    free(t);
    return *out ? SINSPACE_OK : no_memory(p);
}

static sinspace_status
parse_rule(parser *p, const xmlNode *r)
{
    sinspace_style *style = p->style;
    sinspace_style_rule rule;
    memset(&rule, 0, sizeof rule);
    rule.min_scale = 0;
    rule.max_scale = INFINITY;
    filter *flt = NULL;
    sinspace_symbolizer *syms = NULL;
    size_t n_syms = 0, cap = 0;
    sinspace_status st = SINSPACE_OK;
    for (const xmlNode *c = r->children; c && !st; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (is(c, "Name")) {
            st = keep_text(p, c, &rule.name);
        } else if (is(c, "Title")) {
            st = keep_text(p, c, &rule.title);
        } else if (is(c, "Description")) {
            st = parse_description(p, c, &rule.title);
        } else if (is(c, "Abstract") || is(c, "LegendGraphic")) {
            /* legend graphics: the renderer draws its own */
        } else if (is(c, "Filter")) {
            const xmlNode *k[2];
            size_t nk = element_children(c, k, 2);
            if (rule.has_filter || rule.is_else)
                st = bad(p, c, "a rule has one Filter or ElseFilter", lname(c));
            else if (nk > 1 && is_fid(k[0])) {
                if (!(flt = calloc(1, sizeof *flt)))
                    st = no_memory(p);
                else if (!(st = parse_fids(p, c, NULL, flt)))
                    rule.has_filter = 1;
            } else if (nk != 1)
                st = bad(p, c, "ogc:Filter needs exactly one operator", lname(c));
            else if (!(st = parse_filter_op(p, k[0], 0, &flt)))
                rule.has_filter = 1;
        } else if (is(c, "ElseFilter")) {
            if (rule.has_filter)
                st = bad(p, c, "a rule has one Filter or ElseFilter", lname(c));
            rule.is_else = 1;
        } else if (is(c, "MinScaleDenominator")) {
            st = number_of(p, c, "MinScaleDenominator", 0, INFINITY, &rule.min_scale);
        } else if (is(c, "MaxScaleDenominator")) {
            st = number_of(p, c, "MaxScaleDenominator", 0, INFINITY, &rule.max_scale);
        } else if (is_symbolizer(c)) {
            if (n_syms == cap) {
                cap = cap ? cap * 2 : 4;
                sinspace_symbolizer *q = realloc(syms, cap * sizeof *q);
                if (!q) {
                    st = no_memory(p);
                    break;
                }
                syms = q;
            }
            st = parse_symbolizer(p, c, &syms[n_syms]);
            if (!st)
                n_syms++;
        } else if (is(c, "VendorOption")) {
            warn_ignored(p, c, "not supported, ignored");
        } else if (is_other_symbolizer(c)) {
            warn_ignored(p, c, "draws nothing for workplaces (points), ignored");
        } else {
            warn_unknown(p, c, "Rule");
        }
    }
    if (!st && rule.min_scale >= rule.max_scale)
        st = sinspace__error(p->ctx, SINSPACE_INVALID_INPUT,
                             "%s:%ld: rule %s: MinScaleDenominator %g is not "
                             "below MaxScaleDenominator %g", p->name,
                             line_of(r), rule.name ? rule.name : "",
                             rule.min_scale, rule.max_scale);
    if (!st && n_syms == 0)
        sinspace__log(p->ctx, SINSPACE_LOG_WARNING,
                      "%s:%ld: rule %s has no symbolizer: it draws nothing",
                      p->name, line_of(r), rule.name ? rule.name : "(unnamed)");
    if (!st && style->n_rules == style->cap_rules) {
        size_t nc = style->cap_rules ? style->cap_rules * 2 : 16;
        sinspace_style_rule *nr = realloc(style->rules, nc * sizeof *nr);
        if (nr)
            style->rules = nr;
        rule_extra *ne = nr ? realloc(style->extra, nc * sizeof *ne) : NULL;
        if (ne)
            style->extra = ne;
        if (!nr || !ne)
            st = no_memory(p);
        else
            style->cap_rules = nc;
    }
    if (st) {
        filter_free(flt);
        free(syms);
        return st;
    }
    if (!rule.title)
        rule.title = rule.name;
    rule.symbolizers = syms;
    rule.n_symbolizers = n_syms;
    style->rules[style->n_rules] = rule;
    style->extra[style->n_rules].filter = flt;
    style->extra[style->n_rules].fts = p->fts;
    style->n_rules++;
    return SINSPACE_OK;
}

static sinspace_status
parse_fts(parser *p, const xmlNode *fts)
{
    p->fts++;
    sinspace_status st = SINSPACE_OK;
    for (const xmlNode *c = fts->children; c && !st; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (is(c, "Rule"))
            st = parse_rule(p, c);
        else if (is(c, "VendorOption") || is(c, "Transformation"))
            warn_ignored(p, c, "not supported, ignored");
        else if (!is(c, "Name") && !is(c, "Title") && !is(c, "Abstract") &&
                 !is(c, "Description") && !is(c, "FeatureTypeName") &&
                 !is(c, "SemanticTypeIdentifier"))
            warn_unknown(p, c, "FeatureTypeStyle");
    }
    return st;
}

static sinspace_status
parse_user_style(parser *p, const xmlNode *us)
{
    sinspace_style *style = p->style;
    sinspace_status st = SINSPACE_OK;
    for (const xmlNode *c = us->children; c && !st; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (is(c, "FeatureTypeStyle")) {
            st = parse_fts(p, c);
        } else if (is(c, "Name")) {
            if (!style->name) {
                char *t = text_of(c);
                if (!t || !(style->name = t))
                    st = no_memory(p);
            }
        } else if (is(c, "Title") || is(c, "Description")) {
            const char *title = NULL;
            if (is(c, "Title"))
                st = keep_text(p, c, &title);
            else
                st = parse_description(p, c, &title);
            if (!st && title && !style->title &&
                !(style->title = sinspace__strdup(title)))
                st = no_memory(p);
        } else if (!is(c, "Abstract") && !is(c, "IsDefault")) {
            warn_unknown(p, c, "UserStyle");
        }
    }
    return st;
}

static sinspace_status
parse_layer(parser *p, const xmlNode *layer)
{
    sinspace_style *style = p->style;
    sinspace_status st = SINSPACE_OK;
    for (const xmlNode *c = layer->children; c && !st; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (is(c, "Name")) {
            /* The layer's name names the style (QGIS: the layer). */
            char *t = text_of(c);
            if (!t)
                st = no_memory(p);
            else if (!style->name)
                style->name = t;
            else
                free(t);
        } else if (is(c, "UserStyle")) {
            st = parse_user_style(p, c);
        } else if (is(c, "NamedStyle")) {
            warn_ignored(p, c, "refers to a style on a server, ignored");
        } else if (!is(c, "Description") && !is(c, "LayerFeatureConstraints") &&
                   !is(c, "Title") && !is(c, "Abstract")) {
            warn_unknown(p, c, lname(layer));
        }
    }
    return st;
}

/* Refuses a DOCTYPE that declares entities or names an external DTD:
 * nothing was loaded (no NOENT, no DTDLOAD), but such a document is an
 * attack or a mistake, never a style. */
static sinspace_status
check_doctype(parser *p, xmlDocPtr doc)
{
    xmlDtdPtr dtd = doc->intSubset;
    if (doc->extSubset || (dtd && (dtd->entities || dtd->pentities ||
                                   dtd->ExternalID || dtd->SystemID)))
        return sinspace__error(p->ctx, SINSPACE_INVALID_INPUT,
                               "%s: a DOCTYPE declaring entities or an external "
                               "DTD is refused (SLD needs neither)", p->name);
    return SINSPACE_OK;
}

/* ---------------------------------------------------------------------
 * The rule index: many rules of one FeatureTypeStyle that each test
 * "property = literal" on the same property (a category per rule, as QGIS
 * writes a categorised style) are found by a hash of the feature's value
 * instead of testing every one, so a map costs what the rules that can
 * apply cost, not all of them.
 * --------------------------------------------------------------------- */

#define INDEX_MIN_RULES 16

typedef struct idx_entry {
    char *key;
    size_t *rules; /* ascending */
    size_t n, cap;
} idx_entry;

struct fts_group {
    size_t start, end;  /* rules [start, end) */
    const char *prop;   /* indexed property; NULL: none */
    idx_entry *table;   /* open addressing, n_slots a power of two */
    size_t n_slots;
    size_t *others;     /* the rules not in the index, ascending */
    size_t n_others;
};

static void
groups_free(sinspace_style *style)
{
    for (size_t g = 0; g < style->n_groups; g++) {
        struct fts_group *gr = &style->groups[g];
        for (size_t i = 0; i < gr->n_slots; i++) {
            free(gr->table[i].key);
            free(gr->table[i].rules);
        }
        free(gr->table);
        free(gr->others);
    }
    free(style->groups);
}

/* The key two equal values share: a canonical number when the value is
 * one (as the comparison would see it), else the text. */
static const char *
value_key(const char *v, char buf[40])
{
    double d;
    sx_value x = {SXV_STR, 0, v};
    if (sinspace__sx_number(x, &d) == 0) {
        snprintf(buf, 40, "\x01%.17g", d == 0 ? 0.0 : d);
        return buf;
    }
    return v;
}

/* The property and literal of a "property = literal" (case-sensitive)
 * filter, or 0. */
static int
eq_parts(const filter *f, const char **prop, const char **lit)
{
    const char *nm;
    if (!f || f->op != OP_EQ || !f->match_case || !f->b ||
        !sinspace__sx_is_property(f->a, &nm) || !sinspace__sx_is_const(f->b))
        return 0;
    sx_env env;
    memset(&env, 0, sizeof env);
    env.scale = NAN;
    sx_value v = sinspace__sx_eval(f->b, &env);
    if (v.kind != SXV_STR && v.kind != SXV_NUM)
        return 0;
    /* The literal as text; a number literal keeps its own text. */
    *lit = v.kind == SXV_STR ? v.str : NULL;
    *prop = nm;
    return 1;
}

static idx_entry *
idx_find(struct fts_group *gr, const char *key, int insert)
{
    size_t h = hash_text(key) & (gr->n_slots - 1);
    while (gr->table[h].key) {
        if (!strcmp(gr->table[h].key, key))
            return &gr->table[h];
        h = (h + 1) & (gr->n_slots - 1);
    }
    if (!insert)
        return NULL;
    if (!(gr->table[h].key = sinspace__strdup(key)))
        return NULL;
    return &gr->table[h];
}

static sinspace_status
build_group(parser *p, struct fts_group *gr)
{
    sinspace_style *style = p->style;
    /* The property most equality rules test. */
    const char *best = NULL;
    size_t best_n = 0;
    for (size_t i = gr->start; i < gr->end && best_n < INDEX_MIN_RULES; i++) {
        const char *prop, *lit;
        if (!eq_parts(style->extra[i].filter, &prop, &lit))
            continue;
        size_t n = 0;
        for (size_t j = gr->start; j < gr->end; j++) {
            const char *q, *l;
            n += eq_parts(style->extra[j].filter, &q, &l) && !strcmp(q, prop);
        }
        if (n > best_n) {
            best = prop;
            best_n = n;
        }
    }
    size_t n = gr->end - gr->start;
    if (!(gr->others = malloc((n ? n : 1) * sizeof *gr->others)))
        return no_memory(p);
    if (best_n < INDEX_MIN_RULES) {
        for (size_t i = gr->start; i < gr->end; i++)
            gr->others[gr->n_others++] = i;
        return SINSPACE_OK;
    }
    gr->prop = best;
    gr->n_slots = 16;
    while (gr->n_slots < 2 * best_n)
        gr->n_slots *= 2;
    if (!(gr->table = calloc(gr->n_slots, sizeof *gr->table)))
        return no_memory(p);
    for (size_t i = gr->start; i < gr->end; i++) {
        const char *prop, *lit;
        char buf[40];
        if (!eq_parts(style->extra[i].filter, &prop, &lit) || strcmp(prop, best)) {
            gr->others[gr->n_others++] = i;
            continue;
        }
        sx_env env;
        memset(&env, 0, sizeof env);
        env.scale = NAN;
        const char *text = sinspace__sx_text(sinspace__sx_eval(style->extra[i].filter->b, &env), &env);
        const char *key = value_key(lit ? lit : text, buf);
        idx_entry *e = idx_find(gr, key, 1);
        if (!e)
            return no_memory(p);
        if (e->n == e->cap) {
            size_t cap = e->cap ? 2 * e->cap : 2;
            size_t *r = realloc(e->rules, cap * sizeof *r);
            if (!r)
                return no_memory(p);
            e->rules = r;
            e->cap = cap;
        }
        e->rules[e->n++] = i;
    }
    return SINSPACE_OK;
}

static sinspace_status
build_groups(parser *p)
{
    sinspace_style *style = p->style;
    size_t n = 0;
    for (size_t i = 0; i < style->n_rules; i++)
        n += i == 0 || style->extra[i].fts != style->extra[i - 1].fts;
    if (!n)
        return SINSPACE_OK;
    if (!(style->groups = calloc(n, sizeof *style->groups)))
        return no_memory(p);
    for (size_t i = 0; i < style->n_rules; i++) {
        if (i == 0 || style->extra[i].fts != style->extra[i - 1].fts) {
            style->groups[style->n_groups].start = i;
            style->n_groups++;
        }
        style->groups[style->n_groups - 1].end = i + 1;
    }
    for (size_t g = 0; g < style->n_groups; g++) {
        sinspace_status st = build_group(p, &style->groups[g]);
        if (st)
            return st;
    }
    return SINSPACE_OK;
}

static void
xml_quiet(void *user, xmlErrorPtr error)
{
    (void)user;
    (void)error;
}

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;
static volatile int allow_outside_graphics;

void
sinspace_style_allow_outside_graphics(int allow)
{
    allow_outside_graphics = allow != 0;
}

static void
xml_init_once(void)
{
    xmlInitParser();
}

static sinspace_status
load(sinspace_context *ctx, const char *xml, size_t size, const char *name,
     const char *base_dir, sinspace_style **out)
{
    if (size > INT_MAX || size > MAX_SLD_BYTES)
        return sinspace__error(ctx, SINSPACE_INVALID_INPUT,
                               "%s: too big for a style (%zu bytes)", name, size);
    pthread_once(&xml_once, xml_init_once);
    parser p = {ctx, NULL, name, NULL, 0, allow_outside_graphics};
    if (base_dir && !(p.base_dir = realpath(base_dir, NULL)))
        return sinspace__error(ctx, SINSPACE_IO, "%s: %s", base_dir, strerror(errno));
    sinspace_status st = SINSPACE_OK;
    xmlParserCtxtPtr pctx = xmlNewParserCtxt();
    if (!pctx || !(p.style = calloc(1, sizeof *p.style))) {
        free(p.base_dir);
        xmlFreeParserCtxt(pctx);
        return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
    }
    /* Errors go to a handler of this parser context only (never to
     * stderr); the context still records the last one.  No network, no
     * entity substitution, no DTD loading or validation. */
    pctx->sax->serror = xml_quiet;
    pctx->vctxt.error = NULL;
    pctx->vctxt.warning = NULL;
    xmlDocPtr doc = xmlCtxtReadMemory(pctx, xml, (int)size, NULL, NULL,
                                      XML_PARSE_NONET | XML_PARSE_NOERROR |
                                      XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
    if (!doc || !pctx->wellFormed) {
        const xmlError *e = xmlCtxtGetLastError(pctx);
        char msg[256] = "not well-formed XML";
        long line = 0;
        if (e && e->message) {
            snprintf(msg, sizeof msg, "%s", e->message);
            size_t n = strlen(msg);
            while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
                msg[--n] = '\0';
            line = e->line;
        }
        st = sinspace__error(ctx, SINSPACE_INVALID_INPUT, "%s:%ld: malformed XML: %s",
                             name, line, msg);
    }
    if (!st)
        st = check_doctype(&p, doc);
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
    if (!st && !is(root, "StyledLayerDescriptor"))
        st = sinspace__error(ctx, SINSPACE_INVALID_INPUT,
                             "%s:%ld: not an SLD document (root element <%s>, "
                             "expected StyledLayerDescriptor)", name,
                             root ? line_of(root) : 0L,
                             root ? lname(root) : "none");
    if (!st) {
        xmlChar *version = xmlGetProp(root, (const xmlChar *)"version");
        if (version && strcmp((const char *)version, "1.0.0") &&
            strcmp((const char *)version, "1.1.0"))
            sinspace__log(ctx, SINSPACE_LOG_WARNING,
                          "%s:%ld: SLD version %s: read as 1.0/1.1", name,
                          line_of(root), (const char *)version);
        xmlFree(version);
        for (const xmlNode *c = root->children; c && !st; c = c->next) {
            if (c->type != XML_ELEMENT_NODE)
                continue;
            if (is(c, "NamedLayer") || is(c, "UserLayer"))
                st = parse_layer(&p, c);
            else if (!is(c, "Name") && !is(c, "Title") && !is(c, "Abstract") &&
                     !is(c, "Description"))
                warn_unknown(&p, c, "StyledLayerDescriptor");
        }
    }
    if (!st)
        st = build_groups(&p);
    if (!st && p.style->n_rules == 0)
        sinspace__log(ctx, SINSPACE_LOG_WARNING, "%s: the style has no rules", name);
    xmlFreeDoc(doc);
    xmlFreeParserCtxt(pctx);
    free(p.base_dir);
    if (st) {
        sinspace_style_destroy(p.style);
        return st;
    }
    *out = p.style;
    return SINSPACE_OK;
}

sinspace_status
sinspace_style_load_memory(sinspace_context *ctx, const char *xml, size_t size,
                           const char *name, const char *allowed_dir,
                           sinspace_style **out)
{
    if (!ctx || !xml || !out)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "style_load_memory: xml and out are required");
    return load(ctx, xml, size, name ? name : "(style)", allowed_dir, out);
}

sinspace_status
sinspace_style_load(sinspace_context *ctx, const char *path,
                    const char *allowed_dir, sinspace_style **out)
{
    if (!ctx || !path || !out)
        return sinspace__error(ctx, SINSPACE_INVALID_ARGUMENT,
                               "style_load: path and out are required");
    FILE *f = fopen(path, "rb");
    if (!f)
        return sinspace__error(ctx, errno == ENOENT ? SINSPACE_NOT_FOUND : SINSPACE_IO,
                               "%s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fclose(f);
        return sinspace__error(ctx, SINSPACE_IO, "%s: not a regular file", path);
    }
    if ((unsigned long long)sb.st_size > MAX_SLD_BYTES) {
        fclose(f);
        return sinspace__error(ctx, SINSPACE_INVALID_INPUT,
                               "%s: too big for a style (%lld bytes)", path,
                               (long long)sb.st_size);
    }
    size_t size = (size_t)sb.st_size;
    char *buf = malloc(size + 1);
    if (!buf) {
        fclose(f);
        return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
    }
    size_t got = fread(buf, 1, size, f);
    int err = ferror(f);
    fclose(f);
    if (err || got != size) {
        free(buf);
        return sinspace__error(ctx, SINSPACE_IO, "%s: read error", path);
    }
    /* Graphics resolve against the SLD's own folder unless told. */
    char *dir = NULL;
    if (!allowed_dir) {
        char *real = realpath(path, NULL);
        if (real) {
            char *slash = strrchr(real, '/');
            if (slash == real)
                slash[1] = '\0';
            else if (slash)
                *slash = '\0';
            dir = real;
        }
    }
    sinspace_status st = load(ctx, buf, size, path, allowed_dir ? allowed_dir : dir, out);
    free(dir);
    free(buf);
    return st;
}

const char *
sinspace_style_name(const sinspace_style *style)
{
    return style ? style->name : NULL;
}

const char *
sinspace_style_title(const sinspace_style *style)
{
    return style ? style->title : NULL;
}

size_t
sinspace_style_rule_count(const sinspace_style *style)
{
    return style ? style->n_rules : 0;
}

const sinspace_style_rule *
sinspace_style_rule_at(const sinspace_style *style, size_t index)
{
    if (!style || index >= style->n_rules)
        return NULL;
    return &style->rules[index];
}

/* ---------------------------------------------------------------------
 * Evaluation
 * --------------------------------------------------------------------- */

static const char *
attr_value(const sinspace_style_attr *attrs, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (attrs[i].name && !strcmp(attrs[i].name, name))
            return attrs[i].value;
    return NULL;
}

static size_t
utf8_len(const unsigned char *s)
{
    if (*s < 0x80)
        return 1;
    size_t n = (*s >= 0xf0) ? 4 : (*s >= 0xe0) ? 3 : (*s >= 0xc0) ? 2 : 1;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 1;
    return n;
}

static int
char_eq(unsigned char a, unsigned char b, int match_case)
{
    return match_case ? a == b : tolower(a) == tolower(b);
}

/* PropertyIsLike: wild matches any run, single one character (UTF-8),
 * escape makes the next pattern character literal.  Iterative with one
 * backtrack point, so no pattern can make it recurse or go exponential. */
static int
like_match(const char *pattern, const char *text, const filter *f)
{
    const unsigned char *p = (const unsigned char *)pattern;
    const unsigned char *t = (const unsigned char *)text;
    const unsigned char *star_p = NULL, *star_t = NULL;
    while (*t) {
        if (*p == (unsigned char)f->wild) {
            star_p = ++p;
            star_t = t;
            continue;
        }
        if (*p == (unsigned char)f->single) {
            p++;
            t += utf8_len(t);
            continue;
        }
        const unsigned char *lit = p;
        if (*p == (unsigned char)f->escape && p[1])
            lit = p + 1;
        if (*lit && char_eq(*lit, *t, f->match_case)) {
            p = lit + 1;
            t++;
            continue;
        }
        if (!star_p)
            return 0;
        p = star_p;
        star_t += utf8_len(star_t);
        t = star_t;
    }
    while (*p == (unsigned char)f->wild)
        p++;
    return *p == '\0';
}

/* A fid matches the workplace's id or ext_id, alone or after a layer
 * prefix ("workplaces.12"). */
static int
fid_matches(const char *fid, const sinspace_style_attr *attrs, size_t n)
{
    const char *keys[] = {"id", "ext_id"};
    const char *dot = strrchr(fid, '.');
    for (size_t k = 0; k < 2; k++) {
        const char *v = attr_value(attrs, n, keys[k]);
        if (v && (!strcmp(v, fid) || (dot && !strcmp(v, dot + 1))))
            return 1;
    }
    return 0;
}

static int
filter_eval(const filter *f, sx_env *env)
{
    const sinspace_style_attr *attrs = env->attrs;
    size_t n = env->n_attrs;
    size_t mark = env->used;
    int r = 0;
    switch (f->op) {
    case OP_AND:
        for (size_t i = 0; i < f->n_kids; i++)
            if (!filter_eval(f->kids[i], env))
                return 0;
        return 1;
    case OP_OR:
        for (size_t i = 0; i < f->n_kids; i++)
            if (filter_eval(f->kids[i], env))
                return 1;
        return 0;
    case OP_NOT:
        return !filter_eval(f->kids[0], env);
    case OP_FID:
        for (size_t i = 0; i < f->n_fids; i++)
            if (fid_matches(f->fids[i], attrs, n))
                return 1;
        return 0;
    case OP_BBOX: {
        double lon, lat;
        const char *x = attr_value(attrs, n, "lon"), *y = attr_value(attrs, n, "lat");
        return x && y && sinspace__sx_parse_number(x, &lon) == 0 &&
               sinspace__sx_parse_number(y, &lat) == 0 && lon >= f->box[0] &&
               lon <= f->box[2] && lat >= f->box[1] && lat <= f->box[3];
    }
    case OP_FUNC:
        r = sinspace__sx_truth(sinspace__sx_eval(f->a, env));
        env->used = mark;
        return r;
    case OP_NULL:
        r = sinspace__sx_eval(f->a, env).kind == SXV_NULL;
        env->used = mark;
        return r;
    case OP_LIKE: {
        const char *a = sinspace__sx_text(sinspace__sx_eval(f->a, env), env);
        const char *pat = sinspace__sx_text(sinspace__sx_eval(f->b, env), env);
        r = a && pat && like_match(pat, a, f);
        env->used = mark;
        return r;
    }
    case OP_BETWEEN: {
        sx_value a = sinspace__sx_eval(f->a, env);
        int lo = sinspace__sx_compare(a, sinspace__sx_eval(f->b, env), f->match_case, env);
        int hi = sinspace__sx_compare(a, sinspace__sx_eval(f->c, env), f->match_case, env);
        env->used = mark;
        return lo != 2 && hi != 2 && lo >= 0 && hi <= 0;
    }
    default:
        break;
    }
    /* A comparison with a null value is false, both ways. */
    int c = sinspace__sx_compare(sinspace__sx_eval(f->a, env),
                                 sinspace__sx_eval(f->b, env), f->match_case, env);
    env->used = mark;
    if (c == 2)
        return 0;
    switch (f->op) {
    case OP_EQ: return c == 0;
    case OP_NE: return c != 0;
    case OP_LT: return c < 0;
    case OP_LE: return c <= 0;
    case OP_GT: return c > 0;
    case OP_GE: return c >= 0;
    default: return 0;
    }
}

static int
rule_index(const sinspace_style *style, const sinspace_style_rule *rule,
           size_t *out)
{
    if (!style || !rule || style->n_rules == 0 || rule < style->rules ||
        rule >= style->rules + style->n_rules)
        return -1;
    *out = (size_t)(rule - style->rules);
    return 0;
}

static int
in_scale(const sinspace_style_rule *r, double scale)
{
    /* SLD: min inclusive, max exclusive. */
    return scale >= r->min_scale && scale < r->max_scale;
}

int
sinspace_style_rule_matches(const sinspace_style *style,
                            const sinspace_style_rule *rule,
                            const sinspace_style_attr *attrs, size_t n_attrs,
                            double scale_denominator)
{
    size_t i;
    if (rule_index(style, rule, &i) < 0 || !in_scale(rule, scale_denominator))
        return 0;
    const filter *f = style->extra[i].filter;
    if (!f)
        return 1;
    sx_env env;
    env.attrs = attrs;
    env.n_attrs = n_attrs;
    env.scale = scale_denominator;
    env.used = 0;
    return filter_eval(f, &env);
}

/* The candidates of a group for a feature, ascending: the rules outside
 * the index, merged with those the feature's value selects. */
typedef struct cand_iter {
    const size_t *a, *b;
    size_t na, nb, ia, ib;
} cand_iter;

static int
cand_next(cand_iter *it, size_t *out)
{
    if (it->ia < it->na && (it->ib >= it->nb || it->a[it->ia] < it->b[it->ib])) {
        *out = it->a[it->ia++];
        return 1;
    }
    if (it->ib < it->nb) {
        *out = it->b[it->ib++];
        return 1;
    }
    return 0;
}

static void
cand_start(const sinspace_style *style, struct fts_group *gr,
           const sinspace_style_attr *attrs, size_t n_attrs, cand_iter *it)
{
    memset(it, 0, sizeof *it);
    it->a = gr->others;
    it->na = gr->n_others;
    if (!gr->prop)
        return;
    const char *v = attr_value(attrs, n_attrs, gr->prop);
    if (!v)
        return; /* null equals nothing */
    char buf[40];
    idx_entry *e = idx_find(gr, value_key(v, buf), 0);
    (void)style;
    if (e) {
        it->b = e->rules;
        it->nb = e->n;
    }
}

size_t
sinspace_style_match(const sinspace_style *style,
                     const sinspace_style_attr *attrs, size_t n_attrs,
                     double scale_denominator,
                     void (*fn)(void *, const sinspace_style_rule *),
                     void *user_data)
{
    if (!style)
        return 0;
    size_t applied = 0;
    for (size_t g = 0; g < style->n_groups; g++) {
        struct fts_group *gr = &style->groups[g];
        cand_iter it;
        size_t i;
        /* Does any ordinary rule of this FeatureTypeStyle apply? */
        int any = 0;
        cand_start(style, gr, attrs, n_attrs, &it);
        while (!any && cand_next(&it, &i))
            any = !style->rules[i].is_else &&
                  sinspace_style_rule_matches(style, &style->rules[i], attrs,
                                              n_attrs, scale_denominator);
        cand_start(style, gr, attrs, n_attrs, &it);
        while (cand_next(&it, &i)) {
            const sinspace_style_rule *r = &style->rules[i];
            int ok = r->is_else
                         ? !any && in_scale(r, scale_denominator)
                         : sinspace_style_rule_matches(style, r, attrs, n_attrs,
                                                       scale_denominator);
            if (ok) {
                applied++;
                if (fn)
                    fn(user_data, r);
            }
        }
    }
    return applied;
}

/* ---------------------------------------------------------------------
 * Describing filters (style check, legends)
 * --------------------------------------------------------------------- */

typedef struct sbuf {
    char *s;
    size_t len, cap;
    int failed;
} sbuf;

static void
sb_add(sbuf *b, const char *s)
{
    size_t n = strlen(s);
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *p = realloc(b->s, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n + 1);
    b->len += n;
}

static void
sb_expr(sbuf *b, const sinspace_style_expr *e)
{
    char *t = sinspace_style_expr_describe(e);
    if (!t) {
        b->failed = 1;
        return;
    }
    sb_add(b, t);
    free(t);
}

static void
describe(sbuf *b, const filter *f)
{
    static const char *const ops[] = {"=", "!=", "<", "<=", ">", ">="};
    switch (f->op) {
    case OP_AND:
    case OP_OR:
        sb_add(b, "(");
        for (size_t i = 0; i < f->n_kids; i++) {
            if (i)
                sb_add(b, f->op == OP_AND ? " AND " : " OR ");
            describe(b, f->kids[i]);
        }
        sb_add(b, ")");
        return;
    case OP_NOT:
        sb_add(b, "NOT ");
        describe(b, f->kids[0]);
        return;
    case OP_NULL:
        sb_expr(b, f->a);
        sb_add(b, " IS NULL");
        return;
    case OP_LIKE:
        sb_expr(b, f->a);
        sb_add(b, f->match_case ? " LIKE " : " ILIKE ");
        sb_expr(b, f->b);
        return;
    case OP_BETWEEN:
        sb_expr(b, f->a);
        sb_add(b, " BETWEEN ");
        sb_expr(b, f->b);
        sb_add(b, " AND ");
        sb_expr(b, f->c);
        return;
    case OP_FUNC:
        sb_expr(b, f->a);
        return;
    case OP_FID:
        sb_add(b, "FID IN (");
        for (size_t i = 0; i < f->n_fids; i++) {
            if (i)
                sb_add(b, ", ");
            sb_add(b, "'");
            sb_add(b, f->fids[i]);
            sb_add(b, "'");
        }
        sb_add(b, ")");
        return;
    case OP_BBOX: {
        char t[160];
        snprintf(t, sizeof t, "BBOX(%.9g, %.9g, %.9g, %.9g)", f->box[0],
                 f->box[1], f->box[2], f->box[3]);
        sb_add(b, t);
        return;
    }
    default:
        sb_expr(b, f->a);
        sb_add(b, " ");
        sb_add(b, ops[f->op]);
        sb_add(b, " ");
        sb_expr(b, f->b);
    }
}

char *
sinspace_style_rule_describe_filter(const sinspace_style *style,
                                    const sinspace_style_rule *rule)
{
    size_t i;
    if (rule_index(style, rule, &i) < 0)
        return NULL;
    sbuf b = {0};
    if (rule->is_else)
        sb_add(&b, "ELSE");
    else if (!style->extra[i].filter)
        sb_add(&b, "(all)");
    else
        describe(&b, style->extra[i].filter);
    if (b.failed) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

const char *
sinspace_mark_name(sinspace_mark mark)
{
    for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++)
        if (marks[i].mark == mark)
            return marks[i].name;
    return mark == SINSPACE_MARK_GRAPHIC ? "graphic" : NULL;
}

/* ---------------------------------------------------------------------
 * Resolving symbolizers for features (the renderer's hooks)
 * --------------------------------------------------------------------- */

const char *const sinspace__workplace_properties[] = {
    "id", "ext_id", "name", "name_local", "sector", "status", "risk",
    "risk_class", "lon", "lat", NULL};

enum { RESOLVED_MAX = 4096, RESOLVED_SLOTS = 8192, RESOLVED_RING = 16 };

struct resolved {
    sinspace_symbolizer *table[RESOLVED_SLOTS]; /* open addressing */
    size_t n;
    sinspace_symbolizer ring[RESOLVED_RING];   /* beyond RESOLVED_MAX */
    size_t ring_at;
};

static void
resolved_free(struct resolved *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < RESOLVED_SLOTS; i++)
        free(r->table[i]);
    free(r);
}

static size_t
hash_bytes(const void *p, size_t n)
{
    const unsigned char *b = p;
    size_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

static double
clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* The number an expression slot gives for the feature, or 0 (keep the
 * symbolizer's own value) when it has none or it is null. */
static int
slot_number(const sinspace_symbolizer *s, int slot, sx_env *env, double *out)
{
    if (!s->expr[slot])
        return 0;
    env->used = 0;
    double d;
    if (sinspace__sx_number(sinspace__sx_eval(s->expr[slot], env), &d) < 0 ||
        !isfinite(d))
        return 0;
    *out = d;
    return 1;
}

static int
slot_color(const sinspace_symbolizer *s, int slot, sx_env *env, sinspace_rgba *c)
{
    if (!s->expr[slot])
        return 0;
    env->used = 0;
    const char *t = sinspace__sx_text(sinspace__sx_eval(s->expr[slot], env), env);
    sinspace_rgba v = *c;
    if (!t || sinspace__sx_parse_color(t, &v) < 0)
        return 0;
    *c = v;
    return 1;
}

const sinspace_symbolizer *
sinspace__style_resolve(sinspace_style *style, const sinspace_symbolizer *s,
                        const sinspace_style_attr *attrs, size_t n_attrs,
                        double scale)
{
    int any = s->uom_metres > 0;
    for (int i = 0; i < SINSPACE_SLOT_COUNT && !any; i++)
        any = s->expr[i] && i != SINSPACE_SLOT_LABEL;
    if (!any || !style)
        return s;
    sinspace_symbolizer r = *s;
    r.dynamic = 0;
    sx_env env;
    env.attrs = attrs;
    env.n_attrs = n_attrs;
    env.scale = scale;
    env.used = 0;
    double d;
    if (slot_number(s, SINSPACE_SLOT_SIZE, &env, &d))
        r.size = clampd(d, 0, MAX_SIZE_PX);
    if (slot_number(s, SINSPACE_SLOT_ROTATION, &env, &d))
        r.rotation = fmod(d, 360.0);
    if (slot_number(s, SINSPACE_SLOT_LABEL_ROTATION, &env, &d))
        r.label_rotation = fmod(d, 360.0);
    if (slot_number(s, SINSPACE_SLOT_FONT_SIZE, &env, &d))
        r.font_size = clampd(d, 0, 1000);
    slot_color(s, SINSPACE_SLOT_FILL, &env, &r.fill);
    if (slot_number(s, SINSPACE_SLOT_FILL_OPACITY, &env, &d))
        r.fill.a = clampd(d, 0, 1);
    slot_color(s, SINSPACE_SLOT_STROKE, &env, &r.stroke.color);
    if (slot_number(s, SINSPACE_SLOT_STROKE_WIDTH, &env, &d))
        r.stroke.width = clampd(d, 0, MAX_SIZE_PX);
    if (slot_number(s, SINSPACE_SLOT_STROKE_OPACITY, &env, &d))
        r.stroke.color.a = clampd(d, 0, 1);
    if (slot_number(s, SINSPACE_SLOT_OPACITY, &env, &d)) {
        d = clampd(d, 0, 1);
        r.graphic_opacity = d;
        r.fill.a *= d;
        r.stroke.color.a *= d;
    }
    if (s->uom_metres > 0 && isfinite(scale) && scale > 0) {
        /* A ground metre is 1/scale metres of paper: SLD pixels of 0.28 mm. */
        double k = s->uom_metres / (scale * 0.00028);
        r.size = clampd(r.size * k, 0, MAX_SIZE_PX);
        r.stroke.width = clampd(r.stroke.width * k, 0, MAX_SIZE_PX);
        for (int i = 0; i < r.stroke.n_dash; i++)
            r.stroke.dash[i] = clampd(r.stroke.dash[i] * k, 0, MAX_SIZE_PX);
        r.font_size = clampd(r.font_size * k, 0, 1000);
        r.halo_radius = clampd(r.halo_radius * k, 0, 1000);
        r.displacement_x = clampd(r.displacement_x * k, -MAX_OFFSET_PX, MAX_OFFSET_PX);
        r.displacement_y = clampd(r.displacement_y * k, -MAX_OFFSET_PX, MAX_OFFSET_PX);
        r.perpendicular_offset =
            clampd(r.perpendicular_offset * k, -MAX_OFFSET_PX, MAX_OFFSET_PX);
        r.uom_metres = 0;
    }
    if (!style->resolved && !(style->resolved = calloc(1, sizeof *style->resolved)))
        goto ring;
    struct resolved *rs = style->resolved;
    size_t h = hash_bytes(&r, sizeof r) & (RESOLVED_SLOTS - 1);
    while (rs->table[h]) {
        if (!memcmp(rs->table[h], &r, sizeof r))
            return rs->table[h];
        h = (h + 1) & (RESOLVED_SLOTS - 1);
    }
    if (rs->n < RESOLVED_MAX) {
        sinspace_symbolizer *k = malloc(sizeof *k);
        if (k) {
            *k = r;
            rs->table[h] = k;
            rs->n++;
            return k;
        }
    }
ring:
    /* Too many distinct values to keep: a copy the caller uses at once. */
    if (!style->resolved)
        return s;
    r.dynamic = 1;
    sinspace_symbolizer *slot = &style->resolved->ring[style->resolved->ring_at];
    style->resolved->ring_at = (style->resolved->ring_at + 1) % RESOLVED_RING;
    *slot = r;
    return slot;
}

const char *
sinspace__style_label(const sinspace_symbolizer *s,
                      const sinspace_style_attr *attrs, size_t n_attrs,
                      char *buf, size_t size)
{
    if (!s || !s->expr[SINSPACE_SLOT_LABEL] || !buf || size == 0)
        return NULL;
    sx_env env;
    env.attrs = attrs;
    env.n_attrs = n_attrs;
    env.scale = NAN;
    env.used = 0;
    const char *t =
        sinspace__sx_text(sinspace__sx_eval(s->expr[SINSPACE_SLOT_LABEL], &env), &env);
    if (!t || !*t)
        return NULL;
    snprintf(buf, size, "%s", t);
    return buf;
}

size_t
sinspace__style_rule_index(const sinspace_style *style,
                           const sinspace_style_rule *rule)
{
    size_t i;
    return rule_index(style, rule, &i) < 0 ? (size_t)-1 : i;
}

/* --- what a rule reads ------------------------------------------------- */

typedef struct prop_list {
    const char *names[64];
    size_t n;
    int overflow;
} prop_list;

static void
prop_add(void *user, const char *name)
{
    prop_list *l = user;
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->names[i], name))
            return;
    if (l->n < sizeof l->names / sizeof l->names[0])
        l->names[l->n++] = name;
    else
        l->overflow = 1;
}

static void
filter_props(const filter *f, prop_list *l)
{
    if (!f)
        return;
    sinspace__sx_properties(f->a, prop_add, l);
    sinspace__sx_properties(f->b, prop_add, l);
    sinspace__sx_properties(f->c, prop_add, l);
    if (f->op == OP_FID)
        prop_add(l, "id");
    if (f->op == OP_BBOX) {
        prop_add(l, "lon");
        prop_add(l, "lat");
    }
    for (size_t i = 0; i < f->n_kids; i++)
        filter_props(f->kids[i], l);
}

static void
symbolizer_props(const sinspace_symbolizer *s, prop_list *l)
{
    for (int i = 0; i < SINSPACE_SLOT_COUNT; i++)
        sinspace__sx_properties(s->expr[i], prop_add, l);
    if (s->label_property)
        prop_add(l, s->label_property);
}

static int
is_workplace_property(const char *name)
{
    for (size_t i = 0; sinspace__workplace_properties[i]; i++)
        if (!strcmp(sinspace__workplace_properties[i], name))
            return 1;
    return 0;
}

static char *
join_props(const prop_list *l, int only_lacking)
{
    sbuf b = {0};
    sb_add(&b, "");
    int first = 1;
    for (size_t i = 0; i < l->n; i++) {
        if (only_lacking && is_workplace_property(l->names[i]))
            continue;
        if (!first)
            sb_add(&b, ", ");
        sb_add(&b, l->names[i]);
        first = 0;
    }
    if (b.failed) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

char *
sinspace_style_rule_properties(const sinspace_style *style,
                               const sinspace_style_rule *rule)
{
    size_t i;
    if (rule_index(style, rule, &i) < 0)
        return NULL;
    prop_list l = {{0}, 0, 0};
    filter_props(style->extra[i].filter, &l);
    for (size_t k = 0; k < rule->n_symbolizers; k++)
        symbolizer_props(&rule->symbolizers[k], &l);
    return join_props(&l, 0);
}

int
sinspace__style_warn_workplaces(sinspace_context *ctx, const sinspace_style *style,
                                const char *name)
{
    if (!style)
        return 0;
    size_t point_rules = 0, blind_rules = 0;
    prop_list lacking = {{0}, 0, 0}, sym_lacking = {{0}, 0, 0};
    for (size_t i = 0; i < style->n_rules; i++) {
        const sinspace_style_rule *r = &style->rules[i];
        int has_point = 0;
        for (size_t k = 0; k < r->n_symbolizers; k++) {
            const sinspace_symbolizer *s = &r->symbolizers[k];
            if (s->kind == SINSPACE_SYMBOLIZER_POINT)
                has_point = 1;
            if (s->kind == SINSPACE_SYMBOLIZER_POINT || s->kind == SINSPACE_SYMBOLIZER_TEXT) {
                prop_list l = {{0}, 0, 0};
                symbolizer_props(s, &l);
                for (size_t j = 0; j < l.n; j++)
                    if (!is_workplace_property(l.names[j]))
                        prop_add(&sym_lacking, l.names[j]);
            }
        }
        if (!has_point)
            continue;
        point_rules++;
        prop_list l = {{0}, 0, 0};
        filter_props(style->extra[i].filter, &l);
        int blind = 0;
        for (size_t j = 0; j < l.n; j++)
            if (!is_workplace_property(l.names[j])) {
                prop_add(&lacking, l.names[j]);
                blind = 1;
            }
        blind_rules += (size_t)blind;
    }
    static const char have[] =
        "workplaces have id, ext_id, name, name_local, sector, status, risk, risk_class";
    if (sym_lacking.n) {
        char *t = join_props(&sym_lacking, 1);
        sinspace__log(ctx, SINSPACE_LOG_WARNING,
                      "%s: symbolizers read %s, which workplaces lack: the "
                      "style's fixed values are used (%s)",
                      name, t ? t : "?", have);
        free(t);
    }
    if (point_rules == 0) {
        sinspace__log(ctx, SINSPACE_LOG_WARNING,
                      "%s: no rule has a PointSymbolizer: the style draws no "
                      "workplace (workplaces are points; its %zu rule%s draw "
                      "lines, polygons, rasters or text only)",
                      name, style->n_rules, style->n_rules == 1 ? "" : "s");
        return 1;
    }
    if (blind_rules) {
        char *t = join_props(&lacking, 1);
        if (blind_rules == point_rules)
            sinspace__log(ctx, SINSPACE_LOG_WARNING,
                          "%s: the style draws no workplace unless a filter "
                          "matches null: every point rule tests %s, which "
                          "workplaces lack (%s)", name, t ? t : "?", have);
        else
            sinspace__log(ctx, SINSPACE_LOG_WARNING,
                          "%s: %zu of %zu point rules test %s, which workplaces "
                          "lack (%s)", name, blind_rules, point_rules,
                          t ? t : "?", have);
        free(t);
        return blind_rules == point_rules;
    }
    return 0;
}

int
sinspace_style_check_workplaces(sinspace_context *ctx, const sinspace_style *style,
                                const char *name)
{
    return sinspace__style_warn_workplaces(ctx, style, name ? name : "style");
}

const char *const *
sinspace_style_workplace_properties(void)
{
    return sinspace__workplace_properties;
}
