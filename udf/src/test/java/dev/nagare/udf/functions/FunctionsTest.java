package dev.nagare.udf.functions;

import dev.nagare.udf.Hostile;

import org.apache.flink.types.Row;
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
    void successAfterFailuresFiresOnTheSuccessThatCompletesTheRun() {
        SuccessAfterFailuresFunction sequence = new SuccessAfterFailuresFunction();
        SuccessAfterFailuresFunction.Run acc = sequence.createAccumulator();
        for (int i = 0; i < 6; i++) {
            sequence.accumulate(acc, true, T0.plusSeconds(5L * i), 5, 600);
            assertThat(sequence.getValue(acc)).as("failure %d", i).isNull();
        }
        sequence.accumulate(acc, false, T0.plusMinutes(1), 5, 600);
        assertThat(sequence.getValue(acc)).isEqualTo(Row.of(6L, T0, T0.plusMinutes(1)));
        sequence.accumulate(acc, false, T0.plusMinutes(2), 5, 600);
        assertThat(sequence.getValue(acc)).as("the success reset the run").isNull();
        for (int i = 0; i < 4; i++) {
            sequence.accumulate(acc, true, T0.plusMinutes(3).plusSeconds(i), 5, 600);
        }
        sequence.accumulate(acc, false, T0.plusMinutes(4), 5, 600);
        assertThat(sequence.getValue(acc)).as("four failures are too few").isNull();
    }

    @Test
    void successAfterFailuresNeedsItsLastFailuresWithinTheWindow() {
        SuccessAfterFailuresFunction sequence = new SuccessAfterFailuresFunction();
        SuccessAfterFailuresFunction.Run exact = sequence.createAccumulator();
        for (int i = 0; i < 5; i++) {
            sequence.accumulate(exact, true, T0.plusSeconds(150L * i), 5, 600);
        }
        sequence.accumulate(exact, false, T0.plusMinutes(10), 5, 600);
        assertThat(sequence.getValue(exact)).as("the fifth-last failure exactly the window before: timed out").isNull();

        SuccessAfterFailuresFunction.Run longRun = sequence.createAccumulator();
        for (int i = 0; i < 8; i++) {
            sequence.accumulate(longRun, true, T0.plusMinutes(2L * i), 5, 600);
        }
        sequence.accumulate(longRun, false, T0.plusMinutes(15), 5, 600);
        assertThat(sequence.getValue(longRun)).as("the last five are within; the whole run is reported")
                .isEqualTo(Row.of(8L, T0, T0.plusMinutes(15)));
    }

    @Test
    void successAfterFailuresCountsTiedFailuresBeforeTheSuccess() {
        SuccessAfterFailuresFunction sequence = new SuccessAfterFailuresFunction();
        SuccessAfterFailuresFunction.Run acc = sequence.createAccumulator();
        sequence.accumulate(acc, true, T0, 5, 600);
        sequence.accumulate(acc, false, T0.plusSeconds(1), 5, 600);
        sequence.accumulate(acc, false, T0.plusSeconds(1), 5, 600);
        assertThat(sequence.getValue(acc)).as("a second success at the same time").isNull();
        for (int i = 0; i < 3; i++) {
            sequence.accumulate(acc, true, T0.plusSeconds(1), 5, 600);
            assertThat(sequence.getValue(acc)).isNull();
        }
        sequence.accumulate(acc, true, T0.plusSeconds(1), 5, 600);
        assertThat(sequence.getValue(acc)).as("the fifth failure before the success, with the one before the tie")
                .isEqualTo(Row.of(5L, T0, T0.plusSeconds(1)));
        sequence.accumulate(acc, true, T0.plusSeconds(1), 5, 600);
        assertThat(sequence.getValue(acc)).as("each further tie reports the grown run")
                .isEqualTo(Row.of(6L, T0, T0.plusSeconds(1)));
        sequence.accumulate(acc, true, T0.plusSeconds(2), 5, 600);
        assertThat(sequence.getValue(acc)).as("a later failure starts a new run").isNull();
        assertThat(acc.count).isEqualTo(1);
    }

    @Test
    void successAfterFailuresAnswersNullsWithNull() {
        SuccessAfterFailuresFunction sequence = new SuccessAfterFailuresFunction();
        SuccessAfterFailuresFunction.Run acc = sequence.createAccumulator();
        sequence.accumulate(acc, null, T0, 5, 600);
        sequence.accumulate(acc, true, null, 5, 600);
        sequence.accumulate(acc, true, T0, null, 600);
        sequence.accumulate(acc, true, T0, 0, 600);
        assertThat(sequence.getValue(acc)).isNull();
        assertThat(acc.count).isZero();
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
