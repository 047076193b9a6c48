package dev.nagare.tools.local;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nagare.job.config.NagareConfig;
import dev.nagare.tools.local.Ports;
import dev.nagare.job.testing.Await;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.WebOptions;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The local run's web UI cannot take a jar: its cluster, started with the local run's Flink
 * configuration, has no /jars handlers, while Flink's default has them (so the test would see a
 * regression).
 */
class LocalRunWebUiTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    @Test
    void theLocalRunsRestApiHasNoJarUploadOrRun() throws Exception {
        int port = Ports.free();
        Configuration flink = LocalRun.flinkConfiguration(config(port));
        assertThat(flink.get(WebOptions.SUBMIT_ENABLE)).isFalse();

        try (MiniCluster cluster = start(flink)) {
            String base = "http://127.0.0.1:" + port;
            HttpResponse<String> config = ready(base);
            assertThat(new ObjectMapper().readTree(config.body()).get("features").get("web-submit").asBoolean(true)).isFalse();
            assertThat(get(base + "/jars").statusCode()).isEqualTo(404);
            // No handler takes the file: Flink refuses a multipart request to a path without one.
            HttpResponse<String> upload = upload(base + "/jars/upload");
            assertThat(upload.statusCode()).as(upload.body()).isIn(400, 404);
            assertThat(upload.body()).doesNotContain("success");
            assertThat(HTTP.send(HttpRequest.newBuilder(URI.create(base + "/jars/x.jar/run"))
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.discarding()).statusCode())
                    .isEqualTo(404);
        }
    }

    @Test
    void flinksDefaultWouldAcceptJars() throws Exception {
        int port = Ports.free();
        Configuration flink = LocalRun.flinkConfiguration(config(port));
        flink.removeConfig(WebOptions.SUBMIT_ENABLE);

        try (MiniCluster cluster = start(flink)) {
            String base = "http://127.0.0.1:" + port;
            assertThat(new ObjectMapper().readTree(ready(base).body()).get("features").get("web-submit").asBoolean(false)).isTrue();
            assertThat(get(base + "/jars").statusCode()).isEqualTo(200);
            HttpResponse<String> upload = upload(base + "/jars/upload");
            assertThat(upload.statusCode()).as(upload.body()).isEqualTo(200);
            assertThat(upload.body()).contains("success");
        }
    }

    private NagareConfig config(int port) {
        return NagareConfig.defaults()
                .with("local.web-ui.port", Integer.toString(port))
                .with("local.checkpoint.dir", dir.resolve("checkpoints").toString());
    }

    private static MiniCluster start(Configuration flink) throws Exception {
        MiniCluster cluster = new MiniCluster(new MiniClusterConfiguration.Builder()
                .setConfiguration(flink)
                .setNumTaskManagers(1)
                .setNumSlotsPerTaskManager(1)
                .build());
        cluster.start();
        return cluster;
    }

    /** The REST endpoint answers 503 until the dispatcher's leadership is known. */
    private static HttpResponse<String> ready(String base) throws Exception {
        HttpResponse<String> config = Await.until(() -> get(base + "/config"), r -> r.statusCode() == 200, Duration.ofSeconds(30));
        assertThat(config.statusCode()).as(config.body()).isEqualTo(200);
        return config;
    }

    private static HttpResponse<String> get(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A jar upload as the web UI sends it: multipart with a "jarfile" part. */
    private static HttpResponse<String> upload(String url) throws Exception {
        String boundary = "nagare-test-boundary";
        String body = "--" + boundary + "\r\n"
                + "Content-Disposition: form-data; name=\"jarfile\"; filename=\"evil.jar\"\r\n"
                + "Content-Type: application/x-java-archive\r\n\r\n"
                + "PK\u0003\u0004 not really a jar\r\n"
                + "--" + boundary + "--\r\n";
        return HTTP.send(HttpRequest.newBuilder(URI.create(url))
                        .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
