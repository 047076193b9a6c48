package dev.nagare.udf.parse;

import dev.nagare.udf.Examples;
import dev.nagare.udf.decode.DecodedRecord;
import dev.nagare.udf.decode.RawLogEvent;
import dev.nagare.udf.decode.RecordDecoder;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The CloudWatch examples through decoding, routing and parsing, as the job runs them. */
class EventParserTest {
    private static final long INGEST = 1_800_000_000_000L;
    private final EventParser parser = new EventParser();

    private List<NormalizedEvent> parse(String record) throws Exception {
        DecodedRecord decoded = new RecordDecoder().decode(Examples.bytes("kinesis-records/" + record));
        List<NormalizedEvent> events = new ArrayList<>();
        for (RawLogEvent raw : decoded.events()) {
            events.add(parser.parse(raw, INGEST));
        }
        return events;
    }

    @Test
    void cloudTrailEvents() throws Exception {
        List<NormalizedEvent> events = parse("cwl-subscription-data.bin");
        assertThat(events).extracting(e -> e.logType).containsOnly("cloudtrail");
        NormalizedEvent denied = events.get(1);
        assertThat(denied.eventId).isEqualTo("3d4e5f6a-7b8c-4d9e-8f0a-2b3c4d5e6f7a");
        assertThat(denied.eventTimeMillis).isEqualTo(1717236940000L); // 2024-06-01T10:15:40Z
        assertThat(denied.awsEventName).isEqualTo("PutBucketPolicy");
        assertThat(denied.awsEventSource).isEqualTo("s3.amazonaws.com");
        assertThat(denied.awsPrincipalType).isEqualTo("IAMUser");
        assertThat(denied.awsPrincipalArn).isEqualTo("arn:aws:iam::111122223333:user/dev-bob");
        assertThat(denied.awsErrorCode).isEqualTo("AccessDenied");
        assertThat(denied.awsSourceIp).isEqualTo("203.0.113.50");
        assertThat(denied.region).isEqualTo("eu-west-1");
        assertThat(denied.level).isEqualTo("WARN");
        NormalizedEvent rootLogin = events.get(2);
        assertThat(rootLogin.awsEventName).isEqualTo("ConsoleLogin");
        assertThat(rootLogin.awsPrincipalType).isEqualTo("Root");
        assertThat(rootLogin.awsMfa).isFalse();
        assertThat(rootLogin.attributes).containsEntry("console_login", "Success");
        assertThat(events.get(5).awsPrincipalType).isEqualTo("AWSService");
        assertThat(events.get(5).awsSourceIp).isEqualTo("ec2.amazonaws.com");
    }

    @Test
    void lambdaPlatformAndApplicationLines() throws Exception {
        List<NormalizedEvent> events = parse("cwl-subscription-data-lambda.bin");
        assertThat(events).extracting(e -> e.logType).containsOnly("lambda");
        assertThat(events).extracting(e -> e.service).containsOnly("orders-api");
        NormalizedEvent info = events.get(2);
        assertThat(info.level).isEqualTo("INFO");
        assertThat(info.requestId).isEqualTo("5b0e6d1a-9c4f-4e7b-8a2d-3f1c0b9e7d64");
        assertThat(info.message).isEqualTo("order accepted { orderId: 'A-1001', items: 3 }");
        assertThat(info.eventTimeMillis).isEqualTo(1717236902118L);
        NormalizedEvent error = events.get(3);
        assertThat(error.level).isEqualTo("ERROR");
        assertThat(error.message).startsWith("TypeError: Cannot read properties of undefined (reading 'sku')\n    at handler");
        NormalizedEvent report = events.get(6);
        assertThat(report.lambdaDurationMs).isEqualTo(31.27);
        assertThat(report.lambdaMemorySizeMb).isEqualTo(256);
        assertThat(report.lambdaMaxMemoryMb).isEqualTo(88);
        assertThat(report.lambdaInitMs).isEqualTo(212.55);
        assertThat(report.requestId).isEqualTo("5b0e6d1a-9c4f-4e7b-8a2d-3f1c0b9e7d64");
    }

    @Test
    void containerJsonAndPlainLines() throws Exception {
        List<NormalizedEvent> events = parse("cwl-subscription-data-ecs-awslogs.bin");
        assertThat(events).extracting(e -> e.logType).containsExactly("app", "text", "text", "text", "text");
        assertThat(events).extracting(e -> e.service).containsOnly("orders-web");
        NormalizedEvent json = events.get(0);
        assertThat(json.level).isEqualTo("INFO");
        assertThat(json.message).isEqualTo("Order A-1001 accepted");
        assertThat(json.traceId).isEqualTo("665af1c20a1b2c3d4e5f607182930a1b");
        assertThat(json.attributes).containsEntry("userId", "u-77").containsEntry("logger_name", "com.example.orders.OrderService");
        assertThat(json.eventId).isEqualTo("38273616839183626186113577382637394519172539468130861056");
        assertThat(json.account).isEqualTo("111122223333");
        assertThat(json.logStream).isEqualTo("orders/app/5f2a7c9e1b3d4e6f8a0b1c2d3e4f5a6b");
        assertThat(events.get(4).eventTimeMillis).isEqualTo(1717236902300L); // the CWL timestamp
    }

    @Test
    void auditLinesInTheirLogGroup() throws Exception {
        List<NormalizedEvent> events = parse("cwl-subscription-data-aurora-audit.bin");
        assertThat(events).extracting(e -> e.logType).containsOnly("mysql_audit");
        assertThat(events).extracting(e -> e.service).containsOnly("orders-aurora");
        assertThat(events.get(0).eventTimeMillis).isEqualTo(1717236902118L);
    }

    @Test
    void appJsonDialects() throws Exception {
        for (String file : List.of("logback-json.jsonl", "pino.jsonl", "python-json.jsonl")) {
            for (String line : Examples.lines(file)) {
                NormalizedEvent e = appLine(line);
                assertThat(e.logType).as(line).isEqualTo("app");
                assertThat(e.level).as(line).isIn("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL");
                assertThat(e.eventTimeMillis).as(line).isBetween(1704067200000L, 1735689600000L); // in 2024
            }
        }
        NormalizedEvent offset = appLine(Examples.lines("logback-json.jsonl").get(1));
        assertThat(offset.eventTimeMillis).isEqualTo(1717236902401L); // 12:15:02.401+02:00
        assertThat(offset.level).isEqualTo("WARN");
    }

    @Test
    void anAbsurdTimeInsideTheLineFallsBackToTheCloudWatchTime() throws Exception {
        RawLogEvent raw = new RawLogEvent(new RawLogEvent.Envelope("1", "/ecs/x", "s", null, null), "1", 1717236902000L,
                "{\"time\": 4102444800000, \"msg\": \"clock in 2100\", \"level\": 30}");
        NormalizedEvent e = parser.parse(raw, INGEST);
        assertThat(e.eventTimeMillis).isEqualTo(1717236902000L);
        assertThat(e.rejectedEventTimeMillis).isEqualTo(4102444800000L);
        assertThat(e.attributes).containsEntry("nagare_untrusted_time", "future");
    }

    @Test
    void aLineTimeAheadOfItsRecordByMoreThanMaxFutureIsNotTrusted() throws Exception {
        long cwl = 1717236902000L;
        EventParser strict = new EventParser(List.of(), EventParser.DEFAULT_MAX_LINE_CHARS, 15 * 60_000L);
        // 14 minutes ahead: a drifting clock, trusted.
        NormalizedEvent near = strict.parse(app(cwl, cwl + 14 * 60_000L), null, INGEST);
        assertThat(near.eventTimeMillis).isEqualTo(cwl + 14 * 60_000L);
        assertThat(near.rejectedEventTimeMillis).isNull();
        // 16 minutes ahead: timed by the record, the claim kept apart and flagged.
        NormalizedEvent far = strict.parse(app(cwl, cwl + 16 * 60_000L), null, INGEST);
        assertThat(far.eventTimeMillis).isEqualTo(cwl);
        assertThat(far.rejectedEventTimeMillis).isEqualTo(cwl + 16 * 60_000L);
        assertThat(far.attributes).containsEntry("nagare_untrusted_time", "future");
        // Times before 2000 are not trusted either.
        NormalizedEvent old = strict.parse(app(cwl, 86_400_000L), null, INGEST);
        assertThat(old.eventTimeMillis).isEqualTo(cwl);
        assertThat(old.attributes).containsEntry("nagare_untrusted_time", "before_2000");
    }

    @Test
    void withoutAnEnvelopeTheArrivalTimeTimesTheEventAndNeverTheWallClock() throws Exception {
        RawLogEvent bare = new RawLogEvent(RawLogEvent.Envelope.NONE, null, null, "plain text without a time");
        assertThat(parser.parse(bare, 1717236902000L, INGEST).eventTimeMillis).isEqualTo(1717236902000L);
        // No time in the line, no envelope, no arrival time (a bare replay): a dead letter, not "now".
        assertThatThrownBy(() -> parser.parse(bare, null, INGEST))
                .isInstanceOf(ParseException.class)
                .hasMessage("no event time: the line has none and the record neither a CloudWatch Logs timestamp nor an arrival time");
        // A line that carries its own time needs nothing else.
        RawLogEvent timed = new RawLogEvent(RawLogEvent.Envelope.NONE, null, null,
                "{\"@timestamp\":\"2024-06-01T10:00:00Z\",\"level\":\"INFO\",\"message\":\"ok\"}");
        assertThat(parser.parse(timed, null, INGEST).eventTimeMillis).isEqualTo(1717236000000L);
    }

    @Test
    void aLineLongerThanTheBoundIsCutParsedAndFlagged() throws Exception {
        EventParser small = new EventParser(List.of(), 101, EventParser.DEFAULT_MAX_FUTURE_MILLIS);
        RawLogEvent text = new RawLogEvent(new RawLogEvent.Envelope("1", "/custom/x", "s", null, null), "1", 1717236902000L,
                "\ud83d\ude00".repeat(200));
        NormalizedEvent cut = small.parse(text, INGEST);
        assertThat(cut.message).hasSize(100); // cut before 101: a surrogate pair is never split
        assertThat(cut.attributes).containsEntry("nagare_truncated_from_chars", "400");
        RawLogEvent lambda = new RawLogEvent(new RawLogEvent.Envelope("1", "/aws/lambda/settle", "s", null, null), "2",
                1717236902000L, "2024-06-01T10:15:02.118Z\t9e1f3a5c\tERROR\t" + "x".repeat(500));
        NormalizedEvent cutLambda = small.parse(lambda, INGEST);
        assertThat(cutLambda.logType).isEqualTo("lambda");
        assertThat(cutLambda.attributes).containsEntry("nagare_truncated_from_chars", Integer.toString(lambda.message().length()));
    }

    @Test
    void aCutLineThatNoLongerParsesSaysItWasCut() {
        EventParser small = new EventParser(List.of(), 101, EventParser.DEFAULT_MAX_FUTURE_MILLIS);
        String line = "1717236902118204,db-1,app,10.0.0.9,5,6,QUERY,shop,'SELECT * FROM t WHERE note = \\'"
                + "z".repeat(500) + "\\'',0";
        RawLogEvent audit = new RawLogEvent(new RawLogEvent.Envelope("1", "/aws/rds/cluster/db/audit", "s", null, null), "1",
                1717236902000L, line);
        assertThatThrownBy(() -> small.parse(audit, INGEST))
                .isInstanceOf(ParseException.class)
                .hasMessageStartingWith("line cut at 101 of " + line.length() + " chars (parse.max-line-chars), then: ");
    }

    private static RawLogEvent app(long cwlTime, long lineTime) {
        return new RawLogEvent(new RawLogEvent.Envelope("1", "/ecs/x", "s", null, null), "1", cwlTime,
                "{\"@timestamp\":\"" + java.time.Instant.ofEpochMilli(lineTime) + "\",\"level\":\"INFO\",\"message\":\"ok\"}");
    }

    private NormalizedEvent appLine(String line) throws ParseException {
        RawLogEvent raw = new RawLogEvent(new RawLogEvent.Envelope("1", "/ecs/x", "s", null, null), "1", 1L, line);
        return parser.parse(raw, INGEST);
    }
}
