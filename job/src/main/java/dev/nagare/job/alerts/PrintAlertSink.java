package dev.nagare.job.alerts;

import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.types.Row;

import java.io.PrintStream;

/**
 * Prints each alert as one line to stdout (the console in a local run, the task manager's
 * {@code .out} file on a cluster). Alerts are counted where they are raised ({@code AlertDeduplicator}).
 */
public final class PrintAlertSink implements Sink<Row> {
    private static final long serialVersionUID = 1L;

    @Override
    @SuppressWarnings("deprecation") // Flink 1.20 still requires the InitContext variant
    public SinkWriter<Row> createWriter(InitContext context) {
        return new Writer(System.out);
    }

    @Override
    public SinkWriter<Row> createWriter(WriterInitContext context) {
        return new Writer(System.out);
    }

    /** One line per alert: severity, rule, group, window, count and summary. */
    public static String format(Row alert) {
        return String.format(
                "ALERT %-8s %s [%s] %s .. %s count=%s id=%s: %s",
                alert.getField("severity"),
                alert.getField("rule_id"),
                alert.getField("account") == null ? alert.getField("group_key")
                        : alert.getField("account") + "/" + alert.getField("group_key"),
                alert.getField("window_start"),
                alert.getField("window_end"),
                alert.getField("event_count"),
                alert.getField("alert_id"),
                alert.getField("summary"));
    }

    private static final class Writer implements SinkWriter<Row> {
        private final PrintStream out;

        Writer(PrintStream out) {
            this.out = out;
        }

        @Override
        public void write(Row alert, Context context) {
            out.println(format(alert));
        }

        @Override
        public void flush(boolean endOfInput) {
            out.flush();
        }

        @Override
        public void close() {}
    }
}
