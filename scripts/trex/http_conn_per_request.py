# SPDX-License-Identifier: Apache-2.0
"""meshgate L7 load profile for TRex ASTF: HTTP/1.1 with one request per
client connection ("Connection: close"; meshgate closes first, as for
wrk -H "Connection: close"). Requests per second = connections per second
= cps x -m. meshgate keeps its upstream connections pooled, so the
endpoints (TRex port 1) still see keep-alive connections. Tunables: see
http_astf.py; set-up as in http_keepalive.py.

  trex> start -f scripts/trex/http_conn_per_request.py -m 100000 -t size=64
  trex> start -f scripts/trex/http_conn_per_request.py -m 50000 -t size=16384

meshgate holds each closed connection in TIME-WAIT (it closes first):
dataplane.tcp_max_conns must cover rate x tcp_time_wait_ms per worker
(e.g. 1,000,000 with 1 s at 500,000 connections/s on 2 workers).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from http_astf import MgHttp  # noqa: E402


class Profile(MgHttp):
    defaults = {"prog": "http_conn_per_request", "requests": 1, "close": True}


def register():
    return Profile()
