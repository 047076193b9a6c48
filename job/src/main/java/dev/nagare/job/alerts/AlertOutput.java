package dev.nagare.job.alerts;

import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.config.NagareOptions;
import dev.nagare.job.schema.Schemas;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.table.runtime.typeutils.ExternalTypeInfo;
import org.apache.flink.types.Row;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Where a job's alerts go besides the lake, which always gets them: printed, any Flink sink (a
 * test's collector), or a delivered destination (webhook, Lambda). Every output attaches itself
 * to the one stream of alerts (one per incident); a delivered one gives back what it could not
 * deliver, which the pipeline stores in {@code alerts_undelivered}.
 */
@FunctionalInterface
public interface AlertOutput {
    /**
     * Adds this output's operators behind {@code alerts}.
     *
     * @param tagsByRule each rule's tags, for outputs that take only some rules
     * @return the alerts this output could not deliver (rows of {@code alerts_undelivered}), if it delivers
     */
    Optional<DataStream<Row>> attach(DataStream<Row> alerts, Map<String, List<String>> tagsByRule);

    /** The outputs {@code alerts.*} names: printed when {@code alerts.print} is on, then each destination. */
    static List<AlertOutput> fromConfig(NagareConfig config, Function<String, String> env) {
        List<AlertOutput> outputs = new ArrayList<>();
        if (config.get(NagareOptions.ALERTS_PRINT)) {
            outputs.add(print());
        }
        outputs.addAll(destinations(config, env));
        return outputs;
    }

    /** The webhook and Lambda destinations of {@code alerts.*}, without printing. */
    static List<AlertOutput> destinations(NagareConfig config, Function<String, String> env) {
        List<AlertOutput> outputs = new ArrayList<>();
        Destination.fromConfig(config, env).forEach(destination -> outputs.add(deliver(destination)));
        return outputs;
    }

    /** Each alert as one line on stdout (the task manager's {@code .out} file on a cluster). */
    static AlertOutput print() {
        return sink("print", new PrintAlertSink());
    }

    /** Each alert into a Flink sink; {@code name} makes its operator's name and uid. */
    static AlertOutput sink(String name, Sink<Row> sink) {
        return (alerts, tagsByRule) -> {
            alerts.sinkTo(sink).name("alert-" + name).uid("alert-" + name);
            return Optional.empty();
        };
    }

    /**
     * Each alert the destination's filter takes, sent through its own bounded queue that never
     * blocks (see {@link DeliveryFunction}); what could not be delivered comes back.
     *
     * <p>The routed alerts lose their watermarks: Flink's unordered async operator holds every
     * result behind a watermark until all alerts before that watermark are done, so an alert
     * turned away at once would still wait (and fill the operator's queue) for alerts that wait up
     * to {@code alerts.retry.max-wait}. Undelivered rows need no event time: their table is
     * partitioned by {@code failed_at} and committed on processing time.
     */
    static AlertOutput deliver(Destination destination) {
        return (alerts, tagsByRule) -> {
            DataStream<Row> routed = alerts
                    .filter(alert -> destination.accepts(alert, tagsByRule))
                    .name("route-to-" + destination.name())
                    .uid("route-to-" + destination.name())
                    .assignTimestampsAndWatermarks(WatermarkStrategy.<Row>noWatermarks())
                    .name("no-watermarks-to-" + destination.name())
                    .uid("no-watermarks-to-" + destination.name());
            return Optional.of(AsyncDataStream.unorderedWait(routed, new DeliveryFunction(destination),
                            destination.asyncTimeout().toMillis(), TimeUnit.MILLISECONDS, destination.asyncCapacity())
                    .returns(ExternalTypeInfo.of(Schemas.ALERTS_UNDELIVERED))
                    .name("deliver-to-" + destination.name())
                    .uid("deliver-to-" + destination.name()));
        };
    }
}
