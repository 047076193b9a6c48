package dev.nagare.udf.fuzz;

import dev.nagare.udf.KinesisRecords;
import dev.nagare.udf.decode.DecodeException;
import dev.nagare.udf.decode.DecodedRecord;
import dev.nagare.udf.decode.KplTestRecords;
import dev.nagare.udf.decode.RawLogEvent;
import dev.nagare.udf.decode.RecordDecoder;
import dev.nagare.udf.parse.EventParser;
import dev.nagare.udf.parse.MySqlAuditParser;
import dev.nagare.udf.parse.ParseException;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The decoder and the parsers under random, truncated and corrupted input. The property every
 * test checks: no exception escapes except {@link DecodeException} and {@link ParseException},
 * which the job turns into dead letters, so every input either parses or becomes a dead letter.
 */
class DecoderPropertiesTest {
    private static final RecordDecoder DECODER = new RecordDecoder(8 * 1024 * 1024, RecordDecoder.DEFAULT_MAX_EVENTS_PER_RECORD);
    private static final EventParser PARSER = new EventParser();

    private static final AtomicLong TRIED = new AtomicLong();
    private static final AtomicLong PARSED = new AtomicLong();
    private static final AtomicLong DEAD_LETTERS = new AtomicLong();

    @AfterContainer
    static void report() {
        System.out.printf("DecoderPropertiesTest: %,d inputs tried: %,d events parsed, %,d dead letters, 0 escaped exceptions%n",
                TRIED.get(), PARSED.get(), DEAD_LETTERS.get());
    }

    /** Decodes and parses like the job does; fails the property on any other exception. */
    private static void decodeAndParse(byte[] input) {
        TRIED.incrementAndGet();
        DecodedRecord record;
        try {
            record = DECODER.decode(input);
        } catch (DecodeException e) {
            assertThat(e.getMessage()).isNotBlank();
            DEAD_LETTERS.incrementAndGet();
            return;
        }
        for (RawLogEvent event : record.events()) {
            try {
                PARSER.parse(event, 1_800_000_000_000L);
                PARSED.incrementAndGet();
            } catch (ParseException e) {
                assertThat(e.getMessage()).isNotBlank();
                DEAD_LETTERS.incrementAndGet();
            }
        }
    }

    @Property(tries = 2000)
    void randomBytes(@ForAll @Size(max = 600) byte[] bytes) {
        decodeAndParse(bytes);
    }

    @Property(tries = 1000)
    void randomBytesBehindEveryMagicNumber(@ForAll("magic") byte[] prefix, @ForAll @Size(max = 300) byte[] rest) {
        byte[] input = Arrays.copyOf(prefix, prefix.length + rest.length);
        System.arraycopy(rest, 0, input, prefix.length, rest.length);
        decodeAndParse(input);
    }

    @Provide
    Arbitrary<byte[]> magic() {
        return Arbitraries.of(
                new byte[] {0x1f, (byte) 0x8b, 8}, new byte[] {(byte) 0xF3, (byte) 0x89, (byte) 0x9A, (byte) 0xC2},
                new byte[] {0x78, (byte) 0x9c}, new byte[] {0x78, 0x01}, new byte[] {'{'}, new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, '{'});
    }

    @Property(tries = 1500)
    void truncatedRecords(@ForAll("record") byte[] record, @ForAll @IntRange(min = 0, max = 10_000) int cut) {
        byte[] truncated = Arrays.copyOf(record, cut % record.length);
        decodeAndParse(truncated);
        if (truncated.length > 10) {
            // A gzip stream cut short can never pass for a whole one.
            assertThat(catchDecode(truncated)).isNotNull();
        }
    }

    @Property(tries = 1500)
    void corruptedRecords(@ForAll("record") byte[] record, @ForAll @IntRange(min = 0, max = 100_000) int position,
                          @ForAll byte flip) {
        byte[] corrupt = record.clone();
        corrupt[position % corrupt.length] ^= (flip == 0 ? 1 : flip);
        decodeAndParse(corrupt);
    }

    @Property(tries = 1500)
    void corruptedJsonInsideValidGzip(@ForAll("record") byte[] record, @ForAll @IntRange(min = 0, max = 100_000) int position,
                                      @ForAll("jsonNoise") String noise) throws Exception {
        String json = new String(gunzip(record), StandardCharsets.UTF_8);
        int at = position % json.length();
        decodeAndParse(gzip(json.substring(0, at) + noise + json.substring(at)));
    }

    @Property(tries = 500)
    void corruptedRecordsInsideKplAggregates(@ForAll("record") byte[] record, @ForAll @IntRange(min = 0, max = 100_000) int cut) {
        decodeAndParse(KplTestRecords.aggregate(record, Arrays.copyOf(record, cut % record.length)));
    }

    @Provide
    Arbitrary<byte[]> record() {
        return Arbitraries.of(KinesisRecords.NAMES).map(KinesisRecords::of);
    }

    @Provide
    Arbitrary<String> jsonNoise() {
        return Arbitraries.oneOf(
                Arbitraries.of("\"", "{", "}", "[", "]", ",", ":", "\\", "\\u12", "\u0000", "null", "\"messageType\":1,"),
                Arbitraries.strings().ofMaxLength(20));
    }

    @Property(tries = 3000)
    void sqlSurvivesTheAuditPluginEscaping(@ForAll("sql") String sql) throws Exception {
        TRIED.incrementAndGet();
        String line = "1717236902118204,db-1,app_rw,10.20.3.41,48211,771203345,QUERY,orders," + escape(sql) + ",0";
        MySqlAuditParser.AuditLine parsed = new MySqlAuditParser().parseLine(line);
        assertThat(parsed.object).isEqualTo(sql.isEmpty() ? null : sql);
        assertThat(parsed.operation).isEqualTo("QUERY");
        assertThat(parsed.retcode).isZero();
        PARSED.incrementAndGet();
    }

    @Provide
    Arbitrary<String> sql() {
        return Arbitraries.strings()
                .withChars("'\\,\n\r\t\"abcSELECT *()=%_;")
                .withCharRange('a', 'z')
                .ofMaxLength(80);
    }

    /** The plugins' escape_string(): quote, backslash and control characters get a backslash. */
    private static String escape(String sql) {
        StringBuilder sb = new StringBuilder("'");
        for (char c : sql.toCharArray()) {
            switch (c) {
                case '\'': sb.append("\\'"); break;
                case '\\': sb.append("\\\\"); break;
                case '\n': sb.append("\\n"); break;
                case '\r': sb.append("\\r"); break;
                case '\t': sb.append("\\t"); break;
                default: sb.append(c);
            }
        }
        return sb.append('\'').toString();
    }

    private static DecodeException catchDecode(byte[] input) {
        try {
            DECODER.decode(input);
            return null;
        } catch (DecodeException e) {
            return e;
        }
    }

    private static byte[] gzip(String text) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return out.toByteArray();
    }

    private static byte[] gunzip(byte[] gz) throws IOException {
        try (java.util.zip.GZIPInputStream in = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(gz))) {
            return in.readAllBytes();
        }
    }
}
