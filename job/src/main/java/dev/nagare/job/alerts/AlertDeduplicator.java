package dev.nagare.job.alerts;

import dev.nagare.job.metrics.JobMetrics;
import dev.nagare.job.metrics.Tally;
import dev.nagare.job.schema.Schemas;
import dev.nagare.udf.functions.AlertIdFunction;

import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.table.runtime.typeutils.ExternalTypeInfo;
import org.apache.flink.types.Row;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;

/**
 * One alert per incident. Keyed by rule and group, an incident is one {@code dedup} period of event
 * time (periods aligned to the epoch, so they do not depend on which match arrives first): the
 * first match of a period goes out at once, later matches of the same rule and group in that period
 * merge into it instead of paging again. When the period ends, a merged alert with the same
 * {@code alert_id}, the total count and the last match's time leaves through {@link #MERGED} to the
 * lake only. The id is derived from rule, group and period, so a replay or a restart that sends an
 * incident again sends it under the same id. State is checkpointed and cleared by the period's
 * timer, with a TTL as a backstop.
 */
public final class AlertDeduplicator extends KeyedProcessFunction<String, Row, Row> {
    private static final long serialVersionUID = 1L;

    public static final TypeInformation<Row> ALERT_TYPE = ExternalTypeInfo.of(Schemas.ALERTS);
    public static final OutputTag<Row> MERGED = new OutputTag<>("merged-alerts", ALERT_TYPE);

    private final Map<String, Duration> dedupByRule;

    private transient ValueState<Row> first;
    private transient ValueState<Long> merged;
    private transient ValueState<Long> totalCount;
    /** Epoch ms of the latest merged match's window end (a Flink LONG, never Kryo). */
    private transient ValueState<Long> lastSeen;
    private transient MetricGroup rules;
    private transient Counter alerts;
    private transient Map<String, Counter[]> counters;
    private transient Tally tally;

    /** @param dedupByRule each rule's dedup period */
    public AlertDeduplicator(Map<String, Duration> dedupByRule) {
        this.dedupByRule = new HashMap<>(dedupByRule);
    }

    /** The key: rule, account and group, so two accounts' incidents never merge. */
    public static String key(Row alert) {
        return alert.getField("rule_id") + "\u001f" + scope((String) alert.getField("account"), (String) alert.getField("group_key"));
    }

    /** The group as the alert id sees it: {@code account/group_key}, or the group key alone when the rule has no account. */
    public static String scope(String account, String groupKey) {
        return account == null ? groupKey : account + "/" + groupKey;
    }

    @Override
    public void open(Configuration parameters) {
        Duration longest = dedupByRule.values().stream().max(Duration::compareTo).orElse(Duration.ofHours(1));
        StateTtlConfig ttl = StateTtlConfig.newBuilder(longest.plusDays(1)).build();
        first = state("first", ALERT_TYPE, ttl);
        merged = state("merged", Types.LONG, ttl);
        totalCount = state("total-count", Types.LONG, ttl);
        // Not "last-seen": earlier builds kept a LocalDateTime there through Kryo, which Java 17 refuses
        // to snapshot without --add-opens (every checkpoint with an open incident failed); a snapshot
        // that still holds it restores with that state unread and lastSeenMillis falls back to the
        // first match's window end.
        lastSeen = state("last-seen-ms", Types.LONG, ttl);
        rules = JobMetrics.of(getRuntimeContext().getMetricGroup());
        // Counted here, not in a sink, so the count exists whatever the destination.
        alerts = rules.counter(JobMetrics.ALERTS);
        counters = new HashMap<>();
        tally = new Tally(getRuntimeContext());
    }

    private <T> ValueState<T> state(String name, TypeInformation<T> type, StateTtlConfig ttl) {
        ValueStateDescriptor<T> descriptor = new ValueStateDescriptor<>(name, type);
        descriptor.enableTimeToLive(ttl);
        return getRuntimeContext().getState(descriptor);
    }

    @Override
    public void processElement(Row alert, Context ctx, Collector<Row> out) throws Exception {
        String ruleId = (String) alert.getField("rule_id");
        Counter[] c = counters(ruleId);
        c[0].inc();
        long count = alert.getField("event_count") == null ? 1 : (Long) alert.getField("event_count");
        LocalDateTime end = (LocalDateTime) alert.getField("window_end");
        LocalDateTime periodStart = periodStart(ruleId, end);
        Row open = first.value();
        if (open != null && periodStart.equals(periodStart(ruleId, (LocalDateTime) open.getField("window_end")))) {
            c[2].inc();
            merged.update(merged.value() + 1);
            totalCount.update(totalCount.value() + count);
            long endMillis = millis(end);
            if (endMillis > lastSeenMillis(open)) {
                lastSeen.update(endMillis);
            }
            return;
        }
        if (open != null) {
            emitMerged(ctx); // a late match after the period: close the old incident first
        }
        c[1].inc();
        alerts.inc();
        tally.inc("alerts." + ruleId);
        alert = Row.copy(alert);
        alert.setField("alert_id", AlertIdFunction.alertId(ruleId,
                scope((String) alert.getField("account"), (String) alert.getField("group_key")), periodStart));
        first.update(alert);
        merged.update(0L);
        totalCount.update(count);
        lastSeen.update(millis(end));
        ctx.timerService().registerEventTimeTimer(millis(periodEnd(alert)));
        out.collect(alert);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Row> out) throws Exception {
        Row open = first.value();
        if (open != null && millis(periodEnd(open)) <= timestamp) {
            emitMerged(ctx);
        }
    }

    /** The incident's final alert, if later matches were merged into it; then the state is cleared. */
    private void emitMerged(Context ctx) throws Exception {
        Row open = first.value();
        long mergedMatches = merged.value() == null ? 0 : merged.value();
        if (mergedMatches > 0) {
            LocalDateTime last = LocalDateTime.ofInstant(Instant.ofEpochMilli(lastSeenMillis(open)), ZoneOffset.UTC);
            Row update = Row.copy(open);
            update.setField("event_count", totalCount.value());
            update.setField("window_end", last);
            update.setField("summary", open.getField("summary") + " (+" + mergedMatches + " merged matches until "
                    + last + ")");
            ctx.output(MERGED, update);
        }
        first.clear();
        merged.clear();
        totalCount.clear();
        lastSeen.clear();
    }

    private long lastSeenMillis(Row open) throws Exception {
        Long last = lastSeen.value();
        return last != null ? last : millis((LocalDateTime) open.getField("window_end"));
    }

    private LocalDateTime periodEnd(Row alert) {
        String ruleId = (String) alert.getField("rule_id");
        return periodStart(ruleId, (LocalDateTime) alert.getField("window_end")).plus(period(ruleId));
    }

    /** The start of the dedup period that holds {@code time}. */
    private LocalDateTime periodStart(String ruleId, LocalDateTime time) {
        long period = period(ruleId).toMillis();
        long at = millis(time);
        return LocalDateTime.ofEpochSecond(Math.floorDiv(at, period) * period / 1000, 0, ZoneOffset.UTC);
    }

    private Duration period(String ruleId) {
        return dedupByRule.getOrDefault(ruleId, Duration.ofMinutes(15));
    }

    private static long millis(LocalDateTime time) {
        return time.toInstant(ZoneOffset.UTC).toEpochMilli();
    }

    /** {matches, alerts, suppressed} of a rule (key/value group {@code rule}). */
    private Counter[] counters(String ruleId) {
        return counters.computeIfAbsent(ruleId, id -> {
            MetricGroup group = rules.addGroup("rule", id);
            return new Counter[] {group.counter(JobMetrics.RULE_MATCHES), group.counter(JobMetrics.RULE_ALERTS), group.counter(JobMetrics.RULE_SUPPRESSED)};
        });
    }
}
