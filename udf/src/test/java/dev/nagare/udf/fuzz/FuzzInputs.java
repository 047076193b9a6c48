package dev.nagare.udf.fuzz;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nagare.udf.decode.KplTestRecords;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * The inputs of a fuzz run: Kinesis records of every kind the job may meet, most of them hostile.
 * Everything is generated from the {@link Random} handed in, so an input is reproduced by its
 * seed and index; nothing is read from files. The costly ones (gzip bombs of 200+ MB, a record of
 * a hundred thousand events) are built once per run and reused.
 */
final class FuzzInputs {
    private static final int MB = 1024 * 1024;
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Writes every non-ASCII char as {@code \\uXXXX}, lone surrogates included. */
    private static final ObjectMapper ASCII_JSON = JsonMapper.builder().enable(JsonWriteFeature.ESCAPE_NON_ASCII).build();

    /** A named kind of input and how often it comes, in inputs per million. */
    static final class Generator {
        final String name;
        final int perMillion;
        final Kind kind;

        Generator(String name, int perMillion, Kind kind) {
            this.name = name;
            this.perMillion = perMillion;
            this.kind = kind;
        }
    }

    @FunctionalInterface
    interface Kind {
        byte[] generate(Random r) throws IOException;
    }

    private final List<Generator> generators = new ArrayList<>();
    private final int totalWeight;
    private final byte[][] bombs = new byte[5][];
    private byte[] manyEvents;

    FuzzInputs() {
        add("random-bytes", 80_000, r -> randomBytes(r, r.nextInt(8) == 0 ? 65_536 : 2_048));
        add("magic-then-random", 50_000, this::magicThenRandom);
        add("cwl-hostile-lines", 300_000, r -> gzip(envelope(r, 1 + r.nextInt(r.nextInt(50) == 0 ? 300 : 8), 20_000), r));
        add("text-hostile-line", 150_000, r -> utf8(line(r, 20_000)));
        add("json-record", 100_000, r -> utf8(jsonRecord(r, 20_000)));
        add("gzip-truncated", 40_000, r -> cut(gzip(envelope(r, 1 + r.nextInt(5), 2_000), r), r));
        add("gzip-corrupted", 30_000, r -> flip(gzip(envelope(r, 1 + r.nextInt(5), 2_000), r), r));
        add("gzip-nested", 10_000, r -> gzip(gzip(envelope(r, 1 + r.nextInt(3), 2_000), r), r));
        add("gzip-multi-member", 15_000, this::multiMember);
        add("kpl-aggregate", 60_000, this::kpl);
        add("kpl-corrupt", 30_000, this::kplCorrupt);
        add("zlib", 30_000, r -> {
            byte[] z = zlib(utf8(r.nextBoolean() ? line(r, 20_000) : jsonRecord(r, 20_000)));
            return r.nextInt(4) == 0 ? cut(z, r) : z;
        });
        add("invalid-utf8", 40_000, this::invalidUtf8);
        add("json-deep", 10_000, this::deepJson);
        add("line-multi-mb", 200, this::bigLine);
        add("many-events", 20, r -> manyEvents());
        add("gzip-bomb", 20, r -> bomb(r.nextInt(bombs.length)));
        totalWeight = generators.stream().mapToInt(g -> g.perMillion).sum();
    }

    private void add(String name, int perMillion, Kind kind) {
        generators.add(new Generator(name, perMillion, kind));
    }

    List<Generator> generators() {
        return generators;
    }

    /** Every generator once first (so a short run meets each), then by weight. */
    Generator pick(long index, Random r) {
        if (index < generators.size()) {
            return generators.get((int) index);
        }
        int x = r.nextInt(totalWeight);
        for (Generator g : generators) {
            x -= g.perMillion;
            if (x < 0) {
                return g;
            }
        }
        return generators.get(0);
    }

    // --- records -----------------------------------------------------------------------------

    private byte[] magicThenRandom(Random r) {
        byte[][] magic = {{0x1f, (byte) 0x8b, 8}, {0x1f, (byte) 0x8b, 8, 4}, {(byte) 0xF3, (byte) 0x89, (byte) 0x9A, (byte) 0xC2},
            {0x78, (byte) 0x9c}, {0x78, 0x01}, {0x78, (byte) 0xda}, {'{'}, {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, '{'}, {'{', '"', 'm'}};
        byte[] prefix = magic[r.nextInt(magic.length)];
        return concat(prefix, randomBytes(r, 600));
    }

    /** A CloudWatch Logs subscription envelope (JSON text, not yet compressed) of hostile lines. */
    String envelope(Random r, int events, int maxLine) throws IOException {
        StringWriter text = new StringWriter();
        ObjectMapper mapper = r.nextInt(4) == 0 ? ASCII_JSON : JSON;
        try (JsonGenerator g = mapper.getFactory().createGenerator(text)) {
            g.writeStartObject();
            boolean eventsFirst = r.nextInt(8) == 0; // key order is not guaranteed
            if (eventsFirst) {
                writeEvents(g, r, events, maxLine);
            }
            int type = r.nextInt(40);
            if (type != 0) {
                g.writeStringField("messageType", type == 1 ? "CONTROL_MESSAGE" : type == 2 ? "SOMETHING_ELSE" : "DATA_MESSAGE");
            }
            g.writeStringField("owner", r.nextInt(20) == 0 ? line(r, 100) : "111122223333");
            g.writeStringField("logGroup", logGroup(r));
            g.writeStringField("logStream", r.nextInt(20) == 0 ? line(r, 300) : "stream-" + r.nextInt(10));
            g.writeArrayFieldStart("subscriptionFilters");
            for (int i = r.nextInt(3); i > 0; i--) {
                if (r.nextInt(10) == 0) {
                    g.writeStartObject();
                    g.writeNumberField("odd", r.nextLong());
                    g.writeEndObject();
                } else {
                    g.writeString("filter-" + i);
                }
            }
            g.writeEndArray();
            if (r.nextInt(10) == 0) {
                g.writeStringField("policyLevel", r.nextBoolean() ? "ACCOUNT_LEVEL_POLICY" : line(r, 50));
            }
            if (r.nextInt(20) == 0) {
                g.writeFieldName("unknownFutureField");
                g.writeRawValue(deepJsonText(r.nextInt(3) == 0 ? 10_000 : 50));
            }
            if (!eventsFirst && r.nextInt(50) != 0) {
                writeEvents(g, r, events, maxLine);
            }
            g.writeEndObject();
        }
        return text.toString();
    }

    private void writeEvents(JsonGenerator g, Random r, int events, int maxLine) throws IOException {
        g.writeArrayFieldStart("logEvents");
        for (int i = 0; i < events; i++) {
            g.writeStartObject();
            g.writeStringField("id", r.nextInt(30) == 0 ? line(r, 80) : new BigInteger(180, r).toString());
            switch (r.nextInt(12)) {
                case 0:
                    g.writeNumberField("timestamp", r.nextLong());
                    break;
                case 1:
                    g.writeFieldName("timestamp");
                    g.writeNumber(new BigInteger(100, r));
                    break;
                case 2:
                    g.writeStringField("timestamp", timestamp(r));
                    break;
                case 3:
                    g.writeNumberField("timestamp", r.nextDouble() * 1e300);
                    break;
                case 4:
                    break; // none
                default:
                    g.writeNumberField("timestamp", 1_717_236_902_000L + r.nextInt(1_000_000));
            }
            if (r.nextInt(40) == 0) {
                g.writeFieldName("message");
                g.writeTree(JSON.readTree("{\"not\":[\"a string\"]}"));
            } else {
                g.writeStringField("message", r.nextInt(50) == 0 ? line(r, maxLine) + "\u0000" + line(r, maxLine) : line(r, maxLine));
            }
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    private static final String[] LOG_GROUPS = {
        "/aws/rds/cluster/orders-aurora/audit", "/aws/rds/instance/db-1/audit", "/aws/rds/cluster/billing-pg/postgresql",
        "/aws/lambda/orders-api", "aws-cloudtrail-logs-111122223333-org", "/ecs/orders-web", "/aws/ecs/batch", "/custom/app",
    };

    private String logGroup(Random r) {
        int pick = r.nextInt(LOG_GROUPS.length + 3);
        if (pick < LOG_GROUPS.length) {
            return LOG_GROUPS[pick];
        }
        return pick == LOG_GROUPS.length ? "" : pick == LOG_GROUPS.length + 1 ? "/aws/lambda/" + "x/".repeat(r.nextInt(2_000)) : line(r, 600);
    }

    private byte[] multiMember(Random r) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int members = 2 + r.nextInt(4);
        for (int i = 0; i < members; i++) {
            out.write(gzip(envelope(r, 1 + r.nextInt(4), 2_000), r));
        }
        if (r.nextInt(20) == 0) {
            // Many empty members: GZIPInputStream recursed once per member.
            byte[] empty = gzip("", r);
            for (int i = r.nextInt(50_000); i > 0; i--) {
                out.write(empty);
            }
        }
        if (r.nextInt(4) == 0) {
            out.write(randomBytes(r, 40)); // trailing bytes that are not a member
        }
        return out.toByteArray();
    }

    private byte[] kpl(Random r) throws IOException {
        int members = 1 + r.nextInt(r.nextInt(10) == 0 ? 400 : 6);
        byte[][] records = new byte[members][];
        for (int i = 0; i < members; i++) {
            switch (r.nextInt(6)) {
                case 0:
                    records[i] = utf8(line(r, 2_000));
                    break;
                case 1:
                    records[i] = utf8(jsonRecord(r, 2_000));
                    break;
                case 2:
                    records[i] = r.nextBoolean() ? new byte[0] : randomBytes(r, 300);
                    break;
                case 3:
                    records[i] = zlib(utf8(line(r, 2_000)));
                    break;
                default:
                    records[i] = gzip(envelope(r, 1 + r.nextInt(5), 2_000), r);
            }
        }
        if (r.nextInt(30) == 0) {
            records[r.nextInt(members)] = KplTestRecords.aggregate(utf8("inner"));
        }
        return KplTestRecords.aggregate(records);
    }

    /** A KPL record whose protobuf is damaged but whose MD5 is recomputed, so the reader itself meets the damage. */
    private byte[] kplCorrupt(Random r) throws IOException {
        byte[] valid = kpl(r);
        byte[] body = Arrays.copyOfRange(valid, 4, valid.length - 16);
        switch (r.nextInt(5)) {
            case 0:
                body = flip(body, r);
                break;
            case 1:
                body = Arrays.copyOf(body, r.nextInt(body.length + 1));
                break;
            case 2: {
                // A forged length: a varint of up to 10 bytes of 0xff.
                byte[] forged = new byte[1 + r.nextInt(12)];
                Arrays.fill(forged, (byte) 0xff);
                forged[0] = 0x1a;
                body = concat(forged, body);
                break;
            }
            case 3:
                body = randomBytes(r, 500);
                break;
            default:
                return r.nextBoolean() ? flip(valid, r) : cut(valid, r); // MD5 no longer matches, or is cut
        }
        try {
            return concat(new byte[] {(byte) 0xF3, (byte) 0x89, (byte) 0x9A, (byte) 0xC2}, body, MessageDigest.getInstance("MD5").digest(body));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private byte[] invalidUtf8(Random r) throws IOException {
        byte[] text = utf8(r.nextBoolean() ? line(r, 2_000) : jsonRecord(r, 2_000));
        byte[][] bad = {{(byte) 0x80}, {(byte) 0xC0, (byte) 0x80}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {(byte) 0xF4, (byte) 0x90, 0, 0},
            {(byte) 0xFF}, {0}, {(byte) 0xE2, (byte) 0x82}, {(byte) 0xF0, (byte) 0x9F, (byte) 0x98}};
        int at = r.nextInt(text.length + 1);
        byte[] broken = concat(Arrays.copyOf(text, at), bad[r.nextInt(bad.length)], Arrays.copyOfRange(text, at, text.length));
        switch (r.nextInt(4)) {
            case 0:
                return KplTestRecords.aggregate(utf8("fine"), broken);
            case 1:
                return gzip(broken, r); // invalid bytes inside what should be an envelope
            default:
                return broken;
        }
    }

    private byte[] deepJson(Random r) throws IOException {
        int depth = r.nextInt(3) == 0 ? 990 : 10_000;
        String deep = deepJsonText(depth);
        switch (r.nextInt(4)) {
            case 0:
                return utf8(deep); // a JSON record
            case 1: {
                ObjectNode fireLens = NODES.objectNode().put("log", deep).put("container_id", "c1").put("source", "stdout");
                return utf8(JSON.writeValueAsString(fireLens));
            }
            case 2:
                return gzip("{\"messageType\":\"DATA_MESSAGE\",\"logGroup\":\"/ecs/x\",\"deep\":" + deep + ",\"logEvents\":[]}", r);
            default: {
                StringWriter text = new StringWriter();
                try (JsonGenerator g = JSON.getFactory().createGenerator(text)) {
                    g.writeStartObject();
                    g.writeStringField("messageType", "DATA_MESSAGE");
                    g.writeStringField("logGroup", LOG_GROUPS[r.nextInt(LOG_GROUPS.length)]);
                    g.writeArrayFieldStart("logEvents");
                    g.writeStartObject();
                    g.writeNumberField("timestamp", 1_717_236_902_000L);
                    g.writeStringField("message", deep);
                    g.writeEndObject();
                    g.writeEndArray();
                    g.writeEndObject();
                }
                return gzip(text.toString(), r);
            }
        }
    }

    private static String deepJsonText(int depth) {
        StringBuilder sb = new StringBuilder(depth * 8);
        for (int i = 0; i < depth; i++) {
            sb.append(i % 2 == 0 ? "{\"message\":" : "[");
        }
        sb.append("1");
        for (int i = depth - 1; i >= 0; i--) {
            sb.append(i % 2 == 0 ? "}" : "]");
        }
        return sb.toString();
    }

    /** A line of 1 to 4 MB: a long literal, a run of separators, an unterminated quote or comment. */
    private byte[] bigLine(Random r) throws IOException {
        int size = MB + r.nextInt(3 * MB);
        String line;
        switch (r.nextInt(8)) {
            case 0:
                line = mysqlLine(r, "SELECT * FROM t WHERE note = '" + "x".repeat(size) + "'", true);
                break;
            case 1:
                line = "2024-06-01 10:15:03 +" + "0:".repeat(size / 2) + "x@db:[1]:LOG:  x";
                break;
            case 2:
                line = "ALTER USER u IDENTIFIED BY '" + "\\'".repeat(size / 2);
                break;
            case 3:
                line = "SET PASSWORD ".repeat(size / 13);
                break;
            case 4:
                line = "SELECT * FROM " + "t,".repeat(size / 2) + "u";
                break;
            case 5:
                line = "SELECT 1 /*" + "*".repeat(size);
                break;
            case 6:
                line = "{\"level\":\"ERROR\",\"message\":\"" + "Bearer ".repeat(size / 7) + "\"}";
                break;
            default:
                line = repeatToSize(line(r, 2_000), size);
        }
        if (r.nextBoolean()) {
            return utf8(line);
        }
        String envelope = "{\"messageType\":\"DATA_MESSAGE\",\"logGroup\":\"" + LOG_GROUPS[r.nextInt(LOG_GROUPS.length)]
                + "\",\"logEvents\":[{\"id\":\"1\",\"timestamp\":1717236902000,\"message\":" + JSON.writeValueAsString(line) + "}]}";
        return gzip(envelope, r);
    }

    private static String repeatToSize(String unit, int size) {
        if (unit.isEmpty()) {
            return "x".repeat(size);
        }
        return unit.repeat(Math.max(1, size / unit.length()));
    }

    /** 100,001 one-letter events: one more than the default bound. */
    private byte[] manyEvents() throws IOException {
        if (manyEvents == null) {
            StringBuilder json = new StringBuilder("{\"messageType\":\"DATA_MESSAGE\",\"logGroup\":\"/ecs/x\",\"logEvents\":[");
            for (int i = 0; i <= 100_000; i++) {
                json.append(i == 0 ? "" : ",").append("{\"timestamp\":1717236902000,\"message\":\"m\"}");
            }
            manyEvents = gzip(utf8(json.append("]}").toString()), 6);
        }
        return manyEvents;
    }

    /** Records that expand past the default bound of 128 MiB, each a different way. Built once. */
    private byte[] bomb(int which) throws IOException {
        if (bombs[which] == null) {
            switch (which) {
                case 0: // one envelope whose message is 200 MB of 'a'
                    bombs[which] = envelopeBomb(200);
                    break;
                case 1: // 200 MB of zeros, not even JSON
                    bombs[which] = compressedRun(new GzipSink(), (byte) 0, 200);
                    break;
                case 2: // zlib: 200 MB of spaces
                    bombs[which] = compressedRun(new ZlibSink(), (byte) ' ', 200);
                    break;
                case 3: { // 5 gzip members of 40 MB each: every member under the bound, the record over it
                    byte[] member = envelopeBomb(40);
                    bombs[which] = concat(member, member, member, member, member);
                    break;
                }
                default: { // a KPL aggregate of 8 gzip members of 25 MB each
                    byte[] member = envelopeBomb(25);
                    byte[][] members = new byte[8][];
                    Arrays.fill(members, member);
                    bombs[which] = KplTestRecords.aggregate(members);
                }
            }
        }
        return bombs[which];
    }

    private static byte[] envelopeBomb(int megabytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out, 65536)) {
            gz.write(utf8("{\"messageType\":\"DATA_MESSAGE\",\"logGroup\":\"/ecs/bomb\",\"logEvents\":[{\"id\":\"1\",\"timestamp\":1717236902000,\"message\":\""));
            byte[] chunk = new byte[MB];
            Arrays.fill(chunk, (byte) 'a');
            for (int i = 0; i < megabytes; i++) {
                gz.write(chunk);
            }
            gz.write(utf8("\"}]}"));
        }
        return out.toByteArray();
    }

    private interface Sink {
        OutputStream open(ByteArrayOutputStream out) throws IOException;
    }

    private static final class GzipSink implements Sink {
        @Override
        public OutputStream open(ByteArrayOutputStream out) throws IOException {
            return new GZIPOutputStream(out, 65536);
        }
    }

    private static final class ZlibSink implements Sink {
        @Override
        public OutputStream open(ByteArrayOutputStream out) {
            return new java.util.zip.DeflaterOutputStream(out, new Deflater(), 65536);
        }
    }

    private static byte[] compressedRun(Sink sink, byte value, int megabytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] chunk = new byte[MB];
        Arrays.fill(chunk, value);
        try (OutputStream z = sink.open(out)) {
            for (int i = 0; i < megabytes; i++) {
                z.write(chunk);
            }
        }
        return out.toByteArray();
    }

    // --- lines ---------------------------------------------------------------------------------

    /** A hostile log line of any format, mostly under {@code max} chars (rarely up to it). */
    String line(Random r, int max) {
        String line;
        switch (r.nextInt(10)) {
            case 0:
            case 1:
                line = mysqlLine(r, sql(r, literalLength(r, max)), r.nextInt(10) != 0);
                break;
            case 2:
            case 3:
                line = postgresLine(r, max);
                break;
            case 4:
                line = lambdaLine(r, max);
                break;
            case 5:
                line = jsonRecord(r, max);
                break;
            case 6:
                line = textLine(r);
                break;
            case 7:
                line = randomText(r, r.nextInt(Math.min(max, 400) + 1));
                break;
            case 8:
                line = sql(r, literalLength(r, max));
                break;
            default:
                line = timestamp(r) + " " + LEVELS[r.nextInt(LEVELS.length)] + " " + textLine(r);
        }
        return line.length() > max && r.nextBoolean() ? line.substring(0, max) : line;
    }

    private static int literalLength(Random r, int max) {
        return r.nextInt(10) == 0 ? Math.min(max, 5_000 + r.nextInt(15_001)) : r.nextInt(Math.min(max, 200) + 1);
    }

    private static final String[] SQL_WORDS = {
        "SELECT", "select", "FROM", "JOIN", "INTO", "UPDATE", "TABLE", "TRUNCATE", "IF", "NOT", "EXISTS", "ONLY", "CREATE", "ALTER",
        "DROP", "RENAME", "OR", "REPLACE", "TEMPORARY", "USER", "ROLE", "SET", "PASSWORD", "GRANT", "IDENTIFIED", "BY", "WITH",
        "AS", "OLD_PASSWORD(", "MASTER_PASSWORD", "SOURCE_PASSWORD", "mysql_native_password", "orders", "public.orders", "`t`",
        "\"q\"", "a$b", "$1", "*", ",", ".", "(", ")", "=", ";", "é", "\u00a0", "\t", "\n", "  ", "--", "#", "/*", "*/", "\\",
    };

    /** A SQL statement with literals of every dialect, comments and keywords, some unterminated. */
    static String sql(Random r, int literalLength) {
        StringBuilder sb = new StringBuilder();
        int tokens = 1 + r.nextInt(30);
        for (int i = 0; i < tokens; i++) {
            if (r.nextInt(4) == 0) {
                String body = randomText(r, r.nextInt(10) == 0 ? literalLength : Math.min(literalLength, 20));
                switch (r.nextInt(9)) {
                    case 0:
                        sb.append('\'').append(body.replace("'", "''")).append('\'');
                        break;
                    case 1:
                        sb.append('"').append(body.replace("\"", "\\\"")).append('"');
                        break;
                    case 2:
                        sb.append("E'").append(body.replace("'", "\\'")).append('\'');
                        break;
                    case 3:
                        sb.append("$$").append(body.replace("$", "")).append("$$");
                        break;
                    case 4:
                        sb.append("$fn$").append(body).append("$fn$");
                        break;
                    case 5:
                        sb.append("\\'").append(body.replace("\\", "")).append("\\'");
                        break;
                    case 6:
                        sb.append("/*").append(body.replace("*/", "")).append("*/");
                        break;
                    case 7:
                        sb.append("'").append(body); // unterminated
                        break;
                    default:
                        sb.append("-- ").append(body.replace('\n', ' ')).append('\n');
                }
            } else {
                sb.append(SQL_WORDS[r.nextInt(SQL_WORDS.length)]);
            }
            if (r.nextInt(3) != 0) {
                sb.append(' ');
            }
        }
        return sb.toString();
    }

    /** A MySQL-family audit line (Aurora, RDS MySQL, MariaDB), escaped as the plugin does or not at all. */
    static String mysqlLine(Random r, String sql, boolean escape) {
        StringBuilder sb = new StringBuilder();
        switch (r.nextInt(6)) {
            case 0:
                sb.append("20240601 10:15:0").append(r.nextInt(10));
                break;
            case 1:
                sb.append(digits(r, 1 + r.nextInt(25)));
                break;
            case 2:
                sb.append("99999999 99:99:99");
                break;
            default:
                sb.append(1_717_236_902_118_204L + r.nextInt(1_000_000));
        }
        sb.append(",db-").append(r.nextInt(3)).append(",app_rw,10.20.3.41,");
        sb.append(r.nextInt(10) == 0 ? digits(r, 19 + r.nextInt(5)) : Integer.toString(r.nextInt(100_000))).append(',');
        sb.append(r.nextInt(10) == 0 ? "-1" : Integer.toString(r.nextInt(1_000_000))).append(',');
        String[] ops = {"QUERY", "QUERY", "QUERY", "CONNECT", "FAILED_CONNECT", "DISCONNECT", "READ", "query", "QUERY_DDL", ""};
        sb.append(ops[r.nextInt(ops.length)]).append(",orders,");
        if (escape) {
            sb.append('\'');
            for (int i = 0; i < sql.length(); i++) {
                char c = sql.charAt(i);
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
                    default:
                        sb.append(c);
                }
            }
            sb.append('\'');
        } else {
            sb.append('\'').append(sql);
        }
        sb.append(',').append(r.nextInt(5) == 0 ? digits(r, 1 + r.nextInt(22)) : "0");
        if (r.nextInt(4) == 0) {
            sb.append(",SSL");
        }
        if (r.nextInt(20) == 0) {
            sb.append(",extra,fields,here");
        }
        return sb.toString();
    }

    private static final String[] ZONES = {"UTC", "GMT", "+05:30", "-03", "+00", "Z"};
    private static final String[] REMOTES = {"10.20.5.17(50432)", "[local]", "", "2001:db8::1(5432)", "::1(1)", "host(99999999999)"};

    /** A PostgreSQL log line with the RDS prefix; pgaudit rows with E'' and dollar-quoted literals. */
    String postgresLine(Random r, int max) {
        StringBuilder sb = new StringBuilder(r.nextInt(10) == 0 ? timestamp(r) : "2024-06-01 10:15:0" + r.nextInt(10));
        if (r.nextBoolean()) {
            sb.append('.').append(digits(r, 1 + r.nextInt(r.nextInt(10) == 0 ? 40 : 6)));
        }
        sb.append(' ');
        sb.append(r.nextInt(15) == 0 ? "+" + "0:".repeat(r.nextInt(2_000)) : ZONES[r.nextInt(ZONES.length)]).append(':');
        sb.append(r.nextInt(15) == 0 ? ":".repeat(r.nextInt(2_000)) : REMOTES[r.nextInt(REMOTES.length)]).append(':');
        sb.append(r.nextInt(10) == 0 ? "[unknown]" : "app_rw").append('@').append(r.nextInt(10) == 0 ? "" : "ordersdb");
        sb.append(":[").append(r.nextInt(10) == 0 ? digits(r, 20 + r.nextInt(5)) : Integer.toString(r.nextInt(99_999))).append("]:");
        String[] severities = {"LOG", "LOG", "ERROR", "FATAL", "WARNING", "DEBUG1", "PANIC", "STATEMENT", "X"};
        sb.append(severities[r.nextInt(severities.length)]).append(":  ");
        switch (r.nextInt(5)) {
            case 0:
            case 1: {
                String statement = sql(r, literalLength(r, max));
                String[] classes = {"READ", "WRITE", "DDL", "ROLE", "MISC", "FUNCTION"};
                sb.append("AUDIT: SESSION,").append(r.nextInt(100)).append(",1,").append(classes[r.nextInt(classes.length)])
                        .append(',').append(SQL_WORDS[r.nextInt(8)]).append(",TABLE,public.orders,");
                if (r.nextInt(8) == 0) {
                    sb.append('"').append(statement); // unterminated CSV field
                } else {
                    sb.append('"').append(statement.replace("\"", "\"\"")).append('"');
                }
                sb.append(",").append(r.nextBoolean() ? "<not logged>" : "\"1,\"\"a\"\"\"");
                if (r.nextBoolean()) {
                    sb.append(",").append(r.nextInt(1000));
                }
                break;
            }
            case 2:
                sb.append("password authentication failed for user \"").append(randomText(r, 20).replace("\"", "")).append('"');
                break;
            case 3:
                sb.append("connection authorized: user=app_rw database=ordersdb");
                break;
            default:
                sb.append(randomText(r, 200));
        }
        return sb.toString();
    }

    private static final String[] LEVELS = {"INFO", "WARN", "ERROR", "DEBUG", "FATAL", "TRACE", "CRITICAL", "notice", "x"};

    String lambdaLine(Random r, int max) {
        String requestId = "5b0e6d1a-9c4f-4e7b-8a2d-3f1c0b9e7d64";
        switch (r.nextInt(7)) {
            case 0:
                return "START RequestId: " + requestId + " Version: $LATEST\n";
            case 1:
                return "REPORT RequestId: " + requestId + "\tDuration: " + number(r) + " ms\tBilled Duration: 2 ms\tMemory Size: "
                        + number(r) + " MB\tMax Memory Used: " + number(r) + " MB\tInit Duration: " + number(r) + " ms"
                        + (r.nextBoolean() ? "\tStatus: timeout\tError Type: Runtime.Exit" : "") + "\n";
            case 2:
                return timestamp(r) + "\t" + (r.nextBoolean() ? requestId : "undefined") + "\t" + LEVELS[r.nextInt(LEVELS.length)] + "\t"
                        + textLine(r).replace('\n', '\r');
            case 3:
                return "[" + LEVELS[r.nextInt(LEVELS.length)] + "]\t" + timestamp(r) + "\t" + requestId + "\t" + textLine(r);
            case 4:
                return timestamp(r) + " " + requestId + " Task timed out after " + number(r) + " seconds";
            case 5: {
                ObjectNode record = NODES.objectNode();
                record.set("time", oddValue(r, true));
                record.put("type", r.nextBoolean() ? "platform.report" : "platform.start");
                ObjectNode body = record.putObject("record");
                body.set("requestId", oddValue(r, false));
                ObjectNode metrics = body.putObject("metrics");
                metrics.set("durationMs", oddValue(r, false));
                metrics.set("memorySizeMB", oddValue(r, false));
                metrics.set("maxMemoryUsedMB", oddValue(r, false));
                body.set("status", oddValue(r, false));
                return write(r, record);
            }
            default:
                return "END RequestId: " + requestId + "\n" + randomText(r, r.nextInt(Math.min(max, 100) + 1));
        }
    }

    private static String number(Random r) {
        String[] numbers = {"1.5", "12", "1.2.3", "99999999999", "-1", "", "1e999", "0.000000001", "NaN", "9".repeat(400)};
        return numbers[r.nextInt(numbers.length)];
    }

    /** A JSON record: FireLens, application JSON of every library, CloudTrail, each with odd types. */
    String jsonRecord(Random r, int max) {
        switch (r.nextInt(3)) {
            case 0:
                return write(r, cloudTrail(r));
            case 1: {
                ObjectNode fireLens = NODES.objectNode();
                fireLens.put("log", r.nextBoolean() ? write(r, appJson(r, max)) : line(r, Math.min(max, 2_000)));
                fireLens.put("container_id", "c" + r.nextInt(3));
                fireLens.put("container_name", r.nextBoolean() ? "/ecs-orders-web" : "");
                fireLens.put("source", r.nextBoolean() ? "stdout" : "stderr");
                fireLens.put("ecs_task_arn", r.nextBoolean() ? "arn:aws:ecs:eu-west-1:111122223333:task/prod/abc" : randomText(r, 80));
                fireLens.put("ecs_task_definition", r.nextBoolean() ? "orders-web:12" : ":");
                if (r.nextInt(4) == 0) {
                    fireLens.put("partial_message", "true");
                    fireLens.put("partial_id", "p1");
                    fireLens.set("partial_ordinal", oddValue(r, false));
                    fireLens.put("partial_last", r.nextBoolean() ? "true" : "false");
                }
                if (r.nextBoolean()) {
                    fireLens.set("time", oddValue(r, true));
                }
                return write(r, fireLens);
            }
            default:
                return write(r, appJson(r, max));
        }
    }

    private ObjectNode appJson(Random r, int max) {
        ObjectNode app = NODES.objectNode();
        String[] timeFields = {"@timestamp", "timestamp", "time", "ts", "asctime", "datetime"};
        String[] levelFields = {"level", "levelname", "severity", "log.level", "loglevel", "level_value"};
        app.set(timeFields[r.nextInt(timeFields.length)], oddValue(r, true));
        app.set(levelFields[r.nextInt(levelFields.length)], r.nextBoolean() ? NODES.textNode(LEVELS[r.nextInt(LEVELS.length)]) : oddValue(r, false));
        if (r.nextInt(5) == 0) {
            ObjectNode log = app.putObject("log");
            log.set("level", oddValue(r, false));
        }
        switch (r.nextInt(4)) {
            case 0: {
                ObjectNode error = app.putObject("message");
                error.set("errorType", oddValue(r, false));
                error.put("errorMessage", textLine(r));
                ArrayNode stack = error.putArray("stackTrace");
                for (int i = r.nextInt(5); i > 0; i--) {
                    stack.add(r.nextBoolean() ? NODES.textNode("at f (x.js:" + i + ")") : oddValue(r, false));
                }
                break;
            }
            case 1:
                app.set("msg", oddValue(r, false));
                break;
            default:
                app.put(r.nextBoolean() ? "message" : "event", line(r, Math.min(max, 4_000)));
        }
        if (r.nextInt(4) == 0) {
            app.set(r.nextBoolean() ? "stack_trace" : "exc_info", oddValue(r, false));
        }
        if (r.nextInt(4) == 0) {
            ObjectNode err = app.putObject("err");
            err.set("stack", oddValue(r, false));
        }
        String[] extra = {"service", "service.name", "traceId", "requestId", "userId", "password", "token", "card"};
        for (int i = r.nextInt(4); i > 0; i--) {
            app.set(extra[r.nextInt(extra.length)], r.nextBoolean() ? NODES.textNode(textLine(r)) : oddValue(r, false));
        }
        return app;
    }

    private ObjectNode cloudTrail(Random r) {
        ObjectNode e = NODES.objectNode();
        e.set("eventVersion", r.nextInt(10) == 0 ? oddValue(r, false) : NODES.textNode("1.10"));
        e.set("eventSource", r.nextInt(10) == 0 ? oddValue(r, false) : NODES.textNode("iam.amazonaws.com"));
        e.set("eventName", r.nextInt(10) == 0 ? oddValue(r, false) : NODES.textNode("CreateAccessKey"));
        e.set("eventTime", oddValue(r, true));
        e.set("eventID", oddValue(r, false));
        e.set("awsRegion", oddValue(r, false));
        e.set("sourceIPAddress", oddValue(r, false));
        e.set("recipientAccountId", r.nextBoolean() ? NODES.numberNode(r.nextLong()) : NODES.textNode("111122223333"));
        if (r.nextBoolean()) {
            e.set("errorCode", oddValue(r, false));
        }
        switch (r.nextInt(4)) {
            case 0:
                e.put("userIdentity", "root");
                break;
            case 1:
                e.putArray("userIdentity").add(1).add("x");
                break;
            case 2:
                e.putNull("userIdentity");
                break;
            default: {
                ObjectNode identity = e.putObject("userIdentity");
                identity.set("type", oddValue(r, false));
                identity.set("arn", oddValue(r, false));
                ObjectNode session = identity.putObject("sessionContext");
                session.putObject("attributes").set("mfaAuthenticated", oddValue(r, false));
                session.set("sessionIssuer", oddValue(r, false));
            }
        }
        if (r.nextBoolean()) {
            e.putObject("additionalEventData").set("MFAUsed", oddValue(r, false));
        }
        if (r.nextBoolean()) {
            e.putObject("responseElements").set("ConsoleLogin", oddValue(r, false));
        } else {
            e.set("responseElements", oddValue(r, false));
        }
        e.set("requestParameters", oddValue(r, false));
        return e;
    }

    /** A JSON value of any type; a time in some dialect, often, when {@code time}. */
    private com.fasterxml.jackson.databind.JsonNode oddValue(Random r, boolean time) {
        switch (r.nextInt(time ? 12 : 10)) {
            case 0:
                return NODES.nullNode();
            case 1:
                return NODES.numberNode(r.nextLong());
            case 2:
                return NODES.numberNode(r.nextDouble() * Math.pow(10, r.nextInt(600) - 300));
            case 3:
                return NODES.numberNode(new BigInteger(r.nextInt(300) + 1, r));
            case 4:
                return NODES.booleanNode(r.nextBoolean());
            case 5:
                return NODES.arrayNode().add(1).add("two").addNull();
            case 6: {
                ObjectNode o = NODES.objectNode();
                o.put("nested", textLine(r));
                return o;
            }
            case 7:
                return NODES.textNode(randomText(r, 40));
            case 8:
                return NODES.textNode(number(r));
            case 9:
                return NODES.textNode("");
            case 10:
                return NODES.numberNode(epoch(r));
            default:
                return NODES.textNode(timestamp(r));
        }
    }

    /** A timestamp in one of the dialects the parsers accept, or one that breaks them. */
    static String timestamp(Random r) {
        String[] dialects = {
            "2024-06-01T10:15:02.118Z", "2024-06-01T10:15:02Z", "2024-06-01 10:15:02,118", "2024-06-01T10:15:02.118123456",
            "2024-06-01T12:15:02.118+02:00", "2024-06-01T10:15:02+0530", "2024-06-01 10:15:02", "2024-06-01T10:15:02.118-00:00",
            "0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999Z", "+999999999-12-31T23:59:59Z", "-999999999-01-01T00:00:00Z",
            "999999999-12-31 23:59:59", "2024-13-45T25:61:61Z", "20240601 10:15:02", "1717236902118204", "2024-06-01T10:15:02."
                + "1".repeat(30), "  2024-06-01T10:15:02Z  ", "2024-02-30T00:00:00Z", "",
        };
        return dialects[r.nextInt(dialects.length)];
    }

    private static double epoch(Random r) {
        double[] values = {1717236902, 1717236902118.0, 1717236902118204.0, 1717236902118204000.0, -1717236902, 0, 1e300, -1e300,
            Double.MAX_VALUE, Double.MIN_VALUE, 9.2e18, 1e14, 1e17 - 1};
        return values[r.nextInt(values.length)];
    }

    /** Free text of the kinds the redactor looks for. */
    String textLine(Random r) {
        String[] parts = {
            "card 4111 1111 1111 1111 charged", "order 1717236902118204", "Authorization: Bearer eyJhbGciOi.x.y",
            "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "postgres://app:pa55@db:5432/x",
            "ALTER USER 'a'@'%' IDENTIFIED BY 'p'", "SET PASSWORD = PASSWORD('x')", "ERROR something failed", "WARN slow",
            "Exception in thread \"main\" java.lang.IllegalStateException", "\tat com.example.A.run(A.java:1)",
        };
        StringBuilder sb = new StringBuilder();
        for (int i = 1 + r.nextInt(3); i > 0; i--) {
            sb.append(parts[r.nextInt(parts.length)]).append(r.nextBoolean() ? " " : randomText(r, 10));
        }
        return sb.toString();
    }

    /** Chars of every kind: ASCII, controls, Latin, CJK, emoji, and lone surrogates. */
    static String randomText(Random r, int length) {
        StringBuilder sb = new StringBuilder(length);
        String specials = "'\"\\,;:@[](){}$#-/*\n\r\t ";
        for (int i = 0; i < length; i++) {
            switch (r.nextInt(10)) {
                case 0:
                    sb.append(specials.charAt(r.nextInt(specials.length())));
                    break;
                case 1:
                    sb.append((char) (0x80 + r.nextInt(0x780)));
                    break;
                case 2:
                    sb.append((char) (0x4e00 + r.nextInt(0x5000)));
                    break;
                case 3:
                    if (r.nextInt(20) == 0) {
                        sb.append((char) (0xD800 + r.nextInt(0x800))); // a lone surrogate
                    } else {
                        sb.appendCodePoint(0x1F600 + r.nextInt(0x50));
                    }
                    break;
                default:
                    sb.append((char) (0x20 + r.nextInt(0x5f)));
            }
        }
        return sb.toString();
    }

    private static String digits(Random r, int n) {
        StringBuilder sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            sb.append((char) ('0' + r.nextInt(10)));
        }
        return sb.toString();
    }

    private static String write(Random r, com.fasterxml.jackson.databind.JsonNode node) {
        try {
            return (r.nextInt(4) == 0 ? ASCII_JSON : JSON).writeValueAsString(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // --- bytes -------------------------------------------------------------------------------

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] randomBytes(Random r, int max) {
        byte[] bytes = new byte[r.nextInt(max + 1)];
        r.nextBytes(bytes);
        return bytes;
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.write(part, 0, part.length);
        }
        return out.toByteArray();
    }

    private static byte[] cut(byte[] bytes, Random r) {
        return Arrays.copyOf(bytes, r.nextInt(bytes.length + 1));
    }

    private static byte[] flip(byte[] bytes, Random r) {
        byte[] out = bytes.clone();
        for (int i = 1 + r.nextInt(5); i > 0 && out.length > 0; i--) {
            out[r.nextInt(out.length)] ^= (byte) (1 + r.nextInt(255));
        }
        return out;
    }

    private static byte[] gzip(String text, Random r) throws IOException {
        return gzip(utf8(text), r);
    }

    private static byte[] gzip(byte[] data, Random r) throws IOException {
        return gzip(data, r.nextInt(8) == 0 ? 6 : 1);
    }

    private static byte[] gzip(byte[] data, int level) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, data.length / 4));
        try (GZIPOutputStream gz = new GZIPOutputStream(out, 65536) {
            {
                def.setLevel(level);
            }
        }) {
            gz.write(data);
        }
        return out.toByteArray();
    }

    private static byte[] zlib(byte[] data) {
        Deflater deflater = new Deflater(Deflater.BEST_SPEED);
        deflater.setInput(data);
        deflater.finish();
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, data.length / 4));
        byte[] buffer = new byte[65536];
        while (!deflater.finished()) {
            out.write(buffer, 0, deflater.deflate(buffer));
        }
        deflater.end();
        return out.toByteArray();
    }
}
