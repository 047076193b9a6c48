package dev.nagare.udf.decode;

import dev.nagare.udf.Hostile;
import dev.nagare.udf.KinesisRecords;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RecordDecoderTest {
    private static final int MB = 1024 * 1024;
    private static final String TOO_LARGE = "record expands past 1000000 bytes when decompressed (parse.max-record-bytes)";
    private final RecordDecoder decoder = new RecordDecoder();
    /** A decoder with small bounds: 1,000,000 decompressed bytes and 10 events per record. */
    private final RecordDecoder small = new RecordDecoder(1_000_000, 10);

    @Test
    void decodesTheCloudTrailEnvelope() throws Exception {
        DecodedRecord r = decoder.decode(KinesisRecords.of("cwl-subscription-data"));
        assertThat(r.kind()).isEqualTo(DecodedRecord.Kind.CWL_DATA);
        assertThat(r.events()).hasSize(6);
        RawLogEvent first = r.events().get(0);
        assertThat(first.id()).isEqualTo("36905128547705129844162010346917243101587926601924444160");
        assertThat(first.timestampMillis()).isEqualTo(1717236904000L);
        assertThat(first.message()).startsWith("{\"eventVersion\":\"1.10\"");
        assertThat(first.envelope().owner()).isEqualTo("111122223333");
        assertThat(first.envelope().logGroup()).isEqualTo("aws-cloudtrail-logs-111122223333-mgmt");
        assertThat(first.envelope().logStream()).isEqualTo("111122223333_CloudTrail_eu-central-1");
        assertThat(first.envelope().policyLevel()).isNull();
    }

    @Test
    void decodesEveryDataExample() throws Exception {
        assertThat(decoder.decode(KinesisRecords.of("cwl-subscription-data-aurora-audit")).events())
                .hasSize(6)
                .allSatisfy(e -> assertThat(e.envelope().logGroup()).isEqualTo("/aws/rds/cluster/parcels-aurora/audit"));
        assertThat(decoder.decode(KinesisRecords.of("cwl-subscription-data-ecs-awslogs")).events())
                .extracting(RawLogEvent::message)
                .element(2).isEqualTo("\tat com.example.parcels.LabelSync.push(LabelSync.java:112)");
        DecodedRecord lambda = decoder.decode(KinesisRecords.of("cwl-subscription-data-lambda"));
        assertThat(lambda.events()).hasSize(7);
        assertThat(lambda.events().get(1).message())
                .isEqualTo("START RequestId: 7d3f9b21-6a4e-4c85-9f10-2b8e4d6c1a37 Version: $LATEST\n");
    }

    @Test
    void keepsTheAccountLevelPolicyContext() throws Exception {
        DecodedRecord r = decoder.decode(KinesisRecords.of("cwl-subscription-data-account-policy"));
        assertThat(r.events()).hasSize(2);
        RawLogEvent.Envelope envelope = r.events().get(0).envelope();
        assertThat(envelope.owner()).isEqualTo("444455556666");
        assertThat(envelope.policyLevel()).isEqualTo("ACCOUNT_LEVEL_POLICY");
        assertThat(envelope.logGroup()).isEqualTo("/aws/rds/cluster/ledger-pg/postgresql");
    }

    @Test
    void controlMessagesCarryNoEvents() throws Exception {
        DecodedRecord r = decoder.decode(KinesisRecords.of("cwl-subscription-control"));
        assertThat(r.kind()).isEqualTo(DecodedRecord.Kind.CWL_CONTROL);
        assertThat(r.events()).isEmpty();
    }

    @Test
    void truncatedGzipIsADecodeError() {
        byte[] whole = KinesisRecords.of("cwl-subscription-data");
        assertThatThrownBy(() -> decoder.decode(Arrays.copyOf(whole, whole.length / 2)))
                .isInstanceOf(DecodeException.class)
                .hasMessage("truncated gzip stream");
    }

    @Test
    void corruptGzipIsADecodeError() {
        byte[] bytes = KinesisRecords.of("cwl-subscription-data");
        for (int i = 20; i < 40; i++) {
            bytes[i] ^= 0x5a;
        }
        assertThatThrownBy(() -> decoder.decode(bytes))
                .isInstanceOf(DecodeException.class)
                .hasMessageStartingWith("corrupt gzip stream");
    }

    /**
     * Each thread reuses its inflaters from record to record: a record that failed halfway, in
     * either format, leaves nothing behind for the next one.
     */
    @Test
    void aRecordAfterABrokenOneDecodesWhole() throws Exception {
        byte[] whole = KinesisRecords.of("cwl-subscription-data");
        List<String> expected = messages(decoder.decode(whole));
        byte[] corrupt = whole.clone();
        for (int i = 20; i < 40; i++) {
            corrupt[i] ^= 0x5a;
        }
        byte[] text = "{\"message\": \"one\"}".getBytes(StandardCharsets.UTF_8);
        byte[] zlib = zlib(text);
        for (byte[] broken : List.of(Arrays.copyOf(whole, whole.length / 2), corrupt, Arrays.copyOf(zlib, zlib.length - 3))) {
            assertThatThrownBy(() -> decoder.decode(broken)).isInstanceOf(DecodeException.class);
            assertThat(messages(decoder.decode(whole))).isEqualTo(expected);
            assertThat(messages(decoder.decode(zlib))).isEqualTo(messages(decoder.decode(text)));
        }
    }

    /**
     * Each thread decompresses into one buffer from record to record: what a longer record left
     * in it never shows in a shorter one, in a member of an aggregate, or after a record too
     * large for the buffer to be kept.
     */
    @Test
    void aRecordReadsNothingOfTheRecordBeforeIt() throws Exception {
        byte[] longer = gzip(envelope(message(300_000)));
        byte[] shorter = gzip(envelope("short"));
        byte[] text = zlib("one line".getBytes(StandardCharsets.UTF_8));
        byte[] huge = gzip(envelope("h".repeat(RecordDecoder.MAX_KEPT_BUFFER + 1)));
        for (int round = 0; round < 2; round++) {
            assertThat(messages(decoder.decode(longer))).containsExactly(message(300_000));
            int kept = RecordDecoder.keptBufferBytes();
            assertThat(kept).isBetween(300_000, RecordDecoder.MAX_KEPT_BUFFER); // the thread kept the longer record's buffer
            assertThat(messages(decoder.decode(shorter))).containsExactly("short");
            assertThat(messages(decoder.decode(text))).containsExactly("one line");
            assertThat(messages(decoder.decode(KplTestRecords.aggregate(longer, shorter, text))))
                    .containsExactly(message(300_000), "short", "one line");
            assertThat(messages(decoder.decode(huge))).containsExactly("h".repeat(RecordDecoder.MAX_KEPT_BUFFER + 1));
            assertThat(RecordDecoder.keptBufferBytes()).isEqualTo(kept); // reused throughout; the huge one not kept
            assertThat(messages(decoder.decode(shorter))).containsExactly("short");
        }
        // The thread's buffer, grown by the longer record, is larger than this decoder's budget:
        // the bound holds to the byte all the same.
        RecordDecoder tiny = new RecordDecoder(1_000, 10);
        assertThat(messages(tiny.decode(gzip(envelope(message(800)))))).containsExactly(message(800));
        assertThatThrownBy(() -> tiny.decode(gzip(envelope(message(1_000)))))
                .isInstanceOf(DecodeException.class)
                .hasMessage("record expands past 1000 bytes when decompressed (parse.max-record-bytes)");
        assertThat(messages(decoder.decode(longer))).containsExactly(message(300_000));
    }

    private static List<String> messages(DecodedRecord record) {
        List<String> messages = new ArrayList<>();
        record.events().forEach(e -> messages.add(e.message()));
        return messages;
    }

    @Test
    void gzipOfSomethingElseIsADecodeError() throws Exception {
        assertThatThrownBy(() -> decoder.decode(gzip("plain words")))
                .isInstanceOf(DecodeException.class)
                .hasMessage("gzip payload is not a CloudWatch Logs envelope (no JSON object)");
        assertThatThrownBy(() -> decoder.decode(gzip("{\"messageType\": \"DATA_MESSAGE\", ")))
                .isInstanceOf(DecodeException.class)
                .hasMessageStartingWith("gzip payload is not valid JSON: Unexpected end-of-input");
        assertThatThrownBy(() -> decoder.decode(gzip("{\"messageType\":\"DATA_MESSAGE\"}")))
                .isInstanceOf(DecodeException.class)
                .hasMessage("CloudWatch Logs envelope has no logEvents array");
    }

    @Test
    void stopsAGzipBombAtTheLimit() throws Exception {
        byte[] bomb = gzip("{" + " ".repeat(2_000_000) + "}");
        assertThatThrownBy(() -> new RecordDecoder(1_000_000, 10).decode(bomb))
                .isInstanceOf(DecodeException.class)
                .hasMessage("record expands past 1000000 bytes when decompressed (parse.max-record-bytes)");
    }

    @Test
    void plainJsonAndTextAreOneEventEach() throws Exception {
        DecodedRecord json = decoder.decode("{\"log\":\"hello\",\"container_name\":\"web\"}\n".getBytes(StandardCharsets.UTF_8));
        assertThat(json.kind()).isEqualTo(DecodedRecord.Kind.JSON);
        assertThat(json.events()).extracting(RawLogEvent::message).containsExactly("{\"log\":\"hello\",\"container_name\":\"web\"}");
        DecodedRecord text = decoder.decode("GET /health 200\r\n".getBytes(StandardCharsets.UTF_8));
        assertThat(text.kind()).isEqualTo(DecodedRecord.Kind.TEXT);
        assertThat(text.events()).extracting(RawLogEvent::message).containsExactly("GET /health 200");
        assertThat(text.events().get(0).id()).isNull();
    }

    @Test
    void emptyRecordIsADecodeError() {
        assertThatThrownBy(() -> decoder.decode(new byte[0])).isInstanceOf(DecodeException.class).hasMessage("empty record");
    }

    @Test
    void decodesATenMegabyteRecordOfOneMegabyteMessages() throws Exception {
        StringBuilder json = new StringBuilder("{\"messageType\":\"DATA_MESSAGE\",\"owner\":\"1\",\"logGroup\":\"/ecs/big\","
                + "\"logStream\":\"s\",\"subscriptionFilters\":[],\"logEvents\":[");
        java.util.Random random = new java.util.Random(7);
        for (int i = 0; i < 10; i++) {
            StringBuilder message = new StringBuilder(1_000_000);
            while (message.length() < 1_000_000) {
                message.append(Long.toString(random.nextLong(), 36)); // poorly compressible, like real payloads
            }
            message.setLength(1_000_000);
            json.append(i == 0 ? "" : ",").append("{\"id\":\"").append(i).append("\",\"timestamp\":1,\"message\":\"")
                    .append(message).append("\"}");
        }
        byte[] record = gzip(json.append("]}").toString());
        assertThat(record.length).isGreaterThan(5_000_000).isLessThanOrEqualTo(10 * 1024 * 1024);
        DecodedRecord r = decoder.decode(record);
        assertThat(r.events()).hasSize(10).allSatisfy(e -> assertThat(e.message()).hasSize(1_000_000));
    }

    @Test
    void deaggregatesKplRecords() throws Exception {
        byte[] cwl = KinesisRecords.of("cwl-subscription-data-lambda");
        byte[] json = "{\"log\":\"hello\",\"container_id\":\"c1\"}\n".getBytes(StandardCharsets.UTF_8);
        DecodedRecord r = decoder.decode(KplTestRecords.aggregate(cwl, json));
        assertThat(r.kind()).isEqualTo(DecodedRecord.Kind.KPL_AGGREGATE);
        assertThat(r.events()).hasSize(8);
        assertThat(r.events().get(0).envelope().logGroup()).isEqualTo("/aws/lambda/label-printer");
        assertThat(r.events().get(7).message()).isEqualTo("{\"log\":\"hello\",\"container_id\":\"c1\"}");
    }

    @Test
    void rejectsABrokenKplRecord() {
        byte[] aggregate = KplTestRecords.aggregate("abc".getBytes(StandardCharsets.UTF_8));
        byte[] corrupt = aggregate.clone();
        corrupt[6] ^= 1;
        assertThatThrownBy(() -> decoder.decode(corrupt)).isInstanceOf(DecodeException.class)
                .hasMessage("KPL aggregated record has a wrong MD5 checksum");
        byte[] cut = Arrays.copyOf(aggregate, aggregate.length - 3);
        assertThatThrownBy(() -> decoder.decode(cut)).isInstanceOf(DecodeException.class);
    }

    @Test
    void inflatesZlibRecords() throws Exception {
        byte[] line = "{\"log\":\"zipped\",\"container_id\":\"c1\"}\n".getBytes(StandardCharsets.UTF_8);
        java.util.zip.Deflater deflater = new java.util.zip.Deflater();
        deflater.setInput(line);
        deflater.finish();
        byte[] buffer = new byte[256];
        byte[] zlib = Arrays.copyOf(buffer, deflater.deflate(buffer));
        DecodedRecord r = decoder.decode(zlib);
        assertThat(r.kind()).isEqualTo(DecodedRecord.Kind.JSON);
        assertThat(r.events().get(0).message()).isEqualTo("{\"log\":\"zipped\",\"container_id\":\"c1\"}");
        assertThatThrownBy(() -> decoder.decode(Arrays.copyOf(zlib, zlib.length - 4)))
                .isInstanceOf(DecodeException.class).hasMessage("truncated zlib stream");
    }

    @Test
    void theDefaultsAreTheDocumentedBounds() {
        assertThat(RecordDecoder.DEFAULT_MAX_DECOMPRESSED_BYTES).isEqualTo(128L * 1024 * 1024);
        assertThat(RecordDecoder.DEFAULT_MAX_EVENTS_PER_RECORD).isEqualTo(100_000);
        assertThatThrownBy(() -> new RecordDecoder(0, 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RecordDecoder(10, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    /** The bound was per gzip member: k members of a KPL aggregate could expand to k times it. */
    @Test
    void theByteBoundCountsEveryMemberOfARecord() throws Exception {
        byte[] member = gzip(envelope(message(400_000)));
        assertThat(small.decode(member).events()).hasSize(1);
        assertThatThrownBy(() -> small.decode(KplTestRecords.aggregate(member, member, member)))
                .isInstanceOf(DecodeException.class).hasMessage(TOO_LARGE);
        // Concatenated gzip members of one payload count together too.
        assertThatThrownBy(() -> small.decode(concat(member, member, member)))
                .isInstanceOf(DecodeException.class).hasMessage(TOO_LARGE);
        byte[] text = zlib("a".repeat(600_000).getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> small.decode(KplTestRecords.aggregate(text, text)))
                .isInstanceOf(DecodeException.class).hasMessage(TOO_LARGE);
        assertThat(small.decode(KplTestRecords.aggregate(member, member)).events()).hasSize(2);
    }

    @Test
    void aBombStopsAtTheBoundWithoutInflatingTheRest() {
        byte[] bomb = Hostile.run(() -> gzipOfZeros(1024));
        assertThat(bomb.length).isLessThan(2 * MB); // a gigabyte of zeros
        assertThat(Hostile.expect(DecodeException.class, () -> small.decode(bomb))).hasMessage(TOO_LARGE);
        assertThat(Hostile.expect(DecodeException.class, () -> small.decode(KplTestRecords.aggregate(bomb, bomb))))
                .hasMessage(TOO_LARGE);
    }

    @Test
    void theEventBoundCountsEveryMemberOfARecord() throws Exception {
        String tooMany = "record holds more than 10 log events (parse.max-events-per-record)";
        assertThat(small.decode(gzip(envelope(10))).events()).hasSize(10);
        assertThatThrownBy(() -> small.decode(gzip(envelope(11)))).isInstanceOf(DecodeException.class).hasMessage(tooMany);
        byte[] line = "one line".getBytes(StandardCharsets.UTF_8);
        byte[][] lines = new byte[11][];
        Arrays.fill(lines, line);
        assertThatThrownBy(() -> small.decode(KplTestRecords.aggregate(lines))).isInstanceOf(DecodeException.class).hasMessage(tooMany);
        byte[] six = gzip(envelope(6));
        assertThatThrownBy(() -> small.decode(KplTestRecords.aggregate(six, six))).isInstanceOf(DecodeException.class).hasMessage(tooMany);
        // A million tiny events stop at the bound as they are read, not after all are held.
        RecordDecoder tenEvents = new RecordDecoder(RecordDecoder.DEFAULT_MAX_DECOMPRESSED_BYTES, 10);
        byte[] million = gzip(envelope(1_000_000));
        assertThat(Hostile.expect(DecodeException.class, () -> tenEvents.decode(million))).hasMessage(tooMany);
    }

    @Test
    void bytesThatAreNotUtf8TextAreADecodeError() throws Exception {
        assertThatThrownBy(() -> decoder.decode(new byte[] {'o', 'k', (byte) 0x80, 'x'}))
                .isInstanceOf(DecodeException.class)
                .hasMessage("record is not UTF-8 text (invalid byte sequence at offset 2)");
        assertThatThrownBy(() -> decoder.decode(new byte[] {'o', 'k', 0, 'x'}))
                .isInstanceOf(DecodeException.class)
                .hasMessage("record is not UTF-8 text (NUL byte at offset 2)");
        byte[][] invalid = {
            {(byte) 0xC0, (byte) 0x80}, // overlong NUL
            {(byte) 0xE0, (byte) 0x80, (byte) 0x80}, // overlong
            {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, // a UTF-16 surrogate
            {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, // past U+10FFFF
            {(byte) 0xF5, (byte) 0x80, (byte) 0x80, (byte) 0x80},
            {(byte) 0xE2, (byte) 0x82}, // cut short
            {(byte) 0xE2, (byte) 0x28, (byte) 0xA1},
        };
        for (byte[] bytes : invalid) {
            byte[] text = concat("a ".getBytes(StandardCharsets.UTF_8), bytes);
            assertThatThrownBy(() -> decoder.decode(text)).isInstanceOf(DecodeException.class)
                    .hasMessage("record is not UTF-8 text (invalid byte sequence at offset 2)");
        }
        // The same inside JSON that is not an envelope, inside a KPL user record, inside zlib.
        byte[] json = concat("{\"log\":\"".getBytes(StandardCharsets.UTF_8), new byte[] {(byte) 0xFF}, "\"}".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> decoder.decode(json)).isInstanceOf(DecodeException.class)
                .hasMessage("record is not UTF-8 text (invalid byte sequence at offset 8)");
        assertThatThrownBy(() -> decoder.decode(KplTestRecords.aggregate("fine".getBytes(StandardCharsets.UTF_8), json)))
                .isInstanceOf(DecodeException.class).hasMessage("record is not UTF-8 text (invalid byte sequence at offset 8)");
        assertThatThrownBy(() -> decoder.decode(zlib(json))).isInstanceOf(DecodeException.class)
                .hasMessage("record is not UTF-8 text (invalid byte sequence at offset 8)");
        // Valid text of every length of sequence, with a byte order mark, is one event.
        String text = "h\u00e9llo \u20ac \ud83d\ude00";
        byte[] bom = concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, text.getBytes(StandardCharsets.UTF_8));
        assertThat(decoder.decode(bom).events()).extracting(RawLogEvent::message).containsExactly(text);
    }

    @Test
    void textThatStartsLikeAZlibHeaderIsText() throws Exception {
        assertThat(decoder.decode("x = 1 ".getBytes(StandardCharsets.UTF_8)).events()).extracting(RawLogEvent::message)
                .containsExactly("x = 1 ");
        assertThat(decoder.decode("x?y".getBytes(StandardCharsets.UTF_8)).kind()).isEqualTo(DecodedRecord.Kind.TEXT);
    }

    @Test
    void randomBinaryIsADecodeError() {
        java.util.Random random = new java.util.Random(3);
        byte[] binary = new byte[4 * MB];
        random.nextBytes(binary);
        binary[0] = 'x'; // not a magic number
        assertThat(Hostile.expect(DecodeException.class, () -> decoder.decode(binary))).hasMessageStartingWith("record is not UTF-8 text");
    }

    @Test
    void aGzipMemberInsideAGzipPayloadIsADecodeError() throws Exception {
        byte[] inner = gzip(envelope(1));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(inner);
        }
        assertThatThrownBy(() -> decoder.decode(out.toByteArray())).isInstanceOf(DecodeException.class)
                .hasMessage("gzip payload is itself gzip-compressed (a nested gzip member is not a CloudWatch Logs envelope)");
    }

    @Test
    void aGzipPayloadCutAnywhereIsADecodeError() throws Exception {
        byte[] whole = gzip(envelope(3));
        for (int cut = 3; cut < whole.length; cut++) { // from the magic number on
            byte[] truncated = Arrays.copyOf(whole, cut);
            assertThatThrownBy(() -> decoder.decode(truncated)).as("cut at %d", cut).isInstanceOf(DecodeException.class);
        }
        byte[] cutInTrailer = Arrays.copyOf(whole, whole.length - 3);
        assertThatThrownBy(() -> decoder.decode(cutInTrailer)).isInstanceOf(DecodeException.class).hasMessage("truncated gzip stream");
    }

    @Test
    void theGzipHeaderAndTrailerAreChecked() throws Exception {
        byte[] json = envelope(message(10)).getBytes(StandardCharsets.UTF_8);
        // Every optional header field (extra, name, comment, header CRC) is read over.
        byte[] withFields = gzipMember(json, true);
        assertThat(decoder.decode(withFields).events()).hasSize(1);
        byte[] badHeaderCrc = withFields.clone();
        badHeaderCrc[10 + 6 + "name.json\0comment\0".length()] ^= 1; // after the fixed header, the extra field, name and comment
        assertThatThrownBy(() -> decoder.decode(badHeaderCrc)).isInstanceOf(DecodeException.class)
                .hasMessage("corrupt gzip stream: Corrupt GZIP header");
        byte[] badTrailer = gzip(envelope(1));
        badTrailer[badTrailer.length - 6] ^= 1;
        assertThatThrownBy(() -> decoder.decode(badTrailer)).isInstanceOf(DecodeException.class)
                .hasMessage("corrupt gzip stream: Corrupt GZIP trailer");
        // Trailing bytes that are not another member are ignored, as GZIPInputStream does.
        assertThat(decoder.decode(concat(gzip(envelope(1)), "junk".getBytes(StandardCharsets.UTF_8))).events()).hasSize(1);
    }

    /** GZIPInputStream recursed once per member: half a million empty members (a 10 MB record) overflowed its stack. */
    @Test
    void halfAMillionEmptyGzipMembersDoNotOverflowTheStack() throws Exception {
        byte[] empty = gzip("");
        ByteArrayOutputStream record = new ByteArrayOutputStream();
        record.write(gzip("{\"messageType\":\"CONTROL_MESSAGE\"}"));
        for (int i = 0; i < 500_000; i++) {
            record.write(empty);
        }
        byte[] bytes = record.toByteArray();
        assertThat(Hostile.run(() -> decoder.decode(bytes).kind())).isEqualTo(DecodedRecord.Kind.CWL_CONTROL);
    }

    @Test
    void corruptKplIsADecodeError() {
        // Each body gets a valid MD5, so the protobuf reader itself must refuse it.
        byte[][] bodies = {
            {0x1a, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f}, // records: length 4 GiB
            {0x1a, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff,
                (byte) 0xff, 0x01}, // length 2^64 - 1: negative as a long
            {0x1a, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80,
                (byte) 0x80, (byte) 0x80, 0x00}, // a varint of 11 bytes
            {0x1a, 0x02, 0x18, 0x05}, // a record whose data field claims 5 bytes of 0
            {0x1a, 0x02, 0x08, 0x00}, // a record without data
            {0x1b}, // wire type 3 (a group)
        };
        for (byte[] body : bodies) {
            assertThatThrownBy(() -> decoder.decode(kpl(body))).as(Arrays.toString(body)).isInstanceOf(DecodeException.class);
        }
        assertThatThrownBy(() -> decoder.decode(kpl(bodies[0]))).hasMessage("KPL aggregated record is truncated");
        assertThatThrownBy(() -> decoder.decode(kpl(bodies[2]))).hasMessage("KPL aggregated record has a malformed varint");
        assertThatThrownBy(() -> decoder.decode(kpl(bodies[4]))).hasMessage("KPL aggregated record has a record without data");
        assertThatThrownBy(() -> decoder.decode(kpl(bodies[5]))).hasMessage("KPL aggregated record has unknown protobuf wire type 3");
        byte[] nested = KplTestRecords.aggregate(KplTestRecords.aggregate("x".getBytes(StandardCharsets.UTF_8)));
        assertThatThrownBy(() -> decoder.decode(nested)).hasMessage("KPL aggregated record nested in another");
        assertThatThrownBy(() -> KplAggregate.deaggregate(new byte[] {1, 2, 3})).isInstanceOf(DecodeException.class);
        // Field 2^32 + 3 is an unknown field, skipped; it was read as field 3 (records) when cut to an int.
        assertThat(Hostile.run(() -> decoder.decode(kpl(new byte[] {(byte) 0x9a, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x01, 0x00}))
                .events())).isEmpty();
    }

    @Test
    void aTimestampPastALongIsNoTime() throws Exception {
        String json = "{\"messageType\":\"DATA_MESSAGE\",\"logGroup\":\"g\",\"logEvents\":["
                + "{\"id\":\"1\",\"timestamp\":100000000000000000000000,\"message\":\"m\"}]}";
        assertThat(decoder.decode(gzip(json)).events().get(0).timestampMillis()).isNull();
    }

    /** A CWL envelope with one event of this message. */
    private static String envelope(String message) {
        return "{\"messageType\":\"DATA_MESSAGE\",\"owner\":\"1\",\"logGroup\":\"/ecs/x\",\"logStream\":\"s\","
                + "\"subscriptionFilters\":[\"f\"],\"logEvents\":[{\"id\":\"1\",\"timestamp\":1,\"message\":\"" + message + "\"}]}";
    }

    /** A CWL envelope with this many one-letter events. */
    private static String envelope(int events) {
        StringBuilder json = new StringBuilder("{\"messageType\":\"DATA_MESSAGE\",\"logGroup\":\"g\",\"logEvents\":[");
        for (int i = 0; i < events; i++) {
            json.append(i == 0 ? "" : ",").append("{\"message\":\"m\"}");
        }
        return json.append("]}").toString();
    }

    private static String message(int length) {
        return "m".repeat(length);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.write(part, 0, part.length);
        }
        return out.toByteArray();
    }

    private static byte[] zlib(byte[] data) {
        Deflater deflater = new Deflater();
        deflater.setInput(data);
        deflater.finish();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[65536];
        while (!deflater.finished()) {
            out.write(buffer, 0, deflater.deflate(buffer));
        }
        deflater.end();
        return out.toByteArray();
    }

    private static byte[] gzipOfZeros(int megabytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] zeros = new byte[MB];
        try (GZIPOutputStream gz = new GZIPOutputStream(out, 65536)) {
            for (int i = 0; i < megabytes; i++) {
                gz.write(zeros);
            }
        }
        return out.toByteArray();
    }

    /** One gzip member by hand: with every optional header field when asked, stored (not compressed) data. */
    private static byte[] gzipMember(byte[] data, boolean allHeaderFields) {
        ByteArrayOutputStream header = new ByteArrayOutputStream();
        header.write(0x1f);
        header.write(0x8b);
        header.write(8);
        header.write(allHeaderFields ? 2 | 4 | 8 | 16 : 0);
        header.writeBytes(new byte[] {0, 0, 0, 0, 0, 3});
        if (allHeaderFields) {
            header.writeBytes(new byte[] {4, 0, 'a', 'b', 2, 0}); // XLEN 4, then 4 bytes of extra field
            header.writeBytes("name.json\0comment\0".getBytes(StandardCharsets.ISO_8859_1));
            CRC32 headerCrc = new CRC32();
            headerCrc.update(header.toByteArray());
            header.write((int) headerCrc.getValue() & 0xff);
            header.write((int) (headerCrc.getValue() >> 8) & 0xff);
        }
        Deflater deflater = new Deflater(Deflater.NO_COMPRESSION, true);
        deflater.setInput(data);
        deflater.finish();
        byte[] deflated = new byte[data.length + 1024];
        int n = deflater.deflate(deflated);
        deflater.end();
        CRC32 crc = new CRC32();
        crc.update(data);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(header.toByteArray());
        out.write(deflated, 0, n);
        for (long v : new long[] {crc.getValue(), data.length}) {
            for (int k = 0; k < 4; k++) {
                out.write((int) (v >> (8 * k)) & 0xff);
            }
        }
        return out.toByteArray();
    }

    /** A KPL record of this protobuf body, with a valid MD5. */
    private static byte[] kpl(byte[] body) {
        try {
            return concat(KplAggregate.MAGIC, body, MessageDigest.getInstance("MD5").digest(body));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] gzip(String text) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return out.toByteArray();
    }
}
