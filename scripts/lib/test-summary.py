#!/usr/bin/env python3
"""Count meson test results from testlog.json (one JSON object per line).

Prints `N passed, N failed` (plus `, N skipped` when some were skipped) and
exits 1 when anything failed, timed out, errored or was skipped, or when no
test ran at all: a skip or an empty run must not look green.
"""
import json
import sys

PASSED = {"OK", "EXPECTEDFAIL"}
SKIPPED = {"SKIP"}


def main(path):
    passed = failed = skipped = 0
    try:
        with open(path) as f:
            results = [json.loads(line)["result"] for line in f if line.strip()]
    except (OSError, ValueError, KeyError) as e:
        print(f"test-summary: cannot read {path}: {e}", file=sys.stderr)
        results = []
    for result in results:
        if result in PASSED:
            passed += 1
        elif result in SKIPPED:
            skipped += 1
        else:  # FAIL, TIMEOUT, ERROR, UNEXPECTEDPASS, INTERRUPT, ...
            failed += 1
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)
    return 0 if results and not failed and not skipped else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
