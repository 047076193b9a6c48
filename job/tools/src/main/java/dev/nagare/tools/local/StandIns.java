package dev.nagare.tools.local;

import dev.nagare.job.config.ConfigException;
import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.config.NagareOptions;
import dev.nagare.job.config.SourceType;
import dev.nagare.job.source.demo.DemoSource;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;

import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * The AWS stand-ins of a local run ({@code local.stand-ins=true}): kinesis-local, S3Proxy and an
 * alert endpoint, each on the 127.0.0.1 port its production key names — {@code source.kinesis.endpoint},
 * {@code local.s3.endpoint}, {@code alerts.webhook.url} — so the job runs with the production
 * configuration keys and only the endpoints differ. Creates the stream of
 * {@code source.kinesis.stream-arn} and the bucket of {@code lake.path}, and feeds the demo
 * generator ({@code source.demo.*}) into the stream. {@link #close()} stops everything it started.
 */
public final class StandIns implements AutoCloseable {
    /** Shards of the stand-in stream: more than one, so the job reads several splits as in production. */
    static final int SHARDS = 2;

    private final List<AutoCloseable> started = new ArrayList<>();
    private KinesisLocal kinesis;
    private S3Local s3;
    private AlertEndpoint alerts;
    private DemoFeeder feeder;

    private StandIns() {}

    /**
     * Checks that the configuration can run against stand-ins; every endpoint must be plain HTTP on
     * 127.0.0.1 or localhost with a port, so nothing reaches AWS by accident.
     *
     * @throws ConfigException naming the key, the value and what is allowed
     */
    public static void check(NagareConfig config) {
        if (config.get(NagareOptions.SOURCE_TYPE) != SourceType.KINESIS) {
            throw NagareConfig.invalid(NagareOptions.SOURCE_TYPE.key(), config.get(NagareOptions.SOURCE_TYPE).name().toLowerCase(),
                    "must be 'kinesis' when local.stand-ins is true (the demo generator feeds the stand-in stream)");
        }
        required(config, NagareOptions.KINESIS_STREAM_ARN);
        loopbackPort(NagareOptions.KINESIS_ENDPOINT, required(config, NagareOptions.KINESIS_ENDPOINT));
        String lake = config.get(NagareOptions.LAKE_PATH);
        if (lake.startsWith("s3://") || lake.startsWith("s3a://")) {
            String endpoint = config.getOptional(NagareOptions.LOCAL_S3_ENDPOINT).orElseThrow(() -> NagareConfig.invalid(
                    NagareOptions.LAKE_PATH.key(), lake, "needs local.s3.endpoint (the S3Proxy stand-in) when local.stand-ins is true"));
            loopbackPort(NagareOptions.LOCAL_S3_ENDPOINT, endpoint);
            if (URI.create(lake).getHost() == null) {
                throw NagareConfig.invalid(NagareOptions.LAKE_PATH.key(), lake, "must name a bucket, such as s3://nagare-lake/nagare");
            }
        }
    }

    /** Starts the stand-ins the configuration names (call {@link #check} first); status lines go to {@code out}. */
    public static StandIns start(NagareConfig config, Path tools, PrintStream out, PrintStream err) throws Exception {
        check(config);
        StandIns standIns = new StandIns();
        try {
            standIns.startAll(config, tools, out, err);
            return standIns;
        } catch (Exception e) {
            standIns.close();
            throw e;
        }
    }

    private void startAll(NagareConfig config, Path tools, PrintStream out, PrintStream err) throws Exception {
        String arn = config.get(NagareOptions.KINESIS_STREAM_ARN);
        String[] parts = arn.split(":");
        String region = parts[3];
        String stream = parts[5].substring("stream/".length());
        kinesis = started(KinesisLocal.start(tools,
                loopbackPort(NagareOptions.KINESIS_ENDPOINT, config.get(NagareOptions.KINESIS_ENDPOINT)), region, parts[4]));
        String created = kinesis.createStream(stream, SHARDS);
        if (!created.equals(arn)) {
            throw new IllegalStateException("kinesis-local created " + created + ", not " + arn);
        }
        out.println("stand-in kinesis-local: " + kinesis.endpoint() + ", stream " + arn + " (" + SHARDS + " shards)");

        Optional<String> s3Endpoint = config.getOptional(NagareOptions.LOCAL_S3_ENDPOINT);
        if (s3Endpoint.isPresent()) {
            s3 = started(S3Local.start(tools, loopbackPort(NagareOptions.LOCAL_S3_ENDPOINT, s3Endpoint.get())));
            String lake = config.get(NagareOptions.LAKE_PATH);
            if (lake.startsWith("s3://") || lake.startsWith("s3a://")) {
                s3.createBucket(URI.create(lake).getHost());
            }
            out.println("stand-in S3Proxy: " + s3.endpoint() + ", lake " + lake);
        }

        Optional<Integer> alertPort = config.getOptional(NagareOptions.WEBHOOK_URL).flatMap(StandIns::plainLoopbackPort);
        if (alertPort.isPresent()) {
            alerts = started(AlertEndpoint.start(alertPort.get(), out));
            out.println("stand-in webhook: http://127.0.0.1:" + alertPort.get() + "/ (prints each alert it receives)");
        }

        feeder = started(new DemoFeeder(kinesis, stream, DemoSource.scenario(config),
                config.get(NagareOptions.DEMO_RECORDS), err).start());
    }

    private <T extends AutoCloseable> T started(T standIn) {
        started.add(standIn);
        return standIn;
    }

    /** The Flink settings that point {@code s3://} at S3Proxy; empty without it. */
    public Configuration flinkConfiguration() {
        return s3 == null ? new Configuration() : s3.flinkConfiguration();
    }

    /** For the status line: what the stand-ins have seen. */
    public String status() {
        StringBuilder line = new StringBuilder("fed to stream ").append(String.format("%,d", feeder.fed()));
        if (alerts != null) {
            line.append("  webhook received ").append(alerts.received().size());
        }
        return line.toString();
    }

    public DemoFeeder feeder() {
        return feeder;
    }

    public Optional<AlertEndpoint> alertEndpoint() {
        return Optional.ofNullable(alerts);
    }

    /** Stops the feeder first, then the servers, in reverse order of start. */
    @Override
    public void close() throws Exception {
        List<AutoCloseable> stopping = new ArrayList<>(started);
        Collections.reverse(stopping);
        Exception first = null;
        for (AutoCloseable standIn : stopping) {
            try {
                standIn.close();
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        started.clear();
        if (first != null) {
            throw first;
        }
    }

    private static String required(NagareConfig config, ConfigOption<String> option) {
        return config.getOptional(option).orElseThrow(() -> new ConfigException(
                "Invalid configuration: local.stand-ins needs the key '" + option.key().substring(option.key().indexOf('.') + 1)
                        + "' in group '" + option.key().substring(0, option.key().indexOf('.')) + "'"));
    }

    /** The port of a plain HTTP loopback URL: stand-ins never listen anywhere else. */
    private static int loopbackPort(ConfigOption<String> option, String url) {
        return plainLoopbackPort(url).orElseThrow(() -> NagareConfig.invalid(option.key(), url,
                "must be http://127.0.0.1:<port> or http://localhost:<port> when local.stand-ins is true"));
    }

    private static Optional<Integer> plainLoopbackPort(String url) {
        try {
            URI uri = URI.create(url);
            boolean loopback = "127.0.0.1".equals(uri.getHost()) || "localhost".equals(uri.getHost());
            return "http".equals(uri.getScheme()) && loopback && uri.getPort() > 0 ? Optional.of(uri.getPort()) : Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
