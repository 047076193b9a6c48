package dev.nagare.udf.parse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * CloudTrail events delivered through CloudWatch Logs, one event JSON per log event
 * (LOG_FORMATS.md section 4).
 */
public final class CloudTrailParser {

    /** True when a JSON object has the shape of a CloudTrail event. */
    public static boolean isCloudTrail(ObjectNode json) {
        return json.has("eventVersion") && json.has("eventSource") && json.has("eventName");
    }

    public void parse(ObjectNode json, NormalizedEvent out) throws ParseException {
        if (!isCloudTrail(json)) {
            throw new ParseException("CloudTrail event lacks eventVersion, eventSource or eventName");
        }
        out.logType = LogTypes.CLOUDTRAIL;
        Long time = Timestamps.parseIso(text(json, "eventTime"));
        if (time != null) {
            out.eventTimeMillis = time;
        }
        String eventId = text(json, "eventID");
        if (eventId != null) {
            // The eventID is CloudTrail's own dedupe key; the CWL id differs per delivery path.
            out.eventId = eventId;
        }
        out.awsEventName = text(json, "eventName");
        out.awsEventSource = text(json, "eventSource");
        out.region = text(json, "awsRegion");
        out.awsSourceIp = text(json, "sourceIPAddress");
        out.awsErrorCode = text(json, "errorCode");
        out.requestId = text(json, "requestID");
        String recipient = text(json, "recipientAccountId");
        if (recipient != null) {
            out.account = recipient;
        }
        JsonNode identity = json.path("userIdentity");
        out.awsPrincipalType = text(identity, "type");
        out.awsPrincipalArn = text(identity, "arn");
        out.awsMfa = mfa(json, identity);
        out.service = out.awsEventSource == null ? null : out.awsEventSource.replace(".amazonaws.com", "");

        String consoleLogin = text(json.path("responseElements"), "ConsoleLogin");
        String errorMessage = text(json, "errorMessage");
        boolean failed = out.awsErrorCode != null || "Failure".equals(consoleLogin);
        out.level = failed ? "WARN" : "INFO";
        if (consoleLogin != null) {
            out.attributes.put("console_login", consoleLogin);
        }
        putIfPresent(out, "user_agent", text(json, "userAgent"));
        putIfPresent(out, "event_type", text(json, "eventType"));
        putIfPresent(out, "read_only", text(json, "readOnly"));
        putIfPresent(out, "user_name", text(identity, "userName"));
        putIfPresent(out, "access_key_id", text(identity, "accessKeyId"));
        putIfPresent(out, "session_issuer_arn", text(identity.path("sessionContext").path("sessionIssuer"), "arn"));
        putIfPresent(out, "error_message", errorMessage);
        JsonNode request = json.get("requestParameters");
        if (request != null && !request.isNull()) {
            out.attributes.put("request_parameters", request.toString());
        }
        out.message = out.awsEventName + " by " + (out.awsPrincipalArn == null ? out.awsPrincipalType : out.awsPrincipalArn)
                + (out.awsErrorCode == null ? "" : " failed: " + out.awsErrorCode)
                + ("Failure".equals(consoleLogin) && out.awsErrorCode == null ? " failed" : "");
    }

    /** MFA from a console sign-in ({@code MFAUsed}) or the session ({@code mfaAuthenticated}); null if unknown. */
    private static Boolean mfa(JsonNode json, JsonNode identity) {
        String used = text(json.path("additionalEventData"), "MFAUsed");
        if (used != null) {
            return "Yes".equalsIgnoreCase(used);
        }
        String authenticated = text(identity.path("sessionContext").path("attributes"), "mfaAuthenticated");
        return authenticated == null ? null : Boolean.valueOf(authenticated);
    }

    private static void putIfPresent(NormalizedEvent out, String key, String value) {
        if (value != null && !value.isEmpty()) {
            out.attributes.put(key, value);
        }
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node == null ? null : node.get(field);
        return v == null || v.isNull() || v.isContainerNode() ? null : v.asText();
    }
}
