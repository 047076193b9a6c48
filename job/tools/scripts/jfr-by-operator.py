#!/usr/bin/env python3
"""CPU samples of a JFR recording by the operator they ran in.

    jfr print --stack-depth 80 --events jdk.ExecutionSample rec.jfr > samples.txt
    python3 job/tools/scripts/jfr-by-operator.py samples.txt             # Java frames
    jfr print --stack-depth 80 --events jdk.NativeMethodSample rec.jfr > native.txt
    python3 job/tools/scripts/jfr-by-operator.py native.txt --native     # RocksDB (JNI) by caller

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


def samples(path):
    stack = None
    for line in open(path):
        line = line.rstrip()
        if line.startswith('jdk.ExecutionSample') or line.startswith('jdk.NativeMethodSample'):
            stack = []
        elif line.startswith('  ]') and stack is not None:
            yield stack
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
    counts = collections.Counter()
    total = 0
    for stack in samples(sys.argv[1]):
        total += 1
        if native:
            if not any('rocksdb' in f.lower() for f in stack):
                continue
            callers = [f for f in stack if 'dev.nagare' in f or re.search(r'processElement|onTimer|onEventTime|napshot', f)]
            counts[re.sub(r'\(.*', '', callers[0]) if callers else 'other'] += 1
        else:
            counts[label(stack)] += 1
    counted = sum(counts.values())
    print(f'{counted} samples counted of {total}')
    for name, n in counts.most_common():
        print(f'{n:7d} {100 * n / counted:5.1f}%  {name}')


if __name__ == '__main__':
    main()
