/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TLS in the configuration: the syntax of its strings (OpenSSL lists, ALPN,
 * subject alternative names) and the checks across its keys. Certificates,
 * keys and CRLs are not parsed here: the loader only makes sure the files
 * can be read, and lib/tls judges them when it builds its contexts.
 */
#include <string.h>

#include "cfg_internal.h"

#define LOWER	"abcdefghijklmnopqrstuvwxyz"
#define UPPER	"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define DIGITS	"0123456789"

/* "ECDHE+AESGCM:!aNULL", "X25519:P-256", "ECDSA+SHA256:rsa_pss_rsae_sha256" */
const char *
cfg_ossl_list_problem(const char *s)
{
	if (*s == '\0')
		return "is empty (expected an OpenSSL list such as "
			"\"ECDHE+AESGCM\"; leave the key out for the default)";
	if (s[strspn(s, LOWER UPPER DIGITS ":+-!@=._?*/")] != '\0')
		return "has a character OpenSSL lists do not use (expected "
			"names separated by ':', with + - ! @ = . _ ? * / as "
			"OpenSSL has them)";
	return NULL;
}

/* The gateway speaks HTTP/1.x alone, so that is all it may negotiate. */
const char *
cfg_alpn_problem(const char *s)
{
	static const char bad[] = "is not a list of HTTP/1 protocols (expected "
		"\"http/1.1\", \"http/1.0\" or both, separated by ',')";

	while (*s != '\0') {
		size_t n = strcspn(s, ",");

		if (n == 2 && memcmp(s, "h2", 2) == 0)
			return "asks for HTTP/2, which meshgate does not support "
				"(expected \"http/1.1\")";
		if (n != 8 || (memcmp(s, "http/1.1", 8) != 0 &&
			       memcmp(s, "http/1.0", 8) != 0))
			return bad;
		s += n;
		if (*s == ',' && *++s == '\0')
			return bad;
	}
	return NULL;
}

/* "spiffe://TRUST-DOMAIN/SEG/SEG": the SPIFFE ID format (SPIFFE-ID.md). */
static bool
valid_spiffe_id(const char *s)
{
	size_t n;

	s += strlen("spiffe://");
	n = strspn(s, LOWER DIGITS ".-_");
	if (n == 0 || (s[n] != '\0' && s[n] != '/'))
		return false;
	for (s += n; *s == '/'; s += n) {
		n = strspn(++s, LOWER UPPER DIGITS ".-_");
		if (n == 0 || (n == 1 && s[0] == '.') ||
		    (n == 2 && s[0] == '.' && s[1] == '.'))
			return false;
	}
	return *s == '\0';
}

static const char not_a_san[] = "is neither a URI, an IP address nor a DNS "
	"name (expected e.g. \"spiffe://mesh.local/ns/lab/sa/api\" or "
	"\"api.mesh.local\")";

/* "scheme:rest": a scheme (RFC 3986 3.1), then visible ASCII. */
static const char *
uri_problem(const char *s, const char *colon)
{
	if (strspn(s, LOWER UPPER) == 0 || colon[1] == '\0' ||
	    strspn(s, LOWER UPPER DIGITS "+-.") != (size_t)(colon - s))
		return not_a_san;
	for (const char *c = colon + 1; *c != '\0'; c++)
		if (*c <= 0x20 || *c >= 0x7f)
			return "has a space, a control or a non-ASCII character "
				"(expected a URI as the certificate has it)";
	if (strncmp(s, "spiffe:", 7) == 0 && (strncmp(s, "spiffe://", 9) != 0 ||
					      !valid_spiffe_id(s)))
		return "is not a SPIFFE ID (expected spiffe://TRUST-DOMAIN/PATH, "
			"the trust domain in lower case, path segments of "
			"letters, digits, '.', '-' and '_')";
	return NULL;
}

/*
 * What a certificate's SAN may be compared with: a URI when there is a
 * scheme (a DNS name never has a ':'), an IP address as text, else a DNS
 * name. lib/tls decides which kind of SAN to look at the same way.
 */
const char *
cfg_san_problem(const char *s)
{
	const char *colon = strchr(s, ':');
	struct mg_ip ip;

	if (*s == '\0')
		return "is empty (expected a URI such as \"spiffe://mesh.local/"
			"ns/lab/sa/api\", an IP address or a DNS name)";
	if (mg_ip_parse(s, &ip) == 0)
		return NULL;
	if (s[0] == '[')
		return "is an address in brackets (expected the address alone, "
			"as the certificate has it)";
	if (colon != NULL)
		return uri_problem(s, colon);
	return cfg_host_problem(s, CFG_F_HOST) != NULL ? not_a_san : NULL;
}

/* The server name a client sends: a host name alone (RFC 6066 3: "Literal
 * IPv4 and IPv6 addresses are not permitted"). */
const char *
cfg_sni_problem(const char *s)
{
	struct mg_ip ip;

	if (s[0] == '[' || mg_ip_parse(s, &ip) == 0)
		return "is an address, which TLS never sends as a server name "
			"(expected a host name, or no sni)";
	if (strchr(s, ':') != NULL)
		return "has a ':' (expected a host name alone; the port is the "
			"endpoint's)";
	return cfg_host_problem(s, CFG_F_HOST);
}

static const char *
version_name(enum mg_cfg_tls_version v)
{
	return v == MG_CFG_TLS_1_2 ? "1.2" : "1.3";
}

/* Versions in order, and no cipher list for a version never spoken. BASE
 * is the path of the tls group. */
static void
check_versions(struct cfg_ctx *ctx, const char *base,
	       enum mg_cfg_tls_version min, enum mg_cfg_tls_version max)
{
	char path[128], path2[128];

	if (!cfg_ok(ctx, P(path, "%s.min_version", base)) ||
	    !cfg_ok(ctx, P(path2, "%s.max_version", base)))
		return;
	if (min > max) {
		cfg_error(ctx, path2, "\"%s\" is older than min_version \"%s\" "
			  "(expected min_version <= max_version)",
			  version_name(max), version_name(min));
		return;
	}
	if (min == MG_CFG_TLS_1_3 && cfg_has(ctx, P(path, "%s.ciphers", base)))
		cfg_error(ctx, path, "TLS 1.2 ciphers are never used with "
			  "min_version \"1.3\" (expected no ciphers, or "
			  "min_version \"1.2\")");
	if (max == MG_CFG_TLS_1_2 && cfg_has(ctx, P(path, "%s.ciphersuites", base)))
		cfg_error(ctx, path, "TLS 1.3 ciphersuites are never used with "
			  "max_version \"1.2\" (expected no ciphersuites, or "
			  "max_version \"1.3\")");
}

static const char *const client_auth_name[] = {
	[MG_CFG_CLIENT_AUTH_NONE] = "none",
	[MG_CFG_CLIENT_AUTH_OPTIONAL] = "optional",
	[MG_CFG_CLIENT_AUTH_REQUIRED] = "required",
};

/* Client certificates: a CA to verify them with when they are asked for,
 * and no verification keys when they are not. */
static void
check_client_auth(struct cfg_ctx *ctx, const char *base,
		  const struct mg_cfg_tls_server *t)
{
	static const char *const verify_keys[] = {
		"client_ca", "crl", "verify_depth",
	};
	char path[128];

	if (!cfg_ok(ctx, P(path, "%s.client_auth", base)))
		return;
	if (t->client_auth != MG_CFG_CLIENT_AUTH_NONE) {
		if (t->client_ca[0] == '\0' &&
		    cfg_ok(ctx, P(path, "%s.client_ca", base)))
			cfg_error(ctx, path, "missing required key (expected the "
				  "CA file of client certificates with "
				  "client_auth \"%s\")",
				  client_auth_name[t->client_auth]);
		return;
	}
	for (unsigned k = 0; k < sizeof(verify_keys) / sizeof(verify_keys[0]); k++)
		if (cfg_has(ctx, P(path, "%s.%s", base, verify_keys[k])) &&
		    cfg_ok(ctx, path))
			cfg_error(ctx, path, "client certificates are not asked "
				  "for (expected client_auth \"optional\" or "
				  "\"required\" with %s, or no %s)",
				  verify_keys[k], verify_keys[k]);
}

void
cfg_check_listener_tls(struct cfg_ctx *ctx, uint32_t i)
{
	const struct mg_cfg_tls_server *t = &ctx->cfg->listeners[i].tls;
	char base[64], path[128], path2[128];

	P(base, "listeners[%u].tls", i);
	check_versions(ctx, base, t->min_version, t->max_version);
	check_client_auth(ctx, base, t);

	P(path, "%s.certificates", base);
	if (cfg_ok(ctx, path) && t->default_certificate >= (int32_t)t->n_certificates &&
	    cfg_ok(ctx, P(path2, "%s.default_certificate", base)))
		cfg_error(ctx, path2, "%d is past the end of certificates, which "
			  "has %u (expected -1..%u)", t->default_certificate,
			  t->n_certificates, t->n_certificates - 1);
	for (uint32_t c = 1; c < t->n_certificates; c++) {
		const char *cert = t->certificates[c].cert;

		for (uint32_t d = 0; d < c && cert[0] != '\0'; d++)
			if (strcmp(cert, t->certificates[d].cert) == 0) {
				cfg_error(ctx, P(path, "%s.certificates[%u].cert",
						 base, c),
					  "\"%s\" is already certificates[%u] "
					  "(expected each certificate once)", cert, d);
				break;
			}
	}

	if (t->ticket_keys[0] == '\0' &&
	    cfg_ok(ctx, P(path2, "%s.ticket_keys", base)) &&
	    cfg_has(ctx, P(path, "%s.ticket_lifetime_s", base)) && cfg_ok(ctx, path))
		cfg_error(ctx, path, "there are no tickets without ticket_keys "
			  "(expected ticket_keys with ticket_lifetime_s, or no "
			  "ticket_lifetime_s)");
}

void
cfg_check_cluster_tls(struct cfg_ctx *ctx, uint32_t i)
{
	const struct mg_cfg_tls_client *t = &ctx->cfg->clusters[i].tls;
	char base[64], path[128], path2[128];

	if (!cfg_has(ctx, P(base, "clusters[%u].tls", i)))
		return;
	check_versions(ctx, base, t->min_version, t->max_version);

	P(path, "%s.cert", base);
	P(path2, "%s.key", base);
	if (cfg_ok(ctx, path) && cfg_ok(ctx, path2) &&
	    (t->cert[0] == '\0') != (t->key[0] == '\0'))
		cfg_error(ctx, t->cert[0] == '\0' ? path : path2, "missing "
			  "required key (expected cert and key together, or "
			  "neither)");
	if (t->enabled && t->ca[0] == '\0' && cfg_ok(ctx, P(path, "%s.ca", base)))
		cfg_error(ctx, path, "missing required key (expected the CA file "
			  "of the endpoints' certificates with enabled = true: "
			  "endpoints are always verified)");
}

/* The https listeners among MASK that ask for client certificates; -1 when
 * one of them failed to load, which may be why there is none. */
static int
listeners_with_client_auth(const struct cfg_ctx *ctx, uint64_t mask)
{
	const struct mg_config *cfg = ctx->cfg;
	char path[64];
	int n = 0;

	for (uint32_t l = 0; l < cfg->n_listeners; l++) {
		const struct mg_cfg_listener *ls = &cfg->listeners[l];

		if (!(mask & (1ull << l)))
			continue;
		if (!cfg_ok(ctx, P(path, "listeners[%u].mode", l)) ||
		    !cfg_ok(ctx, P(path, "listeners[%u].tls", l)))
			return -1;
		n += ls->mode == MG_MODE_HTTPS &&
			ls->tls.client_auth != MG_CFG_CLIENT_AUTH_NONE;
	}
	return n;
}

void
cfg_check_route_tls(struct cfg_ctx *ctx, uint32_t i)
{
	const struct mg_cfg_route *r = &ctx->cfg->routes[i];
	const struct mg_cfg_cert_match *m = &r->client_cert;
	char path[96], path2[96];
	bool match = cfg_has(ctx, P(path, "routes[%u].match.client_cert", i));

	if (match && m->subject[0] == '\0' && m->san[0] == '\0' && cfg_ok(ctx, path))
		cfg_error(ctx, path, "no condition (expected subject, san or both)");
	if (r->require_client_cert)
		P(path, "routes[%u].require_client_cert", i);
	else if (!match)
		return;
	if (r->listener_mask == 0 || !cfg_ok(ctx, path) ||
	    !cfg_ok(ctx, P(path2, "routes[%u].listeners", i)) ||
	    listeners_with_client_auth(ctx, r->listener_mask) != 0)
		return;
	cfg_error(ctx, path, "no listener of the route asks for client "
		  "certificates (expected a listener in mode \"https\" with "
		  "tls.client_auth \"optional\" or \"required\")");
}
