/* A program outside the project using the installed library: it sees only
 * the installed <mgwauth.h> and links through pkg-config. It issues a
 * certificate, round-trips it through a PFX and checks an error path. */
#include <mgwauth.h>

#include <stdio.h>
#include <string.h>

static int fail(const char *what, int r)
{
    fprintf(stderr, "%s: %s (%s)\n", what, mgw_strerror(r), mgw_last_error());
    return 1;
}

int main(void)
{
    mgw_key_t *key = mgw_key_new();
    mgw_certopts_t *opts = mgw_certopts_new();
    mgw_pfxopts_t *pfxopts = mgw_pfxopts_new();
    mgw_cert_t *cert = NULL, *back = NULL;
    mgw_pfx_t *pfx = NULL;
    uint8_t *der = NULL;
    size_t der_len = 0;
    char *thumb = NULL, *thumb_back = NULL;
    int r, status = 1;

    if ((mgw_version_number() >> 16) != MGW_VERSION_MAJOR) {
        fprintf(stderr, "header major %d, library %s\n", MGW_VERSION_MAJOR, mgw_version());
        goto done;
    }
    if (key == NULL || opts == NULL || pfxopts == NULL) {
        fprintf(stderr, "out of memory\n");
        goto done;
    }
    if ((r = mgw_key_generate(key, MGW_KEY_P256)) != MGW_OK ||
        (r = mgw_certopts_set_subject(opts, "CN=consumer,O=Imago Verum")) != MGW_OK ||
        (r = mgw_certopts_add_upn(opts, "consumer@imagoverum.com")) != MGW_OK ||
        (r = mgw_cert_create(opts, key, NULL, NULL, &cert)) != MGW_OK ||
        (r = mgw_cert_thumbprint(cert, MGW_DIGEST_SHA1, &thumb)) != MGW_OK ||
        (r = mgw_pfxopts_set_iterations(pfxopts, 1)) != MGW_OK ||
        (r = mgw_pfx_write(pfxopts, cert, key, "pw", 2, &der, &der_len)) != MGW_OK ||
        (r = mgw_pfx_parse(der, der_len, "pw", 2, &pfx)) != MGW_OK ||
        (r = mgw_pfx_cert(pfx, &back)) != MGW_OK ||
        (r = mgw_cert_thumbprint(back, MGW_DIGEST_SHA1, &thumb_back)) != MGW_OK) {
        fail("issue and round-trip", r);
        goto done;
    }
    if (strcmp(thumb, thumb_back) != 0) {
        fprintf(stderr, "thumbprints differ: %s %s\n", thumb, thumb_back);
        goto done;
    }
    mgw_pfx_free(&pfx);
    if ((r = mgw_pfx_parse(der, der_len, "wrong", 5, &pfx)) != MGW_ERR_PFX_MAC || pfx != NULL) {
        fprintf(stderr, "wrong password gave %d\n", r);
        goto done;
    }
    printf("libmgwauth %s: CN=consumer %s\n", mgw_version(), thumb);
    status = 0;
done:
    mgw_free(thumb);
    mgw_free(thumb_back);
    mgw_free(der);
    mgw_pfx_free(&pfx);
    mgw_cert_free(&back);
    mgw_cert_free(&cert);
    mgw_pfxopts_free(&pfxopts);
    mgw_certopts_free(&opts);
    mgw_key_free(&key);
    return status;
}
