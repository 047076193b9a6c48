#!/usr/bin/env python3
"""CPU samples of a JFR recording by the operator they ran in.

    jfr print --stack-depth 80 --events jdk.ExecutionSample rec.jfr > samples.txt
    python3 job/tools/scripts/jfr-by-operator.py samples.txt             # Java frames
    jfr print --stack-depth 80 --events jdk.NativeMethodSample rec.jfr > native.txt
    python3 job/tools/scripts/jfr-by-operator.py native.txt --native     # RocksDB (JNI) by caller
    jfr print --stack-depth 80 --events jdk.ObjectAllocationSample rec.jfr > alloc.txt
    python3 job/tools/scripts/jfr-by-operator.py alloc.txt --alloc       # bytes allocated (sampled weight)

Each sample counts for the innermost frame that names an operator (or planning, or the
benchmark's own floor), so the figures are inclusive of what that operator calls, minus what an
operator chained after it does. Native samples (RocksDB's JNI calls) are counted by the Java
frame that called into RocksDB.
"""
import collections
import re
import sys

OPERATORS = [
    ('rule/rollup input conversion', 'InputConversionOperator'),
    ('alert output conversion', 'OutputConversionOperator'),
    ('lake writer', 'LakeWriter'), ('lake committer', 'LakeCommitter'),
    ('alert dedup', 'AlertDeduplicator'), ('event dedup', 'Deduplicator'),
    ('decode + parse', 'RecordDecoding'), ('decode + parse', 'DecodeFunction'),
    ('window aggregates', 'SlicingWindowOperator'), ('window aggregates', 'WindowAggOperator'),
    ('rule filters/projections (Calc)', 'StreamExecCalc'),
    ('OVER aggregates', 'OverAggregate'), ('OVER aggregates', 'RowTimeRangeBounded'),
    ('OVER aggregates', 'RowTimeRowsBounded'), ('OVER aggregates', 'RowTimeRowsUnbounded'),
    ('OVER aggregates', 'AbstractRowTimeUnbounded'),
    ('MATCH_RECOGNIZE (CEP)', 'CepOperator'), ('joins', 'Join'),
    ('network out (serialize)', 'network.api.writer.RecordWriter'),
    ('network in (deserialize)', 'StreamTaskNetworkInput'),
    ('watermarks', 'Watermark'), ('checkpoints', 'Checkpoint'),
    ('planning (fixed per start)', 'org.apache.calcite'), ('planning (fixed per start)', 'PlannerBase'),
    ('code generation (fixed per start)', 'codehaus'),
    ('benchmark floor (not the job)', 'PipelineBenchmark'),
]


UNITS = {'bytes': 1, 'byte': 1, 'kB': 1 << 10, 'MB': 1 << 20, 'GB': 1 << 30}


def samples(path):
    """(stack, weight) per event; the weight is 1 but for allocation samples (their bytes)."""
    stack = None
    weight = 1
    for line in open(path):
        line = line.rstrip()
        if line.startswith('jdk.ExecutionSample') or line.startswith('jdk.NativeMethodSample') \
                or line.startswith('jdk.ObjectAllocationSample'):
            stack = []
            weight = 1
        elif stack is not None and line.strip().startswith('weight = '):
            amount, unit = line.strip()[len('weight = '):].split()
            weight = float(amount.replace(',', '')) * UNITS[unit]
        elif line.startswith('  ]') and stack is not None:
            yield stack, weight
            stack = None
        elif stack is not None and line.startswith('    ') and line.strip() != '...':
            stack.append(line.strip())


def label(stack):
    for frame in stack:
        for name, pattern in OPERATORS:
            if pattern in frame:
                return name
    return 'other'


def main():
    native = '--native' in sys.argv
    alloc = '--alloc' in sys.argv
    counts = collections.Counter()
    total = 0
    for stack, weight in samples(sys.argv[1]):
        total += 1
        if native:
            if not any('rocksdb' in f.lower() for f in stack):
                continue
            callers = [f for f in stack if 'dev.nagare' in f or re.search(r'processElement|onTimer|onEventTime|napshot', f)]
            counts[re.sub(r'\(.*', '', callers[0]) if callers else 'other'] += 1
        else:
            counts[label(stack)] += weight if alloc else 1
    counted = sum(counts.values())
    if alloc:
        print(f'{counted / (1 << 20):,.0f} MB sampled in {total} allocation samples')
        for name, n in counts.most_common():
            print(f'{n / (1 << 20):9,.0f} MB {100 * n / counted:5.1f}%  {name}')
        return
    print(f'{counted} samples counted of {total}')
    for name, n in counts.most_common():
        print(f'{n:7d} {100 * n / counted:5.1f}%  {name}')


if __name__ == '__main__':
    main()
