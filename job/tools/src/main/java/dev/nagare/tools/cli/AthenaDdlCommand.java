package dev.nagare.tools.cli;

import dev.nagare.job.lake.AthenaDdl;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code nagare athena-ddl s3://bucket/prefix [database]}: the Athena DDL of every lake table. The
 * same text, for a placeholder bucket, is kept in {@code docs/athena/tables.sql} and checked by
 * the test suite, so it cannot drift from the sinks.
 */
@Command(name = "athena-ddl", description = "Prints the Athena DDL (with partition projection) of every lake table.")
public final class AthenaDdlCommand implements Callable<Integer> {
    @ParentCommand
    Nagare nagare;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "LOCATION", description = "The lake's S3 location, s3://bucket/prefix.")
    String location;

    @Parameters(index = "1", arity = "0..1", paramLabel = "DATABASE", description = "Glue database name (default: ${DEFAULT-VALUE}).")
    String database = "nagare";

    @Option(names = "--out", paramLabel = "FILE", description = "Write the DDL to this file instead of the console.")
    Path out;

    @Override
    public Integer call() throws Exception {
        if (!location.startsWith("s3://")) {
            throw new ParameterException(spec.commandLine(), "LOCATION must be an s3:// URI, not '" + location + "'");
        }
        String ddl = AthenaDdl.all(database, location);
        if (out == null) {
            nagare.out.print(ddl);
        } else {
            Files.writeString(out, ddl);
        }
        return Nagare.OK;
    }
}
