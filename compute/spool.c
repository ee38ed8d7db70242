/* compute/spool.c: see spool.h. */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char magic[12] = "URLMONSPOOL3";    /* rows carry the certificate expiry */
static const char magic_v2[12] = "URLMONSPOOL2"; /* before it: read, expiry 0 */
static const char magic_v1[12] = "URLMONSPOOL1"; /* before install ids: no identity */
static const char trailer[4] = "END\n";
#define ROW_FIXED_V2 (8 + 8 + 1 + 4 * 8 + 2 + 2) /* a row with empty strings */
#define ROW_FIXED (ROW_FIXED_V2 + 8)
#define MAX_ROWS 10000000u

/* ---- encoding ---------------------------------------------------------------- */

struct wbuf {
    unsigned char *p;
    size_t len;
};

static void put(struct wbuf *w, uint64_t v, unsigned bytes)
{
    unsigned i;
    for (i = 0; i < bytes; i++)
        w->p[w->len++] = (unsigned char)(v >> (8 * i));
}

static void put_str(struct wbuf *w, const char *s, size_t cap)
{
    size_t n = strnlen(s, cap - 1);
    put(w, n, 2);
    memcpy(w->p + w->len, s, n);
    w->len += n;
}

static void encode_row(struct wbuf *w, const struct check_result *r)
{
    put(w, r->url_id, 8);
    put(w, (uint64_t)r->checked_at_ms, 8);
    put(w, r->success ? 1 : 0, 1);
    put(w, (uint32_t)r->http_status, 4);
    put(w, r->response_ms, 4);
    put(w, r->dns_ms, 4);
    put(w, r->connect_ms, 4);
    put(w, r->tls_ms, 4);
    put(w, r->ttfb_ms, 4);
    put(w, (uint32_t)r->error, 4);
    put(w, (uint32_t)r->regex_matched, 4);
    put_str(w, r->message, sizeof(r->message));
    put_str(w, r->regex_match, sizeof(r->regex_match));
    put(w, (uint64_t)r->cert_expires_s, 8);
}

/* ---- writing ----------------------------------------------------------------- */

static int mkdirs(const char *dir, char *err, size_t errlen)
{
    char path[PATH_MAX];
    size_t i, len = strlen(dir);

    if (len == 0 || len >= sizeof(path)) {
        snprintf(err, errlen, "SPOOL_DIR: bad directory name");
        return -1;
    }
    memcpy(path, dir, len + 1);
    for (i = 1; i <= len; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        path[i] = '\0';
        if (mkdir(path, 0750) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "cannot create spool directory %s: %s", path, strerror(errno));
            return -1;
        }
        path[i] = dir[i];
    }
    return 0;
}

static int write_all(int fd, const unsigned char *p, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    int rc = -1;

    if (fd >= 0) {
        rc = fsync(fd);
        close(fd);
    }
    return rc;
}

int spool_write(const char *dir, const char *install_id, uint64_t run_id, uint32_t batch_no,
                const struct check_result *r, size_t n, char *err, size_t errlen)
{
    char final[PATH_MAX], tmp[PATH_MAX];
    struct wbuf w = {NULL, 0};
    int fd = -1, rc = -1;
    size_t i;

    if (mkdirs(dir, err, errlen) != 0)
        goto out;
    snprintf(final, sizeof(final), "%s/batch-%020" PRIu64 "-%010" PRIu32 ".spool", dir, run_id,
             batch_no);
    snprintf(tmp, sizeof(tmp), "%s/.tmp-%ld-%020" PRIu64 "-%010" PRIu32, dir, (long)getpid(),
             run_id, batch_no);
    if (!(w.p = malloc(sizeof(magic) + SPOOL_ID_LEN + 16 +
                       n * (ROW_FIXED + CHECK_MESSAGE_MAX + CHECK_MATCH_MAX) + sizeof(trailer)))) {
        snprintf(err, errlen, "spool: out of memory");
        goto out;
    }
    memcpy(w.p, magic, sizeof(magic));
    w.len = sizeof(magic);
    memset(w.p + w.len, 0, SPOOL_ID_LEN);
    memcpy(w.p + w.len, install_id, strnlen(install_id, SPOOL_ID_LEN));
    w.len += SPOOL_ID_LEN;
    put(&w, run_id, 8);
    put(&w, batch_no, 4);
    put(&w, n, 4);
    for (i = 0; i < n; i++)
        encode_row(&w, &r[i]);
    memcpy(w.p + w.len, trailer, sizeof(trailer));
    w.len += sizeof(trailer);
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) < 0 ||
        write_all(fd, w.p, w.len) != 0 || fsync(fd) != 0) {
        snprintf(err, errlen, "cannot write spool file %s: %s", tmp, strerror(errno));
        goto out;
    }
    if (close(fd) != 0 || (fd = -1, rename(tmp, final) != 0) || fsync_dir(dir) != 0) {
        snprintf(err, errlen, "cannot move spool file into %s: %s", final, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    if (rc != 0)
        unlink(tmp);
    free(w.p);
    return rc;
}

/* ---- reading ----------------------------------------------------------------- */

struct rbuf {
    const unsigned char *p;
    size_t len, pos;
    int bad;
};

static uint64_t get(struct rbuf *r, unsigned bytes)
{
    uint64_t v = 0;
    unsigned i;

    if (r->bad || r->len - r->pos < bytes) {
        r->bad = 1;
        return 0;
    }
    for (i = 0; i < bytes; i++)
        v |= (uint64_t)r->p[r->pos++] << (8 * i);
    return v;
}

static void get_str(struct rbuf *r, char *dst, size_t cap)
{
    size_t n = (size_t)get(r, 2);

    if (r->bad || n >= cap || r->len - r->pos < n) {
        r->bad = 1;
        return;
    }
    memcpy(dst, r->p + r->pos, n);
    dst[n] = '\0';
    r->pos += n;
}

static void decode_row(struct rbuf *rb, struct check_result *c, int version)
{
    memset(c, 0, sizeof(*c));
    c->url_id = get(rb, 8);
    c->checked_at_ms = (int64_t)get(rb, 8);
    c->success = get(rb, 1) != 0;
    c->http_status = (int)(int32_t)(uint32_t)get(rb, 4);
    c->response_ms = (uint32_t)get(rb, 4);
    c->dns_ms = (uint32_t)get(rb, 4);
    c->connect_ms = (uint32_t)get(rb, 4);
    c->tls_ms = (uint32_t)get(rb, 4);
    c->ttfb_ms = (uint32_t)get(rb, 4);
    c->error = (enum check_error)(uint32_t)get(rb, 4);
    c->regex_matched = (int)(int32_t)(uint32_t)get(rb, 4);
    get_str(rb, c->message, sizeof(c->message));
    get_str(rb, c->regex_match, sizeof(c->regex_match));
    if (version >= 3)
        c->cert_expires_s = (int64_t)get(rb, 8);
    if (c->error > CHECK_ERR_OTHER)
        rb->bad = 1;
}

static int read_file(const char *path, unsigned char **data, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    int rc = -1;

    *data = NULL;
    if (!f || fstat(fileno(f), &st) != 0) {
        snprintf(err, errlen, "cannot open spool file %s: %s", path, strerror(errno));
        goto out;
    }
    if (st.st_size <= 0 || st.st_size > (off_t)1 << 34 || !(*data = malloc((size_t)st.st_size))) {
        snprintf(err, errlen, "spool file %s: bad size or out of memory", path);
        goto out;
    }
    *len = fread(*data, 1, (size_t)st.st_size, f);
    if (*len != (size_t)st.st_size) {
        snprintf(err, errlen, "cannot read spool file %s", path);
        goto out;
    }
    rc = 0;
out:
    if (rc != 0) {
        free(*data);
        *data = NULL;
    }
    if (f)
        fclose(f);
    return rc;
}

int spool_read(const char *path, struct spool_batch *b, char *err, size_t errlen)
{
    unsigned char *data = NULL;
    struct rbuf rb = {NULL, 0, 0, 0};
    int rc = -1;
    size_t i;
    int version = 3;

    memset(b, 0, sizeof(*b));
    if (read_file(path, &data, &rb.len, err, errlen) != 0)
        goto out;
    rb.p = data;
    if (rb.len >= sizeof(magic_v1) && memcmp(data, magic_v1, sizeof(magic_v1)) == 0) {
        snprintf(err, errlen, "spool file %s has no database identity (written before install ids)",
                 path);
        rc = SPOOL_FOREIGN;
        goto out;
    }
    if (rb.len >= sizeof(magic_v2) && memcmp(data, magic_v2, sizeof(magic_v2)) == 0)
        version = 2;
    if (rb.len < sizeof(magic) + SPOOL_ID_LEN + 16 + sizeof(trailer) ||
        (version == 3 && memcmp(data, magic, sizeof(magic)) != 0) ||
        memcmp(data + rb.len - sizeof(trailer), trailer, sizeof(trailer)) != 0)
        goto bad;
    memcpy(b->install_id, data + sizeof(magic), SPOOL_ID_LEN);
    b->install_id[SPOOL_ID_LEN] = '\0';
    rb.pos = sizeof(magic) + SPOOL_ID_LEN;
    rb.len -= sizeof(trailer);
    b->run_id = get(&rb, 8);
    b->batch_no = (uint32_t)get(&rb, 4);
    b->n = (size_t)get(&rb, 4);
    if (b->n == 0 || b->n > MAX_ROWS || b->n > rb.len / ROW_FIXED_V2)
        goto bad;
    if (!(b->rows = calloc(b->n, sizeof(*b->rows)))) {
        snprintf(err, errlen, "spool: out of memory");
        goto out;
    }
    for (i = 0; i < b->n && !rb.bad; i++)
        decode_row(&rb, &b->rows[i], version);
    if (rb.bad || rb.pos != rb.len)
        goto bad;
    rc = 0;
    goto out;
bad:
    snprintf(err, errlen, "spool file %s is damaged (not replayed)", path);
out:
    if (rc != 0) {
        char keep[SPOOL_ID_LEN + 1];
        memcpy(keep, b->install_id, sizeof(keep));
        spool_batch_clear(b);
        memcpy(b->install_id, keep, sizeof(keep));
    }
    free(data);
    return rc;
}

void spool_batch_clear(struct spool_batch *b)
{
    free(b->rows);
    memset(b, 0, sizeof(*b));
}

/* ---- the default folder ------------------------------------------------------ */

/* A private folder of this user (0700, owned by us, not a symlink): created when
 * missing, refused when someone else owns it or others may write to it. */
static int private_dir(const char *path, char *err, size_t errlen)
{
    struct stat st;

    if (mkdir(path, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
        return -1;
    }
    if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
        (st.st_mode & 0077) != 0) {
        snprintf(err, errlen,
                 "%s is not a private directory of this user (a symlink, another owner, or open "
                 "to others): set SPOOL_DIR",
                 path);
        return -1;
    }
    return 0;
}

int spool_default_dir(const char *db_address, unsigned db_port, const char *db_name, char *out,
                      size_t outlen, char *err, size_t errlen)
{
    const char *base = getenv("STATE_DIRECTORY"); /* systemd StateDirectory= */
    char top[PATH_MAX], name[300];
    size_t i;
    int n;

    if (base && base[0] && !strchr(base, ':')) {
        n = snprintf(top, sizeof(top), "%s", base);
    } else {
        const char *tmp = getenv("TMPDIR");
        n = snprintf(top, sizeof(top), "%s/urlmon-%lu", tmp && tmp[0] == '/' ? tmp : "/tmp",
                     (unsigned long)geteuid());
        if (n > 0 && (size_t)n < sizeof(top) && private_dir(top, err, errlen) != 0)
            return -1;
    }
    if (n <= 0 || (size_t)n >= sizeof(top))
        goto toolong;
    n = snprintf(name, sizeof(name), "spool-%s-%u-%s", db_address, db_port, db_name);
    if (n <= 0 || (size_t)n >= sizeof(name))
        goto toolong;
    for (i = 0; name[i]; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
              (name[i] >= '0' && name[i] <= '9') || name[i] == '-' || name[i] == '.' ||
              name[i] == '_'))
            name[i] = '_';
    n = snprintf(out, outlen, "%s/%s", top, name);
    if (n <= 0 || (size_t)n >= outlen)
        goto toolong;
    return private_dir(out, err, errlen);
toolong:
    snprintf(err, errlen, "the default spool directory name is too long: set SPOOL_DIR");
    return -1;
}

/* ---- listing ----------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_spool_name(const char *name)
{
    size_t len = strlen(name);
    return strncmp(name, "batch-", 6) == 0 && len > 12 && strcmp(name + len - 6, ".spool") == 0;
}

int spool_list(const char *dir, char ***paths, size_t *n, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char **v = NULL, **nv;
    size_t cnt = 0, cap = 0;
    int rc = -1;

    *paths = NULL;
    *n = 0;
    if (!d) {
        rc = errno == ENOENT ? 0 : -1;
        if (rc != 0)
            snprintf(err, errlen, "cannot read spool directory %s: %s", dir, strerror(errno));
        goto out;
    }
    while ((de = readdir(d))) {
        if (!is_spool_name(de->d_name))
            continue;
        if (cnt == cap) {
            cap = cap ? cap * 2 : 16;
            if (!(nv = realloc(v, cap * sizeof(*v))))
                goto oom;
            v = nv;
        }
        if (asprintf(&v[cnt], "%s/%s", dir, de->d_name) < 0)
            goto oom;
        cnt++;
    }
    if (cnt > 1)
        qsort(v, cnt, sizeof(*v), cmp_str);
    *paths = v;
    *n = cnt;
    v = NULL;
    rc = 0;
    goto out;
oom:
    snprintf(err, errlen, "spool: out of memory");
out:
    spool_list_free(&v, cnt);
    if (d)
        closedir(d);
    return rc;
}

void spool_list_free(char ***paths, size_t n)
{
    size_t i;

    if (!paths || !*paths)
        return;
    for (i = 0; i < n; i++)
        free((*paths)[i]);
    free(*paths);
    *paths = NULL;
}
