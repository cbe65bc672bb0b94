/* OAuth2 access tokens for Vertex AI, in order: an explicit token, a service-account key file
 * (RS256 JWT assertion exchanged at its token_uri), or the GCE metadata server. Fetched tokens are
 * cached until a few minutes before they expire. Tokens never reach a log line or an error. */
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vertex.h"

#define VX_SCOPE "https://www.googleapis.com/auth/cloud-platform"
#define VX_DEFAULT_TOKEN_URI "https://oauth2.googleapis.com/token"
#define VX_METADATA_PATH "/computeMetadata/v1/instance/service-accounts/default/token"
#define VX_KEY_FILE_MAX (64 * 1024)
/* Renew this long before expiry (google-auth refreshes within a few minutes of it). */
#define VX_REFRESH_MARGIN_S 300

static void secret_free(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

static int64_t mono_s(void)
{
    return pu_now_ms() / 1000;
}

/* Reads a small file whole into a malloc'd NUL-terminated buffer. */
static char *read_small_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open: %m");
        return NULL;
    }
    char *buf = malloc(VX_KEY_FILE_MAX + 1);
    size_t n = buf ? fread(buf, 1, VX_KEY_FILE_MAX + 1, f) : 0;
    int bad = !buf || ferror(f) || n > VX_KEY_FILE_MAX;
    fclose(f);
    if (bad) {
        snprintf(err, errlen, "%s", buf ? "cannot read it, or larger than 64 KiB" : "out of memory");
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

static int load_key_file(struct vx_auth *a, const char *path, char *err, size_t errlen)
{
    char why[256];
    int ret = -1;
    json_t *root = NULL;
    BIO *bio = NULL;
    char *text = read_small_file(path, why, sizeof why);
    if (!text) {
        snprintf(err, errlen, "vertex: credentials_file %s: %s", path, why);
        return -1;
    }
    json_error_t jerr;
    root = json_loads(text, 0, &jerr);
    secret_free(text);
    if (!json_is_object(root)) {
        snprintf(err, errlen, "vertex: credentials_file %s: not a JSON key file (line %d column %d: %s)", path,
                 jerr.line, jerr.column, root ? "not an object" : jerr.text);
        goto out;
    }
    const char *type = json_string_value(json_object_get(root, "type"));
    if (!type || strcmp(type, "service_account") != 0) {
        snprintf(err, errlen, "vertex: credentials_file %s: type is '%s', only 'service_account' keys are supported "
                 "(use the metadata server or access_token otherwise)", path, type ? type : "(missing)");
        goto out;
    }
    const char *email = json_string_value(json_object_get(root, "client_email"));
    const char *pem = json_string_value(json_object_get(root, "private_key"));
    const char *kid = json_string_value(json_object_get(root, "private_key_id"));
    const char *uri = json_string_value(json_object_get(root, "token_uri"));
    if (!email || !*email || !pem || !*pem) {
        snprintf(err, errlen, "vertex: credentials_file %s: missing client_email or private_key", path);
        goto out;
    }
    bio = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *pkey = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    if (!pkey) {
        snprintf(err, errlen, "vertex: credentials_file %s: private_key is not a PEM private key", path);
        goto out;
    }
    if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
        EVP_PKEY_free(pkey);
        snprintf(err, errlen, "vertex: credentials_file %s: private_key is not an RSA key (RS256 needs one)", path);
        goto out;
    }
    a->pkey = pkey;
    a->client_email = strdup(email);
    a->private_key_id = kid ? strdup(kid) : NULL;
    a->token_uri = strdup(uri && *uri ? uri : VX_DEFAULT_TOKEN_URI);
    if (!a->client_email || !a->token_uri || (kid && !a->private_key_id)) {
        snprintf(err, errlen, "vertex: credentials_file %s: out of memory", path);
        goto out;
    }
    ret = 0;
out:
    BIO_free(bio);
    json_decref(root);
    return ret;
}

int vx_auth_init(struct vertex *v, char *err, size_t errlen)
{
    struct vx_auth *a = &v->auth;
    pthread_mutex_init(&a->lock, NULL);
    if (v->cfg.access_token && *v->cfg.access_token) {
        a->source = VX_AUTH_TOKEN;
        a->token = strdup(v->cfg.access_token);
        if (!a->token) {
            snprintf(err, errlen, "vertex: out of memory");
            return -1;
        }
        return 0;
    }
    if (v->cfg.credentials_file && *v->cfg.credentials_file) {
        a->source = VX_AUTH_SA_KEY;
        return load_key_file(a, v->cfg.credentials_file, err, errlen);
    }
    /* The same variable google-auth honours; a host[:port], no scheme. */
    const char *host = getenv("GCE_METADATA_HOST");
    a->source = VX_AUTH_METADATA;
    a->metadata_url = pu_strf("http://%s%s", host && *host ? host : "metadata.google.internal", VX_METADATA_PATH);
    if (!a->metadata_url) {
        snprintf(err, errlen, "vertex: out of memory");
        return -1;
    }
    return 0;
}

void vx_auth_free(struct vx_auth *a)
{
    secret_free(a->token);
    free(a->client_email);
    free(a->private_key_id);
    free(a->token_uri);
    free(a->metadata_url);
    EVP_PKEY_free(a->pkey);
    pthread_mutex_destroy(&a->lock);
    memset(a, 0, sizeof *a);
}

/* base64url without padding (RFC 7515 §2) of n bytes, malloc'd. */
static char *b64url(const unsigned char *in, size_t n)
{
    char *out = malloc(4 * ((n + 2) / 3) + 1);
    if (!out)
        return NULL;
    int len = EVP_EncodeBlock((unsigned char *)out, in, (int)n);
    while (len > 0 && out[len - 1] == '=')
        len--;
    out[len] = '\0';
    for (char *p = out; *p; p++) {
        if (*p == '+')
            *p = '-';
        else if (*p == '/')
            *p = '_';
    }
    return out;
}

static char *b64url_json(json_t *obj)
{
    char *text = json_dumps(obj, JSON_COMPACT);
    char *enc = text ? b64url((const unsigned char *)text, strlen(text)) : NULL;
    free(text);
    return enc;
}

/* The signed assertion for the JWT bearer grant (RFC 7523), as Google's service-account flow wants. */
static char *make_jwt(struct vx_auth *a, char *err, size_t errlen)
{
    char *header_b64 = NULL, *claims_b64 = NULL, *signing_input = NULL, *sig_b64 = NULL, *jwt = NULL;
    unsigned char *sig = NULL;
    EVP_MD_CTX *md = NULL;
    int64_t iat = (int64_t)time(NULL);

    json_t *header = json_pack("{s:s, s:s}", "alg", "RS256", "typ", "JWT");
    if (header && a->private_key_id)
        json_object_set_new(header, "kid", json_string(a->private_key_id));
    json_t *claims = json_pack("{s:s, s:s, s:s, s:I, s:I}", "iss", a->client_email, "scope", VX_SCOPE, "aud",
                               a->token_uri, "iat", (json_int_t)iat, "exp", (json_int_t)(iat + 3600));
    header_b64 = header ? b64url_json(header) : NULL;
    claims_b64 = claims ? b64url_json(claims) : NULL;
    signing_input = header_b64 && claims_b64 ? pu_strf("%s.%s", header_b64, claims_b64) : NULL;
    if (!signing_input) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    size_t siglen = 0;
    md = EVP_MD_CTX_new();
    if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, a->pkey) != 1 ||
        EVP_DigestSign(md, NULL, &siglen, (const unsigned char *)signing_input, strlen(signing_input)) != 1 ||
        !(sig = malloc(siglen)) ||
        EVP_DigestSign(md, sig, &siglen, (const unsigned char *)signing_input, strlen(signing_input)) != 1) {
        snprintf(err, errlen, "cannot sign the JWT with the key of %s (OpenSSL)", a->client_email);
        goto out;
    }
    sig_b64 = b64url(sig, siglen);
    jwt = sig_b64 ? pu_strf("%s.%s", signing_input, sig_b64) : NULL;
    if (!jwt)
        snprintf(err, errlen, "out of memory");
out:
    EVP_MD_CTX_free(md);
    free(sig);
    free(sig_b64);
    free(signing_input);
    free(claims_b64);
    free(header_b64);
    json_decref(claims);
    json_decref(header);
    return jwt;
}

/* Fetches a new token into a->token (caller holds a->lock). */
static int fetch_token(struct vertex *v, char *err, size_t errlen)
{
    struct vx_auth *a = &v->auth;
    int ret = -1;
    char *form = NULL, *jwt = NULL;
    char herr[1024], why[512];
    const char *where;
    struct dw_http_client_response resp = {.size = sizeof resp};
    json_t *root = NULL;
    const char *headers[3] = {NULL, NULL, NULL};
    /* Token servers answer in milliseconds: shorter bounds than API calls, so a dead metadata
     * server cannot hold a caller (or the poller's stop) for the whole API deadline. */
    struct dw_http_client_request req = {
        .size = sizeof req,
        .timeout_ms = v->cfg.timeout < 10000 ? v->cfg.timeout : 10000,
        .max_attempts = v->cfg.max_attempts < 4 ? (int)v->cfg.max_attempts : 4,
        .deadline_ms = v->cfg.deadline < 30000 ? v->cfg.deadline : 30000,
        .headers = headers,
    };

    if (a->source == VX_AUTH_SA_KEY) {
        where = a->token_uri;
        jwt = make_jwt(a, why, sizeof why);
        if (!jwt) {
            snprintf(err, errlen, "access token for %s: %s", a->client_email, why);
            goto out;
        }
        /* The grant type's colons percent-encoded, as urlencode() does in google-auth. */
        form = pu_strf("grant_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Agrant-type%%3Ajwt-bearer&assertion=%s", jwt);
        if (!form) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
        headers[0] = "Content-Type: application/x-www-form-urlencoded";
        headers[1] = "Accept: application/json";
        req.method = "POST";
        req.url = a->token_uri;
        req.body = form;
        req.body_len = strlen(form);
    } else {
        where = a->metadata_url;
        headers[0] = "Metadata-Flavor: Google";
        req.method = "GET";
        req.url = a->metadata_url;
    }

    herr[0] = '\0';
    if (v->host->http_request(v->ctx, &req, &resp, herr, sizeof herr) < 0) {
        snprintf(err, errlen, "access token from %s: %s", a->source == VX_AUTH_SA_KEY ? "the token URI" :
                 "the metadata server", herr);
        goto out;
    }
    json_error_t jerr;
    root = json_loadb(resp.body ? resp.body : "", resp.body_len, 0, &jerr);
    if (resp.status != 200) {
        json_t *e = json_object_get(root, "error");
        const char *code = json_is_string(e) ? json_string_value(e)
                                             : json_string_value(json_object_get(e, "status"));
        const char *desc = json_is_string(e) ? json_string_value(json_object_get(root, "error_description"))
                                             : json_string_value(json_object_get(e, "message"));
        snprintf(err, errlen, "access token from %s: HTTP %ld%s%s%s%s", where, resp.status, code ? " " : "",
                 code ? code : "", desc ? ": " : "", desc ? desc : "");
        goto out;
    }
    const char *tok = json_string_value(json_object_get(root, "access_token"));
    json_t *exp = json_object_get(root, "expires_in");
    if (!tok || !*tok) {
        snprintf(err, errlen, "access token from %s: %s", where,
                 root ? "the answer has no access_token" : "malformed JSON in the answer");
        goto out;
    }
    /* Bounded to [0 s, 1 day] (Google's tokens last an hour): the server's number must neither
     * overflow refresh_at nor, as a real, the conversion (tests/fuzz/corpus/vertex_response/token_*). */
    double lifetime = json_is_number(exp) ? json_number_value(exp) : 3600;
    int64_t expires_in = lifetime >= 86400 ? 86400 : lifetime > 0 ? (int64_t)lifetime : 0;
    int64_t margin = expires_in / 2 < VX_REFRESH_MARGIN_S ? expires_in / 2 : VX_REFRESH_MARGIN_S;
    char *copy = strdup(tok);
    if (!copy) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    secret_free(a->token);
    a->token = copy;
    a->refresh_at = mono_s() + expires_in - margin;
    a->fetches++;
    v->host->log(v->ctx, DW_LOG_DEBUG, "vertex: got an access token from %s, valid %llds (fetch %lld)", where,
                 (long long)expires_in, (long long)a->fetches);
    ret = 0;
out:
    if (resp.body) {
        OPENSSL_cleanse(resp.body, resp.body_len);
        v->host->free(resp.body);
    }
    json_decref(root);
    secret_free(form);
    secret_free(jwt);
    return ret;
}

int vx_auth_header(struct vertex *v, char **header, char *err, size_t errlen)
{
    struct vx_auth *a = &v->auth;
    int ret = 0;
    *header = NULL;
    pthread_mutex_lock(&a->lock);
    if (a->source != VX_AUTH_TOKEN && (!a->token || mono_s() >= a->refresh_at))
        ret = fetch_token(v, err, errlen);
    if (ret == 0) {
        *header = pu_strf("Authorization: Bearer %s", a->token);
        if (!*header) {
            snprintf(err, errlen, "out of memory");
            ret = -1;
        }
    }
    pthread_mutex_unlock(&a->lock);
    return ret;
}

void vx_auth_header_free(char *header)
{
    secret_free(header);
}

void vx_auth_invalidate(struct vertex *v)
{
    struct vx_auth *a = &v->auth;
    pthread_mutex_lock(&a->lock);
    if (a->source != VX_AUTH_TOKEN) {
        secret_free(a->token);
        a->token = NULL;
        a->refresh_at = 0;
    }
    pthread_mutex_unlock(&a->lock);
}
