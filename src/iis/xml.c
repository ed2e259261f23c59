/*
 * The XML reader of the IIS module: just what applicationHost.config uses,
 * read so that every element and attribute keeps its byte offsets (the
 * planner edits by splicing the original bytes). It refuses, with line and
 * column, anything it could not keep exactly or that the file never needs:
 * DOCTYPE and entity declarations, encodings other than UTF-8, NUL and
 * control characters, unknown entity references.
 */
#include "iis/iis.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    const uint8_t *p;
    size_t n, i;
    mgw_xdoc *doc;
    size_t stack[MGW_XML_MAX_DEPTH];
    unsigned depth;
    bool root_done;
} xparser;

/* A line ends at LF, CR LF or a lone CR (XML 1.0 section 2.11). */
void mgw_xml_position(const uint8_t *p, size_t n, size_t off, unsigned long *line,
                      unsigned long *col)
{
    unsigned long l = 1, c = 1;
    size_t i = n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF ? 3 : 0;
    for (; i < off && i < n; i++) {
        if (p[i] == '\r' || (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))) {
            l++;
            c = 1;
        } else if (p[i] == '\n') {
            continue; /* the LF of CR LF */
        } else if ((p[i] & 0xC0) != 0x80) {
            c++; /* characters, not bytes */
        }
    }
    *line = l;
    *col = c;
}

/* The offsets where lines start, found once so that positions of many
 * elements cost a binary search each rather than a scan of the file. */
static int index_lines(mgw_xdoc *d)
{
    size_t cap = 64, n = 0;
    size_t *v = malloc(cap * sizeof(*v));
    if (v == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    v[n++] = d->bom ? 3 : 0;
    for (size_t i = v[0]; i < d->len; i++) {
        bool end = d->data[i] == '\n' ||
                   (d->data[i] == '\r' && (i + 1 >= d->len || d->data[i + 1] != '\n'));
        if (!end)
            continue;
        if (n == cap) {
            size_t *nv = realloc(v, 2 * cap * sizeof(*v));
            if (nv == NULL) {
                free(v);
                return mgw_err(MGW_ERR_NO_MEMORY, NULL);
            }
            v = nv;
            cap *= 2;
        }
        v[n++] = i + 1;
    }
    d->line_starts = v;
    d->n_lines = n;
    return MGW_OK;
}

void mgw_xdoc_position(const mgw_xdoc *d, size_t off, unsigned long *line, unsigned long *col)
{
    size_t lo = 0, hi = d->n_lines; /* the last line start <= off */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->line_starts[mid] <= off)
            lo = mid;
        else
            hi = mid;
    }
    unsigned long c = 1;
    for (size_t i = d->n_lines > 0 ? d->line_starts[lo] : 0; i < off && i < d->len; i++)
        c += (d->data[i] & 0xC0) != 0x80;
    *line = (unsigned long)lo + 1;
    *col = c;
}

static int fail_at(const xparser *x, size_t off, const char *what)
{
    unsigned long line, col;
    mgw_xml_position(x->p, x->n, off, &line, &col);
    return mgw_err(MGW_ERR_IIS_XML, "line %lu, column %lu: %s", line, col, what);
}

static bool at(const xparser *x, const char *s)
{
    size_t k = strlen(s);
    return x->n - x->i >= k && memcmp(x->p + x->i, s, k) == 0;
}

static bool is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool name_start(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == ':' || c >= 0x80;
}

static bool name_char(uint8_t c)
{
    return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

static void skip_space(xparser *x)
{
    while (x->i < x->n && is_space(x->p[x->i]))
        x->i++;
}

static int read_name(xparser *x, mgw_xspan *s)
{
    if (x->i >= x->n || !name_start(x->p[x->i]))
        return fail_at(x, x->i, "a name was expected here");
    s->off = x->i;
    while (x->i < x->n && name_char(x->p[x->i]))
        x->i++;
    s->len = x->i - s->off;
    return MGW_OK;
}

/* The document must be UTF-8 without NUL or C0 controls other than tab, CR
 * and LF (XML 1.0 forbids them; a NUL usually means UTF-16). */
static int check_text(xparser *x)
{
    if (x->n >= 2 && ((x->p[0] == 0xFF && x->p[1] == 0xFE) || (x->p[0] == 0xFE && x->p[1] == 0xFF)))
        return fail_at(x, 0,
                       "the file is UTF-16 (byte order mark FF FE or FE FF); "
                       "applicationHost.config is UTF-8, and only UTF-8 is kept byte for byte");
    size_t bad = SIZE_MAX;
    if (mgw_utf8_valid(x->p, x->n, &bad))
        bad = SIZE_MAX;
    for (size_t i = 0; i < x->n && i < bad; i++) {
        uint8_t c = x->p[i];
        if (c == 0)
            return fail_at(x, i, "a NUL byte (is the file UTF-16 without a byte order mark?)");
        if (c < 0x20 && c != '\t' && c != '\r' && c != '\n')
            return fail_at(x, i, "a control character XML does not allow");
    }
    if (bad != SIZE_MAX)
        return fail_at(x, bad, "not UTF-8 (an invalid byte sequence)");
    /* U+FFFE and U+FFFF are not XML characters (the Char production), raw
     * as much as written &#xFFFE; */
    for (size_t i = 0; i + 2 < x->n; i++)
        if (x->p[i] == 0xEF && x->p[i + 1] == 0xBF && (x->p[i + 2] & 0xFE) == 0xBE)
            return fail_at(x, i, "the noncharacter U+FFFE or U+FFFF, which XML does not allow");
    return MGW_OK;
}

/* One character reference or named entity at x->i ('&'), appended to out
 * (NULL: only checked). */
static int reference(xparser *x, mgw_dbuf *out)
{
    static const struct {
        const char *name;
        char c;
    } named[] = {{"lt;", '<'}, {"gt;", '>'}, {"amp;", '&'}, {"quot;", '"'}, {"apos;", '\''}};
    size_t start = x->i++;
    for (size_t k = 0; k < sizeof(named) / sizeof(named[0]); k++)
        if (at(x, named[k].name)) {
            x->i += strlen(named[k].name);
            return out != NULL ? mgw_dbuf_putc(out, (uint8_t)named[k].c) : MGW_OK;
        }
    if (x->i < x->n && x->p[x->i] == '#') {
        x->i++;
        bool hex = x->i < x->n && x->p[x->i] == 'x';
        x->i += hex;
        uint32_t cp = 0;
        size_t digits = 0;
        for (; x->i < x->n && x->p[x->i] != ';'; x->i++, digits++) {
            int v = hex ? mgw_hex_value(x->p[x->i])
                        : (x->p[x->i] >= '0' && x->p[x->i] <= '9' ? x->p[x->i] - '0' : -1);
            if (v < 0 || digits >= 8)
                return fail_at(x, start, "a malformed character reference");
            cp = cp * (hex ? 16u : 10u) + (uint32_t)v;
        }
        if (x->i >= x->n || digits == 0)
            return fail_at(x, start, "a malformed character reference");
        x->i++;
        bool ok = cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
                  (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
        if (!ok)
            return fail_at(x, start, "a character reference to a character XML does not allow");
        return out != NULL ? mgw_utf8_put(out, cp) : MGW_OK;
    }
    return fail_at(x, start,
                   "an entity reference other than &lt; &gt; &amp; &quot; &apos; "
                   "(entities from a DTD are refused)");
}

static int attribute(xparser *x, mgw_xelem *e)
{
    mgw_xattr a = {{0, 0}, {0, 0}, NULL};
    int r = read_name(x, &a.name);
    if (r != MGW_OK)
        return r;
    for (size_t k = 0; k < e->n_attrs; k++)
        if (e->attrs[k].name.len == a.name.len &&
            memcmp(x->p + e->attrs[k].name.off, x->p + a.name.off, a.name.len) == 0)
            return fail_at(x, a.name.off, "an attribute given twice");
    if (e->n_attrs >= MGW_XML_MAX_ATTRS)
        return fail_at(x, a.name.off, "more than 256 attributes on one element");
    skip_space(x);
    if (x->i >= x->n || x->p[x->i] != '=')
        return fail_at(x, x->i, "'=' was expected after the attribute name");
    x->i++;
    skip_space(x);
    if (x->i >= x->n || (x->p[x->i] != '"' && x->p[x->i] != '\''))
        return fail_at(x, x->i, "a quoted attribute value was expected");
    uint8_t q = x->p[x->i++];
    a.value.off = x->i;
    mgw_dbuf text;
    mgw_dbuf_init(&text);
    while (r == MGW_OK && x->i < x->n && x->p[x->i] != q) {
        uint8_t c = x->p[x->i];
        if (c == '<')
            r = fail_at(x, x->i, "'<' inside an attribute value");
        else if (c == '&')
            r = reference(x, &text);
        else if (c == '\r' && x->i + 1 < x->n && x->p[x->i + 1] == '\n')
            x->i++; /* CR LF is one line end, normalised to one space below */
        else {
            r = mgw_dbuf_putc(&text, c == '\t' || c == '\n' || c == '\r' ? ' ' : c);
            x->i++;
        }
    }
    if (r == MGW_OK && x->i >= x->n)
        r = fail_at(x, a.value.off - 1, "the attribute value is not closed (end of file)");
    if (r == MGW_OK)
        r = mgw_dbuf_putc(&text, 0);
    if (r == MGW_OK && text.oom)
        r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
    if (r == MGW_OK) {
        a.value.len = x->i - a.value.off;
        x->i++;
        a.text = (char *)text.p;
        mgw_xattr *na = realloc(e->attrs, (e->n_attrs + 1) * sizeof(*na));
        if (na == NULL) {
            mgw_dbuf_free(&text);
            return mgw_err(MGW_ERR_NO_MEMORY, NULL);
        }
        e->attrs = na;
        e->attrs[e->n_attrs++] = a;
        return MGW_OK;
    }
    mgw_dbuf_free(&text);
    return r;
}

static int new_elem(xparser *x, size_t *idx)
{
    mgw_xdoc *d = x->doc;
    if (d->n_elems >= MGW_XML_MAX_ELEMS)
        return fail_at(x, x->i, "more than 1048576 elements");
    if ((d->n_elems & (d->n_elems - 1)) == 0) { /* grow at powers of two */
        size_t cap = d->n_elems == 0 ? 16 : d->n_elems * 2;
        mgw_xelem *ne = realloc(d->elems, cap * sizeof(*ne));
        if (ne == NULL)
            return mgw_err(MGW_ERR_NO_MEMORY, NULL);
        d->elems = ne;
    }
    mgw_xelem *e = &d->elems[d->n_elems++];
    memset(e, 0, sizeof(*e));
    e->parent = x->depth > 0 ? x->stack[x->depth - 1] : SIZE_MAX;
    e->last_child = SIZE_MAX;
    *idx = d->n_elems - 1;
    return MGW_OK;
}

/* Does element `e` declare namespace prefix p[0..len) (xmlns:p="...")? */
static bool declares(const xparser *x, const mgw_xelem *e, const uint8_t *p, size_t len)
{
    for (size_t k = 0; k < e->n_attrs; k++) {
        const mgw_xspan *n = &e->attrs[k].name;
        if (n->len == 6 + len && memcmp(x->p + n->off, "xmlns:", 6) == 0 &&
            memcmp(x->p + n->off + 6, p, len) == 0)
            return true;
    }
    return false;
}

/* Namespaces in XML: a prefixed name ("x:site") needs its prefix declared
 * on the element or an ancestor; "xml" is predefined and "xmlns" declares.
 * A name with an empty part or two colons is not a qualified name. */
static int check_qname(const xparser *x, const mgw_xelem *e, const mgw_xspan *n, bool attr)
{
    const uint8_t *s = x->p + n->off;
    const uint8_t *colon = memchr(s, ':', n->len);
    if (colon == NULL)
        return MGW_OK;
    size_t plen = (size_t)(colon - s);
    if (plen == 0 || plen + 1 == n->len || memchr(colon + 1, ':', n->len - plen - 1) != NULL)
        return fail_at(x, n->off, "a name with an empty prefix or local part, or two colons");
    if ((plen == 3 && memcmp(s, "xml", 3) == 0) ||
        (attr && plen == 5 && memcmp(s, "xmlns", 5) == 0))
        return MGW_OK;
    if (declares(x, e, s, plen))
        return MGW_OK;
    for (unsigned k = x->depth; k-- > 0;)
        if (declares(x, &x->doc->elems[x->stack[k]], s, plen))
            return MGW_OK;
    return fail_at(x, n->off, "a namespace prefix that is not declared (xmlns:prefix=\"...\")");
}

static int check_names(const xparser *x, const mgw_xelem *e)
{
    int r = check_qname(x, e, &e->name, false);
    for (size_t k = 0; r == MGW_OK && k < e->n_attrs; k++)
        r = check_qname(x, e, &e->attrs[k].name, true);
    return r;
}

static int start_tag(xparser *x)
{
    size_t lt = x->i++;
    if (x->root_done)
        return fail_at(x, lt, "a second root element");
    if (x->depth >= MGW_XML_MAX_DEPTH)
        return fail_at(x, lt, "elements nested deeper than 64 levels");
    size_t idx = 0;
    int r = new_elem(x, &idx);
    if (r != MGW_OK)
        return r;
    mgw_xelem *e = &x->doc->elems[idx];
    e->start = lt;
    if ((r = read_name(x, &e->name)) != MGW_OK)
        return r;
    e->attrs_end = x->i;
    for (;;) {
        size_t before = x->i;
        skip_space(x);
        if (x->i >= x->n)
            return fail_at(x, lt, "the start tag is not closed (end of file)");
        if (at(x, "/>") || x->p[x->i] == '>')
            break;
        if (x->i == before)
            return fail_at(x, x->i, "white space was expected before the attribute");
        if ((r = attribute(x, &x->doc->elems[idx])) != MGW_OK)
            return r;
        x->doc->elems[idx].attrs_end = x->i;
    }
    e = &x->doc->elems[idx];
    if ((r = check_names(x, e)) != MGW_OK)
        return r;
    if (e->parent != SIZE_MAX)
        x->doc->elems[e->parent].last_child = idx;
    if (x->p[x->i] == '/') {
        x->i += 2;
        e->empty = true;
        e->tag_end = e->close_start = e->end = x->i;
        if (x->depth == 0)
            x->root_done = true;
        return MGW_OK;
    }
    x->i++;
    e->tag_end = x->i;
    x->stack[x->depth++] = idx;
    return MGW_OK;
}

static int end_tag(xparser *x)
{
    size_t lt = x->i;
    x->i += 2;
    mgw_xspan name;
    int r = read_name(x, &name);
    if (r != MGW_OK)
        return r;
    skip_space(x);
    if (x->i >= x->n || x->p[x->i] != '>')
        return fail_at(x, x->i, "'>' was expected to close the end tag");
    x->i++;
    if (x->depth == 0)
        return fail_at(x, lt, "an end tag without a start tag");
    mgw_xelem *e = &x->doc->elems[x->stack[x->depth - 1]];
    if (e->name.len != name.len || memcmp(x->p + e->name.off, x->p + name.off, name.len) != 0) {
        unsigned long line, col;
        mgw_xml_position(x->p, x->n, e->start, &line, &col);
        char what[200];
        snprintf(what, sizeof(what), "the end tag does not match <%.*s> (line %lu, column %lu)",
                 (int)(e->name.len > 60 ? 60 : e->name.len), (const char *)x->p + e->name.off, line,
                 col);
        return fail_at(x, lt, what);
    }
    e->close_start = lt;
    e->end = x->i;
    if (--x->depth == 0)
        x->root_done = true;
    return MGW_OK;
}

/* Skip to just past `end`, or fail with `what` at `from`. */
static int skip_past(xparser *x, const char *end, size_t from, const char *what)
{
    size_t k = strlen(end);
    for (; x->i + k <= x->n; x->i++)
        if (memcmp(x->p + x->i, end, k) == 0) {
            x->i += k;
            return MGW_OK;
        }
    return fail_at(x, from, what);
}

static int comment(xparser *x)
{
    size_t start = x->i;
    x->i += 4;
    for (; x->i + 1 < x->n; x->i++)
        if (x->p[x->i] == '-' && x->p[x->i + 1] == '-') {
            if (x->i + 2 < x->n && x->p[x->i + 2] == '>') {
                x->i += 3;
                return MGW_OK;
            }
            return fail_at(x, x->i, "\"--\" inside a comment");
        }
    return fail_at(x, start, "the comment is not closed (end of file)");
}

/* <?xml ...?> must come first; its encoding, if named, must be UTF-8. */
static int processing_instruction(xparser *x)
{
    size_t start = x->i;
    x->i += 2;
    mgw_xspan target;
    int r = read_name(x, &target);
    if (r != MGW_OK)
        return r;
    bool is_xml = target.len == 3 && (x->p[target.off] | 0x20) == 'x' &&
                  (x->p[target.off + 1] | 0x20) == 'm' && (x->p[target.off + 2] | 0x20) == 'l';
    size_t body = x->i;
    if ((r = skip_past(x, "?>", start, "the processing instruction is not closed")) != MGW_OK)
        return r;
    if (!is_xml)
        return MGW_OK;
    if (memcmp(x->p + target.off, "xml", 3) != 0)
        return fail_at(x, target.off,
                       "the processing instruction target \"xml\" is reserved in any case; "
                       "the XML declaration is written <?xml ...?> in lower case");
    if (start != (x->doc->bom ? 3u : 0u))
        return fail_at(x, start, "an XML declaration that is not at the very start");
    const char *enc = "encoding";
    for (size_t k = body; k + 8 < x->i; k++)
        if (memcmp(x->p + k, enc, 8) == 0) {
            size_t v = k + 8;
            while (v < x->i && (is_space(x->p[v]) || x->p[v] == '='))
                v++;
            if (v >= x->i || (x->p[v] != '"' && x->p[v] != '\''))
                return fail_at(x, k, "a malformed encoding declaration");
            uint8_t q = x->p[v++];
            size_t e = v;
            while (e < x->i && x->p[e] != q)
                e++;
            bool utf8 = e - v == 5 && (x->p[v] | 0x20) == 'u' && (x->p[v + 1] | 0x20) == 't' &&
                        (x->p[v + 2] | 0x20) == 'f' && x->p[v + 3] == '-' && x->p[v + 4] == '8';
            if (!utf8)
                return fail_at(x, v,
                               "an encoding other than UTF-8 is declared; only UTF-8 "
                               "files are kept byte for byte");
            break;
        }
    return MGW_OK;
}

static int text(xparser *x)
{
    while (x->i < x->n && x->p[x->i] != '<') {
        uint8_t c = x->p[x->i];
        if (x->depth == 0 && !is_space(c))
            return fail_at(x, x->i,
                           x->root_done ? "text after the root element"
                                        : "text before the root element");
        if (c == '&') {
            int r = reference(x, NULL);
            if (r != MGW_OK)
                return r;
            continue;
        }
        if (at(x, "]]>"))
            return fail_at(x, x->i, "\"]]>\" in text");
        x->i++;
    }
    return MGW_OK;
}

static int markup(xparser *x)
{
    if (at(x, "<!--"))
        return comment(x);
    if (at(x, "<![CDATA[")) {
        if (x->depth == 0)
            return fail_at(x, x->i, "CDATA outside the root element");
        return skip_past(x, "]]>", x->i, "the CDATA section is not closed (end of file)");
    }
    if (at(x, "<!DOCTYPE"))
        return fail_at(x, x->i,
                       "a DOCTYPE: document type and entity declarations are refused "
                       "(applicationHost.config has none)");
    if (at(x, "<!"))
        return fail_at(x, x->i, "markup declarations are refused");
    if (at(x, "<?"))
        return processing_instruction(x);
    if (at(x, "</"))
        return end_tag(x);
    return start_tag(x);
}

void mgw_xml_free(mgw_xdoc *d)
{
    for (size_t i = 0; i < d->n_elems; i++) {
        for (size_t k = 0; k < d->elems[i].n_attrs; k++)
            free(d->elems[i].attrs[k].text);
        free(d->elems[i].attrs);
    }
    free(d->elems);
    free(d->data);
    free(d->line_starts);
    memset(d, 0, sizeof(*d));
}

int mgw_xml_parse(const uint8_t *p, size_t n, mgw_xdoc *doc)
{
    memset(doc, 0, sizeof(*doc));
    if (n > MGW_IIS_MAX_FILE)
        return mgw_err(MGW_ERR_TOO_LARGE, "the file is larger than %u bytes", MGW_IIS_MAX_FILE);
    xparser x = {p, n, 0, doc, {0}, 0, false};
    int r = check_text(&x);
    if (r != MGW_OK)
        return r;
    doc->bom = n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF;
    x.i = doc->bom ? 3 : 0;
    /* the first line ending decides: CR LF, a lone CR or LF (also when
     * there is none) */
    doc->eol = "\n";
    for (size_t i = 0; i < n; i++)
        if (p[i] == '\r' || p[i] == '\n') {
            doc->eol = p[i] == '\n' ? "\n" : i + 1 < n && p[i + 1] == '\n' ? "\r\n" : "\r";
            break;
        }
    while (r == MGW_OK && x.i < n)
        r = p[x.i] == '<' ? markup(&x) : text(&x);
    if (r == MGW_OK && x.depth > 0) {
        const mgw_xelem *e = &doc->elems[x.stack[x.depth - 1]];
        unsigned long line, col;
        mgw_xml_position(p, n, e->start, &line, &col);
        char what[200];
        snprintf(what, sizeof(what), "the file ends inside <%.*s> (opened at line %lu, column %lu)",
                 (int)(e->name.len > 60 ? 60 : e->name.len), (const char *)p + e->name.off, line,
                 col);
        r = fail_at(&x, n, what);
    }
    if (r == MGW_OK && doc->n_elems == 0)
        r = fail_at(&x, n, "no root element");
    if (r == MGW_OK && (doc->data = malloc(n + 1)) == NULL)
        r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
    if (r != MGW_OK) {
        mgw_xml_free(doc);
        return r;
    }
    memcpy(doc->data, p, n);
    doc->data[n] = 0;
    doc->len = n;
    if ((r = index_lines(doc)) != MGW_OK)
        mgw_xml_free(doc);
    return r;
}

bool mgw_xname_is(const mgw_xdoc *d, const mgw_xelem *e, const char *name)
{
    return e->name.len == strlen(name) && memcmp(d->data + e->name.off, name, e->name.len) == 0;
}

size_t mgw_xchild(const mgw_xdoc *d, size_t parent, const char *name, size_t after)
{
    if (parent == SIZE_MAX)
        return SIZE_MAX;
    size_t end = d->elems[parent].last_child;
    if (end == SIZE_MAX)
        return SIZE_MAX;
    for (size_t i = after == SIZE_MAX ? parent + 1 : after + 1; i <= end; i++)
        if (d->elems[i].parent == parent && mgw_xname_is(d, &d->elems[i], name))
            return i;
    return SIZE_MAX;
}

const mgw_xattr *mgw_xattr_get(const mgw_xdoc *d, const mgw_xelem *e, const char *name)
{
    size_t k = strlen(name);
    for (size_t i = 0; i < e->n_attrs; i++)
        if (e->attrs[i].name.len == k && memcmp(d->data + e->attrs[i].name.off, name, k) == 0)
            return &e->attrs[i];
    return NULL;
}

bool mgw_xindent(const mgw_xdoc *d, size_t off, mgw_xspan *indent)
{
    size_t s = off;
    while (s > 0 && (d->data[s - 1] == ' ' || d->data[s - 1] == '\t'))
        s--;
    if (s > 0 && d->data[s - 1] != '\n' && d->data[s - 1] != '\r')
        return false;
    indent->off = s;
    indent->len = off - s;
    return true;
}
