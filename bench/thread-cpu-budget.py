"""Sums what bench/thread-cpu sampled between two of its sample times, by thread name.

    python3 bench/thread-cpu-budget.py OUT FIRST_EPOCH_MS LAST_EPOCH_MS [LIFECYCLES]

Thread names lose their trailing numbers (io-executor-thread-12 counts as io-executor-thread); the
kernel keeps only their first 15 characters. Take both times from OUT's first column, while the
process runs (threads that ended before LAST are not counted). With LIFECYCLES, prints each
group's CPU per lifecycle too.
"""
import collections
import re
import sys

TICKS_PER_SECOND = 100  # getconf CLK_TCK


def main():
    path, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    lifecycles = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    start, end, names = {}, {}, {}
    with open(path) as f:
        for line in f:
            ts, _pid, tid, name, user, system = line.split()
            if int(ts) == first:
                start[tid] = int(user) + int(system)
            elif int(ts) == last:
                end[tid] = int(user) + int(system)
                names[tid] = name
    if not end:
        sys.exit("no sample at %d in %s" % (last, path))
    groups, threads = collections.Counter(), collections.Counter()
    for tid, ticks in end.items():
        group = re.sub(r"\d+$", "", names[tid]).rstrip("-_#")
        groups[group] += ticks - start.get(tid, 0)
        threads[group] += 1
    total = sum(groups.values())
    seconds = (last - first) / 1000
    print("window %.1f s, %d threads, CPU %.1f s (%.0f %% of one core)"
          % (seconds, len(end), total / TICKS_PER_SECOND, total / seconds))
    for group, ticks in groups.most_common():
        if ticks == 0:
            continue
        per = " %6.0f us per lifecycle" % (ticks / TICKS_PER_SECOND * 1e6 / lifecycles) if lifecycles else ""
        print("%-20s x%-3d %7.2f s %5.1f %%%s"
              % (group, threads[group], ticks / TICKS_PER_SECOND, 100 * ticks / total, per))


if __name__ == "__main__":
    main()
