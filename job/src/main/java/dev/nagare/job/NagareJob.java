package dev.nagare.job;

import dev.nagare.job.alerts.PrintAlertSink;
import dev.nagare.job.alerts.Destination;
import dev.nagare.job.config.ConfigException;
import dev.nagare.job.config.ConfigLoader;
import dev.nagare.job.config.DurableState;
import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.config.NagareOptions;
import dev.nagare.job.rules.Rule;
import dev.nagare.job.rules.RuleException;
import dev.nagare.job.rules.RuleLoader;

import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * Entry point on a Flink cluster and on Managed Service for Apache Flink: reads the configuration
 * (runtime properties there, {@code --config FILE} elsewhere; never the local demo default, see
 * {@link ConfigLoader#loadForCluster}), loads the rules and submits the pipeline.
 */
public final class NagareJob {
    private static final Logger LOG = LoggerFactory.getLogger(NagareJob.class);

    private NagareJob() {}

    public static void main(String[] args) throws Exception {
        NagareConfig config;
        List<Rule> rules;
        List<Destination> destinations;
        try {
            config = ConfigLoader.loadForCluster(args);
            rules = RuleLoader.load(config);
            destinations = Destination.fromConfig(config, System::getenv);
        } catch (ConfigException | RuleException e) {
            // One clear line first; the exception then fails the submission.
            LOG.error(e.getMessage());
            System.err.println("nagare: " + e.getMessage());
            throw e;
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        try {
            // Managed Flink names its own checkpoint storage; elsewhere job.checkpoint.dir or the
            // cluster's configuration must, or the job does not start.
            env.configure(DurableState.settings(env.getConfiguration(), config));
        } catch (ConfigException e) {
            LOG.error(e.getMessage());
            System.err.println("nagare: " + e.getMessage());
            throw e;
        }
        if (!env.getCheckpointConfig().isCheckpointingEnabled()) {
            // Managed Flink configures checkpoints itself; elsewhere the lake needs them to commit files.
            env.enableCheckpointing(config.get(NagareOptions.CHECKPOINT_INTERVAL).toMillis());
        }
        LOG.info("Starting Nagare with {} rules: {}", rules.size(), rules.stream().map(Rule::id).toArray());
        new NagarePipeline(config, Sources.create(config), alertSink(config), destinations, rules).attachTo(env);
        env.execute("nagare");
    }

    /** The console alert output when {@code alerts.print} is on, else none. */
    public static PrintAlertSink alertSink(NagareConfig config) {
        return config.get(NagareOptions.ALERTS_PRINT) ? new PrintAlertSink() : null;
    }
}
