package dev.nagare.job;

import dev.nagare.job.config.ConfigException;
import dev.nagare.job.config.ConfigLoader;
import dev.nagare.job.config.DurableState;
import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.rules.RuleException;

import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Entry point on a Flink cluster and on Managed Service for Apache Flink: the job the
 * configuration describes (runtime properties there, {@code --config FILE} elsewhere; never the
 * local demo default, see {@link ConfigLoader#loadForCluster}), on durable state.
 */
public final class NagareJob {
    private static final Logger LOG = LoggerFactory.getLogger(NagareJob.class);

    private NagareJob() {}

    public static void main(String[] args) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        try {
            NagareConfig config = ConfigLoader.loadForCluster(args);
            DurableState.configure(env, config);
            NagarePipeline.from(config).attachTo(env);
        } catch (ConfigException | RuleException e) {
            // One clear line first; the exception then fails the submission.
            LOG.error(e.getMessage());
            System.err.println("nagare: " + e.getMessage());
            throw e;
        }
        env.execute("nagare");
    }
}
