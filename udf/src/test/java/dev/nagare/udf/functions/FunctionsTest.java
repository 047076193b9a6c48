package dev.nagare.udf.functions;

import dev.nagare.udf.Hostile;

import org.junit.jupiter.api.Test;

import java.time.LocalDateTime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every SQL function answers every input: a value, or null for "could not be evaluated", never an exception. */
class FunctionsTest {
    private static final int MB = 1024 * 1024;
    private static final LocalDateTime T0 = LocalDateTime.of(2024, 6, 1, 10, 0);

    private final SqlVerbFunction verb = new SqlVerbFunction();
    private final SqlTablesFunction tables = new SqlTablesFunction();
    private final RedactFunction redact = new RedactFunction();
    private final AlertIdFunction alertId = new AlertIdFunction();

    @Test
    void answerOrdinaryInput() {
        assertThat(verb.eval("grant select on t to u")).isEqualTo("GRANT");
        assertThat(tables.eval("SELECT * FROM a JOIN b ON a.id = b.id")).containsExactly("a", "b");
        assertThat(redact.eval("SET PASSWORD = 'x'")).isEqualTo("SET PASSWORD = *****");
        assertThat(alertId.eval("rule", "key", T0)).hasSize(32).isEqualTo(AlertIdFunction.alertId("rule", "key", T0));
    }

    @Test
    void previousTimeIsTheRowBeforeAndNullOnTheFirst() {
        PreviousTimeFunction previous = new PreviousTimeFunction();
        PreviousTimeFunction.Times acc = previous.createAccumulator();
        assertThat(previous.getValue(acc)).isNull();
        previous.accumulate(acc, T0);
        assertThat(previous.getValue(acc)).as("first row").isNull();
        previous.accumulate(acc, T0);
        assertThat(previous.getValue(acc)).as("a tie: the row before, not null").isEqualTo(T0);
        previous.accumulate(acc, null);
        assertThat(previous.getValue(acc)).isEqualTo(T0);
        previous.accumulate(acc, T0.plusDays(8));
        assertThat(previous.getValue(acc)).as("a row with a null time is still the row before").isNull();
        previous.accumulate(acc, T0.plusDays(9));
        assertThat(previous.getValue(acc)).isEqualTo(T0.plusDays(8));
    }

    @Test
    void nullInNullOut() {
        assertThat(verb.eval(null)).isNull();
        assertThat(tables.eval(null)).isNull();
        assertThat(redact.eval(null)).isNull();
        assertThat(alertId.eval(null, null, null)).hasSize(32);
    }

    @Test
    void aThrowingBodyIsNullAndOnlyAFatalJvmErrorEscapes() {
        assertThat(Total.<String>orNull(() -> {
            throw new IllegalStateException("a bug");
        })).isNull();
        assertThat(Total.<String>orNull(() -> {
            throw new AssertionError("an Error that is not the JVM's");
        })).isNull();
        // The stack has unwound by the time it is caught: the record's function is null, the task goes on.
        assertThat(Total.<String>orNull(() -> {
            throw new StackOverflowError();
        })).isNull();
        assertThatThrownBy(() -> Total.orNull(() -> {
            throw new OutOfMemoryError();
        })).isInstanceOf(OutOfMemoryError.class);
    }

    /** The input that overflowed the stack in SQL_VERB and SQL_TABLES, and its kin, now answered in one pass. */
    @Test
    void answerHostileInput() {
        String literal = "SELECT '" + "x".repeat(20_000) + "' FROM t";
        assertThat(Hostile.run(() -> verb.eval(literal))).isEqualTo("SELECT");
        assertThat(Hostile.run(() -> tables.eval(literal))).containsExactly("t");
        String[] texts = {
            "SELECT '" + "x".repeat(4 * MB),
            "SELECT * FROM " + "t,".repeat(2 * MB) + "u",
            "SET PASSWORD ".repeat(MB / 4),
            "\ud800".repeat(MB) + "IDENTIFIED BY '\udfff",
        };
        for (String text : texts) {
            Hostile.run(() -> verb.eval(text));
            assertThat(Hostile.run(() -> tables.eval(text))).isNotNull();
            assertThat(Hostile.run(() -> redact.eval(text))).isNotNull();
            assertThat(Hostile.run(() -> alertId.eval(text, text, T0))).hasSize(32);
        }
    }
}
