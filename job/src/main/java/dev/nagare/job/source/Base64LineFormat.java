package dev.nagare.job.source;

import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.src.reader.SimpleStreamFormat;
import org.apache.flink.connector.file.src.reader.StreamFormat;
import org.apache.flink.core.fs.FSDataInputStream;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Files of captured Kinesis records: one base64 record per line, the {@code Data} field of
 * {@code aws kinesis get-records} (for example {@code aws kinesis get-records ... | jq -r '.Records[].Data'}).
 * Blank lines and lines starting with {@code #} are skipped; a line that is not base64 is passed on
 * as its own text, so it becomes a dead letter or a text event instead of failing the replay.
 */
public final class Base64LineFormat extends SimpleStreamFormat<byte[]> {
    private static final long serialVersionUID = 1L;

    @Override
    public StreamFormat.Reader<byte[]> createReader(Configuration config, FSDataInputStream stream) {
        BufferedReader lines = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8));
        return new StreamFormat.Reader<>() {
            @Override
            public byte[] read() throws IOException {
                String line;
                while ((line = lines.readLine()) != null) {
                    String trimmed = line.trim();
                    if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                        continue;
                    }
                    try {
                        return Base64.getDecoder().decode(trimmed);
                    } catch (IllegalArgumentException e) {
                        return trimmed.getBytes(StandardCharsets.UTF_8);
                    }
                }
                return null;
            }

            @Override
            public void close() throws IOException {
                lines.close();
            }
        };
    }

    @Override
    public TypeInformation<byte[]> getProducedType() {
        return PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO;
    }
}
