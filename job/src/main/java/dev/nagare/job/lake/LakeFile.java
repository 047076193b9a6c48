package dev.nagare.job.lake;

import java.util.Objects;

/**
 * A finished staging file of one lake partition, on its way from a {@link LakeWriter} to the
 * {@link LakeCommitter}; or, with no {@link #path}, a writer's announcement that it is alive and
 * names its staging files with {@link #writer}. A POJO so Flink serializes it without Kryo.
 */
public final class LakeFile {
    /** The lake table's folder name. */
    public String table;
    /** The partition's path below the table, e.g. {@code log_type=app/dt=2024-06-01/hr=23}. */
    public String partition;
    /** When the partition can be marked complete (its start plus the table's commit delay), epoch ms; -1 on processing time. */
    public long readyAtMillis;
    /** The staging file (a URI of the lake's file system); null in an announcement. */
    public String path;
    /** The file-name prefix of the writer attempt that wrote it. */
    public String writer;
    public long rows;
    public long bytes;

    public LakeFile() {}

    LakeFile(String writer, String table, String partition, long readyAtMillis, String path, long rows, long bytes) {
        this.writer = writer;
        this.table = table;
        this.partition = partition;
        this.readyAtMillis = readyAtMillis;
        this.path = path;
        this.rows = rows;
        this.bytes = bytes;
    }

    /** A writer attempt's announcement: it is alive and its staging files start with {@code writer}. */
    static LakeFile announcement(String writer) {
        LakeFile file = new LakeFile();
        file.writer = writer;
        return file;
    }

    boolean isAnnouncement() {
        return path == null;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof LakeFile)) {
            return false;
        }
        LakeFile f = (LakeFile) o;
        return Objects.equals(path, f.path) && Objects.equals(table, f.table) && Objects.equals(partition, f.partition);
    }

    @Override
    public int hashCode() {
        return Objects.hash(path, table, partition);
    }

    @Override
    public String toString() {
        return table + "/" + partition + " <- " + path + " (" + rows + " rows, " + bytes + " bytes)";
    }
}
