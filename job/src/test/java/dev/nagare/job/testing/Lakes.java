package dev.nagare.job.testing;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the lake back with DuckDB, an independent Parquet reader: what it sees is what Athena or
 * any other engine would see. Each lake table is exposed as a view of the same name.
 */
public final class Lakes implements AutoCloseable {
    private final Connection duckdb;

    public Lakes(Path lake, String... tables) throws SQLException {
        duckdb = DriverManager.getConnection("jdbc:duckdb:");
        try (Statement s = duckdb.createStatement()) {
            s.execute("SET TimeZone = 'UTC'");
            for (String table : tables) {
                // Committed files only: files in progress stay in the lake's _nagare/staging folder.
                String glob = lake.resolve(table).toAbsolutePath() + "/**/part-*.parquet";
                s.execute("CREATE VIEW " + table + " AS SELECT * FROM read_parquet('" + glob
                        + "', hive_partitioning = true, hive_types_autocast = false)");
            }
        }
    }

    /**
     * Waits until a table of a local lake holds at least {@code rows} committed rows, or the
     * timeout passes; returns the rows found.
     */
    public static long awaitRows(Path lake, String table, long rows, java.time.Duration timeout) throws Exception {
        return Await.until(() -> countRows(lake, table), found -> found >= rows, timeout);
    }

    /** Committed rows of a table of a local lake; 0 before its first file. */
    public static long countRows(Path lake, String table) {
        if (dev.nagare.job.lake.Lake.committedFiles(lake.resolve(table)) == 0) {
            return 0;
        }
        try (Lakes read = new Lakes(lake, table)) {
            return read.count("SELECT count(*) FROM " + table);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read " + table + " in " + lake, e);
        }
    }

    public long count(String sql) throws SQLException {
        return ((Number) rows(sql).get(0).get(0)).longValue();
    }

    /** Every row of a query as a list of column values. */
    public List<List<Object>> rows(String sql) throws SQLException {
        List<List<Object>> rows = new ArrayList<>();
        try (Statement s = duckdb.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            ResultSetMetaData meta = rs.getMetaData();
            while (rs.next()) {
                List<Object> row = new ArrayList<>();
                for (int i = 1; i <= meta.getColumnCount(); i++) {
                    row.add(rs.getObject(i));
                }
                rows.add(row);
            }
        }
        return rows;
    }

    /** The rows of a query with each row's values joined by '|', handy for exact assertions. */
    public List<String> lines(String sql) throws SQLException {
        List<String> lines = new ArrayList<>();
        for (List<Object> row : rows(sql)) {
            StringBuilder sb = new StringBuilder();
            for (Object v : row) {
                sb.append(sb.length() == 0 ? "" : "|").append(v);
            }
            lines.add(sb.toString());
        }
        return lines;
    }

    @Override
    public void close() throws SQLException {
        duckdb.close();
    }
}
