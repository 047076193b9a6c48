package dev.nagare.job.source.demo;

import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.config.SourceSettings;
import dev.nagare.job.source.KinesisRecord;
import dev.nagare.job.source.RecordSource;

import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;

import java.time.Instant;

/**
 * The {@code demo} source: Flink's data generator source driving a {@link DemoScenario}. Each
 * parallel reader generates its own range of record indexes, so the stream is identical at any
 * parallelism and replays exactly from a checkpoint.
 */
public final class DemoSource {
    private DemoSource() {}

    /**
     * The source the configuration asks for: throttled to {@code source.demo.rate} records per
     * second and read by one reader. The generator splits its index range between readers, so a
     * second reader of an unbounded stream would start at index 2^62, far in simulated future.
     */
    public static RecordSource create(NagareConfig config) {
        SourceSettings settings = SourceSettings.of(config);
        return create(scenario(config), settings.demoRecords == 0 ? Long.MAX_VALUE : settings.demoRecords,
                RateLimiterStrategy.perSecond(settings.demoRate));
    }

    /** The scenario of the {@code source.demo.*} settings ({@code now} is the current minute). */
    public static DemoScenario scenario(NagareConfig config) {
        SourceSettings settings = SourceSettings.of(config);
        Instant first = "now".equalsIgnoreCase(settings.demoStart) ? DemoScenario.startOfCurrentMinute() : Instant.parse(settings.demoStart);
        return new DemoScenario(settings.demoSeed, first, settings.demoRate);
    }

    /** The first {@code records} records of a scenario, in order, as fast as the limiter allows. */
    public static RecordSource create(DemoScenario scenario, long records, RateLimiterStrategy limiter) {
        return RecordSource.single(generator(scenario, records, limiter));
    }

    private static DataGeneratorSource<KinesisRecord> generator(DemoScenario scenario, long records, RateLimiterStrategy limiter) {
        return new DataGeneratorSource<>(new RecordBytes(scenario), records, limiter, RecordSource.TYPE);
    }

    /** The scenario's record, arriving when its last event was written (as a subscription delivers it). */
    private static final class RecordBytes implements GeneratorFunction<Long, KinesisRecord> {
        private static final long serialVersionUID = 1L;
        private final DemoScenario scenario;

        RecordBytes(DemoScenario scenario) {
            this.scenario = scenario;
        }

        @Override
        public KinesisRecord map(Long index) {
            DemoRecord record = scenario.record(index);
            return KinesisRecord.of(record.toBytes(), record.arrivalMillis());
        }
    }
}
