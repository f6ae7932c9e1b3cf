/* rtree_load.c: fills an empty 2-D SQLite R*Tree with points in one go.
 *
 * SQLite's rtree module has no bulk load: each INSERT descends the tree,
 * may split or reinsert, and rewrites a node blob, about 15 us a point (a
 * quarter of a 1,000,000-workplace import).  A tree that is empty when an
 * import starts is instead packed at the end by Sort-Tile-Recursive
 * (Leutenegger, Lopez and Edgington, 1997): points sorted into vertical
 * slices by x, each slice by y, cut into full nodes; the nodes' boxes
 * packed the same way, level by level, up to the root.  The result is
 * written into the table's three shadow tables in the documented format
 * of SQLite's rtree (ext/rtree/rtree.c: node 1 is the root; a node blob is
 * a 2-byte depth (root only), a 2-byte cell count, and cells of a 64-bit
 * rowid and 32-bit float coordinates, all big-endian, padded to the
 * table's node size), so that the virtual table and SpatiaLite read it as
 * their own.  Coordinates are rounded as rtree rounds them (min down, max
 * up).  tests/test_import.c checks the packed tree with SQLite's
 * rtreecheck() and SpatiaLite's CheckSpatialIndex(), and every query
 * against a brute-force scan. */
#include "store/store_int.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* rtree.c's rounding of a double to the float stored as a box's min
 * (down) or max (up), so packed boxes equal inserted ones. */
#define RNDTOWARDS (1.0 - 1.0 / 8388608.0)
#define RNDAWAY (1.0 + 1.0 / 8388608.0)

static float
value_down(double d)
{
    float f = (float)d;
    if (f > d)
        f = (float)(d * (d < 0 ? RNDAWAY : RNDTOWARDS));
    return f;
}

static float
value_up(double d)
{
    float f = (float)d;
    if (f < d)
        f = (float)(d * (d < 0 ? RNDTOWARDS : RNDAWAY));
    return f;
}

/* One cell: a point's or a child node's box, and its rowid or node number. */
typedef struct cell {
    long long id;
    float box[4]; /* xmin, xmax, ymin, ymax */
} cell;

static int
by_x(const void *a, const void *b)
{
    const cell *p = a, *q = b;
    float x = p->box[0] + p->box[1], y = q->box[0] + q->box[1];
    if (x != y)
        return (x > y) - (x < y);
    return (p->id > q->id) - (p->id < q->id);
}

static int
by_y(const void *a, const void *b)
{
    const cell *p = a, *q = b;
    float x = p->box[2] + p->box[3], y = q->box[2] + q->box[3];
    if (x != y)
        return (x > y) - (x < y);
    return (p->id > q->id) - (p->id < q->id);
}

/* Orders cells for packing: slices of slice_len by x, each by y. */
static void
str_sort(cell *v, size_t n, size_t per_node)
{
    qsort(v, n, sizeof *v, by_x);
    size_t nodes = (n + per_node - 1) / per_node;
    size_t slices = (size_t)ceil(sqrt((double)nodes));
    size_t slice_len = slices ? ((nodes + slices - 1) / slices) * per_node : n;
    for (size_t i = 0; i < n; i += slice_len)
        qsort(v + i, n - i < slice_len ? n - i : slice_len, sizeof *v, by_y);
}

static void
put_u16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

static void
put_i64(unsigned char *p, long long v)
{
    uint64_t u = (uint64_t)v;
    for (int i = 7; i >= 0; i--, u >>= 8)
        p[i] = (unsigned char)u;
}

static void
put_f32(unsigned char *p, float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    p[0] = (unsigned char)(u >> 24);
    p[1] = (unsigned char)(u >> 16);
    p[2] = (unsigned char)(u >> 8);
    p[3] = (unsigned char)u;
}

typedef struct writer {
    sinspace_store *store;
    sqlite3_stmt *node, *rowid, *parent;
    unsigned char *blob;
    int node_size;
} writer;

static sinspace_status
step(writer *w, sqlite3_stmt *s, const char *what)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE)
        return sinspace__db_error(w->store, what);
    return SINSPACE_OK;
}

/* Writes node nodeno holding cells v[0..n), with depth in its header (the
 * root's only), and returns its box in *box. */
static sinspace_status
write_node(writer *w, long long nodeno, int depth, const cell *v, size_t n, cell *box)
{
    memset(w->blob, 0, (size_t)w->node_size);
    put_u16(w->blob, (unsigned)depth);
    put_u16(w->blob + 2, (unsigned)n);
    box->id = nodeno;
    box->box[0] = box->box[2] = INFINITY;
    box->box[1] = box->box[3] = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        unsigned char *c = w->blob + 4 + i * 24;
        put_i64(c, v[i].id);
        for (int k = 0; k < 4; k++)
            put_f32(c + 8 + 4 * k, v[i].box[k]);
        box->box[0] = fminf(box->box[0], v[i].box[0]);
        box->box[1] = fmaxf(box->box[1], v[i].box[1]);
        box->box[2] = fminf(box->box[2], v[i].box[2]);
        box->box[3] = fmaxf(box->box[3], v[i].box[3]);
    }
    sqlite3_bind_int64(w->node, 1, nodeno);
    sqlite3_bind_blob(w->node, 2, w->blob, w->node_size, SQLITE_STATIC);
    return step(w, w->node, "writing a spatial index node");
}

sinspace_status
sinspace__rtree_pack(sinspace_store *store, const char *table,
                     const sinspace_rtree_point *pts, size_t n)
{
    sinspace_context *ctx = store->ctx;
    writer w = {store, NULL, NULL, NULL, NULL, 0};
    cell *level = NULL;
    sinspace_status st;
    char *sql = NULL;
    /* The node size is the root blob's length, as rtree itself reads it. */
    long long size = 0, cells = 0;
    if (!(sql = sqlite3_mprintf("SELECT length(data) FROM \"%w_node\" WHERE nodeno = 1",
                                table)))
        return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
    st = sinspace__query_int(store, sql, &size, 0);
    sqlite3_free(sql);
    if (st)
        return st;
    if (!(sql = sqlite3_mprintf("SELECT count(*) FROM \"%w_rowid\"", table)))
        return sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
    st = sinspace__query_int(store, sql, &cells, 0);
    sqlite3_free(sql);
    if (st)
        return st;
    /* rtree caps nodes at 51 cells; a 2-D cell is 24 bytes. */
    int per_node = size > 4 ? (int)((size - 4) / 24) : 0;
    if (per_node > 51)
        per_node = 51;
    if (per_node < 4 || cells != 0)
        return sinspace__error(ctx, SINSPACE_ERROR,
                               "%s: not an empty 2-D R*Tree (node size %lld, %lld "
                               "entries)", table, size, cells);
    w.node_size = (int)size;
    if (!(w.blob = malloc((size_t)size)) ||
        (n && !(level = malloc(n * sizeof *level)))) {
        st = sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
        goto done;
    }
    static const char *const fmt[] = {
        "INSERT OR REPLACE INTO \"%w_node\"(nodeno, data) VALUES (?1, ?2)",
        "INSERT INTO \"%w_rowid\"(rowid, nodeno) VALUES (?1, ?2)",
        "INSERT INTO \"%w_parent\"(nodeno, parentnode) VALUES (?1, ?2)"};
    sqlite3_stmt **stmts[] = {&w.node, &w.rowid, &w.parent};
    for (int i = 0; i < 3; i++) {
        if (!(sql = sqlite3_mprintf(fmt[i], table))) {
            st = sinspace__error(ctx, SINSPACE_NO_MEMORY, "out of memory");
            goto done;
        }
        st = sinspace__prepare(store, sql, stmts[i]);
        sqlite3_free(sql);
        if (st)
            goto done;
    }
    for (size_t i = 0; i < n; i++) {
        level[i].id = pts[i].id;
        level[i].box[0] = value_down(pts[i].x);
        level[i].box[1] = value_up(pts[i].x);
        level[i].box[2] = value_down(pts[i].y);
        level[i].box[3] = value_up(pts[i].y);
    }
    /* Leaves first; every level's nodes are numbered after the last, and
     * the level that fits in one node is the root, node 1. */
    size_t count = n;
    long long next = 2;
    int depth = 0;
    while (count > (size_t)per_node) {
        str_sort(level, count, (size_t)per_node);
        size_t parents = 0;
        for (size_t i = 0; i < count; i += (size_t)per_node) {
            size_t k = count - i < (size_t)per_node ? count - i : (size_t)per_node;
            long long nodeno = next++;
            cell box;
            if ((st = write_node(&w, nodeno, 0, level + i, k, &box)))
                goto done;
            /* Children point at their new parent (for leaves, the rowid
             * table; for nodes, the parent table), in the next pass. */
            for (size_t j = 0; j < k; j++) {
                sqlite3_stmt *s = depth == 0 ? w.rowid : w.parent;
                sqlite3_bind_int64(s, 1, level[i + j].id);
                sqlite3_bind_int64(s, 2, nodeno);
                if ((st = step(&w, s, "writing the spatial index")))
                    goto done;
            }
            level[parents++] = box; /* parents <= i: nothing unread is overwritten */
        }
        count = parents;
        depth++;
    }
    cell root;
    if ((st = write_node(&w, 1, depth, level, count, &root)))
        goto done;
    for (size_t j = 0; j < count; j++) {
        sqlite3_stmt *s = depth == 0 ? w.rowid : w.parent;
        sqlite3_bind_int64(s, 1, level[j].id);
        sqlite3_bind_int64(s, 2, 1);
        if ((st = step(&w, s, "writing the spatial index")))
            goto done;
    }
done:
    sqlite3_finalize(w.node);
    sqlite3_finalize(w.rowid);
    sqlite3_finalize(w.parent);
    free(w.blob);
    free(level);
    return st;
}
