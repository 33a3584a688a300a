/* `coffer secrets enable|disable|list|tune` over sys/mounts. */
#include "cli/cli.h"
#include "cli/output.h"
#include <coffer/errors.h>
#include "util/json.h"
#include <stdlib.h>
#include <string.h>

static const char secrets_help[] =
    "Usage: coffer secrets <subcommand> [options] [args]\n"
    "\n"
    "    enable     secrets enable [-path=P] [-version=N] [-description=S]\n"
    "               [-default-lease-ttl=D] [-max-lease-ttl=D] [-options=k=v ...]\n"
    "               [-local] [-seal-wrap] TYPE\n"
    "    disable    secrets disable PATH\n"
    "    list       secrets list [-detailed]\n"
    "    tune       secrets tune [-default-lease-ttl=D] [-max-lease-ttl=D]\n"
    "               [-description=S] [-options=k=v ...] [-version=N] PATH\n";

/* "kv/" -> "kv": Vault's sanitizePath, plus the one trailing slash. */
static void clean_path(const char *in, char *out, size_t outlen)
{
    while (*in == '/')
        in++;
    snprintf(out, outlen, "%s", in);
    size_t l = strlen(out);
    while (l && out[l - 1] == '/')
        out[--l] = '\0';
}

/* The flags enable and tune share. */
struct mount_flags {
    const char *desc, *dttl, *mttl;
    long long version;
    struct cf_strlist opts;
};

/* The body of enable (type set: TTLs nested under "config", as
 * sys/mounts/<path> takes them) or tune (type NULL: TTLs at the top).
 * f->opts is freed in every case. 0 with *body set, or the exit code. */
static int mount_body(struct cf_cli *cli, const char *type, int local, int sealwrap,
                      struct mount_flags *f, char **body)
{
    struct cf_json j;
    if (cf_json_init(&j)) {
        cf_strlist_free(&f->opts);
        return CF_EXIT_USAGE;
    }
    int nest = type && (f->dttl || f->mttl);
    cf_json_obj_open(&j);
    if (type)
        cf_json_kstr(&j, "type", type);
    if (f->desc)
        cf_json_kstr(&j, "description", f->desc);
    if (nest) {
        cf_json_key(&j, "config");
        cf_json_obj_open(&j);
    }
    if (f->dttl)
        cf_json_kstr(&j, "default_lease_ttl", f->dttl);
    if (f->mttl)
        cf_json_kstr(&j, "max_lease_ttl", f->mttl);
    if (nest)
        cf_json_obj_close(&j);
    if (local)
        cf_json_kbool(&j, "local", 1);
    if (sealwrap)
        cf_json_kbool(&j, "seal_wrap", 1);
    int rc = 0;
    if (f->opts.n || f->version) {
        cf_json_key(&j, "options");
        cf_json_obj_open(&j);
        rc = cf_cli_pairs(cli, &j, "options", &f->opts);
        if (!rc && f->version) {
            char v[32];
            snprintf(v, sizeof v, "%lld", f->version);
            cf_json_kstr(&j, "version", v);
        }
        cf_json_obj_close(&j);
    }
    cf_strlist_free(&f->opts);
    if (rc) {
        cf_json_abort(&j);
        return CF_EXIT_USAGE;
    }
    cf_json_obj_close(&j);
    return cf_json_finish(&j, body) ? CF_EXIT_USAGE : 0;
}

/* One sys/mounts/<mount><suffix> request; frees body and what, the
 * error prefix (empty when it could not be built: a local failure). */
static int mounts_call(struct cf_cli *cli, const char *method, const char *mount,
                       const char *suffix, char *body, struct cf_buf *what)
{
    struct cf_buf p = {0};
    cf_buf_printf(&p, "sys/mounts/%s%s", mount, suffix);
    int code = p.data && what->data ? cf_cli_send(cli, what->data, method, p.data, body)
                                    : CF_EXIT_USAGE;
    cf_buf_free(&p);
    cf_buf_free(what);
    free(body);
    return code;
}

static int do_enable(struct cf_cli *cli, int argc, char **argv)
{
    const char *path = NULL;
    int local = 0, sealwrap = 0;
    struct mount_flags f = {0};
    const struct cf_flag fl[] = {
        {"path", CF_FLAG_STR, &path, NULL},
        {"description", CF_FLAG_STR, &f.desc, NULL},
        {"default-lease-ttl", CF_FLAG_DURATION, &f.dttl, NULL},
        {"max-lease-ttl", CF_FLAG_DURATION, &f.mttl, NULL},
        {"version", CF_FLAG_INT, &f.version, NULL},
        {"options", CF_FLAG_STRARR, &f.opts, NULL},
        {"local", CF_FLAG_BOOL, &local, NULL},
        {"seal-wrap", CF_FLAG_BOOL, &sealwrap, NULL},
        {NULL, 0, NULL, NULL},
    };
    int pos, code;
    if (cf_cli_args(cli, fl, argc, argv, 1, 1, &pos, &code)) {
        cf_strlist_free(&f.opts);
        return code;
    }
    const char *type = argv[pos];
    char mount[512], *body;
    clean_path(path && *path ? path : type, mount, sizeof mount);
    if ((code = mount_body(cli, type, local, sealwrap, &f, &body)))
        return code;
    struct cf_buf what = {0};
    cf_buf_printf(&what, "Error enabling %s secrets engine at %s/", type, mount);
    if ((code = mounts_call(cli, "POST", mount, "", body, &what)))
        return code;
    fprintf(cli->out, "Success! Enabled the %s secrets engine at: %s/\n", type, mount);
    return CF_EXIT_OK;
}

static int do_disable(struct cf_cli *cli, int argc, char **argv)
{
    int pos, code;
    if (cf_cli_args(cli, NULL, argc, argv, 1, 1, &pos, &code))
        return code;
    char mount[512];
    clean_path(argv[pos], mount, sizeof mount);
    struct cf_buf what = {0};
    cf_buf_printf(&what, "Error disabling secrets engine at %s/", mount);
    if ((code = mounts_call(cli, "DELETE", mount, "", NULL, &what)))
        return code;
    fprintf(cli->out, "Success! Disabled the secrets engine (if it existed) at: %s/\n",
            mount);
    return CF_EXIT_OK;
}

/* The mount table: "data" when the server wraps it, else the top-level
 * members that look like mounts ("name/": {...}). */
static yajl_val mount_table(yajl_val resp)
{
    yajl_val d = cf_json_get(resp, "data");
    if (d && d->type == yajl_t_object && d->u.object.len)
        return d;
    return resp;
}

static int do_list(struct cf_cli *cli, int argc, char **argv)
{
    int detailed = 0;
    const struct cf_flag fl[] = {
        {"detailed", CF_FLAG_BOOL, &detailed, NULL},
        {NULL, 0, NULL, NULL},
    };
    int pos, code;
    if (cf_cli_args(cli, fl, argc, argv, 0, 0, &pos, &code))
        return code;
    struct cf_resp r;
    code = cf_cli_call(cli, "Error listing secrets engines", "GET", "sys/mounts", NULL,
                       NULL, NULL, 0, &r);
    if (code) {
        cf_resp_free(&r);
        return code;
    }
    yajl_val m = mount_table(r.json);
    if (cli->json) {
        code = cf_cli_print_json(cli, m);
        cf_resp_free(&r);
        return code;
    }
    const char **keys;
    size_t n;
    struct cf_table t;
    struct cf_buf b = {0};
    int rc = cf_sorted_keys(m, &keys, &n);
    cf_table_init(&t, detailed ? 6 : 4);
    static const char *const hdr[] = {"Path", "Type", "Accessor", "Description"};
    static const char *const dhdr[] = {"Path",        "Type",    "Accessor",
                                       "Default TTL", "Max TTL", "Description"};
    if (!rc)
        rc = cf_table_add(&t, detailed ? dhdr : hdr);
    for (size_t i = 0; !rc && i < n; i++) {
        size_t kl = strlen(keys[i]);
        yajl_val e = cf_json_get(m, keys[i]);
        if (!kl || keys[i][kl - 1] != '/' || !e || e->type != yajl_t_object)
            continue;
        const char *type = cf_json_get_str(e, "type");
        const char *acc = cf_json_get_str(e, "accessor");
        const char *desc = cf_json_get_str(e, "description");
        if (detailed) {
            yajl_val cfg = cf_json_get(e, "config");
            long long d = 0, mx = 0;
            char ds[32], ms[32];
            cf_json_get_int(cfg, "default_lease_ttl", &d);
            cf_json_get_int(cfg, "max_lease_ttl", &mx);
            snprintf(ds, sizeof ds, "%s", "system");
            snprintf(ms, sizeof ms, "%s", "system");
            if (d)
                cf_human_duration(d, ds);
            if (mx)
                cf_human_duration(mx, ms);
            const char *row[] = {keys[i], type, acc, ds, ms, desc};
            rc = cf_table_add(&t, row);
        } else {
            const char *row[] = {keys[i], type, acc, desc};
            rc = cf_table_add(&t, row);
        }
    }
    free(keys);
    if (!rc)
        rc = cf_table_render(&t, 1, &b);
    cf_table_free(&t);
    cf_resp_free(&r);
    return cf_cli_emit(cli, rc, &b);
}

static int do_tune(struct cf_cli *cli, int argc, char **argv)
{
    struct mount_flags f = {0};
    const struct cf_flag fl[] = {
        {"description", CF_FLAG_STR, &f.desc, NULL},
        {"default-lease-ttl", CF_FLAG_DURATION, &f.dttl, NULL},
        {"max-lease-ttl", CF_FLAG_DURATION, &f.mttl, NULL},
        {"options", CF_FLAG_STRARR, &f.opts, NULL},
        {"version", CF_FLAG_INT, &f.version, NULL},
        {NULL, 0, NULL, NULL},
    };
    int pos, code;
    if (cf_cli_args(cli, fl, argc, argv, 1, 1, &pos, &code)) {
        cf_strlist_free(&f.opts);
        return code;
    }
    char mount[512], *body;
    clean_path(argv[pos], mount, sizeof mount);
    if ((code = mount_body(cli, NULL, 0, 0, &f, &body)))
        return code;
    struct cf_buf what = {0};
    cf_buf_printf(&what, "Error tuning secrets engine %s", mount);
    if ((code = mounts_call(cli, "POST", mount, "/tune", body, &what)))
        return code;
    fprintf(cli->out, "Success! Tuned the secrets engine at: %s/\n", mount);
    return CF_EXIT_OK;
}

int cf_cmd_secrets(struct cf_cli *cli, const char *sub, int argc, char **argv)
{
    cli->help = secrets_help;
    if (!sub || !strcmp(sub, "-h")) {
        fputs(secrets_help, sub ? cli->out : cli->err);
        return sub ? CF_EXIT_OK : CF_EXIT_USAGE;
    }
    if (!strcmp(sub, "enable"))
        return do_enable(cli, argc, argv);
    if (!strcmp(sub, "disable"))
        return do_disable(cli, argc, argv);
    if (!strcmp(sub, "list"))
        return do_list(cli, argc, argv);
    if (!strcmp(sub, "tune"))
        return do_tune(cli, argc, argv);
    fprintf(cli->err, "Unknown subcommand: secrets %s\n\n%s", sub, secrets_help);
    return CF_EXIT_USAGE;
}
