#!/usr/bin/env python3
"""Compare a crs_replay.py --json result with KNOWN_FAILURES.md.

Prints the pass rate per group and overall, every failure that is not
listed (unexpected) and every listed test that passed (stale entry).
Exit status 0 when no failure is unexpected and at least 97% of the
judged tests passed, 1 otherwise.
"""
import json
import re
import sys

TARGET = 97.0


def known_titles(path):
    """Test titles from the first column of the markdown tables."""
    titles = {}
    with open(path, encoding="utf-8") as fd:
        for line in fd:
            m = re.match(r"^\|\s*`?([0-9]{6}-[0-9]+)`?\s*\|\s*(.*?)\s*\|", line)
            if m:
                titles[m.group(1)] = m.group(2)
    return titles


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: check_known.py RESULTS.json KNOWN_FAILURES.md\n")
        return 2
    with open(sys.argv[1], encoding="utf-8") as fd:
        doc = json.load(fd)
    known = known_titles(sys.argv[2])
    groups = {}
    failed = {}
    for t in doc["tests"]:
        g = groups.setdefault(t["group"], [0, 0])
        if t["result"] == "skip":
            continue
        g[1] += 1
        if t["result"] == "pass":
            g[0] += 1
        else:
            failed[t["title"]] = "; ".join(t.get("reasons", []))
    passed = sum(g[0] for g in groups.values())
    judged = sum(g[1] for g in groups.values())
    for name in sorted(groups):
        p, n = groups[name]
        print("%-40s %4d/%-4d %6.2f%%" % (name, p, n, 100.0 * p / n if n else 100.0))
    rate = 100.0 * passed / judged if judged else 0.0
    print("%-40s %4d/%-4d %6.2f%% (target %.0f%%)" % ("total", passed, judged, rate, TARGET))
    unexpected = sorted(set(failed) - set(known))
    stale = sorted(set(known) - set(failed))
    for title in unexpected:
        print("UNEXPECTED FAILURE %s: %s" % (title, failed[title]))
    for title in stale:
        print("passes now, remove from KNOWN_FAILURES.md: %s" % title)
    return 0 if not unexpected and rate >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
