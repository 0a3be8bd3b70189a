-- SPDX-License-Identifier: Apache-2.0
--
-- meshgate L4 load profile for pktgen-dpdk: UDP to one VIP from FLOWS
-- client flows (source address x source port ranges), one frame size.
--
--   MG_DST_MAC=<meshgate ext MAC> MG_SIZE=64 MG_FLOWS=1000000 \
--     pktgen -l 0-4 -n 4 -a <tx pci> -a <rx pci> -- -P -m "[1:2].0,[3:4].1" \
--       -f scripts/pktgen/l4_udp.lua
--
-- Settings come from the environment (defaults in brackets):
--   MG_TX_PORT [0]  port cabled to meshgate's ext port
--   MG_RX_PORT [1]  port cabled to meshgate's int port (counts what comes out)
--   MG_DST_MAC      MAC of meshgate's ext port (required: range mode sends
--                   no ARP; DPDK telemetry /ethdev/info,0 has mac_addr)
--   MG_VIP [203.0.113.100]   MG_DPORT [7]
--   MG_SRC [198.18.0.1]      first client address
--   MG_FLOWS [1000]  1 .. 16515072
--   MG_SIZE [64]     frame size with FCS, 64 .. 1518
--   MG_RATE [100]    percent of line rate
--   MG_SECONDS [30]  measuring time after a 2 s warm-up; 0 = run until quit
--
-- pktgen increments source address and source port together on every
-- packet, so a range of C addresses and P ports repeats after lcm(C, P)
-- packets: C and P are chosen coprime with C * P as close to MG_FLOWS as
-- can be, and the flow count used is printed.

package.path = package.path .. ";?.lua;test/?.lua;app/?.lua;"
require "Pktgen"

local PORT_MIN = 1024
local PORT_SPAN = 65535 - PORT_MIN + 1

local function env(name, default)
	local v = os.getenv(name)
	if v == nil or v == "" then
		return default
	end
	return v
end

local function env_num(name, default, min, max)
	local v = tonumber(env(name, default))
	if v == nil or v < min or v > max then
		error(string.format("%s must be a number in %d..%d", name, min, max))
	end
	return math.floor(v)
end

local function gcd(a, b)
	while b ~= 0 do
		a, b = b, a % b
	end
	return a
end

-- Addresses C and ports P, coprime, C*P >= flows and as small as possible;
-- among equals the most addresses (spreads better over RSS and Maglev).
local function split_flows(flows)
	local best_c, best_p
	for c = math.min(flows, 256 * 256), 1, -1 do
		local p = math.ceil(flows / c)
		if p > PORT_SPAN then
			break
		end
		if gcd(c, p) == 1 and (best_c == nil or c * p < best_c * best_p) then
			best_c, best_p = c, p
			if c * p == flows then
				break
			end
		end
	end
	if best_c == nil then
		error("MG_FLOWS too large")
	end
	return best_c, best_p
end

local function ip_to_num(s)
	local a, b, c, d = s:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
	if a == nil then
		error("not an IPv4 address: " .. s)
	end
	return ((tonumber(a) * 256 + tonumber(b)) * 256 + tonumber(c)) * 256 + tonumber(d)
end

local function num_to_ip(n)
	return string.format("%d.%d.%d.%d", (n >> 24) & 255, (n >> 16) & 255,
		(n >> 8) & 255, n & 255)
end

-- Port statistics of one port, across pktgen versions (flat in older
-- ones, under .curr in newer ones).
local function counters(port)
	local all = pktgen.portStats(port)
	local st = all[tonumber(port)] or {}
	if st.curr ~= nil then
		st = st.curr
	end
	return {
		opackets = st.opackets or 0,
		ipackets = st.ipackets or 0,
		imissed = st.imissed or 0,
		ierrors = st.ierrors or 0,
	}
end

local tx = env("MG_TX_PORT", "0")
local rx = env("MG_RX_PORT", "1")
local dst_mac = env("MG_DST_MAC", nil)
local vip = env("MG_VIP", "203.0.113.100")
local dport = env_num("MG_DPORT", 7, 1, 65535)
local src = ip_to_num(env("MG_SRC", "198.18.0.1"))
local flows = env_num("MG_FLOWS", 1000, 1, 256 * 256 * PORT_SPAN)
local size = env_num("MG_SIZE", 64, 64, 1518)
local rate = env_num("MG_RATE", 100, 1, 100)
local seconds = env_num("MG_SECONDS", 30, 0, 86400)

if dst_mac == nil then
	error("set MG_DST_MAC to the MAC address of meshgate's ext port")
end

local clients, ports = split_flows(flows)
print(string.format("l4_udp: %d flows (%d clients from %s x %d ports from %d), %d bytes, %d%% of line rate",
	clients * ports, clients, num_to_ip(src), ports, PORT_MIN, size, rate))

pktgen.stop(tx)
pktgen.set_type(tx, "ipv4")
pktgen.set_proto(tx, "udp")
pktgen.range.ip_proto(tx, "udp")
pktgen.range.dst_mac(tx, "start", dst_mac)

pktgen.range.dst_ip(tx, "start", vip)
pktgen.range.dst_ip(tx, "inc", "0.0.0.0")
pktgen.range.dst_ip(tx, "min", vip)
pktgen.range.dst_ip(tx, "max", vip)

pktgen.range.src_ip(tx, "start", num_to_ip(src))
pktgen.range.src_ip(tx, "inc", clients > 1 and "0.0.0.1" or "0.0.0.0")
pktgen.range.src_ip(tx, "min", num_to_ip(src))
pktgen.range.src_ip(tx, "max", num_to_ip(src + clients - 1))

pktgen.range.dst_port(tx, "start", dport)
pktgen.range.dst_port(tx, "inc", 0)
pktgen.range.dst_port(tx, "min", dport)
pktgen.range.dst_port(tx, "max", dport)

pktgen.range.src_port(tx, "start", PORT_MIN)
pktgen.range.src_port(tx, "inc", ports > 1 and 1 or 0)
pktgen.range.src_port(tx, "min", PORT_MIN)
pktgen.range.src_port(tx, "max", PORT_MIN + ports - 1)

pktgen.range.pkt_size(tx, "start", size)
pktgen.range.pkt_size(tx, "inc", 0)
pktgen.range.pkt_size(tx, "min", size)
pktgen.range.pkt_size(tx, "max", size)

pktgen.range.ttl(tx, "start", 64)
pktgen.range.ttl(tx, "inc", 0)
pktgen.range.ttl(tx, "min", 64)
pktgen.range.ttl(tx, "max", 64)

pktgen.set(tx, "count", 0)
pktgen.set(tx, "rate", rate)
pktgen.set_range(tx, "on")

pktgen.start(tx)
if seconds == 0 then
	print("l4_udp: sending; `stop " .. tx .. "` or quit to end")
	return
end

-- Warm-up: let meshgate resolve neighbours and fill its flow tables.
pktgen.delay(2000)
local t0, r0 = counters(tx), counters(rx)
pktgen.delay(seconds * 1000)
local t1, r1 = counters(tx), counters(rx)
pktgen.stop(tx)

local sent = t1.opackets - t0.opackets
local got = r1.ipackets - r0.ipackets
local lost = sent - got
print(string.format("l4_udp: %d s: sent %.3f Mpps, received %.3f Mpps on port %s, lost %d (%.3f%%), rx missed %d",
	seconds, sent / seconds / 1e6, got / seconds / 1e6, rx, lost,
	sent > 0 and 100.0 * lost / sent or 0.0, r1.imissed - r0.imissed))
