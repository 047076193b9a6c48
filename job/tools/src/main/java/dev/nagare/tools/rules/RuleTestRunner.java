package dev.nagare.tools.rules;

import dev.nagare.job.alerts.AlertOutput;
import dev.nagare.job.NagarePipeline;
import dev.nagare.tools.rules.CollectingAlertSink;
import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.rules.Rule;
import dev.nagare.job.rules.RuleException;
import dev.nagare.job.source.RecordSource;

import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.types.Row;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * Runs rules' test cases through the real job on an embedded cluster: every case's events become
 * CloudWatch records, all cases run in one job (each a week apart in event time, so windows and
 * lookbacks of different cases never meet), and each case's alerts are compared with what it
 * expects.
 */
public final class RuleTestRunner {
    /** Event time of the first case; each further case starts a week later. */
    public static final Instant BASE = Instant.parse("2024-06-03T00:00:00Z");
    public static final Duration SPACING = Duration.ofDays(7);

    private RuleTestRunner() {}

    /** The outcome of one case. */
    public static final class Result {
        public final RuleCase testCase;
        public final boolean passed;
        public final List<String> expected;
        public final List<String> actual;

        Result(RuleCase testCase, List<String> expected, List<String> actual) {
            this.testCase = testCase;
            this.expected = expected;
            this.actual = actual;
            this.passed = expected.equals(actual);
        }

        @Override
        public String toString() {
            String line = (passed ? "PASS " : "FAIL ") + testCase;
            return passed ? line : line + "\n    expected alerts: " + expected + "\n    actual alerts:   " + actual;
        }
    }

    /** The cases of a rule: {@code <id>.test.json} beside its {@code .sql} file. */
    public static List<RuleCase> casesOf(Rule rule) {
        String source = rule.source();
        String testFile = source.substring(0, source.length() - ".sql".length()) + ".test.json";
        String text;
        if (testFile.startsWith("bundled:")) {
            String resource = "/nagare/" + testFile.substring("bundled:".length());
            try (InputStream in = RuleTestRunner.class.getResourceAsStream(resource)) {
                if (in == null) {
                    throw new RuleException(source + ": rule '" + rule.id() + "' has no test cases (" + resource + ")");
                }
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        } else if (testFile.matches("[a-zA-Z][a-zA-Z0-9+.-]+:/.*")) { // a file system URI (s3:/..., file:/...)
            org.apache.flink.core.fs.Path path = new org.apache.flink.core.fs.Path(testFile);
            try (InputStream in = path.getFileSystem().open(path)) {
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (java.io.FileNotFoundException e) {
                throw new RuleException(source + ": rule '" + rule.id() + "' has no test cases (" + testFile + ")");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        } else {
            Path path = Path.of(testFile);
            if (!Files.exists(path)) {
                throw new RuleException(source + ": rule '" + rule.id() + "' has no test cases (" + path + ")");
            }
            try {
                text = Files.readString(path);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return RuleCase.parse(rule.id(), text, testFile);
    }

    /** Runs every case of the given rules in one job and compares. */
    public static List<Result> run(List<Rule> rules, Path work) throws Exception {
        List<RuleCase> cases = new ArrayList<>();
        List<byte[]> records = new ArrayList<>();
        for (Rule rule : rules) {
            for (RuleCase c : casesOf(rule)) {
                records.addAll(c.records(BASE.plus(SPACING.multipliedBy(cases.size())), "case" + cases.size()));
                cases.add(c);
            }
        }
        NagareConfig config = NagareConfig.defaults()
                .with("lake.path", work.resolve("lake").toString())
                .with("job.watermark.out-of-orderness", "5 s");
        String runId = UUID.randomUUID().toString();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        NagarePipeline.from(config).source(RecordSource.of(records)).rules(rules).outputs(AlertOutput.sink("collect", new CollectingAlertSink(runId))).attachTo(env);
        env.execute("nagare rule tests");
        List<Row> alerts = CollectingAlertSink.drain(runId);

        List<Result> results = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) {
            RuleCase c = cases.get(i);
            LocalDateTime from = LocalDateTime.ofInstant(BASE.plus(SPACING.multipliedBy(i)), ZoneOffset.UTC);
            LocalDateTime to = from.plus(SPACING);
            List<String> actual = alerts.stream()
                    .filter(a -> c.ruleId().equals(a.getField("rule_id")))
                    .filter(a -> {
                        // By the window's end: a sliding rule's window may start before the case does.
                        LocalDateTime end = (LocalDateTime) a.getField("window_end");
                        return !end.isBefore(from) && end.isBefore(to);
                    })
                    .map(a -> describe(a, c))
                    .sorted()
                    .collect(Collectors.toList());
            List<String> expected = c.expected().stream().map(RuleCase.Expected::toString).sorted().collect(Collectors.toList());
            results.add(new Result(c, expected, actual));
        }
        return results;
    }

    /** An alert as the case would write it: count and account only where the case pins them. */
    private static String describe(Row alert, RuleCase c) {
        String group = String.valueOf(alert.getField("group_key"));
        boolean withCount = c.expected().stream().anyMatch(e -> e.groupKey.equals(group) && e.eventCount != null);
        boolean withAccount = c.expected().stream().anyMatch(e -> e.account != null);
        return (withAccount ? "account=" + alert.getField("account") + " " : "") + group
                + (withCount ? " count=" + alert.getField("event_count") : "");
    }
}
