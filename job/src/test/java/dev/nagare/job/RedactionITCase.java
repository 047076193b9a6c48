package dev.nagare.job;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.testing.HttpStub;
import dev.nagare.job.testing.Lakes;
import dev.nagare.job.testing.MiniClusters;
import dev.nagare.job.testing.Records;
import dev.nagare.udf.decode.KplTestRecords;
import dev.nagare.udf.redact.RedactionCorpus;

import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The redaction corpus ({@code udf/src/test/resources/redaction/corpus.jsonl}) through the real
 * job, with a real HTTP server on 127.0.0.1 as webhook and Lambda API: no secret of the corpus is
 * in any lake table (dead letters' raw bytes included), any alert, any webhook or Lambda body; and
 * each line's non-secret parts are still in its logs row, so masking everything would fail.
 */
class RedactionITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = MiniClusters.extension();

    static final ObjectMapper JSON = new ObjectMapper();
    static final long TIME = 1_717_236_902_000L;
    static final List<RedactionCorpus.Entry> CORPUS = RedactionCorpus.entries();
    static final List<String> SECRETS = RedactionCorpus.allSecrets();

    @TempDir
    static Path work;

    static HttpStub server;
    static Lakes lake;
    static Path lakePath;

    @BeforeAll
    static void runPipeline() throws Exception {
        server = new HttpStub();
        server.respondWith(request -> HttpStub.Response.of(request.path.startsWith("/2015-03-31/functions/") ? 202 : 200));
        System.setProperty("aws.accessKeyId", "AKIDTEST");
        System.setProperty("aws.secretAccessKey", "test-secret");

        List<byte[]> records = new ArrayList<>();
        for (int i = 0; i < CORPUS.size(); i++) {
            RedactionCorpus.Entry entry = CORPUS.get(i);
            records.add(Records.cwl(entry.logGroup, "c" + i, TIME + i, entry.line));
        }
        List<String> lines = CORPUS.stream().map(e -> e.line).collect(Collectors.toList());
        String[] all = lines.toArray(new String[0]);
        // Decode-stage dead letters: a cut gzip stream, an envelope of an unknown type, a KPL
        // aggregate with a bad checksum around plain-text members; their bytes hold every secret.
        byte[] whole = Records.cwl("/ecs/shop-api", "cut", TIME, all);
        records.add(Arrays.copyOf(whole, whole.length * 2 / 3));
        records.add(Records.gzip(unknownEnvelope(lines)));
        byte[][] members = lines.stream().map(l -> (l + "\n").getBytes(StandardCharsets.UTF_8)).toArray(byte[][]::new);
        byte[] kpl = KplTestRecords.aggregate(members);
        kpl[kpl.length - 1] ^= 0x5a; // the MD5 at the end no longer matches
        records.add(kpl);
        // Parse-stage dead letters: every line sent to a CloudTrail group, where only JSON parses.
        records.add(Records.cwl("aws-cloudtrail-logs-111122223333-wrong", "dl", TIME, lines.stream()
                .filter(l -> !l.startsWith("{")).toArray(String[]::new)));

        lakePath = work.resolve("lake");
        NagareConfig config = NagareConfig.defaults()
                .with("lake.path", lakePath.toString())
                .with("alerts.webhook.url", server.baseUrl() + "/services/T0001/B0001/hook")
                .with("alerts.lambda.function", "nagare-alerts")
                .with("alerts.lambda.region", "eu-west-1")
                .with("alerts.lambda.endpoint", server.baseUrl());
        StreamExecutionEnvironment env = MiniClusters.environment();
        NagarePipeline.from(config).source(Records.source(records))
                .environment(name -> null).attachTo(env); // alerts.* as configured: printed and delivered
        MiniClusters.awaitFinished(env.executeAsync("redaction-it"), Duration.ofMinutes(3));
        lake = new Lakes(lakePath, tables().toArray(new String[0]));
    }

    @AfterAll
    static void stop() throws Exception {
        if (lake != null) {
            lake.close();
        }
        server.close();
        System.clearProperty("aws.accessKeyId");
        System.clearProperty("aws.secretAccessKey");
    }

    static List<String> tables() {
        return List.of("logs", "dead_letter", "alerts", "alerts_undelivered", "metrics_1m").stream()
                .filter(t -> Files.isDirectory(lakePath.resolve(t)))
                .collect(Collectors.toList());
    }

    @Test
    void everyLineIsStoredMaskedWithItsNonSecretPartsKept() throws Exception {
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < CORPUS.size(); i++) {
            // A CloudTrail row is identified by its own eventID, every other by its CloudWatch Logs event id.
            String id = CORPUS.get(i).format.equals("cloudtrail") ? JSON.readTree(CORPUS.get(i).line).get("eventID").asText() : "c" + i + "-0";
            List<List<Object>> rows = lake.rows("SELECT * FROM logs WHERE event_id = '" + id + "'");
            assertThat(rows).as(CORPUS.get(i).toString()).hasSize(1);
            String stored = rows.get(0).stream().map(String::valueOf).collect(Collectors.joining("\n"));
            problems.addAll(RedactionCorpus.problems(CORPUS.get(i), stored));
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void noSecretIsInAnyTableDeadLettersIncluded() throws Exception {
        assertThat(tables()).contains("logs", "dead_letter", "alerts");
        long cells = 0;
        for (String table : tables()) {
            for (List<Object> row : lake.rows("SELECT * FROM " + table)) {
                for (Object value : row) {
                    cells++;
                    assertNoSecret(table, String.valueOf(value));
                }
            }
        }
        assertThat(cells).isGreaterThan(CORPUS.size() * 20L);
        List<List<Object>> deadLetters = lake.rows("SELECT stage, raw_base64 FROM dead_letter");
        assertThat(deadLetters.stream().map(r -> r.get(0)).distinct()).containsExactlyInAnyOrder("decode", "parse");
        assertThat(deadLetters.stream().filter(r -> r.get(0).equals("decode"))).hasSize(3);
        for (List<Object> row : deadLetters) {
            String raw = new String(Base64.getDecoder().decode((String) row.get(1)), StandardCharsets.UTF_8);
            assertNoSecret("dead_letter.raw", raw);
            assertThat(raw).as("a dead letter keeps masked text, not nothing").contains("*****");
        }
    }

    @Test
    void alertsAndTheirWebhookAndLambdaBodiesCarryMaskedText() throws Exception {
        // db_privilege_change fires on the corpus' CREATE/ALTER USER, SET PASSWORD and GRANT lines.
        List<String> summaries = lake.lines("SELECT summary FROM alerts WHERE rule_id = 'db_privilege_change'");
        // Which statement an incident's page quotes is its first match to arrive, and the order
        // between events of one host from two dedup subtasks is not fixed: any masked one will do
        // (every table, secrets included, is checked in noSecretIsInAnyTableDeadLettersIncluded).
        assertThat(summaries).isNotEmpty().anySatisfy(s -> assertThat(s).containsPattern("(BY|PASSWORD|=) \\*{5}"));
        List<HttpStub.Request> requests = server.requests();
        List<HttpStub.Request> webhook = requests.stream().filter(r -> r.path.startsWith("/services/")).collect(Collectors.toList());
        List<HttpStub.Request> lambda = requests.stream().filter(r -> r.path.startsWith("/2015-03-31/functions/")).collect(Collectors.toList());
        assertThat(webhook).anySatisfy(r -> assertThat(r.body).contains("*****"));
        assertThat(lambda).anySatisfy(r -> assertThat(r.body).contains("*****"));
        for (HttpStub.Request r : requests) {
            assertNoSecret("request to " + r.path, r.body);
        }
    }

    /** A CloudWatch Logs envelope of a message type the decoder does not know. */
    private static byte[] unknownEnvelope(List<String> lines) throws Exception {
        ObjectNode root = JSON.createObjectNode();
        root.put("messageType", "SURPRISE_MESSAGE");
        root.put("owner", "111122223333");
        root.put("logGroup", "/ecs/shop-api");
        root.put("logStream", "stream-1");
        ArrayNode events = root.putArray("logEvents");
        for (int i = 0; i < lines.size(); i++) {
            events.addObject().put("id", "odd-" + i).put("timestamp", TIME).put("message", lines.get(i));
        }
        return JSON.writeValueAsBytes(root);
    }

    private static void assertNoSecret(String where, String text) {
        for (String secret : SECRETS) {
            assertThat(text).as(where).doesNotContain(secret);
        }
    }
}
