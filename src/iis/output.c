/* What an IIS plan and a parsed file hand out: the table, the files, the
 * appcmd scripts, counts, warnings and the description of a file. */
#include "iis/iis.h"

#include "core/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the table ------------------------------------------------------------------ */

static const char *cell(const char *s)
{
    return s[0] != '\0' ? s : "(absent)";
}

static void describe_text(const mgw_iisplan_t *p, mgw_dbuf *b)
{
    char fp[72] = "sha256:";
    mgw_hex_upper(p->fingerprint, 32, fp + 7);
    mgw_dbuf_printf(b, "IIS plan for site \"%s\" (%s)\n\n", p->site, fp);
    int w[3] = {7, 7, 7}; /* SETTING, CURRENT, DESIRED */
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1)
            mgw_dbuf_printf(b, "%-*s  %-*s  %-*s  %-6s  %s\n", w[0], "SETTING", w[1], "CURRENT",
                            w[2], "DESIRED", "ACTION", "MEANING");
        for (size_t i = 0; i < p->n_items; i++) {
            const mgw_iisitem *it = &p->items[i];
            const char *cur = cell(it->before_text), *want = cell(it->after_text);
            int len[3] = {(int)strlen(it->label), (int)strlen(cur), (int)strlen(want)};
            for (int k = 0; k < 3; k++)
                w[k] = len[k] > w[k] ? len[k] : w[k];
            if (pass == 1)
                mgw_dbuf_printf(b, "%-*s  %-*s  %-*s  %-6s  %s\n", w[0], it->label, w[1], cur, w[2],
                                want, it->action == MGW_IISACT_SET ? "set" : "keep", it->meaning);
        }
    }
    for (size_t i = 0; i < p->n_warnings; i++)
        mgw_dbuf_printf(b, "%swarning: %s\n", i == 0 ? "\n" : "", p->warnings[i]);
    size_t n = mgw_iisplan_change_count(p);
    if (n == 0)
        mgw_dbuf_puts(b, "\nNothing to change: the file already has the desired settings.\n");
    else
        mgw_dbuf_printf(b, "\n%zu setting%s to change.\n", n, n == 1 ? "" : "s");
}

static int plan_text(const void *obj, mgw_dbuf *b)
{
    describe_text(obj, b);
    return MGW_OK;
}

static int plan_json(const void *obj, mgw_dbuf *b)
{
    return mgw_iisplan_to_json(obj, b);
}

MGW_API int mgw_iisplan_describe(const mgw_iisplan_t *p, int style, char **out)
{
    return mgw_describe("mgw_iisplan_describe", p, style, plan_text, plan_json, out);
}

/* ---- appcmd ----------------------------------------------------------------------- */

/* A value inside a double-quoted cmd.exe argument: '"' cannot appear in
 * one (such plans get no scripts, see the planner's warning); '%' is
 * written "%%", which is how a batch file says a literal percent sign. */
static int cmd_safe(const char *s)
{
    if (strpbrk(s, "\"\r\n") != NULL)
        return mgw_err(MGW_ERR_IIS_CONFIG,
                       "\"%s\" holds a character (\") that an appcmd line cannot carry; "
                       "use the plan's applicationHost.config instead",
                       s);
    return MGW_OK;
}

static void put_cmd(mgw_dbuf *b, const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '%')
            mgw_dbuf_putc(b, '%');
        mgw_dbuf_putc(b, (uint8_t)*s);
    }
}

/* appcmd's collection-element filter quotes values with "'": one inside is
 * doubled. */
static void filter_value(mgw_dbuf *b, const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '\'')
            mgw_dbuf_putc(b, '\'');
        if (*s == '%')
            mgw_dbuf_putc(b, '%');
        mgw_dbuf_putc(b, (uint8_t)*s);
    }
}

static int appcmd_line(const mgw_iisplan_t *p, const mgw_iisitem *it, bool rollback, mgw_dbuf *b)
{
    int r = cmd_safe(it->where);
    if (r != MGW_OK || (r = cmd_safe(p->site)) != MGW_OK)
        return r;
    const char *value = rollback ? it->before_text : it->after_text;
    if (it->kind == MGW_IISITEM_ACCESS) {
        mgw_dbuf_puts(b, value[0] == '\0' ? "\"%APPCMD%\" clear config \""
                                          : "\"%APPCMD%\" set config \"");
        put_cmd(b, it->where);
        if (value[0] == '\0')
            mgw_dbuf_puts(b, "\" -section:system.webServer/security/access /commit:apphost\r\n");
        else
            mgw_dbuf_printf(b,
                            "\" -section:system.webServer/security/access /sslFlags:\"%s\" "
                            "/commit:apphost\r\n",
                            value);
    } else {
        mgw_dbuf_puts(b, "\"%APPCMD%\" set config -section:system.applicationHost/sites "
                         "\"/[name='");
        filter_value(b, p->site);
        mgw_dbuf_puts(b, "'].bindings.[protocol='https',bindingInformation='");
        filter_value(b, it->where);
        mgw_dbuf_printf(b, "'].sslFlags:%s\" /commit:apphost\r\n", value[0] != '\0' ? value : "0");
    }
    mgw_dbuf_puts(b, "if errorlevel 1 goto failed\r\n");
    return b->oom ? MGW_ERR_NO_MEMORY : MGW_OK;
}

static int appcmd_script(const mgw_iisplan_t *p, bool rollback, mgw_dbuf *b)
{
    char fp[72];
    mgw_hex_upper(p->fingerprint, 32, fp);
    int r = cmd_safe(p->site);
    if (r != MGW_OK)
        return r;
    mgw_dbuf_puts(b, "@echo off\r\n");
    mgw_dbuf_puts(b, "rem mgwauth IIS plan for site \"");
    put_cmd(b, p->site);
    mgw_dbuf_printf(b, "\", sha256:%s\r\n", fp);
    mgw_dbuf_printf(b,
                    "rem %s with appcmd; run elevated. A backup of the configuration is "
                    "taken first\r\nrem (appcmd restore backup NAME undoes everything).\r\n",
                    rollback ? "Undoes the plan's changes" : "The plan's changes");
    mgw_dbuf_puts(b, "setlocal\r\nset APPCMD=%windir%\\system32\\inetsrv\\appcmd.exe\r\n");
    mgw_dbuf_printf(b, "\"%%APPCMD%%\" add backup \"mgwauth-before-%s-%.12s\"\r\n",
                    rollback ? "rollback" : "apply", fp);
    mgw_dbuf_puts(b, "if errorlevel 1 goto failed\r\n");
    size_t n = 0;
    for (size_t i = 0; r == MGW_OK && i < p->n_items; i++)
        if (p->items[i].action == MGW_IISACT_SET) {
            r = appcmd_line(p, &p->items[i], rollback, b);
            n++;
        }
    if (n == 0)
        mgw_dbuf_puts(b, "rem Nothing to change: the file already has the desired settings.\r\n");
    mgw_dbuf_puts(b, "exit /b 0\r\n:failed\r\necho appcmd failed; nothing after that line "
                     "ran 1>&2\r\nexit /b 1\r\n");
    return r == MGW_OK && b->oom ? MGW_ERR_NO_MEMORY : r;
}

MGW_API int mgw_iisplan_output(const mgw_iisplan_t *p, int which, uint8_t **out, size_t *out_len)
{
    if (p == NULL || out == NULL || out_len == NULL || which < MGW_IISPLAN_DESIRED ||
        which > MGW_IISPLAN_APPCMD_ROLLBACK)
        return mgw_err(MGW_ERR_INVALID_ARGUMENT, "mgw_iisplan_output: invalid argument");
    int r;
    if (which == MGW_IISPLAN_DESIRED)
        r = mgw_out_copy(p->desired, p->desired_len, out, out_len);
    else if (which == MGW_IISPLAN_BACKUP)
        r = mgw_out_copy(p->before, p->before_len, out, out_len);
    else {
        mgw_dbuf b;
        mgw_dbuf_init(&b);
        r = appcmd_script(p, which == MGW_IISPLAN_APPCMD_ROLLBACK, &b);
        if (r == MGW_OK)
            r = mgw_dbuf_detach(&b, out, out_len);
        mgw_dbuf_free(&b);
    }
    if (r != MGW_OK)
        return r == MGW_ERR_NO_MEMORY ? mgw_err(r, NULL) : r;
    mgw_err_clear();
    return MGW_OK;
}

/* ---- describing a file -------------------------------------------------------------- */

static void put_flags_json(mgw_dbuf *b, int kind, bool has, uint32_t flags)
{
    if (!has) {
        mgw_dbuf_puts(b, "null");
        return;
    }
    mgw_dbuf names;
    mgw_dbuf_init(&names);
    if (mgw_iisflags_names(kind, flags, &names) != MGW_OK) {
        b->oom = true; /* not an empty name: the description fails */
        mgw_dbuf_free(&names);
        return;
    }
    mgw_dbuf_printf(b, "{\"value\": %lu, \"names\": ", (unsigned long)flags);
    mgw_json_string(b, (const char *)names.p, names.len);
    mgw_dbuf_puts(b, "}");
    mgw_dbuf_free(&names);
}

static void flags_text(mgw_dbuf *b, int kind, bool has, uint32_t flags)
{
    if (!has) {
        mgw_dbuf_puts(b, "(not set)");
        return;
    }
    mgw_dbuf_printf(b, "%lu = ", (unsigned long)flags);
    mgw_iisflags_names(kind, flags, b);
}

static unsigned long line_of(const mgw_iisconfig_t *c, size_t elem)
{
    unsigned long line, col;
    mgw_xdoc_position(&c->doc, c->doc.elems[elem].start, &line, &col);
    return line;
}

/* The location that decides the site's access: its own, else the server's. */
static const mgw_iislocation *own_location(const mgw_iisconfig_t *c, const char *path)
{
    const mgw_iislocation *found = NULL;
    size_t n, at = mgw_iis_lookup(c->location_keys, c->n_locations, path, &n);
    for (size_t k = at; k < at + n; k++)
        if (c->locations[c->location_keys[k].index].has_flags)
            found = &c->locations[c->location_keys[k].index];
    return found;
}

/* The server-wide default: <location path=""> when one sets it (applied
 * over the configuration level), else configuration/system.webServer. */
static void server_default(const mgw_iisconfig_t *c, bool *has, uint32_t *flags,
                           const mgw_iislocation **loc)
{
    *loc = own_location(c, "");
    *has = *loc != NULL || c->has_global;
    *flags = *loc != NULL ? (*loc)->flags : c->has_global ? c->global_flags : 0;
}

static void describe_server_text(const mgw_iisconfig_t *c, mgw_dbuf *b)
{
    bool has;
    uint32_t flags;
    const mgw_iislocation *loc;
    server_default(c, &has, &flags, &loc);
    mgw_dbuf_puts(b, "server-wide default access sslFlags: ");
    flags_text(b, MGW_FLAGS_ACCESS, true, flags);
    if (loc != NULL)
        mgw_dbuf_printf(b, " (location \"\", line %lu)\n", line_of(c, loc->elem));
    else
        mgw_dbuf_puts(b, has ? " (configuration/system.webServer)\n" : " (the default: not set)\n");
}

static void describe_server_json(const mgw_iisconfig_t *c, mgw_dbuf *b)
{
    bool has;
    uint32_t flags;
    const mgw_iislocation *loc;
    server_default(c, &has, &flags, &loc);
    mgw_dbuf_puts(b, ",\n \"server\": {\"access\": ");
    put_flags_json(b, MGW_FLAGS_ACCESS, true, flags);
    mgw_dbuf_printf(b, ", \"source\": \"%s\"",
                    loc != NULL ? "location"
                    : has       ? "configuration"
                                : "default");
    if (loc != NULL)
        mgw_dbuf_printf(b, ", \"line\": %lu", line_of(c, loc->elem));
    mgw_dbuf_puts(b, "}");
}

static void describe_site_text(const mgw_iisconfig_t *c, const mgw_iissite *s, mgw_dbuf *b)
{
    mgw_dbuf_printf(b, "site \"%s\" (id %s, line %lu)\n", s->name, s->id != NULL ? s->id : "?",
                    line_of(c, s->elem));
    for (size_t i = 0; i < s->n_bindings; i++) {
        const mgw_iisbinding *bi = &s->bindings[i];
        mgw_dbuf_printf(b, "  binding %s %s", bi->protocol, bi->info);
        if (mgw_iis_eq(bi->protocol, "https")) {
            mgw_dbuf_puts(b, "  sslFlags ");
            flags_text(b, MGW_FLAGS_BINDING, true, bi->flags);
            mgw_dbuf_puts(b, bi->flags & MGW_IISBINDING_DISABLE_TLS13 ? " (TLS 1.3 over TCP off)"
                                                                      : " (TLS 1.3 over TCP on)");
        }
        mgw_dbuf_putc(b, '\n');
    }
    const mgw_iislocation *own = own_location(c, s->name);
    mgw_dbuf_puts(b, "  access sslFlags: ");
    if (own != NULL) {
        flags_text(b, MGW_FLAGS_ACCESS, true, own->flags);
        mgw_dbuf_printf(b, " (location \"%s\", line %lu)\n", own->path, line_of(c, own->elem));
    } else {
        bool has;
        uint32_t flags;
        const mgw_iislocation *loc;
        server_default(c, &has, &flags, &loc);
        flags_text(b, MGW_FLAGS_ACCESS, true, flags);
        mgw_dbuf_puts(b, has ? " (inherited from the server level)\n"
                             : " (the default: no location sets it)\n");
    }
    for (size_t i = 0; i < c->n_locations; i++) {
        const mgw_iislocation *l = &c->locations[i];
        if (!l->has_flags || !mgw_iis_under(l->path, s->name))
            continue;
        mgw_dbuf_printf(b, "  child location \"%s\" (line %lu): access sslFlags ", l->path,
                        line_of(c, l->elem));
        flags_text(b, MGW_FLAGS_ACCESS, true, l->flags);
        mgw_dbuf_putc(b, '\n');
    }
}

static void describe_site_json(const mgw_iisconfig_t *c, const mgw_iissite *s, mgw_dbuf *b)
{
    mgw_dbuf_puts(b, "{\"name\": ");
    mgw_json_str(b, s->name);
    mgw_dbuf_puts(b, ", \"id\": ");
    if (s->id != NULL)
        mgw_json_str(b, s->id);
    else
        mgw_dbuf_puts(b, "null");
    mgw_dbuf_printf(b, ", \"line\": %lu, \"bindings\": [", line_of(c, s->elem));
    for (size_t i = 0; i < s->n_bindings; i++) {
        const mgw_iisbinding *bi = &s->bindings[i];
        mgw_dbuf_puts(b, i == 0 ? "{\"protocol\": " : ", {\"protocol\": ");
        mgw_json_str(b, bi->protocol);
        mgw_dbuf_puts(b, ", \"bindingInformation\": ");
        mgw_json_str(b, bi->info);
        mgw_dbuf_puts(b, ", \"sslFlags\": ");
        put_flags_json(b, MGW_FLAGS_BINDING, bi->has_flags, bi->flags);
        mgw_dbuf_puts(b, "}");
    }
    const mgw_iislocation *own = own_location(c, s->name), *sloc;
    bool has;
    uint32_t sflags;
    server_default(c, &has, &sflags, &sloc);
    uint32_t eff = own != NULL ? own->flags : sflags;
    mgw_dbuf_puts(b, "], \"access\": {\"effective\": ");
    put_flags_json(b, MGW_FLAGS_ACCESS, true, eff);
    mgw_dbuf_printf(b, ", \"source\": \"%s\"}, \"child_locations\": [",
                    own != NULL ? "location"
                    : has       ? "server"
                                : "default");
    bool first = true;
    for (size_t i = 0; i < c->n_locations; i++) {
        const mgw_iislocation *l = &c->locations[i];
        if (!l->has_flags || !mgw_iis_under(l->path, s->name))
            continue;
        mgw_dbuf_puts(b, first ? "{\"path\": " : ", {\"path\": ");
        mgw_json_str(b, l->path);
        mgw_dbuf_printf(b, ", \"line\": %lu, \"sslFlags\": ", line_of(c, l->elem));
        put_flags_json(b, MGW_FLAGS_ACCESS, true, l->flags);
        mgw_dbuf_puts(b, "}");
        first = false;
    }
    mgw_dbuf_puts(b, "]}");
}

static int config_text(const void *obj, mgw_dbuf *b)
{
    const mgw_iisconfig_t *c = obj;
    for (size_t i = 0; i < c->n_sites; i++)
        describe_site_text(c, &c->sites[i], b);
    if (c->n_sites == 0)
        mgw_dbuf_puts(b, "no sites\n");
    describe_server_text(c, b);
    return b->oom ? MGW_ERR_NO_MEMORY : MGW_OK;
}

static int config_json(const void *obj, mgw_dbuf *b)
{
    const mgw_iisconfig_t *c = obj;
    mgw_dbuf_puts(b, "{\"sites\": [");
    for (size_t i = 0; i < c->n_sites; i++) {
        mgw_dbuf_puts(b, i == 0 ? "\n  " : ",\n  ");
        describe_site_json(c, &c->sites[i], b);
    }
    mgw_dbuf_puts(b, "\n]");
    describe_server_json(c, b);
    mgw_dbuf_puts(b, "}\n");
    return b->oom ? MGW_ERR_NO_MEMORY : MGW_OK;
}

MGW_API int mgw_iisconfig_describe(const mgw_iisconfig_t *c, int style, char **out)
{
    return mgw_describe("mgw_iisconfig_describe", c, style, config_text, config_json, out);
}
