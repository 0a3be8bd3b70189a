/* SPDX-License-Identifier: Apache-2.0 */
/* Failure reasons: names, counting, and mapping from OpenSSL's codes. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "tls_private.h"

static const char *const error_names[MG_TLS_ERR_MAX] = {
	"ok",
#define X(n, s) s,
	MG_TLS_ERRORS(X)
#undef X
};

const char *
mg_tls_error_name(enum mg_tls_error e)
{
	return (unsigned)e < MG_TLS_ERR_MAX ? error_names[e] : "?";
}

void
tls_count(struct mg_tls_conn *c, enum mg_tls_error e)
{
	if (e > MG_TLS_OK && e < MG_TLS_ERR_MAX)
		c->ctx->st.errors[e]++;
}

enum mg_tls_error
tls_classify_verify(int x509_err)
{
	switch (x509_err) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return MG_TLS_ERR_CERT_EXPIRED;
	case X509_V_ERR_CERT_REVOKED:
		return MG_TLS_ERR_CERT_REVOKED;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_CERT_UNTRUSTED:
		return MG_TLS_ERR_CERT_UNTRUSTED;
	default:
		return MG_TLS_ERR_CERT_VERIFY_FAILED;
	}
}

/* A reason for an OpenSSL failure, when no callback has named one. */
enum mg_tls_error
tls_classify_ossl(struct mg_tls_conn *c, unsigned long e)
{
	int reason = ERR_GET_REASON(e);

	if (c->err != MG_TLS_OK)
		return (enum mg_tls_error)c->err;
	if (c->verify_err != 0)
		return tls_classify_verify(c->verify_err);
	if (e == 0)
		return MG_TLS_ERR_INTERNAL;
	if (ERR_GET_LIB(e) != ERR_LIB_SSL)
		return reason == ERR_R_MALLOC_FAILURE ? MG_TLS_ERR_NO_MEMORY :
							MG_TLS_ERR_INTERNAL;
	if (reason >= SSL_AD_REASON_OFFSET)
		return MG_TLS_ERR_ALERT_RECEIVED;
	switch (reason) {
	case SSL_R_NO_SHARED_CIPHER:
	case SSL_R_NO_SHARED_GROUPS:
	case SSL_R_NO_SUITABLE_KEY_SHARE:
	case SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM:
		return MG_TLS_ERR_NO_SHARED_CIPHER;
	case SSL_R_UNSUPPORTED_PROTOCOL:
	case SSL_R_NO_PROTOCOLS_AVAILABLE:
	case SSL_R_WRONG_SSL_VERSION:
	case SSL_R_VERSION_TOO_LOW:
	case SSL_R_VERSION_TOO_HIGH:
		return MG_TLS_ERR_UNSUPPORTED_VERSION;
	case SSL_R_NO_APPLICATION_PROTOCOL:
		return MG_TLS_ERR_NO_APPLICATION_PROTOCOL;
	case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
		return MG_TLS_ERR_PEER_CERT_MISSING;
	case SSL_R_CERTIFICATE_VERIFY_FAILED:
		return MG_TLS_ERR_CERT_VERIFY_FAILED;
	case SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC:
		return MG_TLS_ERR_BAD_RECORD_MAC;
	case SSL_R_DATA_LENGTH_TOO_LONG:
	case SSL_R_ENCRYPTED_LENGTH_TOO_LONG:
	case SSL_R_PACKET_LENGTH_TOO_LONG:
		return MG_TLS_ERR_RECORD_OVERFLOW;
	case SSL_R_WRONG_VERSION_NUMBER:
	case SSL_R_RECORD_LENGTH_MISMATCH:
	case SSL_R_HTTP_REQUEST:
	case SSL_R_HTTPS_PROXY_REQUEST:
	case SSL_R_UNKNOWN_PROTOCOL:
	case SSL_R_BAD_RECORD_TYPE:
	case SSL_R_RECORD_TOO_SMALL:
	case SSL_R_BAD_PACKET_LENGTH:
		return MG_TLS_ERR_BAD_RECORD;
	case SSL_R_UNEXPECTED_MESSAGE:
	case SSL_R_UNEXPECTED_RECORD:
	case SSL_R_UNEXPECTED_CCS_MESSAGE:
		return MG_TLS_ERR_UNEXPECTED_MESSAGE;
	case SSL_R_NO_RENEGOTIATION:
		return MG_TLS_ERR_RENEGOTIATION_REFUSED;
	case ERR_R_MALLOC_FAILURE:
		return MG_TLS_ERR_NO_MEMORY;
	default:
		return c->state == MG_TLS_HANDSHAKE ? MG_TLS_ERR_HANDSHAKE_FAILED :
						      MG_TLS_ERR_BAD_RECORD;
	}
}

void
tls_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void
tls_err_ossl(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_peek_last_error();
	const char *why = e ? ERR_reason_error_string(e) : NULL;

	tls_err(err, errlen, "%s: %s", what, why ? why : "failed");
	ERR_clear_error();
}
