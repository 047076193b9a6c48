package dev.nagare.tools.cli;

import dev.nagare.job.NagarePipeline;
import dev.nagare.job.config.ConfigLoader;
import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.config.NagareOptions;
import dev.nagare.tools.local.LocalMain;
import dev.nagare.tools.local.StandIns;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code nagare run}: the job on a local MiniCluster with the web UI, until Ctrl-C. */
@Command(name = "run", description = {
        "Runs the job locally with the Flink web UI.",
        "Runs the job on a local Flink MiniCluster with the web UI (http://localhost:8081), every port on 127.0.0.1,",
        "and prints a status line every few seconds; Ctrl-C cancels the job. Without --config it reads the",
        "bundled demo configuration: the embedded demo stream, a lake in ./data/lake."})
public final class RunCommand implements Callable<Integer> {
    static final String STAND_INS_CONFIG = "/nagare/conf/local-standins.json";

    @ParentCommand
    Nagare nagare;

    @Option(names = "--config", paramLabel = "FILE", description = "Configuration file (property groups, as conf/local.json).")
    Path config;

    @Option(names = "--stand-ins", description = {
            "Start kinesis-local, S3Proxy and an alert endpoint on 127.0.0.1 and run the production keys",
            "against them (default configuration: the bundled conf/local-standins.json). Needs the stand-ins",
            "the build installs (--tools)."})
    boolean standIns;

    @Option(names = "--tools", paramLabel = "DIR", description = {
            "Where the build installed kinesis-local, the S3Proxy classpath and the Flink plugins",
            "(default: job/tools/target, or the nagare.local.tools system property)."})
    Path tools = Path.of(System.getProperty(LocalMain.TOOLS_PROPERTY, "job/tools/target"));

    @Override
    public Integer call() throws Exception {
        NagareConfig loaded;
        if (config != null) {
            loaded = ConfigLoader.load(new String[] {"--config", config.toString()});
        } else if (standIns) {
            loaded = NagareConfig.fromGroups(ConfigLoader.readBundled(STAND_INS_CONFIG));
        } else {
            loaded = ConfigLoader.load(new String[0]);
        }
        if (standIns) {
            loaded = loaded.with(NagareOptions.LOCAL_STAND_INS.key(), "true");
        }
        if (loaded.get(NagareOptions.LOCAL_STAND_INS)) {
            StandIns.check(loaded);
        }
        LocalMain.run(NagarePipeline.from(loaded).resolve(), tools, nagare.out, nagare.err);
        return Nagare.OK;
    }
}
