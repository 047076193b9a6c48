package dev.nagare.job.lake;

import dev.nagare.job.schema.Schemas;
import dev.nagare.udf.parse.NormalizedEvent;

import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.conversion.DataStructureConverter;
import org.apache.flink.table.data.conversion.DataStructureConverters;
import org.apache.flink.types.Row;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** A writer opens one file per partition key: rows with one key must share one path, and rows of different hours or values must not share a key. */
class LakeTableTest {
    private static final DataStructureConverter<Object, Object> CONVERTER = DataStructureConverters.getConverter(Schemas.LOGS);

    static {
        CONVERTER.open(LakeTableTest.class.getClassLoader());
    }

    private static List<Object> key(Row row) {
        return Lake.LOGS_TABLE.partitionKey((RowData) CONVERTER.toInternal(row));
    }

    private static Row event(String logType, String time) {
        NormalizedEvent e = new NormalizedEvent();
        e.logType = logType;
        e.eventTimeMillis = Instant.parse(time).toEpochMilli();
        e.ingestTimeMillis = e.eventTimeMillis;
        return Schemas.logRow(e);
    }

    @Test
    void rowsWithTheSameKeyHaveTheSamePathAndOthersDoNot() {
        List<Row> rows = new ArrayList<>();
        for (String logType : new String[] {"app", "mysql_audit", null, "", "a/b=c"}) {
            for (String time : new String[] {"2024-06-01T23:00:00Z", "2024-06-01T23:59:59.999Z", "2024-06-02T00:00:00Z",
                    "2024-06-01T22:59:59.999Z", "1969-12-31T23:30:00Z", "1970-01-01T00:10:00Z"}) {
                rows.add(event(logType, time));
            }
        }
        assertSplitsLikePaths(Lake.LOGS_TABLE, rows);
        assertThat(Lake.LOGS_TABLE.partitionOf(event("a/b=c", "1969-12-31T23:30:00Z")))
                .isEqualTo("log_type=a%2Fb%3Dc/dt=1969-12-31/hr=23");
        assertThat(key(event("app", "2024-06-01T23:00:00Z")))
                .isEqualTo(key(event("app", "2024-06-01T23:59:59.999Z")))
                .isEqualTo(List.of("app", 477_023L, 477_023L)) // 2024-06-01T23 is hour 477,023 since the epoch
                .isNotEqualTo(key(event("app", "2024-06-02T00:00:00Z")));
        assertThat(key(event("app", "1969-12-31T23:30:00Z"))).isEqualTo(List.of("app", -1L, -1L));
    }

    private static void assertSplitsLikePaths(Lake.LakeTable table, List<Row> rows) {
        Map<List<Object>, String> pathByKey = new HashMap<>();
        for (Row row : rows) {
            List<Object> key = table.partitionKey((RowData) CONVERTER.toInternal(row));
            String path = table.partitionOf(row);
            assertThat(pathByKey.computeIfAbsent(key, k -> path)).as("path of key %s", key).isEqualTo(path);
        }
        // Five hours (23h, 22h and 0h of the next day, both sides of the epoch) times five log
        // types, of which null and "" share Hive's default partition (two files, one folder).
        assertThat(pathByKey).hasSize(5 * 5);
        assertThat(new java.util.HashSet<>(pathByKey.values())).hasSize(5 * 4);
    }
}
