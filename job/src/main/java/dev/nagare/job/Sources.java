package dev.nagare.job;

import dev.nagare.job.config.ConfigException;
import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.config.SourceSettings;
import dev.nagare.job.source.Base64LineFormat;
import dev.nagare.job.source.KinesisSource;
import dev.nagare.job.source.RecordSource;
import dev.nagare.job.source.demo.DemoSource;

import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.core.fs.Path;

import java.nio.file.Files;
import java.util.List;
import java.util.function.Function;

/** The record source named by {@code source.type}. */
public final class Sources {
    private Sources() {}

    /**
     * @param env environment variables for {@code env:} references (the Kinesis credentials)
     */
    public static RecordSource create(NagareConfig config, Function<String, String> env) {
        SourceSettings settings = SourceSettings.of(config);
        switch (settings.type) {
            case DEMO:
                return DemoSource.create(config);
            case KINESIS:
                return KinesisSource.create(config, env);
            case REPLAY:
                return replay(settings.replayFiles);
            default:
                throw new IllegalStateException("no source for " + settings.type);
        }
    }

    /**
     * A bounded source of the captured records in the files (local paths or file system URIs),
     * read in parallel by Flink's file source.
     */
    public static RecordSource replay(List<String> files) {
        if (files.isEmpty()) {
            throw new ConfigException("Invalid configuration: source type 'replay' needs the key 'replay.files' in group 'source'");
        }
        Path[] paths = new Path[files.size()];
        for (int i = 0; i < paths.length; i++) {
            String file = files.get(i);
            boolean uri = file.contains("://");
            if (!uri && !Files.isRegularFile(java.nio.file.Path.of(file))) {
                throw new ConfigException("Invalid configuration: replay file " + file + " does not exist");
            }
            // A local file by its URI object: the URI's text would have its spaces escaped twice.
            paths[i] = uri ? new Path(file) : new Path(java.nio.file.Path.of(file).toAbsolutePath().toUri());
        }
        return RecordSource.parallel(FileSource.forRecordStreamFormat(new Base64LineFormat(), paths).build());
    }
}
