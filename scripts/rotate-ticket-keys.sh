#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Rotate a session-ticket key file (listeners.tls.ticket_keys): a new key
# goes first (it encrypts new tickets), the newest KEEP-1 of the old ones
# stay after it (tickets they encrypted still resume), older ones go; then
# meshgate re-reads it on SIGHUP. Run it on a schedule (a cron entry or a
# systemd timer) every ticket lifetime; for a fleet, rotate one file and
# copy it to every appliance before signalling them, so that a ticket from
# any of them resumes on all.
#
# Usage: rotate-ticket-keys.sh FILE [KEEP [PID]]
#   KEEP  keys in the file afterwards, 2..4 (default 3)
#   PID   meshgate's process to signal (default: none, just rewrite FILE)
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 3 ]; then
	echo "usage: $0 FILE [KEEP [PID]]" >&2
	exit 2
fi
file=$1 keep=${2:-3} pid=${3:-}
case "$keep" in
2|3|4) ;;
*) echo "rotate-ticket-keys.sh: KEEP must be 2, 3 or 4 (meshgate reads at most 4 keys)" >&2
   exit 2 ;;
esac
[ -f "$file" ] || { echo "rotate-ticket-keys.sh: $file: no such file" >&2; exit 1; }

# Written beside the file and renamed over it: meshgate never reads half.
tmp=$(mktemp "$file.XXXXXX")
trap 'rm -f "$tmp"' EXIT
chmod 600 "$tmp"
{
	echo "# meshgate session-ticket keys: base64(name16 hmac32 aes32), first encrypts"
	echo "# rotated $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	openssl rand 80 | base64 -w0
	echo
	grep -v -e '^#' -e '^[[:space:]]*$' "$file" | head -n $((keep - 1))
} >"$tmp"
mv "$tmp" "$file"
trap - EXIT
if [ -n "$pid" ]; then
	kill -HUP "$pid"
fi
