/* Walking PEM text block by block (core.h): the certificate files of the
 * directory store, backups and keep-lists. */
#include "core/core.h"

#include <stdio.h>
#include <string.h>

static bool has_prefix(const char *l, size_t n, const char *prefix)
{
    size_t pl = strlen(prefix);
    return n >= pl && memcmp(l, prefix, pl) == 0;
}

static bool is_dashes_end(const char *l, size_t n)
{
    return n >= 5 && memcmp(l + n - 5, "-----", 5) == 0;
}

int mgw_pem_walk(const uint8_t *text, size_t n, mgw_pem_block_fn block, mgw_pem_line_fn line,
                 void *ctx)
{
    mgw_dbuf body, der;
    mgw_dbuf_init(&body);
    mgw_dbuf_init(&der);
    char label[65] = "";
    size_t at = 0, lineno = 0, begin_line = 0, ln;
    const char *l;
    bool inside = false;
    int r = MGW_OK;
    while (r == MGW_OK && mgw_next_line(text, n, &at, &l, &ln)) {
        lineno++;
        while (ln > 0 && (l[ln - 1] == ' ' || l[ln - 1] == '\t'))
            ln--;
        if (!inside && has_prefix(l, ln, "-----BEGIN ") && is_dashes_end(l, ln)) {
            size_t ll = ln < 16 ? 0 : ln - 16;
            if (ll == 0 || ll >= sizeof(label)) {
                r = mgw_err(MGW_ERR_PEM, "line %zu: malformed BEGIN line", lineno);
                break;
            }
            memcpy(label, l + 11, ll);
            label[ll] = '\0';
            if (!mgw_pem_label_ok(label, ll)) {
                char shown[400];
                r = mgw_err(MGW_ERR_PEM, "line %zu: malformed BEGIN line (label '%s')", lineno,
                            mgw_show_text(label, ll, 64, shown, sizeof(shown)));
                break;
            }
            inside = true;
            begin_line = lineno;
            body.len = 0;
        } else if (!inside) {
            if (line != NULL)
                r = line(ctx, l, ln, lineno);
        } else if (has_prefix(l, ln, "-----END ")) {
            size_t ll = strlen(label);
            if (ln != ll + 14 || memcmp(l + 9, label, ll) != 0 || !is_dashes_end(l, ln)) {
                r = mgw_err(MGW_ERR_PEM, "line %zu: END line does not match BEGIN %s", lineno,
                            label);
                break;
            }
            der.len = 0;
            r = mgw_base64_decode((const char *)body.p, body.len, &der);
            if (r != MGW_OK) {
                char where[48];
                snprintf(where, sizeof(where), "PEM block at line %zu", begin_line);
                r = mgw_err_prefix(r, where);
            } else if (der.len == 0) {
                r = mgw_err(MGW_ERR_PEM, "line %zu: the %s block is empty", begin_line, label);
            } else {
                r = block(ctx, label, der.p, der.len, begin_line);
            }
            inside = false;
        } else if (mgw_dbuf_put(&body, l, ln) != MGW_OK) {
            r = mgw_err(MGW_ERR_NO_MEMORY, NULL);
        }
    }
    if (r == MGW_OK && inside)
        r = mgw_err(MGW_ERR_PEM, "line %zu: BEGIN %s without END line", begin_line, label);
    mgw_dbuf_free(&body);
    mgw_dbuf_free(&der);
    return r;
}
