/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MG_SERVICE_H
#define MG_SERVICE_H

/*
 * Built-in TCP services, in the way VPP has its test servers, so the TCP
 * stack can be exercised by real clients without the HTTP proxy:
 *
 *   echo     returns every byte it receives (RFC 862 over TCP)
 *   discard  reads and drops everything (RFC 863)
 *   source   reads one request line "N [SEED]\n" and sends N bytes of the
 *            mg_service_source_byte() stream for SEED (default 0), then
 *            closes: a client can check the bytes without a reference file
 *   http     answers every HTTP/1.x request on the connection (keep-alive)
 *            with a fixed 200 response of body_size bytes
 *
 * One instance per worker lcore and service; connection state comes from
 * a fixed pool sized at creation, so serving never allocates.
 */

#include <stdint.h>

#include "mg_tcp.h"

enum mg_service_kind {
	MG_SERVICE_ECHO,
	MG_SERVICE_DISCARD,
	MG_SERVICE_SOURCE,
	MG_SERVICE_HTTP,
};

struct mg_service_params {
	enum mg_service_kind kind;
	uint32_t max_conns;		/* connection slots */
	uint32_t http_body_size;	/* http: bytes of the fixed body */
	uint64_t source_max_bytes;	/* source: largest N accepted */
	int socket;
};

struct mg_service_stats {
	uint64_t accepted, closed, refused;	/* refused: no free slot */
	uint64_t bytes_in, bytes_out, requests, bad_requests;
};

struct mg_service;

/** Parse "echo", "discard", "source", "http"; -EINVAL otherwise. */
int mg_service_kind_parse(const char *name, enum mg_service_kind *kind);

/** Create a service instance; NULL with rte_errno (EINVAL, ENOMEM). */
struct mg_service *mg_service_create(const struct mg_service_params *p);

/** Free an instance (after its stack has been freed). */
void mg_service_free(struct mg_service *svc);

/**
 * The event callback to give mg_tcp_listen() with the service as user
 * pointer: it takes ACCEPTED connections and serves them.
 */
void mg_service_event(struct mg_tcp_conn *c, enum mg_tcp_event ev, void *user);

void mg_service_stats_get(const struct mg_service *svc,
			  struct mg_service_stats *st);

/** Block @p blk (bytes 8*blk .. 8*blk+7) of the source stream for
 *  @p seed: a mix of the seed and the block index. */
static inline uint64_t
mg_service_source_block(uint64_t seed, uint64_t blk)
{
	uint64_t x = (seed ^ 0x9e3779b97f4a7c15ULL) + blk * 0xbf58476d1ce4e5b9ULL;

	x ^= x >> 31;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 29;
	return x;
}

/** Byte @p i of the source stream (little endian within a block; the
 *  stream is the same on every host, so a client can check it). */
static inline uint8_t
mg_service_source_byte(uint64_t seed, uint64_t i)
{
	return (uint8_t)(mg_service_source_block(seed, i >> 3) >> ((i & 7) * 8));
}

#endif /* MG_SERVICE_H */
