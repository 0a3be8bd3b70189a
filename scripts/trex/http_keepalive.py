# SPDX-License-Identifier: Apache-2.0
"""meshgate L7 load profile for TRex ASTF: HTTP/1.1 keep-alive through the
http listener, `requests` requests per client connection, each sent when
the previous response is complete (as wrk). Requests per second =
cps x -m x requests. Tunables: see http_astf.py.

Bare metal, as scripts/LOADTEST.md (its topology and trex_cfg.yaml):
meshgate's ext 203.0.113.10/24 with gateway 203.0.113.2 (TRex port 0, the
clients 198.18.100.100-254 behind it), int 192.0.2.1/24; its config adds

  listeners = ( { name = "web"; mode = "http"; port = "ext";
                  address = "203.0.113.100"; listen_port = 80; } );
  clusters = ( { name = "ep"; lb = "round_robin"; port = "int";
                 health_check = { type = "none"; };
                 pool = { max_idle_per_endpoint = 1024; };
                 endpoints = ( { address = "192.0.2.11"; port = 80; },
                               { address = "192.0.2.12"; port = 80; },
                               { address = "192.0.2.13"; port = 80; } ); } );
  routes = ( { name = "all"; match = { path = "/"; }; cluster = "ep"; } );

and, on port "int", static neighbours mapping 192.0.2.11-13 to TRex port
1's MAC (ports.neighbours): TRex answers ARP only for its own address.
Then, with TRex in ASTF mode (sudo ./t-rex-64 -i --astf -c 6):

  trex> start -f scripts/trex/http_keepalive.py -m 3000 -t size=64,requests=100
  trex> start -f scripts/trex/http_keepalive.py -m 300 -t size=16384,requests=100
  trex> tui      (ASTF: "Active flows", "Tx/Rx L7 bytes"; drops: "Flows err")

Read requests/s from meshgate (/meshgate/http "responses" per second, and
/meshgate/lcores busy_cycles per response for cycles per request) and
compare with perf/run_http.sh's figures.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from http_astf import MgHttp  # noqa: E402


class Profile(MgHttp):
    defaults = {"prog": "http_keepalive", "requests": 100, "close": False}


def register():
    return Profile()
