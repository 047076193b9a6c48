package dev.nagare.job.config;

import java.io.Serializable;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;

/**
 * The typed settings of the record sources (property group {@code source}: Kinesis, replay files,
 * the demo generator), with the checks of their values beside them. {@link NagareConfig} runs the
 * checks on every value it reads; {@link #of} reads the settings of a validated configuration.
 * What only applies together (a stream ARN for type {@code kinesis}, a timestamp for
 * {@code at_timestamp}) is checked where the source is built.
 */
public final class SourceSettings implements Serializable {
    private static final long serialVersionUID = 1L;

    public final SourceType type;
    public final Optional<String> kinesisStreamArn;
    public final Optional<String> kinesisRegion;
    public final Optional<String> kinesisEndpoint;
    public final KinesisStart kinesisInitialPosition;
    public final Optional<String> kinesisInitialTimestamp;
    public final Duration kinesisShardDiscovery;
    public final Optional<String> kinesisAccessKeyId;
    /** A reference ({@code env:NAME}) or the literal secret of a local stand-in; never logged. */
    public final Optional<String> kinesisSecretAccessKey;
    public final List<String> replayFiles;
    public final int demoRate;
    public final long demoSeed;
    public final String demoStart;
    /** 0 is unbounded. */
    public final long demoRecords;

    private SourceSettings(NagareConfig config) {
        type = config.get(NagareOptions.SOURCE_TYPE);
        kinesisStreamArn = config.getOptional(NagareOptions.KINESIS_STREAM_ARN);
        kinesisRegion = config.getOptional(NagareOptions.KINESIS_REGION);
        kinesisEndpoint = config.getOptional(NagareOptions.KINESIS_ENDPOINT);
        kinesisInitialPosition = config.get(NagareOptions.KINESIS_INITIAL_POSITION);
        kinesisInitialTimestamp = config.getOptional(NagareOptions.KINESIS_INITIAL_TIMESTAMP);
        kinesisShardDiscovery = config.get(NagareOptions.KINESIS_SHARD_DISCOVERY);
        kinesisAccessKeyId = config.getOptional(NagareOptions.KINESIS_ACCESS_KEY_ID);
        kinesisSecretAccessKey = config.getOptional(NagareOptions.KINESIS_SECRET_ACCESS_KEY);
        replayFiles = List.copyOf(config.get(NagareOptions.REPLAY_FILES));
        demoRate = config.get(NagareOptions.DEMO_RATE);
        demoSeed = config.get(NagareOptions.DEMO_SEED);
        demoStart = config.get(NagareOptions.DEMO_START);
        demoRecords = config.get(NagareOptions.DEMO_RECORDS);
    }

    /** The settings of a validated configuration. */
    public static SourceSettings of(NagareConfig config) {
        return new SourceSettings(config);
    }

    /** The checks of the {@code source} values, beyond what their types enforce. */
    static void registerChecks() {
        NagareConfig.check(NagareOptions.DEMO_RATE, (Integer v) -> v >= 1 && v <= 1000, "must be an integer from 1 to 1000");
        NagareConfig.check(NagareOptions.DEMO_RECORDS, (Long v) -> v >= 0, "must be a whole number >= 0 (0 means unbounded)");
        NagareConfig.check(NagareOptions.DEMO_START, SourceSettings::isNowOrInstant,
                "must be 'now' or an ISO-8601 instant such as 2024-06-01T00:00:00Z");
        NagareConfig.check(NagareOptions.KINESIS_STREAM_ARN, (String v) -> v.matches("arn:aws[\\w-]*:kinesis:[\\w-]+:\\d{12}:stream/[\\w.-]+"),
                "must be a stream ARN such as arn:aws:kinesis:eu-west-1:111122223333:stream/logs");
        NagareConfig.check(NagareOptions.KINESIS_INITIAL_TIMESTAMP, SourceSettings::isNowOrInstant,
                "must be an ISO-8601 instant such as 2024-06-01T00:00:00Z");
        NagareConfig.check(NagareOptions.KINESIS_SHARD_DISCOVERY, NagareConfig::atLeastOneSecond, "must be a duration of at least 1 s");
    }

    static boolean isNowOrInstant(String v) {
        if ("now".equalsIgnoreCase(v)) {
            return true;
        }
        try {
            Instant.parse(v);
            return true;
        } catch (DateTimeParseException e) {
            return false;
        }
    }
}
