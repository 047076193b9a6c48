package dev.nagare.tools.local;

import dev.nagare.job.NagarePipeline;
import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.config.NagareOptions;
import dev.nagare.job.rules.Rule;

import org.apache.flink.api.common.JobStatus;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Runs the job locally ({@link LocalRun}, {@code nagare run}) and prints a status line every few seconds until
 * Ctrl-C, which cancels the job cleanly and stops the stand-ins.
 */
public final class LocalMain {
    /** System property with the folder where the build installed the stand-ins and the Flink plugins. */
    public static final String TOOLS_PROPERTY = "nagare.local.tools";

    private LocalMain() {}

    /** Runs until the job ends or Ctrl-C. */
    public static void run(NagarePipeline pipeline, Path tools, PrintStream out, PrintStream err) throws Exception {
        NagareConfig config = pipeline.config();
        LocalRun run = LocalRun.start(pipeline, tools, out, err);
        Thread hook = new Thread(() -> stop(run, out, err), "nagare-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        out.println("Nagare is running: web UI " + run.webUi() + ", lake " + LocalRun.lakeRoot(config)
                + ", rules " + pipeline.rules().stream().map(Rule::id).collect(Collectors.joining(", ")) + ". Ctrl-C stops it.");
        long interval = config.get(NagareOptions.LOCAL_STATUS_INTERVAL).toMillis();
        while (true) {
            JobStatus state = run.job().getJobStatus().get(10, TimeUnit.SECONDS);
            out.println(run.statusLine());
            if (state.isGloballyTerminalState()) {
                out.println("Job " + state.name().toLowerCase() + ".");
                Runtime.getRuntime().removeShutdownHook(hook);
                run.close();
                return;
            }
            TimeUnit.MILLISECONDS.sleep(interval); // the status line's interval
        }
    }

    private static void stop(LocalRun run, PrintStream out, PrintStream err) {
        try {
            out.println("Stopping: cancelling the job and stopping the stand-ins...");
            run.close();
        } catch (Exception e) {
            err.println("nagare: could not stop cleanly: " + e.getMessage());
        }
    }
}
