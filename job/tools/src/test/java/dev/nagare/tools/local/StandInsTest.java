package dev.nagare.tools.local;

import dev.nagare.job.config.ConfigException;
import dev.nagare.job.config.ConfigLoader;
import dev.nagare.job.config.NagareConfig;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What a local run with stand-ins accepts, checked before anything starts. */
class StandInsTest {
    private static final NagareConfig SHIPPED = ConfigLoader.load(new String[] {"--config", "../../conf/local-standins.json"});

    @Test
    void theShippedStandInConfigurationPasses() {
        assertThatCode(() -> StandIns.check(SHIPPED)).doesNotThrowAnyException();
    }

    @Test
    void theDemoSourceIsRefused() {
        assertThatThrownBy(() -> StandIns.check(SHIPPED.with("source.type", "demo")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("Invalid configuration value 'demo' for key 'type' in group 'source': must be 'kinesis' "
                        + "when local.stand-ins is true (the demo generator feeds the stand-in stream)");
    }

    @Test
    void endpointsMustBePlainHttpOnLoopback() {
        assertThatThrownBy(() -> StandIns.check(SHIPPED.with("source.kinesis.endpoint", "https://kinesis.us-east-1.amazonaws.com")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("Invalid configuration value 'https://kinesis.us-east-1.amazonaws.com' for key 'kinesis.endpoint' "
                        + "in group 'source': must be http://127.0.0.1:<port> or http://localhost:<port> when local.stand-ins is true");
        assertThatThrownBy(() -> StandIns.check(SHIPPED.with("local.s3.endpoint", "http://10.0.0.5:9000")))
                .hasMessageContaining("for key 's3.endpoint' in group 'local'");
        assertThatThrownBy(() -> StandIns.check(SHIPPED.with("source.kinesis.endpoint", "http://127.0.0.1")))
                .hasMessageContaining("must be http://127.0.0.1:<port>");
    }

    @Test
    void anS3LakeNeedsTheS3StandIn() {
        NagareConfig withoutS3 = ConfigLoader.load(new String[] {"--config", "../../conf/production.json"})
                .with("source.kinesis.endpoint", "http://127.0.0.1:4567")
                .with("local.stand-ins", "true");
        assertThatThrownBy(() -> StandIns.check(withoutS3))
                .hasMessage("Invalid configuration value 's3://nagare-lake/nagare' for key 'path' in group 'lake': "
                        + "needs local.s3.endpoint (the S3Proxy stand-in) when local.stand-ins is true");
        // A local lake folder needs no S3 stand-in.
        assertThatCode(() -> StandIns.check(withoutS3.with("lake.path", "./data/lake"))).doesNotThrowAnyException();
    }

    @Test
    void theKinesisEndpointIsRequired() {
        NagareConfig production = ConfigLoader.load(new String[] {"--config", "../../conf/production.json"});
        assertThatThrownBy(() -> StandIns.check(production))
                .hasMessage("Invalid configuration: local.stand-ins needs the key 'kinesis.endpoint' in group 'source'");
    }

    @Test
    void alertEndpointPrintsOneLinePerBodyShape() {
        assertThat(AlertEndpoint.describe("{\"text\":\"[HIGH] Error rate: orders-api: 124 of 197\",\"blocks\":[]}"))
                .isEqualTo("[HIGH] Error rate: orders-api: 124 of 197");
        assertThat(AlertEndpoint.describe("{\"rule_id\":\"db_privilege_change\",\"severity\":\"critical\","
                + "\"group_key\":\"dba_temp\",\"summary\":\"GRANT ALL\"}"))
                .isEqualTo("[CRITICAL] db_privilege_change [dba_temp]: GRANT ALL");
        assertThat(AlertEndpoint.describe("not json")).isEqualTo("not json");
    }
}
