#!/usr/bin/env python3
"""CPU time of a running JVM by thread, from /proc (Linux), to see where a benchmark's cores go.

    java -Xmx8g -jar job/tools/target/nagare.jar bench 1200000 2 --backends rocksdb &
    python3 job/tools/scripts/thread-cpu.py record $! threads.jsonl     # until the JVM exits
    python3 job/tools/scripts/thread-cpu.py report threads.jsonl        # the last job's steady state

Unlike a JFR profile, this sees every thread: the garbage collector's, RocksDB's background
flushes and compactions and the JIT compilers as well as each Flink task (a chain of operators
runs in one thread named after its operators). `record` writes a snapshot every two seconds;
`report` takes the last run of a job (the snapshots where a `Source: records` thread exists),
keeps its middle half (no warm-up, no draining at the end), and prints CPU seconds by thread
name (as Linux keeps it, 15 characters), subtask numbers folded together. `report FILE FROM TO` takes the window FROM..TO seconds
after the first snapshot instead.
"""
import collections
import json
import os
import re
import sys
import time


def record(pid, out):
    with open(out, 'w') as f:
        while os.path.exists(f'/proc/{pid}'):
            snapshot = {}
            try:
                tids = os.listdir(f'/proc/{pid}/task')
            except OSError:
                break
            for tid in tids:
                try:
                    stat = open(f'/proc/{pid}/task/{tid}/stat').read()
                except OSError:
                    continue
                name = stat[stat.index('(') + 1:stat.rindex(')')]
                fields = stat[stat.rindex(')') + 2:].split()
                snapshot[tid] = [name, int(fields[11]) + int(fields[12])]  # utime + stime, in ticks
            try:
                stat = open(f'/proc/{pid}/stat').read()
            except OSError:
                break
            fields = stat[stat.rindex(')') + 2:].split()
            # The whole process too: it keeps the time of threads that ended (JIT compilers and
            # snapshot threads come and go).
            snapshot['process'] = ['', int(fields[11]) + int(fields[12])]
            f.write(json.dumps([time.time(), snapshot]) + '\n')
            f.flush()
            time.sleep(2)


def job_window(snapshots):
    """The middle half of the last span of snapshots with a source task (no warm-up, no draining)."""
    running = [any(name.startswith('Source: records') for tid, (name, _) in s.items() if tid != 'process')
               for _, s in snapshots]
    end = max((i for i, r in enumerate(running) if r), default=None)
    if end is None:
        sys.exit('no snapshot shows a "Source: records" thread: give the window as FROM TO')
    start = end
    while start > 0 and running[start - 1]:
        start -= 1
    quarter = (end - start) // 4
    return start + quarter, end - quarter


def report(path, window=None):
    snapshots = [json.loads(line) for line in open(path)]
    if window:
        base = snapshots[0][0]
        a = min(range(len(snapshots)), key=lambda i: abs(snapshots[i][0] - base - window[0]))
        b = min(range(len(snapshots)), key=lambda i: abs(snapshots[i][0] - base - window[1]))
    else:
        a, b = job_window(snapshots)
    if b <= a:
        sys.exit('the window holds fewer than two snapshots')
    (t0, first), (t1, last) = snapshots[a], snapshots[b]
    ticks = os.sysconf('SC_CLK_TCK')
    by_name = collections.Counter()
    for tid, (name, used) in last.items():
        if tid == 'process':
            continue
        before = first.get(tid, [name, 0])[1]
        # Linux keeps 15 characters of a thread's name ("Source: records", "dedup-and-count"):
        # subtask and pool numbers at the end ("GC Thread#1", "lake-commit (1/") fold into one line.
        by_name[re.sub(r'[ #(/\d]+$', '', name).strip()] += (used - before) / ticks
    threads = sum(by_name.values())
    total = (last['process'][1] - first['process'][1]) / ticks if 'process' in last and 'process' in first else threads
    ended = total - threads
    if ended > 0.005 * total:
        by_name['(threads that ended in the window)'] = ended
    print(f'{t1 - t0:.1f} s window, {total:.1f} CPU seconds ({total / (t1 - t0):.2f} cores busy)')
    for name, seconds in by_name.most_common(20):
        print(f'{seconds:8.2f} s {100 * seconds / total:5.1f}%  {name}', flush=True)


if __name__ == '__main__':
    if len(sys.argv) == 4 and sys.argv[1] == 'record':
        record(sys.argv[2], sys.argv[3])
    elif len(sys.argv) in (3, 5) and sys.argv[1] == 'report':
        report(sys.argv[2], (float(sys.argv[3]), float(sys.argv[4])) if len(sys.argv) == 5 else None)
    else:
        sys.exit(__doc__)
