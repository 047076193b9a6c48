package dev.nagare.udf.parse;

import dev.nagare.udf.Hostile;
import dev.nagare.udf.redact.Redactor;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PostgresAuditParserTest {
    private static final int MB = 1024 * 1024;
    private final PostgresAuditParser parser = new PostgresAuditParser();

    private NormalizedEvent parse(String line) throws ParseException {
        NormalizedEvent out = new NormalizedEvent();
        parser.parse(line, out);
        EventParser.redact(Redactor.DEFAULT, out); // as EventParser does after every parser
        return out;
    }

    @Test
    void splitsZoneRemoteAndUser() {
        assertThat(PostgresAuditParser.session("UTC:10.0.0.5(50432):app_rw")).containsExactly("UTC", "10.0.0.5(50432)", "app_rw");
        assertThat(PostgresAuditParser.session("UTC::")).containsExactly("UTC", "", "");
        assertThat(PostgresAuditParser.session("+05:30:10.0.0.5(1):app")).containsExactly("+05:30", "10.0.0.5(1)", "app");
        assertThat(PostgresAuditParser.session("-03:[local]:a:b")).containsExactly("-03", "[local]", "a:b");
        // The first reading, as the regex found it: an IPv6 host is cut at its first colon (a known limit of the format).
        assertThat(PostgresAuditParser.session("UTC:2001:db8::1(5432):app")).containsExactly("UTC", "2001", "db8::1(5432):app");
        assertThat(PostgresAuditParser.session("UTC:no-user-colon")).isNull();
        assertThat(PostgresAuditParser.session("+:h:u")).isNull();
        assertThat(PostgresAuditParser.session("5:h:u")).isNull();
    }

    @Test
    void readsTheConnectionFieldsOfAPrefix() throws Exception {
        NormalizedEvent e = parse("2024-06-01 10:15:03.120 +05:30:10.20.5.17(50432):app_rw@ordersdb:[21437]:LOG:  connection authorized: user=app_rw");
        assertThat(e.dbClientHost).isEqualTo("10.20.5.17");
        assertThat(e.attributes).containsEntry("db_client_port", "50432");
        assertThat(e.dbUser).isEqualTo("app_rw");
        assertThat(e.dbName).isEqualTo("ordersdb");
        assertThat(e.dbConnectionId).isEqualTo(21437L);
        assertThat(e.dbOperation).isEqualTo("CONNECT");
        assertThat(e.message).isEqualTo("connection authorized: user=app_rw");
    }

    @Test
    void aProcessIdPastALongIsAParseError() {
        // This threw NumberFormatException out of the parser.
        assertThatThrownBy(() -> parse("2024-06-01 10:15:03 UTC:h:u@db:[99999999999999999999]:LOG:  hi"))
                .isInstanceOf(ParseException.class)
                .hasMessage("PostgreSQL process id '99999999999999999999' is not a number");
    }

    /** Zone, host and user were three overlapping regex runs: a run of colons took cubic time (1,000 colons: 3 s). */
    @Test
    void aPrefixFullOfColonsTakesOnePass() {
        String colons = "0:".repeat(2 * MB);
        assertThat(Hostile.run(() -> PostgresAuditParser.looksLikePostgresLine("2024-06-01 10:00:00 +" + colons + "x@"))).isFalse();
        assertThat(Hostile.run(() -> PostgresAuditParser.looksLikePostgresLine("2024-06-01 10:00:00 +" + colons + "x@db:[1]:LOG: x")))
                .isTrue();
        assertThat(Hostile.expect(ParseException.class, () -> parse("2024-06-01 10:00:00 UTC:" + ":".repeat(4 * MB))))
                .hasMessageStartingWith("PostgreSQL log line does not start with the RDS prefix");
    }

    @Test
    void hostileMessagesTakeOnePass() {
        String prefix = "2024-06-01 10:00:00 UTC:h(1):u@db:[1]:";
        Hostile.run(() -> parse(prefix + "FATAL:  role \"" + "x".repeat(4 * MB) + "\n\" does not exist"));
        Hostile.run(() -> parse("2024-06-01 10:00:00 UTC:" + "(1".repeat(2 * MB) + ":u@db:[1]:LOG:  x"));
        assertThat(Hostile.run(() -> parse(prefix + "LOG:  AUDIT: SESSION,1,1,DDL,ALTER ROLE,,,\"ALTER ROLE a PASSWORD E'"
                + "\\'".repeat(2 * MB) + "'\",<none>")).dbQuery).isEqualTo("ALTER ROLE a PASSWORD *****");
        Hostile.expect(ParseException.class, () -> parse(prefix + "LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,\"" + "x".repeat(4 * MB)));
    }
}
