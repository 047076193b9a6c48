package dev.nagare.udf.parse;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nagare.udf.Examples;
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
        NormalizedEvent e = inGroup("/aws/rds/cluster/billing-pg/postgresql", pgEntries().get(2));
        assertThat(e.logType).isEqualTo("postgres_audit");
        assertThat(e.eventTimeMillis).isEqualTo(1717236903000L);
        assertThat(e.dbUser).isEqualTo("app_rw");
        assertThat(e.dbName).isEqualTo("ordersdb");
        assertThat(e.dbClientHost).isEqualTo("10.20.5.17");
        assertThat(e.dbConnectionId).isEqualTo(21437L);
        assertThat(e.dbOperation).isEqualTo("SELECT");
        assertThat(e.dbQuery).isEqualTo("SELECT id, total FROM orders WHERE note = 'rush, fragile'");
        assertThat(e.dbRetcode).isZero();
        assertThat(e.service).isEqualTo("billing-pg");
        assertThat(e.attributes).containsEntry("pg_audit_type", "SESSION").containsEntry("pg_class", "READ")
                .containsEntry("pg_statement_id", "1").containsEntry("pg_parameters", "<not logged>")
                .containsEntry("db_client_port", "50432");
    }

    @Test
    void pgauditMultiLineStatementAndNestedParameters() throws Exception {
        NormalizedEvent update = inGroup("/aws/rds/cluster/billing-pg/postgresql", pgEntries().get(3));
        assertThat(update.dbQuery).isEqualTo("UPDATE orders\n   SET status = 'SHIPPED',\n       note = 'said \"ok\", left'\n WHERE id = 1001");
        assertThat(update.dbObject).isEqualTo("public.orders");
        assertThat(update.attributes).containsEntry("pg_object_type", "TABLE");
        NormalizedEvent insert = inGroup("/aws/rds/cluster/billing-pg/postgresql", pgEntries().get(4));
        assertThat(insert.attributes.get("pg_parameters")).isEqualTo("1002,\"he said \"\"hi\"\", twice\"");
        assertThat(PostgresAuditParser.parameters(insert.attributes.get("pg_parameters"))).containsExactly("1002", "he said \"hi\", twice");
        NormalizedEvent delete = inGroup("/aws/rds/cluster/billing-pg/postgresql", pgEntries().get(9));
        assertThat(delete.dbOperation).isEqualTo("DELETE");
        assertThat(delete.attributes).containsEntry("pg_rows", "3").containsEntry("pg_parameters", "<none>");
        NormalizedEvent grant = inGroup("/aws/rds/cluster/billing-pg/postgresql", pgEntries().get(6));
        assertThat(grant.dbOperation).isEqualTo("GRANT");
        assertThat(grant.dbQuery).isEqualTo("GRANT SELECT ON orders TO reporting");
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
        assertThat(failed.dbClientHost).isEqualTo("203.0.113.77");
        assertThat(failed.level).isEqualTo("FATAL");
        assertThat(failed.message).isEqualTo("password authentication failed for user \"admin\"");
        NormalizedEvent checkpoint = inGroup("/aws/rds/instance/pg-1/postgresql", entries.get(13));
        assertThat(checkpoint.dbUser).isNull();
        assertThat(checkpoint.dbClientHost).isNull();
        assertThat(checkpoint.dbConnectionId).isEqualTo(389L);
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
        DecodedRecord decoded = new RecordDecoder().decode(Examples.bytes("kinesis-records/cwl-subscription-data-account-policy.bin"));
        NormalizedEvent first = parser.parse(decoded.events().get(0), INGEST);
        assertThat(first.logType).isEqualTo("postgres_audit");
        assertThat(first.account).isEqualTo("444455556666");
        assertThat(first.attributes).containsEntry("cwl_policy_level", "ACCOUNT_LEVEL_POLICY");
    }

    @Test
    void fireLensJsonLineWithEcsMetadata() throws Exception {
        NormalizedEvent e = record(Examples.lines("firelens.jsonl").get(1));
        assertThat(e.logType).isEqualTo("app");
        assertThat(e.message).isEqualTo("Order A-1001 accepted");
        assertThat(e.level).isEqualTo("INFO");
        assertThat(e.eventTimeMillis).isEqualTo(1717236902118L);
        assertThat(e.service).isEqualTo("orders-web");
        assertThat(e.account).isEqualTo("111122223333");
        assertThat(e.region).isEqualTo("eu-west-1");
        assertThat(e.logStream).isEqualTo("/ecs-orders-web-12-app-d2b1f0c8a9e7f6a5b401");
        assertThat(e.eventId).isNull();
        assertThat(e.attributes).containsEntry("source", "stdout").containsEntry("ecs_cluster", "prod")
                .containsEntry("ecs_task_definition", "orders-web:12").containsEntry("userId", "u-77");
    }

    @Test
    void fireLensTextLinesAndTimeKey() throws Exception {
        NormalizedEvent stderr = record(Examples.lines("firelens.jsonl").get(2));
        assertThat(stderr.logType).isEqualTo("text");
        assertThat(stderr.message).isEqualTo("Exception in thread \"scheduler-1\" java.lang.IllegalStateException: queue closed");
        assertThat(stderr.attributes).containsEntry("source", "stderr");
        NormalizedEvent timed = record(Examples.lines("firelens.jsonl").get(7));
        assertThat(timed.message).isEqualTo("healthcheck ok");
        assertThat(timed.eventTimeMillis).isEqualTo(1717236905004L); // time_key, UTC without zone
        NormalizedEvent ec2 = record(Examples.lines("firelens.jsonl").get(8));
        assertThat(ec2.service).isEqualTo("batch-worker");
        assertThat(ec2.attributes).containsEntry("ec2_instance_id", "i-06bc83dbc2ac2fdf8");
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
        assertThat(whole).hasSize(42_820);
        NormalizedEvent e = record(FireLensParser.reassembled(first, whole, true, whole.length()));
        assertThat(e.logType).isEqualTo("app");
        assertThat(e.level).isEqualTo("ERROR");
        assertThat(e.message).startsWith("Bulk import rejected rows: row-00000,row-00001,").contains("row-03267,");
        assertThat(e.attributes).doesNotContainKeys("partial_message", "partial_id", "nagare_partial_incomplete");
    }

    @Test
    void lambdaJsonFormatRecords() throws Exception {
        List<String> lines = Examples.lines("lambda-json.jsonl");
        String group = "/aws/lambda/orders-api";
        NormalizedEvent start = inGroup(group, lines.get(1));
        assertThat(start.requestId).isEqualTo("5b0e6d1a-9c4f-4e7b-8a2d-3f1c0b9e7d64");
        assertThat(start.attributes).containsEntry("lambda_platform_type", "platform.start");
        NormalizedEvent object = inGroup(group, lines.get(3));
        assertThat(object.logType).isEqualTo("lambda");
        assertThat(new ObjectMapper().readTree(object.message).get("note").asText()).isEqualTo("rush, \"fragile\"\nsecond line");
        NormalizedEvent error = inGroup(group, lines.get(4));
        assertThat(error.level).isEqualTo("ERROR");
        assertThat(error.message).startsWith("TypeError: Cannot read properties of undefined (reading 'sku')\nTypeError: Cannot read p");
        assertThat(error.eventTimeMillis).isEqualTo(1717236902140L);
        NormalizedEvent report = inGroup(group, lines.get(6));
        assertThat(report.lambdaDurationMs).isEqualTo(31.27);
        assertThat(report.lambdaInitMs).isEqualTo(212.55);
        assertThat(report.lambdaMaxMemoryMb).isEqualTo(88);
        assertThat(report.level).isEqualTo("INFO");
        NormalizedEvent python = inGroup(group, lines.get(8));
        assertThat(python.level).isEqualTo("ERROR");
        assertThat(python.message).startsWith("failed to charge card\nPaymentError: card declined\n  File \"/var/task/app.py\", line 41, in handler");
        assertThat(python.attributes).containsEntry("orderId", "A-1001").containsEntry("location", "/var/task/app.py:handler:44");
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
        NormalizedEvent asctime = inGroup("/ecs/orders", python.get(0));
        assertThat(asctime.eventTimeMillis).isEqualTo(1717236902118L); // "2024-06-01 10:15:02,118", no zone: UTC
        assertThat(asctime.level).isEqualTo("INFO");
        assertThat(asctime.service).isEqualTo("orders");
        assertThat(asctime.attributes).containsEntry("name", "orders.api").containsEntry("order_id", "A-1001");
        NormalizedEvent exc = inGroup("/ecs/orders", python.get(1));
        assertThat(exc.message).isEqualTo("charge failed\nTraceback (most recent call last):\n  File \"/app/orders/api.py\", line 52, "
                + "in charge\n    gateway.charge(order)\norders.errors.PaymentError: card declined");
        NormalizedEvent structlog = inGroup("/ecs/orders", python.get(2));
        assertThat(structlog.message).isEqualTo("order accepted");
        assertThat(structlog.eventTimeMillis).isEqualTo(1717236902118L);
        List<String> pino = Examples.lines("pino.jsonl");
        NormalizedEvent err = inGroup("/ecs/orders", pino.get(2));
        assertThat(err.level).isEqualTo("ERROR");
        assertThat(err.message).isEqualTo("reservation failed\nError: inventory timeout after 1500ms\n"
                + "    at reserve (/app/src/inventory.js:41:11)\n    at async handle (/app/src/routes/orders.js:88:5)");
        assertThat(err.requestId).isEqualTo("req-7");
        NormalizedEvent label = inGroup("/ecs/orders", pino.get(5));
        assertThat(label.level).isEqualTo("WARN");
        assertThat(label.eventTimeMillis).isEqualTo(1717236902412L);
    }

    @Test
    void mariadbDialect() throws Exception {
        NormalizedEvent e = inGroup("/aws/rds/instance/maria-1/audit", Examples.lines("rds-mariadb-audit.log").get(4));
        assertThat(e.dbQuery).isEqualTo("DELETE FROM cart\nWHERE created < NOW() - INTERVAL 7 DAY");
        assertThat(e.eventTimeMillis).isEqualTo(1717236903000L);
        assertThat(e.service).isEqualTo("maria-1");
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
