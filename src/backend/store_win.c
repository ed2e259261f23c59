/*
 * The Windows certificate store back-end (crypt32): system stores of the
 * local machine or the current user, behind the same table as the directory
 * store, so that plans, prune, restore and backups are shared. Certificates
 * are added without duplicates (CERT_STORE_ADD_NEW), removed by SHA-1 only
 * when they are still the listed certificate, and PFX files are imported with
 * their private key (PFXImportCertStore), which is then acquired through the
 * certificate and compared with the certificate's public key.
 */
#include "crypto/digest.h"
#include "store/store.h"
#include "platform/win.h"

#include <wincrypt.h>
#include <ncrypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    HCERTSTORE store;
    bool machine;
    bool root;    /* the Root store, which has .AuthRoot and .SmartCard too */
    DWORD where;  /* CERT_SYSTEM_STORE_LOCAL_MACHINE or _CURRENT_USER */
    wchar_t *name; /* "Root" */
    char *prefix; /* "Cert:\\LocalMachine\\Root\\" */
} win_store;

static const struct {
    const char *name;
    DWORD flag;
} locations[] = {{"LocalMachine", CERT_SYSTEM_STORE_LOCAL_MACHINE},
                 {"CurrentUser", CERT_SYSTEM_STORE_CURRENT_USER}};
static const char *const store_names[] = {"Root", "CA", "My", "ClientAuthIssuer", "TrustedPeople"};

static bool same_word(const char *a, size_t n, const char *b)
{
    if (strlen(b) != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char x = a[i] >= 'A' && a[i] <= 'Z' ? (char)(a[i] + 32) : a[i];
        char y = b[i] >= 'A' && b[i] <= 'Z' ? (char)(b[i] + 32) : b[i];
        if (x != y)
            return false;
    }
    return true;
}

/* "LocalMachine\Root" -> indices into the tables above. */
static int parse_name(const char *text, size_t *loc, size_t *name)
{
    const char *sep = strpbrk(text, "\\/");
    size_t n = sizeof(locations) / sizeof(locations[0]);
    *loc = *name = SIZE_MAX;
    for (size_t i = 0; sep != NULL && i < n; i++)
        if (same_word(text, (size_t)(sep - text), locations[i].name))
            *loc = i;
    for (size_t i = 0; *loc != SIZE_MAX && i < sizeof(store_names) / sizeof(store_names[0]); i++)
        if (same_word(sep + 1, strlen(sep + 1), store_names[i]))
            *name = i;
    if (*loc == SIZE_MAX || *name == SIZE_MAX)
        return mgw_err(MGW_ERR_STORE_NAME,
                       "unknown system store '%s': give LocalMachine or CurrentUser, a "
                       "backslash, and Root, CA, My, ClientAuthIssuer or TrustedPeople "
                       "(e.g. LocalMachine\\Root)",
                       text);
    return MGW_OK;
}

static char *origin_of(const win_store *w, const uint8_t sha1[20])
{
    char hex[41];
    mgw_hex_upper(sha1, 20, hex);
    size_t n = strlen(w->prefix) + 41;
    char *o = malloc(n);
    if (o != NULL)
        snprintf(o, n, "%s%s", w->prefix, hex);
    return o;
}

/* ---- private keys ---------------------------------------------------------- */

/* PUBLICKEYBLOB of a CryptoAPI key (malloc'ed). */
static uint8_t *public_blob(HCRYPTKEY key, DWORD *len)
{
    *len = 0;
    if (!CryptExportKey(key, 0, PUBLICKEYBLOB, 0, NULL, len))
        return NULL;
    uint8_t *b = malloc(*len);
    if (b != NULL && !CryptExportKey(key, 0, PUBLICKEYBLOB, 0, b, len)) {
        free(b);
        b = NULL;
    }
    return b;
}

/* A CryptoAPI private key matches the certificate when its public half
 * exports as the certificate's public key does. Wine's PFX import records
 * the key spec as 3 (both bits), which names no key: then the exchange and
 * the signature key of the container are tried. */
static bool capi_key_matches(HCRYPTPROV prov, DWORD spec, PCCERT_CONTEXT c)
{
    HCRYPTKEY priv = 0, pub = 0;
    uint8_t *a = NULL, *b = NULL;
    DWORD la = 0, lb = 0;
    bool have = CryptGetUserKey(prov, spec, &priv);
    if (!have && spec != AT_KEYEXCHANGE && spec != AT_SIGNATURE)
        have = CryptGetUserKey(prov, AT_KEYEXCHANGE, &priv) ||
               CryptGetUserKey(prov, AT_SIGNATURE, &priv);
    if (have && CryptImportPublicKeyInfo(prov, X509_ASN_ENCODING,
                                         &c->pCertInfo->SubjectPublicKeyInfo, &pub)) {
        a = public_blob(priv, &la);
        b = public_blob(pub, &lb);
    }
    bool same = a != NULL && b != NULL && la == lb && memcmp(a, b, la) == 0;
    free(a);
    free(b);
    if (priv != 0)
        CryptDestroyKey(priv);
    if (pub != 0)
        CryptDestroyKey(pub);
    return same;
}

/* The key container that the certificate's key provider information names,
 * opened as it says (CryptoAPI providers only). Wine's
 * CryptAcquireCertificatePrivateKey drops CRYPT_MACHINE_KEYSET and so never
 * finds a machine key; Windows finds it and does not come here. */
static bool prov_info_key_matches(PCCERT_CONTEXT c)
{
    DWORD size = 0;
    if (!CertGetCertificateContextProperty(c, CERT_KEY_PROV_INFO_PROP_ID, NULL, &size))
        return false;
    CRYPT_KEY_PROV_INFO *info = malloc(size);
    HCRYPTPROV prov = 0;
    bool ok =
        info != NULL &&
        CertGetCertificateContextProperty(c, CERT_KEY_PROV_INFO_PROP_ID, info, &size) &&
        info->dwProvType != 0 &&
        CryptAcquireContextW(&prov, info->pwszContainerName, info->pwszProvName, info->dwProvType,
                             (info->dwFlags & CRYPT_MACHINE_KEYSET) | CRYPT_SILENT) &&
        capi_key_matches(prov, info->dwKeySpec, c);
    if (prov != 0)
        CryptReleaseContext(prov, 0);
    free(info);
    return ok;
}

/* Whether the certificate's private key can be acquired (and, for
 * CryptoAPI keys, is the one of its public key). A CNG key that can be
 * acquired counts as attached. */
static bool key_usable(PCCERT_CONTEXT c)
{
    DWORD size = 0, spec = 0;
    if (!CertGetCertificateContextProperty(c, CERT_KEY_PROV_INFO_PROP_ID, NULL, &size))
        return false;
    HCRYPTPROV_OR_NCRYPT_KEY_HANDLE key = 0;
    BOOL release = FALSE;
    if (!CryptAcquireCertificatePrivateKey(
            c, CRYPT_ACQUIRE_SILENT_FLAG | CRYPT_ACQUIRE_ALLOW_NCRYPT_KEY_FLAG, NULL, &key, &spec,
            &release))
        return prov_info_key_matches(c);
    bool ok = spec == CERT_NCRYPT_KEY_SPEC || capi_key_matches((HCRYPTPROV)key, spec, c);
    if (release) {
        if (spec == CERT_NCRYPT_KEY_SPEC)
            NCryptFreeObject((NCRYPT_KEY_HANDLE)key);
        else
            CryptReleaseContext((HCRYPTPROV)key, 0);
    }
    return ok;
}

/* Write the change through: Windows' system stores do so at once, Wine's
 * registry store only when asked (or when its last reference goes). */
static int commit(const win_store *w, const char *what)
{
    if (!CertControlStore(w->store, 0, CERT_STORE_CTRL_COMMIT, NULL))
        return mgw_win_err(GetLastError(), "CertControlStore(COMMIT) after %s", what);
    return MGW_OK;
}

/* ---- physical stores ------------------------------------------------------------ */

/* The physical stores of a logical store, each opened as the registry store
 * it is (CERT_STORE_PROV_SYSTEM_REGISTRY at its location), read-only; one
 * that does not exist is skipped. */
typedef struct {
    HCERTSTORE store[5];
    unsigned bit[5];
    size_t n;
} physical_set;

static void physical_open(const win_store *w, physical_set *ps)
{
    struct {
        DWORD where;
        const wchar_t *name;
        unsigned bit;
        bool root_only, machine_only;
    } const phys[] = {
        {w->where, w->name, MGW_PHYSICAL_DEFAULT, false, false},
        {w->where, L"AuthRoot", MGW_PHYSICAL_AUTHROOT, true, true},
        {w->machine ? CERT_SYSTEM_STORE_LOCAL_MACHINE_GROUP_POLICY
                    : CERT_SYSTEM_STORE_CURRENT_USER_GROUP_POLICY,
         w->name, MGW_PHYSICAL_GROUPPOLICY, false, false},
        {CERT_SYSTEM_STORE_LOCAL_MACHINE_ENTERPRISE, w->name, MGW_PHYSICAL_ENTERPRISE, false, true},
        {w->where, L"SmartCardRoot", MGW_PHYSICAL_SMARTCARD, true, false},
    };
    ps->n = 0;
    for (size_t i = 0; i < sizeof(phys) / sizeof(phys[0]); i++) {
        if ((phys[i].root_only && !w->root) || (phys[i].machine_only && !w->machine))
            continue;
        HCERTSTORE h = CertOpenStore(CERT_STORE_PROV_SYSTEM_REGISTRY_W, 0, 0,
                                     phys[i].where | CERT_STORE_READONLY_FLAG |
                                         CERT_STORE_OPEN_EXISTING_FLAG,
                                     phys[i].name);
        if (h != NULL) {
            ps->store[ps->n] = h;
            ps->bit[ps->n++] = phys[i].bit;
        }
    }
}

static unsigned physical_of(const physical_set *ps, const uint8_t sha1[20])
{
    unsigned bits = 0;
    CRYPT_HASH_BLOB blob = {20, (BYTE *)sha1};
    for (size_t i = 0; i < ps->n; i++) {
        PCCERT_CONTEXT c = CertFindCertificateInStore(ps->store[i], X509_ASN_ENCODING, 0,
                                                      CERT_FIND_SHA1_HASH, &blob, NULL);
        if (c != NULL) {
            bits |= ps->bit[i];
            CertFreeCertificateContext(c);
        }
    }
    return bits;
}

static void physical_close(physical_set *ps)
{
    for (size_t i = 0; i < ps->n; i++)
        CertCloseStore(ps->store[i], 0);
    ps->n = 0;
}

/* ---- the table -------------------------------------------------------------- */

static int win_list(void *be, mgw_store_listing *out)
{
    win_store *w = be;
    PCCERT_CONTEXT c = NULL;
    int r = MGW_OK;
    physical_set ps;
    physical_open(w, &ps);
    while (r == MGW_OK && (c = CertEnumCertificatesInStore(w->store, c)) != NULL) {
        uint8_t sha1[20];
        mgw_sha1(c->pbCertEncoded, c->cbCertEncoded, sha1);
        char *origin = origin_of(w, sha1);
        mgw_store_item item;
        memset(&item, 0, sizeof(item));
        if (origin == NULL) {
            r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
            break;
        }
        r = mgw_store_item_from_der(c->pbCertEncoded, c->cbCertEncoded, origin, &item);
        if (r == MGW_OK) {
            item.has_key = key_usable(c);
            item.physical = physical_of(&ps, sha1);
            r = mgw_store_listing_add(out, &item);
        } else if (r != MGW_ERR_NO_MEMORY) {
            /* listed as "other" and never touched */
            r = mgw_store_listing_skip(out, origin, mgw_last_error());
        }
        mgw_store_item_clear(&item);
        free(origin);
    }
    if (c != NULL)
        CertFreeCertificateContext(c);
    physical_close(&ps);
    return r;
}

static int win_add(void *be, const uint8_t *der, size_t n, const uint8_t sha1[20], char **origin)
{
    win_store *w = be;
    if (n > 0xFFFFFFFFu)
        return mgw_err(MGW_ERR_TOO_LARGE, "certificate too large");
    if (!CertAddEncodedCertificateToStore(w->store, X509_ASN_ENCODING, der, (DWORD)n,
                                          CERT_STORE_ADD_NEW, NULL)) {
        DWORD e = GetLastError();
        char hex[41];
        mgw_hex_upper(sha1, 20, hex);
        if (e == (DWORD)CRYPT_E_EXISTS)
            return mgw_err(MGW_ERR_STORE_CHANGED,
                           "%s%s is in the store already (added since "
                           "the store was listed)",
                           w->prefix, hex);
        return mgw_win_err(e, "CertAddEncodedCertificateToStore %s%s", w->prefix, hex);
    }
    int r = commit(w, "adding a certificate");
    if (r == MGW_OK && (*origin = origin_of(w, sha1)) == NULL)
        r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
    return r;
}

static int win_remove(void *be, const mgw_store_item *item)
{
    win_store *w = be;
    CRYPT_HASH_BLOB hash = {20, (BYTE *)item->sha1};
    PCCERT_CONTEXT c = CertFindCertificateInStore(w->store, X509_ASN_ENCODING, 0,
                                                  CERT_FIND_SHA1_HASH, &hash, NULL);
    if (c == NULL)
        return mgw_err(MGW_ERR_STORE_CHANGED, "%s vanished since the store was listed",
                       item->origin);
    if (c->cbCertEncoded != item->der_len ||
        memcmp(c->pbCertEncoded, item->der, item->der_len) != 0) {
        CertFreeCertificateContext(c);
        return mgw_err(MGW_ERR_STORE_CHANGED, "%s changed since the store was listed",
                       item->origin);
    }
    /* CertDeleteCertificateFromStore frees the context, also on failure. */
    if (!CertDeleteCertificateFromStore(c))
        return mgw_win_err(GetLastError(), "CertDeleteCertificateFromStore %s", item->origin);
    return commit(w, item->origin);
}

/* Wine's PFX import puts a machine key set's key there but leaves
 * CRYPT_MACHINE_KEYSET out of the certificate's key provider information, so
 * the key would be looked for in the user's key set. Windows sets the flag
 * itself, and then this changes nothing. */
static int mark_machine_keyset(PCCERT_CONTEXT c)
{
    DWORD size = 0;
    if (!CertGetCertificateContextProperty(c, CERT_KEY_PROV_INFO_PROP_ID, NULL, &size))
        return mgw_win_err(GetLastError(), "the imported certificate has no key provider");
    CRYPT_KEY_PROV_INFO *info = malloc(size);
    int r = info == NULL ? mgw_err(MGW_ERR_NO_MEMORY, NULL) : MGW_OK;
    if (r == MGW_OK &&
        !CertGetCertificateContextProperty(c, CERT_KEY_PROV_INFO_PROP_ID, info, &size))
        r = mgw_win_err(GetLastError(), "cannot read the key provider of the certificate");
    if (r == MGW_OK && !(info->dwFlags & CRYPT_MACHINE_KEYSET)) {
        info->dwFlags |= CRYPT_MACHINE_KEYSET;
        if (!CertSetCertificateContextProperty(c, CERT_KEY_PROV_INFO_PROP_ID, 0, info))
            r = mgw_win_err(GetLastError(), "cannot record the machine key set");
    }
    free(info);
    return r;
}

/* The certificate of an imported PFX that has a private key. */
static PCCERT_CONTEXT with_key(HCERTSTORE pfx)
{
    PCCERT_CONTEXT c = NULL;
    while ((c = CertEnumCertificatesInStore(pfx, c)) != NULL) {
        DWORD size = 0;
        if (CertGetCertificateContextProperty(c, CERT_KEY_PROV_INFO_PROP_ID, NULL, &size))
            return c;
    }
    return NULL;
}

static int import_error(DWORD e)
{
    char why[256];
    if (e == ERROR_ACCESS_DENIED)
        return mgw_win_err(e, "PFXImportCertStore");
    mgw_win_strerror(e, why, sizeof(why));
    if (e == ERROR_INVALID_PASSWORD || e == (DWORD)NTE_BAD_DATA || e == (DWORD)CRYPT_E_HASH_VALUE)
        return mgw_err(MGW_ERR_PFX_MAC, "wrong password or damaged PFX (PFXImportCertStore: %s)",
                       why);
    return mgw_err(MGW_ERR_PFX_FORMAT, "the system cannot import this PFX (PFXImportCertStore: %s)",
                   why);
}

static int win_import_pfx(void *be, const uint8_t *pfx, size_t n, const char *password,
                          size_t password_len, unsigned flags, uint8_t **der, size_t *der_len,
                          char **origin)
{
    win_store *w = be;
    if (n > 0xFFFFFFFFu)
        return mgw_err(MGW_ERR_TOO_LARGE, "PFX too large");
    CRYPT_DATA_BLOB blob = {(DWORD)n, (BYTE *)pfx};
    if (!PFXIsPFXBlob(&blob))
        return mgw_err(MGW_ERR_PFX_FORMAT, "not a PFX (PKCS#12) file");
    wchar_t *wpw = NULL;
    if (password != NULL) {
        int r = mgw_password_check(password, password_len);
        if (r != MGW_OK)
            return r;
        char *copy = mgw_strndup(password, password_len);
        if (copy == NULL)
            return mgw_err(MGW_ERR_NO_MEMORY, NULL);
        wpw = mgw_wide(copy);
        mgw_zeroize(copy, password_len);
        free(copy);
        if (wpw == NULL) /* valid UTF-8 (checked above): out of memory */
            return mgw_err(MGW_ERR_NO_MEMORY, NULL);
    }
    DWORD how = (w->machine ? CRYPT_MACHINE_KEYSET : CRYPT_USER_KEYSET) |
                ((flags & MGW_STORE_PFX_EXPORTABLE) ? CRYPT_EXPORTABLE : 0);
    HCERTSTORE tmp = PFXImportCertStore(&blob, wpw, how);
    DWORD e = GetLastError();
    if (wpw != NULL) {
        mgw_zeroize(wpw, wcslen(wpw) * sizeof(*wpw));
        free(wpw);
    }
    if (tmp == NULL)
        return import_error(e);
    int r = MGW_OK;
    PCCERT_CONTEXT src = with_key(tmp), added = NULL;
    if (src == NULL)
        r = mgw_err(MGW_ERR_PFX_NO_KEY, "the PFX holds no certificate with a private key");
    /* An identical certificate there already is replaced, so that it carries
     * the key just imported. */
    else if (!CertAddCertificateContextToStore(w->store, src, CERT_STORE_ADD_REPLACE_EXISTING,
                                               &added))
        r = mgw_win_err(GetLastError(), "CertAddCertificateContextToStore %s", w->prefix);
    else if (w->machine && (r = mark_machine_keyset(added)) != MGW_OK)
        CertDeleteCertificateFromStore(CertDuplicateCertificateContext(added));
    else if (!key_usable(added)) {
        CertDeleteCertificateFromStore(CertDuplicateCertificateContext(added));
        r = mgw_err(MGW_ERR_KEY_NOT_ATTACHED,
                    "the certificate went into %s but its private key cannot be acquired "
                    "through it; the certificate was taken out again",
                    w->prefix);
    }
    if (r == MGW_OK)
        r = commit(w, "the PFX import");
    uint8_t sha1[20];
    if (r == MGW_OK) {
        mgw_sha1(added->pbCertEncoded, added->cbCertEncoded, sha1);
        *der = malloc(added->cbCertEncoded);
        *origin = origin_of(w, sha1);
        if (*der == NULL || *origin == NULL) {
            free(*der);
            free(*origin);
            r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
        } else {
            memcpy(*der, added->pbCertEncoded, added->cbCertEncoded);
            *der_len = added->cbCertEncoded;
        }
    }
    if (added != NULL)
        CertFreeCertificateContext(added);
    if (src != NULL)
        CertFreeCertificateContext(src);
    CertCloseStore(tmp, 0);
    return r;
}

static void win_close(void *be)
{
    win_store *w = be;
    CertCloseStore(w->store, 0);
    free(w->name);
    free(w->prefix);
    free(w);
}

static const mgw_store_ops win_ops = {
    .kind = "Windows system",
    .list = win_list,
    .add = win_add,
    .remove = win_remove,
    .import_pfx = win_import_pfx,
    .close = win_close,
};

int mgw_backend_sysstore_open(const char *location_name, const mgw_store_ops **ops, void **be,
                          char **location)
{
    size_t loc, name;
    int r = parse_name(location_name, &loc, &name);
    if (r != MGW_OK)
        return r;
    char canonical[64];
    snprintf(canonical, sizeof(canonical), "%s\\%s", locations[loc].name, store_names[name]);
    wchar_t *wname = mgw_wide(store_names[name]);
    win_store *w = calloc(1, sizeof(*w));
    size_t plen = strlen(canonical) + 8;
    if (w != NULL)
        w->prefix = malloc(plen);
    *location = mgw_strdup(canonical);
    if (wname == NULL || w == NULL || w->prefix == NULL || *location == NULL) {
        r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
    } else {
        snprintf(w->prefix, plen, "Cert:\\%s\\", canonical);
        w->machine = locations[loc].flag == CERT_SYSTEM_STORE_LOCAL_MACHINE;
        w->where = locations[loc].flag;
        w->root = name == 0;
        w->name = mgw_wide(store_names[name]);
        /* The most access the caller has: read-only without elevation. */
        w->store = CertOpenStore(CERT_STORE_PROV_SYSTEM_W, 0, 0,
                                 locations[loc].flag | CERT_STORE_MAXIMUM_ALLOWED_FLAG, wname);
        if (w->name == NULL)
            r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
        else if (w->store == NULL)
            r = mgw_win_err(GetLastError(), "cannot open the system store %s", canonical);
    }
    free(wname);
    if (r != MGW_OK) {
        if (w != NULL) {
            if (w->store != NULL)
                CertCloseStore(w->store, 0);
            free(w->name);
            free(w->prefix);
        }
        free(w);
        free(*location);
        *location = NULL;
        return r;
    }
    *ops = &win_ops;
    *be = w;
    return MGW_OK;
}
