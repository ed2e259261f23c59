/*
 * Edits as splices of the original bytes: an attribute rewritten in place or
 * added after the last one; a missing element chain inserted after the last
 * child of its parent, indented like its neighbours, with the file's own
 * line ending. Everything else stays as it was, byte for byte.
 */
#include "iis/iis.h"

#include <stdlib.h>
#include <string.h>

void mgw_xedits_free(mgw_xedits *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->v[i].text);
    free(e->v);
    e->v = NULL;
    e->n = 0;
}

static int push(mgw_xedits *e, size_t off, size_t del, mgw_dbuf *text)
{
    if (mgw_dbuf_putc(text, 0) != MGW_OK || text->oom)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    mgw_xedit *nv = realloc(e->v, (e->n + 1) * sizeof(*nv));
    if (nv == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    e->v = nv;
    nv[e->n].off = off;
    nv[e->n].del = del;
    nv[e->n].text = (char *)text->p;
    e->n++;
    mgw_dbuf_init(text);
    return MGW_OK;
}

int mgw_xml_escape(const char *s, mgw_dbuf *out)
{
    for (; *s != '\0'; s++) {
        if (*s == '&')
            mgw_dbuf_puts(out, "&amp;");
        else if (*s == '<')
            mgw_dbuf_puts(out, "&lt;");
        else if (*s == '>')
            mgw_dbuf_puts(out, "&gt;");
        else if (*s == '"')
            mgw_dbuf_puts(out, "&quot;");
        else
            mgw_dbuf_putc(out, (uint8_t)*s);
    }
    return out->oom ? MGW_ERR_NO_MEMORY : MGW_OK;
}

int mgw_xedit_set_attr(const mgw_xdoc *d, size_t elem, const char *name, const char *value,
                       mgw_xedits *e)
{
    const mgw_xelem *el = &d->elems[elem];
    const mgw_xattr *a = mgw_xattr_get(d, el, name);
    mgw_dbuf t;
    mgw_dbuf_init(&t);
    int r;
    if (a != NULL) {
        mgw_dbuf_puts(&t, value);
        r = push(e, a->value.off, a->value.len, &t);
    } else {
        mgw_dbuf_printf(&t, " %s=\"%s\"", name, value);
        r = push(e, el->attrs_end, 0, &t);
    }
    mgw_dbuf_free(&t);
    return r;
}

/* The indentation step of the file: how far the root's first child sits in
 * from the root; four spaces (what IIS writes) when that cannot be seen. */
static void indent_unit(const mgw_xdoc *d, mgw_dbuf *out)
{
    mgw_xspan root, child;
    size_t first = d->n_elems > 1 && d->elems[1].parent == 0 ? 1 : SIZE_MAX;
    if (first != SIZE_MAX && mgw_xindent(d, d->elems[0].start, &root) &&
        mgw_xindent(d, d->elems[first].start, &child) && child.len > root.len &&
        memcmp(d->data + child.off, d->data + root.off, root.len) == 0) {
        mgw_dbuf_put(out, d->data + child.off + root.len, child.len - root.len);
        return;
    }
    mgw_dbuf_puts(out, "    ");
}

/* The white space that starts the line holding `off`. */
static void line_indent(const mgw_xdoc *d, size_t off, mgw_dbuf *out)
{
    size_t s = off;
    while (s > 0 && d->data[s - 1] != '\n' && d->data[s - 1] != '\r')
        s--;
    size_t e = s;
    while (e < off && (d->data[e] == ' ' || d->data[e] == '\t'))
        e++;
    mgw_dbuf_put(out, d->data + s, e - s);
}

/* The indentation of element `i`: its own when it starts its line, else its
 * parent's plus one step (the root: the indentation of its line), so that
 * text inserted into a file written on one line is indented by depth. */
static void indent_of(const mgw_xdoc *d, size_t i, mgw_dbuf *out)
{
    mgw_xspan s;
    if (mgw_xindent(d, d->elems[i].start, &s)) {
        mgw_dbuf_put(out, d->data + s.off, s.len);
        return;
    }
    if (d->elems[i].parent == SIZE_MAX) {
        line_indent(d, d->elems[i].start, out);
        return;
    }
    indent_of(d, d->elems[i].parent, out);
    indent_unit(d, out);
}

/* True when a line ends between offsets a and b. */
static bool line_break_between(const mgw_xdoc *d, size_t a, size_t b)
{
    for (size_t k = a; k < b; k++)
        if (d->data[k] == '\n' || d->data[k] == '\r')
            return true;
    return false;
}

int mgw_xedit_add_chain(const mgw_xdoc *d, size_t parent, const char *const *names, size_t n,
                        const char *first_attrs, const char *attrs, mgw_xedits *e)
{
    const mgw_xelem *p = &d->elems[parent];
    mgw_dbuf pin, cin, unit, t;
    mgw_dbuf_init(&pin);
    mgw_dbuf_init(&cin);
    mgw_dbuf_init(&unit);
    mgw_dbuf_init(&t);
    indent_of(d, parent, &pin);
    indent_unit(d, &unit);
    if (p->last_child != SIZE_MAX) {
        indent_of(d, p->last_child, &cin);
    } else {
        mgw_dbuf_put(&cin, pin.p, pin.len);
        mgw_dbuf_put(&cin, unit.p, unit.len);
    }
    size_t off, del = 0;
    if (p->last_child != SIZE_MAX) {
        off = d->elems[p->last_child].end;
    } else if (p->empty) {
        /* <parent ... /> becomes <parent ...> ... </parent> */
        off = p->attrs_end;
        del = p->tag_end - p->attrs_end;
        mgw_dbuf_putc(&t, '>');
    } else {
        for (size_t k = p->tag_end; k < p->close_start; k++)
            if (!(d->data[k] == ' ' || d->data[k] == '\t' || d->data[k] == '\r' ||
                  d->data[k] == '\n')) {
                unsigned long line, col;
                mgw_xdoc_position(d, k, &line, &col);
                int r = mgw_err(MGW_ERR_IIS_CONFIG,
                                "line %lu, column %lu: <%.*s> holds text; the planner does not "
                                "insert elements into mixed content",
                                line, col, (int)p->name.len, (const char *)d->data + p->name.off);
                mgw_dbuf_free(&pin);
                mgw_dbuf_free(&cin);
                mgw_dbuf_free(&unit);
                mgw_dbuf_free(&t);
                return r;
            }
        off = p->tag_end;
        del = p->close_start - p->tag_end;
    }
    /* the chain, one element per line */
    for (size_t k = 0; k < n; k++) {
        mgw_dbuf_puts(&t, d->eol);
        mgw_dbuf_put(&t, cin.p, cin.len);
        for (size_t u = 0; u < k; u++)
            mgw_dbuf_put(&t, unit.p, unit.len);
        mgw_dbuf_printf(&t, "<%s", names[k]);
        if (k == 0 && first_attrs != NULL)
            mgw_dbuf_printf(&t, " %s", first_attrs);
        if (k + 1 == n)
            mgw_dbuf_printf(&t, " %s />", attrs);
        else
            mgw_dbuf_putc(&t, '>');
    }
    for (size_t k = n - 1; k-- > 0;) {
        mgw_dbuf_puts(&t, d->eol);
        mgw_dbuf_put(&t, cin.p, cin.len);
        for (size_t u = 0; u < k; u++)
            mgw_dbuf_put(&t, unit.p, unit.len);
        mgw_dbuf_printf(&t, "</%s>", names[k]);
    }
    if (p->last_child == SIZE_MAX ||
        !line_break_between(d, d->elems[p->last_child].end, p->close_start)) {
        /* the parent's end tag goes on a line of its own */
        mgw_dbuf_puts(&t, d->eol);
        mgw_dbuf_put(&t, pin.p, pin.len);
        if (p->empty)
            mgw_dbuf_printf(&t, "</%.*s>", (int)p->name.len, (const char *)d->data + p->name.off);
    }
    int r =
        pin.oom || cin.oom || unit.oom ? mgw_err(MGW_ERR_NO_MEMORY, NULL) : push(e, off, del, &t);
    mgw_dbuf_free(&pin);
    mgw_dbuf_free(&cin);
    mgw_dbuf_free(&unit);
    mgw_dbuf_free(&t);
    return r;
}

static int by_offset(const void *a, const void *b)
{
    const mgw_xedit *x = a, *y = b;
    return x->off < y->off ? -1 : x->off > y->off;
}

int mgw_xedits_apply(const mgw_xdoc *d, mgw_xedits *e, mgw_dbuf *out)
{
    if (e->n > 1)
        qsort(e->v, e->n, sizeof(*e->v), by_offset);
    size_t pos = 0;
    for (size_t i = 0; i < e->n; i++) {
        if (e->v[i].off < pos)
            return mgw_err(MGW_ERR_INTERNAL, "overlapping edits");
        mgw_dbuf_put(out, d->data + pos, e->v[i].off - pos);
        mgw_dbuf_puts(out, e->v[i].text);
        pos = e->v[i].off + e->v[i].del;
    }
    mgw_dbuf_put(out, d->data + pos, d->len - pos);
    return out->oom ? mgw_err(MGW_ERR_NO_MEMORY, NULL) : MGW_OK;
}
