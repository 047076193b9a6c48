package dev.nagare.tools.local;

import dev.nagare.job.source.demo.DemoRecord;
import dev.nagare.job.source.demo.DemoScenario;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * kinesis-local (a Kinesis API server from npm, installed by the build into
 * {@code <tools>/kinesis-local}) as a Node.js process on 127.0.0.1, with a Kinesis client to create
 * streams and put records. Used by the tests and by the local run with stand-ins; stopped by
 * {@link #close()}.
 */
public final class KinesisLocal implements AutoCloseable {
    public static final String REGION = "us-east-1";
    /** kinesis-local's default account: the ARNs of its streams carry it. */
    public static final String ACCOUNT = "000000000000";
    public static final String ACCESS_KEY = "AKIDLOCAL";
    public static final String SECRET_KEY = "local-secret";
    /** PutRecords takes at most 500 records per call. */
    private static final int BATCH = 500;

    private final Process process;
    private final int port;
    private final KinesisClient client;

    private KinesisLocal(Process process, int port, String region) {
        this.process = process;
        this.port = port;
        this.client = KinesisClient.builder()
                .endpointOverride(java.net.URI.create(endpoint()))
                .region(Region.of(region))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .build();
    }

    /** Starts kinesis-local on a free port, in the default region and account. */
    public static KinesisLocal start(Path tools) throws Exception {
        return start(tools, Ports.free(), REGION, ACCOUNT);
    }

    /** Starts kinesis-local on {@code port}; its streams belong to {@code account} in {@code region}. */
    public static KinesisLocal start(Path tools, int port, String region, String account) throws Exception {
        Path home = tools.resolve("kinesis-local/node_modules/kinesis-local").toAbsolutePath();
        if (!Files.exists(home.resolve("main.js"))) {
            throw new IllegalStateException("kinesis-local is not installed in " + home
                    + ": the build installs it (mvn verify, or mvn -Prun-standins package)");
        }
        Ports.requireFree(port, "kinesis-local");
        Path preload = home.getParent().getParent().resolve("kinesis-loopback.js");
        try (InputStream in = KinesisLocal.class.getResourceAsStream("/nagare/local/kinesis-loopback.js")) {
            Files.copy(in, preload, StandardCopyOption.REPLACE_EXISTING);
        }
        Path log = home.getParent().getParent().resolve("kinesis-local.log");
        ProcessBuilder builder = new ProcessBuilder("node", "-r", preload.toString(), home.resolve("main.js").toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().put("KINESIS_MOCK_CERT_PATH", home.resolve("server.json").toString());
        builder.environment().put("KINESIS_MOCK_PLAIN_PORT", Integer.toString(port));
        builder.environment().put("KINESIS_MOCK_TLS_PORT", Integer.toString(Ports.free()));
        builder.environment().put("AWS_REGION", region);
        builder.environment().put("AWS_ACCOUNT_ID", account);
        builder.environment().put("CREATE_STREAM_DURATION", "0ms");
        Process process = builder.start();
        try {
            Ports.await(port, process, Duration.ofSeconds(30), "kinesis-local (log: " + log + ")");
        } catch (Exception e) {
            process.destroyForcibly();
            throw e;
        }
        return new KinesisLocal(process, port, region);
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
            Thread.sleep(200); // poll: CreateStream is asynchronous in the Kinesis API
        }
    }

    /**
     * Puts records with random partition keys, so they spread over the shards, in batches of up
     * to 500; records the server rejects are put again.
     */
    public void put(String stream, List<byte[]> records) {
        List<PutRecordsRequestEntry> pending = new ArrayList<>();
        for (byte[] record : records) {
            pending.add(PutRecordsRequestEntry.builder()
                    .partitionKey(UUID.randomUUID().toString()).data(SdkBytes.fromByteArray(record)).build());
        }
        for (int attempt = 0; !pending.isEmpty(); attempt++) {
            if (attempt == 10) {
                throw new IllegalStateException(pending.size() + " records not accepted by " + stream + " after 10 attempts");
            }
            List<PutRecordsRequestEntry> failed = new ArrayList<>();
            for (int from = 0; from < pending.size(); from += BATCH) {
                List<PutRecordsRequestEntry> batch = pending.subList(from, Math.min(pending.size(), from + BATCH));
                PutRecordsResponse response = client.putRecords(r -> r.streamName(stream).records(batch));
                for (int i = 0; i < batch.size(); i++) {
                    if (response.records().get(i).errorCode() != null) {
                        failed.add(batch.get(i));
                    }
                }
            }
            pending = failed;
            if (!pending.isEmpty()) {
                pause(100L << attempt); // throttled: back off as a Kinesis producer must
            }
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while putting records", e);
        }
    }

    /** Puts records [from, to) of a demo scenario; returns how many log events they must give. */
    public long putDemo(String stream, DemoScenario scenario, long from, long to) {
        List<byte[]> records = new ArrayList<>();
        long events = 0;
        for (long i = from; i < to; i++) {
            DemoRecord record = scenario.record(i);
            records.add(record.toBytes());
            events += record.validEvents();
        }
        put(stream, records);
        return events;
    }

    @Override
    public void close() throws Exception {
        client.close();
        Ports.stop(process);
    }
}
