package dev.nagare.udf.parse;

import dev.nagare.udf.Examples;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The CloudTrail parser read as a token stream: every column, and the odd shapes a log line can take. */
class CloudTrailParserTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final CloudTrailParser parser = new CloudTrailParser();

    private NormalizedEvent parse(String line) throws ParseException {
        NormalizedEvent out = new NormalizedEvent();
        parser.parse(line, out);
        return out;
    }

    private static List<String> examples() throws Exception {
        List<String> lines = new ArrayList<>();
        JSON.readTree(Examples.text("cwl-subscription-data.json")).get("logEvents").forEach(e -> lines.add(e.get("message").isTextual() ? e.get("message").asText() : e.get("message").toString()));
        return lines;
    }

    @Test
    void anAssumedRoleCallGivesEveryColumn() throws Exception {
        NormalizedEvent e = parse(examples().get(0));
        assertThat(e.logType).isEqualTo("cloudtrail");
        assertThat(e.eventTimeMillis).isEqualTo(1717236904000L); // 2024-06-01T10:15:04Z
        assertThat(e.awsEventName).isEqualTo("DescribeServices");
        assertThat(e.awsEventSource).isEqualTo("ecs.amazonaws.com");
        assertThat(e.service).isEqualTo("ecs");
        assertThat(e.region).isEqualTo("eu-central-1");
        assertThat(e.awsPrincipalType).isEqualTo("AssumedRole");
        assertThat(e.awsPrincipalArn).isEqualTo("arn:aws:sts::111122223333:assumed-role/ReleaseRole/gha-run-4411");
        assertThat(e.awsMfa).isFalse(); // from sessionContext.attributes.mfaAuthenticated
        assertThat(e.level).isEqualTo("INFO");
        assertThat(e.attributes)
                .containsEntry("access_key_id", "ASIAEXAMPLEKEY100001")
                .containsEntry("session_issuer_arn", "arn:aws:iam::111122223333:role/ReleaseRole");
        assertThat(e.message).isEqualTo("DescribeServices by arn:aws:sts::111122223333:assumed-role/ReleaseRole/gha-run-4411");
    }

    @Test
    void requestParametersAreKeptAsCompactJson() throws Exception {
        NormalizedEvent e = parse(examples().get(5));
        assertThat(e.attributes.get("request_parameters"))
                .isEqualTo("{\"roleArn\":\"arn:aws:iam::111122223333:role/TrackerTaskRole\",\"roleSessionName\":\"9c4e1a7b3d5f4e2a8b6c0d1e3f5a7b9c\"}");
        assertThat(e.awsPrincipalType).isEqualTo("AWSService");
        assertThat(e.message).isEqualTo("AssumeRole by AWSService");
        // A null requestParameters is no attribute; a scalar one is kept as JSON.
        assertThat(parse(examples().get(2)).attributes).doesNotContainKey("request_parameters");
        assertThat(parse(event("\"requestParameters\":\"a \\\"b\\\"\"")).attributes)
                .containsEntry("request_parameters", "\"a \\\"b\\\"\"");
        // A key given twice keeps its last value, as a rule's JSON_VALUE reads it; numbers as a tree writes them.
        assertThat(parse(event("\"requestParameters\":{\"cidrIp\":\"0.0.0.0/0\",\"cidrIp\":\"10.0.0.0/8\",\"port\":1.50}")).attributes)
                .containsEntry("request_parameters", "{\"cidrIp\":\"10.0.0.0/8\",\"port\":1.5}");
    }

    @Test
    void aFailedConsoleLoginIsAWarningWithTheFailure() throws Exception {
        NormalizedEvent e = parse(examples().get(3));
        assertThat(e.level).isEqualTo("WARN");
        assertThat(e.attributes).containsEntry("console_login", "Failure").containsEntry("error_message", "No username found in supplied account");
        assertThat(e.message).endsWith(" failed");
    }

    @Test
    void theTreeAndTheTextGiveTheSameRow() throws Exception {
        for (String line : examples()) {
            NormalizedEvent fromText = parse(line);
            NormalizedEvent fromTree = new NormalizedEvent();
            parser.parse((ObjectNode) JSON.readTree(line), fromTree);
            assertThat(describe(fromTree)).isEqualTo(describe(fromText));
        }
    }

    @Test
    void numbersReadAsTextAreSpelledAsATreeSpellsThem() throws Exception {
        String line = event("\"errorCode\":1.50,\"requestID\":-0,\"eventID\":1e3,\"awsRegion\":123456789012345678901234567890");
        NormalizedEvent fromText = parse(line);
        assertThat(fromText.awsErrorCode).isEqualTo("1.5");
        assertThat(fromText.requestId).isEqualTo("0");
        assertThat(fromText.eventId).isEqualTo("1000.0");
        assertThat(fromText.region).isEqualTo("123456789012345678901234567890");
        NormalizedEvent fromTree = new NormalizedEvent();
        parser.parse((ObjectNode) JSON.readTree(line), fromTree);
        assertThat(describe(fromTree)).isEqualTo(describe(fromText));
    }

    @Test
    void whereAFieldComesTwiceTheLastCountsWhole() throws Exception {
        NormalizedEvent e = parse(event("\"userIdentity\":{\"type\":\"IAMUser\",\"userName\":\"carol\",\"arn\":\"first\"},"
                + "\"userIdentity\":{\"type\":\"Root\",\"arn\":\"second\"},\"eventName\":\"Other\""));
        assertThat(e.awsPrincipalArn).isEqualTo("second");
        assertThat(e.awsPrincipalType).isEqualTo("Root");
        assertThat(e.attributes).doesNotContainKey("user_name"); // the first identity is gone, not merged
        assertThat(e.awsEventName).isEqualTo("Other");
    }

    @Test
    void valuesOfTheWrongShapeAreNull() throws Exception {
        NormalizedEvent e = parse("{\"eventVersion\":null,\"eventSource\":{\"a\":[1,{\"b\":2}]},\"eventName\":[\"x\"],"
                + "\"userIdentity\":\"root\",\"responseElements\":[{\"ConsoleLogin\":\"Failure\"}],"
                + "\"additionalEventData\":{\"MFAUsed\":{\"v\":\"Yes\"}},\"readOnly\":true,\"errorCode\":12}");
        assertThat(e.awsEventSource).isNull();
        assertThat(e.service).isNull();
        assertThat(e.awsEventName).isNull();
        assertThat(e.awsPrincipalType).isNull();
        assertThat(e.awsMfa).isNull();
        assertThat(e.attributes).doesNotContainKey("console_login").containsEntry("read_only", "true");
        assertThat(e.awsErrorCode).isEqualTo("12");
        assertThat(e.level).isEqualTo("WARN");
    }

    @Test
    void aLineThatIsNotAWholeCloudTrailObjectFillsNothing() throws Exception {
        String whole = examples().get(1);
        for (String broken : List.of(whole.substring(0, whole.length() / 2), "[" + whole + "]", "", "not json", "{\"eventVersion\":\"1\"}")) {
            NormalizedEvent out = new NormalizedEvent();
            assertThatThrownBy(() -> parser.parse(broken, out)).as(broken).isInstanceOf(ParseException.class)
                    .hasMessageMatching("CloudTrail (log event is not a JSON object|event lacks eventVersion, eventSource or eventName)");
            assertThat(describe(out)).isEqualTo(describe(new NormalizedEvent()));
        }
        // What follows the object is not read, as with a tree.
        assertThat(parse(whole + " trailing text").awsEventName).isEqualTo("PutBucketAcl");
    }

    @Test
    void deepNestingIsRefusedNotFollowed() {
        String deep = "[".repeat(5_000) + "]".repeat(5_000);
        assertThatThrownBy(() -> parse(event("\"requestParameters\":" + deep))).isInstanceOf(ParseException.class);
    }

    /** A CloudTrail event with these fields after the three it must have. */
    private static String event(String fields) {
        return "{\"eventVersion\":\"1.09\",\"eventSource\":\"iam.amazonaws.com\",\"eventName\":\"CreateUser\"," + fields + "}";
    }

    private static String describe(NormalizedEvent e) throws IllegalAccessException {
        StringBuilder b = new StringBuilder();
        for (Field f : NormalizedEvent.class.getFields()) {
            b.append(f.getName()).append('=').append(f.get(e)).append('\n');
        }
        return b.toString();
    }
}
