package dev.nagare.job.schema;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.conversion.DataStructureConverter;
import org.apache.flink.table.data.conversion.DataStructureConverters;
import org.apache.flink.table.types.DataType;
import org.apache.flink.types.Row;

/** Rows of a table's columns converted to the planner's internal {@link RowData}, a new object per row. */
public final class InternalRows extends RichMapFunction<Row, RowData> {
    private static final long serialVersionUID = 1L;

    private final DataType rowType;
    private transient DataStructureConverter<Object, Object> converter;

    public InternalRows(DataType rowType) {
        this.rowType = rowType;
    }

    @Override
    public void open(OpenContext context) {
        converter = DataStructureConverters.getConverter(rowType);
        converter.open(getRuntimeContext().getUserCodeClassLoader());
    }

    @Override
    public RowData map(Row row) {
        return (RowData) converter.toInternal(row);
    }
}
