/*
 * IIS configuration: a byte-preserving XML reader of the project's own
 * (xml.c), the model of sites, bindings and access locations read from it
 * (model.c), the pure planner that turns it into a desired file by splicing
 * the original bytes (plan.c, edit.c), plan files (planjson.c) and the
 * outputs (output.c). Nothing here does I/O; apply/iisapply.c
 * carries a plan out through the apply engine.
 */
#ifndef MGW_IIS_H
#define MGW_IIS_H

#include "core/core.h"

#define MGW_IIS_MAX_FILE (8u << 20)
#define MGW_XML_MAX_DEPTH 64
#define MGW_XML_MAX_ATTRS 256
#define MGW_XML_MAX_ELEMS (1u << 20)

/* ---- the XML reader (xml.c) ---------------------------------------------- */

typedef struct {
    size_t off, len;
} mgw_xspan;

typedef struct {
    mgw_xspan name;
    mgw_xspan value; /* raw, between the quotes */
    char *text;      /* decoded and normalised (NUL-terminated UTF-8) */
} mgw_xattr;

typedef struct {
    mgw_xspan name;
    size_t start;       /* '<' of the start tag */
    size_t attrs_end;   /* just past the last attribute (or the name) */
    size_t tag_end;     /* just past the start tag's '>' */
    size_t close_start; /* "</" of the end tag (tag_end for an empty element) */
    size_t end;         /* just past the element */
    bool empty;         /* <name ... /> */
    size_t parent;      /* SIZE_MAX for the root */
    size_t last_child;  /* SIZE_MAX when none */
    mgw_xattr *attrs;
    size_t n_attrs;
} mgw_xelem;

typedef struct {
    uint8_t *data; /* the document, as read */
    size_t len;
    bool bom;
    const char *eol;     /* the first line ending in the file: "\r\n", "\r" or "\n" */
    size_t *line_starts; /* offset of each line's first byte */
    size_t n_lines;
    mgw_xelem *elems; /* document order; elems[0] is the root */
    size_t n_elems;
} mgw_xdoc;

/* Errors: MGW_ERR_IIS_XML "line L, column C: ..."; on failure doc is empty. */
int mgw_xml_parse(const uint8_t *p, size_t n, mgw_xdoc *doc);
void mgw_xml_free(mgw_xdoc *doc);
/* 1-based line and column (in characters) of a byte offset. */
void mgw_xml_position(const uint8_t *p, size_t n, size_t off, unsigned long *line,
                      unsigned long *col);
/* The same for a parsed document, by binary search over its lines. */
void mgw_xdoc_position(const mgw_xdoc *d, size_t off, unsigned long *line, unsigned long *col);
bool mgw_xname_is(const mgw_xdoc *d, const mgw_xelem *e, const char *name);
/* The first child of `parent` named `name` after child `after` (SIZE_MAX:
 * from the start); SIZE_MAX when none. */
size_t mgw_xchild(const mgw_xdoc *d, size_t parent, const char *name, size_t after);
const mgw_xattr *mgw_xattr_get(const mgw_xdoc *d, const mgw_xelem *e, const char *name);
/* The whitespace in front of an element on its own line, or NULL when
 * something else comes first on that line. */
bool mgw_xindent(const mgw_xdoc *d, size_t off, mgw_xspan *indent);

/* ---- the model (model.c) ------------------------------------------------- */

enum { MGW_FLAGS_ACCESS, MGW_FLAGS_BINDING };

#define MGW_ACCESS_SSL 8u
#define MGW_ACCESS_NEGOTIATE_CERT 32u
#define MGW_ACCESS_REQUIRE_CERT 64u
#define MGW_ACCESS_SSL128 256u
#define MGW_ACCESS_WANTED (MGW_ACCESS_SSL | MGW_ACCESS_NEGOTIATE_CERT | MGW_ACCESS_REQUIRE_CERT)
#define MGW_IISBINDING_SNI 1u
#define MGW_IISBINDING_DISABLE_TLS13 32u

typedef struct {
    size_t elem; /* the <binding> */
    const char *protocol, *info;
    bool has_flags;
    uint32_t flags;
    bool numeric; /* the file spells sslFlags as a number */
} mgw_iisbinding;

typedef struct {
    size_t elem; /* the <site> */
    const char *name, *id;
    mgw_iisbinding *bindings;
    size_t n_bindings;
} mgw_iissite;

/* A top-level <location> and its system.webServer/security/access. */
typedef struct {
    size_t elem;
    const char *path; /* "" when it has none */
    size_t access;    /* the <access> element, SIZE_MAX when none */
    bool has_flags;
    uint32_t flags;
    bool numeric;
} mgw_iislocation;

/* An index entry: a name or path and the position it belongs to; arrays of
 * them are sorted case-insensitively, equal keys in file order. */
typedef struct {
    const char *key;
    size_t index;
} mgw_iiskey;

struct mgw_iisconfig {
    mgw_xdoc doc;
    mgw_iissite *sites;
    size_t n_sites;
    mgw_iislocation *locations;
    size_t n_locations;
    mgw_iiskey *site_keys;     /* the sites by name */
    mgw_iiskey *location_keys; /* the locations by path */
    bool has_global;           /* configuration/system.webServer/security/access/@sslFlags */
    uint32_t global_flags;
};

int mgw_iisconfig_build(mgw_iisconfig_t *cfg);
/* sslFlags text (a number, or names separated by commas) of either kind. */
int mgw_iisflags_parse(int kind, const char *text, uint32_t *flags, bool *numeric);
/* The value as the file would spell it: names ("Ssl, SslNegotiateCert") or
 * a number. */
int mgw_iisflags_format(int kind, uint32_t flags, bool numeric, mgw_dbuf *out);
/* Names of the set bits for people ("Sni, DisableTLS13"; "None"). */
int mgw_iisflags_names(int kind, uint32_t flags, mgw_dbuf *out);
/* Case-insensitive ASCII comparison (IIS paths, names and protocols). */
bool mgw_iis_eq(const char *a, const char *b);
/* Case-insensitive ASCII ordering. */
int mgw_iis_cmp(const char *a, const char *b);
/* The entries of a sorted index with key `key`: the first position, and
 * their number in *count (0 when none). */
size_t mgw_iis_lookup(const mgw_iiskey *keys, size_t n, const char *key, size_t *count);
/* True when location path `path` lies under site `site` ("SITE/...", also
 * "SITE/" itself, which is planned like a child).  */
bool mgw_iis_under(const char *path, const char *site);
const mgw_iissite *mgw_iis_find_site(const mgw_iisconfig_t *cfg, const char *name);

/* ---- the planner (plan.c, edit.c) ------------------------------------------ */

struct mgw_iisopts {
    char *site;
    char **bindings;
    size_t n_bindings;
    bool disable_tls13, cert_in_handshake;
};

enum { MGW_IISACT_KEEP = 0, MGW_IISACT_SET = 1 };
enum { MGW_IISITEM_ACCESS = 1, MGW_IISITEM_BINDING = 2 };

typedef struct {
    int kind;
    char *where; /* the location path, or the binding's bindingInformation */
    char *label;
    char *meaning;
    int action;
    bool present; /* the attribute existed */
    uint32_t before, after;
    char *before_text, *after_text; /* as the file spells them; "" when absent */
} mgw_iisitem;

struct mgw_iisplan {
    char *site;
    mgw_iisitem *items;
    size_t n_items;
    char **warnings;
    size_t n_warnings;
    uint8_t *before, *desired;
    size_t before_len, desired_len;
    uint8_t before_hash[32], desired_hash[32], fingerprint[32];
};

/* One splice of the original bytes: replace [off, off + del) with text. */
typedef struct {
    size_t off, del;
    char *text;
} mgw_xedit;

typedef struct {
    mgw_xedit *v;
    size_t n;
} mgw_xedits;

void mgw_xedits_free(mgw_xedits *e);
/* Set attribute `name` of element `elem` to `value` (raw XML text, escaped
 * by the caller): rewritten in place, or inserted after the last attribute. */
int mgw_xedit_set_attr(const mgw_xdoc *d, size_t elem, const char *name, const char *value,
                       mgw_xedits *e);
/* Insert the element chain names[0]/names[1]/.../names[n-1] under `parent`,
 * the last one an empty element carrying `attrs` (raw text). Indented like
 * its neighbours. */
int mgw_xedit_add_chain(const mgw_xdoc *d, size_t parent, const char *const *names, size_t n,
                        const char *first_attrs, const char *attrs, mgw_xedits *e);
/* The document with the edits spliced in. */
int mgw_xedits_apply(const mgw_xdoc *d, mgw_xedits *e, mgw_dbuf *out);
/* Attribute-value escaping (&, <, > and the quote). */
int mgw_xml_escape(const char *s, mgw_dbuf *out);

mgw_iisplan_t *mgw_iisplan_alloc(void);
int mgw_iisplan_add_warning(mgw_iisplan_t *plan, const char *fmt, ...) MGW_PRINTF(2, 3);
int mgw_iisplan_hash(const mgw_iisplan_t *plan, uint8_t out[32]);
int mgw_iisplan_to_json(const mgw_iisplan_t *plan, mgw_dbuf *out);
int mgw_iisplan_from_json(const uint8_t *p, size_t n, mgw_iisplan_t *plan);
/* The values of a plan's settings in a file, for drift messages: the first
 * item whose value in `cfg` differs from side `wanted`, or SIZE_MAX. */
size_t mgw_iisplan_first_difference(const mgw_iisplan_t *plan, const mgw_iisconfig_t *cfg,
                                    bool wanted, uint32_t *found, bool *found_present);

#endif
