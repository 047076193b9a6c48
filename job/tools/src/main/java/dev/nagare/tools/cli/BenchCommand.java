package dev.nagare.tools.cli;

import dev.nagare.tools.bench.LatencyBenchmark;
import dev.nagare.tools.bench.PipelineBenchmark;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code nagare bench [RECORDS] [PARALLELISM]}: the whole-job throughput benchmark; {@code --latency}:
 * alert latency under a sustained rate (docs/BENCHMARKS.md).
 */
@Command(name = "bench", description = {
        "Measures the whole job's throughput.",
        "Measures the whole job's cost per event on demo records generated before the run (decode, parse, dedup,",
        "every rule, the rollup, the lake) on a local MiniCluster, on heap and on RocksDB state, against the floor",
        "(gunzip + Jackson trees of the same records). Give the JVM room: java -Xmx8g -jar nagare.jar bench ...",
        "With --latency: paces the demo mix at --rate events/s and measures how long after a rule's threshold-crossing",
        "event enters the source its alert reaches a webhook server on 127.0.0.1 (p50/p90/p99)."})
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

    @Option(names = "--latency", description = "Measure alert latency under a sustained rate instead of throughput.")
    boolean latency;

    @Option(names = "--rate", paramLabel = "EVENTS", description = "With --latency: events per second (default: ${DEFAULT-VALUE}).")
    int rate = 20_000;

    @Option(names = "--duration", paramLabel = "SECONDS", description = "With --latency: length of the run (default: ${DEFAULT-VALUE}).")
    int durationSeconds = 120;

    @Option(names = "--out-of-orderness", paramLabel = "MILLIS",
            description = "With --latency: job.watermark.out-of-orderness of the run, in ms; alerts wait for it (default: ${DEFAULT-VALUE}).")
    long outOfOrdernessMillis = 1000;

    @Option(names = "--flink", paramLabel = "KEY=VALUE",
            description = "A Flink setting for every run, over the benchmark's, e.g. taskmanager.memory.managed.size=4g (repeatable).")
    Map<String, String> flink = new LinkedHashMap<>();

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "A Nagare setting for every run, over the benchmark's, e.g. rules.disabled=db_unusual_client (repeatable).")
    Map<String, String> nagareSettings = new LinkedHashMap<>();

    @Override
    public Integer call() throws Exception {
        if (!latency) {
            PipelineBenchmark.run(records, parallelism, backends, flink, nagareSettings, nagare.out);
            return Nagare.OK;
        }
        if (rate < 1 || durationSeconds < 40 || outOfOrdernessMillis < 0) {
            nagare.err.println("bench --latency: --rate must be at least 1, --duration at least 40 s (30 s are warm-up), "
                    + "--out-of-orderness not negative");
            return Nagare.USAGE;
        }
        for (String backend : backends) {
            LatencyBenchmark.Settings settings = new LatencyBenchmark.Settings();
            settings.eventsPerSecond = rate;
            settings.duration = Duration.ofSeconds(durationSeconds);
            settings.outOfOrderness = Duration.ofMillis(outOfOrdernessMillis);
            settings.parallelism = parallelism;
            settings.backend = backend;
            settings.flink = flink;
            settings.nagare = nagareSettings;
            LatencyBenchmark.run(settings, nagare.out);
        }
        return Nagare.OK;
    }
}
