package dev.nagare.udf.parse;

import dev.nagare.udf.Examples;
import dev.nagare.udf.Hostile;
import dev.nagare.udf.redact.Redactor;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MySqlAuditParserTest {
    private final MySqlAuditParser parser = new MySqlAuditParser();

    @Test
    void everyExampleLineParses() throws Exception {
        for (String file : List.of("aurora-mysql-audit.log", "rds-mysql-audit.log", "rds-mariadb-audit.log")) {
            for (String line : Examples.lines(file)) {
                if (!line.isBlank()) {
                    assertThat(MySqlAuditParser.looksLikeAuditLine(line)).as(line).isTrue();
                    parser.parseLine(line);
                }
            }
        }
    }

    @Test
    void auroraQueryWithQuotesAndCommas() throws Exception {
        MySqlAuditParser.AuditLine a = parser.parseLine(Examples.lines("aurora-mysql-audit.log").get(2));
        assertThat(a.timeMillis).isEqualTo(1717236902251L);
        assertThat(a.serverHost).isEqualTo("parcels-aurora-instance-2");
        assertThat(a.user).isEqualTo("svc_parcels");
        assertThat(a.host).isEqualTo("10.40.7.12");
        assertThat(a.connectionId).isEqualTo(60317L);
        assertThat(a.queryId).isEqualTo(880412001L);
        assertThat(a.operation).isEqualTo("QUERY");
        assertThat(a.database).isEqualTo("parcels");
        assertThat(a.object).isEqualTo("SELECT id, weight_kg FROM shipments WHERE carrier = 'DHX' AND label LIKE '%fragile, this side up%'");
        assertThat(a.retcode).isZero();
    }

    @Test
    void doubledBackslashesUnescapeLeftToRight() throws Exception {
        MySqlAuditParser.AuditLine a = parser.parseLine(Examples.lines("aurora-mysql-audit.log").get(6));
        assertThat(a.object).isEqualTo("INSERT INTO delivery_note (body) VALUES ('Left \"behind the gate\", see D:\\\\scans\\\\p55012.png')");
    }

    @Test
    void tableEventsHaveNoRetcode() throws Exception {
        MySqlAuditParser.AuditLine a = parser.parseLine(Examples.lines("aurora-mysql-audit.log").get(10));
        assertThat(a.operation).isEqualTo("RENAME");
        assertThat(a.object).isEqualTo("depot|parcels.depot_old");
        assertThat(a.retcode).isNull();
    }

    @Test
    void failedLoginCarriesTheErrorNumber() throws Exception {
        MySqlAuditParser.AuditLine a = parser.parseLine(Examples.lines("aurora-mysql-audit.log").get(13));
        assertThat(a.operation).isEqualTo("FAILED_CONNECT");
        assertThat(a.user).isEqualTo("admin");
        assertThat(a.host).isEqualTo("203.0.113.151");
        assertThat(a.database).isNull();
        assertThat(a.retcode).isEqualTo(1045);
    }

    @Test
    void rdsMysqlDialectWithEscapedNewlinesAndTrailingFields() throws Exception {
        List<String> lines = Examples.lines("rds-mysql-audit.log");
        MySqlAuditParser.AuditLine connect = parser.parseLine(lines.get(0));
        assertThat(connect.timeMillis).isEqualTo(1717236902000L); // 2024-06-01T10:15:02Z
        assertThat(connect.connectionType).isEqualTo("SSL");
        MySqlAuditParser.AuditLine update = parser.parseLine(lines.get(2));
        assertThat(update.object).isEqualTo("UPDATE shipments\n   SET state = 'DELIVERED',\n\tsigned_by = 'Ana \"the neighbour\"'\n WHERE id = 55012");
        assertThat(update.retcode).isZero();
        assertThat(update.connectionType).isNull();
    }

    @Test
    void normalizedColumnsOfAQuery() throws Exception {
        NormalizedEvent e = new NormalizedEvent();
        parser.parse(Examples.lines("aurora-mysql-audit.log").get(7), e);
        assertThat(e.logType).isEqualTo("mysql_audit");
        assertThat(e.eventTimeMillis).isEqualTo(1717236902517L);
        assertThat(e.dbOperation).isEqualTo("QUERY");
        assertThat(e.dbQuery).isEqualTo("SELECT * FROM shipmentz");
        assertThat(e.dbRetcode).isEqualTo(1146);
        assertThat(e.dbConnectionId).isEqualTo(60317L);
        assertThat(e.level).isEqualTo("WARN");
        assertThat(e.attributes).containsEntry("db_server_host", "parcels-aurora-instance-2").containsEntry("db_query_id", "880412004");
    }

    @Test
    void passwordsInStatementsAreMasked() throws Exception {
        NormalizedEvent e = new NormalizedEvent();
        parser.parse("1717236902118204,db-1,dba,10.0.0.9,5,6,QUERY,mysql,"
                + "'CREATE USER \\'report\\'@\\'%\\' IDENTIFIED BY \\'S3cr3t, really\\'',0", e);
        EventParser.redact(Redactor.DEFAULT, e); // as EventParser does after every parser
        assertThat(e.dbQuery).isEqualTo("CREATE USER 'report'@'%' IDENTIFIED BY *****");
        assertThat(e.message).doesNotContain("S3cr3t");
    }

    @Test
    void rejectsWhatIsNotAnAuditLine() {
        assertThatThrownBy(() -> parser.parseLine("1717236902118204,db-1,app_rw,10.0.0.1,48211,77"))
                .isInstanceOf(ParseException.class)
                .hasMessage("MySQL audit line has 6 fields, expected 10 to 12");
        assertThatThrownBy(() -> parser.parseLine("1717236902118204,db-1,u,h,x1,0,CONNECT,db,,0"))
                .isInstanceOf(ParseException.class)
                .hasMessage("MySQL audit connectionid 'x1' is not a number");
        assertThatThrownBy(() -> parser.parseLine("1717236902118204,db-1,u,h,1,2,QUERY,db,'SELECT \\'x,0"))
                .isInstanceOf(ParseException.class)
                .hasMessage("unterminated quoted SQL text in MySQL audit line");
        assertThatThrownBy(() -> parser.parseLine("1717236902118204,db-1,u,h,1,2,query,db,,0"))
                .isInstanceOf(ParseException.class)
                .hasMessage("MySQL audit operation 'query' is not an upper-case word");
    }
    @Test
    void aNumberPastALongIsAParseError() {
        // 19 digits pass the length check but overflow a long: this threw NumberFormatException.
        assertThatThrownBy(() -> parser.parseLine("1717236902118204,db-1,u,h,9999999999999999999,0,CONNECT,db,,0"))
                .isInstanceOf(ParseException.class)
                .hasMessage("MySQL audit connectionid '9999999999999999999' is not a number");
    }

    @Test
    void aQueryWithAMultiMegabyteLiteralParsesAndIsRedacted() throws Exception {
        String secret = "s".repeat(4 * 1024 * 1024);
        String line = "1717236902118204,db-1,dba,10.0.0.9,5,6,QUERY,mysql,'ALTER USER \\'u\\' IDENTIFIED BY \\'" + secret + "\\'',0";
        NormalizedEvent e = Hostile.run(() -> {
            NormalizedEvent out = new NormalizedEvent();
            parser.parse(line, out);
            EventParser.redact(Redactor.DEFAULT, out);
            return out;
        });
        assertThat(e.dbQuery).isEqualTo("ALTER USER 'u' IDENTIFIED BY *****");
        String unterminated = "1717236902118204,db-1,dba,10.0.0.9,5,6,QUERY,mysql,'SELECT \\'" + "x".repeat(4 * 1024 * 1024);
        assertThat(Hostile.expect(ParseException.class, () -> parser.parseLine(unterminated)))
                .hasMessage("unterminated quoted SQL text in MySQL audit line");
    }
}
