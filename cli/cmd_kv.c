/* `coffer kv ...`: Vault's KV helper. It finds the mount of a path and its
 * version (sys/internal/ui/mounts, else sys/mounts), rewrites paths for v2
 * (data/, metadata/, delete/, undelete/, destroy/) and prints the
 * "== Secret Path ==" / Metadata / Data sections as Vault does. */
#include "cli/cli.h"
#include "cli/output.h"
#include <coffer/errors.h>
#include "util/json.h"
#include "util/secret.h"
#include <stdlib.h>
#include <string.h>

static const char kv_help[] =
    "Usage: coffer kv <subcommand> [options] [args]\n"
    "\n"
    "    put        kv put [-mount=M] [-cas=N] PATH k=v|k=@file|k=-|- ...\n"
    "    patch      kv patch [-mount=M] [-cas=N] PATH k=v ...      (v2 only)\n"
    "    get        kv get [-mount=M] [-version=N] [-field=K] PATH\n"
    "    delete     kv delete [-mount=M] [-versions=1,2] PATH\n"
    "    undelete   kv undelete [-mount=M] -versions=1,2 PATH       (v2 only)\n"
    "    destroy    kv destroy [-mount=M] -versions=1,2 PATH        (v2 only)\n"
    "    list       kv list [-mount=M] PATH\n"
    "    metadata   kv metadata get|put|delete [-mount=M] PATH\n"
    "               put: -max-versions=N -cas-required -delete-version-after=D\n"
    "                    -custom-metadata=k=v (repeatable)\n";

/* Where a KV path lives: the mount ("secret/") and its version. */
struct kvloc {
    char *full;  /* the path with the mount in front: "secret/app" */
    char *mount; /* "secret/" */
    int v2;
};

static void kvloc_free(struct kvloc *k)
{
    free(k->full);
    free(k->mount);
    memset(k, 0, sizeof *k);
}

static char *join_mount(const char *mount, const char *path)
{
    struct cf_buf b = {0};
    size_t ml = strlen(mount);
    while (ml && mount[ml - 1] == '/')
        ml--;
    while (*mount == '/' && ml) {
        mount++;
        ml--;
    }
    while (*path == '/')
        path++;
    int rc = mount && ml
        ? cf_buf_printf(&b, "%.*s%s%s", (int)ml, mount, *path ? "/" : "", path)
        : cf_buf_puts(&b, path);
    if (rc) {
        cf_buf_free(&b);
        return NULL;
    }
    return cf_buf_take(&b);
}

static int version_of(yajl_val entry)
{
    yajl_val opts = cf_json_get(entry, "options");
    const char *v = cf_json_get_str(opts, "version");
    long long n = 0;
    if (v)
        return !strcmp(v, "2");
    return !cf_json_get_int(opts, "version", &n) && n == 2;
}

/* Quiet look-ups: a failure here is not the user's error yet; the real
 * request that follows reports what the server says. */
static int kv_locate(struct cf_cli *cli, const char *mountflag, const char *arg,
                     struct kvloc *k)
{
    memset(k, 0, sizeof *k);
    k->full = mountflag ? join_mount(mountflag, arg) : join_mount("", arg);
    if (!k->full || cf_cli_client(cli))
        goto fail;
    struct cf_resp r;
    struct cf_buf p = {0};
    if (cf_buf_printf(&p, "sys/internal/ui/mounts/%s", k->full)) {
        cf_buf_free(&p);
        goto fail;
    }
    int rc = cf_client_do(&cli->client, "GET", p.data, NULL, NULL, NULL, &r);
    cf_buf_free(&p);
    if (rc == CF_EUNAVAIL) {
        cf_client_print_error(cli->err, "Error determining the mount", &r);
        cf_resp_free(&r);
        kvloc_free(k);
        return CF_EXIT_API;
    }
    if (!rc && r.status == 200) {
        yajl_val d = cf_resp_data(&r);
        const char *mp = cf_json_get_str(d, "path");
        if (mp && *mp) {
            k->mount = strdup(mp);
            k->v2 = version_of(d);
        }
    }
    cf_resp_free(&r);
    if (!k->mount &&
        !cf_client_do(&cli->client, "GET", "sys/mounts", NULL, NULL, NULL, &r) &&
        r.status == 200) {
        yajl_val d = cf_resp_data(&r);
        size_t best = 0;
        for (size_t i = 0; d && d->type == yajl_t_object && i < d->u.object.len; i++) {
            const char *m = d->u.object.keys[i];
            size_t ml = strlen(m);
            if (!ml || m[ml - 1] != '/' || ml <= best)
                continue;
            if (!strncmp(k->full, m, ml) ||
                (strlen(k->full) == ml - 1 && !strncmp(k->full, m, ml - 1))) {
                free(k->mount);
                k->mount = strdup(m);
                k->v2 = version_of(d->u.object.values[i]);
                best = ml;
            }
        }
    }
    cf_resp_free(&r);
    if (!k->mount) {
        /* Unknown (or not visible to this token): take the first segment
         * as a v1 mount, so the request itself reports the error. */
        const char *sl = strchr(k->full, '/');
        size_t l = sl ? (size_t)(sl - k->full) : strlen(k->full);
        k->mount = malloc(l + 2);
        if (k->mount) {
            memcpy(k->mount, k->full, l);
            k->mount[l] = '/';
            k->mount[l + 1] = '\0';
        }
        k->v2 = 0;
    }
    if (!k->mount)
        goto fail;
    return 0;
fail:
    kvloc_free(k);
    fprintf(cli->err, "Error: out of memory\n");
    return CF_EXIT_USAGE;
}

/* The request path: v2 gets the prefix inserted after the mount. */
static char *kv_path(const struct kvloc *k, const char *prefix)
{
    char *out = NULL;
    if (!k->v2)
        return strdup(k->full);
    if (cf_kv_v2_path(k->mount, k->full, prefix, &out))
        return NULL;
    return out;
}

static size_t max_key(yajl_val obj, const char *const *skip)
{
    size_t m = 0;
    for (size_t i = 0; obj && obj->type == yajl_t_object && i < obj->u.object.len; i++) {
        int skipped = 0;
        for (size_t s = 0; skip && skip[s]; s++)
            skipped |= !strcmp(skip[s], obj->u.object.keys[i]);
        if (!skipped && strlen(obj->u.object.keys[i]) > m)
            m = strlen(obj->u.object.keys[i]);
    }
    return m;
}

/* "==== Title ====" sized like Vault's getHeaderForMap, then the table. */
static int titled_map(struct cf_buf *b, const char *title, yajl_val obj,
                      const char *const *skip)
{
    int rc = cf_banner(title, max_key(obj, skip) + 4 + 5, b);
    return rc ? rc : cf_render_map(obj, skip, b);
}

static int path_banner(struct cf_buf *b, const char *title, const char *path)
{
    int rc = cf_banner(title, strlen(path), b);
    return rc ? rc : cf_buf_printf(b, "%s\n\n", path);
}

/* Body for put/patch: v2 wraps the data and adds options.cas. */
static int write_body(const struct cf_kvdata *d, int v2, int cas_set, long long cas,
                      char **out)
{
    struct cf_json j;
    if (cf_json_init(&j))
        return CF_ENOMEM;
    cf_json_obj_open(&j);
    if (v2) {
        cf_json_key(&j, "data");
        cf_json_obj_open(&j);
        cf_kvdata_emit(d, &j);
        cf_json_obj_close(&j);
        if (cas_set) {
            cf_json_key(&j, "options");
            cf_json_obj_open(&j);
            cf_json_kint(&j, "cas", cas);
            cf_json_obj_close(&j);
        }
    } else {
        cf_kvdata_emit(d, &j);
    }
    cf_json_obj_close(&j);
    return cf_json_finish(&j, out);
}

static int kv_write(struct cf_cli *cli, int patch, int argc, char **argv)
{
    const char *mount = NULL, *field = NULL;
    long long cas = 0;
    int cas_set = 0, pos, code;
    const struct cf_flag fl[] = {
        {"mount", CF_FLAG_STR, &mount, NULL},
        {"cas", CF_FLAG_INT, &cas, &cas_set},
        {"field", CF_FLAG_STR, &field, NULL},
        {NULL, 0, NULL, NULL},
    };
    if (cf_cli_args(cli, fl, argc, argv, 1, -1, &pos, &code))
        return code;
    if (argc - pos < 2) {
        fprintf(cli->err, "Must supply data\n");
        return CF_EXIT_USAGE;
    }
    struct cf_kvdata d;
    if ((code = cf_cli_kvdata(cli, argv + pos + 1, argc - pos - 1, &d)))
        return code;
    struct kvloc k;
    if ((code = kv_locate(cli, mount, argv[pos], &k))) {
        cf_kvdata_free(&d);
        return code;
    }
    if (patch && !k.v2) {
        fprintf(cli->err, "K/V engine mount must be version 2 for patch support\n");
        cf_kvdata_free(&d);
        kvloc_free(&k);
        return CF_EXIT_API;
    }
    char *path = kv_path(&k, "data");
    char *body = NULL;
    int rc = path ? write_body(&d, k.v2, cas_set, cas, &body) : CF_ENOMEM;
    cf_kvdata_free(&d);
    if (rc) {
        fprintf(cli->err, "Error encoding data: %s\n",
                rc == CF_ENOMEM ? "out of memory" : "values must be valid UTF-8");
        free(path);
        kvloc_free(&k);
        return CF_EXIT_USAGE;
    }
    struct cf_resp r;
    code = cf_cli_call_at(cli, "Error writing data to",
                          patch ? "PATCH" : (k.v2 ? "POST" : "PUT"), path, NULL, body,
                          patch ? "application/merge-patch+json" : NULL, 0, &r);
    cf_free_secret_str(body);
    if (!code) {
        yajl_val data = cf_json_get(r.json, "data");
        if (field && *field)
            code = cf_cli_print_secret(cli, r.json, data, field);
        else if (cli->json)
            code = r.json ? cf_cli_print_json(cli, r.json) : CF_EXIT_OK;
        else if (k.v2 && data && data->type == yajl_t_object) {
            struct cf_buf b = {0};
            rc = path_banner(&b, "Secret Path", path);
            if (!rc)
                rc = titled_map(&b, "Metadata", data, NULL);
            code = cf_cli_emit(cli, rc, &b);
        } else if (r.json && data) {
            code = cf_cli_print_secret(cli, r.json, data, NULL);
        } else {
            fprintf(cli->out, "Success! Data written to: %s\n", path);
        }
    }
    cf_resp_free(&r);
    free(path);
    kvloc_free(&k);
    return code;
}

static int kv_get(struct cf_cli *cli, int argc, char **argv)
{
    const char *mount = NULL, *field = NULL;
    long long version = 0;
    int version_set = 0, pos, code;
    const struct cf_flag fl[] = {
        {"mount", CF_FLAG_STR, &mount, NULL},
        {"version", CF_FLAG_INT, &version, &version_set},
        {"field", CF_FLAG_STR, &field, NULL},
        {NULL, 0, NULL, NULL},
    };
    if (cf_cli_args(cli, fl, argc, argv, 1, 1, &pos, &code))
        return code;
    struct kvloc k;
    if ((code = kv_locate(cli, mount, argv[pos], &k)))
        return code;
    char *path = kv_path(&k, "data");
    char query[64] = "";
    if (k.v2 && version_set)
        snprintf(query, sizeof query, "version=%lld", version);
    if (!path) {
        kvloc_free(&k);
        return CF_EXIT_USAGE;
    }
    struct cf_resp r;
    code = cf_cli_call_at(cli, "Error reading", "GET", path, query, NULL, NULL, 1, &r);
    yajl_val data = cf_json_get(r.json, "data");
    /* A 404 with a body is a deleted or destroyed v2 version: Vault shows
     * its metadata. A bare 404 means nothing is there. */
    if (!code && r.status == 404 &&
        (!data || data->type != yajl_t_object || data->u.object.len == 0)) {
        fprintf(cli->err, "No value found at %s\n", path);
        code = CF_EXIT_API;
    } else if (!code) {
        yajl_val inner = k.v2 ? cf_json_get(data, "data") : data;
        if (field && *field)
            code = cf_cli_print_secret(cli, r.json, inner, field);
        else if (cli->json)
            code = cf_cli_print_json(cli, r.json);
        else {
            struct cf_buf b = {0};
            int rc = 0;
            if (k.v2) {
                rc = path_banner(&b, "Secret Path", path);
                yajl_val md = cf_json_get(data, "metadata");
                if (!rc && md && md->type == yajl_t_object) {
                    rc = titled_map(&b, "Metadata", md, NULL);
                    if (!rc && inner && inner->type == yajl_t_object)
                        rc = cf_buf_puts(&b, "\n");
                }
            }
            if (!rc && inner && inner->type == yajl_t_object)
                rc = titled_map(&b, "Data", inner, NULL);
            code = cf_cli_emit(cli, rc, &b);
        }
    }
    cf_resp_free(&r);
    free(path);
    kvloc_free(&k);
    return code;
}

static int versions_body(const struct cf_strlist *l, char **out)
{
    long long *v;
    size_t n;
    int rc = cf_parse_versions(l, &v, &n);
    if (rc)
        return rc;
    struct cf_json j;
    if (cf_json_init(&j)) {
        free(v);
        return CF_ENOMEM;
    }
    cf_json_obj_open(&j);
    cf_json_key(&j, "versions");
    cf_json_arr_open(&j);
    for (size_t i = 0; i < n; i++)
        cf_json_int(&j, v[i]);
    cf_json_arr_close(&j);
    cf_json_obj_close(&j);
    free(v);
    return cf_json_finish(&j, out);
}

/* A write or delete whose answer is only success: "Error writing <path>"
 * or "Error deleting <path>" on failure, Vault's success line otherwise. */
static int send_done(struct cf_cli *cli, int is_delete, const char *method,
                     const char *path, const char *body)
{
    struct cf_resp r;
    int code = cf_cli_call_at(cli, is_delete ? "Error deleting" : "Error writing", method,
                              path, NULL, body, NULL, 0, &r);
    cf_resp_free(&r);
    if (!code && is_delete)
        fprintf(cli->out, "Success! Data deleted (if it existed) at: %s\n", path);
    else if (!code)
        fprintf(cli->out, "Success! Data written to: %s\n", path);
    return code;
}

/* delete, undelete and destroy share their shape. */
static int kv_versions_op(struct cf_cli *cli, const char *op, int argc, char **argv)
{
    const char *mount = NULL;
    struct cf_strlist versions = {0};
    int pos, code;
    const struct cf_flag fl[] = {
        {"mount", CF_FLAG_STR, &mount, NULL},
        {"versions", CF_FLAG_STRLIST, &versions, NULL},
        {NULL, 0, NULL, NULL},
    };
    if (cf_cli_args(cli, fl, argc, argv, 1, 1, &pos, &code)) {
        cf_strlist_free(&versions);
        return code;
    }
    int is_delete = !strcmp(op, "delete");
    if (!is_delete && !versions.n) {
        fprintf(cli->err,
                "No versions provided, use the \"-versions\" flag to "
                "specify the version to %s.\n",
                op);
        return CF_EXIT_USAGE;
    }
    char *body = NULL;
    if (versions.n && versions_body(&versions, &body)) {
        fprintf(
            cli->err,
            "Invalid -versions: a comma-separated list of version numbers is expected\n");
        cf_strlist_free(&versions);
        return CF_EXIT_USAGE;
    }
    cf_strlist_free(&versions);
    struct kvloc k;
    if ((code = kv_locate(cli, mount, argv[pos], &k))) {
        free(body);
        return code;
    }
    if (!k.v2 && (!is_delete || body)) {
        fprintf(cli->err, "%s\n",
                is_delete ? "Versions can only be deleted on a KV v2 mount"
                          : "Undelete and destroy are only supported on KV v2 mounts");
        free(body);
        kvloc_free(&k);
        return CF_EXIT_USAGE;
    }
    const char *method, *prefix;
    if (is_delete && !body) {
        method = "DELETE";
        prefix = "data";
    } else {
        method = !strcmp(op, "destroy") ? "PUT" : "POST";
        prefix = op;
    }
    char *path = kv_path(&k, prefix);
    code = path ? send_done(cli, is_delete, method, path, body) : CF_EXIT_USAGE;
    free(body);
    free(path);
    kvloc_free(&k);
    return code;
}

static int kv_list(struct cf_cli *cli, int argc, char **argv)
{
    const char *mount = NULL;
    int pos, code;
    const struct cf_flag fl[] = {
        {"mount", CF_FLAG_STR, &mount, NULL},
        {NULL, 0, NULL, NULL},
    };
    if (cf_cli_args(cli, fl, argc, argv, 0, 1, &pos, &code))
        return code;
    if (!mount && cf_cli_nargs(cli, argc - pos, 1, 1))
        return CF_EXIT_USAGE;
    struct kvloc k;
    if ((code = kv_locate(cli, mount, argc > pos ? argv[pos] : "", &k)))
        return code;
    char *path = kv_path(&k, "metadata");
    code = CF_EXIT_USAGE;
    if (path) {
        struct cf_resp r;
        code =
            cf_cli_call_at(cli, "Error listing", "LIST", path, NULL, NULL, NULL, 1, &r);
        if (!code)
            code = cf_cli_print_list(cli, &r, path);
        cf_resp_free(&r);
    }
    free(path);
    kvloc_free(&k);
    return code;
}

static int cmp_version(const void *a, const void *b)
{
    long long x = atoll(*(const char *const *)a), y = atoll(*(const char *const *)b);
    return x < y ? -1 : x > y;
}

static int metadata_get(struct cf_cli *cli, const struct kvloc *k, const char *path)
{
    struct cf_resp r;
    int code = cf_cli_call_at(cli, "Error reading", "GET", path, NULL, NULL, NULL, 1, &r);
    yajl_val data = cf_json_get(r.json, "data");
    yajl_val versions = cf_json_get(data, "versions");
    if (!code && (r.status == 404 || !versions || versions->type != yajl_t_object)) {
        fprintf(cli->err, "No value found at %s\n", path);
        code = CF_EXIT_API;
    } else if (!code && cli->json) {
        code = cf_cli_print_json(cli, r.json);
    } else if (!code) {
        static const char *const skip[] = {"versions", NULL};
        struct cf_buf b = {0};
        int rc = path_banner(&b, "Metadata Path", path);
        if (!rc)
            rc = titled_map(&b, "Metadata", data, skip);
        const char **keys = NULL;
        size_t n = versions->u.object.len;
        if (!rc && n && !(keys = malloc(n * sizeof *keys)))
            rc = CF_ENOMEM;
        for (size_t i = 0; !rc && i < n; i++)
            keys[i] = versions->u.object.keys[i];
        if (!rc && n)
            qsort(keys, n, sizeof *keys, cmp_version);
        for (size_t i = 0; !rc && i < n; i++) {
            char title[64];
            snprintf(title, sizeof title, "Version %s", keys[i]);
            rc = cf_buf_puts(&b, "\n");
            if (!rc)
                rc = titled_map(&b, title, cf_json_get(versions, keys[i]), NULL);
        }
        free(keys);
        code = cf_cli_emit(cli, rc, &b);
    }
    (void)k;
    cf_resp_free(&r);
    return code;
}

static int metadata_put_body(struct cf_cli *cli, long long maxv, int maxv_set, int casreq,
                             int casreq_set, const char *dva,
                             const struct cf_strlist *custom, char **out)
{
    struct cf_json j;
    if (cf_json_init(&j))
        return CF_ENOMEM;
    cf_json_obj_open(&j);
    if (maxv_set)
        cf_json_kint(&j, "max_versions", maxv);
    if (casreq_set)
        cf_json_kbool(&j, "cas_required", casreq);
    if (dva)
        cf_json_kstr(&j, "delete_version_after", dva);
    if (custom->n) {
        cf_json_key(&j, "custom_metadata");
        cf_json_obj_open(&j);
        if (cf_cli_pairs(cli, &j, "custom-metadata", custom)) {
            cf_json_abort(&j);
            return CF_EINVAL;
        }
        cf_json_obj_close(&j);
    }
    cf_json_obj_close(&j);
    return cf_json_finish(&j, out);
}

static int kv_metadata(struct cf_cli *cli, int argc, char **argv)
{
    if (argc < 1 || !strcmp(argv[0], "-h") || !strcmp(argv[0], "-help")) {
        fputs(kv_help, argc < 1 ? cli->err : cli->out);
        return argc < 1 ? CF_EXIT_USAGE : CF_EXIT_OK;
    }
    const char *op = argv[0];
    int is_get = !strcmp(op, "get"), is_put = !strcmp(op, "put"),
        is_del = !strcmp(op, "delete");
    if (!is_get && !is_put && !is_del) {
        fprintf(cli->err, "Unknown subcommand: kv metadata %s\n\n%s", op, kv_help);
        return CF_EXIT_USAGE;
    }
    const char *mount = NULL, *dva = NULL;
    long long maxv = 0;
    int maxv_set = 0, casreq = 0, casreq_set = 0, pos, code;
    struct cf_strlist custom = {0};
    const struct cf_flag get_fl[] = {
        {"mount", CF_FLAG_STR, &mount, NULL},
        {NULL, 0, NULL, NULL},
    };
    const struct cf_flag put_fl[] = {
        {"mount", CF_FLAG_STR, &mount, NULL},
        {"max-versions", CF_FLAG_INT, &maxv, &maxv_set},
        {"cas-required", CF_FLAG_BOOL, &casreq, &casreq_set},
        {"delete-version-after", CF_FLAG_DURATION, &dva, NULL},
        {"custom-metadata", CF_FLAG_STRARR, &custom, NULL},
        {NULL, 0, NULL, NULL},
    };
    if (cf_cli_args(cli, is_put ? put_fl : get_fl, argc - 1, argv + 1, 1, 1, &pos,
                    &code)) {
        cf_strlist_free(&custom);
        return code;
    }
    pos++; /* argv[0] was the operation */
    char *body = NULL;
    if (is_put &&
        metadata_put_body(cli, maxv, maxv_set, casreq, casreq_set, dva, &custom, &body)) {
        cf_strlist_free(&custom);
        return CF_EXIT_USAGE;
    }
    cf_strlist_free(&custom);
    struct kvloc k;
    if ((code = kv_locate(cli, mount, argv[pos], &k))) {
        free(body);
        return code;
    }
    if (!k.v2) {
        fprintf(cli->err, "Metadata not supported on KV Version 1\n");
        free(body);
        kvloc_free(&k);
        return CF_EXIT_USAGE;
    }
    char *path = kv_path(&k, "metadata");
    if (!path) {
        free(body);
        kvloc_free(&k);
        return CF_EXIT_USAGE;
    }
    if (is_get) {
        code = metadata_get(cli, &k, path);
    } else {
        code = send_done(cli, !is_put, is_put ? "POST" : "DELETE", path, body);
    }
    free(body);
    free(path);
    kvloc_free(&k);
    return code;
}

int cf_cmd_kv(struct cf_cli *cli, const char *sub, int argc, char **argv)
{
    cli->help = kv_help;
    if (!sub || !strcmp(sub, "-h")) {
        fputs(kv_help, sub ? cli->out : cli->err);
        return sub ? CF_EXIT_OK : CF_EXIT_USAGE;
    }
    if (!strcmp(sub, "put"))
        return kv_write(cli, 0, argc, argv);
    if (!strcmp(sub, "patch"))
        return kv_write(cli, 1, argc, argv);
    if (!strcmp(sub, "get"))
        return kv_get(cli, argc, argv);
    if (!strcmp(sub, "delete") || !strcmp(sub, "undelete") || !strcmp(sub, "destroy"))
        return kv_versions_op(cli, sub, argc, argv);
    if (!strcmp(sub, "list"))
        return kv_list(cli, argc, argv);
    if (!strcmp(sub, "metadata"))
        return kv_metadata(cli, argc, argv);
    fprintf(cli->err, "Unknown subcommand: kv %s\n\n%s", sub, kv_help);
    return CF_EXIT_USAGE;
}
