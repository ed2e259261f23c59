/*
 * An independent reader of a Windows system certificate store for the Wine
 * tests: crypt32 alone, none of libmgwauth. Prints the certificate whose
 * SHA-1 thumbprint is given, as crypt32 names it, and exits 0 when found,
 * 1 when not, 2 on a usage or store error.
 *
 *   crypt32_reader.exe LocalMachine|CurrentUser STORE SHA1HEX
 *   crypt32_reader.exe LocalMachine|CurrentUser STORE --list
 *
 * --list prints the SHA-1 of every certificate of the store, one per line,
 * as crypt32 computes it (CertGetCertificateContextProperty).
 *
 *   crypt32_reader.exe LocalMachine STORE --add-group-policy FILE.cer
 *
 * puts a certificate into the store's .GroupPolicy physical store (the
 * registry store at CERT_SYSTEM_STORE_LOCAL_MACHINE_GROUP_POLICY), as a
 * Group Policy would; the tests' stand-in for a domain's policy.
 */
#include <windows.h>
#include <stdbool.h>
#include <wincrypt.h>
#include <stdio.h>
#include <wchar.h>

int wmain(int argc, wchar_t **argv);
int wmain(int argc, wchar_t **argv)
{
    if (argc == 5 && wcscmp(argv[3], L"--add-group-policy") == 0) {
        FILE *f = _wfopen(argv[4], L"rb");
        static BYTE der[65536];
        size_t n = f != NULL ? fread(der, 1, sizeof(der), f) : 0;
        if (f != NULL)
            fclose(f);
        HCERTSTORE gp = CertOpenStore(CERT_STORE_PROV_SYSTEM_REGISTRY_W, 0, 0,
                                      CERT_SYSTEM_STORE_LOCAL_MACHINE_GROUP_POLICY, argv[2]);
        if (n == 0 || gp == NULL)
            return 2;
        BOOL ok = CertAddEncodedCertificateToStore(gp, X509_ASN_ENCODING, der, (DWORD)n,
                                                   CERT_STORE_ADD_REPLACE_EXISTING, NULL);
        CertCloseStore(gp, 0);
        return ok ? 0 : 2;
    }
    bool list = argc == 4 && wcscmp(argv[3], L"--list") == 0;
    if (argc != 4 || (!list && wcslen(argv[3]) != 40))
        return 2;
    DWORD where = _wcsicmp(argv[1], L"LocalMachine") == 0 ? CERT_SYSTEM_STORE_LOCAL_MACHINE
                                                           : CERT_SYSTEM_STORE_CURRENT_USER;
    BYTE hash[20];
    for (int i = 0; i < 20 && !list; i++) {
        unsigned v;
        if (swscanf(argv[3] + 2 * i, L"%2x", &v) != 1)
            return 2;
        hash[i] = (BYTE)v;
    }
    HCERTSTORE store = CertOpenStore(CERT_STORE_PROV_SYSTEM_W, 0, 0,
                                     where | CERT_STORE_READONLY_FLAG |
                                         CERT_STORE_OPEN_EXISTING_FLAG,
                                     argv[2]);
    if (store == NULL) {
        fprintf(stderr, "cannot open the store (%lu)\n", (unsigned long)GetLastError());
        return 2;
    }
    if (list) {
        PCCERT_CONTEXT it = NULL;
        while ((it = CertEnumCertificatesInStore(store, it)) != NULL) {
            BYTE sha1[20];
            DWORD n = sizeof(sha1);
            if (!CertGetCertificateContextProperty(it, CERT_SHA1_HASH_PROP_ID, sha1, &n))
                return 2;
            for (DWORD i = 0; i < n; i++)
                printf("%02X", sha1[i]);
            printf("\n");
        }
        CertCloseStore(store, 0);
        return 0;
    }
    CRYPT_HASH_BLOB blob = {sizeof(hash), hash};
    PCCERT_CONTEXT c =
        CertFindCertificateInStore(store, X509_ASN_ENCODING, 0, CERT_FIND_SHA1_HASH, &blob, NULL);
    int rc = 1;
    if (c != NULL) {
        wchar_t name[512];
        CertNameToStrW(X509_ASN_ENCODING, &c->pCertInfo->Subject, CERT_X500_NAME_STR, name, 512);
        char utf8[1536];
        WideCharToMultiByte(CP_UTF8, 0, name, -1, utf8, sizeof(utf8), NULL, NULL);
        printf("found %s\n", utf8);
        CertFreeCertificateContext(c);
        rc = 0;
    }
    CertCloseStore(store, 0);
    return rc;
}
