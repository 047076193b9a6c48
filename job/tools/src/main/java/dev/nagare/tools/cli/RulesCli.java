package dev.nagare.tools.cli;

import dev.nagare.job.NagarePipeline;
import dev.nagare.job.decode.DecodeFunction;
import dev.nagare.job.rules.Rule;
import dev.nagare.job.rules.RuleCompiler;
import dev.nagare.job.rules.RuleException;
import dev.nagare.job.rules.RuleRoutes;
import dev.nagare.job.schema.Schemas;
import dev.nagare.tools.rules.RuleTestRunner;

import org.apache.flink.api.dag.Transformation;
import org.apache.flink.cep.operator.CepOperator;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.operators.SimpleOperatorFactory;
import org.apache.flink.streaming.api.transformations.OneInputTransformation;
import org.apache.flink.streaming.api.transformations.PartitionTransformation;
import org.apache.flink.table.api.TableException;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.runtime.typeutils.InternalTypeInfo;
import org.apache.flink.table.types.DataType;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.types.Row;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * {@code nagare rules validate} plans every rule against the real schema without running
 * anything; {@code nagare rules test [id...]} runs the rules' test cases through the real job on
 * an embedded cluster ({@link RulesCommand} reads the rules).
 */
public final class RulesCli {
    private RulesCli() {}

    /** Plans and translates every rule against the real schema, with warnings for costly shapes; 1 when any does not compile. */
    public static int validate(List<Rule> rules, PrintStream out) {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        StreamTableEnvironment tEnv = StreamTableEnvironment.create(env);
        // One row of the logs type gives the planner its input; nothing runs.
        DataStream<RowData> logs = NagarePipeline.registerSqlEnvironment(tEnv,
                env.fromData(DecodeFunction.LOGS_ROWDATA_TYPE, new GenericRowData(DataType.getFieldCount(Schemas.LOGS))));
        int failed = 0;
        for (Rule rule : rules) {
            try {
                DataStream<Row> alerts = RuleCompiler.translate(tEnv, rule, logs, Duration.ofDays(1));
                int cases = RuleTestRunner.casesOf(rule).size();
                out.println("ok   " + rule.id() + " (" + cases + " test cases) reads " + describeRoute(RuleCompiler.route(tEnv, rule)));
                longOverRanges(rule.sql()).forEach(range -> out.println("warn " + rule.id() + ": OVER window of "
                        + range + " (RANGE ... PRECEDING): every timer rescans the events kept for the range, so its cost per event"
                        + " grows with the traffic in it, on RocksDB most; keep OVER ranges within 1 hour, or use a window"
                        + " aggregation or keyed last-seen state (db_unusual_client)"));
                if (usesPatternOperator(alerts, logs)) {
                    out.println("warn " + rule.id() + ": MATCH_RECOGNIZE wakes every key with rows buffered at each watermark"
                            + " (the job sends it watermarks in steps, rules.sequence-watermark-step) and lists all the key's"
                            + " buffered rows each time; on RocksDB each listing seeks through the tombstones of"
                            + " the rows it already processed, so its cost per event grows with the key's traffic. Feed it only"
                            + " the events the pattern needs, or use an OVER window with an aggregate"
                            + " (SUCCESS_AFTER_FAILURES, as db_bruteforce_then_success does)");
                }
                int shuffled = logColumnsShuffled(alerts, logs);
                int all = DataType.getFieldNames(Schemas.LOGS).size();
                if (shuffled > all / 2) {
                    out.println("warn " + rule.id() + ": " + shuffled + " of the " + all + " columns of logs are shuffled"
                            + " and kept in the state of an OVER window, MATCH_RECOGNIZE or join (a SELECT * below it):"
                            + " select only the columns the rule reads there; messages, queries and attributes make each"
                            + " event's state many times larger");
                }
            } catch (RuleException e) {
                failed++;
                out.println("FAIL " + e.getMessage());
            } catch (TableException | ValidationException e) {
                // Planned but not translatable (an operation streaming SQL does not support here).
                failed++;
                out.println("FAIL Rule '" + rule.id() + "' (" + rule.source() + ") cannot run as a stream: " + e.getMessage());
            }
        }
        out.println((rules.size() - failed) + " passed, " + failed + " failed");
        return failed == 0 ? 0 : 1;
    }

    /** What a rule's route lets through: "log types app where aws_event_name in (A, B)", or "every log type". */
    static String describeRoute(Map<String, Set<String>> route) {
        Set<String> types = route.get(RuleRoutes.LOG_TYPE);
        StringBuilder text = new StringBuilder(types == null ? "every log type" : "log types " + String.join(", ", types));
        String where = route.entrySet().stream()
                .filter(column -> !column.getKey().equals(RuleRoutes.LOG_TYPE))
                .map(column -> column.getKey() + " in (" + String.join(", ", column.getValue()) + ")")
                .collect(Collectors.joining(" and "));
        return where.isEmpty() ? text.toString() : text.append(" where ").append(where).toString();
    }

    /**
     * The most columns of {@code logs} a rule sends through one shuffle, 0 when none. The planner
     * prunes columns for window aggregates, but not below an OVER window or a MATCH_RECOGNIZE that
     * reads {@code SELECT *} (only the columns its filter fixes drop out), and what such an operator
     * receives it keeps in its state.
     */
    static int logColumnsShuffled(DataStream<?> alerts, DataStream<?> logs) {
        List<String> columns = DataType.getFieldNames(Schemas.LOGS);
        int most = 0;
        for (Transformation<?> t : ruleTransformations(alerts, logs)) {
            if (t instanceof PartitionTransformation && t.getOutputType() instanceof InternalTypeInfo
                    && ((InternalTypeInfo<?>) t.getOutputType()).toLogicalType() instanceof RowType) {
                List<String> shuffled = ((RowType) ((InternalTypeInfo<?>) t.getOutputType()).toLogicalType()).getFieldNames();
                most = Math.max(most, (int) columns.stream().filter(shuffled::contains).count());
            }
        }
        return most;
    }

    /** True when the rule's plan has Flink's pattern operator ({@code MATCH_RECOGNIZE}). */
    static boolean usesPatternOperator(DataStream<?> alerts, DataStream<?> logs) {
        return ruleTransformations(alerts, logs).stream().anyMatch(t -> t instanceof OneInputTransformation
                && ((OneInputTransformation<?, ?>) t).getOperatorFactory() instanceof SimpleOperatorFactory
                && ((SimpleOperatorFactory<?>) ((OneInputTransformation<?, ?>) t).getOperatorFactory()).getOperator()
                        instanceof CepOperator);
    }

    /** The transformations a rule's plan adds: from its alerts back to, not including, the {@code logs} stream. */
    private static Set<Transformation<?>> ruleTransformations(DataStream<?> alerts, DataStream<?> logs) {
        Deque<Transformation<?>> pending = new ArrayDeque<>(List.of(alerts.getTransformation()));
        Set<Transformation<?>> seen = new LinkedHashSet<>();
        while (!pending.isEmpty()) {
            Transformation<?> t = pending.pop();
            if (t != logs.getTransformation() && seen.add(t)) {
                pending.addAll(t.getInputs());
            }
        }
        return seen;
    }

    /** An OVER window's {@code RANGE BETWEEN INTERVAL 'n' UNIT PRECEDING}, with its amount and unit. */
    private static final Pattern OVER_RANGE = Pattern.compile(
            "RANGE\\s+BETWEEN\\s+INTERVAL\\s+'(\\d{1,9})'\\s+(SECOND|MINUTE|HOUR|DAY)S?\\s+PRECEDING", Pattern.CASE_INSENSITIVE);

    /** The OVER ranges of a rule's SQL longer than one hour, as written ("7 DAY"). */
    static List<String> longOverRanges(String sql) {
        List<String> ranges = new ArrayList<>();
        Matcher m = OVER_RANGE.matcher(sql);
        while (m.find()) {
            long amount = Long.parseLong(m.group(1));
            ChronoUnit unit = ChronoUnit.valueOf(m.group(2).toUpperCase(Locale.ROOT) + "S");
            if (Duration.of(amount, unit).compareTo(Duration.ofHours(1)) > 0) {
                ranges.add(amount + " " + m.group(2).toUpperCase(Locale.ROOT));
            }
        }
        return ranges;
    }

    /** Runs the rules' cases (of the given ids, or all); 1 when any fails. */
    public static int test(List<Rule> rules, List<String> ids, PrintStream out) throws Exception {
        List<Rule> selected = ids.isEmpty() ? rules
                : rules.stream().filter(r -> ids.contains(r.id())).collect(Collectors.toList());
        if (selected.size() < ids.size()) {
            out.println("FAIL unknown rule ids: " + ids.stream().filter(id -> rules.stream().noneMatch(r -> r.id().equals(id)))
                    .collect(Collectors.toList()));
            return 1;
        }
        Path work = Files.createTempDirectory("nagare-rule-tests");
        List<RuleTestRunner.Result> results;
        try {
            results = RuleTestRunner.run(selected, work);
        } catch (RuleException e) {
            out.println("FAIL " + e.getMessage());
            return 1;
        } finally {
            deleteRecursively(work);
        }
        results.forEach(out::println);
        long failed = results.stream().filter(r -> !r.passed).count();
        out.println((results.size() - failed) + " passed, " + failed + " failed");
        return failed == 0 ? 0 : 1;
    }

    private static void deleteRecursively(Path dir) throws java.io.IOException {
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).collect(Collectors.toList())) {
                Files.deleteIfExists(p);
            }
        }
    }
}
