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
    /** A column's values as an array when they are few, compared one by one; else null and {@link #sets} holds them. */
    private transient StringData[][] values;
    private transient Set<StringData>[] sets;

    /**
     * Up to this many values are compared one by one rather than looked up: every event passes
     * every route's filter, and hashing the row's text for a set of one to three log types cost
     * more than comparing it (a comparison stops at the first difference, usually the length).
     */
    static final int LINEAR_VALUES = 8;

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
        values = new StringData[route.size()][];
        sets = new Set[route.size()];
        int i = 0;
        for (Map.Entry<String, Set<String>> column : route.entrySet()) {
            columns[i] = names.indexOf(column.getKey());
            StringData[] texts = column.getValue().stream().map(StringData::fromString).toArray(StringData[]::new);
            if (texts.length <= LINEAR_VALUES) {
                values[i] = texts;
            } else {
                sets[i] = new HashSet<>(List.of(texts));
            }
            i++;
        }
    }

    @Override
    public boolean filter(RowData row) {
        for (int i = 0; i < columns.length; i++) {
            if (row.isNullAt(columns[i])) {
                return false;
            }
            StringData text = row.getString(columns[i]);
            if (values[i] == null ? !sets[i].contains(text) : !isOneOf(text, values[i])) {
                return false;
            }
        }
        return true;
    }

    private static boolean isOneOf(StringData text, StringData[] values) {
        for (StringData value : values) {
            if (value.equals(text)) {
                return true;
            }
        }
        return false;
    }
}
