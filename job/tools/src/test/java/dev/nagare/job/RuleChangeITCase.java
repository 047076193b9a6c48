package dev.nagare.job;

import dev.nagare.job.config.NagareConfig;
import dev.nagare.tools.local.KinesisLocal;
import dev.nagare.job.rules.Rule;
import dev.nagare.job.rules.RuleLoader;
import dev.nagare.job.source.KinesisSource;
import dev.nagare.job.testing.Await;
import dev.nagare.job.testing.Lakes;
import dev.nagare.job.testing.MiniClusters;
import dev.nagare.job.testing.Records;
import dev.nagare.tools.testing.StandInTools;

import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.OperatorIDPair;
import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.apache.flink.runtime.jobgraph.JobVertex;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.jobgraph.SavepointRestoreSettings;
import org.apache.flink.shaded.guava31.com.google.common.hash.Hashing;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.apache.flink.test.junit5.MiniClusterExtension;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A rule change across a savepoint. The job reads a Kinesis stream with rules {@code app_error_rate},
 * {@code aws_access_denied_burst} and {@code db_failed_login_burst}; six failed logins, half a
 * minute of application logs and four denied calls arrive; the job stops with a savepoint. It is
 * restarted from it with {@code app_error_rate} disabled, {@code aws_access_denied_burst} edited
 * (threshold 10 to 5) and {@code db_privilege_change} added, and the rest of the events arrive.
 *
 * <p>The unchanged rule fires on the tenth failed login, counting the six from before the
 * savepoint; the rollup's minute holds the events of both sides; the edited rule starts fresh (its
 * three new denials stay under 5); the only state the restore leaves unclaimed belongs to the
 * removed and the edited rule (and to the SQL lake sinks, until the lake is a DataStream sink with
 * fixed uids); the lake holds every event once.
 */
class RuleChangeITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = MiniClusters.extension();

    static final String ACCOUNT = "111122223333";
    static final Instant T0 = Instant.parse("2024-03-05T10:00:00Z");
    static final String BOB = "arn:aws:iam::111122223333:user/dev-bob";

    @TempDir
    Path work;

    @Test
    void unchangedRulesAndTheRollupKeepTheirStateAcrossARuleChange() throws Exception {
        Map<String, Rule> bundled = new HashMap<>();
        RuleLoader.bundled().forEach(r -> bundled.put(r.id(), r));
        Rule edited = Rule.parse(bundledText("aws_access_denied_burst").replace("-- param.threshold: 10", "-- param.threshold: 5"),
                "bundled:sql/rules/aws_access_denied_burst.sql");
        List<Rule> before = sorted(List.of(bundled.get("app_error_rate"), bundled.get("aws_access_denied_burst"),
                bundled.get("db_failed_login_burst")));
        List<Rule> after = sorted(List.of(edited, bundled.get("db_failed_login_burst"), bundled.get("db_privilege_change")));

        long t = T0.toEpochMilli();
        List<byte[]> first = List.of(
                failedLogins("logins-1", t, 6),
                TwoAccountsITCase.app(ACCOUNT, "ledger-api", t + 1_000, 30, 3),
                accessDenied(t + 2_000, 4));
        long firstEvents = 6 + 30 + 4;
        List<byte[]> second = List.of(
                failedLogins("logins-2", t + 40_000, 4),
                TwoAccountsITCase.app(ACCOUNT, "ledger-api", t + 45_000, 30, 3),
                accessDenied(t + 46_000, 3),
                Records.cwlFrom(ACCOUNT, "/aws/rds/cluster/exchange-db/audit", "grant", t + 50_000,
                        ((t + 50_000) * 1000) + ",exchange-db-1,dba,10.0.0.1,77,2,QUERY,mysql,'GRANT ALL ON *.* TO x',0"));
        long secondEvents = 4 + 30 + 3 + 1;
        // Closes the first minute's windows and lets the OVER aggregates emit (the watermark passes 10:01).
        byte[] closer = TwoAccountsITCase.app(ACCOUNT, "quotes-api", t + 6 * 60_000, 1, 0);

        try (KinesisLocal kinesis = KinesisLocal.start(StandInTools.DIR)) {
            String arn = kinesis.createStream("rule-change", 2);
            Path lakePath = work.resolve("lake");
            NagareConfig config = StandInTools.kinesisSource(kinesis, NagareConfig.defaults(), arn)
                    .with("lake.path", lakePath.toString());

            // --- before: rules A, B, C --------------------------------------------------------
            StreamExecutionEnvironment env1 = MiniClusters.environment();
            NagarePipeline.from(config).source(KinesisSource.create(config, stream -> null)).rules(before).outputs().attachTo(env1);
            StreamGraph graph1 = env1.getStreamGraph();
            Map<OperatorID, String> uids1 = uidsByOperatorId(graph1);
            JobClient job1 = env1.executeAsync(graph1);
            String savepoint;
            try {
                kinesis.put("rule-change", first);
                // Every event before the savepoint is through the job (and committed to the lake).
                Lakes.awaitRows(lakePath, "logs", firstEvents, Duration.ofMinutes(2));
                savepoint = job1.stopWithSavepoint(false, work.resolve("savepoints").toUri().toString(),
                        SavepointFormatType.CANONICAL).get(2, TimeUnit.MINUTES);
            } catch (Exception | AssertionError e) {
                job1.cancel().get(30, TimeUnit.SECONDS);
                throw e;
            }

            // --- after: B disabled, C edited, D added -------------------------------------------
            StreamExecutionEnvironment env2 = MiniClusters.environment();
            NagarePipeline.from(config).source(KinesisSource.create(config, stream -> null)).rules(after).outputs().attachTo(env2);
            StreamGraph graph2 = env2.getStreamGraph();
            graph2.setSavepointRestoreSettings(SavepointRestoreSettings.forPath(savepoint, true));

            Map<String, Set<String>> unclaimed = unclaimedState(savepoint, graph2, uids1);
            assertThat(unclaimed.get("rule")).as("rule state the restore leaves behind")
                    .isNotEmpty()
                    .allSatisfy(uid -> assertThat(uid).matches("rule-(app_error_rate|aws_access_denied_burst)-[0-9a-f]{8}-\\d+"));
            assertThat(unclaimed.get("rule")).anyMatch(uid -> uid.startsWith("rule-app_error_rate-"))
                    .anyMatch(uid -> uid.startsWith("rule-aws_access_denied_burst-"));
            assertThat(unclaimed.get("fixed")).as("state of operators with fixed uids is always claimed").isEmpty();
            // The lake's writers and committer have fixed uids: nothing planner-numbered holds state.
            assertThat(unclaimed.get("planner")).as("planner-numbered state the restore leaves behind").isEmpty();

            JobClient job2 = env2.executeAsync(graph2);
            try {
                kinesis.put("rule-change", second);
                // After the rest, so the watermark closes the minute only once all of it is in.
                Lakes.awaitRows(lakePath, "logs", firstEvents + secondEvents, Duration.ofMinutes(2));
                kinesis.put("rule-change", List.of(closer));
                long total = firstEvents + secondEvents + 1;
                Lakes.awaitRows(lakePath, "logs", total, Duration.ofMinutes(2));
                Lakes.awaitRows(lakePath, "alerts", 2, Duration.ofMinutes(2));
                String minute = "window_start = TIMESTAMP '2024-03-05 10:00:00'";
                Await.until(() -> metricsTotal(lakePath, minute), sum -> sum >= firstEvents + secondEvents, Duration.ofMinutes(2));
                // Three more commits after everything arrived: nothing may arrive twice.
                long commits = commitMarkers(lakePath);
                assertThat(Await.until(() -> commitMarkers(lakePath), n -> n >= commits + 3, Duration.ofMinutes(1)))
                        .isGreaterThanOrEqualTo(commits + 3);

                try (Lakes lake = new Lakes(lakePath, "logs", "alerts", "metrics_1m")) {
                    // The unchanged rule counts the six failed logins from before the savepoint and
                    // the four after; the added rule fires; the removed one is gone; the edited one
                    // started fresh (3 denials after the restore < its new threshold 5; 4 + 3 would be 7).
                    assertThat(lake.lines("SELECT rule_id, group_key, min(event_count) FROM alerts "
                            + "GROUP BY alert_id, rule_id, group_key ORDER BY 1"))
                            .containsExactly("db_failed_login_burst|10.0.0.5|10", "db_privilege_change|dba@10.0.0.1|1");

                    // The rollup's minute holds both sides of the savepoint, once (one row per group).
                    assertThat(lake.lines("SELECT level, event_count FROM metrics_1m WHERE " + minute
                            + " AND log_type = 'app' ORDER BY 1"))
                            .containsExactly("ERROR|20", "INFO|40");
                    assertThat(lake.count("SELECT sum(event_count) FROM metrics_1m WHERE " + minute))
                            .isEqualTo(firstEvents + secondEvents);
                    assertThat(lake.count("SELECT count(*) - count(DISTINCT (account, log_type, service, level)) FROM metrics_1m WHERE "
                            + minute)).isZero();

                    // The lake committer's state (files of the savepoint not yet committed) is restored.
                    assertThat(lake.count("SELECT count(*) FROM logs")).isEqualTo(total);
                    assertThat(lake.count("SELECT count(DISTINCT event_id) FROM logs")).isEqualTo(total);
                }
            } finally {
                job2.cancel().get(30, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * The operator states of the savepoint that hold state and that no operator of the new job
     * claims, by kind: {@code rule} (rule and rollup uids), {@code fixed} (the job's DataStream
     * operators), {@code planner} (uids the planner numbered: the SQL lake sinks). What restoring
     * with {@code --allowNonRestoredState} drops.
     */
    static Map<String, Set<String>> unclaimedState(String savepoint, StreamGraph next, Map<OperatorID, String> uidsBefore)
            throws IOException {
        Path metadata = Path.of(URI.create(savepoint)).resolve("_metadata");
        CheckpointMetadata checkpoint;
        try (DataInputStream in = new DataInputStream(Files.newInputStream(metadata))) {
            checkpoint = Checkpoints.loadCheckpointMetadata(in, RuleChangeITCase.class.getClassLoader(), savepoint);
        }
        Set<OperatorID> claimed = new HashSet<>();
        for (JobVertex vertex : next.getJobGraph().getVertices()) {
            for (OperatorIDPair pair : vertex.getOperatorIDs()) {
                claimed.add(pair.getGeneratedOperatorID());
                pair.getUserDefinedOperatorID().ifPresent(claimed::add);
            }
        }
        Map<String, Set<String>> unclaimed = new HashMap<>();
        for (String kind : List.of("rule", "fixed", "planner")) {
            unclaimed.put(kind, new TreeSet<>());
        }
        for (OperatorState state : checkpoint.getOperatorStates()) {
            // Flink's own test (Checkpoints.loadAndValidateCheckpoint): state that no operator
            // claims fails the restore unless allowed, if it has a coordinator state or any subtask
            // state with content; empty state is skipped silently.
            if (claimed.contains(state.getOperatorID())
                    || (state.getCoordinatorState() == null && state.getStates().stream().noneMatch(OperatorSubtaskState::hasState))) {
                continue;
            }
            String uid = uidsBefore.getOrDefault(state.getOperatorID(), "<no uid> " + state.getOperatorID());
            String kind = uid.startsWith("rule-") || uid.startsWith("rollup-") ? "rule" : uid.matches("\\d+_.*") ? "planner" : "fixed";
            unclaimed.get(kind).add(uid);
        }
        return unclaimed;
    }

    /** Operator id of every node with a uid: Flink's hash of the uid (StreamGraphHasherV2). */
    static Map<OperatorID, String> uidsByOperatorId(StreamGraph graph) {
        Map<OperatorID, String> byId = new HashMap<>();
        for (StreamNode node : graph.getStreamNodes()) {
            String uid = node.getTransformationUID();
            if (uid != null) {
                byId.put(new OperatorID(Hashing.murmur3_128(0).newHasher().putString(uid, StandardCharsets.UTF_8).hash().asBytes()), uid);
            }
        }
        // The ids computed here are the ones the job graph uses.
        Set<OperatorID> inGraph = new HashSet<>();
        graph.getJobGraph().getVertices().forEach(v -> v.getOperatorIDs().forEach(p -> inGraph.add(p.getGeneratedOperatorID())));
        assertThat(inGraph).containsAll(byId.keySet());
        return byId;
    }

    static long metricsTotal(Path lakePath, String where) throws Exception {
        if (dev.nagare.job.lake.Lake.committedFiles(lakePath.resolve("metrics_1m")) == 0) {
            return 0;
        }
        try (Lakes lake = new Lakes(lakePath, "metrics_1m")) {
            List<List<Object>> rows = lake.rows("SELECT coalesce(sum(event_count), 0) FROM metrics_1m WHERE " + where);
            return ((Number) rows.get(0).get(0)).longValue();
        }
    }

    static byte[] failedLogins(String prefix, long at, int count) {
        String[] lines = new String[count];
        for (int i = 0; i < count; i++) {
            lines[i] = ((at + i * 1000L) * 1000) + ",exchange-db-1,admin,10.0.0.5," + (4000 + i) + ",0,FAILED_CONNECT,,,1045";
        }
        return Records.cwlFrom(ACCOUNT, "/aws/rds/cluster/exchange-db/audit", prefix, at, lines);
    }

    /** {@code count} denied CloudTrail calls by dev-bob, one a second from {@code at}. */
    static byte[] accessDenied(long at, int count) {
        String[] lines = new String[count];
        for (int i = 0; i < count; i++) {
            lines[i] = "{\"eventVersion\":\"1.10\",\"userIdentity\":{\"type\":\"IAMUser\",\"accountId\":\"" + ACCOUNT + "\","
                    + "\"principalId\":\"AIDAEXAMPLE\",\"arn\":\"" + BOB + "\"},"
                    + "\"eventTime\":\"" + Instant.ofEpochMilli(at + i * 1000L) + "\",\"eventSource\":\"secretsmanager.amazonaws.com\","
                    + "\"eventName\":\"ListSecrets\",\"awsRegion\":\"eu-west-1\",\"sourceIPAddress\":\"203.0.113.50\","
                    + "\"userAgent\":\"aws-cli/2.15.30\",\"requestParameters\":null,\"responseElements\":null,"
                    + "\"eventID\":\"" + UUID.randomUUID() + "\",\"eventType\":\"AwsApiCall\",\"recipientAccountId\":\"" + ACCOUNT + "\","
                    + "\"errorCode\":\"AccessDenied\",\"errorMessage\":\"not authorized\"}";
        }
        return Records.cwlFrom(ACCOUNT, "aws-cloudtrail-logs-" + ACCOUNT + "-org", "denied-" + at, at, lines);
    }

    static List<Rule> sorted(List<Rule> rules) {
        List<Rule> copy = new ArrayList<>(rules);
        copy.sort(Comparator.comparing(Rule::id));
        return copy;
    }

    static String bundledText(String id) {
        try (InputStream in = RuleChangeITCase.class.getResourceAsStream(RuleLoader.BUNDLED_RULES + "/" + id + ".sql")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Commit markers the lake has written so far (one per checkpoint that committed files). */
    private static long commitMarkers(Path lake) throws IOException {
        Path commits = lake.resolve("_nagare/commits");
        if (!Files.exists(commits)) {
            return 0;
        }
        try (java.util.stream.Stream<Path> files = Files.walk(commits)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".json") && !f.getFileName().toString().startsWith(".")).count();
        }
    }
}
