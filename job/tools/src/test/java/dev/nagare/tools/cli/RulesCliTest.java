package dev.nagare.tools.cli;

import dev.nagare.job.testing.MiniClusters;

import org.apache.flink.test.junit5.MiniClusterExtension;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code rules validate} and {@code rules test} on the bundled pack (every bundled rule's cases run
 * here, through the real job), on a broken rule and on a failing case.
 */
class RulesCliTest {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = MiniClusters.extension();

    @TempDir
    Path dir;

    /** Runs the CLI; its output is kept off the console (a "N passed, M failed" line there would look like a test summary). */
    private static Run cli(String... args) throws Exception {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        String[] command = new String[args.length + 1];
        command[0] = "rules";
        System.arraycopy(args, 0, command, 1, args.length);
        PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8);
        int code = Nagare.execute(out, out, command);
        return new Run(code, buffer.toString(StandardCharsets.UTF_8));
    }

    @Test
    void theBundledPackValidates() throws Exception {
        Run run = cli("validate");
        assertThat(run.output).contains("ok   app_error_rate (5 test cases) reads log types app",
                        "ok   db_privilege_change (3 test cases) reads log types mysql_audit, postgres_audit",
                        "aws_cloudtrail_tampering (2 test cases) reads log types cloudtrail where aws_event_name in (DeleteTrail,"
                                + " PutEventSelectors, PutInsightSelectors, StopLogging, UpdateTrail) and aws_event_source in"
                                + " (cloudtrail.amazonaws.com)")
                .doesNotContainPattern("(?m)^FAIL");
        // No bundled rule has an OVER range longer than an hour (db_unusual_client's lookback is not one).
        assertThat(run.output).doesNotContain("warn ");
        assertThat(run.code).isZero();
    }

    @Test
    void overRangesLongerThanAnHourAreFound() {
        assertThat(RulesCli.longOverRanges("COUNT(*) OVER (PARTITION BY a ORDER BY event_time\n RANGE BETWEEN INTERVAL '7' DAY PRECEDING"
                + " AND CURRENT ROW), MIN(x) OVER (ORDER BY event_time range between interval '60' minute preceding and current row),"
                + " MAX(x) OVER (ORDER BY event_time RANGE BETWEEN INTERVAL '2' HOUR PRECEDING AND CURRENT ROW)"))
                .containsExactly("7 DAY", "2 HOUR");
    }

    @Test
    void aRuleThatKeepsWholeEventsInItsWindowStateIsWarnedAbout() throws Exception {
        Files.writeString(dir.resolve("config.json"),
                "[{\"PropertyGroupId\":\"rules\",\"PropertyMap\":{\"directory\":\"" + dir.toString().replace("\\", "\\\\") + "\"}}]");
        String bundled = Files.readString(Path.of("../../sql/rules/db_failed_login_burst.sql"));
        String columns = "SELECT account, db_client_host, db_user, log_group, event_time,";
        assertThat(bundled).contains(columns);
        // The same rule reading SELECT * below its OVER window.
        Files.writeString(dir.resolve("db_failed_login_burst.sql"), bundled.replace(columns, "SELECT *,"));
        Files.copy(Path.of("../../sql/rules/db_failed_login_burst.test.json"), dir.resolve("db_failed_login_burst.test.json"));
        Run run = cli("validate", "--config", dir.resolve("config.json").toString());
        assertThat(run.output).containsPattern("warn db_failed_login_burst: \\d+ of the \\d+ columns of logs are shuffled and kept in the state")
                .doesNotContainPattern("(?m)^FAIL");
        assertThat(run.output.lines().filter(line -> line.startsWith("warn "))).hasSize(1);
        assertThat(run.code).isZero();
    }

    @Test
    void aRuleWithMatchRecognizeIsWarnedAboutAndFindsWhatTheBundledAggregateFinds() throws Exception {
        for (String name : List.of("login_sequence_pattern.sql", "login_sequence_pattern.test.json")) {
            try (InputStream in = RulesCliTest.class.getResourceAsStream("/rules-with-pattern/" + name)) {
                Files.copy(in, dir.resolve(name));
            }
        }
        Run validate = cli("validate", "--rules", dir.toString());
        assertThat(validate.output).contains("warn login_sequence_pattern: MATCH_RECOGNIZE wakes every key with rows buffered at each watermark")
                .doesNotContainPattern("(?m)^FAIL");
        assertThat(validate.code).isZero();
        Run test = cli("test", "--rules", dir.toString());
        assertThat(test.output).contains("4 passed, 0 failed");
        assertThat(test.code).isZero();
    }

    @Test
    void everyBundledCasePasses() throws Exception {
        Run run = cli("test");
        assertThat(run.output)
                .contains("PASS app_error_rate: a third of one minute's events are errors: fires with the window's count")
                .contains("PASS db_privilege_change: grant in a string, a failed GRANT and ordinary statements: no alert")
                .doesNotContainPattern("(?m)^FAIL");
        assertThat(run.code).as(run.output).isZero();
    }

    @Test
    void aBrokenRuleFailsValidationWithItsPosition() throws Exception {
        Files.writeString(dir.resolve("broken_rule.sql"), "-- id: broken_rule\n-- title: t\n-- severity: low\n"
                + "-- description: d\n-- runbook: r\nSELECT service AS group_key\nFROM logz\n");
        Files.writeString(dir.resolve("config.json"),
                "[{\"PropertyGroupId\":\"rules\",\"PropertyMap\":{\"directory\":\"" + dir.toString().replace("\\", "\\\\") + "\"}}]");
        Run run = cli("validate", "--config", dir.resolve("config.json").toString());
        assertThat(run.code).isEqualTo(1);
        assertThat(run.output).contains("FAIL Rule 'broken_rule' (" + dir.resolve("broken_rule.sql") + ":7:6) does not compile: ")
                .contains("Object 'logz' not found")
                .contains("ok   app_error_rate");
    }

    @Test
    void aBadStateTtlFailsValidationWithFileAndKey() throws Exception {
        Files.writeString(dir.resolve("config.json"),
                "[{\"PropertyGroupId\":\"rules\",\"PropertyMap\":{\"directory\":\"" + dir.toString().replace("\\", "\\\\") + "\"}}]");
        // Shorter than the 7-day lookback it must outlive.
        Files.writeString(dir.resolve("db_unusual_client.sql"),
                Files.readString(Path.of("../../sql/rules/db_unusual_client.sql")).replace("-- state-ttl: 8d", "-- state-ttl: 2h"));
        Run run = cli("validate", "--config", dir.resolve("config.json").toString());
        assertThat(run.code).isEqualTo(1);
        assertThat(run.output).contains("FAIL " + dir.resolve("db_unusual_client.sql") + ": rule 'db_unusual_client' has "
                + "state-ttl '2h', not longer than its longest interval (7 d)");
        // Not a duration.
        Files.writeString(dir.resolve("db_unusual_client.sql"),
                Files.readString(Path.of("../../sql/rules/db_unusual_client.sql")).replace("-- state-ttl: 8d", "-- state-ttl: a week"));
        run = cli("validate", "--config", dir.resolve("config.json").toString());
        assertThat(run.code).isEqualTo(1);
        assertThat(run.output).contains("FAIL " + dir.resolve("db_unusual_client.sql") + ": rule 'db_unusual_client' has "
                + "state-ttl 'a week'; allowed: a whole number of seconds from 1m to 365d");
        // No header, and a default shorter than the rule's lookback.
        Files.writeString(dir.resolve("db_unusual_client.sql"),
                Files.readString(Path.of("../../sql/rules/db_unusual_client.sql")).replace("-- state-ttl: 8d\n", ""));
        run = cli("validate", "--config", dir.resolve("config.json").toString());
        assertThat(run.code).isEqualTo(1);
        assertThat(run.output).contains("FAIL " + dir.resolve("db_unusual_client.sql") + ": rule 'db_unusual_client' spans 7 d "
                + "(its longest interval) but has no state-ttl and the default rules.default-state-ttl is 1 d");
    }

    @Test
    void aFailingCaseShowsExpectedAndActual() throws Exception {
        // The bundled rule, with a case that expects the wrong group.
        Files.copy(Path.of("../../sql/rules/db_privilege_change.sql"), dir.resolve("db_privilege_change.sql"));
        Files.writeString(dir.resolve("db_privilege_change.test.json"), "{\"cases\": [{\"name\": \"wrong expectation\","
                + "\"events\": [{\"log_group\": \"/aws/rds/cluster/db/audit\", \"message\": "
                + "\"${epoch_us},db-1,dba,10.0.0.1,1,2,QUERY,mysql,'GRANT ALL ON *.* TO x',0\"}],"
                + "\"expect\": [{\"group_key\": \"someone@else\"}]}]}");
        Files.writeString(dir.resolve("config.json"),
                "[{\"PropertyGroupId\":\"rules\",\"PropertyMap\":{\"directory\":\"" + dir.toString().replace("\\", "\\\\") + "\"}}]");
        Run run = cli("test", "--config", dir.resolve("config.json").toString(), "db_privilege_change");
        assertThat(run.code).isEqualTo(1);
        assertThat(run.output).contains("FAIL db_privilege_change: wrong expectation\n"
                + "    expected alerts: [someone@else]\n"
                + "    actual alerts:   [dba@10.0.0.1]");
    }

    @Test
    void rulesFromAFileSystemUriExtendThePack() throws Exception {
        Files.copy(Path.of("../../sql/rules/db_bulk_read.sql"), dir.resolve("db_bulk_read.sql"));
        Files.copy(Path.of("../../sql/rules/db_bulk_read.test.json"), dir.resolve("db_bulk_read.test.json"));
        // Same code path as s3://: Flink's file systems, here with a file:// URI.
        Files.writeString(dir.resolve("config.json"), "[{\"PropertyGroupId\":\"rules\",\"PropertyMap\":{\"directory\":\""
                + dir.toUri() + "\"}}]");
        Run run = cli("test", "--config", dir.resolve("config.json").toString(), "db_bulk_read");
        assertThat(run.output).contains("PASS db_bulk_read: whole customers and payment_cards tables read");
        assertThat(run.code).as(run.output).isZero();
    }

    @Test
    void unknownCommandOrRule() throws Exception {
        assertThat(cli("explain").code).isEqualTo(2);
        assertThat(cli("test", "--no-such-option").output).isEqualTo(
                "nagare: Unknown option: '--no-such-option' (see 'nagare rules test --help')\n");
        Run run = cli("test", "no_such_rule");
        assertThat(run.code).isEqualTo(1);
        assertThat(run.output).contains("FAIL unknown rule ids: [no_such_rule]");
    }

    private static final class Run {
        final int code;
        final String output;

        Run(int code, String output) {
            this.code = code;
            this.output = output;
        }
    }
}
