package dev.nagare.tools.cli;


import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code nagare replay FILES...}: a backtest of the rules on captured Kinesis records ({@link ReplayMain}). */
@Command(name = "replay", description = {
        "Replays captured Kinesis records through the job (a backtest).",
        "Runs captured Kinesis records (one per line: `aws kinesis get-records` JSON or base64 data) through the",
        "same pipeline on a local MiniCluster, bounded: writes the lake, prints alerts and a summary. A progress",
        "line (records read of total, events/s, alerts, elapsed) goes to stderr while it runs."})
public final class ReplayCommand implements Callable<Integer> {
    @ParentCommand
    Nagare nagare;

    @Option(names = "--config", paramLabel = "FILE", description = "Configuration file (lake.path, rules, parse settings).")
    String config;

    @Option(names = "--progress-every", paramLabel = "SECONDS", description = "Seconds between progress lines (default: ${DEFAULT-VALUE}).")
    int progressSeconds = 2;

    @Parameters(paramLabel = "FILES", arity = "1..*", description = "Files of captured records (local paths or s3:// URIs).")
    List<String> files;

    @Override
    public Integer call() throws Exception {
        return ReplayMain.run(config, files, nagare.out, nagare.err, Duration.ofSeconds(Math.max(1, progressSeconds)));
    }
}
