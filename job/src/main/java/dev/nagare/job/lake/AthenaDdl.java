package dev.nagare.job.lake;

import dev.nagare.udf.parse.LogTypes;

import org.apache.flink.table.types.DataType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.MapType;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Athena {@code CREATE EXTERNAL TABLE} statements for the lake, generated from the same table
 * definitions the sinks write ({@link Lake#TABLES}), with partition projection so new partitions
 * are queryable the minute they land, without crawlers or {@code MSCK REPAIR}.
 */
public final class AthenaDdl {
    /** Projected dates start here; widen it for older data. */
    static final String FIRST_DAY = "2024-01-01";

    private AthenaDdl() {}

    /** Every table's DDL for a lake at {@code location} ({@code s3://bucket/prefix}), in {@code database}. */
    public static String all(String database, String location) {
        return Lake.TABLES.stream().map(t -> create(database, t, location)).collect(Collectors.joining("\n"));
    }

    public static String create(String database, Lake.LakeTable table, String location) {
        String root = (location.endsWith("/") ? location : location + "/") + table.name + "/";
        List<String> columns = DataType.getFieldNames(table.rowType);
        List<DataType> types = DataType.getFieldDataTypes(table.rowType);
        StringBuilder sql = new StringBuilder();
        sql.append("CREATE EXTERNAL TABLE IF NOT EXISTS ").append(database).append('.').append(table.name).append(" (\n");
        boolean first = true;
        for (int i = 0; i < columns.size(); i++) {
            if (table.partitionKeys.contains(columns.get(i))) {
                continue; // partition columns live in the path, not in the files
            }
            sql.append(first ? "  " : ",\n  ").append('`').append(columns.get(i)).append("` ").append(athenaType(types.get(i).getLogicalType()));
            first = false;
        }
        sql.append("\n)\nPARTITIONED BY (")
                .append(table.partitionKeys.stream().map(k -> "`" + k + "` string").collect(Collectors.joining(", ")))
                .append(")\nSTORED AS PARQUET\nLOCATION '").append(root).append("'\nTBLPROPERTIES (\n  'projection.enabled' = 'true'");
        for (String key : table.partitionKeys) {
            switch (key) {
                case "dt":
                    sql.append(",\n  'projection.dt.type' = 'date',\n  'projection.dt.format' = 'yyyy-MM-dd',\n  'projection.dt.range' = '")
                            .append(FIRST_DAY).append(",NOW',\n  'projection.dt.interval' = '1',\n  'projection.dt.interval.unit' = 'DAYS'");
                    break;
                case "hr":
                    sql.append(",\n  'projection.hr.type' = 'integer',\n  'projection.hr.range' = '0,23',\n  'projection.hr.digits' = '2'");
                    break;
                case "log_type":
                    sql.append(",\n  'projection.log_type.type' = 'enum',\n  'projection.log_type.values' = '")
                            .append(String.join(",", List.of(LogTypes.APP, LogTypes.LAMBDA, LogTypes.MYSQL_AUDIT,
                                    LogTypes.POSTGRES_AUDIT, LogTypes.CLOUDTRAIL, LogTypes.TEXT)))
                            .append("'");
                    break;
                default:
                    throw new IllegalStateException("no projection for partition key " + key);
            }
        }
        String template = table.partitionKeys.stream().map(k -> k + "=${" + k + "}").collect(Collectors.joining("/"));
        sql.append(",\n  'storage.location.template' = '").append(root).append(template).append("/'\n);\n");
        return sql.toString();
    }

    /** The Athena (Hive) type of a column; timestamps are Parquet INT64 milliseconds in UTC. */
    static String athenaType(LogicalType type) {
        switch (type.getTypeRoot()) {
            case CHAR:
            case VARCHAR:
                return "string";
            case BOOLEAN:
                return "boolean";
            case INTEGER:
                return "int";
            case BIGINT:
                return "bigint";
            case DOUBLE:
                return "double";
            case TIMESTAMP_WITHOUT_TIME_ZONE:
                return "timestamp";
            case MAP:
                MapType map = (MapType) type;
                return "map<" + athenaType(map.getKeyType()) + "," + athenaType(map.getValueType()) + ">";
            default:
                throw new IllegalStateException("no Athena type for " + type);
        }
    }
}
