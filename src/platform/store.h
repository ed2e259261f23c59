/*
 * Certificate stores: the small table every back-end implements (list, add,
 * remove), the listing they fill, and the store object behind mgw_store_t.
 * Back-ends hold no policy: what to keep or remove is decided in src/roots.
 * The directory back-end (store_dir.c) builds everywhere; the Windows
 * back-end (store_win.c, crypt32) implements the same table, and elsewhere
 * system_none.c says that system stores are not available.
 */
#ifndef MGW_PLATFORM_STORE_H
#define MGW_PLATFORM_STORE_H

#include "core/core.h"

/* One certificate of a store, as listed. */
typedef struct {
    uint8_t *der;
    size_t der_len;
    uint8_t sha1[20];
    char *subject; /* RFC 4514 */
    char *origin;  /* where the back-end keeps it (the directory store: a file name) */
    bool has_key;  /* a usable private key belongs to it (Windows stores) */
    bool pem;      /* kept as PEM text (the directory store), else DER */
    bool gone;     /* removed since it was listed (until the listing is compacted) */
    unsigned physical; /* MGW_PHYSICAL_* bits of a Windows system store, 0 elsewhere */
} mgw_store_item;

/* The physical stores a Windows logical store is a view over. */
#define MGW_PHYSICAL_DEFAULT 0x1u     /* .Default: the store's own registry key */
#define MGW_PHYSICAL_AUTHROOT 0x2u    /* .AuthRoot: roots Windows Update put there */
#define MGW_PHYSICAL_GROUPPOLICY 0x4u /* .GroupPolicy: put there by Group Policy */
#define MGW_PHYSICAL_ENTERPRISE 0x8u  /* .Enterprise: put there by the enterprise (AD) */
#define MGW_PHYSICAL_SMARTCARD 0x10u  /* .SmartCard */

/* The bit of a physical store name (".GroupPolicy"), 0 for none known. */
unsigned mgw_physical_bit(const char *name);
/* The names of `bits`, comma-separated (".Default,.GroupPolicy"), appended. */
void mgw_physical_names(unsigned bits, mgw_dbuf *out);

/* Something in a store that is not a certificate the store can manage: it is
 * reported and left alone. */
typedef struct {
    char *name;
    char *reason;
} mgw_store_skipped;

typedef struct {
    mgw_store_item *items;
    size_t n, cap;
    mgw_store_skipped *skipped;
    size_t n_skipped, cap_skipped;
} mgw_store_listing;

/* The back-end table. Each function returns MGW_OK or an MGW_ERR_* code with
 * the detail set. */
typedef struct {
    const char *kind; /* "directory", "windows", ... */
    /* Fill an empty listing with every entry of the store. */
    int (*list)(void *be, mgw_store_listing *out);
    /* Add a certificate; *origin receives where it went (malloc'ed). */
    int (*add)(void *be, const uint8_t *der, size_t n, const uint8_t sha1[20], char **origin);
    /* Remove a listed item. MGW_ERR_STORE_CHANGED when it is no longer there
     * or no longer the certificate that was listed. */
    int (*remove)(void *be, const mgw_store_item *item);
    /* Import a PFX with its private key and confirm the key is usable; NULL
     * for back-ends that hold no keys. *der (malloc'ed) receives the
     * certificate that has the key, *origin where it went. */
    int (*import_pfx)(void *be, const uint8_t *pfx, size_t n, const char *password,
                      size_t password_len, unsigned flags, uint8_t **der, size_t *der_len,
                      char **origin);
    void (*close)(void *be);
    /* Add a certificate under `name` (PEM text when pem, else DER), never
     * over an existing entry: if the name is taken (or is no name this store
     * can use), add it as add() does and set *renamed. NULL for back-ends
     * without names of their own. */
    int (*add_named)(void *be, const uint8_t *der, size_t n, const uint8_t sha1[20],
                     const char *name, bool pem, char **origin, bool *renamed);
} mgw_store_ops;

/* Test hook (internal, never exported): called at named points of an
 * operation ("add", "remove" before each back-end call, with how many of that
 * operation this store ran before; "backup-written" once the backup is on
 * disk). A non-zero return fails the operation there with that code, as if the
 * back-end had failed. */
typedef int (*mgw_store_fault_fn)(void *ctx, const char *point, size_t nth);

struct mgw_store {
    const mgw_store_ops *ops;
    void *be;
    char *location;
    mgw_store_listing list;
    uint64_t generation; /* changes whenever the listing does */
    size_t n_added, n_removed;
    mgw_store_fault_fn fault;
    void *fault_ctx;
};

/* ---- listings (store.c) --------------------------------------------------- */

/* Parse certificate DER into an item: a copy of the DER, its SHA-1 and its
 * subject. `origin` is copied. Errors are those of mgw_cert_parse. */
int mgw_store_item_from_der(const uint8_t *der, size_t n, const char *origin, mgw_store_item *item);
void mgw_store_item_clear(mgw_store_item *item);
/* Append an item (the listing takes its content) or a skipped entry. */
int mgw_store_listing_add(mgw_store_listing *l, mgw_store_item *item);
int mgw_store_listing_skip(mgw_store_listing *l, const char *name, const char *reason);
/* Drop the items marked gone. */
void mgw_store_listing_compact(mgw_store_listing *l);
void mgw_store_listing_free(mgw_store_listing *l);

/* Walk text holding PEM blocks: `block` is called for each block with its
 * label and decoded content, `line` (may be NULL) for each line outside the
 * blocks. Line numbers are 1-based. The first non-OK return stops the walk
 * and is returned. A BEGIN without its END is MGW_ERR_PEM. */
typedef int (*mgw_pem_block_fn)(void *ctx, const char *label, const uint8_t *der, size_t n,
                                size_t lineno);
typedef int (*mgw_pem_line_fn)(void *ctx, const char *line, size_t n, size_t lineno);
int mgw_pem_walk(const uint8_t *text, size_t n, mgw_pem_block_fn block, mgw_pem_line_fn line,
                 void *ctx);

/* The certificate DER of a file's content, DER or PEM: exactly one PEM block,
 * labelled CERTIFICATE (a file that also holds a key is not a store entry).
 * On refusal the detail says why. */
int mgw_cert_file_der(const uint8_t *data, size_t n, mgw_dbuf *der);

/* Room for `need` elements of `size` bytes in `v` (capacity *cap, doubled as
 * needed): the new array, or NULL (v untouched) when memory runs out. */
void *mgw_array_grow(void *v, size_t *cap, size_t need, size_t size);

/* The next line of text[*at..n), without its line ending (LF or CRLF);
 * false at the end of the text. */
bool mgw_next_line(const uint8_t *text, size_t n, size_t *at, const char **line, size_t *len);

/* Copy up to three strings to caller buffers (mgw_free), skipping NULL
 * destinations: all of them, or none. Clears the error on success. */
int mgw_out_strings(const char *a, char **oa, const char *b, char **ob, const char *c, char **oc);

/* ---- store operations (store.c) -------------------------------------------- */

/* Open a store over a back-end that is already open (takes `be`). */
int mgw_store_attach(const mgw_store_ops *ops, void *be, const char *location, mgw_store_t **out);
/* Add a certificate and list it; *index receives its place in the listing. */
int mgw_store_add(mgw_store_t *s, const uint8_t *der, size_t n, const uint8_t sha1[20],
                  size_t *index);
/* mgw_store_add under a name of the back-end's (see add_named), as far as
 * the back-end has names; *renamed says the name was taken or unusable. */
int mgw_store_add_named(mgw_store_t *s, const uint8_t *der, size_t n, const uint8_t sha1[20],
                        const char *name, bool pem, size_t *index, bool *renamed);
/* Remove a listed item; it stays in the listing marked gone until
 * mgw_store_compact(). */
int mgw_store_remove(mgw_store_t *s, size_t index);
/* Drop the items marked gone and put the listing back in origin order
 * (indices change: call it when an operation is over). */
void mgw_store_compact(mgw_store_t *s);
void mgw_store_set_fault(mgw_store_t *s, mgw_store_fault_fn fn, void *ctx);
int mgw_store_fault_point(mgw_store_t *s, const char *point, size_t nth);

/* ---- back-ends ------------------------------------------------------------- */

/* A directory with one certificate per file (store_dir.c). */
int mgw_store_dir_open(const char *path, const mgw_store_ops **ops, void **be);
/* A Windows system store "Location\\Name" (store_win.c; system_none.c
 * elsewhere). *location receives its canonical name (malloc'ed). */
int mgw_store_system_open(const char *location_name, const mgw_store_ops **ops, void **be,
                          char **location);

#endif
