package dev.nagare.job.rules;

import dev.nagare.job.schema.Schemas;

import org.apache.flink.api.common.functions.FilterFunction;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;

/** Keeps the {@code logs} rows of some log types ({@link LogTypeRoutes}). */
final class LogTypeFilter implements FilterFunction<RowData> {
    private static final long serialVersionUID = 1L;

    private final Set<String> types;
    private transient Set<StringData> binary;

    LogTypeFilter(Set<String> types) {
        this.types = Set.copyOf(types);
    }

    @Override
    public boolean filter(RowData row) {
        if (binary == null) {
            // Compared as UTF-8 bytes, as the row holds them: no string is decoded per event.
            binary = new HashSet<>();
            types.forEach(type -> binary.add(StringData.fromBytes(type.getBytes(StandardCharsets.UTF_8))));
        }
        return !row.isNullAt(Schemas.LOGS_LOG_TYPE) && binary.contains(row.getString(Schemas.LOGS_LOG_TYPE));
    }
}
