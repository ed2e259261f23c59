/* Human-readable and JSON descriptions of a certificate. */
#include "cert/cert.h"
#include "core/json.h"

#include <string.h>

static const struct {
    const char *name, *oid;
} eku_names[] = {
    {"clientAuth", "1.3.6.1.5.5.7.3.2"},      {"serverAuth", "1.3.6.1.5.5.7.3.1"},
    {"codeSigning", "1.3.6.1.5.5.7.3.3"},     {"emailProtection", "1.3.6.1.5.5.7.3.4"},
    {"timeStamping", "1.3.6.1.5.5.7.3.8"},    {"OCSPSigning", "1.3.6.1.5.5.7.3.9"},
    {"smartcardLogon", "1.3.6.1.4.1.311.20.2.2"},
};

const char *mgw_eku_name(const char *oid)
{
    for (size_t i = 0; i < sizeof(eku_names) / sizeof(eku_names[0]); i++)
        if (strcmp(eku_names[i].oid, oid) == 0)
            return eku_names[i].name;
    return NULL;
}

const char *mgw_eku_oid(const char *name_or_oid)
{
    for (size_t i = 0; i < sizeof(eku_names) / sizeof(eku_names[0]); i++)
        if (strcmp(eku_names[i].name, name_or_oid) == 0 ||
            strcmp(eku_names[i].oid, name_or_oid) == 0)
            return eku_names[i].oid;
    return NULL;
}

static const char *san_type_name(int t)
{
    switch (t) {
    case MGW_SAN_UPN: return "upn";
    case MGW_SAN_EMAIL: return "email";
    case MGW_SAN_DNS: return "dns";
    case MGW_SAN_URI: return "uri";
    case MGW_SAN_IP: return "ip";
    default: return "other";
    }
}

static const char *key_type_name(int t)
{
    switch (t) {
    case MGW_KEY_RSA2048:
    case MGW_KEY_RSA3072:
    case MGW_KEY_RSA4096:
    case MGW_KEY_RSA_OTHER: return "RSA";
    case MGW_KEY_P256: return "EC P-256";
    case MGW_KEY_P384: return "EC P-384";
    default: return "unknown";
    }
}

static const char *const ku_names[9] = {"digitalSignature", "nonRepudiation", "keyEncipherment",
                                        "dataEncipherment", "keyAgreement",   "keyCertSign",
                                        "cRLSign",          "encipherOnly",   "decipherOnly"};

static bool ku_bit(int ku, int i)
{
    return i < 8 ? (ku & (0x80 >> i)) != 0 : (ku & 0x8000) != 0;
}

typedef struct {
    char *subject, *issuer, *serial, *sha1, *sha256;
    char nb[21], na[21];
    int ktype, kbits;
} facts;

static void facts_free(facts *f)
{
    mgw_free(f->subject);
    mgw_free(f->issuer);
    mgw_free(f->serial);
    mgw_free(f->sha1);
    mgw_free(f->sha256);
}

static int facts_get(const mgw_cert_t *c, facts *f)
{
    memset(f, 0, sizeof(*f));
    int r;
    if ((r = mgw_cert_subject(c, &f->subject)) != MGW_OK ||
        (r = mgw_cert_issuer(c, &f->issuer)) != MGW_OK ||
        (r = mgw_cert_serial(c, &f->serial)) != MGW_OK ||
        (r = mgw_cert_thumbprint(c, MGW_DIGEST_SHA1, &f->sha1)) != MGW_OK ||
        (r = mgw_cert_thumbprint(c, MGW_DIGEST_SHA256, &f->sha256)) != MGW_OK ||
        (r = mgw_cert_key_info(c, &f->ktype, &f->kbits)) != MGW_OK) {
        facts_free(f);
        return r;
    }
    mgw_time_iso(c->not_before, f->nb);
    mgw_time_iso(c->not_after, f->na);
    return MGW_OK;
}

static void describe_text(const mgw_cert_t *c, const facts *f, mgw_dbuf *b)
{
    mgw_dbuf_printf(b, "Subject:        %s\n", f->subject);
    mgw_dbuf_printf(b, "Issuer:         %s\n", f->issuer);
    mgw_dbuf_printf(b, "Serial:         %s\n", f->serial);
    mgw_dbuf_printf(b, "Not before:     %s\n", f->nb);
    mgw_dbuf_printf(b, "Not after:      %s\n", f->na);
    mgw_dbuf_printf(b, "Key:            %s %d bits\n", key_type_name(f->ktype), f->kbits);
    mgw_dbuf_printf(b, "CA:             %s", c->is_ca ? "yes" : "no");
    if (c->is_ca && c->pathlen >= 0)
        mgw_dbuf_printf(b, " (pathlen %d)", c->pathlen);
    mgw_dbuf_puts(b, "\n");
    if (c->key_usage >= 0) {
        mgw_dbuf_puts(b, "Key usage:      ");
        for (int i = 0, first = 1; i < 9; i++)
            if (ku_bit(c->key_usage, i)) {
                mgw_dbuf_printf(b, "%s%s", first ? "" : ", ", ku_names[i]);
                first = 0;
            }
        mgw_dbuf_puts(b, "\n");
    }
    for (size_t i = 0; i < c->n_ekus; i++) {
        const char *name = mgw_eku_name(c->ekus[i]);
        mgw_dbuf_printf(b, "EKU:            %s%s%s%s\n", name ? name : c->ekus[i], name ? " (" : "",
                        name ? c->ekus[i] : "", name ? ")" : "");
    }
    for (size_t i = 0; i < c->n_sans; i++)
        mgw_dbuf_printf(b, "SAN %-10s  %s\n", san_type_name(c->sans[i].type), c->sans[i].value);
    mgw_dbuf_printf(b, "SHA-1:          %s\n", f->sha1);
    mgw_dbuf_printf(b, "SHA-256:        %s\n", f->sha256);
}

static void describe_json(const mgw_cert_t *c, const facts *f, mgw_dbuf *b)
{
    mgw_dbuf_putc(b, '{');
    mgw_json_field(b, "subject", f->subject, true);
    mgw_json_field(b, "issuer", f->issuer, true);
    mgw_json_field(b, "serial", f->serial, true);
    mgw_json_field(b, "not_before", f->nb, true);
    mgw_json_field(b, "not_after", f->na, true);
    mgw_dbuf_printf(b, "\"not_before_unix\":%lld,\"not_after_unix\":%lld,",
                    (long long)c->not_before, (long long)c->not_after);
    mgw_dbuf_puts(b, "\"key\":{");
    mgw_json_field(b, "type", key_type_name(f->ktype), true);
    mgw_dbuf_printf(b, "\"bits\":%d},", f->kbits);
    mgw_dbuf_printf(b, "\"is_ca\":%s,", c->is_ca ? "true" : "false");
    if (c->pathlen >= 0)
        mgw_dbuf_printf(b, "\"pathlen\":%d,", c->pathlen);
    mgw_dbuf_puts(b, "\"key_usage\":[");
    for (int i = 0, first = 1; c->key_usage >= 0 && i < 9; i++)
        if (ku_bit(c->key_usage, i)) {
            if (!first)
                mgw_dbuf_putc(b, ',');
            mgw_json_str(b, ku_names[i]);
            first = 0;
        }
    mgw_dbuf_puts(b, "],\"eku\":[");
    for (size_t i = 0; i < c->n_ekus; i++) {
        const char *name = mgw_eku_name(c->ekus[i]);
        mgw_dbuf_puts(b, i ? ",{" : "{");
        mgw_json_field(b, "oid", c->ekus[i], name != NULL);
        if (name != NULL)
            mgw_json_field(b, "name", name, false);
        mgw_dbuf_putc(b, '}');
    }
    mgw_dbuf_puts(b, "],\"san\":[");
    for (size_t i = 0; i < c->n_sans; i++) {
        mgw_dbuf_puts(b, i ? ",{" : "{");
        mgw_json_field(b, "type", san_type_name(c->sans[i].type), true);
        mgw_json_field(b, "value", c->sans[i].value, false);
        mgw_dbuf_putc(b, '}');
    }
    mgw_dbuf_puts(b, "],");
    mgw_json_field(b, "thumbprint_sha1", f->sha1, true);
    mgw_json_field(b, "thumbprint_sha256", f->sha256, false);
    mgw_dbuf_puts(b, "}\n");
}

/* A writer of mgw_describe (core/json.h): the facts, then the text or JSON. */
static int describe_form(const mgw_cert_t *c, mgw_dbuf *b, bool json)
{
    facts f;
    int r = facts_get(c, &f);
    if (r != MGW_OK)
        return r;
    if (json)
        describe_json(c, &f, b);
    else
        describe_text(c, &f, b);
    facts_free(&f);
    return MGW_OK;
}

static int write_text(const void *obj, mgw_dbuf *b)
{
    return describe_form(obj, b, false);
}

static int write_json(const void *obj, mgw_dbuf *b)
{
    return describe_form(obj, b, true);
}

MGW_API int mgw_cert_describe(const mgw_cert_t *c, int style, char **out)
{
    return mgw_describe("mgw_cert_describe", c, style, write_text, write_json, out);
}
