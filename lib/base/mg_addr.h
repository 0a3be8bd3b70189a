/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MG_ADDR_H
#define MG_ADDR_H

/*
 * IPv4 and IPv6 addresses in one type, used by the configuration, the
 * neighbour tables and the flow tables alike. Addresses are kept in network
 * byte order, exactly as they sit in packets, so comparisons are memcmp.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

struct mg_ip {
	uint8_t family;			/* AF_INET or AF_INET6 */
	union {
		uint32_t v4;		/* network byte order */
		uint8_t v6[16];
		uint32_t v6w[4];
	};
};

/* Longest text form of an address, with a terminating NUL. */
#define MG_IP_STRLEN 46

/**
 * Parse a textual IPv4 or IPv6 address.
 * @return 0, or -EINVAL when @p s is not an address.
 */
int mg_ip_parse(const char *s, struct mg_ip *out);

/**
 * Parse "ADDR/LEN". A bare address gets the full length (32 or 128).
 * @return 0, or -EINVAL (syntax) or -ERANGE (length too long for the family).
 */
int mg_prefix_parse(const char *s, struct mg_ip *out, uint8_t *prefix_len);

/** Write the text form of @p ip into @p buf; returns @p buf. */
const char *mg_ip_format(const struct mg_ip *ip, char *buf, size_t len);

/** True when @p ip lies inside NET/PREFIX_LEN (same family only). */
bool mg_ip_in_prefix(const struct mg_ip *ip, const struct mg_ip *net,
		     uint8_t prefix_len);

static inline bool
mg_ip_eq(const struct mg_ip *a, const struct mg_ip *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == AF_INET)
		return a->v4 == b->v4;
	return memcmp(a->v6, b->v6, 16) == 0;
}

static inline void
mg_ip_set_v4(struct mg_ip *ip, uint32_t be_addr)
{
	memset(ip, 0, sizeof(*ip));
	ip->family = AF_INET;
	ip->v4 = be_addr;
}

static inline void
mg_ip_set_v6(struct mg_ip *ip, const uint8_t addr[16])
{
	ip->family = AF_INET6;
	memcpy(ip->v6, addr, 16);
}

#endif /* MG_ADDR_H */
