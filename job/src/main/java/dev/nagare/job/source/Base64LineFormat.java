package dev.nagare.job.source;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.src.reader.SimpleStreamFormat;
import org.apache.flink.connector.file.src.reader.StreamFormat;
import org.apache.flink.core.fs.FSDataInputStream;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Base64;

/**
 * Files of captured Kinesis records, one record per line, in either shape:
 * <ul>
 *   <li>a record of {@code aws kinesis get-records} as one JSON object ({@code ... | jq -c '.Records[]'}),
 *       whose {@code Data} is the payload and whose {@code ApproximateArrivalTimestamp} (epoch
 *       seconds, or ISO-8601 as AWS CLI v2 prints it) times the events that carry no time of their own;</li>
 *   <li>the {@code Data} field alone, base64 ({@code ... | jq -r '.Records[].Data'}): no arrival time,
 *       so an event without an envelope or a time of its own is a dead letter.</li>
 * </ul>
 * Blank lines and lines starting with {@code #} are skipped; a line that is neither is passed on
 * as its own text, so it becomes a dead letter or a text event instead of failing the replay.
 */
public final class Base64LineFormat extends SimpleStreamFormat<KinesisRecord> {
    private static final long serialVersionUID = 1L;
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public StreamFormat.Reader<KinesisRecord> createReader(Configuration config, FSDataInputStream stream) {
        BufferedReader lines = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8));
        return new StreamFormat.Reader<>() {
            @Override
            public KinesisRecord read() throws IOException {
                String line;
                while ((line = lines.readLine()) != null) {
                    String trimmed = line.trim();
                    if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                        continue;
                    }
                    return parse(trimmed);
                }
                return null;
            }

            @Override
            public void close() throws IOException {
                lines.close();
            }
        };
    }

    /** One line: a get-records record as JSON, or a base64 payload, or (neither) its own text. */
    static KinesisRecord parse(String line) {
        if (line.startsWith("{")) {
            try {
                JsonNode record = JSON.readTree(line);
                JsonNode data = record.get("Data");
                if (data != null && data.isTextual()) {
                    return KinesisRecord.of(Base64.getDecoder().decode(data.asText()), arrival(record.get("ApproximateArrivalTimestamp")));
                }
            } catch (IOException | IllegalArgumentException e) {
                // not a captured record: kept as its own text below
            }
            return KinesisRecord.of(line.getBytes(StandardCharsets.UTF_8), null);
        }
        try {
            return KinesisRecord.of(Base64.getDecoder().decode(line), null);
        } catch (IllegalArgumentException e) {
            return KinesisRecord.of(line.getBytes(StandardCharsets.UTF_8), null);
        }
    }

    private static Long arrival(JsonNode time) {
        if (time == null || time.isNull()) {
            return null;
        }
        if (time.isNumber()) {
            return Math.round(time.asDouble() * 1000); // epoch seconds with a fraction
        }
        try {
            return OffsetDateTime.parse(time.asText()).toInstant().toEpochMilli();
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    @Override
    public TypeInformation<KinesisRecord> getProducedType() {
        return RecordSource.TYPE;
    }
}
