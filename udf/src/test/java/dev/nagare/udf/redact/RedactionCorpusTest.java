package dev.nagare.udf.redact;

import dev.nagare.udf.decode.RawLogEvent;
import dev.nagare.udf.parse.EventParser;
import dev.nagare.udf.parse.NormalizedEvent;
import dev.nagare.udf.parse.ParseException;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/** Every line of the redaction corpus, parsed as the job parses it: no secret stays, every non-secret part does. */
class RedactionCorpusTest {
    private static final long TIME = 1_717_236_902_000L;

    @Test
    void theCorpusCoversEveryFormat() {
        List<RedactionCorpus.Entry> entries = RedactionCorpus.entries();
        Set<String> formats = new TreeSet<>();
        entries.forEach(e -> formats.add(e.format));
        assertThat(entries).hasSizeGreaterThanOrEqualTo(60);
        assertThat(formats).contains("logback", "pino", "python", "firelens", "lambda-text", "lambda-json",
                "aurora-mysql", "rds-mysql", "mariadb", "pgaudit", "cloudtrail", "text");
    }

    @Test
    void parsedRowsKeepNoSecretAndEveryNonSecretPart() throws ParseException {
        EventParser parser = new EventParser();
        List<String> problems = new ArrayList<>();
        for (RedactionCorpus.Entry entry : RedactionCorpus.entries()) {
            NormalizedEvent row = parser.parse(event(entry), TIME, TIME);
            problems.addAll(RedactionCorpus.problems(entry, stored(row)));
        }
        assertThat(problems).isEmpty();
    }

    /** An unparseable line is kept as a dead letter, masked by the same redactor. */
    @Test
    void deadLetterTextKeepsNoSecret() {
        List<String> problems = new ArrayList<>();
        for (RedactionCorpus.Entry entry : RedactionCorpus.entries()) {
            problems.addAll(RedactionCorpus.problems(entry, Redactor.DEFAULT.mask(entry.line)));
        }
        assertThat(problems).isEmpty();
    }

    /** The keep lists are what make this test fail for a redactor that masks everything. */
    @Test
    void maskingEverythingFails() {
        for (RedactionCorpus.Entry entry : RedactionCorpus.entries()) {
            assertThat(RedactionCorpus.problems(entry, Redactor.MASK)).isNotEmpty();
        }
    }

    private static RawLogEvent event(RedactionCorpus.Entry entry) {
        return new RawLogEvent(new RawLogEvent.Envelope("111122223333", entry.logGroup, "stream-1", "test", null),
                "id-1", TIME, entry.line);
    }

    /** Every text the row stores, attribute names included. */
    static String stored(NormalizedEvent row) {
        StringBuilder all = new StringBuilder();
        for (Object field : new Object[] {row.message, row.dbQuery, row.dbObject, row.dbUser, row.dbName, row.dbClientHost,
                row.awsEventName, row.awsPrincipalArn, row.service, row.requestId, row.traceId}) {
            all.append(field).append('\n');
        }
        for (Map.Entry<String, String> a : row.attributes.entrySet()) {
            all.append(a.getKey()).append('=').append(a.getValue()).append('\n');
        }
        return all.toString();
    }
}
