package dev.nagare.tools.cli;

import dev.nagare.job.config.ConfigException;
import dev.nagare.job.config.ConfigLoader;
import dev.nagare.job.config.NagareConfig;
import dev.nagare.job.config.NagareOptions;
import dev.nagare.job.rules.Rule;
import dev.nagare.job.rules.RuleException;
import dev.nagare.job.rules.RuleLoader;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** {@code nagare rules validate|test|new}: check, test and start detection rules. */
@Command(name = "rules", description = "Checks, tests and starts detection rules (one .sql file and one .test.json file per rule).",
        subcommands = {RulesCommand.Validate.class, RulesCommand.Test.class, RulesCommand.New.class})
public final class RulesCommand implements Callable<Integer> {
    @ParentCommand
    Nagare nagare;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(nagare.err);
        return Nagare.USAGE;
    }

    /** Which rules a command reads: the job's (bundled pack + rules.directory), or a folder's own. */
    static final class Source {
        @Option(names = "--rules", paramLabel = "DIR", description = {
                "A folder of rules (a rules repository): only its rules are read, not the bundled pack."})
        Path rules;

        @Option(names = "--config", paramLabel = "FILE", description = {
                "Configuration file: the rules the job would read (bundled pack + rules.directory, minus rules.disabled)."})
        Path config;

        List<Rule> load() {
            NagareConfig nagare = config == null ? NagareConfig.defaults() : ConfigLoader.load(new String[] {"--config", config.toString()});
            if (rules == null) {
                return RuleLoader.load(nagare);
            }
            if (!Files.isDirectory(rules)) {
                throw new ConfigException("--rules " + rules + " is not a folder");
            }
            List<Rule> own = RuleLoader.load(nagare.with(NagareOptions.RULES_DIRECTORY.key(), rules.toString())).stream()
                    .filter(r -> !r.source().startsWith("bundled:"))
                    .collect(Collectors.toList());
            if (own.isEmpty()) {
                throw new ConfigException("--rules " + rules + " holds no enabled rule (*.sql)");
            }
            return own;
        }
    }

    @Command(name = "validate", description = "Plans every rule against the real schema (nothing runs) and counts its test cases.")
    static final class Validate implements Callable<Integer> {
        @ParentCommand
        RulesCommand rules;

        @Mixin
        Source source;

        @Override
        public Integer call() {
            List<Rule> loaded;
            try {
                loaded = source.load();
            } catch (RuleException e) {
                rules.nagare.out.println("FAIL " + e.getMessage()); // a rule that does not load is a finding, not a usage error
                return Nagare.FAILURES;
            }
            return RulesCli.validate(loaded, rules.nagare.out);
        }
    }

    @Command(name = "test", description = {
            "Runs the rules' test cases through the real job.",
            "Runs the rules' test cases (<id>.test.json beside each <id>.sql) through the real job on a local",
            "MiniCluster and compares the alerts with the expected ones; exit code 1 when any case fails."})
    static final class Test implements Callable<Integer> {
        @ParentCommand
        RulesCommand rules;

        @Mixin
        Source source;

        @Parameters(paramLabel = "ID", arity = "0..*", description = "Rule ids to test (default: all).")
        List<String> ids = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            List<Rule> loaded;
            try {
                loaded = source.load();
            } catch (RuleException e) {
                rules.nagare.out.println("FAIL " + e.getMessage());
                return Nagare.FAILURES;
            }
            return RulesCli.test(loaded, ids, rules.nagare.out);
        }
    }

    @Command(name = "new", description = {
            "Writes a new rule and its test cases to start from.",
            "Writes ID.sql (a working rule to edit) and ID.test.json (a positive and a negative case) into DIR;",
            "`nagare rules validate --rules DIR` and `nagare rules test --rules DIR ID` accept them as written."})
    static final class New implements Callable<Integer> {
        private static final Pattern ID = Pattern.compile("[a-z][a-z0-9_]*");

        @ParentCommand
        RulesCommand rules;

        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "ID", description = "The rule id: lower case letters, digits and '_', starting with a letter.")
        String id;

        @Option(names = "--rules", paramLabel = "DIR", description = "The rules folder to write to (default: the current folder).")
        Path dir = Path.of(".");

        @Override
        public Integer call() throws IOException {
            if (!ID.matcher(id).matches()) {
                throw new ParameterException(spec.commandLine(),
                        "rule id '" + id + "' must be lower case letters, digits and '_', starting with a letter");
            }
            Path sql = dir.resolve(id + ".sql");
            Path cases = dir.resolve(id + ".test.json");
            for (Path file : List.of(sql, cases)) {
                if (Files.exists(file)) {
                    throw new ConfigException(file + " already exists");
                }
            }
            Files.createDirectories(dir);
            Files.writeString(sql, template("rule.sql").replace("RULE_ID", id));
            Files.writeString(cases, template("rule.test.json"));
            rules.nagare.out.println("wrote " + sql + " and " + cases);
            return Nagare.OK;
        }

        private static String template(String name) throws IOException {
            try (InputStream in = New.class.getResourceAsStream("/nagare/templates/" + name)) {
                if (in == null) {
                    throw new IllegalStateException("template " + name + " is missing from the jar");
                }
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        }
    }
}
