package dev.nagare.tools.bench;

import dev.nagare.job.NagarePipeline;
import dev.nagare.job.config.DurableState;
import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.source.KinesisRecord;
import dev.nagare.job.source.RecordSource;
import dev.nagare.job.source.demo.DemoRecord;
import dev.nagare.job.testing.MiniClusters;

import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.runtime.checkpoint.AbstractCheckpointStats;
import org.apache.flink.runtime.checkpoint.CheckpointStatsSnapshot;
import org.apache.flink.runtime.checkpoint.CheckpointStatsStatus;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Checkpoint size and duration with a large state: {@code EVENTS} Aurora MySQL audit CONNECT
 * events, each with its own event id (the dedup state) and its own database user and client host
 * ({@code db_unusual_client} keeps every connection of the lookback, keyed by user and by user and
 * host: two keyed states of {@code EVENTS} keys each). All bundled rules run; the lake writes to a
 * local folder. Events span 30 simulated minutes, inside every TTL, so nothing expires during the
 * run. When the generator has produced every event the source goes quiet (a control message every
 * 50 ms) and the job keeps running, so the checkpoints that follow hold the whole state.
 *
 * <p>Not a test: {@code mvn -q -Pbench package -Dbench.main=StateBenchmark -Dbench.args="1000000 rocksdb hashmap"};
 * arguments with {@code =} are Flink settings for both runs (e.g. {@code state.backend.rocksdb.timer-service.factory=HEAP}),
 * {@code --set KEY=VALUE} a Nagare setting (e.g. {@code --set rules.disabled=db_unusual_client}).
 * For each state backend it prints every completed checkpoint (state size, size written, duration)
 * until the state stops growing, then records the figures in docs/BENCHMARKS.md.
 */
public final class StateBenchmark {
    private static final int EVENTS_PER_RECORD = 100;
    private static final Instant START = Instant.parse("2024-06-01T00:00:00Z");
    private static final Duration SPAN = Duration.ofMinutes(30);
    private static final Duration INTERVAL = Duration.ofSeconds(10);
    /** Records the generator has produced, read by the driver in the same JVM (a MiniCluster). */
    static final AtomicLong GENERATED = new AtomicLong();

    private StateBenchmark() {}

    public static void main(String[] args) throws Exception {
        long events = args.length > 0 ? Long.parseLong(args[0]) : 1_000_000;
        List<String> backends = new ArrayList<>();
        Configuration extra = new Configuration();
        NagareConfig config = NagareConfig.defaults();
        for (int i = 1; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            if ("--set".equals(args[i]) && i + 1 < args.length) {
                // A Nagare setting, e.g. --set rules.disabled=db_unusual_client to measure without a rule.
                String setting = args[++i];
                int at = setting.indexOf('=');
                if (at < 1) {
                    throw new IllegalArgumentException("--set takes KEY=VALUE, not '" + setting + "'");
                }
                config = config.with(setting.substring(0, at), setting.substring(at + 1));
            } else if (eq > 0) {
                extra.setString(args[i].substring(0, eq), args[i].substring(eq + 1));
            } else {
                backends.add(args[i]);
            }
        }
        if (backends.isEmpty()) {
            backends = List.of("rocksdb", "hashmap");
        }
        System.out.printf("Java %s, %d cores, max heap %d MB, %,d events (%,d event ids, %,d users and %,d user-host pairs)%n",
                System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(),
                Runtime.getRuntime().maxMemory() >> 20, events, events, events, events);
        for (String backend : backends) {
            run(events, backend, extra, config);
        }
        System.exit(0); // the generator's reader thread is not a daemon
    }

    private static void run(long events, String backend, Configuration extra, NagareConfig settings) throws Exception {
        long records = (events + EVENTS_PER_RECORD - 1) / EVENTS_PER_RECORD;
        GENERATED.set(0);
        Path lake = Files.createTempDirectory("nagare-state-bench");
        Path checkpoints = Files.createTempDirectory("nagare-state-bench-checkpoints");
        Configuration flink = MiniClusters.loopback();
        flink.set(StateBackendOptions.STATE_BACKEND, backend);
        flink.set(CheckpointingOptions.INCREMENTAL_CHECKPOINTS, "rocksdb".equals(backend));
        flink.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
        flink.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpoints.toUri().toString());
        // 1 GB of managed memory per slot: a 4 GB Managed Flink KPU (one slot) with Flink's default
        // managed fraction of 0.4 leaves about 1.4 GB, so this is on the safe side.
        flink.set(TaskManagerOptions.MANAGED_MEMORY_SIZE, MemorySize.ofMebiBytes(1024L * MiniClusters.PARALLELISM));
        flink.addAll(extra);
        MiniCluster cluster = new MiniCluster(new MiniClusterConfiguration.Builder()
                .setConfiguration(flink).setNumTaskManagers(1).setNumSlotsPerTaskManager(MiniClusters.PARALLELISM).build());
        cluster.start();
        try {
            NagareConfig config = settings.with("lake.path", lake.toString());
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
            // What the job adds to the cluster's settings, as on Managed Flink: job-level RocksDB options.
            env.configure(DurableState.settings(flink, Optional.empty()));
            env.setParallelism(MiniClusters.PARALLELISM);
            env.enableCheckpointing(INTERVAL.toMillis());
            DataGeneratorSource<KinesisRecord> generator = new DataGeneratorSource<>(
                    new Connects(records), Long.MAX_VALUE, RateLimiterStrategy.noOp(), RecordSource.TYPE);
            NagarePipeline.from(config).source(RecordSource.single(generator)).outputs().attachTo(env);
            JobID job = cluster.submitJob(env.getStreamGraph().getJobGraph()).get().getJobID();
            long start = System.nanoTime();

            System.out.printf("%n%s%s: checkpoint every %d s, %d slots%n", backend,
                    "rocksdb".equals(backend) ? " (incremental)" : "", INTERVAL.toSeconds(), MiniClusters.PARALLELISM);
            System.out.printf("%6s %9s %10s %12s %12s %10s%n", "ckpt", "elapsed s", "generated", "state MB", "written MB", "duration s");
            long printed = 0;
            long lastSize = -1;
            int unchanged = 0;
            while (unchanged < 2) {
                JobStatus status = cluster.getJobStatus(job).get();
                if (status.isTerminalState()) {
                    throw new IllegalStateException("the job ended: " + status);
                }
                CheckpointStatsSnapshot stats = cluster.getExecutionGraph(job).get().getCheckpointStatsSnapshot();
                List<AbstractCheckpointStats> completed = new ArrayList<>();
                for (AbstractCheckpointStats c : stats.getHistory().getCheckpoints()) {
                    if (c.getStatus() == CheckpointStatsStatus.COMPLETED && c.getCheckpointId() > printed) {
                        completed.add(c);
                    }
                }
                completed.sort(Comparator.comparingLong(AbstractCheckpointStats::getCheckpointId));
                for (AbstractCheckpointStats c : completed) {
                    long generated = GENERATED.get();
                    System.out.printf("%6d %9.0f %10s %12.1f %12.1f %10.2f%n", c.getCheckpointId(), (System.nanoTime() - start) / 1e9,
                            generated >= records ? "all" : String.format("%,d", generated * EVENTS_PER_RECORD),
                            c.getStateSize() / 1e6, c.getCheckpointedSize() / 1e6, c.getEndToEndDuration() / 1e3);
                    printed = c.getCheckpointId();
                    // Settled: every event generated and the state no longer grows.
                    if (generated >= records && lastSize > 0 && Math.abs(c.getStateSize() - lastSize) < lastSize / 100) {
                        unchanged++;
                    } else {
                        unchanged = 0;
                    }
                    lastSize = c.getStateSize();
                }
                Thread.sleep(1000);
            }
            cluster.cancelJob(job).get(1, TimeUnit.MINUTES);
        } finally {
            cluster.close();
            PipelineBenchmark.delete(lake);
            PipelineBenchmark.delete(checkpoints);
        }
    }

    /**
     * Record {@code i} holds CONNECT events {@code 100 i .. 100 i + 99}, each of user
     * {@code svc_<n>} from its own host; past the last record, an empty control message every
     * 50 ms keeps the source open without load.
     */
    private static final class Connects implements GeneratorFunction<Long, KinesisRecord> {
        private static final long serialVersionUID = 1L;
        private static final ObjectMapper JSON = new ObjectMapper();
        private final long records;

        Connects(long records) {
            this.records = records;
        }

        @Override
        public KinesisRecord map(Long index) throws Exception {
            if (index >= records) {
                Thread.sleep(50);
                return KinesisRecord.of(DemoRecord.gzip(envelope("CONTROL_MESSAGE", List.of(), List.of(), List.of())), System.currentTimeMillis());
            }
            long stepMicros = SPAN.toNanos() / 1000 / (records * EVENTS_PER_RECORD);
            List<String> lines = new ArrayList<>(EVENTS_PER_RECORD);
            List<String> ids = new ArrayList<>(EVENTS_PER_RECORD);
            List<Long> times = new ArrayList<>(EVENTS_PER_RECORD);
            long micros = 0;
            for (int j = 0; j < EVENTS_PER_RECORD; j++) {
                long n = index * EVENTS_PER_RECORD + j;
                micros = START.toEpochMilli() * 1000 + n * Math.max(1, stepMicros);
                String host = "10." + ((n >> 16) & 0xff) + "." + ((n >> 8) & 0xff) + "." + (n & 0xff);
                lines.add(micros + ",exchange-db-instance-1,svc_" + n + "," + host + "," + (40000 + n % 20000) + ",0,CONNECT,exchange,,0");
                // CloudWatch Logs event ids are 56 decimal digits.
                ids.add(String.format("%020d%036d", micros / 1000, n));
                times.add(micros / 1000);
            }
            byte[] data = DemoRecord.gzip(envelope("DATA_MESSAGE", lines, ids, times));
            GENERATED.incrementAndGet();
            return KinesisRecord.of(data, micros / 1000);
        }

        private static byte[] envelope(String type, List<String> lines, List<String> ids, List<Long> times) throws IOException {
            ObjectNode root = JSON.createObjectNode();
            boolean control = "CONTROL_MESSAGE".equals(type);
            root.put("messageType", type);
            root.put("owner", control ? "CloudwatchLogs" : "111122223333");
            root.put("logGroup", control ? "" : "/aws/rds/cluster/exchange-db/audit");
            root.put("logStream", control ? "" : "exchange-db-instance-1.audit.log.0.2024-06-01-00-00.0.0");
            root.putArray("subscriptionFilters");
            ArrayNode events = root.putArray("logEvents");
            for (int i = 0; i < lines.size(); i++) {
                ObjectNode e = events.addObject();
                e.put("id", ids.get(i));
                e.put("timestamp", times.get(i));
                e.put("message", lines.get(i));
            }
            return JSON.writeValueAsBytes(root);
        }
    }
}
