package dev.nagare.job.testing;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

/**
 * kinesis-local (npm, installed by the build into {@code target/kinesis-local}) as a separate
 * Node.js process on 127.0.0.1, with a Kinesis client for the test to create streams and put
 * records. Stopped by {@link #close()}.
 */
public final class KinesisLocal implements AutoCloseable {
    public static final String REGION = "us-east-1";
    public static final String ACCESS_KEY = "AKIDLOCAL";
    public static final String SECRET_KEY = "local-secret";

    private final Process process;
    private final int port;
    private final KinesisClient client;

    public KinesisLocal() throws Exception {
        Path home = Path.of("target/kinesis-local/node_modules/kinesis-local").toAbsolutePath();
        if (!Files.exists(home.resolve("main.js"))) {
            throw new IllegalStateException("kinesis-local is not installed in " + home + ": run the build (mvn verify) first");
        }
        Path preload = Path.of("src/test/resources/kinesis-local/preload.js").toAbsolutePath();
        port = freePort();
        ProcessBuilder builder = new ProcessBuilder("node", "-r", preload.toString(), home.resolve("main.js").toString())
                .redirectErrorStream(true)
                .redirectOutput(Path.of("target/kinesis-local/kinesis-local.log").toFile());
        builder.environment().put("KINESIS_MOCK_CERT_PATH", home.resolve("server.json").toString());
        builder.environment().put("KINESIS_MOCK_PLAIN_PORT", Integer.toString(port));
        builder.environment().put("KINESIS_MOCK_TLS_PORT", Integer.toString(freePort()));
        builder.environment().put("CREATE_STREAM_DURATION", "0ms");
        process = builder.start();
        awaitPort(port, Duration.ofSeconds(30));
        client = KinesisClient.builder()
                .endpointOverride(URI.create(endpoint()))
                .region(Region.of(REGION))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .build();
    }

    /** The job's source settings for a stream of this stand-in, read from its oldest record. */
    public dev.nagare.job.config.NagareConfig sourceConfig(dev.nagare.job.config.NagareConfig config, String streamArn) {
        return config
                .with("source.type", "kinesis")
                .with("source.kinesis.stream-arn", streamArn)
                .with("source.kinesis.endpoint", endpoint())
                .with("source.kinesis.region", REGION)
                .with("source.kinesis.initial-position", "trim_horizon")
                .with("source.kinesis.shard-discovery-interval", "1 s")
                .with("source.kinesis.access-key-id", ACCESS_KEY)
                .with("source.kinesis.secret-access-key", SECRET_KEY)
                .with("job.watermark.out-of-orderness", "5 s")
                .with("job.watermark.idle-timeout", "2 s");
    }

    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    /** Creates a stream and waits until it is active; returns its ARN. */
    public String createStream(String name, int shards) throws InterruptedException {
        client.createStream(r -> r.streamName(name).shardCount(shards));
        long deadline = System.currentTimeMillis() + 30_000;
        while (true) {
            var description = client.describeStreamSummary(r -> r.streamName(name)).streamDescriptionSummary();
            if (description.streamStatus() == StreamStatus.ACTIVE) {
                return description.streamARN();
            }
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("stream " + name + " not active after 30 s");
            }
            Thread.sleep(200);
        }
    }

    /** Puts records with random partition keys, so they spread over the shards. */
    public void put(String stream, List<byte[]> records) {
        for (byte[] record : records) {
            client.putRecord(r -> r.streamName(stream).partitionKey(UUID.randomUUID().toString()).data(SdkBytes.fromByteArray(record)));
        }
    }

    /** Puts records [from, to) of a demo scenario; returns how many log events they must give. */
    public long putDemo(String stream, dev.nagare.job.source.demo.DemoScenario scenario, long from, long to) {
        List<byte[]> records = new java.util.ArrayList<>();
        long events = 0;
        for (long i = from; i < to; i++) {
            dev.nagare.job.source.demo.DemoRecord record = scenario.record(i);
            records.add(record.toBytes());
            events += record.validEvents();
        }
        put(stream, records);
        return events;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static void awaitPort(int port, Duration timeout) throws Exception {
        long deadline = System.currentTimeMillis() + timeout.toMillis();
        while (true) {
            try (Socket ignored = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return;
            } catch (IOException e) {
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException("kinesis-local did not listen on " + port + " within " + timeout, e);
                }
                Thread.sleep(100);
            }
        }
    }

    @Override
    public void close() throws Exception {
        if (client != null) {
            client.close();
        }
        process.destroy();
        if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
