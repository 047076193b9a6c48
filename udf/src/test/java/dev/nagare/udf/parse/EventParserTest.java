package dev.nagare.udf.parse;

import dev.nagare.udf.Examples;
import dev.nagare.udf.KinesisRecords;
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
        DecodedRecord decoded = new RecordDecoder().decode(KinesisRecords.of(record));
        List<NormalizedEvent> events = new ArrayList<>();
        for (RawLogEvent raw : decoded.events()) {
            events.add(parser.parse(raw, INGEST));
        }
        return events;
    }

    @Test
    void cloudTrailEvents() throws Exception {
        List<NormalizedEvent> events = parse("cwl-subscription-data");
        assertThat(events).extracting(e -> e.logType).containsOnly("cloudtrail");
        NormalizedEvent denied = events.get(1);
        assertThat(denied.eventId).isEqualTo("f2031425-3647-4859-9a0b-ccddeeff0011");
        assertThat(denied.eventTimeMillis).isEqualTo(1717236947000L); // 2024-06-01T10:15:47Z
        assertThat(denied.awsEventName).isEqualTo("PutBucketAcl");
        assertThat(denied.awsEventSource).isEqualTo("s3.amazonaws.com");
        assertThat(denied.awsPrincipalType).isEqualTo("IAMUser");
        assertThat(denied.awsPrincipalArn).isEqualTo("arn:aws:iam::111122223333:user/dev-carol");
        assertThat(denied.awsErrorCode).isEqualTo("AccessDenied");
        assertThat(denied.awsSourceIp).isEqualTo("203.0.113.19");
        assertThat(denied.region).isEqualTo("eu-central-1");
        assertThat(denied.level).isEqualTo("WARN");
        NormalizedEvent rootLogin = events.get(2);
        assertThat(rootLogin.awsEventName).isEqualTo("ConsoleLogin");
        assertThat(rootLogin.awsPrincipalType).isEqualTo("Root");
        assertThat(rootLogin.awsMfa).isFalse();
        assertThat(rootLogin.attributes).containsEntry("console_login", "Success");
        assertThat(events.get(5).awsPrincipalType).isEqualTo("AWSService");
        assertThat(events.get(5).awsSourceIp).isEqualTo("ecs-tasks.amazonaws.com");
    }

    @Test
    void lambdaPlatformAndApplicationLines() throws Exception {
        List<NormalizedEvent> events = parse("cwl-subscription-data-lambda");
        assertThat(events).extracting(e -> e.logType).containsOnly("lambda");
        assertThat(events).extracting(e -> e.service).containsOnly("label-printer");
        NormalizedEvent info = events.get(2);
        assertThat(info.level).isEqualTo("INFO");
        assertThat(info.requestId).isEqualTo("7d3f9b21-6a4e-4c85-9f10-2b8e4d6c1a37");
        assertThat(info.message).isEqualTo("label rendered { parcelId: 'P-55012', pages: 2 }");
        assertThat(info.eventTimeMillis).isEqualTo(1717236902097L);
        NormalizedEvent error = events.get(3);
        assertThat(error.level).isEqualTo("ERROR");
        assertThat(error.message).startsWith("TypeError: Cannot read properties of null (reading 'zip')\n    at render");
        NormalizedEvent report = events.get(6);
        assertThat(report.lambdaDurationMs).isEqualTo(42.81);
        assertThat(report.lambdaMemorySizeMb).isEqualTo(384);
        assertThat(report.lambdaMaxMemoryMb).isEqualTo(97);
        assertThat(report.lambdaInitMs).isEqualTo(243.06);
        assertThat(report.requestId).isEqualTo("7d3f9b21-6a4e-4c85-9f10-2b8e4d6c1a37");
    }

    @Test
    void containerJsonAndPlainLines() throws Exception {
        List<NormalizedEvent> events = parse("cwl-subscription-data-ecs-awslogs");
        assertThat(events).extracting(e -> e.logType).containsExactly("app", "text", "text", "text", "text");
        assertThat(events).extracting(e -> e.service).containsOnly("parcel-tracker");
        NormalizedEvent json = events.get(0);
        assertThat(json.level).isEqualTo("INFO");
        assertThat(json.message).isEqualTo("Parcel P-55012 scanned at depot HAM-2");
        assertThat(json.traceId).isEqualTo("665af2d81f2e3d4c5b6a79881726354a");
        assertThat(json.attributes).containsEntry("courierId", "c-318").containsEntry("logger_name", "com.example.parcels.TrackingService");
        assertThat(json.eventId).isEqualTo("36905128547705129844162010346917243101587926601924444160");
        assertThat(json.account).isEqualTo("111122223333");
        assertThat(json.logStream).isEqualTo("tracker/app/9c4e1a7b3d5f4e2a8b6c0d1e3f5a7b9c");
        assertThat(events.get(4).eventTimeMillis).isEqualTo(1717236902377L); // the CWL timestamp
    }

    @Test
    void auditLinesInTheirLogGroup() throws Exception {
        List<NormalizedEvent> events = parse("cwl-subscription-data-aurora-audit");
        assertThat(events).extracting(e -> e.logType).containsOnly("mysql_audit");
        assertThat(events).extracting(e -> e.service).containsOnly("parcels-aurora");
        assertThat(events.get(0).eventTimeMillis).isEqualTo(1717236902245L);
    }

    /**
     * Routes and services are remembered per log group: the same group keeps its route and
     * service on every event, past the bound of groups remembered too, and a group that no route
     * names is still read by its content, line by line.
     */
    @Test
    void eachLogGroupKeepsItsRouteAndServicePastTheBoundOfGroupsRemembered() throws Exception {
        EventParser routed = new EventParser(List.of(new EventParser.Route("/custom/audit-.*", "mysql_audit")),
                EventParser.DEFAULT_MAX_LINE_CHARS, EventParser.DEFAULT_MAX_FUTURE_MILLIS);
        String audit = "20240601 10:15:05,ip-10-20-3-15,app_rw,10.20.3.41,1287,90213,QUERY,orders,'SELECT 1',0";
        for (int i = 0; i < EventParser.GROUPS_REMEMBERED * 2 + 10; i++) {
            String group = "/custom/audit-" + (i % (EventParser.GROUPS_REMEMBERED + 7));
            NormalizedEvent e = routed.parse(new RawLogEvent(new RawLogEvent.Envelope("1", group, "s", null, null), "id" + i,
                    1717236902000L, audit), 1717236902000L);
            assertThat(e.logType).isEqualTo("mysql_audit");
            assertThat(e.service).isEqualTo(EventParser.serviceFromLogGroup(group)).isEqualTo("audit-" + (i % (EventParser.GROUPS_REMEMBERED + 7)));
            RawLogEvent line = new RawLogEvent(new RawLogEvent.Envelope("1", "/custom/other", "s", null, null), "o" + i,
                    1717236902000L, i % 2 == 0 ? "{\"level\":\"error\",\"msg\":\"m\"}" : "plain text");
            assertThat(routed.parse(line, 1717236902000L).logType).isEqualTo(i % 2 == 0 ? "app" : "text");
        }
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
        assertThat(offset.eventTimeMillis).isEqualTo(1717236902566L); // 12:15:02.566+02:00
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
