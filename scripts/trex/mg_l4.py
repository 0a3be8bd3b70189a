# SPDX-License-Identifier: Apache-2.0
"""meshgate L4 load profiles for TRex stateless (STL).

Client traffic towards one VIP of meshgate's L4 full-NAT listener, from a
set of client flows (source address x source port) that the field engine
walks through packet by packet.  The thin profiles beside this file
(l4_udp.py, l4_tcp_syn.py, l4_tcp_established.py) only change the defaults;
every knob is a tunable:

  trex> start -f scripts/trex/l4_udp.py -p 0 -m 10mpps -t size=64,flows=1000000
  trex> start -f scripts/trex/l4_udp.py -p 0 -t --help     (newer TRex)

Tunables
  proto    udp | tcp
  tcp      syn: every packet is a SYN (connection set-up rate)
           established: one SYN per flow first, then data (ACK|PSH) on
           those flows (forwarding rate of tracked connections)
  size     frame size with FCS, 64..9216, or imix (64:594:1518 at 7:4:1)
  flows    number of distinct client flows, 1..16777216
  clients  client addresses the flows are spread over (default: up to 256)
  src      first client address (198.18.0.1, the RFC 2544 benchmark range;
           an IPv6 VIP defaults it to 2001:db8:c::1)
  vip      the VIP (203.0.113.100); an IPv6 address makes IPv6 packets
  dport    the listener port (udp: 7, tcp: 80)
  syn_pps  rate of the SYN phase of tcp=established, before -m (1000000)
  csum     udp checksum: zero (no checksum, valid on IPv4) or hw (the NIC
           fills it in); TCP and IPv6 always use hw

Traffic leaves the port it is started on (-p 0): run it on the port cabled
to meshgate's ext port; the other port only counts what comes out of int.
"""

import argparse
import ipaddress

try:
    from trex.stl.api import *  # noqa: F401,F403 (TRex >= 2.50)
except ImportError:
    from trex_stl_lib.api import *  # noqa: F401,F403

IMIX = ((64, 7), (594, 4), (1518, 1))  # (frame size with FCS, share)
FCS = 4
MAX_FLOWS = 1 << 24
CLIENT_PORT_MIN = 1024
CLIENT_PORT_MAX = 65535
DEFAULT_CLIENTS = 256


def _size(v):
    if v == "imix":
        return v
    n = int(v)
    if not 64 <= n <= 9216:
        raise argparse.ArgumentTypeError("size must be 64..9216 or imix")
    return n


def _flows(v):
    n = int(float(v))  # accepts 1e6
    if not 1 <= n <= MAX_FLOWS:
        raise argparse.ArgumentTypeError("flows must be 1..%d" % MAX_FLOWS)
    return n


def _ip(v):
    try:
        return ipaddress.ip_address(v)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e))


def make_parser(defaults):
    p = argparse.ArgumentParser(
        prog=defaults.get("prog", "mg_l4"),
        description="meshgate L4 load profile (tunables)",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--proto", choices=("udp", "tcp"), default="udp",
                   help="L4 protocol")
    p.add_argument("--tcp", choices=("syn", "established"), default="syn",
                   help="syn: SYNs only; established: SYN per flow, then data")
    p.add_argument("--size", type=_size, default=64,
                   help="frame size with FCS, or imix")
    p.add_argument("--flows", type=_flows, default=1000,
                   help="distinct client flows")
    p.add_argument("--clients", type=_flows, default=None,
                   help="client addresses (default: up to 256, more if needed)")
    p.add_argument("--src", type=_ip, default=None,
                   help="first client address (198.18.0.1 or 2001:db8:c::1)")
    p.add_argument("--vip", type=_ip,
                   default=ipaddress.ip_address("203.0.113.100"),
                   help="the VIP; IPv6 makes IPv6 packets")
    p.add_argument("--dport", type=int, default=None,
                   help="listener port (udp 7, tcp 80)")
    p.add_argument("--syn_pps", type=float, default=1e6,
                   help="base rate of the SYN phase of tcp=established")
    p.add_argument("--csum", choices=("zero", "hw"), default="zero",
                   help="IPv4 UDP checksum: zero, or filled in by the NIC")
    p.set_defaults(**{k: v for k, v in defaults.items() if k != "prog"})
    return p


def tunables_argv(tunables, kwargs):
    """Tunables as argparse arguments, whichever way this TRex passed them:
    a list ("--size", "64"; TRex >= 2.89), a dict, or plain keywords."""
    if isinstance(tunables, (list, tuple)) and tunables:
        return [str(t) for t in tunables]
    src = tunables if isinstance(tunables, dict) else kwargs
    argv = []
    for k, v in src.items():
        if k in ("direction", "port_id", "tunables"):
            continue
        argv += ["--" + k, str(v)]
    return argv


class Plan(object):
    """The parsed tunables, checked against each other."""

    def __init__(self, a):
        self.a = a
        self.v6 = a.vip.version == 6
        if a.src is None:
            a.src = ipaddress.ip_address("2001:db8:c::1" if self.v6 else "198.18.0.1")
        if a.src.version != a.vip.version:
            raise ValueError("src %s and vip %s are of different families" % (a.src, a.vip))
        if a.dport is None:
            a.dport = 80 if a.proto == "tcp" else 7
        if not 1 <= a.dport <= 65535:
            raise ValueError("dport must be 1..65535")
        nports = CLIENT_PORT_MAX - CLIENT_PORT_MIN + 1
        need = (a.flows + nports - 1) // nports  # clients at the least
        if a.clients is None:
            self.clients = min(a.flows, max(DEFAULT_CLIENTS, need))
        elif need <= a.clients <= a.flows:
            self.clients = a.clients
        else:
            raise ValueError("%d flows need %d..%d clients, not %d" %
                             (a.flows, need, a.flows, a.clients))
        # Flows walk the addresses first, then the ports: ports per address.
        self.ports = (a.flows + self.clients - 1) // self.clients
        low32 = int(a.src) & 0xFFFFFFFF
        if low32 + self.clients - 1 > 0xFFFFFFFF:
            raise ValueError("src %s + %d clients wraps" % (a.src, self.clients))
        self.ip_min = low32
        self.ip_max = low32 + self.clients - 1
        self.hw_csum = a.proto == "tcp" or self.v6 or a.csum == "hw"


def l3(plan):
    a = plan.a
    if plan.v6:
        return IPv6(src=str(a.src), dst=str(a.vip), hlim=64)
    return IP(src=str(a.src), dst=str(a.vip), ttl=64)


def l4(plan, flags):
    a = plan.a
    if a.proto == "udp":
        return UDP(sport=CLIENT_PORT_MIN, dport=a.dport,
                   chksum=None if plan.hw_csum else 0)
    return TCP(sport=CLIENT_PORT_MIN, dport=a.dport, flags=flags,
               seq=0x10000, ack=(0 if flags == "S" else 0x20000), window=65535)


def field_engine(plan):
    """Walk the flows: tuple.ip into the low 32 bits of the source address,
    tuple.port into the source port; then fix the checksums."""
    a = plan.a
    l3name = "IPv6" if plan.v6 else "IP"
    l4name = "UDP" if a.proto == "udp" else "TCP"
    # TupleGen takes dotted quads; the low 32 bits of an IPv6 source are
    # written at offset 12 of the address.
    cmds = [
        STLVmTupleGen(name="tuple",
                      ip_min=str(ipaddress.IPv4Address(plan.ip_min)),
                      ip_max=str(ipaddress.IPv4Address(plan.ip_max)),
                      port_min=CLIENT_PORT_MIN,
                      port_max=CLIENT_PORT_MIN + plan.ports - 1,
                      limit_flows=a.flows),
        STLVmWrFlowVar(fv_name="tuple.ip", pkt_offset=l3name + ".src",
                       offset_fixup=12 if plan.v6 else 0),
        STLVmWrFlowVar(fv_name="tuple.port", pkt_offset=l4name + ".sport"),
    ]
    if plan.hw_csum:
        l4type = (CTRexVmInsFixHwCs.L4_TYPE_UDP if a.proto == "udp"
                  else CTRexVmInsFixHwCs.L4_TYPE_TCP)
        cmds.append(STLVmFixChecksumHw(l3_offset=l3name, l4_offset=l4name,
                                       l4_type=l4type))
    else:
        cmds.append(STLVmFixIpv4(offset="IP"))
    return STLScVmRaw(cmds)


def packet(plan, frame_size, flags):
    base = Ether() / l3(plan) / l4(plan, flags)
    # Frames below the headers' length are sent at that length (IPv6/TCP
    # cannot be 64 bytes): IMIX keeps its shape, only its smallest grows.
    pad = max(0, frame_size - FCS - len(base))
    return STLPktBuilder(pkt=base / ("x" * pad), vm=field_engine(plan))


def sizes(plan):
    if plan.a.size == "imix":
        return IMIX
    return ((plan.a.size, 1),)


def build_streams(plan):
    a = plan.a
    streams = []
    data_isg = 0.0
    if a.proto == "tcp" and a.tcp == "established":
        # One SYN per flow, then the data streams once all have been sent.
        streams.append(STLStream(
            name="syn",
            packet=packet(plan, 64, "S"),
            mode=STLTXSingleBurst(total_pkts=a.flows, pps=a.syn_pps)))
        data_isg = (a.flows / a.syn_pps + 1.0) * 1e6  # usec
    flags = "S" if a.proto == "tcp" and a.tcp == "syn" else "PA"
    for size, share in sizes(plan):
        streams.append(STLStream(
            packet=packet(plan, size, flags),
            mode=STLTXCont(pps=share),
            isg=data_isg))
    return streams


def get_streams_for(defaults, direction=0, port_id=0, tunables=None, **kwargs):
    parser = make_parser(defaults)
    args = parser.parse_args(tunables_argv(tunables, kwargs))
    return build_streams(Plan(args))


class MgL4(object):
    defaults = {"prog": "mg_l4"}

    def get_streams(self, direction=0, port_id=0, tunables=None, **kwargs):
        return get_streams_for(self.defaults, direction, port_id, tunables, **kwargs)


def register():
    return MgL4()
