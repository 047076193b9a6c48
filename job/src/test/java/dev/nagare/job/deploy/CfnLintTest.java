package dev.nagare.job.deploy;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The templates through a real CloudFormation linter. PyPI's cfn-lint cannot be installed here, so
 * the build installs npm's {@code cfn-lint@1.9.7} under {@code target/cfn-lint}; its bundled
 * resource specification is from 2019 and rejects current properties (StreamModeDetails,
 * OwnershipControls), so it is replaced by the current CloudFormation resource specification that
 * {@code @aws-cdk/cfnspec@2.72.1} ships (spec 117.0.0). The linter then checks every resource's
 * properties, types, required properties and intrinsic functions against that specification.
 *
 * <p>One limitation of this old linter is filtered, by exact message and place: it evaluates
 * {@code Fn::If [cond, value, AWS::NoValue]} inside a property group's {@code PropertyMap} to
 * {@code undefined} and reports "Expecting a string, got undefined", though {@code AWS::NoValue}
 * removes the key (the documented way to leave a key unset). Nothing else is filtered; the
 * negative test shows the linter still catches a misspelled property in each template.
 */
class CfnLintTest {
    static final Path HOME = Path.of("target", "cfn-lint");
    static final Path TEMPLATES = Path.of("..", "conf", "cloudformation");
    static final Pattern FINDING = Pattern.compile("Resource: (.*)\\nMessage: (.*)");
    static final Pattern NO_VALUE_IN_PROPERTY_MAP = Pattern.compile(
            "Resources > Application > Properties > ApplicationConfiguration > EnvironmentProperties > PropertyGroups > \\d+ > PropertyMap > [a-z0-9.-]+");

    @BeforeAll
    static void useTheCurrentSpecification() throws Exception {
        Path current = HOME.resolve("node_modules/@aws-cdk/cfnspec/spec/specification.json");
        assertThat(current).as("installed by the build (exec install-cfn-lint)").exists();
        assertThat(Files.readString(current)).contains("\"ResourceSpecificationVersion\": \"117.0.0\"");
        Files.copy(current, HOME.resolve("node_modules/cfn-lint/data/aws_resources_specification.json"), StandardCopyOption.REPLACE_EXISTING);
    }

    /** Each finding as "place: message", with the linter's exit code first. */
    static List<String> lint(Path template, String parameters) throws Exception {
        List<String> command = new ArrayList<>(List.of("node", HOME.resolve("node_modules/cfn-lint/lib/index.js").toString(),
                "validate", template.toString()));
        if (parameters != null) {
            command.addAll(List.of("--parameters", parameters));
        }
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).replaceAll("\u001b\\[[0-9;]*m", "");
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        List<String> findings = new ArrayList<>();
        findings.add("exit " + process.exitValue());
        Matcher m = FINDING.matcher(output);
        while (m.find()) {
            findings.add(m.group(1) + ": " + m.group(2));
        }
        assertThat(output).as("the linter ran to its verdict").containsPattern("Template (valid|invalid)!");
        return findings;
    }

    @Test
    void theApplicationTemplateHasNoFindings() throws Exception {
        // A CommaDelimitedList parameter needs a value for the linter to evaluate it.
        List<String> findings = lint(TEMPLATES.resolve("nagare.yaml"), "MemberAccountIds=111122223333");
        List<String> limitation = new ArrayList<>();
        List<String> real = new ArrayList<>();
        for (String f : findings.subList(1, findings.size())) {
            String place = f.substring(0, f.lastIndexOf(": "));
            boolean noValue = f.endsWith(": Expecting a string, got undefined") && NO_VALUE_IN_PROPERTY_MAP.matcher(place).matches();
            (noValue ? limitation : real).add(f);
        }
        assertThat(real).isEmpty();
        assertThat(limitation).as("one per optional job key (Fn::If ... AWS::NoValue)").isNotEmpty();
    }

    @Test
    void theSubscriptionTemplateIsValid() throws Exception {
        assertThat(lint(TEMPLATES.resolve("nagare-log-subscription.yaml"), "DestinationArn=arn:aws:logs:eu-west-1:111122223333:destination:nagare"))
                .containsExactly("exit 0");
    }

    @Test
    void misspelledPropertiesAreFound(@TempDir Path dir) throws Exception {
        String template = Files.readString(TEMPLATES.resolve("nagare-log-subscription.yaml"));
        String property = "      FilterPattern: { Ref: FilterPattern }";
        assertThat(template).contains(property);
        Path broken = dir.resolve("broken.yaml");
        Files.writeString(broken, template.replace(property, property.replace("FilterPattern:", "FilterPatern:")));
        assertThat(lint(broken, "DestinationArn=arn:aws:logs:eu-west-1:111122223333:destination:nagare"))
                .contains("Resources > SubscriptionFilter > Properties > FilterPatern: FilterPatern is not a valid property of AWS::Logs::SubscriptionFilter")
                .doesNotContain("exit 0");
        String app = Files.readString(TEMPLATES.resolve("nagare.yaml"));
        assertThat(app).contains("StreamModeDetails:");
        Path wrongMode = dir.resolve("wrong.yaml");
        Files.writeString(wrongMode, app.replace("StreamModeDetails:", "StreamModeDetail:"));
        assertThat(lint(wrongMode, "MemberAccountIds=111122223333"))
                .contains("Resources > Stream > Properties > StreamModeDetail: StreamModeDetail is not a valid property of AWS::Kinesis::Stream");
    }
}
