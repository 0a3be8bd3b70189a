# SPDX-License-Identifier: Apache-2.0
"""meshgate L7 load profiles for TRex advanced stateful (ASTF): HTTP/1.1
through meshgate's http listener, the workloads of perf/run_http.sh on
bare metal. The thin profiles beside this file (http_keepalive.py,
http_conn_per_request.py) only change the defaults; every knob is a
tunable.

TRex plays both ends, as perf/mg_httpgen.c does on the development
machine: port 0 the clients (198.18.100.100-198.18.100.254 to the VIP),
port 1 the endpoints of meshgate's cluster (any address, port 80: the
server template is associated by port only, so it answers meshgate's
upstream connections to 192.0.2.11-13). meshgate is a full proxy: the two
sides are separate TCP connections, and TRex's programs count bytes, so
each side must know exactly how many bytes the other side's message has
after meshgate rewrote it:

- the response reaches the client as the endpoint sent it (no hop-by-hop
  field in it), plus "Connection: close" when the client asked for a close;
- the request reaches the endpoint with its hop-by-hop fields removed and
  X-Forwarded-For/-Proto/-Host, Forwarded, the request id and a
  traceparent added (listener defaults). Their length depends on the
  client address, so all client addresses have the same text length.

If meshgate's listener differs from the defaults (forwarded_headers,
generate_request_id, trace_context, request_id_header) say so with the
tunables, or give the forwarded request's length with req_fwd (one
captured request: tcpdump -A on meshgate's int side). A wrong length
shows as flows that never finish (ASTF counters: active flows grow,
meshgate's /meshgate/http "upstream_response_timeout" rises).

Tunables
  size       response body bytes (64; 16384 for the large case)
  requests   requests per client connection (keep-alive profile: 100;
             connection per request: 1)
  clients    first-last client address, one text length (198.18.100.100-
             198.18.100.254)
  vip        meshgate's VIP (203.0.113.100), port 80 (vport)
  eport      the endpoints' port (80)
  host, path the request's Host and target (perf.test, /)
  cps        new client connections per second at -m 1 (1)
  forwarded, request_id, trace   1/0: meshgate's listener adds the
             forwarded headers, a request id, a traceparent (1, 1, 1)
  request_id_header   (x-request-id)
  req_fwd, resp_fwd   override the computed lengths (bytes)
"""

import argparse
import ipaddress

try:
    from trex.astf.api import *  # noqa: F401,F403 (TRex >= 2.50)
except ImportError:
    from trex_astf_lib.api import *  # noqa: F401,F403

REQUEST_ID_LEN = 36     # meshgate's request ids: UUID text
TRACEPARENT_LEN = 55    # 00-<32 hex>-<16 hex>-01
HOP_BY_HOP = ("connection", "keep-alive", "proxy-connection", "te",
              "trailer", "transfer-encoding", "upgrade")
SERVER_LOOPS = 1 << 40  # an upstream connection is pooled: it serves on


def argv_of(tunables, kwargs):
    """TRex >= 2.89 passes `-t --size 64` as a list; older ones pass
    `-t size=64` as keywords (or a dict)."""
    if tunables and not isinstance(tunables, dict):
        return [str(t) for t in tunables]
    given = dict(kwargs, **(tunables or {}))
    return [x for k, v in given.items() for x in ("--" + k, str(v))]


def make_parser(defaults):
    p = argparse.ArgumentParser(
        prog=defaults["prog"],
        description="meshgate L7 load profile (tunables)",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--requests", type=int, default=defaults["requests"])
    p.add_argument("--clients", default="198.18.100.100-198.18.100.254")
    p.add_argument("--vip", default="203.0.113.100")
    p.add_argument("--vport", type=int, default=80)
    p.add_argument("--eport", type=int, default=80)
    p.add_argument("--host", default="perf.test")
    p.add_argument("--path", default="/")
    p.add_argument("--cps", type=float, default=1.0)
    p.add_argument("--forwarded", type=int, default=1)
    p.add_argument("--request_id", type=int, default=1)
    p.add_argument("--trace", type=int, default=1)
    p.add_argument("--request_id_header", default="x-request-id")
    p.add_argument("--req_fwd", type=int, default=0)
    p.add_argument("--resp_fwd", type=int, default=0)
    return p


def client_range(text):
    """First and last client address; all of one text length, so that the
    forwarded headers that carry the address have one length."""
    first, last = (ipaddress.IPv4Address(x.strip()) for x in text.split("-"))
    if last < first or int(last) - int(first) >= 1 << 16:
        raise ValueError("clients: first-last, at most 65536 addresses")
    lens = {len(str(ipaddress.IPv4Address(k)))
            for k in range(int(first), int(last) + 1)}
    if len(lens) != 1:
        raise ValueError("clients: %s-%s mixes text lengths (use e.g. "
                         "x.y.z.100-x.y.z.254)" % (first, last))
    return str(first), str(last)


def request(a, close):
    fields = [("Host", a.host), ("User-Agent", "trex-astf"), ("Accept", "*/*")]
    if close:
        fields.append(("Connection", "close"))
    head = "GET %s HTTP/1.1\r\n" % a.path
    head += "".join("%s: %s\r\n" % f for f in fields)
    return (head + "\r\n").encode("ascii"), fields


def forwarded_len(a, fields, client_text_len):
    """The request's length as meshgate sends it to the endpoint."""
    n = len("GET %s HTTP/1.1\r\n" % a.path) + len("Host: %s\r\n" % a.host)
    for name, value in fields:
        if name.lower() in ("host",) + HOP_BY_HOP:
            continue
        n += len("%s: %s\r\n" % (name, value))
    if a.forwarded:
        n += len("X-Forwarded-For: \r\n") + client_text_len
        n += len("X-Forwarded-Proto: http\r\n")
        n += len("X-Forwarded-Host: %s\r\n" % a.host)
        quoted = ":" in a.host or "[" in a.host
        n += len("Forwarded: for=;proto=http;host=\r\n") + client_text_len
        n += len(a.host) + (2 if quoted else 0)
    if a.request_id:
        n += len("%s: \r\n" % a.request_id_header) + REQUEST_ID_LEN
    if a.trace:
        n += len("traceparent: \r\n") + TRACEPARENT_LEN
    return n + 2


def response(a):
    head = ("HTTP/1.1 200 OK\r\nServer: trex-astf\r\n"
            "Content-Type: application/octet-stream\r\n"
            "Content-Length: %d\r\n\r\n" % a.size)
    return head.encode("ascii") + b"x" * a.size


def build_profile(a, close):
    if close and a.requests != 1:
        raise ValueError("requests: 1 with Connection: close")
    if a.requests < 1 or a.size < 0:
        raise ValueError("requests >= 1, size >= 0")
    first, last = client_range(a.clients)
    req, fields = request(a, close)
    resp = response(a)
    req_fwd = a.req_fwd or forwarded_len(a, fields, len(first))
    resp_fwd = a.resp_fwd or len(resp) + (len("Connection: close\r\n") if close else 0)

    # client: `requests` requests, each waiting for its whole response
    prog_c = ASTFProgram()
    if a.requests > 1:
        prog_c.set_var("left", a.requests)
        prog_c.set_label("next:")
    prog_c.send(req)
    prog_c.recv(resp_fwd, clear=True)
    if a.requests > 1:
        prog_c.jmp_nz("left", "next:")

    # endpoint: one response per forwarded request, for as long as
    # meshgate keeps the pooled connection
    prog_s = ASTFProgram()
    prog_s.set_var("left", SERVER_LOOPS)
    prog_s.set_label("next:")
    prog_s.recv(req_fwd, clear=True)
    prog_s.send(resp)
    prog_s.jmp_nz("left", "next:")

    ip_gen = ASTFIPGen(glob=ASTFIPGenGlobal(ip_offset="0.0.0.0"),
                       dist_client=ASTFIPGenDist(ip_range=[first, last],
                                                 distribution="seq"),
                       dist_server=ASTFIPGenDist(ip_range=[a.vip, a.vip],
                                                 distribution="seq"))
    glob = ASTFGlobalInfo()
    glob.tcp.no_delay = 1
    temp_c = ASTFTCPClientTemplate(program=prog_c, ip_gen=ip_gen,
                                   port=a.vport, cps=a.cps)
    temp_s = ASTFTCPServerTemplate(program=prog_s,
                                   assoc=ASTFAssociationRule(port=a.eport))
    return ASTFProfile(default_ip_gen=ip_gen,
                       default_c_glob_info=glob, default_s_glob_info=glob,
                       templates=ASTFTemplate(client_template=temp_c,
                                              server_template=temp_s))


class MgHttp(object):
    defaults = {"prog": "mg_http", "requests": 100, "close": False}

    def get_profile(self, tunables=None, **kwargs):
        args = make_parser(self.defaults).parse_args(argv_of(tunables, kwargs))
        return build_profile(args, self.defaults["close"])


def register():
    return MgHttp()
