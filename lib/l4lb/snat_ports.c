/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Local (address, port) allocation for full-NAT. Every entry of ct->ports
 * is one (proto, local address, port owned by this worker); free entries
 * form a FIFO per (proto, family) threaded through the array, so alloc and
 * release are O(1) with no memory besides the reply index itself, and a
 * released port goes to the back of the queue: the same 4-tuple towards an
 * endpoint is reused as late as possible (its TIME_WAIT has time to end).
 */
#include "ct_private.h"

static struct ct_port_list *
entry_list(struct mg_ct *ct, uint32_t entry)
{
	uint32_t per_proto = ct->n_local_addrs * ct->n_ports;
	uint32_t proto_i = entry / per_proto;
	uint32_t addr_i = (entry % per_proto) / ct->n_ports;

	return &ct->port_lists[proto_i]
		[ct_family_index(ct->local_addrs[addr_i].family)];
}

static void
list_push(struct mg_ct *ct, struct ct_port_list *l, uint32_t entry)
{
	ct->ports[entry] = CT_PORT_FREE | CT_PORT_END;
	if (l->tail == CT_PORT_END)
		l->head = entry;
	else
		ct->ports[l->tail] = CT_PORT_FREE | entry;
	l->tail = entry;
	l->count++;
}

void
ct_ports_init(struct mg_ct *ct)
{
	uint32_t proto_i, port_i, addr_i, f;

	for (proto_i = 0; proto_i < 2; proto_i++)
		for (f = 0; f < 2; f++)
			ct->port_lists[proto_i][f] = (struct ct_port_list){
				.head = CT_PORT_END, .tail = CT_PORT_END };
	/* addresses interleaved, so consecutive flows spread over them */
	for (proto_i = 0; proto_i < 2; proto_i++)
		for (port_i = 0; port_i < ct->n_ports; port_i++)
			for (addr_i = 0; addr_i < ct->n_local_addrs; addr_i++) {
				uint32_t e = (proto_i * ct->n_local_addrs +
					      addr_i) * ct->n_ports + port_i;

				list_push(ct, entry_list(ct, e), e);
			}
}

uint32_t
ct_port_alloc(struct mg_ct *ct, int proto_i, int family_i)
{
	struct ct_port_list *l = &ct->port_lists[proto_i][family_i];
	uint32_t e = l->head;

	if (e == CT_PORT_END)
		return CT_PORT_END;
	l->head = ct->ports[e] & ~CT_PORT_FREE;
	if (l->head == CT_PORT_END)
		l->tail = CT_PORT_END;
	l->count--;
	return e;
}

uint32_t
ct_port_entry(const struct mg_ct *ct, int proto_i, uint32_t addr_i,
	      uint16_t port)
{
	uint32_t p = port;

	if (p < ct->first_port || (p - ct->first_port) % ct->n_workers != 0)
		return CT_PORT_END;
	p = (p - ct->first_port) / ct->n_workers;
	if (p >= ct->n_ports)
		return CT_PORT_END;
	return ((uint32_t)proto_i * ct->n_local_addrs + addr_i) * ct->n_ports + p;
}

void
ct_port_entry_decode(const struct mg_ct *ct, uint32_t entry, uint32_t *addr_i,
		     uint16_t *port)
{
	uint32_t per_proto = ct->n_local_addrs * ct->n_ports;

	*addr_i = (entry % per_proto) / ct->n_ports;
	*port = (uint16_t)(ct->first_port +
			   (entry % ct->n_ports) * ct->n_workers);
}

void
ct_port_release(struct mg_ct *ct, uint32_t entry)
{
	list_push(ct, entry_list(ct, entry), entry);
}
