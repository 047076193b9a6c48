package dev.nagare.udf.decode;

import dev.nagare.udf.Examples;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RecordDecoderTest {
    private final RecordDecoder decoder = new RecordDecoder();

    @Test
    void decodesTheCloudTrailEnvelope() throws Exception {
        DecodedRecord r = decoder.decode(Examples.bytes("kinesis-records/cwl-subscription-data.bin"));
        assertThat(r.kind()).isEqualTo(DecodedRecord.Kind.CWL_DATA);
        assertThat(r.events()).hasSize(6);
        RawLogEvent first = r.events().get(0);
        assertThat(first.id()).isEqualTo("38273616839183626186113577382637394519172539468130861056");
        assertThat(first.timestampMillis()).isEqualTo(1717236902000L);
        assertThat(first.message()).startsWith("{\"eventVersion\":\"1.10\"");
        assertThat(first.envelope().owner()).isEqualTo("111122223333");
        assertThat(first.envelope().logGroup()).isEqualTo("aws-cloudtrail-logs-111122223333-org");
        assertThat(first.envelope().logStream()).isEqualTo("111122223333_CloudTrail_eu-west-1");
        assertThat(first.envelope().policyLevel()).isNull();
    }

    @Test
    void decodesEveryDataExample() throws Exception {
        assertThat(decoder.decode(Examples.bytes("kinesis-records/cwl-subscription-data-aurora-audit.bin")).events())
                .hasSize(6)
                .allSatisfy(e -> assertThat(e.envelope().logGroup()).isEqualTo("/aws/rds/cluster/orders-aurora/audit"));
        assertThat(decoder.decode(Examples.bytes("kinesis-records/cwl-subscription-data-ecs-awslogs.bin")).events())
                .extracting(RawLogEvent::message)
                .element(2).isEqualTo("\tat com.example.orders.Scheduler.run(Scheduler.java:57)");
        DecodedRecord lambda = decoder.decode(Examples.bytes("kinesis-records/cwl-subscription-data-lambda.bin"));
        assertThat(lambda.events()).hasSize(7);
        assertThat(lambda.events().get(1).message())
                .isEqualTo("START RequestId: 5b0e6d1a-9c4f-4e7b-8a2d-3f1c0b9e7d64 Version: $LATEST\n");
    }

    @Test
    void keepsTheAccountLevelPolicyContext() throws Exception {
        DecodedRecord r = decoder.decode(Examples.bytes("kinesis-records/cwl-subscription-data-account-policy.bin"));
        assertThat(r.events()).hasSize(2);
        RawLogEvent.Envelope envelope = r.events().get(0).envelope();
        assertThat(envelope.owner()).isEqualTo("444455556666");
        assertThat(envelope.policyLevel()).isEqualTo("ACCOUNT_LEVEL_POLICY");
        assertThat(envelope.logGroup()).isEqualTo("/aws/rds/cluster/billing-pg/postgresql");
    }

    @Test
    void controlMessagesCarryNoEvents() throws Exception {
        DecodedRecord r = decoder.decode(Examples.bytes("kinesis-records/cwl-subscription-control.bin"));
        assertThat(r.kind()).isEqualTo(DecodedRecord.Kind.CWL_CONTROL);
        assertThat(r.events()).isEmpty();
    }

    @Test
    void truncatedGzipIsADecodeError() {
        byte[] whole = Examples.bytes("kinesis-records/cwl-subscription-data.bin");
        assertThatThrownBy(() -> decoder.decode(Arrays.copyOf(whole, whole.length / 2)))
                .isInstanceOf(DecodeException.class)
                .hasMessage("truncated gzip stream");
    }

    @Test
    void corruptGzipIsADecodeError() {
        byte[] bytes = Examples.bytes("kinesis-records/cwl-subscription-data.bin").clone();
        for (int i = 20; i < 40; i++) {
            bytes[i] ^= 0x5a;
        }
        assertThatThrownBy(() -> decoder.decode(bytes))
                .isInstanceOf(DecodeException.class)
                .hasMessageStartingWith("corrupt gzip stream");
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
        assertThatThrownBy(() -> new RecordDecoder(1_000_000).decode(bomb))
                .isInstanceOf(DecodeException.class)
                .hasMessage("gzip payload exceeds 1000000 bytes when decompressed");
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
        byte[] cwl = Examples.bytes("kinesis-records/cwl-subscription-data-lambda.bin");
        byte[] json = "{\"log\":\"hello\",\"container_id\":\"c1\"}\n".getBytes(StandardCharsets.UTF_8);
        DecodedRecord r = decoder.decode(KplTestRecords.aggregate(cwl, json));
        assertThat(r.kind()).isEqualTo(DecodedRecord.Kind.KPL_AGGREGATE);
        assertThat(r.events()).hasSize(8);
        assertThat(r.events().get(0).envelope().logGroup()).isEqualTo("/aws/lambda/orders-api");
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

    private static byte[] gzip(String text) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return out.toByteArray();
    }
}
