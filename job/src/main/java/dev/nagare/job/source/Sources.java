package dev.nagare.job.source;

import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.config.NagareOptions;
import dev.nagare.job.source.demo.DemoSource;

/** The record source named by {@code source.type}. */
public final class Sources {
    private Sources() {}

    public static RecordSource create(NagareConfig config) {
        switch (config.get(NagareOptions.SOURCE_TYPE)) {
            case DEMO:
                return DemoSource.create(config);
            default:
                throw new IllegalStateException("no source for " + config.get(NagareOptions.SOURCE_TYPE));
        }
    }
}
