package dev.nagare.udf.parse;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nagare.udf.Examples;
import dev.nagare.udf.KinesisRecords;
import dev.nagare.udf.decode.DecodedRecord;
import dev.nagare.udf.decode.RawLogEvent;
import dev.nagare.udf.decode.RecordDecoder;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** PostgreSQL, FireLens, Lambda JSON and the remaining application JSON dialects, with exact values. */
class MoreFormatsTest {
    private static final long INGEST = 1_800_000_000_000L;
    private final EventParser parser = new EventParser();

    private NormalizedEvent inGroup(String logGroup, String message) throws ParseException {
        return parser.parse(new RawLogEvent(new RawLogEvent.Envelope("111122223333", logGroup, "stream-1", null, null),
                "id-1", 1717236900000L, message), INGEST);
    }

    private NormalizedEvent record(String json) throws Exception {
        DecodedRecord decoded = new RecordDecoder().decode((json + "\n").getBytes(StandardCharsets.UTF_8));
        return parser.parse(decoded.events().get(0), INGEST);
    }

    /** pgaudit.log holds one multi-line entry; these are its entries as CloudWatch events. */
    private static List<String> pgEntries() {
        List<String> entries = new ArrayList<>();
        for (String line : Examples.lines("pgaudit.log")) {
            if (PostgresAuditParser.looksLikePostgresLine(line) || entries.isEmpty()) {
                entries.add(line);
            } else {
                entries.set(entries.size() - 1, entries.get(entries.size() - 1) + "\n" + line);
            }
        }
        return entries;
    }

    @Test
    void pgauditReadRow() throws Exception {
        NormalizedEvent e = inGroup("/aws/rds/cluster/ledger-pg/postgresql", pgEntries().get(2));
        assertThat(e.logType).isEqualTo("postgres_audit");
        assertThat(e.eventTimeMillis).isEqualTo(1717236903000L);
        assertThat(e.dbUser).isEqualTo("ledger_app");
        assertThat(e.dbName).isEqualTo("ledgerdb");
        assertThat(e.dbClientHost).isEqualTo("10.40.8.21");
        assertThat(e.dbConnectionId).isEqualTo(30518L);
        assertThat(e.dbOperation).isEqualTo("SELECT");
        assertThat(e.dbQuery).isEqualTo("SELECT id, amount FROM invoices WHERE memo = 'late fee, waived'");
        assertThat(e.dbRetcode).isZero();
        assertThat(e.service).isEqualTo("ledger-pg");
        assertThat(e.attributes).containsEntry("pg_audit_type", "SESSION").containsEntry("pg_class", "READ")
                .containsEntry("pg_statement_id", "1").containsEntry("pg_parameters", "<not logged>")
                .containsEntry("db_client_port", "53110");
    }

    @Test
    void pgauditMultiLineStatementAndNestedParameters() throws Exception {
        NormalizedEvent update = inGroup("/aws/rds/cluster/ledger-pg/postgresql", pgEntries().get(3));
        assertThat(update.dbQuery).isEqualTo("UPDATE invoices\n   SET state = 'PAID',\n       memo = 'paid \"in full\", thanks'\n WHERE id = 8800");
        assertThat(update.dbObject).isEqualTo("public.invoices");
        assertThat(update.attributes).containsEntry("pg_object_type", "TABLE");
        NormalizedEvent insert = inGroup("/aws/rds/cluster/ledger-pg/postgresql", pgEntries().get(4));
        assertThat(insert.attributes.get("pg_parameters")).isEqualTo("8801,\"client wrote \"\"asap\"\", then called\"");
        assertThat(PostgresAuditParser.parameters(insert.attributes.get("pg_parameters")))
                .containsExactly("8801", "client wrote \"asap\", then called");
        NormalizedEvent delete = inGroup("/aws/rds/cluster/ledger-pg/postgresql", pgEntries().get(9));
        assertThat(delete.dbOperation).isEqualTo("DELETE");
        assertThat(delete.attributes).containsEntry("pg_rows", "4").containsEntry("pg_parameters", "<none>");
        NormalizedEvent grant = inGroup("/aws/rds/cluster/ledger-pg/postgresql", pgEntries().get(6));
        assertThat(grant.dbOperation).isEqualTo("GRANT");
        assertThat(grant.dbQuery).isEqualTo("GRANT SELECT ON invoices TO auditors");
    }

    @Test
    void pgConnectionAndFailedLoginLines() throws Exception {
        List<String> entries = pgEntries();
        NormalizedEvent received = inGroup("/aws/rds/instance/pg-1/postgresql", entries.get(0));
        assertThat(received.dbUser).isNull(); // [unknown] before authentication
        assertThat(received.dbOperation).isNull();
        assertThat(inGroup("/aws/rds/instance/pg-1/postgresql", entries.get(1)).dbOperation).isEqualTo("CONNECT");
        assertThat(inGroup("/aws/rds/instance/pg-1/postgresql", entries.get(10)).dbOperation).isEqualTo("DISCONNECT");
        NormalizedEvent failed = inGroup("/aws/rds/instance/pg-1/postgresql", entries.get(11));
        assertThat(failed.dbOperation).isEqualTo("FAILED_CONNECT");
        assertThat(failed.dbUser).isEqualTo("admin");
        assertThat(failed.dbClientHost).isEqualTo("203.0.113.151");
        assertThat(failed.level).isEqualTo("FATAL");
        assertThat(failed.message).isEqualTo("password authentication failed for user \"admin\"");
        NormalizedEvent checkpoint = inGroup("/aws/rds/instance/pg-1/postgresql", entries.get(13));
        assertThat(checkpoint.dbUser).isNull();
        assertThat(checkpoint.dbClientHost).isNull();
        assertThat(checkpoint.dbConnectionId).isEqualTo(412L);
        assertThat(checkpoint.message).isEqualTo("checkpoint starting: time");
    }

    @Test
    void pgLineWithoutThePrefixIsAParseError() {
        assertThatThrownBy(() -> inGroup("/aws/rds/instance/pg-1/postgresql", "   SET status = 'SHIPPED',"))
                .isInstanceOf(ParseException.class)
                .hasMessage("PostgreSQL log line does not start with the RDS prefix %t:%r:%u@%d:[%p]:")
                .extracting(e -> ((ParseException) e).logType()).isEqualTo("postgres_audit");
    }

    @Test
    void accountLevelPolicyRecordCarriesPgaudit() throws Exception {
        DecodedRecord decoded = new RecordDecoder().decode(KinesisRecords.of("cwl-subscription-data-account-policy"));
        NormalizedEvent first = parser.parse(decoded.events().get(0), INGEST);
        assertThat(first.logType).isEqualTo("postgres_audit");
        assertThat(first.account).isEqualTo("444455556666");
        assertThat(first.attributes).containsEntry("cwl_policy_level", "ACCOUNT_LEVEL_POLICY");
    }

    @Test
    void fireLensJsonLineWithEcsMetadata() throws Exception {
        NormalizedEvent e = record(Examples.lines("firelens.jsonl").get(1));
        assertThat(e.logType).isEqualTo("app");
        assertThat(e.message).isEqualTo("Parcel P-55012 scanned at depot HAM-2");
        assertThat(e.level).isEqualTo("INFO");
        assertThat(e.eventTimeMillis).isEqualTo(1717236902245L);
        assertThat(e.service).isEqualTo("tracker-web");
        assertThat(e.account).isEqualTo("111122223333");
        assertThat(e.region).isEqualTo("eu-central-1");
        assertThat(e.logStream).isEqualTo("/ecs-tracker-web-7-app-a4c8e2f6b0d1937e5a01");
        assertThat(e.eventId).isNull();
        assertThat(e.attributes).containsEntry("source", "stdout").containsEntry("ecs_cluster", "prod-eu")
                .containsEntry("ecs_task_definition", "tracker-web:7").containsEntry("courierId", "c-318");
    }

    @Test
    void fireLensTextLinesAndTimeKey() throws Exception {
        NormalizedEvent stderr = record(Examples.lines("firelens.jsonl").get(2));
        assertThat(stderr.logType).isEqualTo("text");
        assertThat(stderr.message).isEqualTo("Exception in thread \"label-sync\" java.util.concurrent.RejectedExecutionException: pool shut down");
        assertThat(stderr.attributes).containsEntry("source", "stderr");
        NormalizedEvent timed = record(Examples.lines("firelens.jsonl").get(7));
        assertThat(timed.message).isEqualTo("readiness probe ok");
        assertThat(timed.eventTimeMillis).isEqualTo(1717236905317L); // time_key, UTC without zone
        NormalizedEvent ec2 = record(Examples.lines("firelens.jsonl").get(8));
        assertThat(ec2.service).isEqualTo("route-planner");
        assertThat(ec2.attributes).containsEntry("ec2_instance_id", "i-0f3c5a7e9b1d2c4e6");
    }

    @Test
    void fireLensPartialChunksReassembleToTheWholeLine() throws Exception {
        List<String> lines = Examples.lines("firelens.jsonl");
        FireLensParser.PartialChunk first = FireLensParser.partialChunk(lines.get(4));
        FireLensParser.PartialChunk second = FireLensParser.partialChunk(lines.get(5));
        FireLensParser.PartialChunk third = FireLensParser.partialChunk(lines.get(6));
        assertThat(first.ordinal).isEqualTo(1);
        assertThat(third.ordinal).isEqualTo(3);
        assertThat(third.last).isTrue();
        assertThat(first.key).isEqualTo(second.key).isEqualTo(third.key);
        assertThat(FireLensParser.partialChunk(lines.get(1))).isNull();
        String whole = first.log + second.log + third.log;
        assertThat(whole).hasSize(42_768);
        NormalizedEvent e = record(FireLensParser.reassembled(first, whole, true, whole.length()));
        assertThat(e.logType).isEqualTo("app");
        assertThat(e.level).isEqualTo("ERROR");
        // P-003629 is cut between the second and the third piece.
        assertThat(e.message).startsWith("Manifest upload skipped parcels: P-000000,P-000001,").contains(",P-003629,");
        assertThat(e.attributes).doesNotContainKeys("partial_message", "partial_id", "nagare_partial_incomplete");
    }

    @Test
    void lambdaJsonFormatRecords() throws Exception {
        List<String> lines = Examples.lines("lambda-json.jsonl");
        String group = "/aws/lambda/label-printer";
        NormalizedEvent start = inGroup(group, lines.get(1));
        assertThat(start.requestId).isEqualTo("7d3f9b21-6a4e-4c85-9f10-2b8e4d6c1a37");
        assertThat(start.attributes).containsEntry("lambda_platform_type", "platform.start");
        NormalizedEvent object = inGroup(group, lines.get(3));
        assertThat(object.logType).isEqualTo("lambda");
        assertThat(new ObjectMapper().readTree(object.message).get("note").asText()).isEqualTo("leave at \"door B\", ring twice\nthen call");
        NormalizedEvent error = inGroup(group, lines.get(4));
        assertThat(error.level).isEqualTo("ERROR");
        assertThat(error.message).startsWith("TypeError: Cannot read properties of null (reading 'zip')\nTypeError: Cannot read p");
        assertThat(error.eventTimeMillis).isEqualTo(1717236902131L);
        NormalizedEvent report = inGroup(group, lines.get(6));
        assertThat(report.lambdaDurationMs).isEqualTo(42.81);
        assertThat(report.lambdaInitMs).isEqualTo(243.06);
        assertThat(report.lambdaMaxMemoryMb).isEqualTo(97);
        assertThat(report.level).isEqualTo("INFO");
        NormalizedEvent python = inGroup(group, lines.get(8));
        assertThat(python.level).isEqualTo("ERROR");
        assertThat(python.message)
                .startsWith("failed to render invoice\nRenderError: font missing\n  File \"/var/task/handler.py\", line 33, in handler");
        assertThat(python.attributes).containsEntry("invoiceId", "INV-8801").containsEntry("location", "/var/task/handler.py:handler:35");
        NormalizedEvent timeout = inGroup(group, lines.get(10));
        assertThat(timeout.level).isEqualTo("ERROR");
        assertThat(timeout.attributes).containsEntry("lambda_status", "timeout");
        NormalizedEvent oom = inGroup(group, lines.get(11));
        assertThat(oom.attributes).containsEntry("lambda_status", "error").containsEntry("lambda_error_type", "Runtime.OutOfMemory");
        assertThat(oom.lambdaMaxMemoryMb).isEqualTo(512);
    }

    @Test
    void pythonAndPinoDialects() throws Exception {
        List<String> python = Examples.lines("python-json.jsonl");
        NormalizedEvent asctime = inGroup("/ecs/invoicing", python.get(0));
        assertThat(asctime.eventTimeMillis).isEqualTo(1717236902731L); // "2024-06-01 10:15:02,731", no zone: UTC
        assertThat(asctime.level).isEqualTo("INFO");
        assertThat(asctime.service).isEqualTo("invoicing");
        assertThat(asctime.attributes).containsEntry("name", "invoicing.worker").containsEntry("invoice_id", "INV-8801");
        NormalizedEvent exc = inGroup("/ecs/invoicing", python.get(1));
        assertThat(exc.message).isEqualTo("pdf render failed\nTraceback (most recent call last):\n  File \"/srv/invoicing/render.py\", line 77, "
                + "in render\n    html.write_pdf(target)\ninvoicing.errors.RenderError: font missing");
        NormalizedEvent structlog = inGroup("/ecs/invoicing", python.get(2));
        assertThat(structlog.message).isEqualTo("invoice issued");
        assertThat(structlog.eventTimeMillis).isEqualTo(1717236902731L);
        List<String> pino = Examples.lines("pino.jsonl");
        NormalizedEvent err = inGroup("/ecs/labels", pino.get(2));
        assertThat(err.level).isEqualTo("ERROR");
        assertThat(err.message).isEqualTo("print job failed\nError: printer offline after 3 retries\n"
                + "    at send (/srv/app/lib/printer.js:58:13)\n    at async queueJob (/srv/app/lib/queue.js:21:7)");
        assertThat(err.requestId).isEqualTo("req-42");
        NormalizedEvent label = inGroup("/ecs/labels", pino.get(5));
        assertThat(label.level).isEqualTo("WARN");
        assertThat(label.eventTimeMillis).isEqualTo(1717236902495L);
    }

    @Test
    void dottedFieldNamesAreReadFlatOrNested() throws Exception {
        // ECS / OpenTelemetry style nesting: {"log": {"level": ...}}, {"service": {"name": ...}}.
        NormalizedEvent nested = inGroup("/ecs/pay", "{\"@timestamp\":\"2024-06-01T10:15:02Z\",\"log\":{\"level\":\"error\"},"
                + "\"service\":{\"name\":\"pay\"},\"trace\":{\"id\":\"t-1\"},\"message\":\"declined\"}");
        assertThat(nested.level).isEqualTo("ERROR");
        assertThat(nested.service).isEqualTo("pay");
        assertThat(nested.traceId).isEqualTo("t-1");
        // The same names written flat, and a nested path that stops short of its leaf.
        NormalizedEvent flat = inGroup("/ecs/pay", "{\"log.level\":\"warn\",\"dd.trace_id\":\"t-2\","
                + "\"trace\":{\"span\":\"s\"},\"service\":\"ledger\",\"message\":\"slow\"}");
        assertThat(flat.level).isEqualTo("WARN");
        assertThat(flat.service).isEqualTo("ledger");
        assertThat(flat.traceId).isEqualTo("t-2");
    }

    @Test
    void mariadbDialect() throws Exception {
        NormalizedEvent e = inGroup("/aws/rds/instance/ledger-maria/audit", Examples.lines("rds-mariadb-audit.log").get(4));
        assertThat(e.dbQuery).isEqualTo("DELETE FROM sessions\nWHERE last_seen < NOW() - INTERVAL 30 DAY");
        assertThat(e.eventTimeMillis).isEqualTo(1717236903000L);
        assertThat(e.service).isEqualTo("ledger-maria");
    }

    @Test
    void configuredRoutesComeFirst() throws Exception {
        EventParser custom = new EventParser(List.of(new EventParser.Route("/custom/db-audit", LogTypes.MYSQL_AUDIT)));
        NormalizedEvent e = custom.parse(new RawLogEvent(new RawLogEvent.Envelope("1", "/custom/db-audit", "s", null, null),
                "1", 1L, Examples.lines("aurora-mysql-audit.log").get(0)), INGEST);
        assertThat(e.logType).isEqualTo("mysql_audit");
        assertThatThrownBy(() -> custom.parse(new RawLogEvent(new RawLogEvent.Envelope("1", "/custom/db-audit", "s", null, null),
                "1", 1L, "not an audit line"), INGEST))
                .isInstanceOf(ParseException.class);
    }
}
