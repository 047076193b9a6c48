package dev.nagare.tools.cli;

import dev.nagare.job.config.ConfigException;
import dev.nagare.job.rules.RuleException;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.concurrent.Callable;

/**
 * The {@code nagare} command: {@code java -jar nagare.jar <command>}. Exit codes: 0 when all went
 * well, 1 when the command found failures (failing rule tests, rules that do not compile), 2 for
 * a usage or configuration error, always as one line starting with {@code nagare:}.
 */
@Command(name = "nagare", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT,
        versionProvider = Nagare.Version.class,
        description = "Streaming log analytics and detection on Apache Flink: the developer tools.",
        subcommands = {RunCommand.class, ReplayCommand.class, RulesCommand.class, AthenaDdlCommand.class, BenchCommand.class},
        footer = {"", "Exit codes: 0 ok, 1 failures found (for example failing rule tests), 2 usage or configuration error."})
public final class Nagare implements Callable<Integer> {
    public static final int OK = 0;
    public static final int FAILURES = 1;
    public static final int USAGE = 2;

    /** Where commands print results, and where progress and errors go. */
    public final PrintStream out;
    public final PrintStream err;

    @Spec
    CommandSpec spec;

    private Nagare(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        int code = execute(System.out, System.err, args);
        // Flink leaves non-daemon threads behind after a local job: exit explicitly.
        System.exit(code);
    }

    /** Runs one command line and returns its exit code. */
    public static int execute(PrintStream out, PrintStream err, String... args) {
        CommandLine cli = new CommandLine(new Nagare(out, err));
        cli.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
        cli.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        cli.setParameterExceptionHandler((e, unused) -> {
            // One line, not the whole usage text: the user asks for that with --help.
            String command = e.getCommandLine().getCommandSpec().qualifiedName();
            e.getCommandLine().getErr().println("nagare: " + e.getMessage() + " (see '" + command + " --help')");
            return USAGE;
        });
        cli.setExecutionExceptionHandler((e, command, parsed) -> {
            if (e instanceof ConfigException || e instanceof RuleException) {
                command.getErr().println("nagare: " + e.getMessage());
                return USAGE;
            }
            command.getErr().println("nagare: " + command.getCommandSpec().qualifiedName() + " failed: " + e);
            return FAILURES;
        });
        return cli.execute(args);
    }

    /** Without a command: the usage, as an error. */
    @Override
    public Integer call() {
        spec.commandLine().usage(err);
        return USAGE;
    }

    /** The version from the build's pom.properties in the jar. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties pom = new Properties();
            try (InputStream in = Nagare.class.getResourceAsStream("/META-INF/maven/dev.nagare/nagare-tools/pom.properties")) {
                if (in != null) {
                    pom.load(in);
                }
            }
            return new String[] {"nagare " + pom.getProperty("version", "(development build)")};
        }
    }
}
