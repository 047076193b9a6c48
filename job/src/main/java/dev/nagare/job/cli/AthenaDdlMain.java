package dev.nagare.job.cli;

import dev.nagare.job.lake.AthenaDdl;

/**
 * Prints the Athena DDL of every lake table: {@code AthenaDdlMain s3://bucket/prefix [database]}.
 * The same text, for a placeholder bucket, is kept in {@code docs/athena/tables.sql} and checked
 * by the test suite, so it cannot drift from the sinks.
 */
public final class AthenaDdlMain {
    private AthenaDdlMain() {}

    public static void main(String[] args) {
        if (args.length < 1 || !args[0].startsWith("s3://")) {
            System.err.println("usage: AthenaDdlMain s3://bucket/prefix [database]");
            System.exit(2);
        }
        System.out.print(AthenaDdl.all(args.length > 1 ? args[1] : "nagare", args[0]));
    }
}
