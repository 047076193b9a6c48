package dev.nagare.job;

import dev.nagare.job.alerts.AlertOutput;
import dev.nagare.tools.rules.CollectingAlertSink;
import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.source.KinesisRecord;
import dev.nagare.job.source.RecordSource;
import dev.nagare.job.testing.Lakes;
import dev.nagare.job.testing.MiniClusters;
import dev.nagare.job.testing.Records;
import dev.nagare.udf.decode.KplTestRecords;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.types.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Records an attacker (or a broken shipper) can put into the stream, each followed by a real
 * incident, through the real job with restarts switched off: any record that failed a task would
 * fail the job. Every incident must page, and every hostile record must end as a dead letter or a
 * flagged row.
 */
class HostileInputITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = MiniClusters.extension();

    static final Instant T0 = Instant.parse("2024-03-05T10:00:00Z");
    /** Each hostile record and its incident get two minutes of event time of their own. */
    static final Duration STEP = Duration.ofMinutes(2);

    static final List<String> HOSTILE = List.of(
            "mysql audit line with a 20 KB string literal",
            "postgres audit line with a 3 MB E'' literal",
            "gzip bomb",
            "KPL record of many large gzip members",
            "binary garbage",
            "line timed two days in the future",
            "application line of 5 MB",
            "JSON nested 10,000 deep",
            "audit DROP TABLE behind 10,000 comments, an unterminated quote and comment");

    @TempDir
    static Path work;

    static Lakes lake;
    static List<Row> alerts;

    @BeforeAll
    static void runHostileStream() throws Exception {
        // Each record arrives at Kinesis a second after it was written, as a subscription delivers.
        List<KinesisRecord> records = new ArrayList<>();
        for (int i = 0; i < HOSTILE.size(); i++) {
            long at = T0.plus(STEP.multipliedBy(i)).toEpochMilli();
            records.add(KinesisRecord.of(hostile(i, at), at + 1000));
            records.add(KinesisRecord.of(incident(i, at + 30_000), at + 31_000));
        }
        Path lakePath = work.resolve("lake");
        NagareConfig config = NagareConfig.defaults()
                .with("lake.path", lakePath.toString())
                .with("parse.max-record-bytes", "16 mb")
                .with("job.watermark.out-of-orderness", "5 s");
        Configuration noRestarts = new Configuration();
        noRestarts.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        StreamExecutionEnvironment env = MiniClusters.environment();
        env.configure(noRestarts);
        String runId = UUID.randomUUID().toString();
        NagarePipeline.from(config).source(RecordSource.ofRecords(records)).outputs(AlertOutput.sink("collect", new CollectingAlertSink(runId))).attachTo(env);
        // With restarts off, a record that failed a task fails the job here.
        MiniClusters.awaitFinished(env.executeAsync("hostile-input-it"), Duration.ofMinutes(3));
        alerts = CollectingAlertSink.drain(runId);
        lake = new Lakes(lakePath, "logs", "dead_letter", "alerts");
    }

    @Test
    void everyIncidentAfterAHostileRecordPages() {
        List<String> paged = alerts.stream()
                .filter(a -> "app_error_rate".equals(a.getField("rule_id")))
                .map(a -> a.getField("account") + "/" + a.getField("group_key"))
                .sorted()
                .collect(Collectors.toList());
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < HOSTILE.size(); i++) {
            expected.add("111122223333/incident-" + i);
        }
        assertThat(paged).containsExactlyElementsOf(expected);
    }

    @Test
    void undecodableRecordsAreDeadLettersWithTheirReason() throws Exception {
        List<String> reasons = lake.lines("SELECT reason FROM dead_letter WHERE stage = 'decode' ORDER BY raw_size");
        assertThat(reasons).hasSize(3);
        // The garbage (4 KB), the gzip bomb (~100 KB), the KPL record whose members pass the bound only together.
        assertThat(reasons.get(0)).contains("not UTF-8");
        assertThat(reasons.get(1)).contains("16777216").contains("parse.max-record-bytes");
        assertThat(reasons.get(2)).contains("16777216").contains("parse.max-record-bytes");
    }

    @Test
    void longLiteralsAreParsedAndLongLinesCutAndFlagged() throws Exception {
        // The 20 KB literal is an ordinary row, its verb found past the literal.
        assertThat(lake.lines("SELECT log_type, db_operation, length(db_query) FROM logs WHERE db_user = 'importer'"))
                .containsExactly("mysql_audit|QUERY|17535");
        // A line past parse.max-line-chars (1 MiB chars) is cut there and flagged with its length; the
        // 5 MB JSON line is no longer JSON when cut, so it is kept as text.
        assertThat(lake.lines("SELECT log_type, length(message), attributes['nagare_truncated_from_chars'] FROM logs "
                + "WHERE attributes['nagare_truncated_from_chars'] IS NOT NULL"))
                .containsExactly("text|1048576|5000029");
        // The audit line cut inside its 3 MB literal no longer parses: a dead letter that says why.
        assertThat(lake.lines("SELECT reason FROM dead_letter WHERE stage = 'parse'"))
                .containsExactly("line cut at 1048576 of 4194447 chars (parse.max-line-chars), then: "
                        + "pgaudit row has an unterminated quoted field");
    }

    @Test
    void aFutureTimeInsideALineIsKeptApartAndCannotMoveTheWatermark() throws Exception {
        Instant lineAt = T0.plus(STEP.multipliedBy(5)).plus(Duration.ofDays(2));
        assertThat(lake.lines("SELECT strftime(event_time, '%Y-%m-%d %H:%M:%S'), strftime(rejected_event_time, '%Y-%m-%d %H:%M:%S'), "
                + "attributes['nagare_untrusted_time'] FROM logs WHERE rejected_event_time IS NOT NULL"))
                .containsExactly("2024-03-05 10:10:00|" + lineAt.toString().replace('T', ' ').replace("Z", "") + "|future");
        // Had it moved the watermark two days ahead, the later incidents' windows would have been dropped.
        assertThat(lake.count("SELECT count(*) FROM logs WHERE event_time > TIMESTAMP '2024-03-06 00:00:00'")).isZero();
    }

    @Test
    void rulesEvaluateQueriesMadeToBreakTheirRegularExpressions() {
        // A plain (X)* over 10,000 comments overflows the stack; the rule's possessive form does not.
        assertThat(alerts.stream().filter(a -> "db_destructive_ddl".equals(a.getField("rule_id")))
                .map(a -> (String) a.getField("group_key")).collect(Collectors.toList()))
                .containsExactly("shadow@10.0.0.8");
    }

    @Test
    void jsonNestedTenThousandDeepIsKeptAsText() throws Exception {
        assertThat(lake.lines("SELECT log_type, length(message) FROM logs WHERE log_group = '/ecs/nested'"))
                .containsExactly("text|20000");
    }

    /** The i-th hostile record, sent at {@code at}. */
    static byte[] hostile(int i, long at) throws IOException {
        switch (i) {
            case 0:
                return Records.cwl("/aws/rds/cluster/exchange-db/audit", "hostile-" + i, at,
                        auditLine(at, "importer", "INSERT INTO blobs (doc) VALUES ('" + "{\\\"k\\\":1}".repeat(2500) + "')"));
            case 1:
                return Records.cwl("/aws/rds/instance/pg-1/postgresql", "hostile-" + i, at,
                        "2024-03-05 10:02:00 UTC:10.0.0.7(5432):loader@ledger:[777]:LOG:  AUDIT: SESSION,1,1,WRITE,INSERT,,,"
                                + "\"INSERT INTO docs VALUES (E'" + "x\\\\'".repeat(1024 * 1024) + "')\",<not logged>");
            case 2:
                return Records.gzip(new byte[100 * 1024 * 1024]); // 100 MiB of zeros in ~100 KB
            case 3: {
                // 20 CloudWatch records of 4 MiB each (a few KB compressed): each alone is under the
                // bound, together they are not.
                byte[][] members = new byte[20][];
                for (int m = 0; m < members.length; m++) {
                    members[m] = Records.cwl("/ecs/kpl", "kpl-" + m, at, "a".repeat(4 * 1024 * 1024));
                }
                return KplTestRecords.aggregate(members);
            }
            case 4: {
                byte[] garbage = new byte[4096];
                new Random(4).nextBytes(garbage);
                garbage[0] = (byte) 0xC3; // not gzip, not zlib, not KPL, not UTF-8
                garbage[1] = (byte) 0x28;
                return garbage;
            }
            case 5: {
                Instant future = Instant.ofEpochMilli(at).plus(Duration.ofDays(2));
                return Records.cwl("/ecs/clock-skewed", "hostile-" + i, at,
                        "{\"@timestamp\":\"" + future + "\",\"level\":\"INFO\",\"message\":\"from the future\"}");
            }
            case 6:
                return Records.cwl("/ecs/chatty", "hostile-" + i, at,
                        "{\"level\":\"INFO\",\"message\":\"" + "y".repeat(5_000_000) + "\"}");
            case 7:
                return Records.cwl("/ecs/nested", "hostile-" + i, at, "[".repeat(10_000) + "]".repeat(10_000));
            case 8:
                return Records.cwl("/aws/rds/cluster/exchange-db/audit", "hostile-" + i, at,
                        auditLine(at, "shadow", "/**/ ".repeat(10_000) + "DROP TABLE wallets"),
                        auditLine(at + 1, "shadow", "SELECT 'never closed /* nor this " + "-".repeat(100_000)));
            default:
                throw new IllegalArgumentException("no hostile record " + i);
        }
    }

    /** An error burst in service incident-i: 30 events in one minute, a third of them errors. */
    static byte[] incident(int i, long at) {
        String[] lines = new String[30];
        for (int k = 0; k < lines.length; k++) {
            String level = k % 3 == 0 ? "ERROR" : "INFO";
            lines[k] = "{\"@timestamp\":\"" + Instant.ofEpochMilli(at + k * 500L) + "\",\"level\":\"" + level
                    + "\",\"message\":\"request " + k + "\"}";
        }
        return Records.cwl("/ecs/incident-" + i, "incident-" + i, at, lines);
    }

    static String auditLine(long at, String user, String query) {
        return (at * 1000) + ",exchange-db-1," + user + ",10.0.0.8,42,7,QUERY,exchange,'" + query.replace("'", "\\'") + "',0";
    }
}
