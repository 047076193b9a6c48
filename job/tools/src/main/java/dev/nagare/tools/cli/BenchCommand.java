package dev.nagare.tools.cli;

import dev.nagare.tools.bench.PipelineBenchmark;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.util.List;
import java.util.concurrent.Callable;

/** {@code nagare bench [RECORDS] [PARALLELISM]}: the whole-job throughput benchmark (docs/BENCHMARKS.md). */
@Command(name = "bench", description = {
        "Measures the whole job's throughput.",
        "Measures the whole job's cost per event on demo records generated before the run (decode, parse, dedup,",
        "every rule, the rollup, the lake) on a local MiniCluster, on heap and on RocksDB state, against the floor",
        "(gunzip + Jackson trees of the same records). Give the JVM room: java -Xmx8g -jar nagare.jar bench ..."})
public final class BenchCommand implements Callable<Integer> {
    @ParentCommand
    Nagare nagare;

    @Parameters(index = "0", arity = "0..1", paramLabel = "RECORDS", description = "Kinesis records of the measured run (default: ${DEFAULT-VALUE}).")
    long records = 120_000;

    @Parameters(index = "1", arity = "0..1", paramLabel = "PARALLELISM", description = "Parallelism of the job (default: ${DEFAULT-VALUE}).")
    int parallelism = 2;

    @Option(names = "--backends", split = ",", paramLabel = "BACKEND",
            description = "State backends to measure, comma-separated: hashmap (heap), rocksdb (default: ${DEFAULT-VALUE}).")
    List<String> backends = List.of("hashmap", "rocksdb");

    @Override
    public Integer call() throws Exception {
        PipelineBenchmark.run(records, parallelism, backends, nagare.out);
        return Nagare.OK;
    }
}
