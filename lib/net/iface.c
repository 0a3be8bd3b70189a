/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>

#include "mg_net.h"

void
mg_iface_link_local(const struct mg_net_iface *ifc, struct mg_ip *ll)
{
	const uint8_t *mac = ifc->mac.addr_bytes;

	memset(ll, 0, sizeof(*ll));
	ll->family = AF_INET6;
	ll->v6[0] = 0xfe;
	ll->v6[1] = 0x80;
	ll->v6[8] = mac[0] ^ 0x02;	/* universal/local bit, RFC 4291 */
	ll->v6[9] = mac[1];
	ll->v6[10] = mac[2];
	ll->v6[11] = 0xff;
	ll->v6[12] = 0xfe;
	ll->v6[13] = mac[3];
	ll->v6[14] = mac[4];
	ll->v6[15] = mac[5];
}

bool
mg_iface_owns(const struct mg_net_iface *ifc, const struct mg_ip *ip)
{
	uint32_t i;

	for (i = 0; i < ifc->n_addrs && i < MG_NET_MAX_ADDRS; i++)
		if (mg_ip_eq(&ifc->addrs[i], ip))
			return true;
	for (i = 0; i < ifc->n_extra && i < MG_NET_MAX_EXTRA; i++)
		if (mg_ip_eq(&ifc->extra[i], ip))
			return true;
	if (ip->family == AF_INET6 && ip->v6[0] == 0xfe && ip->v6[1] == 0x80) {
		struct mg_ip ll;

		mg_iface_link_local(ifc, &ll);
		return mg_ip_eq(&ll, ip);
	}
	return false;
}

static bool
on_link(const struct mg_net_iface *ifc, const struct mg_ip *dst)
{
	uint32_t i;

	if (dst->family == AF_INET6 && dst->v6[0] == 0xfe &&
	    (dst->v6[1] & 0xc0) == 0x80)
		return true;
	for (i = 0; i < ifc->n_addrs && i < MG_NET_MAX_ADDRS; i++)
		if (mg_ip_in_prefix(dst, &ifc->addrs[i], ifc->prefix_len[i]))
			return true;
	return false;
}

int
mg_iface_next_hop(const struct mg_net_iface *ifc, const struct mg_ip *dst,
		  struct mg_ip *nh)
{
	const struct mg_ip *gw;

	if (on_link(ifc, dst)) {
		*nh = *dst;
		return 0;
	}
	gw = dst->family == AF_INET ? &ifc->gateway4 : &ifc->gateway6;
	if (gw->family != dst->family)
		return -ENETUNREACH;
	*nh = *gw;
	return 0;
}

int
mg_iface_src_addr(const struct mg_net_iface *ifc, const struct mg_ip *dst,
		  struct mg_ip *src)
{
	const struct mg_ip *first = NULL;
	uint32_t i;

	for (i = 0; i < ifc->n_addrs && i < MG_NET_MAX_ADDRS; i++) {
		const struct mg_ip *a = &ifc->addrs[i];

		if (a->family != dst->family)
			continue;
		if (mg_ip_in_prefix(dst, a, ifc->prefix_len[i])) {
			*src = *a;
			return 0;
		}
		if (first == NULL)
			first = a;
	}
	if (first != NULL) {
		*src = *first;
		return 0;
	}
	if (dst->family == AF_INET6) {
		mg_iface_link_local(ifc, src);
		return 0;
	}
	return -EADDRNOTAVAIL;
}
