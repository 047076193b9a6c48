package dev.nagare.tools;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The built nagare.jar as people run it: {@code java -jar nagare.jar ...} in its own process, in
 * a folder outside the source checkout, with no Maven around; exit codes and output asserted.
 */
class NagareJarIT {
    private static final Path JAR = Path.of(System.getProperty("nagare.jar")).toAbsolutePath();
    private static final Path RULES = Path.of(System.getProperty("nagare.rules")).toAbsolutePath();

    @TempDir
    Path work;

    @Test
    void helpListsEveryCommand() throws Exception {
        Result r = nagare("--help");
        assertThat(r.code).as(r.stderr).isZero();
        assertThat(r.stdout).startsWith("Usage: nagare ")
                .contains("  run ", "  replay ", "  rules ", "  athena-ddl ", "  bench ", "Exit codes: 0 ok, 1 failures found");
    }

    @Test
    void everyCommandHasHelp() throws Exception {
        Result r = nagare("replay", "--help");
        assertThat(r.code).as(r.stderr).isZero();
        assertThat(r.stdout).startsWith("Usage: nagare replay ").contains("FILES...", "--config=FILE");
        r = nagare("rules", "test", "--help");
        assertThat(r.code).as(r.stderr).isZero();
        assertThat(r.stdout).startsWith("Usage: nagare rules test ").contains("--rules=DIR");
    }

    @Test
    void anUnknownOptionIsOneLineAndExitCodeTwo() throws Exception {
        Result r = nagare("replay", "--fast", "x.b64");
        assertThat(r.code).isEqualTo(2);
        assertThat(r.stderr).isEqualTo("nagare: Unknown option: '--fast' (see 'nagare replay --help')\n");
        assertThat(r.stdout).isEmpty();
    }

    @Test
    void aRulesRepositoryTestsItsOwnRulesAndAFailingCaseIsNamed() throws Exception {
        Path rules = copyOfTheRules(work.resolve("my rules"));
        Result good = nagare("rules", "test", "--rules", rules.toString());
        assertThat(good.code).as(good.stdout + good.stderr).isZero();
        assertThat(good.stdout).contains("PASS app_error_rate: ").doesNotContain("FAIL");

        Files.writeString(rules.resolve("db_privilege_change.test.json"), "{\"cases\": [{\"name\": \"wrong expectation\","
                + "\"events\": [{\"log_group\": \"/aws/rds/cluster/db/audit\", \"message\": "
                + "\"${epoch_us},db-1,dba,10.0.0.1,1,2,QUERY,mysql,'GRANT ALL ON *.* TO x',0\"}],"
                + "\"expect\": [{\"group_key\": \"someone@else\"}]}]}");
        Result bad = nagare("rules", "test", "--rules", rules.toString());
        assertThat(bad.code).as(bad.stdout + bad.stderr).isEqualTo(1);
        assertThat(bad.stdout).contains("FAIL db_privilege_change: wrong expectation\n"
                + "    expected alerts: [someone@else]\n"
                + "    actual alerts:   [dba@10.0.0.1]");
    }

    @Test
    void aNewRuleValidatesAndItsCasesPass() throws Exception {
        Path rules = work.resolve("rules");
        Result created = nagare("rules", "new", "checkout_errors", "--rules", rules.toString());
        assertThat(created.code).as(created.stderr).isZero();
        assertThat(rules.resolve("checkout_errors.sql")).exists();
        assertThat(rules.resolve("checkout_errors.test.json")).exists();

        Result validated = nagare("rules", "validate", "--rules", rules.toString());
        assertThat(validated.code).as(validated.stdout + validated.stderr).isZero();
        assertThat(validated.stdout).contains("ok   checkout_errors (2 test cases)", "1 passed, 0 failed");

        Result tested = nagare("rules", "test", "--rules", rules.toString(), "checkout_errors");
        assertThat(tested.code).as(tested.stdout + tested.stderr).isZero();
        assertThat(tested.stdout).contains("2 passed, 0 failed");

        Result again = nagare("rules", "new", "checkout_errors", "--rules", rules.toString());
        assertThat(again.code).isEqualTo(2);
        assertThat(again.stderr).isEqualTo("nagare: " + rules.resolve("checkout_errors.sql") + " already exists\n");
    }

    private static Path copyOfTheRules(Path target) throws IOException {
        Files.createDirectories(target);
        try (Stream<Path> files = Files.list(RULES)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Files.copy(file, target.resolve(file.getFileName()));
            }
        }
        return target;
    }

    /** Runs {@code java -jar nagare.jar ARGS} in the temporary folder. */
    private Result nagare(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g", "-jar", JAR.toString()));
        command.addAll(List.of(args));
        Path out = Files.createTempFile(work, "stdout", ".txt");
        Path err = Files.createTempFile(work, "stderr", ".txt");
        Process p = new ProcessBuilder(command).directory(work.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("nagare " + String.join(" ", args) + " did not finish in 5 minutes");
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    private static final class Result {
        final int code;
        final String stdout;
        final String stderr;

        Result(int code, String stdout, String stderr) {
            this.code = code;
            this.stdout = stdout;
            this.stderr = stderr;
        }
    }
}
