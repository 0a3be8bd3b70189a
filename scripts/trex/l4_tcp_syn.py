# SPDX-License-Identifier: Apache-2.0
"""meshgate L4 load profile for TRex STL: TCP SYNs, every flow a new
connection: the set-up rate of the L4 path (conntrack insert, Maglev pick,
full-NAT rewrite). Tunables: see mg_l4.py.

  trex> start -f scripts/trex/l4_tcp_syn.py -p 0 -m 100% -t size=64,flows=1000000
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mg_l4 import MgL4  # noqa: E402


class Profile(MgL4):
    defaults = {"prog": "l4_tcp_syn", "proto": "tcp", "tcp": "syn"}


def register():
    return Profile()
