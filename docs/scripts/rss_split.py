#!/usr/bin/env python3
"""Where a .NET process's resident memory is, sampled over time from /proc/PID/smaps, as CSV on stdout.

    python3 docs/scripts/rss_split.py PID [--every 60] [--count 70] > split.csv

Columns (KiB): rss (VmRSS), gc (the GC's reserved range: the longest run of adjacent anonymous mappings,
at least 4 GiB, as `windsock bench soak` measures it), jit (the runtime's executable memory, JIT'd code
and loader heaps, mapped twice through /memfd:doublemapper), native (every other anonymous mapping, the
brk heap and stacks: malloc's arenas, thread stacks, the runtime's own allocations), files (mapped files:
the runtime's libraries and the assemblies' code pages). docs/benchmarks.md ("Soak") explains the soak's
growth with it. Only the standard library; stops when the process is gone.
"""
import argparse
import re
import sys
import time

HEADER = re.compile(r"^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$")


def mappings(pid):
    """(start, end, name, rss KiB) per mapping."""
    result = []
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            m = HEADER.match(line)
            if m:
                result.append([int(m[1], 16), int(m[2], 16), m[3].strip(), 0])
            elif line.startswith("Rss:") and result:
                result[-1][3] = int(line.split()[1])
    return result


def gc_range(maps):
    """Indexes of the longest run of adjacent anonymous mappings, if it spans at least 4 GiB."""
    best, best_span, i = set(), 0, 0
    while i < len(maps):
        if maps[i][2]:
            i += 1
            continue
        j = i + 1
        while j < len(maps) and not maps[j][2] and maps[j][0] == maps[j - 1][1]:
            j += 1
        if maps[j - 1][1] - maps[i][0] > best_span:
            best, best_span = set(range(i, j)), maps[j - 1][1] - maps[i][0]
        i = j
    return best if best_span >= 4 << 30 else set()


def sample(pid):
    maps = mappings(pid)
    gc = gc_range(maps)
    split = {"gc": 0, "jit": 0, "native": 0, "files": 0}
    for k, (_, _, name, rss) in enumerate(maps):
        if k in gc:
            split["gc"] += rss
        elif name.startswith("/memfd:doublemapper"):
            split["jit"] += rss
        elif not name or name.startswith("["):
            split["native"] += rss
        else:
            split["files"] += rss
    with open(f"/proc/{pid}/status") as f:
        rss = int(re.search(r"VmRSS:\s+(\d+)", f.read())[1])
    return rss, split


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pid", type=int)
    parser.add_argument("--every", type=float, default=60, help="seconds between samples")
    parser.add_argument("--count", type=int, default=70, help="samples at most")
    args = parser.parse_args()
    print("elapsed_s,rss_kib,gc_kib,jit_kib,native_kib,files_kib", flush=True)
    start = time.monotonic()
    for n in range(args.count):
        try:
            rss, split = sample(args.pid)
        except (FileNotFoundError, ProcessLookupError):
            break
        print(f"{time.monotonic() - start:.0f},{rss},{split['gc']},{split['jit']},{split['native']},{split['files']}", flush=True)
        if n + 1 < args.count:
            time.sleep(args.every)
    return 0


if __name__ == "__main__":
    sys.exit(main())
