/* Registry model: keys and values, and the state a series of .reg imports
 * leaves behind. */
#include "registry/registry.h"
#include "platform/entropy.h"

#include <stdlib.h>
#include <string.h>

static int fold(int c)
{
    return c >= 'a' && c <= 'z' ? c - 32 : c;
}

bool mgw_regname_eq(const char *a, const char *b)
{
    while (*a != '\0' && fold((unsigned char)*a) == fold((unsigned char)*b))
        a++, b++;
    return *a == '\0' && *b == '\0';
}

bool mgw_regpath_within(const char *path, const char *parent)
{
    size_t n = strlen(parent);
    if (strlen(path) < n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (fold((unsigned char)path[i]) != fold((unsigned char)parent[i]))
            return false;
    return path[n] == '\0' || path[n] == '\\';
}

static void val_free(mgw_regval *v)
{
    free(v->name);
    free(v->data);
}

static void key_free(mgw_regkey *k)
{
    for (size_t i = 0; i < k->n_vals; i++)
        val_free(&k->vals[i]);
    free(k->vals);
    free(k->path);
    free(k->vslots);
}

void mgw_regdoc_init(mgw_regdoc *d)
{
    d->keys = NULL;
    d->n_keys = 0;
    d->cap_keys = 0;
}

/* Room for one more element (core's mgw_array_grow). */
static bool grow(void **arr, size_t *cap, size_t n, size_t size)
{
    void *p = mgw_array_grow(*arr, cap, n + 1, size);
    if (p == NULL)
        return false;
    *arr = p;
    return true;
}

/* FNV-1a over the ASCII-folded bytes of s (names compare without case). */
static uint64_t fold_hash(uint64_t h, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (uint64_t)fold((unsigned char)s[i]);
        h *= 0x100000001B3ull;
    }
    return h;
}

#define FNV_OFFSET 0xCBF29CE484222325ull

/* A seed for a hash index, from the entropy source (FNV's offset if that
 * fails: the index is an accelerator only), and the mixing of a hash before
 * its low bits pick a slot (FNV's low bits depend only on the low bits of
 * the seed and the bytes). So a file cannot be made of names that collide in
 * every process, making lookups linear and an import quadratic. */
static uint64_t hash_seed(void)
{
    uint8_t b[8];
    if (mgw_os_entropy(b, sizeof(b)) != 0)
        return FNV_OFFSET;
    uint64_t s = 0;
    for (size_t i = 0; i < sizeof(b); i++)
        s = s << 8 | b[i];
    return s;
}

static size_t slot_of(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDull;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ull;
    h ^= h >> 33;
    return (size_t)h;
}

/* ---- value-name index: open addressing, slots hold index + 1 ------------------ */

#define VINDEX_MIN_VALS 16

static void vindex_drop(mgw_regkey *k)
{
    free(k->vslots);
    k->vslots = NULL;
    k->n_vslots = 0;
}

static void vindex_add(mgw_regkey *k, size_t i)
{
    if (k->vals[i].name == NULL)
        return; /* removed during a merge */
    size_t mask = k->n_vslots - 1;
    size_t at = slot_of(fold_hash(k->vseed, k->vals[i].name, strlen(k->vals[i].name))) & mask;
    while (k->vslots[at] != 0)
        at = (at + 1) & mask;
    k->vslots[at] = i + 1;
}

/* (Re)build the index for n_vals values and room to grow; false when out of
 * memory (lookups then stay linear: the index is an accelerator only). */
static bool vindex_build(mgw_regkey *k)
{
    size_t n = 64;
    while (n < 2 * (k->n_vals + 1))
        n *= 2;
    size_t *slots = calloc(n, sizeof(*slots));
    if (slots == NULL)
        return false;
    free(k->vslots);
    k->vslots = slots;
    k->n_vslots = n;
    k->vseed = hash_seed();
    for (size_t i = 0; i < k->n_vals; i++)
        vindex_add(k, i);
    return true;
}

void mgw_regdoc_free(mgw_regdoc *d)
{
    for (size_t i = 0; i < d->n_keys; i++)
        key_free(&d->keys[i]);
    free(d->keys);
    mgw_regdoc_init(d);
}

mgw_regkey *mgw_regdoc_find(const mgw_regdoc *d, const char *path)
{
    for (size_t i = d->n_keys; i > 0; i--)
        if (mgw_regname_eq(d->keys[i - 1].path, path))
            return &d->keys[i - 1];
    return NULL;
}

/* Insert a section at position `at`. */
static mgw_regkey *insert_key(mgw_regdoc *d, size_t at, const char *path, bool deleted)
{
    char *p = mgw_strdup(path);
    if (p == NULL || !grow((void **)&d->keys, &d->cap_keys, d->n_keys, sizeof(*d->keys))) {
        free(p);
        return NULL;
    }
    mgw_regkey *nk = d->keys;
    memmove(&nk[at + 1], &nk[at], (d->n_keys - at) * sizeof(*nk));
    memset(&nk[at], 0, sizeof(*nk));
    nk[at].path = p;
    nk[at].deleted = deleted;
    d->n_keys++;
    return &nk[at];
}

mgw_regkey *mgw_regdoc_append(mgw_regdoc *d, const char *path, bool deleted)
{
    return insert_key(d, d->n_keys, path, deleted);
}

/* Lookups only read the index (a state may be read from several threads);
 * mgw_regkey_put builds and keeps it. */
mgw_regval *mgw_regkey_find(const mgw_regkey *k, const char *name)
{
    if (k->vslots != NULL) {
        size_t mask = k->n_vslots - 1;
        size_t at = slot_of(fold_hash(k->vseed, name, strlen(name))) & mask;
        for (; k->vslots[at] != 0; at = (at + 1) & mask) {
            const mgw_regval *v = &k->vals[k->vslots[at] - 1];
            if (v->name != NULL && mgw_regname_eq(v->name, name))
                return &k->vals[k->vslots[at] - 1];
        }
        return NULL;
    }
    for (size_t i = 0; i < k->n_vals; i++)
        if (k->vals[i].name != NULL && mgw_regname_eq(k->vals[i].name, name))
            return &k->vals[i];
    return NULL;
}

int mgw_regkey_put(mgw_regkey *k, const char *name, uint32_t type, const uint8_t *data, size_t len,
                   bool deleted)
{
    uint8_t *copy = malloc(len > 0 ? len : 1);
    if (copy == NULL)
        return MGW_ERR_NO_MEMORY;
    if (len > 0)
        memcpy(copy, data, len);
    mgw_regval *v = mgw_regkey_find(k, name);
    if (v == NULL) {
        char *nm = mgw_strdup(name);
        if (nm == NULL || !grow((void **)&k->vals, &k->cap_vals, k->n_vals, sizeof(*k->vals))) {
            free(nm);
            free(copy);
            return MGW_ERR_NO_MEMORY;
        }
        v = &k->vals[k->n_vals++];
        v->name = nm;
        v->data = NULL;
        if ((k->vslots == NULL && k->n_vals >= VINDEX_MIN_VALS) ||
            (k->vslots != NULL && 2 * (k->n_vals + 1) > k->n_vslots)) {
            if (!vindex_build(k))
                vindex_drop(k); /* lookups stay linear: slower, not wrong */
        } else if (k->vslots != NULL) {
            vindex_add(k, k->n_vals - 1);
        }
    }
    free(v->data);
    v->data = copy;
    v->len = len;
    v->type = type;
    v->deleted = deleted;
    return MGW_OK;
}

bool mgw_regval_same(const mgw_regval *a, const mgw_regval *b)
{
    return a->type == b->type && a->len == b->len &&
           (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

int mgw_regdoc_copy_key(mgw_regdoc *to, const mgw_regkey *k)
{
    mgw_regkey *c = mgw_regdoc_append(to, k->path, k->deleted);
    if (c == NULL)
        return MGW_ERR_NO_MEMORY;
    for (size_t i = 0; i < k->n_vals; i++) {
        const mgw_regval *v = &k->vals[i];
        if (mgw_regkey_put(c, v->name, v->type, v->data, v->len, v->deleted) != MGW_OK)
            return MGW_ERR_NO_MEMORY;
    }
    return MGW_OK;
}

/* ---- state ------------------------------------------------------------------ */

/* Where a new key goes: after the last key below its nearest present ancestor. */
static size_t insertion_point(const mgw_regdoc *st, const char *path)
{
    char *anc = mgw_strdup(path);
    size_t at = st->n_keys;
    if (anc == NULL)
        return at;
    for (char *bs = strrchr(anc, '\\'); bs != NULL; bs = strrchr(anc, '\\')) {
        *bs = '\0';
        size_t last = SIZE_MAX;
        for (size_t i = 0; i < st->n_keys; i++)
            if (mgw_regpath_within(st->keys[i].path, anc))
                last = i;
        if (last != SIZE_MAX) {
            at = last + 1;
            break;
        }
    }
    free(anc);
    return at;
}

mgw_regkey *mgw_regstate_key(mgw_regdoc *st, const char *path, bool create)
{
    mgw_regkey *k = mgw_regdoc_find(st, path);
    if (k != NULL || !create)
        return k;
    return insert_key(st, insertion_point(st, path), path, false);
}

int mgw_regstate_set(mgw_regdoc *st, const char *path, const mgw_regval *v)
{
    mgw_regkey *k = mgw_regstate_key(st, path, true);
    if (k == NULL)
        return MGW_ERR_NO_MEMORY;
    return mgw_regkey_put(k, v->name, v->type, v->data, v->len, false);
}

static void delete_value(mgw_regkey *k, const char *name)
{
    mgw_regval *v = mgw_regkey_find(k, name);
    if (v == NULL)
        return;
    size_t i = (size_t)(v - k->vals);
    val_free(v);
    memmove(&k->vals[i], &k->vals[i + 1], (k->n_vals - i - 1) * sizeof(*v));
    k->n_vals--;
    vindex_drop(k); /* the positions moved */
}

/* During a merge: the value goes at once for lookups, and leaves a hole in
 * the array (name NULL) that compact_values closes at the end, so that many
 * deletions from a key with many values stay linear. */
static void remove_value(mgw_regkey *k, const char *name)
{
    mgw_regval *v = mgw_regkey_find(k, name);
    if (v == NULL)
        return;
    val_free(v);
    v->name = NULL;
    v->data = NULL;
    k->holes = true;
}

static void compact_values(mgw_regkey *k)
{
    if (!k->holes)
        return;
    size_t w = 0;
    for (size_t i = 0; i < k->n_vals; i++)
        if (k->vals[i].name != NULL)
            k->vals[w++] = k->vals[i];
    k->n_vals = w;
    k->holes = false;
    if (k->vslots != NULL && (k->n_vals < VINDEX_MIN_VALS || !vindex_build(k)))
        vindex_drop(k); /* the positions moved */
}

int mgw_regstate_delete_value(mgw_regdoc *st, const char *path, const char *name)
{
    mgw_regkey *k = mgw_regdoc_find(st, path);
    if (k != NULL)
        delete_value(k, name);
    return MGW_OK;
}

int mgw_regstate_delete_key(mgw_regdoc *st, const char *path)
{
    size_t w = 0;
    for (size_t i = 0; i < st->n_keys; i++) {
        if (mgw_regpath_within(st->keys[i].path, path))
            key_free(&st->keys[i]);
        else
            st->keys[w++] = st->keys[i];
    }
    st->n_keys = w;
    return MGW_OK;
}

/* ---- merging a document into a state ------------------------------------------ */

/*
 * mgw_regstate_merge does what the functions above do one by one, in
 * O(n log n) rather than O(n^2) for n keys (an export of a whole hive has
 * hundreds of thousands): the keys live in a list ordered by labels, key paths
 * in a trie of their parts, and each trie node knows the last key at or below
 * it, which is where a new key below it goes.
 */

typedef struct mnode mnode;
typedef struct tnode tnode;

struct mnode {
    mgw_regkey key;
    mnode *prev, *next;
    uint64_t label; /* increasing along the list */
    tnode *t;
    bool dead;
};

struct tnode {
    tnode *parent, *child, *sibling;
    mnode *own;  /* the key with this path, or NULL */
    mnode *last; /* the last key at or below this path, or NULL */
    bool linked; /* in its parent's child list (nodes with no key drop out) */
    size_t len;
    char part[]; /* one part of the path as written */
};

typedef struct {
    mnode head; /* sentinel of the circular list */
    size_t n;
    tnode **slots; /* hash of (parent, folded part) */
    size_t n_slots, n_tnodes;
    tnode **all; /* every trie node, to free them */
    size_t cap_all;
    uint64_t seed; /* of the hash (hash_seed) */
} order;

#define LABEL_STEP (1ull << 32)

static size_t tnode_hash(const order *o, const tnode *parent, const char *part, size_t len)
{
    uint64_t h = o->seed ^ ((uint64_t)(uintptr_t)parent * 0x9E3779B97F4A7C15ull);
    return slot_of(fold_hash(h, part, len));
}

static bool same_part(const char *a, size_t an, const char *b, size_t bn)
{
    if (an != bn)
        return false;
    for (size_t i = 0; i < an; i++)
        if (fold((unsigned char)a[i]) != fold((unsigned char)b[i]))
            return false;
    return true;
}

static void slot_put(order *o, tnode *t)
{
    size_t mask = o->n_slots - 1;
    size_t at = tnode_hash(o, t->parent, t->part, t->len) & mask;
    while (o->slots[at] != NULL)
        at = (at + 1) & mask;
    o->slots[at] = t;
}

static bool slots_grow(order *o)
{
    size_t n = o->n_slots < 64 ? 64 : o->n_slots * 2;
    tnode **slots = calloc(n, sizeof(*slots));
    if (slots == NULL)
        return false;
    free(o->slots);
    o->slots = slots;
    o->n_slots = n;
    for (size_t i = 0; i < o->n_tnodes; i++)
        slot_put(o, o->all[i]);
    return true;
}

/* The trie node of `path`, created with its ancestors when `create`; NULL
 * when absent (or out of memory, which *oom tells). */
static tnode *trie_get(order *o, const char *path, bool create, bool *oom)
{
    tnode *cur = NULL;
    for (const char *p = path;;) {
        const char *bs = strchr(p, '\\');
        size_t len = bs != NULL ? (size_t)(bs - p) : strlen(p);
        tnode *found = NULL;
        if (o->n_slots > 0) {
            size_t mask = o->n_slots - 1;
            for (size_t at = tnode_hash(o, cur, p, len) & mask; o->slots[at] != NULL;
                 at = (at + 1) & mask) {
                tnode *t = o->slots[at];
                if (t->parent == cur && same_part(t->part, t->len, p, len)) {
                    found = t;
                    break;
                }
            }
        }
        if (found == NULL) {
            if (!create)
                return NULL;
            if ((2 * (o->n_tnodes + 1) > o->n_slots && !slots_grow(o)) ||
                !grow((void **)&o->all, &o->cap_all, o->n_tnodes, sizeof(*o->all)) ||
                (found = calloc(1, sizeof(*found) + len + 1)) == NULL) {
                *oom = true;
                return NULL;
            }
            found->parent = cur;
            found->len = len;
            memcpy(found->part, p, len);
            if (cur != NULL) {
                found->sibling = cur->child;
                cur->child = found;
                found->linked = true;
            }
            o->all[o->n_tnodes++] = found;
            slot_put(o, found);
        }
        cur = found;
        if (bs == NULL)
            return cur;
        p = bs + 1;
    }
}

static void relabel(order *o)
{
    uint64_t step = o->n < (UINT64_MAX / LABEL_STEP) - 2 ? LABEL_STEP : UINT64_MAX / (o->n + 2);
    uint64_t l = 0;
    for (mnode *m = o->head.next; m != &o->head; m = m->next)
        m->label = (l += step);
}

/* Put nn into the list after x (x may be the head: first place). */
static void list_insert_after(order *o, mnode *x, mnode *nn)
{
    for (int attempt = 0;; attempt++) {
        uint64_t lo = x == &o->head ? 0 : x->label;
        if (x->next == &o->head) {
            if (lo < UINT64_MAX - LABEL_STEP) {
                nn->label = lo + LABEL_STEP;
                break;
            }
        } else if (x->next->label - lo >= 2) {
            /* a small step rather than the middle: the next key below the
             * same ancestor comes after this one, and finds room there */
            uint64_t half = (x->next->label - lo) / 2;
            nn->label = lo + (half < LABEL_STEP / 256 ? half : LABEL_STEP / 256);
            break;
        }
        relabel(o); /* no room between x and its successor: spread all labels out */
        if (attempt > 0) {
            nn->label = lo + 1; /* cannot happen with fewer than 2^63 keys */
            break;
        }
    }
    nn->prev = x;
    nn->next = x->next;
    x->next->prev = nn;
    x->next = nn;
    o->n++;
}

/* A new key at the end of the subtree of its nearest ancestor that holds any
 * key, else at the end (what insertion_point does in one pass). */
static mnode *order_add(order *o, mgw_regdoc *st, const char *path, const mgw_regkey *move)
{
    bool oom = false;
    /* room in the array the list goes back into: the result cannot fail later */
    if (!grow((void **)&st->keys, &st->cap_keys, o->n, sizeof(*st->keys)))
        return NULL;
    tnode *t = trie_get(o, path, true, &oom);
    mnode *nn = t != NULL ? calloc(1, sizeof(*nn)) : NULL;
    char *p = nn != NULL && move == NULL ? mgw_strdup(path) : NULL;
    if (nn == NULL || (move == NULL && p == NULL)) {
        free(nn);
        return NULL;
    }
    if (move != NULL) {
        nn->key = *move;
    } else {
        nn->key.path = p;
    }
    mnode *after = o->head.prev;
    if (move == NULL)
        for (tnode *a = t->parent; a != NULL; a = a->parent)
            if (a->last != NULL) {
                after = a->last;
                break;
            }
    list_insert_after(o, after, nn);
    nn->t = t;
    t->own = nn;
    for (tnode *a = t; a != NULL; a = a->parent) {
        if (!a->linked && a->parent != NULL) { /* back in its parent's child list */
            a->sibling = a->parent->child;
            a->parent->child = a;
            a->linked = true;
        }
        if (a->last == NULL || a->last->label < nn->label)
            a->last = nn;
    }
    return nn;
}

static mnode *order_find(order *o, const char *path)
{
    bool oom = false;
    tnode *t = trie_get(o, path, false, &oom);
    return t != NULL ? t->own : NULL;
}

/* The first node of a child list (from *link on) with a key at or below it;
 * nodes without one are taken out of the list on the way (order_add puts
 * them back), so that each is passed over once, not at every deletion. */
static tnode *first_live(tnode **link)
{
    while (*link != NULL && (*link)->last == NULL) {
        tnode *dead = *link;
        *link = dead->sibling;
        dead->sibling = NULL;
        dead->linked = false;
    }
    return *link;
}

/* The next trie node after u in preorder within top's subtree, passing over
 * nodes with no key at or below them. */
static tnode *next_live(tnode *u, const tnode *top)
{
    tnode *c = first_live(&u->child);
    if (c != NULL)
        return c;
    for (; u != top; u = u->parent)
        if ((c = first_live(&u->sibling)) != NULL)
            return c;
    return NULL;
}

static size_t tnode_depth(const tnode *t)
{
    size_t d = 0;
    for (; t != NULL; t = t->parent)
        d++;
    return d;
}

/* The nearest common ancestor of a and b (NULL: none, different roots). */
static const tnode *common_ancestor(const tnode *a, const tnode *b)
{
    size_t da = tnode_depth(a), db = tnode_depth(b);
    for (; da > db; da--)
        a = a->parent;
    for (; db > da; db--)
        b = b->parent;
    while (a != b)
        a = a->parent, b = b->parent;
    return a;
}

/* Remove every key at or below `path`. */
static void order_delete(order *o, const char *path)
{
    bool oom = false;
    tnode *top = trie_get(o, path, false, &oom);
    if (top == NULL || top->last == NULL)
        return;
    for (tnode *u = top; u != NULL; u = next_live(u, top))
        if (u->own != NULL) {
            u->own->dead = true;
            u->own->prev->next = u->own->next;
            u->own->next->prev = u->own->prev;
            o->n--;
        }
    /* ancestors whose last key went: the greatest of their own key and their
     * children's (an ancestor whose last key stays keeps it, and so do all
     * above it) */
    mnode *gone = NULL, *before = NULL;
    const tnode *lca = NULL;
    bool below = false; /* `before` lies below the ancestor a */
    for (tnode *a = top->parent; a != NULL && a->last != NULL && a->last->dead; a = a->parent) {
        /* No key below a comes after its last one, which goes: the nearest
         * remaining key in front of it, when it lies below a, is the greatest
         * left (deleting siblings from the last one back stays linear). The
         * unlinked keys still point back at their neighbours. */
        if (a->last != gone) {
            gone = a->last;
            for (before = gone->prev; before != &o->head && before->dead; before = before->prev)
                ;
            lca = before != &o->head ? common_ancestor(before->t, top) : NULL;
            /* both are above top: a lies at or above lca when lca is deeper */
            below = lca != NULL && tnode_depth(lca) >= tnode_depth(a);
        }
        below = below || a == lca;
        if (below) {
            a->last = before;
            continue;
        }
        /* Children without a key left are unlinked on the way (first_live),
         * so that each is passed over once, not at every deletion below a. */
        mnode *best = a->own;
        for (tnode **l = &a->child; first_live(l) != NULL; l = &(*l)->sibling) {
            const tnode *c = *l;
            if (!c->last->dead && (best == NULL || c->last->label > best->label))
                best = c->last;
        }
        a->last = best;
    }
    for (tnode *u = top, *next; u != NULL; u = next) {
        next = next_live(u, top);
        if (u->own != NULL) {
            key_free(&u->own->key);
            free(u->own);
            u->own = NULL;
        }
        u->last = NULL;
    }
}

static void order_free_trie(order *o)
{
    for (size_t k = 0; k < o->n_tnodes; k++)
        free(o->all[k]);
    free(o->all);
    free(o->slots);
}

/* Back into the array, in list order, and free the rest. */
static void order_finish(order *o, mgw_regdoc *st)
{
    size_t i = 0;
    for (mnode *m = o->head.next, *next; m != &o->head; m = next) {
        next = m->next;
        compact_values(&m->key);
        st->keys[i++] = m->key;
        free(m);
    }
    st->n_keys = i;
    order_free_trie(o);
}

int mgw_regstate_merge(mgw_regdoc *st, const mgw_regdoc *reg)
{
    order o;
    memset(&o, 0, sizeof(o));
    o.head.next = o.head.prev = &o.head;
    o.seed = hash_seed();
    int r = MGW_OK;
    size_t moved = 0;
    for (; moved < st->n_keys; moved++)
        if (order_add(&o, st, st->keys[moved].path, &st->keys[moved]) == NULL)
            break;
    if (moved < st->n_keys) {
        /* out of memory while taking the state over: the list holds copies of
         * a prefix of the array, which still has every key; drop the copies */
        for (mnode *m = o.head.next, *next; m != &o.head; m = next) {
            next = m->next;
            free(m);
        }
        order_free_trie(&o);
        return MGW_ERR_NO_MEMORY;
    }
    for (size_t i = 0; i < reg->n_keys && r == MGW_OK; i++) {
        const mgw_regkey *k = &reg->keys[i];
        if (k->deleted) {
            order_delete(&o, k->path);
            continue;
        }
        mnode *m = order_find(&o, k->path);
        if (m == NULL && (m = order_add(&o, st, k->path, NULL)) == NULL)
            r = MGW_ERR_NO_MEMORY;
        for (size_t j = 0; j < k->n_vals && r == MGW_OK; j++) {
            const mgw_regval *v = &k->vals[j];
            if (v->deleted)
                remove_value(&m->key, v->name);
            else
                r = mgw_regkey_put(&m->key, v->name, v->type, v->data, v->len, false);
        }
    }
    order_finish(&o, st);
    return r;
}

int mgw_regstate_extract(const mgw_regdoc *st, const char *const *paths, size_t n, mgw_regdoc *out)
{
    for (size_t i = 0; i < st->n_keys; i++) {
        bool wanted = false;
        for (size_t j = 0; j < n && !wanted; j++)
            wanted = mgw_regpath_within(st->keys[i].path, paths[j]);
        if (wanted && mgw_regdoc_copy_key(out, &st->keys[i]) != MGW_OK)
            return MGW_ERR_NO_MEMORY;
    }
    return MGW_OK;
}
