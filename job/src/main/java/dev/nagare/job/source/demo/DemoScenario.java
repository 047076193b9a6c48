package dev.nagare.job.source.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.Serializable;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.UUID;

/**
 * The story the demo stream tells: a small crypto exchange on AWS. Three containerised services
 * log JSON (logback, structlog and pino styles), a Lambda function sends withdrawal notices, an
 * Aurora MySQL cluster writes its audit log and CloudTrail records API calls.
 *
 * <p>Record {@code i} is a pure function of the seed, the start time, the rate and {@code i}, so
 * a run is reproducible whatever the parallelism. Record {@code i} happens at
 * {@code start + i / rate} seconds; within each ten simulated minutes (counted from the start):
 *
 * <ul>
 *   <li>minute 5: an error burst in one service ({@link #burstService}) - most of its events are errors;
 *   <li>minute 8: the first audit record carries a {@code GRANT ALL PRIVILEGES} by an unexpected user;
 * </ul>
 *
 * and, independent of time, every 480th record is a CONTROL_MESSAGE, every 1000th record is
 * garbage (a truncated gzip or gzip of non-JSON) and every 1600th record carries a malformed
 * audit line. Outside incidents about 2% of application events are errors.
 */
public final class DemoScenario implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final String ACCOUNT = "111122223333";
    public static final List<String> SERVICES = List.of("orders-api", "payments-api", "wallet-api");
    public static final String LAMBDA_FUNCTION = "withdrawal-notifier";
    public static final String AUDIT_LOG_GROUP = "/aws/rds/cluster/exchange-db/audit";
    public static final String TRAIL_LOG_GROUP = "aws-cloudtrail-logs-111122223333-exchange";
    public static final int BURST_MINUTE = 5;
    public static final int PRIVILEGE_MINUTE = 8;
    public static final String ROGUE_DB_USER = "dba_temp";
    public static final String ROGUE_DB_HOST = "203.0.113.50";

    /** Records come in cycles of eight slots: which source each slot belongs to. */
    private static final int SLOTS = 8;
    private static final int SLOT_LAMBDA_OR_TRAIL = 6;
    private static final int SLOT_AUDIT = 7;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ID_PREFIX = "38273616839183626186";

    private final long seed;
    private final long startMillis;
    private final int rate;

    /**
     * @param seed the random seed
     * @param start event time of record 0
     * @param rate records per simulated second (above 1,000 records share milliseconds: the latency
     *        benchmark paces a live-like stream at tens of thousands of events per second)
     */
    public DemoScenario(long seed, Instant start, int rate) {
        if (rate < 1 || rate > 100_000) {
            throw new IllegalArgumentException("rate must be 1..100000, was " + rate);
        }
        this.seed = seed;
        this.startMillis = start.toEpochMilli();
        this.rate = rate;
    }

    /** The start used for "now": the current minute, so incident minutes line up with one-minute windows. */
    public static Instant startOfCurrentMinute() {
        return Instant.now().truncatedTo(ChronoUnit.MINUTES);
    }

    public long timeOf(long index) {
        return startMillis + index * 1000L / rate;
    }

    /** Simulated minutes since the start. */
    public long minuteOf(long index) {
        return (timeOf(index) - startMillis) / 60_000L;
    }

    /** The service that has an error burst in the given simulated minute, or null. */
    public static String burstService(long minute) {
        return minute % 10 == BURST_MINUTE ? SERVICES.get((int) ((minute / 10) % SERVICES.size())) : null;
    }

    /** True when record {@code index} is the one that carries the GRANT incident of its minute. */
    public boolean isPrivilegeIncident(long index) {
        if (index % SLOTS != SLOT_AUDIT || minuteOf(index) % 10 != PRIVILEGE_MINUTE) {
            return false;
        }
        return index < SLOTS || minuteOf(index - SLOTS) != minuteOf(index);
    }

    public DemoRecord record(long index) {
        SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + index);
        int slot = (int) (index % SLOTS);
        long cycle = index / SLOTS;
        long t = timeOf(index);
        if (slot == 2 && cycle % 60 == 59) {
            return new DemoRecord(DemoRecord.Kind.CONTROL, "", "",
                    List.of(new DemoRecord.Event("", t, "CWL CONTROL MESSAGE: Checking health of destination Kinesis stream.", false)));
        }
        if (slot == 1 && cycle % 125 == 124) {
            DemoRecord.Kind kind = (cycle / 125) % 2 == 0 ? DemoRecord.Kind.TRUNCATED_GZIP : DemoRecord.Kind.NOT_JSON_GZIP;
            return new DemoRecord(kind, "/ecs/" + SERVICES.get(0), "garbage", appEvents(index, SERVICES.get(0), t, rnd));
        }
        if (slot < SLOT_LAMBDA_OR_TRAIL) {
            String service = SERVICES.get(slot % SERVICES.size());
            return new DemoRecord(DemoRecord.Kind.DATA, "/ecs/" + service, service + "/app/" + taskId(service), appEvents(index, service, t, rnd));
        }
        if (slot == SLOT_LAMBDA_OR_TRAIL) {
            return cycle % 2 == 0 ? lambda(index, t, rnd) : cloudTrail(index, t, rnd);
        }
        return audit(index, cycle, t, rnd);
    }

    // --- application logs ----------------------------------------------------------------------

    private List<DemoRecord.Event> appEvents(long index, String service, long t, SplittableRandom rnd) {
        boolean burst = service.equals(burstService(minuteOf(index)));
        int n = 1 + rnd.nextInt(4);
        List<DemoRecord.Event> events = new ArrayList<>(n);
        for (int j = 0; j < n; j++) {
            long ts = t + j;
            double p = rnd.nextDouble();
            String level = p < (burst ? 0.6 : 0.02) ? "ERROR" : p > 0.95 ? "WARN" : "INFO";
            events.add(new DemoRecord.Event(eventId(index, j), ts, appLine(service, level, ts, rnd), false));
        }
        return events;
    }

    private static String appLine(String service, String level, long ts, SplittableRandom rnd) {
        ObjectNode line = JSON.createObjectNode();
        String order = "A-" + (1000 + rnd.nextInt(9000));
        String trace = hex(rnd, 32);
        String message;
        switch (level) {
            case "ERROR":
                message = service.equals("payments-api")
                        ? "charge failed for order " + order + ": card processor timeout"
                        : "request failed for order " + order + ": upstream unavailable";
                break;
            case "WARN":
                message = "slow response from ledger: " + (800 + rnd.nextInt(2000)) + " ms";
                break;
            default:
                message = "order " + order + " " + (rnd.nextBoolean() ? "accepted" : "settled");
        }
        switch (service) {
            case "payments-api": // Python structlog
                line.put("event", message);
                line.put("level", level.toLowerCase());
                line.put("timestamp", Instant.ofEpochMilli(ts).toString());
                line.put("logger", "payments.charge");
                line.put("trace_id", trace);
                if ("ERROR".equals(level)) {
                    line.put("exc_info", "Traceback (most recent call last):\n  File \"/app/charge.py\", line 88, in charge\n"
                            + "    resp = processor.post(payload, timeout=2)\nTimeoutError: card processor timeout");
                }
                break;
            case "wallet-api": // Node.js pino
                line.put("level", "ERROR".equals(level) ? 50 : "WARN".equals(level) ? 40 : 30);
                line.put("time", ts);
                line.put("pid", 1);
                line.put("hostname", "ip-10-20-3-15.eu-west-1.compute.internal");
                line.put("reqId", "req-" + rnd.nextInt(100000));
                line.put("msg", message);
                break;
            default: // Java logstash-logback-encoder
                line.put("@timestamp", Instant.ofEpochMilli(ts).toString());
                line.put("@version", "1");
                line.put("message", message);
                line.put("logger_name", "com.example.orders.OrderService");
                line.put("thread_name", "http-nio-8080-exec-" + (1 + rnd.nextInt(8)));
                line.put("level", level);
                line.put("level_value", "ERROR".equals(level) ? 40000 : "WARN".equals(level) ? 30000 : 20000);
                line.put("traceId", trace);
                if ("ERROR".equals(level)) {
                    line.put("stack_trace", "java.net.SocketTimeoutException: Read timed out\n"
                            + "\tat com.example.orders.InventoryClient.reserve(InventoryClient.java:88)\n"
                            + "\tat com.example.orders.OrderService.place(OrderService.java:141)\n");
                }
        }
        return line.toString();
    }

    // --- Lambda ----------------------------------------------------------------------------------

    private DemoRecord lambda(long index, long t, SplittableRandom rnd) {
        String requestId = new UUID(rnd.nextLong(), rnd.nextLong()).toString();
        double duration = 20 + rnd.nextInt(200) + rnd.nextInt(100) / 100.0;
        List<DemoRecord.Event> events = List.of(
                new DemoRecord.Event(eventId(index, 0), t, "START RequestId: " + requestId + " Version: $LATEST\n", false),
                new DemoRecord.Event(eventId(index, 1), t + 2, Instant.ofEpochMilli(t + 2) + "\t" + requestId
                        + "\tINFO\twithdrawal notice sent for W-" + (10000 + rnd.nextInt(90000)) + "\n", false),
                new DemoRecord.Event(eventId(index, 2), t + 3, "END RequestId: " + requestId + "\n", false),
                new DemoRecord.Event(eventId(index, 3), t + 3, "REPORT RequestId: " + requestId + "\tDuration: "
                        + String.format("%.2f", duration) + " ms\tBilled Duration: " + (int) Math.ceil(duration)
                        + " ms\tMemory Size: 256 MB\tMax Memory Used: " + (70 + rnd.nextInt(40)) + " MB\t\n", false));
        return new DemoRecord(DemoRecord.Kind.DATA, "/aws/lambda/" + LAMBDA_FUNCTION,
                "2024/06/01/[$LATEST]" + hex(new SplittableRandom(seed), 32), events);
    }

    // --- CloudTrail ------------------------------------------------------------------------------

    private static final String[][] API_CALLS = {
        {"ec2.amazonaws.com", "DescribeInstances", "true"},
        {"s3.amazonaws.com", "GetBucketLocation", "true"},
        {"sts.amazonaws.com", "AssumeRole", "true"},
        {"kms.amazonaws.com", "Decrypt", "true"},
        {"ecs.amazonaws.com", "UpdateService", "false"},
        {"secretsmanager.amazonaws.com", "GetSecretValue", "true"},
    };

    private DemoRecord cloudTrail(long index, long t, SplittableRandom rnd) {
        String[] call = API_CALLS[rnd.nextInt(API_CALLS.length)];
        ObjectNode e = JSON.createObjectNode();
        e.put("eventVersion", "1.10");
        ObjectNode identity = e.putObject("userIdentity");
        identity.put("type", "AssumedRole");
        identity.put("principalId", "AROAEXAMPLEROLEID1234:ci-deployer");
        identity.put("arn", "arn:aws:sts::" + ACCOUNT + ":assumed-role/DeployRole/ci-deployer");
        identity.put("accountId", ACCOUNT);
        identity.put("accessKeyId", "ASIAEXAMPLEKEY000001");
        identity.putObject("sessionContext").putObject("attributes").put("mfaAuthenticated", "false");
        // CloudTrail times have whole seconds.
        e.put("eventTime", Instant.ofEpochMilli(t).truncatedTo(ChronoUnit.SECONDS).toString());
        e.put("eventSource", call[0]);
        e.put("eventName", call[1]);
        e.put("awsRegion", "eu-west-1");
        e.put("sourceIPAddress", "198.51.100." + (1 + rnd.nextInt(254)));
        e.put("userAgent", "aws-cli/2.15.30");
        e.putNull("requestParameters");
        e.putNull("responseElements");
        e.put("requestID", new UUID(rnd.nextLong(), rnd.nextLong()).toString());
        e.put("eventID", new UUID(rnd.nextLong(), rnd.nextLong()).toString());
        e.put("readOnly", Boolean.parseBoolean(call[2]));
        e.put("eventType", "AwsApiCall");
        e.put("managementEvent", true);
        e.put("recipientAccountId", ACCOUNT);
        e.put("eventCategory", "Management");
        return new DemoRecord(DemoRecord.Kind.DATA, TRAIL_LOG_GROUP, ACCOUNT + "_CloudTrail_eu-west-1",
                List.of(new DemoRecord.Event(eventId(index, 0), t, e.toString(), false)));
    }

    // --- Aurora MySQL audit ----------------------------------------------------------------------

    private static final String[] QUERIES = {
        "SELECT id, total FROM orders WHERE status = 'NEW' AND note LIKE '%rush, fragile%'",
        "UPDATE wallets\n   SET balance = balance - 25.00\n WHERE user_id = 7781",
        "INSERT INTO audit_note (body) VALUES ('He said \"ok\", path C:\\tmp\\x.csv')",
        "SELECT id FROM notes WHERE body LIKE '%grant access%'",
        "SELECT 1",
    };

    private DemoRecord audit(long index, long cycle, long t, SplittableRandom rnd) {
        List<DemoRecord.Event> events = new ArrayList<>();
        long micros = t * 1000;
        long connection = 48000 + rnd.nextInt(500);
        // Three application servers: a steady set of client hosts, as a real fleet has.
        String host = "10.20.3." + (41 + rnd.nextInt(3));
        int j = 0;
        events.add(auditEvent(index, j++, micros, "app_rw", host, connection, 0, "CONNECT", "exchange", "", "0"));
        int queries = 1 + rnd.nextInt(3);
        for (int q = 0; q < queries; q++) {
            String sql = QUERIES[rnd.nextInt(QUERIES.length)];
            String user = "SELECT 1".equals(sql) ? "rdsadmin" : "app_rw";
            events.add(auditEvent(index, j, micros + j, user, "SELECT 1".equals(sql) ? "localhost" : host, connection,
                    771200000L + index * 4 + q, "QUERY", "exchange", quote(sql), "0"));
            j++;
        }
        if (isPrivilegeIncident(index)) {
            events.add(auditEvent(index, j, micros + j, ROGUE_DB_USER, ROGUE_DB_HOST, 48999, 771299999L, "QUERY", "mysql",
                    quote("GRANT ALL PRIVILEGES ON *.* TO 'mallory'@'%' WITH GRANT OPTION"), "0"));
            j++;
        }
        if (cycle % 200 == 150) {
            // A line cut by a broken forwarder: the job must keep it as a dead letter.
            events.add(new DemoRecord.Event(eventId(index, j), t, (micros + j) + ",exchange-db-instance-1,app_rw,10.20.3.41,48211,77", true));
            j++;
        }
        events.add(auditEvent(index, j, micros + j, "app_rw", host, connection, 0, "DISCONNECT", "exchange", "", "0"));
        return new DemoRecord(DemoRecord.Kind.DATA, AUDIT_LOG_GROUP, "exchange-db-instance-1", events);
    }

    private static DemoRecord.Event auditEvent(long index, int j, long micros, String user, String host, long connection,
                                               long queryId, String operation, String db, String object, String retcode) {
        String line = micros + ",exchange-db-instance-1," + user + "," + host + "," + connection + "," + queryId + ","
                + operation + "," + db + "," + object + "," + retcode;
        return new DemoRecord.Event(eventId(index, j), micros / 1000, line, false);
    }

    /** SQL text as the audit plugin writes it: single-quoted, with backslash escapes. */
    static String quote(String sql) {
        StringBuilder sb = new StringBuilder(sql.length() + 8).append('\'');
        for (char c : sql.toCharArray()) {
            switch (c) {
                case '\'':
                    sb.append("\\'");
                    break;
                case '\\':
                    sb.append("\\\\");
                    break;
                case '\n':
                    sb.append("\\n");
                    break;
                case '\r':
                    sb.append("\\r");
                    break;
                case '\t':
                    sb.append("\\t");
                    break;
                default:
                    sb.append(c);
            }
        }
        return sb.append('\'').toString();
    }

    // --- helpers ---------------------------------------------------------------------------------

    /** A CWL-style event id: 56 decimal digits, unique per record and position. */
    static String eventId(long index, int position) {
        return ID_PREFIX + String.format("%018d%018d", index, position);
    }

    private String taskId(String service) {
        return hex(new SplittableRandom(seed + service.hashCode()), 32);
    }

    private static String hex(SplittableRandom rnd, int digits) {
        StringBuilder sb = new StringBuilder(digits);
        for (int i = 0; i < digits; i++) {
            sb.append(Character.forDigit(rnd.nextInt(16), 16));
        }
        return sb.toString();
    }
}
