package dev.nagare.udf.parse;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;

/**
 * CloudTrail events delivered through CloudWatch Logs, one event JSON per log event
 * (LOG_FORMATS.md section 4).
 *
 * <p>Read as a stream of tokens, not as a tree: an event is 1-3 KB of JSON of which the row takes
 * about fifteen values, and a tree makes an object of every field of it. Decoding and parsing a
 * CloudTrail event allocated 9.7 KB with the tree and 6.4 KB streamed ({@code ParseBenchmark},
 * docs/BENCHMARKS.md). Values are kept aside and written to the row only once the whole object has
 * been read, so a line cut or broken half-way fills nothing. Where a field occurs twice the last
 * one counts and numbers are spelled as in a tree; output matched the tree-based parser on
 * about 100,000 fuzzed lines (docs/BENCHMARKS.md).
 */
public final class CloudTrailParser {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final JsonFactory JSON = MAPPER.getFactory();

    /** True when a JSON object has the shape of a CloudTrail event. */
    public static boolean isCloudTrail(ObjectNode json) {
        return json.has("eventVersion") && json.has("eventSource") && json.has("eventName");
    }

    /** Parses one log event's text; it must be a JSON object with CloudTrail's fields. */
    public void parse(String line, NormalizedEvent out) throws ParseException {
        try (JsonParser p = JSON.createParser(line)) {
            parse(p, out);
        } catch (IOException e) {
            throw new ParseException("CloudTrail log event is not a JSON object");
        }
    }

    /** Parses an object some other step already read as a tree (a format found by its fields). */
    public void parse(ObjectNode json, NormalizedEvent out) throws ParseException {
        try (JsonParser p = json.traverse()) {
            parse(p, out);
        } catch (IOException e) {
            throw new ParseException("CloudTrail log event is not a JSON object"); // a tree reads without errors
        }
    }

    private static void parse(JsonParser p, NormalizedEvent out) throws IOException, ParseException {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            throw new ParseException("CloudTrail log event is not a JSON object");
        }
        Event e = new Event();
        fields(p, JsonToken.START_OBJECT, (name, value) -> {
            switch (name) {
                case "eventVersion": e.hasVersion = true; return false;
                case "eventSource": e.hasSource = true; e.eventSource = scalar(p, value); return true;
                case "eventName": e.hasName = true; e.eventName = scalar(p, value); return true;
                case "eventTime": e.eventTime = scalar(p, value); return true;
                case "eventID": e.eventId = scalar(p, value); return true;
                case "awsRegion": e.region = scalar(p, value); return true;
                case "sourceIPAddress": e.sourceIp = scalar(p, value); return true;
                case "errorCode": e.errorCode = scalar(p, value); return true;
                case "errorMessage": e.errorMessage = scalar(p, value); return true;
                case "requestID": e.requestId = scalar(p, value); return true;
                case "recipientAccountId": e.recipient = scalar(p, value); return true;
                case "userAgent": e.userAgent = scalar(p, value); return true;
                case "eventType": e.eventType = scalar(p, value); return true;
                case "readOnly": e.readOnly = scalar(p, value); return true;
                case "userIdentity": e.identity = identity(p, value); return true;
                case "additionalEventData": e.mfaUsed = field(p, value, "MFAUsed"); return true;
                case "responseElements": e.consoleLogin = field(p, value, "ConsoleLogin"); return true;
                case "requestParameters": e.requestParameters = value == JsonToken.VALUE_NULL ? null : json(p); return true;
                default: return false;
            }
        });
        if (!(e.hasVersion && e.hasSource && e.hasName)) {
            throw new ParseException("CloudTrail event lacks eventVersion, eventSource or eventName");
        }
        e.fill(out);
    }

    /** The values the row takes, until the whole object has been read. */
    private static final class Event {
        boolean hasVersion;
        boolean hasSource;
        boolean hasName;
        String eventSource;
        String eventName;
        String eventTime;
        String eventId;
        String region;
        String sourceIp;
        String errorCode;
        String errorMessage;
        String requestId;
        String recipient;
        String userAgent;
        String eventType;
        String readOnly;
        Identity identity = new Identity();
        String mfaUsed;
        String consoleLogin;
        String requestParameters;

        void fill(NormalizedEvent out) throws ParseException {
            out.logType = LogTypes.CLOUDTRAIL;
            Long time = Timestamps.parseIso(eventTime);
            if (time != null) {
                out.eventTimeMillis = time;
            }
            if (eventId != null) {
                // The eventID is CloudTrail's own dedupe key; the CWL id differs per delivery path.
                out.eventId = eventId;
            }
            out.awsEventName = eventName;
            out.awsEventSource = eventSource;
            out.region = region;
            out.awsSourceIp = sourceIp;
            out.awsErrorCode = errorCode;
            out.requestId = requestId;
            if (recipient != null) {
                out.account = recipient;
            }
            out.awsPrincipalType = identity.type;
            out.awsPrincipalArn = identity.arn;
            out.awsMfa = mfa();
            out.service = eventSource == null ? null : eventSource.replace(".amazonaws.com", "");

            boolean failed = errorCode != null || "Failure".equals(consoleLogin);
            out.level = failed ? "WARN" : "INFO";
            if (consoleLogin != null) {
                out.attributes.put("console_login", consoleLogin);
            }
            putIfPresent(out, "user_agent", userAgent);
            putIfPresent(out, "event_type", eventType);
            putIfPresent(out, "read_only", readOnly);
            putIfPresent(out, "user_name", identity.userName);
            putIfPresent(out, "access_key_id", identity.accessKeyId);
            putIfPresent(out, "session_issuer_arn", identity.issuerArn);
            putIfPresent(out, "error_message", errorMessage);
            if (requestParameters != null) {
                out.attributes.put("request_parameters", requestParameters);
            }
            out.message = eventName + " by " + (identity.arn == null ? identity.type : identity.arn)
                    + (errorCode == null ? "" : " failed: " + errorCode)
                    + ("Failure".equals(consoleLogin) && errorCode == null ? " failed" : "");
        }

        /** MFA from a console sign-in ({@code MFAUsed}) or the session ({@code mfaAuthenticated}); null if unknown. */
        private Boolean mfa() {
            if (mfaUsed != null) {
                return "Yes".equalsIgnoreCase(mfaUsed);
            }
            return identity.mfaAuthenticated == null ? null : Boolean.valueOf(identity.mfaAuthenticated);
        }
    }

    /** {@code userIdentity}: who made the call. */
    private static final class Identity {
        String type;
        String arn;
        String userName;
        String accessKeyId;
        String issuerArn;
        String mfaAuthenticated;
    }

    private static Identity identity(JsonParser p, JsonToken value) throws IOException {
        Identity identity = new Identity();
        fields(p, value, (name, v) -> {
            switch (name) {
                case "type": identity.type = scalar(p, v); return true;
                case "arn": identity.arn = scalar(p, v); return true;
                case "userName": identity.userName = scalar(p, v); return true;
                case "accessKeyId": identity.accessKeyId = scalar(p, v); return true;
                case "sessionContext": sessionContext(p, v, identity); return true;
                default: return false;
            }
        });
        return identity;
    }

    /** {@code sessionContext.sessionIssuer.arn} and {@code sessionContext.attributes.mfaAuthenticated}. */
    private static void sessionContext(JsonParser p, JsonToken value, Identity identity) throws IOException {
        identity.issuerArn = null;
        identity.mfaAuthenticated = null;
        fields(p, value, (name, v) -> {
            switch (name) {
                case "sessionIssuer": identity.issuerArn = field(p, v, "arn"); return true;
                case "attributes": identity.mfaAuthenticated = field(p, v, "mfaAuthenticated"); return true;
                default: return false;
            }
        });
    }

    /** The scalar {@code field} of the object that starts at {@code value}; null if there is none or it is not an object. */
    private static String field(JsonParser p, JsonToken value, String field) throws IOException {
        String[] found = {null};
        fields(p, value, (name, v) -> {
            if (!field.equals(name)) {
                return false;
            }
            found[0] = scalar(p, v);
            return true;
        });
        return found[0];
    }

    /** Reads one field's value, the parser at its first token; false leaves the value to be skipped. */
    @FunctionalInterface
    private interface FieldReader {
        boolean read(String name, JsonToken value) throws IOException;
    }

    /**
     * The fields of the object that starts at {@code value}, each to {@code reader}; a value that
     * is not an object (a string, an array where an object belongs) is skipped whole.
     */
    private static void fields(JsonParser p, JsonToken value, FieldReader reader) throws IOException {
        if (value != JsonToken.START_OBJECT) {
            p.skipChildren();
            return;
        }
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken v = p.nextToken();
            if (!reader.read(name, v)) {
                p.skipChildren();
            }
        }
    }

    /** A scalar value as text; null for null, objects and arrays (which are skipped). */
    private static String scalar(JsonParser p, JsonToken value) throws IOException {
        if (value == null || value == JsonToken.VALUE_NULL) {
            return null;
        }
        if (value.isStructStart()) {
            p.skipChildren();
            return null;
        }
        // Numbers spelled as a tree spells them (1.50 as 1.5, -0 as 0), whichever path read the line.
        if (value == JsonToken.VALUE_NUMBER_INT) {
            return p.getNumberValue().toString();
        }
        if (value == JsonToken.VALUE_NUMBER_FLOAT) {
            return Double.toString(p.getDoubleValue());
        }
        return p.getText();
    }

    /**
     * The value at the parser as compact JSON text. Read as a tree (the one part of the event
     * that is): a key given twice keeps its last value, as rules reading it with JSON_VALUE see it.
     */
    private static String json(JsonParser p) throws IOException {
        JsonNode node = MAPPER.readTree(p);
        return node == null ? null : node.toString();
    }

    private static void putIfPresent(NormalizedEvent out, String key, String value) {
        if (value != null && !value.isEmpty()) {
            out.attributes.put(key, value);
        }
    }
}
