package dev.nagare.udf.parse;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nagare.udf.Examples;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The ordered registry: which format each kind of line lands in when no route names one. */
class LogFormatsTest {

    @Test
    void linesGoToTheFirstFormatThatRecognisesThem() {
        assertThat(Examples.lines("rds-mysql-audit.log")).allSatisfy(line ->
                assertThat(LogFormats.forLine(line)).isSameAs(LogFormats.MYSQL_AUDIT));
        assertThat(LogFormats.forLine(Examples.lines("pgaudit.log").get(0))).isSameAs(LogFormats.POSTGRES_AUDIT);
        assertThat(LogFormats.forLine("REPORT RequestId: 3f1c Duration: 12.5 ms Billed Duration: 13 ms "
                + "Memory Size: 128 MB Max Memory Used: 64 MB")).isSameAs(LogFormats.LAMBDA);
        assertThat(LogFormats.forLine(Examples.lines("firelens.jsonl").get(0))).isSameAs(LogFormats.APP);
        assertThat(LogFormats.forLine("ERROR something broke")).isSameAs(LogFormats.TEXT);
    }

    /** JSON lines are told apart by their fields: CloudTrail and FireLens before application JSON. */
    @Test
    void jsonObjectsGoToTheFirstFormatThatRecognisesThem() {
        ObjectNode fireLens = AppJsonParser.readObject(Examples.lines("firelens.jsonl").get(0));
        assertThat(LogFormats.forJson(fireLens)).isSameAs(LogFormats.FIRELENS);
        ObjectNode trail = AppJsonParser.readObject("{\"eventVersion\":\"1.08\",\"eventSource\":\"s3.amazonaws.com\","
                + "\"eventName\":\"GetObject\",\"eventTime\":\"2024-06-01T10:15:02Z\",\"awsRegion\":\"eu-central-1\"}");
        assertThat(LogFormats.forJson(trail)).isSameAs(LogFormats.CLOUDTRAIL);
        ObjectNode app = AppJsonParser.readObject(Examples.lines("pino.jsonl").get(0));
        assertThat(LogFormats.forJson(app)).isSameAs(LogFormats.APP);
    }

    /** A FireLens record parses the same whether a route says app or the content is sniffed. */
    @Test
    void fireLensIsUnwrappedInsideJsonLines() throws Exception {
        String record = Examples.lines("firelens.jsonl").get(1);
        NormalizedEvent routed = new NormalizedEvent();
        LogFormats.named("app").parse(record, routed);
        assertThat(routed.logType).isEqualTo(LogTypes.APP);
        assertThat(routed.message).isEqualTo("Parcel P-55012 scanned at depot HAM-2");
        assertThat(routed.account).isEqualTo("111122223333");
        assertThat(routed.attributes).containsKey("container_id");
        NormalizedEvent sniffed = new NormalizedEvent();
        LogFormats.forLine(record).parse(record, sniffed);
        assertThat(sniffed.message).isEqualTo(routed.message);
        assertThat(sniffed.attributes).isEqualTo(routed.attributes);
    }

    @Test
    void routesNameEveryFormatButTheOnesFoundInsideOthers() {
        assertThat(LogFormats.NAMES).containsExactly(LogTypes.MYSQL_AUDIT, LogTypes.POSTGRES_AUDIT, LogTypes.CLOUDTRAIL,
                LogTypes.LAMBDA, LogTypes.APP, LogTypes.TEXT);
        assertThat(LogFormats.ALL.get(LogFormats.ALL.size() - 1)).isSameAs(LogFormats.TEXT);
        for (String name : LogFormats.NAMES) {
            assertThat(LogFormats.named(name).name()).isEqualTo(name);
        }
        assertThatThrownBy(() -> LogFormats.named("mysql"))
                .hasMessage("unknown log format 'mysql'; allowed: mysql_audit, postgres_audit, cloudtrail, lambda, app, text");
        assertThatThrownBy(() -> new EventParser.Route("/x/.*", "mysql")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aRoutedCloudTrailLineThatIsNoObjectFails() {
        assertThatThrownBy(() -> LogFormats.CLOUDTRAIL.parse("not json", new NormalizedEvent()))
                .isInstanceOf(ParseException.class).hasMessageContaining("not a JSON object");
    }
}
