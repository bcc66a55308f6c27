#!/usr/bin/env python3
"""Peak resident memory of one scan, phase by phase.

Runs `BIN scan SHARE --out OUT --force --quiet --threads N` with BREACHSCOPE_PHASE_TIMES=1,
samples /proc/PID/status every 10 ms, and prints the highest RSS seen inside each phase (the
phase ends are the times the scan prints on stderr). Linux only.

    scripts/rss_by_phase.py target/release/breachscope /tmp/bench/corpus_1G /tmp/rss-report 2

Set BREACHSCOPE_FINGERPRINT_KEY as for scripts/bench.sh so runs compare.
"""

import os
import re
import subprocess
import sys
import time


def main() -> int:
    if len(sys.argv) not in (4, 5):
        print(__doc__, file=sys.stderr)
        return 2
    binary, share, out = sys.argv[1:4]
    threads = sys.argv[4] if len(sys.argv) == 5 else "2"
    env = dict(os.environ, BREACHSCOPE_PHASE_TIMES="1")
    command = [binary, "scan", share, "--out", out, "--force", "--quiet", "--threads", threads]
    started = time.monotonic()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    samples = []  # (seconds since start, RSS in KiB)
    peak = 0
    while process.poll() is None:
        try:
            with open(f"/proc/{process.pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        samples.append((time.monotonic() - started, int(line.split()[1])))
                    elif line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]))
        except (FileNotFoundError, ProcessLookupError, ValueError):
            pass
        time.sleep(0.01)
    stderr = process.stderr.read() if process.stderr else ""
    if process.returncode not in (0, 1):
        sys.stderr.write(stderr)
        print(f"scan exited with {process.returncode}", file=sys.stderr)
        return 1
    ends = sorted(
        (float(m.group(2)), m.group(1))
        for m in re.finditer(r"phase (.*): done at ([0-9.]+) s", stderr)
    )
    begin = 0.0
    for end, name in ends:
        inside = [rss for t, rss in samples if begin <= t < end]
        print(f"{name:45s} {begin:6.2f}-{end:6.2f} s  max RSS {max(inside, default=0):>9} KiB")
        begin = end
    print(f"{'peak (VmHWM) of the whole run':45s} {'':15s}  {peak:>9} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
