#!/usr/bin/env bash
# Set up the machine, build, and run every test suite: unit (in process),
# replay (crafted captures through the appliance over net_pcap),
# fuzz (short libFuzzer runs under ASan/UBSan), waf (the CRS regression
# corpus through meshgate-waf) and lab (the appliance between real clients
# and servers in network namespaces). Ends with one line
# "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh || exit 1
scripts/build.sh || exit 1

passed=0 failed=0
for suite in unit replay fuzz waf lab; do
	log=build/meson-logs/testlog-$suite.txt
	echo "== suite $suite"
	meson test -C build --suite "$suite" --print-errorlogs --no-rebuild \
		--logbase "testlog-$suite" --num-processes "$(nproc)"
	json=build/meson-logs/testlog-$suite.json
	if [ -f "$json" ]; then
		p=$(grep -c '"result": "OK"' "$json" || true)
		f=$(grep -c '"result": "\(FAIL\|TIMEOUT\|ERROR\)"' "$json" || true)
		passed=$((passed + p)) failed=$((failed + f))
	fi
	: "$log"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
