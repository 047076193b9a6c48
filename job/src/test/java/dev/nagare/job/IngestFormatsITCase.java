package dev.nagare.job;

import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.testing.Lakes;
import dev.nagare.job.testing.MiniClusters;
import dev.nagare.job.testing.Records;
import dev.nagare.udf.KinesisRecords;

import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.zip.Deflater;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Everything a real stream carries, through the real job: every example record (each delivered
 * twice, as an account-level policy would), FireLens lines with a 16 KiB split line whose pieces
 * arrive out of order, a KPL aggregate, a zlib record, garbage, and lines full of secrets. The
 * lake is read back with DuckDB.
 */
class IngestFormatsITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = MiniClusters.extension();

    static final List<String> SECRETS = List.of(
            "Sup3r-S3cret-Pw", "hunter2-Secret", "pg-S3cret-Pass", "repl-S3cret",
            "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXRva2Vu.c2ln", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "4111 1111 1111 1111", "4111111111111111", "s3cretpass@db");

    @TempDir
    static Path work;

    static Lakes lake;

    @BeforeAll
    static void runPipeline() throws Exception {
        List<byte[]> records = new ArrayList<>();
        for (String name : KinesisRecords.NAMES) {
            records.add(Records.example(name));
        }
        List<String> fireLens = Records.exampleLines("firelens.jsonl");
        // The split line's pieces arrive last, middle, first: reassembly must not care.
        for (int i : new int[] {0, 1, 2, 3, 6, 5, 4, 7, 8}) {
            records.add((fireLens.get(i) + "\n").getBytes(StandardCharsets.UTF_8));
        }
        // The first piece of a line whose other pieces never come.
        records.add((fireLens.get(4).replace("5be0c7a1", "0rphan00") + "\n").getBytes(StandardCharsets.UTF_8));
        records.add(dev.nagare.udf.decode.KplTestRecords.aggregate(
                Records.example("cwl-subscription-data-lambda"),
                fireLens.get(0).replace("GET /parcels", "GET /kpl").getBytes(StandardCharsets.UTF_8)));
        records.add(zlib(fireLens.get(7).replace("readiness probe ok", "zlib ok") + "\n"));
        records.add(secrets());
        records.add(appSecrets());
        records.add("not a log record, just noise\u0000\u0001".getBytes(StandardCharsets.UTF_8));
        records.add(Records.cwl("/ecs/bulk-export", "big", 1717236904000L, "x".repeat(1_000_000))); // a 1 MB event
        records.add(new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0}); // gzip header and nothing else
        // At-least-once delivery: every example record comes a second time.
        for (String name : KinesisRecords.NAMES) {
            records.add(Records.example(name));
        }

        Path lakePath = work.resolve("lake");
        NagareConfig config = NagareConfig.defaults().with("lake.path", lakePath.toString());
        StreamExecutionEnvironment env = MiniClusters.environment();
        NagarePipeline.from(config).source(Records.source(records)).outputs().attachTo(env);
        MiniClusters.awaitFinished(env.executeAsync("ingest-formats-it"), Duration.ofMinutes(3));
        lake = new Lakes(lakePath, "logs", "alerts", "dead_letter", "metrics_1m");
    }

    /** Application logs, audit statements and connection strings with secrets in them. */
    static byte[] secrets() {
        return Records.cwl("/aws/rds/cluster/vault-db/audit", "secret", 1717236902000L,
                "1717236902118204,vault-db-1,dba,10.0.0.9,5,6,QUERY,mysql,'ALTER USER \\'app\\'@\\'%\\' IDENTIFIED BY \\'Sup3r-S3cret-Pw\\'',0",
                "1717236902118205,vault-db-1,app,10.0.0.9,5,7,QUERY,app,'SELECT id FROM users WHERE pw = PASSWORD(\\'hunter2-Secret\\')',0",
                "1717236902118206,vault-db-1,dba,10.0.0.9,5,8,QUERY,mysql,'CHANGE MASTER TO MASTER_PASSWORD=\\'repl-S3cret\\'',0",
                "20240601 10:15:04,ip-1,dba,10.0.0.9,5,9,QUERY,mysql,'ALTER ROLE app WITH PASSWORD \\'pg-S3cret-Pass\\'',0,,",
                "1717236902118207,vault-db-1,app,10.0.0.9,5,10,QUERY,app,'SELECT \\'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXRva2Vu.c2ln\\'',0",
                "1717236902118208,vault-db-1,app,10.0.0.9,broken,'IDENTIFIED BY \\'Sup3r-S3cret-Pw\\''");
    }

    static byte[] appSecrets() {
        return Records.cwl("/ecs/payments-api", "app-secret", 1717236903000L,
                "{\"level\":\"WARN\",\"message\":\"card 4111 1111 1111 1111 declined, token Bearer eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXRva2Vu.c2ln\","
                        + "\"card\":\"4111111111111111\",\"cfg\":\"aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\","
                        + "\"db\":\"mysql://app:s3cretpass@db:3306/x\"}");
    }

    static byte[] zlib(String text) {
        Deflater deflater = new Deflater();
        deflater.setInput(text.getBytes(StandardCharsets.UTF_8));
        deflater.finish();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[4096];
        while (!deflater.finished()) {
            out.write(buffer, 0, deflater.deflate(buffer));
        }
        return out.toByteArray();
    }

    @Test
    void everyEventLandsOnceWhateverItsWrapping() throws Exception {
        // Re-deliveries of the examples and the KPL copy of the Lambda record are dropped as duplicates.
        assertThat(lake.lines("SELECT log_type, count(*) FROM logs GROUP BY 1 ORDER BY 1")).containsExactly(
                "app|4",            // ECS JSON line, FireLens JSON line, the reassembled line, the card/token line
                "cloudtrail|6",     // the CloudTrail example
                "lambda|7",         // the Lambda example (its copy inside the KPL aggregate is a duplicate)
                "mysql_audit|11",   // 6 Aurora example lines + 5 good statements with passwords
                "postgres_audit|2", // the account-level policy example
                "text|13");         // ECS 4, FireLens 5, the KPL and zlib FireLens lines, the 1 MB line,
                                    // the orphaned first piece of a split line (the noise has NUL bytes: binary)
        // The examples reuse CloudWatch ids across log groups: an id is unique within its stream.
        assertThat(lake.count("SELECT count(*) FROM logs WHERE event_id IS NOT NULL"))
                .isEqualTo(lake.count("SELECT count(DISTINCT (account, log_group, log_stream, event_id)) FROM logs WHERE event_id IS NOT NULL"))
                .isEqualTo(33); // every CWL event: 26 examples + 6 with secrets + the 1 MB one
        assertThat(lake.count("SELECT length(message) FROM logs WHERE log_group = '/ecs/bulk-export'")).isEqualTo(1_000_000);
    }

    @Test
    void theSplitLineIsOneEvent() throws Exception {
        assertThat(lake.lines("SELECT level, length(message) > 42000, starts_with(message, 'Manifest upload skipped parcels: P-000000,'),"
                + " attributes['nagare_partial_incomplete'] FROM logs WHERE message LIKE 'Manifest upload%'"))
                .containsExactly("ERROR|true|true|null");
    }

    @Test
    void aPieceWhoseRestNeverComesIsKeptMarkedIncomplete() throws Exception {
        assertThat(lake.lines("SELECT log_type, length(message), attributes['nagare_partial_incomplete'] FROM logs "
                + "WHERE attributes['nagare_partial_incomplete'] IS NOT NULL"))
                .containsExactly("text|16384|true");
    }

    @Test
    void theRulesFireOnTheExamplesAndPrivilegeChangesAlertWithoutTheirPasswords() throws Exception {
        assertThat(lake.lines("SELECT rule_id, group_key, summary FROM alerts WHERE rule_id LIKE 'aws_%' ORDER BY rule_id"))
                .containsExactly(
                        // The CloudTrail example itself holds a root console sign-in without MFA.
                        "aws_console_login_without_mfa|arn:aws:iam::111122223333:root|"
                                + "console sign-in without MFA by arn:aws:iam::111122223333:root from 192.0.2.61",
                        "aws_root_activity|111122223333|root user of account 111122223333 called ConsoleLogin from 192.0.2.61");
        // Both password changes by dba are one incident: its first alert (whichever statement reached
        // the deduplication first) and its merged row, under one id, with the passwords masked.
        assertThat(lake.lines("SELECT count(DISTINCT alert_id), min(event_count), max(event_count) FROM alerts "
                + "WHERE rule_id = 'db_privilege_change' AND group_key = 'dba@10.0.0.9'")).containsExactly("1|1|2");
        assertThat(lake.lines("SELECT summary FROM alerts WHERE rule_id = 'db_privilege_change'"))
                .hasSize(2)
                .allSatisfy(summary -> assertThat(summary).matches(
                        "privilege change by dba from 10\\.0\\.0\\.9: (ALTER USER 'app'@'%' IDENTIFIED BY|ALTER ROLE app WITH PASSWORD) \\*{5}.*"));
    }

    @Test
    void kplAndZlibRecordsAreDecoded() throws Exception {
        assertThat(lake.count("SELECT count(*) FROM logs WHERE message LIKE '%GET /kpl%'")).isEqualTo(1);
        assertThat(lake.count("SELECT count(*) FROM logs WHERE message = 'zlib ok'")).isEqualTo(1);
    }

    @Test
    void garbageAndBrokenLinesAreDeadLetters() throws Exception {
        assertThat(lake.lines("SELECT stage, reason FROM dead_letter ORDER BY 1, 2")).containsExactly(
                "decode|record is not UTF-8 text (NUL byte at offset 28)",
                "decode|truncated gzip stream",
                "parse|MySQL audit line has 6 fields, expected 10 to 12");
        // Bytes that are not text are never stored as a text event (their bytes would be mangled).
        assertThat(lake.count("SELECT count(*) FROM logs WHERE message LIKE 'not a log record%'")).isZero();
    }

    @Test
    void noSecretFromTheInputsIsStoredAnywhere() throws Exception {
        long cells = 0;
        for (String table : List.of("logs", "alerts", "dead_letter", "metrics_1m")) {
            for (List<Object> row : lake.rows("SELECT * FROM " + table)) {
                for (Object value : row) {
                    cells++;
                    assertNoSecret(table, String.valueOf(value));
                }
            }
        }
        // Dead letters keep raw bytes: look inside them too (base64, possibly gzip).
        for (List<Object> row : lake.rows("SELECT raw_base64 FROM dead_letter")) {
            byte[] raw = Base64.getDecoder().decode((String) row.get(0));
            assertNoSecret("dead_letter.raw", new String(raw, StandardCharsets.UTF_8));
            assertNoSecret("dead_letter.raw (gunzipped)", new String(gunzipWhatYouCan(raw), StandardCharsets.UTF_8));
        }
        assertThat(cells).isGreaterThan(1000);
        assertThat(lake.count("SELECT count(*) FROM logs WHERE db_query LIKE '%IDENTIFIED BY *****%'")).isEqualTo(1);
        assertThat(lake.count("SELECT count(*) FROM logs WHERE message LIKE 'card *****1111 declined, token Bearer *****%'")).isEqualTo(1);
    }

    private static void assertNoSecret(String where, String text) {
        for (String secret : SECRETS) {
            assertThat(text).as("a secret in %s", where).doesNotContain(secret);
        }
    }

    private static byte[] gunzipWhatYouCan(byte[] raw) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(raw))) {
            byte[] buffer = new byte[4096];
            int n;
            while ((n = in.read(buffer)) > 0) {
                out.write(buffer, 0, n);
            }
        } catch (Exception e) {
            // truncated or not gzip: keep what was inflated
        }
        return out.toByteArray();
    }
}
