package dev.nagare.job.rules;

import dev.nagare.job.schema.Schemas;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichFilterFunction;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.types.DataType;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** Keeps the {@code logs} rows whose text columns hold one of their route's values ({@link RuleRoutes}). */
final class RouteFilter extends RichFilterFunction<RowData> {
    private static final long serialVersionUID = 1L;

    private final Map<String, Set<String>> route;
    private transient int[] columns;
    private transient Set<StringData>[] values;

    /** @param route the values each text column must hold (a null value never does) */
    RouteFilter(Map<String, Set<String>> route) {
        this.route = new TreeMap<>(route);
        route.keySet().forEach(column -> {
            if (!RuleRoutes.TEXT_COLUMNS.contains(column)) {
                throw new IllegalArgumentException("not a text column of logs: " + column);
            }
        });
    }

    @Override
    @SuppressWarnings("unchecked")
    public void open(OpenContext context) {
        // Compared as UTF-8 bytes, as the rows hold them: no string is decoded per event.
        List<String> names = DataType.getFieldNames(Schemas.LOGS);
        columns = new int[route.size()];
        values = new Set[route.size()];
        int i = 0;
        for (Map.Entry<String, Set<String>> column : route.entrySet()) {
            columns[i] = names.indexOf(column.getKey());
            values[i] = new HashSet<>();
            for (String value : column.getValue()) {
                values[i].add(StringData.fromString(value));
            }
            i++;
        }
    }

    @Override
    public boolean filter(RowData row) {
        for (int i = 0; i < columns.length; i++) {
            if (row.isNullAt(columns[i]) || !values[i].contains(row.getString(columns[i]))) {
                return false;
            }
        }
        return true;
    }
}
