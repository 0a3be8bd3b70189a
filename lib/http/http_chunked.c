/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "http_internal.h"

enum {
	CH_SIZE0 = 0,	/* first hex digit of a chunk size */
	CH_SIZE,
	CH_SIZE_WS,	/* BWS between size and ';' */
	CH_EXT,
	CH_SIZE_LF,
	CH_DATA,
	CH_DATA_CR,
	CH_DATA_LF,
	CH_TRL_START,
	CH_TRL_NAME,
	CH_TRL_VALUE,
	CH_TRL_LF,
	CH_FINAL_LF,
	CH_DONE,
};

/* Leading zeros are legal; this bounds how many we sit through. */
#define MG_HTTP_MAX_SIZE_DIGITS 32

void
mg_http_chunked_init(struct mg_http_chunked *c, uint32_t max_ext,
		     uint32_t max_trailer, uint64_t max_body)
{
	memset(c, 0, sizeof(*c));
	c->rc = MG_HTTP_AGAIN;
	c->max_ext = max_ext ? max_ext : 1024;
	c->max_trailer = max_trailer ? max_trailer : 8192;
	c->max_body = max_body;
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = mg_http_lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static bool
is_ctl(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

/* One byte outside chunk data: the new rc (AGAIN to go on). */
static int
step(struct mg_http_chunked *c, unsigned char b)
{
	int h;

	if (c->state >= CH_TRL_START && ++c->trailer_len > c->max_trailer)
		return MG_HTTP_E_TRAILER_TOO_LARGE;
	switch (c->state) {
	case CH_SIZE0:
	case CH_SIZE:
		h = hexval(b);
		if (h >= 0) {
			if (++c->ndigits > MG_HTTP_MAX_SIZE_DIGITS)
				return MG_HTTP_E_BAD_CHUNK_SIZE;
			if (c->remaining > (UINT64_MAX >> 4))
				return MG_HTTP_E_CHUNK_SIZE_OVERFLOW;
			c->remaining = (c->remaining << 4) | (uint64_t)h;
			c->state = CH_SIZE;
			return MG_HTTP_AGAIN;
		}
		if (c->state == CH_SIZE0)
			return MG_HTTP_E_BAD_CHUNK_SIZE;
		if (b == '\r')
			c->state = CH_SIZE_LF;
		else if (b == ';')
			c->state = CH_EXT;
		else if (b == ' ' || b == '\t')
			c->state = CH_SIZE_WS;
		else
			return MG_HTTP_E_BAD_CHUNK_SIZE;
		return MG_HTTP_AGAIN;
	case CH_SIZE_WS:
	case CH_EXT:
		if (++c->ext_len > c->max_ext)
			return MG_HTTP_E_CHUNK_EXT_TOO_LONG;
		if (c->state == CH_SIZE_WS) {
			if (b == ';')
				c->state = CH_EXT;
			else if (b != ' ' && b != '\t')
				return MG_HTTP_E_BAD_CHUNK_EXT;
			return MG_HTTP_AGAIN;
		}
		if (b == '\r')
			c->state = CH_SIZE_LF;
		else if (b == '\n')
			return MG_HTTP_E_BARE_LF;
		else if (is_ctl(b))
			return MG_HTTP_E_BAD_CHUNK_EXT;
		return MG_HTTP_AGAIN;
	case CH_SIZE_LF:
		if (b != '\n')
			return MG_HTTP_E_BARE_CR;
		if (c->remaining == 0) {
			c->state = CH_TRL_START;
			return MG_HTTP_AGAIN;
		}
		if (c->max_body && (c->remaining > c->max_body ||
				    c->total > c->max_body - c->remaining))
			return MG_HTTP_E_BODY_TOO_LARGE;
		c->state = CH_DATA;
		return MG_HTTP_AGAIN;
	case CH_DATA_CR:
		if (b != '\r')
			return MG_HTTP_E_BAD_CHUNK_END;
		c->state = CH_DATA_LF;
		return MG_HTTP_AGAIN;
	case CH_DATA_LF:
		if (b != '\n')
			return MG_HTTP_E_BAD_CHUNK_END;
		c->state = CH_SIZE0;
		c->ndigits = 0;
		c->ext_len = 0;
		return MG_HTTP_AGAIN;
	case CH_TRL_START:
		if (b == '\r') {
			c->state = CH_FINAL_LF;
		} else if (b == '\n') {
			return MG_HTTP_E_BARE_LF;
		} else if (mg_http_is_tchar(b)) {
			c->state = CH_TRL_NAME;
		} else {
			return MG_HTTP_E_BAD_TRAILER;
		}
		return MG_HTTP_AGAIN;
	case CH_TRL_NAME:
		if (b == ':')
			c->state = CH_TRL_VALUE;
		else if (!mg_http_is_tchar(b))
			return MG_HTTP_E_BAD_TRAILER;
		return MG_HTTP_AGAIN;
	case CH_TRL_VALUE:
		if (b == '\r')
			c->state = CH_TRL_LF;
		else if (b == '\n')
			return MG_HTTP_E_BARE_LF;
		else if (is_ctl(b))
			return MG_HTTP_E_BAD_TRAILER;
		return MG_HTTP_AGAIN;
	case CH_TRL_LF:
		if (b != '\n')
			return MG_HTTP_E_BARE_CR;
		c->state = CH_TRL_START;
		return MG_HTTP_AGAIN;
	case CH_FINAL_LF:
		if (b != '\n')
			return MG_HTTP_E_BARE_CR;
		c->state = CH_DONE;
		return MG_HTTP_OK;
	default:
		return MG_HTTP_E_BAD_CHUNK_SIZE;
	}
}

int
mg_http_chunked_decode(struct mg_http_chunked *c, const char *buf,
		       size_t len, size_t *consumed,
		       struct mg_http_slice *data)
{
	size_t i = 0;
	int rc = MG_HTTP_AGAIN;

	data->off = 0;
	data->len = 0;
	*consumed = 0;
	if (c->rc != MG_HTTP_AGAIN)
		return c->rc;
	if (len > UINT32_MAX)	/* data slices are 32-bit */
		len = UINT32_MAX;
	while (i < len) {
		if (c->state == CH_DATA) {
			uint64_t n = len - i;

			if (n > c->remaining)
				n = c->remaining;
			if (n > UINT32_MAX)
				n = UINT32_MAX;
			data->off = (uint32_t)i;
			data->len = (uint32_t)n;
			c->remaining -= n;
			c->total += n;
			i += n;
			if (c->remaining == 0)
				c->state = CH_DATA_CR;
			break;
		}
		rc = step(c, (unsigned char)buf[i++]);
		if (rc != MG_HTTP_AGAIN)
			break;
	}
	*consumed = i;
	if (rc != MG_HTTP_AGAIN)
		c->rc = (uint16_t)rc;
	return rc;
}
