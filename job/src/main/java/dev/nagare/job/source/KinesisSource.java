package dev.nagare.job.source;

import dev.nagare.job.alerts.Secrets;
import dev.nagare.job.config.ConfigException;
import dev.nagare.job.config.KinesisStart;
import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.config.NagareOptions;
import dev.nagare.job.config.SourceSettings;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kinesis.source.KinesisStreamsSource;
import org.apache.flink.connector.kinesis.source.serialization.KinesisDeserializationSchema;
import org.apache.flink.util.Collector;

// The connector shades the AWS SDK, and its deserialization interface hands over the shaded record.
import org.apache.flink.kinesis.shaded.software.amazon.awssdk.services.kinesis.model.Record;

import java.time.Instant;
import java.util.function.Function;

/**
 * The Kinesis wiring, in one place so that a move to Flink 2.x and connector 6.x touches only this
 * class: the FLIP-27 {@code KinesisStreamsSource} of {@code flink-connector-kinesis} 4.3.0 reading
 * raw record bytes (KPL aggregates are de-aggregated by the decoder, which this source does not do).
 */
public final class KinesisSource {
    private KinesisSource() {}

    public static RecordSource create(NagareConfig config, Function<String, String> env) {
        String arn = SourceSettings.of(config).kinesisStreamArn.orElseThrow(() -> new ConfigException(
                "Invalid configuration: source type 'kinesis' needs the key 'kinesis.stream-arn' in group 'source'"));
        return RecordSource.parallel(KinesisStreamsSource.<KinesisRecord>builder()
                .setStreamArn(arn)
                .setSourceConfig(sourceConfig(config, env))
                .setDeserializationSchema(new WithArrivalTime())
                .build());
    }

    /** The connector's configuration keys ({@code aws.*}, {@code flink.*}) from Nagare's options. */
    static Configuration sourceConfig(NagareConfig config, Function<String, String> env) {
        SourceSettings settings = SourceSettings.of(config);
        String arn = settings.kinesisStreamArn.orElseThrow();
        Configuration c = new Configuration();
        c.setString("aws.region", settings.kinesisRegion.orElse(arn.split(":")[3]));
        settings.kinesisEndpoint.ifPresent(endpoint -> c.setString("aws.endpoint", endpoint));
        if (settings.kinesisAccessKeyId.isPresent()) {
            c.setString("aws.credentials.provider", "BASIC");
            c.setString("aws.credentials.provider.basic.accesskeyid", settings.kinesisAccessKeyId.get());
            c.setString("aws.credentials.provider.basic.secretkey", Secrets.resolve(NagareOptions.KINESIS_SECRET_ACCESS_KEY.key(),
                    settings.kinesisSecretAccessKey.orElseThrow(() -> new ConfigException(
                            "Invalid configuration: key 'kinesis.access-key-id' in group 'source' needs 'kinesis.secret-access-key'")),
                    env));
        } else {
            c.setString("aws.credentials.provider", "AUTO");
        }
        KinesisStart start = settings.kinesisInitialPosition;
        c.setString("flink.stream.initpos", start.name());
        if (start == KinesisStart.AT_TIMESTAMP) {
            String timestamp = settings.kinesisInitialTimestamp.orElseThrow(() -> new ConfigException(
                    "Invalid configuration: initial-position 'at_timestamp' needs the key 'kinesis.initial-timestamp' in group 'source'"));
            // In the connector's default format, flink.stream.initpos.timestamp.format.
            c.setString("flink.stream.initpos.timestamp", java.time.format.DateTimeFormatter
                    .ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX").withZone(java.time.ZoneOffset.UTC).format(Instant.parse(timestamp)));
        }
        c.setString("flink.shard.discovery.intervalmillis", Long.toString(settings.kinesisShardDiscovery.toMillis()));
        return c;
    }

    /**
     * The record's data as it is, with its approximate arrival time: decoding happens in the job,
     * where failures become dead letters.
     */
    static final class WithArrivalTime implements KinesisDeserializationSchema<KinesisRecord> {
        private static final long serialVersionUID = 1L;

        @Override
        public void deserialize(Record record, String stream, String shardId, Collector<KinesisRecord> output) {
            Instant arrival = record.approximateArrivalTimestamp();
            output.collect(KinesisRecord.of(record.data().asByteArray(), arrival == null ? null : arrival.toEpochMilli()));
        }

        @Override
        public TypeInformation<KinesisRecord> getProducedType() {
            return RecordSource.TYPE;
        }
    }
}
