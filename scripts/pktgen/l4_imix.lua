-- SPDX-License-Identifier: Apache-2.0
--
-- meshgate L4 load profile for pktgen-dpdk: UDP IMIX (64:594:1518 at 7:4:1)
-- to one VIP, every packet its own client flow. pktgen cannot weight sizes
-- in range mode, so the packets come from a pcap that mkimix.py writes and
-- pktgen replays in a loop:
--
--   /usr/bin/python3 scripts/pktgen/mkimix.py --flows 65536 \
--       --dst-mac <meshgate ext MAC> -o /tmp/imix.pcap
--   pktgen -l 0-4 -n 4 -a <tx pci> -a <rx pci> -- -P -m "[1:2].0,[3:4].1" \
--       -s 0:/tmp/imix.pcap -f scripts/pktgen/l4_imix.lua
--
-- Settings from the environment (defaults in brackets):
--   MG_TX_PORT [0]  the port the pcap was given to (-s 0:...)
--   MG_RX_PORT [1]  port cabled to meshgate's int port
--   MG_RATE [100]   percent of line rate
--   MG_SECONDS [30] measuring time after a 2 s warm-up; 0 = run until quit

package.path = package.path .. ";?.lua;test/?.lua;app/?.lua;"
require "Pktgen"

local function env_num(name, default, min, max)
	local v = tonumber(os.getenv(name) or default)
	if v == nil or v < min or v > max then
		error(string.format("%s must be a number in %d..%d", name, min, max))
	end
	return math.floor(v)
end

-- Port statistics across pktgen versions (flat, or under .curr).
local function counters(port)
	local all = pktgen.portStats(port)
	local st = all[tonumber(port)] or {}
	if st.curr ~= nil then
		st = st.curr
	end
	return {
		opackets = st.opackets or 0,
		obytes = st.obytes or 0,
		ipackets = st.ipackets or 0,
		imissed = st.imissed or 0,
	}
end

local tx = os.getenv("MG_TX_PORT") or "0"
local rx = os.getenv("MG_RX_PORT") or "1"
local rate = env_num("MG_RATE", 100, 1, 100)
local seconds = env_num("MG_SECONDS", 30, 0, 86400)

pktgen.stop(tx)
pktgen.set_range(tx, "off")
pktgen.set(tx, "count", 0)
pktgen.set(tx, "rate", rate)
pktgen.pcap(tx, "on")
print(string.format("l4_imix: replaying the pcap of port %s at %d%% of line rate", tx, rate))

pktgen.start(tx)
if seconds == 0 then
	print("l4_imix: sending; `stop " .. tx .. "` or quit to end")
	return
end

pktgen.delay(2000)
local t0, r0 = counters(tx), counters(rx)
pktgen.delay(seconds * 1000)
local t1, r1 = counters(tx), counters(rx)
pktgen.stop(tx)

local sent = t1.opackets - t0.opackets
local got = r1.ipackets - r0.ipackets
local lost = sent - got
print(string.format("l4_imix: %d s: sent %.3f Mpps (%.2f Gbit/s L2), received %.3f Mpps on port %s, lost %d (%.3f%%), rx missed %d",
	seconds, sent / seconds / 1e6, (t1.obytes - t0.obytes) * 8 / seconds / 1e9,
	got / seconds / 1e6, rx, lost, sent > 0 and 100.0 * lost / sent or 0.0,
	r1.imissed - r0.imissed))
