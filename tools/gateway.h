/* mgwauth gateway status, plan, apply and rollback: what their files
 * share. cmd_gateway.c holds status (and the readers plan uses too),
 * gateway_plan.c the plan, gateway_apply.c apply and rollback with the
 * record applied.json; gwplan.c reads the plan files. */
#ifndef MGW_GATEWAY_H
#define MGW_GATEWAY_H

#include "cli.h"

/* A failure already reported on stderr. */
#define REPORTED (-100000)

/* What gateway status reads, and how. */
typedef struct {
    cli_opt *o;
    size_t n;
    bool live;
    const char *client_cert, *store, *registry_file, *iis_config, *task_xml, *keep_file;
    const char *issuer_store, *site, *task_name;
    mgw_cert_t *cert;
    char *thumb;
} inputs;

static inline const char *val(const inputs *in, const char *name)
{
    return cli_value(in->o, in->n, name);
}

static inline bool flag(const inputs *in, const char *name)
{
    return cli_get(in->o, in->n, name)->seen;
}

/* The options of the machine's parts that status and plan both read. */
#define GW_INPUT_OPTS                                                                              \
    OPT("live", false, false), OPT("registry-file", true, false), OPT("store", true, false),       \
        OPT("iis-config", true, false), OPT("client-cert", true, false),                          \
        OPT("keep-file", true, false), OPT("issuer-store", true, false), OPT("site", true, false), \
        OPT("binding", true, false), OPT("disable-tls13", false, false),                          \
        OPT("negotiate-client-cert", false, false), OPT("task-xml", true, false),                 \
        OPT("task-name", true, false), OPT("server-store", true, false)

/* The fields of a plan step that name a file in the plan's directory; each
 * comes with FIELD_sha256, its SHA-256 when planned. "hashes" names a list
 * of further files in the plan's directory with their SHA-256, one
 * "SHA256  path" line each (as sha256sum writes them): the certificates of
 * the intermediates step, intermediates/SHA1.cer. */
static const char *const step_file_fields[] = {"cert", "plan", "desired", "backup",
                                               "keep", "remove", "xml", "list", "hashes"};

/* The inputs status and plan share, from their options (o, n). */
inputs gw_inputs(cli_opt *o, size_t n);
/* A Windows system store ("LocalMachine\\Root", "CurrentUser/My") or a directory. */
bool gw_is_system_store(const char *name);
int gw_open_store(const char *name, mgw_store_t **store);
/* Whether the store's listing holds the certificate with SHA-1 tp. */
/* The registry plan options of the inputs (--issuer-store, --binding, ...). */
int gw_registry_options(const inputs *in, mgw_regopts_t *opts);
/* The registry of --registry-file, or with --live the machine's. */
int gw_read_registry(const inputs *in, mgw_regstate_t *st);
/* The thumbprint of the root of the binding's server certificate, or "" and
 * why not. */
void gw_server_root(const inputs *in, char root[41], char *why_not, size_t size);
/* --client-cert as in->cert and in->thumb. */
int gw_load_cert(inputs *in);
/* The root plan of a store with the keep-list text and the client
 * certificate's thumbprint (may be NULL), policy roots kept. */
int gw_root_plan(const char *store_dir, const uint8_t *keep, size_t keep_len, const char *keep_name,
                 const char *thumb, mgw_store_t **store, mgw_rootplan_t **plan);
/* The thumbprints a root plan removes, one per line (free()). */
char *gw_removals(const mgw_rootplan_t *plan);
/* value escaped for a JSON string into out (control characters refused,
 * reported on stderr). */
int gw_escape(const char *value, char *out, size_t size);

#endif
