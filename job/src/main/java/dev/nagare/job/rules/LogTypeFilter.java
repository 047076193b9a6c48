package dev.nagare.job.rules;

import dev.nagare.job.schema.Schemas;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichFilterFunction;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;

import java.util.HashSet;
import java.util.Set;

/** Keeps the {@code logs} rows of some log types ({@link LogTypeRoutes}). */
final class LogTypeFilter extends RichFilterFunction<RowData> {
    private static final long serialVersionUID = 1L;

    private final Set<String> types;
    private transient Set<StringData> binary;

    LogTypeFilter(Set<String> types) {
        this.types = Set.copyOf(types);
    }

    @Override
    public void open(OpenContext context) {
        // Compared as UTF-8 bytes, as the rows hold them: no string is decoded per event.
        binary = new HashSet<>();
        types.forEach(type -> binary.add(StringData.fromString(type)));
    }

    @Override
    public boolean filter(RowData row) {
        return !row.isNullAt(Schemas.LOGS_LOG_TYPE) && binary.contains(row.getString(Schemas.LOGS_LOG_TYPE));
    }
}
