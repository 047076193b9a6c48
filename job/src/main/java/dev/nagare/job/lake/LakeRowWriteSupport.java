package dev.nagare.job.lake;

import dev.nagare.job.schema.BinaryStrings;

import org.apache.flink.formats.parquet.row.ParquetRowDataBuilder;
import org.apache.flink.formats.parquet.utils.ParquetSchemaConverter;
import org.apache.flink.table.data.ArrayData;
import org.apache.flink.table.data.MapData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.binary.BinaryStringData;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.LogicalTypeRoot;
import org.apache.flink.table.types.logical.MapType;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.table.types.logical.utils.LogicalTypeChecks;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;

import java.util.HashMap;

/**
 * Writes the lake's rows to Parquet the way Flink's {@code ParquetRowDataWriter} does (the same
 * schema, from Flink's converter, and the same values), but hands Parquet each string's bytes
 * where the row holds them. Flink's writer copies every string first ({@code toBytes}): for the
 * {@code logs} table that is every text column and map entry of every event, and the copies and
 * their garbage were a sixth of the lake writer's CPU in a profile. Parquet copies what it keeps
 * (dictionary entries, min and max) because the bytes are marked as reused.
 *
 * <p>Only the types the lake's tables use are written here: text, booleans, 32- and 64-bit
 * integers, doubles, timestamps stored as INT64 milliseconds and maps of text to text. A file
 * type with anything else is written by Flink's writer ({@link #supports}).
 */
final class LakeRowWriteSupport extends WriteSupport<RowData> {
    private final MessageType schema;
    private final RowType rowType;
    private RecordConsumer consumer;
    private String[] names;
    private FieldWriter[] writers;

    private LakeRowWriteSupport(RowType rowType, MessageType schema) {
        this.rowType = rowType;
        this.schema = schema;
    }

    /** The Parquet schema Flink's writer gives {@code rowType} with these settings. */
    private static MessageType schema(RowType rowType, Configuration conf) {
        return ParquetSchemaConverter.convertToParquetMessageType("flink_schema", rowType, conf);
    }

    /** True when every column of {@code rowType}, as Flink maps it to Parquet with {@code conf}, is one this writer writes. */
    static boolean supports(RowType rowType, Configuration conf) {
        return supports(rowType, schema(rowType, conf));
    }

    private static boolean supports(RowType rowType, MessageType schema) {
        for (int i = 0; i < rowType.getFieldCount(); i++) {
            if (!supports(rowType.getTypeAt(i), schema.getType(i))) {
                return false;
            }
        }
        return true;
    }

    private static boolean supports(LogicalType type, Type parquet) {
        switch (type.getTypeRoot()) {
            case CHAR:
            case VARCHAR:
            case BOOLEAN:
            case INTEGER:
            case BIGINT:
            case DOUBLE:
                return parquet.isPrimitive();
            case TIMESTAMP_WITHOUT_TIME_ZONE:
                return parquet.isPrimitive()
                        && parquet.asPrimitiveType().getPrimitiveTypeName() == PrimitiveType.PrimitiveTypeName.INT64
                        && parquet.getLogicalTypeAnnotation() instanceof LogicalTypeAnnotation.TimestampLogicalTypeAnnotation
                        && ((LogicalTypeAnnotation.TimestampLogicalTypeAnnotation) parquet.getLogicalTypeAnnotation()).getUnit()
                                == LogicalTypeAnnotation.TimeUnit.MILLIS;
            case MAP:
                MapType map = (MapType) type;
                return !parquet.isPrimitive()
                        && parquet.getLogicalTypeAnnotation() instanceof LogicalTypeAnnotation.MapLogicalTypeAnnotation
                        && isText(map.getKeyType()) && isText(map.getValueType());
            default:
                return false;
        }
    }

    private static boolean isText(LogicalType type) {
        return type.getTypeRoot() == LogicalTypeRoot.VARCHAR || type.getTypeRoot() == LogicalTypeRoot.CHAR;
    }

    @Override
    public WriteContext init(Configuration configuration) {
        return new WriteContext(schema, new HashMap<>());
    }

    @Override
    public void prepareForWrite(RecordConsumer recordConsumer) {
        consumer = recordConsumer;
        names = rowType.getFieldNames().toArray(new String[0]);
        writers = new FieldWriter[names.length];
        for (int i = 0; i < names.length; i++) {
            writers[i] = writer(rowType.getTypeAt(i), schema.getType(i));
        }
    }

    @Override
    public void write(RowData row) {
        consumer.startMessage();
        for (int i = 0; i < writers.length; i++) {
            if (!row.isNullAt(i)) {
                consumer.startField(names[i], i);
                writers[i].write(row, i);
                consumer.endField(names[i], i);
            }
        }
        consumer.endMessage();
    }

    private interface FieldWriter {
        void write(RowData row, int field);
    }

    private FieldWriter writer(LogicalType type, Type parquet) {
        switch (type.getTypeRoot()) {
            case CHAR:
            case VARCHAR:
                return (row, field) -> addText(row.getString(field));
            case BOOLEAN:
                return (row, field) -> consumer.addBoolean(row.getBoolean(field));
            case INTEGER:
                return (row, field) -> consumer.addInteger(row.getInt(field));
            case BIGINT:
                return (row, field) -> consumer.addLong(row.getLong(field));
            case DOUBLE:
                return (row, field) -> consumer.addDouble(row.getDouble(field));
            case TIMESTAMP_WITHOUT_TIME_ZONE:
                // As Flink writes INT64 milliseconds of a UTC timestamp: the millisecond, nothing finer.
                int precision = LogicalTypeChecks.getPrecision(type);
                return (row, field) -> consumer.addLong(row.getTimestamp(field, precision).getMillisecond());
            case MAP:
                return new MapWriter(parquet.asGroupType());
            default:
                throw new IllegalArgumentException("not written here: " + type + " (see supports)");
        }
    }

    private void addText(StringData text) {
        byte[] array = BinaryStrings.backingArray(text);
        if (array == null) {
            consumer.addBinary(Binary.fromReusedByteArray(text.toBytes()));
        } else {
            BinaryStringData binary = (BinaryStringData) text;
            consumer.addBinary(Binary.fromReusedByteArray(array, binary.getOffset(), binary.getSizeInBytes()));
        }
    }

    /**
     * A map of text to text as Flink writes it: a repeated key-value group per entry; an entry
     * with a null key is an empty group, a null value leaves out the value.
     */
    private final class MapWriter implements FieldWriter {
        private final String entries;
        private final String key;
        private final String value;

        MapWriter(GroupType map) {
            GroupType entry = map.getType(0).asGroupType();
            this.entries = entry.getName();
            this.key = entry.getType(0).getName();
            this.value = entry.getType(1).getName();
        }

        @Override
        public void write(RowData row, int field) {
            consumer.startGroup();
            MapData map = row.getMap(field);
            if (map != null && map.size() > 0) {
                consumer.startField(entries, 0);
                ArrayData keys = map.keyArray();
                ArrayData values = map.valueArray();
                for (int i = 0; i < keys.size(); i++) {
                    consumer.startGroup();
                    if (!keys.isNullAt(i)) {
                        consumer.startField(key, 0);
                        addText(keys.getString(i));
                        consumer.endField(key, 0);
                        if (!values.isNullAt(i)) {
                            consumer.startField(value, 1);
                            addText(values.getString(i));
                            consumer.endField(value, 1);
                        }
                    }
                    consumer.endGroup();
                }
                consumer.endField(entries, 0);
            }
            consumer.endGroup();
        }
    }

    /** Flink's Parquet builder, writing with {@link LakeRowWriteSupport} where it {@link #supports} the file type. */
    static final class Builder extends ParquetRowDataBuilder {
        private final RowType rowType;

        Builder(OutputFile out, RowType rowType) {
            super(out, rowType, true);
            this.rowType = rowType;
        }

        @Override
        protected WriteSupport<RowData> getWriteSupport(Configuration conf) {
            MessageType schema = schema(rowType, conf);
            return supports(rowType, schema) ? new LakeRowWriteSupport(rowType, schema) : super.getWriteSupport(conf);
        }
    }
}
