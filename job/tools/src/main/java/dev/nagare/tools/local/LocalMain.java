package dev.nagare.tools.local;

import dev.nagare.job.alerts.Destination;
import dev.nagare.job.config.ConfigException;
import dev.nagare.job.config.ConfigLoader;
import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.config.NagareOptions;
import dev.nagare.job.rules.Rule;
import dev.nagare.job.rules.RuleException;
import dev.nagare.job.rules.RuleLoader;

import org.apache.flink.api.common.JobStatus;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Runs the job locally ({@link LocalRun}) and prints a status line every few seconds until
 * Ctrl-C, which cancels the job cleanly and stops the stand-ins.
 */
public final class LocalMain {
    /** System property with the folder where the build installed the stand-ins and the Flink plugins. */
    public static final String TOOLS_PROPERTY = "nagare.local.tools";

    private LocalMain() {}

    public static void main(String[] args) throws Exception {
        NagareConfig config;
        List<Rule> rules;
        List<Destination> destinations;
        try {
            config = ConfigLoader.load(args);
            if (config.get(NagareOptions.LOCAL_STAND_INS)) {
                StandIns.check(config);
            }
            rules = RuleLoader.load(config);
            destinations = Destination.fromConfig(config, System::getenv);
        } catch (ConfigException | RuleException e) {
            System.err.println("nagare: " + e.getMessage());
            System.exit(2);
            return;
        }
        run(config, rules, destinations, Path.of(System.getProperty(TOOLS_PROPERTY, "job/target")));
    }

    static void run(NagareConfig config, List<Rule> rules, List<Destination> destinations, Path tools) throws Exception {
        LocalRun run = LocalRun.start(config, rules, destinations, tools, System.out, System.err);
        Thread hook = new Thread(() -> stop(run), "nagare-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        System.out.println("Nagare is running: web UI " + run.webUi() + ", lake " + LocalRun.lakeRoot(config)
                + ", rules " + rules.stream().map(Rule::id).collect(Collectors.joining(", ")) + ". Ctrl-C stops it.");
        long interval = config.get(NagareOptions.LOCAL_STATUS_INTERVAL).toMillis();
        while (true) {
            JobStatus state = run.job().getJobStatus().get(10, TimeUnit.SECONDS);
            System.out.println(run.statusLine());
            if (state.isGloballyTerminalState()) {
                System.out.println("Job " + state.name().toLowerCase() + ".");
                Runtime.getRuntime().removeShutdownHook(hook);
                run.close();
                return;
            }
            TimeUnit.MILLISECONDS.sleep(interval); // the status line's interval
        }
    }

    private static void stop(LocalRun run) {
        try {
            System.out.println("Stopping: cancelling the job and stopping the stand-ins...");
            run.close();
        } catch (Exception e) {
            System.err.println("nagare: could not stop cleanly: " + e.getMessage());
        }
    }
}
