/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MG_HTTP_INTERNAL_H
#define MG_HTTP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "mg_http.h"

/* Internal bits of mg_http_msg.flags, above the public ones. */
#define MG_HTTP_FI_TE_CHUNKED_LAST (1u << 16)
#define MG_HTTP_FI_TE_BAD_ORDER    (1u << 17)	/* chunked not last/twice */
#define MG_HTTP_FI_TE_UNKNOWN      (1u << 18)
#define MG_HTTP_FI_TE_EMPTY        (1u << 19)

enum { MG_HTTP_S_START = 0, MG_HTTP_S_HEADERS, MG_HTTP_S_DONE };

/* Largest head buffer we index with 32-bit offsets. */
#define MG_HTTP_MAX_BUF (UINT32_MAX / 2)

extern const uint8_t mg_http_tchar[256];

static inline bool
mg_http_is_tchar(unsigned char c)
{
	return mg_http_tchar[c] != 0;
}

static inline unsigned char
mg_http_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

bool mg_http_ieq(const char *a, uint32_t alen, const char *lit);
/*
 * uri-host [":" port] at p[0..n) (see http_authority.c for how strict).
 * need_port: authority-form, where the port is required. Returns
 * MG_HTTP_OK, MG_HTTP_E_EMPTY_HOST (n == 0), MG_HTTP_E_BAD_HOST_PORT or
 * MG_HTTP_E_BAD_HOST.
 */
int mg_http_check_authority(const char *p, uint32_t n, bool need_port);
void mg_http_msg_init(struct mg_http_msg *m, struct mg_http_header *hdrs,
		      uint16_t max_headers, const struct mg_http_limits *lim);
/*
 * Find the end of the line starting at m->pos. Returns 1 with *lf the
 * offset of its LF, 0 when the line is incomplete, or an error for a bare
 * LF. Length checks are the caller's (they must come before the bare-LF
 * check for split independence, hence *bare).
 */
int mg_http_find_lf(struct mg_http_msg *m, const char *buf, uint32_t len,
		    uint32_t *lf, bool *bare);
/* Parse the header lines from m->pos; MG_HTTP_OK at the empty line. */
int mg_http_parse_headers(struct mg_http_msg *m, const char *buf,
			  uint32_t len);
/* HTTP-version at buf[0..8): 10, 11, 0 other valid, -1 malformed */
int mg_http_parse_version(const char *p, uint32_t n);
bool mg_http_keep_alive(const struct mg_http_msg *m);

#endif
