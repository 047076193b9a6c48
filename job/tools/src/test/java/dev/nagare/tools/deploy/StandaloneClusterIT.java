package dev.nagare.tools.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nagare.tools.local.KinesisLocal;
import dev.nagare.tools.local.Ports;
import dev.nagare.job.testing.Await;
import dev.nagare.job.testing.HttpStub;
import dev.nagare.job.testing.Lakes;
import dev.nagare.job.testing.Records;
import dev.nagare.tools.testing.StandInTools;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shaded job jar on a real Flink 1.20.1 standalone session cluster: a JobManager and a
 * TaskManager started as separate JVMs from Flink's own entry points, on the classpath a Flink
 * distribution's {@code lib/} holds (resolved by Maven from {@code src/standins/flink-cluster/pom.xml}),
 * every address on 127.0.0.1. The jar goes in through the REST API as with any cluster
 * ({@code POST /jars/upload}, {@code POST /jars/:id/run}), reads the kinesis-local stand-in, writes
 * the lake to local disk and posts its alert to a webhook on 127.0.0.1. Then the same cluster is
 * asked to run the jar without configuration: the run is refused with the one-line error, and no
 * demo job starts. Runs in the integration-test phase (failsafe), after the shade.
 */
class StandaloneClusterIT {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static final Instant T0 = Instant.parse("2024-06-01T10:00:00Z");
    static final int IN_ORDER = 30;
    static final int INCIDENT_LINES = 30;
    /** Opens Flink needs on JDK 17 (the list its own scripts pass). */
    static final List<String> OPENS = Stream.of("java.util", "java.lang", "java.net", "java.io", "java.nio", "sun.nio.ch",
            "java.lang.reflect", "java.text", "java.time", "java.util.concurrent", "java.util.concurrent.atomic")
            .map(p -> "--add-opens=java.base/" + p + "=ALL-UNNAMED").collect(Collectors.toList());

    static Path work;
    static Process jobManager;
    static Process taskManager;
    static String rest;

    @BeforeAll
    static void startCluster() throws Exception {
        work = Files.createTempDirectory("nagare-standalone-it");
        Path conf = Files.createDirectories(work.resolve("conf"));
        Path logs = Files.createDirectories(work.resolve("log"));
        int restPort = Ports.free();
        Files.writeString(conf.resolve("config.yaml"), String.join("\n",
                "jobmanager.rpc.address: 127.0.0.1",
                "jobmanager.rpc.port: " + Ports.free(),
                "jobmanager.bind-host: 127.0.0.1",
                "jobmanager.memory.process.size: 1024m",
                "taskmanager.host: 127.0.0.1",
                "taskmanager.bind-host: 127.0.0.1",
                "taskmanager.numberOfTaskSlots: 2",
                // Started without Flink's scripts, the TaskManager needs the resources they would
                // compute (BashJavaUtils) as options; the JVM flags below match them.
                "taskmanager.cpu.cores: 2",
                "taskmanager.memory.framework.heap.size: 128m",
                "taskmanager.memory.task.heap.size: 448m",
                "taskmanager.memory.framework.off-heap.size: 128m",
                "taskmanager.memory.task.off-heap.size: 0m",
                "taskmanager.memory.managed.size: 64m",
                "taskmanager.memory.network.min: 64m",
                "taskmanager.memory.network.max: 64m",
                "taskmanager.memory.jvm-metaspace.size: 256m",
                "taskmanager.memory.jvm-overhead.min: 192m",
                "taskmanager.memory.jvm-overhead.max: 192m",
                "rest.address: 127.0.0.1",
                "rest.bind-address: 127.0.0.1",
                "rest.port: " + restPort,
                "web.upload.dir: " + Files.createDirectories(work.resolve("uploads")),
                "io.tmp.dirs: " + Files.createDirectories(work.resolve("tmp")),
                "parallelism.default: 2",
                "restart-strategy.type: none",
                ""));
        Files.writeString(conf.resolve("log4j.properties"), String.join("\n",
                "rootLogger.level = INFO",
                "rootLogger.appenderRef.file.ref = file",
                "appender.file.type = File",
                "appender.file.name = file",
                "appender.file.fileName = ${sys:log.file}",
                "appender.file.layout.type = PatternLayout",
                "appender.file.layout.pattern = %d{HH:mm:ss,SSS} %-5p %c{1} - %m%n",
                ""));
        String classpath = Files.readString(StandInTools.DIR.resolve("flink-cluster.classpath")).trim();
        jobManager = start("org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint", "jobmanager", "-Xmx512m", conf, logs, classpath);
        Ports.await(restPort, jobManager, Duration.ofSeconds(90), "JobManager (log: " + logs.resolve("jobmanager.log") + ")");
        taskManager = start("org.apache.flink.runtime.taskexecutor.TaskManagerRunner", "taskmanager", "-Xmx576m", conf, logs, classpath);
        rest = "http://127.0.0.1:" + restPort;
        int slots = Await.until(() -> taskManager.isAlive() ? get("/overview").path("slots-available").asInt() : -1,
                n -> n >= 2 || n < 0, Duration.ofSeconds(90));
        assertThat(slots).as("slots registered (TaskManager log: %s)", logs.resolve("taskmanager.log")).isEqualTo(2);
    }

    static Process start(String mainClass, String name, String heap, Path conf, Path logs, String classpath) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), heap,
                "-XX:MaxDirectMemorySize=256m", "-XX:MaxMetaspaceSize=256m"));
        command.addAll(OPENS);
        command.addAll(List.of(
                "-Dlog.file=" + logs.resolve(name + ".log"),
                "-Dlog4j.configurationFile=" + conf.resolve("log4j.properties").toUri(),
                "-cp", classpath, mainClass, "--configDir", conf.toString()));
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(logs.resolve(name + ".out").toFile());
        // No plugins: the lake is on local disk. An empty folder keeps Flink from looking elsewhere.
        builder.environment().put("FLINK_PLUGINS_DIR", Files.createDirectories(work.resolve("plugins")).toString());
        builder.environment().put("FLINK_CONF_DIR", conf.toString());
        return builder.start();
    }

    @AfterAll
    static void stopCluster() throws Exception {
        for (Process p : new Process[] {taskManager, jobManager}) {
            if (p != null) {
                p.destroyForcibly();
                p.waitFor();
            }
        }
        if (work != null) {
            // The cluster's logs stay in target/ for a look after a failure; the rest goes.
            Path keep = Files.createDirectories(Path.of("target", "standalone-cluster-logs"));
            try (Stream<Path> logs = Files.list(work.resolve("log"))) {
                for (Path log : (Iterable<Path>) logs::iterator) {
                    Files.copy(log, keep.resolve(log.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
            try (Stream<Path> files = Files.walk(work)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void theShadedJarRunsFromKinesisToTheLakeAndAnAlertAndWithoutConfigurationItIsRefused() throws Exception {
        // The job module's shaded jar, as JobJarIT reads it (failsafe passes its path).
        Path jar = Path.of(System.getProperty("nagare.job.jar"));
        assertThat(jar).as("the shaded job jar: run after package (mvn verify)").exists();
        String jarId = upload(jar);

        try (KinesisLocal kinesis = KinesisLocal.start(StandInTools.DIR); HttpStub webhook = new HttpStub()) {
            String arn = kinesis.createStream("standalone", 1);
            kinesis.put("standalone", records());
            Path lake = work.resolve("lake");
            Path config = work.resolve("nagare.json");
            Files.writeString(config, JSON.writeValueAsString(groups(Map.ofEntries(
                    Map.entry("source.type", "kinesis"),
                    Map.entry("source.kinesis.stream-arn", arn),
                    Map.entry("source.kinesis.endpoint", kinesis.endpoint()),
                    Map.entry("source.kinesis.region", KinesisLocal.REGION),
                    Map.entry("source.kinesis.initial-position", "trim_horizon"),
                    Map.entry("source.kinesis.shard-discovery-interval", "1 s"),
                    Map.entry("source.kinesis.access-key-id", KinesisLocal.ACCESS_KEY),
                    Map.entry("source.kinesis.secret-access-key", KinesisLocal.SECRET_KEY),
                    Map.entry("lake.path", lake.toString()),
                    Map.entry("alerts.webhook.url", webhook.baseUrl() + "/services/T1/B1/standalone"),
                    Map.entry("job.checkpoint.dir", work.resolve("checkpoints").toUri().toString()),
                    Map.entry("job.checkpoint.interval", "2 s"),
                    Map.entry("job.watermark.out-of-orderness", "5 s"),
                    Map.entry("job.watermark.idle-timeout", "2 s")))));

            JsonNode run = post("/jars/" + jarId + "/run", "{\"programArgsList\":[\"--config\",\"" + config + "\"]}", 200);
            String jobId = run.path("jobid").asText();
            assertThat(jobId).isNotEmpty();
            try {
                long rows = Lakes.awaitRows(lake, "logs", IN_ORDER + INCIDENT_LINES, Duration.ofSeconds(90));
                if (rows != IN_ORDER + INCIDENT_LINES) {
                    throw new AssertionError(rows + " of " + (IN_ORDER + INCIDENT_LINES) + " rows in the lake after 90 s; the job: " + diagnose(jobId));
                }
                List<HttpStub.Request> posts = Await.until(() -> webhook.requests(), r -> !r.isEmpty(), Duration.ofSeconds(120));
                if (posts.isEmpty()) {
                    throw new AssertionError("no webhook post within 120 s of the lake's rows; the job: " + diagnose(jobId));
                }
                assertThat(posts).hasSize(1);
                assertThat(posts.get(0).path).isEqualTo("/services/T1/B1/standalone");
                assertThat(posts.get(0).body).contains("app_error_rate");
                try (Lakes lakes = new Lakes(lake, "logs")) {
                    assertThat(lakes.count("SELECT count(*) FROM logs WHERE level = 'ERROR'")).isEqualTo(INCIDENT_LINES / 3);
                }
                assertThat(get("/jobs/" + jobId).path("state").asText()).isEqualTo("RUNNING");
            } finally {
                send(HttpRequest.newBuilder(URI.create(rest + "/jobs/" + jobId + "?mode=cancel")).method("PATCH", HttpRequest.BodyPublishers.noBody()));
                Await.until(() -> get("/jobs/" + jobId).path("state").asText(), "CANCELED"::equals, Duration.ofSeconds(60));
            }
        }

        // The same cluster, the same jar, no configuration: refused, and no second (demo) job.
        HttpResponse<String> refused = send(HttpRequest.newBuilder(URI.create(rest + "/jars/" + jarId + "/run"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"programArgsList\":[]}")));
        assertThat(refused.statusCode()).isGreaterThanOrEqualTo(400);
        assertThat(refused.body()).contains("No configuration: pass --config FILE");
        Thread.sleep(2000); // a job submitted by a run that was refused would be listed by now
        JsonNode jobs = get("/jobs/overview").path("jobs");
        assertThat(jobs).hasSize(1);
        assertThat(jobs.get(0).path("state").asText()).isEqualTo("CANCELED");
    }

    /** In-order events every 10 s for five minutes, an incident in the window 10:01, in one record each. */
    static List<byte[]> records() {
        List<byte[]> records = new ArrayList<>();
        for (int i = 0; i < IN_ORDER; i++) {
            long at = T0.toEpochMilli() + i * 10_000L;
            records.add(Records.cwl("/ecs/orders-api", "in-order-" + i, at,
                    "{\"@timestamp\":\"" + Instant.ofEpochMilli(at) + "\",\"level\":\"INFO\",\"message\":\"ok\"}"));
            if (i == 6) {
                String[] lines = new String[INCIDENT_LINES];
                for (int k = 0; k < lines.length; k++) {
                    lines[k] = "{\"@timestamp\":\"" + Instant.ofEpochMilli(at + 1000 + k * 500L) + "\",\"level\":\""
                            + (k % 3 == 0 ? "ERROR" : "INFO") + "\",\"message\":\"request " + k + "\"}";
                }
                records.add(Records.cwl("/ecs/incident", "incident", at + 1000, lines));
            }
        }
        return records;
    }

    /** The job's file format: {@code [{"PropertyGroupId": ..., "PropertyMap": {...}}, ...]}. */
    static ArrayNode groups(Map<String, String> keys) {
        Map<String, ObjectNode> byGroup = new LinkedHashMap<>();
        ArrayNode groups = JSON.createArrayNode();
        keys.forEach((key, value) -> {
            String group = key.substring(0, key.indexOf('.'));
            byGroup.computeIfAbsent(group, g -> {
                ObjectNode node = groups.addObject();
                node.put("PropertyGroupId", g);
                return node.putObject("PropertyMap");
            }).put(key.substring(key.indexOf('.') + 1), value);
        });
        return groups;
    }

    static String upload(Path jar) throws Exception {
        String boundary = "nagare-" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\"" + jar.getFileName()
                + "\"\r\nContent-Type: application/x-java-archive\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.write(Files.readAllBytes(jar));
        body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(rest + "/jars/upload"))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode uploaded = JSON.readTree(response.body());
        assertThat(uploaded.path("status").asText()).isEqualTo("success");
        return Path.of(uploaded.path("filename").asText()).getFileName().toString();
    }

    /**
     * What the cluster says about a job, for a failure message (CI keeps no logs): its state, the
     * root exception, and per vertex the records in and out and the lowest input watermark, which
     * shows where a missing alert stopped; then what the TaskManager and JobManager logged as
     * warnings and errors (a healthy run logs none but delegation-token notices).
     */
    static String diagnose(String jobId) {
        String job;
        try {
            job = describe(jobId);
        } catch (Exception e) {
            job = "(no diagnosis: " + e + ")"; // never hides the failure it was asked to explain
        }
        return job + "\n  warnings and errors the cluster logged:" + problems("taskmanager.log") + problems("jobmanager.log");
    }

    /** A log's WARN and ERROR lines, each with the line after it (an exception's message), at most 40. */
    private static String problems(String log) {
        StringBuilder out = new StringBuilder();
        try {
            List<String> lines = Files.readAllLines(work.resolve("log").resolve(log));
            int kept = 0;
            for (int i = 0; i < lines.size() && kept < 40; i++) {
                if (lines.get(i).matches("\\S+ (WARN|ERROR) .*") && !lines.get(i).contains("DelegationToken")) {
                    for (int j = i; j <= Math.min(i + 1, lines.size() - 1); j++, kept++) {
                        String line = lines.get(j);
                        out.append("\n    ").append(log).append(": ").append(line, 0, Math.min(300, line.length()));
                    }
                }
            }
        } catch (IOException e) {
            out.append("\n    ").append(log).append(": unreadable (").append(e).append(')');
        }
        return out.toString();
    }

    private static String describe(String jobId) throws Exception {
        JsonNode job = get("/jobs/" + jobId);
        StringBuilder out = new StringBuilder(job.path("state").asText());
        JsonNode failures = get("/jobs/" + jobId + "/exceptions").path("exceptionHistory").path("entries");
        if (failures.size() > 0) {
            out.append(", failed: ").append(failures.get(0).path("stacktrace").asText("").lines().findFirst().orElse(""));
        }
        // The REST API serves metrics the JobManager fetched (every 10 s by default): the first
        // request starts a fetch, and the answer is empty until it has come back. Asked of the
        // last vertex: a source has no input watermark to report.
        JsonNode vertices = job.path("vertices");
        String last = "/jobs/" + jobId + "/vertices/" + vertices.path(vertices.size() - 1).path("id").asText() + "/watermarks";
        Await.until(() -> get(last), w -> w.size() > 0, Duration.ofSeconds(15));
        job = get("/jobs/" + jobId);
        for (JsonNode vertex : job.path("vertices")) {
            long lowest = Long.MAX_VALUE;
            for (JsonNode w : get("/jobs/" + jobId + "/vertices/" + vertex.path("id").asText() + "/watermarks")) {
                lowest = Math.min(lowest, w.path("value").asLong(Long.MAX_VALUE));
            }
            String name = vertex.path("name").asText();
            out.append("\n  ").append(name, 0, Math.min(60, name.length()))
                    .append(" x").append(vertex.path("parallelism").asInt())
                    .append(' ').append(vertex.path("status").asText())
                    .append(" in=").append(vertex.path("metrics").path("read-records").asLong())
                    .append(" out=").append(vertex.path("metrics").path("write-records").asLong())
                    .append(" watermark=").append(lowest == Long.MAX_VALUE ? "unknown"
                            : lowest == Long.MIN_VALUE ? "none yet" : Instant.ofEpochMilli(lowest).toString());
        }
        return out.toString();
    }

    static JsonNode get(String path) throws Exception {
        HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(rest + path)).GET());
        return JSON.readTree(response.body());
    }

    static JsonNode post(String path, String json, int expected) throws Exception {
        HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(rest + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)));
        assertThat(response.statusCode()).as("%s: %s", path, response.body()).isEqualTo(expected);
        return JSON.readTree(response.body());
    }

    static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return HTTP.send(request.timeout(Duration.ofSeconds(120)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
