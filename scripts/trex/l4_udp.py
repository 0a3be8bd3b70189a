# SPDX-License-Identifier: Apache-2.0
"""meshgate L4 load profile for TRex STL: UDP datagrams to the VIP: the forwarding
rate of the UDP full-NAT path. Tunables: see mg_l4.py.

  trex> start -f scripts/trex/l4_udp.py -p 0 -m 100% -t size=64,flows=1000000
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mg_l4 import MgL4  # noqa: E402


class Profile(MgL4):
    defaults = {"prog": "l4_udp", "proto": "udp"}


def register():
    return Profile()
