package dev.nagare.job.config;

/** Parquet compression codecs that Athena, DuckDB and Spark all read ({@code lake.compression}). */
public enum LakeCompression {
    SNAPPY,
    ZSTD,
    GZIP,
    UNCOMPRESSED
}
