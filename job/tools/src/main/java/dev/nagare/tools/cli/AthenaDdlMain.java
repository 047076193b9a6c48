package dev.nagare.tools.cli;

import dev.nagare.job.lake.AthenaDdl;

/**
 * Prints the Athena DDL of every lake table: {@code AthenaDdlMain s3://bucket/prefix [database]}.
 * The same text, for a placeholder bucket, is kept in {@code docs/athena/tables.sql} and checked
 * by the test suite, so it cannot drift from the sinks.
 */
public final class AthenaDdlMain {
    private AthenaDdlMain() {}

    public static void main(String[] args) throws java.io.IOException {
        String out = dev.nagare.job.config.ConfigLoader.argument(args, "--out");
        java.util.List<String> words = dev.nagare.job.config.ConfigLoader.withoutOption(args, "--out");
        if (words.isEmpty() || !words.get(0).startsWith("s3://")) {
            System.err.println("usage: AthenaDdlMain s3://bucket/prefix [database] [--out FILE]");
            System.exit(2);
        }
        String ddl = AthenaDdl.all(words.size() > 1 ? words.get(1) : "nagare", words.get(0));
        if (out == null) {
            System.out.print(ddl);
        } else {
            java.nio.file.Files.writeString(java.nio.file.Path.of(out), ddl);
        }
    }
}
