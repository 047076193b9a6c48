package dev.nagare.tools.cli;

import dev.nagare.tools.bench.PipelineBenchmark;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.util.concurrent.Callable;

/** {@code nagare bench [RECORDS] [PARALLELISM]}: the whole-job throughput benchmark (docs/BENCHMARKS.md). */
@Command(name = "bench", description = {
        "Measures the whole job's throughput.",
        "Measures the whole job's throughput on demo records (decode, parse, 15 rules, lake), on a local MiniCluster",
        "with RocksDB state. Give the JVM room for large runs: java -Xmx8g -jar nagare.jar bench ..."})
public final class BenchCommand implements Callable<Integer> {
    @ParentCommand
    Nagare nagare;

    @Parameters(index = "0", arity = "0..1", paramLabel = "RECORDS", description = "Kinesis records of the measured run (default: ${DEFAULT-VALUE}).")
    long records = 100_000;

    @Parameters(index = "1", arity = "0..1", paramLabel = "PARALLELISM", description = "Parallelism of the job (default: ${DEFAULT-VALUE}).")
    int parallelism = 2;

    @Override
    public Integer call() throws Exception {
        PipelineBenchmark.run(records, parallelism, nagare.out);
        return Nagare.OK;
    }
}
