/* Memory: wiping, buffers handed to callers, and the growable buffer. */
#include "core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A volatile function pointer keeps the compiler from dropping the wipe. */
static void *(*const volatile memset_v)(void *, int, size_t) = memset;

void mgw_zeroize(void *p, size_t n)
{
    if (p != NULL && n > 0)
        memset_v(p, 0, n);
}

int mgw_ct_memcmp(const void *a, const void *b, size_t n)
{
    const volatile uint8_t *x = a, *y = b;
    uint8_t d = 0;
    for (size_t i = 0; i < n; i++)
        d |= (uint8_t)(x[i] ^ y[i]);
    return d != 0;
}

/* Caller buffers carry their size in a header so mgw_free() can wipe them. */
#define OUT_HDR 16

void *mgw_out_alloc(size_t n)
{
    if (n > SIZE_MAX - OUT_HDR - 1)
        return NULL;
    uint8_t *p = calloc(1, n + OUT_HDR + 1);
    if (p == NULL)
        return NULL;
    memcpy(p, &n, sizeof(n));
    return p + OUT_HDR;
}

MGW_API void mgw_free(void *ptr)
{
    if (ptr == NULL)
        return;
    uint8_t *p = (uint8_t *)ptr - OUT_HDR;
    size_t n;
    memcpy(&n, p, sizeof(n));
    mgw_zeroize(p, n + OUT_HDR + 1);
    free(p);
}

int mgw_out_copy(const void *src, size_t n, uint8_t **out, size_t *out_len)
{
    uint8_t *p = mgw_out_alloc(n);
    if (p == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    if (n > 0)
        memcpy(p, src, n);
    *out = p;
    if (out_len != NULL)
        *out_len = n;
    return MGW_OK;
}

int mgw_out_str(const char *s, char **out)
{
    return mgw_out_copy(s, strlen(s), (uint8_t **)out, NULL);
}

char *mgw_strndup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p == NULL)
        return NULL;
    if (n > 0)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *mgw_strdup(const char *s)
{
    return mgw_strndup(s, strlen(s));
}

void mgw_dbuf_init(mgw_dbuf *b)
{
    b->p = NULL;
    b->len = b->cap = 0;
    b->oom = false;
}

void mgw_dbuf_free(mgw_dbuf *b)
{
    if (b->p != NULL) {
        mgw_zeroize(b->p, b->cap);
        free(b->p);
    }
    mgw_dbuf_init(b);
}

int mgw_dbuf_reserve(mgw_dbuf *b, size_t extra)
{
    if (b->oom)
        return MGW_ERR_NO_MEMORY;
    if (extra <= b->cap - b->len)
        return MGW_OK;
    if (extra > SIZE_MAX / 2 - b->len) {
        b->oom = true;
        return MGW_ERR_NO_MEMORY;
    }
    size_t cap = b->cap < 64 ? 64 : b->cap;
    while (cap - b->len < extra)
        cap *= 2;
    /* malloc + copy + wipe rather than realloc: no stale copy is left. */
    uint8_t *p = malloc(cap);
    if (p == NULL) {
        b->oom = true;
        return MGW_ERR_NO_MEMORY;
    }
    if (b->p != NULL) {
        memcpy(p, b->p, b->len);
        mgw_zeroize(b->p, b->cap);
        free(b->p);
    }
    b->p = p;
    b->cap = cap;
    return MGW_OK;
}

int mgw_dbuf_put(mgw_dbuf *b, const void *p, size_t n)
{
    if (mgw_dbuf_reserve(b, n) != MGW_OK)
        return MGW_ERR_NO_MEMORY;
    if (n > 0)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    return MGW_OK;
}

int mgw_dbuf_putc(mgw_dbuf *b, uint8_t c)
{
    return mgw_dbuf_put(b, &c, 1);
}

int mgw_dbuf_puts(mgw_dbuf *b, const char *s)
{
    return mgw_dbuf_put(b, s, strlen(s));
}

int mgw_dbuf_printf(mgw_dbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return MGW_ERR_INTERNAL;
    if (mgw_dbuf_reserve(b, (size_t)n + 1) != MGW_OK)
        return MGW_ERR_NO_MEMORY;
    va_start(ap, fmt);
    vsnprintf((char *)b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return MGW_OK;
}

int mgw_dbuf_insert(mgw_dbuf *b, size_t at, const void *p, size_t n)
{
    if (at > b->len)
        return MGW_ERR_INTERNAL;
    if (mgw_dbuf_reserve(b, n) != MGW_OK)
        return MGW_ERR_NO_MEMORY;
    memmove(b->p + at + n, b->p + at, b->len - at);
    memcpy(b->p + at, p, n);
    b->len += n;
    return MGW_OK;
}

int mgw_dbuf_detach(mgw_dbuf *b, uint8_t **out, size_t *out_len)
{
    if (b->oom) {
        mgw_dbuf_free(b);
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    }
    int r = mgw_out_copy(b->p, b->len, out, out_len);
    mgw_dbuf_free(b);
    return r;
}

int mgw_dbuf_detach_str(mgw_dbuf *b, char **out)
{
    return mgw_dbuf_detach(b, (uint8_t **)out, NULL);
}

void *mgw_array_grow(void *v, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return v;
    size_t c = *cap < 16 ? 16 : *cap;
    while (c < need) {
        if (c > SIZE_MAX / 2 / size)
            return NULL;
        c *= 2;
    }
    void *p = realloc(v, c * size);
    if (p != NULL)
        *cap = c;
    return p;
}

int mgw_out_strings(const char *a, char **oa, const char *b, char **ob, const char *c, char **oc)
{
    const char *src[3] = {a, b, c};
    char **dst[3] = {oa, ob, oc};
    char *tmp[3] = {NULL, NULL, NULL};
    for (int i = 0; i < 3; i++) {
        if (dst[i] != NULL && mgw_out_str(src[i], &tmp[i]) != MGW_OK) {
            for (int k = 0; k < i; k++)
                mgw_free(tmp[k]);
            return mgw_err(MGW_ERR_NO_MEMORY, NULL);
        }
    }
    for (int i = 0; i < 3; i++)
        if (dst[i] != NULL)
            *dst[i] = tmp[i];
    mgw_err_clear();
    return MGW_OK;
}

int mgw_strv_addv(char ***v, size_t *n, const char *fmt, va_list ap)
{
    char text[1024];
    vsnprintf(text, sizeof(text), fmt, ap);
    char *copy = mgw_strdup(text);
    char **nv = copy != NULL ? realloc(*v, (*n + 1) * sizeof(*nv)) : NULL;
    if (nv == NULL) {
        free(copy);
        return MGW_ERR_NO_MEMORY;
    }
    *v = nv;
    nv[(*n)++] = copy;
    return MGW_OK;
}

int mgw_strv_out(const char *what, char *const *v, size_t n, size_t index, char **out)
{
    if (v == NULL || out == NULL || index >= n)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "%s", what);
    int r = mgw_out_str(v[index], out);
    if (r == MGW_OK)
        mgw_err_clear();
    return mgw_err_ensure(r);
}

int mgw_strv_push(char ***v, size_t *n, size_t *cap, char *name)
{
    char **nv = name != NULL ? mgw_array_grow(*v, cap, *n + 1, sizeof(*nv)) : NULL;
    if (nv == NULL) {
        free(name);
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    }
    *v = nv;
    (*v)[(*n)++] = name;
    return MGW_OK;
}

void mgw_strv_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}
