/* Accessors, descriptions and re-encryption of a parsed PFX. */
#include "pfx/pfx.h"

#include "core/json.h"

#include <string.h>

MGW_API uint32_t mgw_pfx_max_iterations(void)
{
    return MGW_PFX_MAX_ITERATIONS;
}

static int copy_cert(const mgw_cert_t *c, mgw_cert_t **out)
{
    int r = mgw_cert_from_der(c->der, c->der_len, out);
    if (r == MGW_OK)
        mgw_err_clear();
    return r;
}

MGW_API int mgw_pfx_key(const mgw_pfx_t *p, mgw_key_t **out)
{
    if (p == NULL || out == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_pfx_key: NULL argument");
    if (p->key == NULL)
        return mgw_err(MGW_ERR_PFX_NO_KEY, "the PFX holds no private key");
    mgw_dbuf pki;
    mgw_dbuf_init(&pki);
    mgw_key_t *k = mgw_key_new();
    int r = k == NULL ? mgw_err(MGW_ERR_NO_MEMORY, NULL)
                      : mgw_pkcs8_wrap((mbedtls_pk_context *)&p->key->pk, &pki);
    if (r == MGW_OK)
        r = mgw_key_load(k, pki.p, pki.len, NULL, 0);
    mgw_dbuf_free(&pki);
    if (r != MGW_OK) {
        mgw_key_free(&k);
        return r;
    }
    *out = k;
    return MGW_OK;
}

MGW_API int mgw_pfx_cert(const mgw_pfx_t *p, mgw_cert_t **out)
{
    if (p == NULL || out == NULL || p->leaf == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_pfx_cert: NULL argument");
    return copy_cert(p->leaf, out);
}

MGW_API size_t mgw_pfx_extra_cert_count(const mgw_pfx_t *p)
{
    return p == NULL ? 0 : p->n_others;
}

MGW_API int mgw_pfx_extra_cert(const mgw_pfx_t *p, size_t i, mgw_cert_t **out)
{
    if (p == NULL || out == NULL || i >= p->n_others)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_pfx_extra_cert: bad argument");
    return copy_cert(p->others[i], out);
}

MGW_API int mgw_pfx_friendly_name(const mgw_pfx_t *p, char **out)
{
    if (p == NULL || out == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_pfx_friendly_name: NULL argument");
    if (p->friendly_name == NULL)
        return mgw_err(MGW_ERR_NOT_FOUND, "the PFX has no friendlyName");
    int r = mgw_out_str(p->friendly_name, out);
    if (r == MGW_OK)
        mgw_err_clear();
    return r;
}

MGW_API int mgw_pfx_algorithm(const mgw_pfx_t *p, int part, char **name, uint32_t *iterations)
{
    if (p == NULL || name == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_pfx_algorithm: NULL argument");
    const char *n;
    uint32_t it;
    switch (part) {
    case MGW_PFX_PART_KEY: n = p->key_alg[0] ? p->key_alg : "none", it = p->key_iterations; break;
    case MGW_PFX_PART_CERTS: n = p->cert_alg, it = p->cert_iterations; break;
    case MGW_PFX_PART_MAC: n = p->mac_alg, it = p->mac_iterations; break;
    default: return mgw_err(MGW_ERR_INVALID_ARGUMENT, "unknown PFX part %d", part);
    }
    int r = mgw_out_str(n, name);
    if (r == MGW_OK) {
        if (iterations != NULL)
            *iterations = it;
        mgw_err_clear();
    }
    return r;
}

static const char *key_spec_name(int spec)
{
    return spec == MGW_PFX_KEYSPEC_EXCHANGE    ? "exchange"
           : spec == MGW_PFX_KEYSPEC_SIGNATURE ? "signature"
                                                : "none";
}

static void cert_line(mgw_dbuf *b, const mgw_cert_t *c, bool json)
{
    char *subject = NULL, *tp = NULL, nb[21], na[21];
    /* "?" stands for what does not decode; out of memory fails the description */
    if (mgw_cert_subject(c, &subject) == MGW_ERR_NO_MEMORY ||
        mgw_cert_thumbprint(c, MGW_DIGEST_SHA1, &tp) == MGW_ERR_NO_MEMORY)
        b->oom = true;
    mgw_time_iso(c->not_before, nb);
    mgw_time_iso(c->not_after, na);
    const char *s = subject != NULL ? subject : "?", *t = tp != NULL ? tp : "?";
    if (json) {
        mgw_dbuf_puts(b, "{\"subject\":");
        mgw_json_str(b, s);
        mgw_dbuf_printf(b, ",\"thumbprint_sha1\":\"%s\",\"not_before\":\"%s\",\"not_after\":\"%s\"}",
                        t, nb, na);
    } else {
        mgw_dbuf_printf(b, "  %s\n    SHA-1 %s, valid %s to %s\n", s, t, nb, na);
    }
    mgw_free(subject);
    mgw_free(tp);
}

static const char *key_name(const mgw_pfx_t *p, char *buf, size_t n)
{
    if (p->key == NULL)
        return "none";
    int t = mgw_key_type(p->key), bits = mgw_key_bits(p->key);
    snprintf(buf, n, "%s %d", t == MGW_KEY_P256 || t == MGW_KEY_P384 ? "EC" : "RSA", bits);
    return buf;
}

static void describe_json(const mgw_pfx_t *p, mgw_dbuf *b)
{
    char kbuf[32], hex[129];
    mgw_dbuf_printf(b, "{\"mac\":{\"algorithm\":\"%s\",\"iterations\":%lu,\"salt_length\":%zu},",
                    p->mac_alg, (unsigned long)p->mac_iterations, p->mac_salt_len);
    mgw_dbuf_printf(b, "\"key_bag\":{\"algorithm\":\"%s\",\"iterations\":%lu},",
                    p->key_alg[0] ? p->key_alg : "none", (unsigned long)p->key_iterations);
    mgw_dbuf_printf(b, "\"cert_bags\":{\"algorithm\":\"%s\",\"iterations\":%lu},", p->cert_alg,
                    (unsigned long)p->cert_iterations);
    mgw_dbuf_printf(b, "\"password\":\"%s\",", p->null_password ? "none" : "given");
    mgw_dbuf_puts(b, "\"friendly_name\":");
    if (p->friendly_name != NULL)
        mgw_json_str(b, p->friendly_name);
    else
        mgw_dbuf_puts(b, "null");
    mgw_hex_upper(p->local_key_id, p->local_key_id_len, hex);
    mgw_dbuf_printf(b, ",\"local_key_id\":\"%s\",\"key\":\"%s\",\"key_spec\":\"%s\",", hex,
                    key_name(p, kbuf, sizeof(kbuf)), key_spec_name(p->key_spec));
    mgw_dbuf_puts(b, "\"csp\":");
    if (p->csp_name != NULL)
        mgw_json_str(b, p->csp_name);
    else
        mgw_dbuf_puts(b, "null");
    mgw_dbuf_printf(b, ",\"machine_keyset\":%s,\"certificate\":", p->machine_keyset ? "true" : "false");
    cert_line(b, p->leaf, true);
    mgw_dbuf_puts(b, ",\"chain\":[");
    for (size_t i = 0; i < p->n_others; i++) {
        if (i > 0)
            mgw_dbuf_putc(b, ',');
        cert_line(b, p->others[i], true);
    }
    mgw_dbuf_puts(b, "]}\n");
}

static void describe_text(const mgw_pfx_t *p, mgw_dbuf *b)
{
    char kbuf[32], hex[129];
    mgw_dbuf_printf(b, "MAC:              %s, %lu iterations, %zu-byte salt\n", p->mac_alg,
                    (unsigned long)p->mac_iterations, p->mac_salt_len);
    mgw_dbuf_printf(b, "Key bag:          %s, %lu iterations\n", p->key_alg[0] ? p->key_alg : "none",
                    (unsigned long)p->key_iterations);
    mgw_dbuf_printf(b, "Certificate bags: %s, %lu iterations\n", p->cert_alg,
                    (unsigned long)p->cert_iterations);
    if (p->null_password)
        mgw_dbuf_puts(b, "Password:         none (opened with no password)\n");
    mgw_dbuf_printf(b, "Friendly name:    %s\n", p->friendly_name ? p->friendly_name : "(none)");
    mgw_hex_upper(p->local_key_id, p->local_key_id_len, hex);
    mgw_dbuf_printf(b, "Local key ID:     %s\n", p->local_key_id_len ? hex : "(none)");
    mgw_dbuf_printf(b, "Key:              %s (KeySpec %s)\n", key_name(p, kbuf, sizeof(kbuf)),
                    key_spec_name(p->key_spec));
    if (p->csp_name != NULL)
        mgw_dbuf_printf(b, "CSP:              %s\n", p->csp_name);
    if (p->machine_keyset)
        mgw_dbuf_puts(b, "Key set:          LocalMachine\n");
    mgw_dbuf_puts(b, "Certificate:\n");
    cert_line(b, p->leaf, false);
    if (p->n_others > 0)
        mgw_dbuf_puts(b, "Chain:\n");
    for (size_t i = 0; i < p->n_others; i++)
        cert_line(b, p->others[i], false);
}

static int pfx_text(const void *obj, mgw_dbuf *b)
{
    describe_text(obj, b);
    return MGW_OK;
}

static int pfx_json(const void *obj, mgw_dbuf *b)
{
    describe_json(obj, b);
    return MGW_OK;
}

MGW_API int mgw_pfx_describe(const mgw_pfx_t *p, int style, char **out)
{
    return mgw_describe("mgw_pfx_describe", p, style, pfx_text, pfx_json, out);
}

MGW_API int mgw_pfx_convert(const mgw_pfx_t *src, const mgw_pfxopts_t *o, const char *password,
                            size_t password_len, uint8_t **out, size_t *out_len)
{
    if (src == NULL || o == NULL || out == NULL || out_len == NULL)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_pfx_convert: NULL argument");
    if (src->key == NULL)
        return mgw_err(MGW_ERR_PFX_NO_KEY, "the PFX holds no private key to re-encrypt");
    mgw_password pw;
    int r = mgw_pfx_password(password, password_len, &pw);
    if (r != MGW_OK)
        return r;
    /* Keep what the source carried unless the options say otherwise. */
    mgw_cert_t **chain = calloc(o->n_chain + src->n_others + 1, sizeof(*chain));
    if (chain == NULL)
        return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    size_t n = 0;
    for (size_t i = 0; i < src->n_others; i++)
        chain[n++] = src->others[i];
    for (size_t i = 0; i < o->n_chain; i++)
        chain[n++] = o->chain[i];
    const char *friendly = o->friendly_name_set ? o->friendly_name : src->friendly_name;
    mgw_pfx_content c = {
        .leaf = src->leaf,
        .key = src->key,
        .chain = chain,
        .n_chain = n,
        .friendly = friendly != NULL && friendly[0] != '\0' ? friendly : NULL,
        .csp = o->csp_name != NULL ? o->csp_name : src->csp_name,
        .key_spec = o->key_spec != MGW_PFX_KEYSPEC_NONE ? o->key_spec : src->key_spec,
        .machine_keyset = o->machine_keyset || src->machine_keyset,
        .keyid = o->local_key_id_len > 0 ? o->local_key_id : src->local_key_id,
        .keyid_len = o->local_key_id_len > 0 ? o->local_key_id_len : src->local_key_id_len,
    };
    r = mgw_pfx_encode_out(o, &c, &pw, out, out_len);
    free(chain);
    return r;
}
