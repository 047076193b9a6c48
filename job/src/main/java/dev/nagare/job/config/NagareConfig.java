package dev.nagare.job.config;

import dev.nagare.udf.parse.EventParser;
import dev.nagare.udf.redact.Redactor;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;

import java.io.Serializable;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * The validated configuration of one job. Built once at start-up from property groups; any
 * unknown group or key and any value out of range stops the job with a one-line message.
 */
public final class NagareConfig implements Serializable {
    private static final long serialVersionUID = 1L;

    private static final Map<String, ConfigOption<?>> BY_KEY = new LinkedHashMap<>();
    /** Range checks beyond what the option's type already enforces, with the words for the error. */
    private static final Map<ConfigOption<?>, Check> CHECKS = new LinkedHashMap<>();

    static {
        NagareOptions.ALL.forEach(o -> BY_KEY.put(o.key(), o));
        SourceSettings.registerChecks();
        LakeSettings.registerChecks();
        check(NagareOptions.RULES_DEFAULT_STATE_TTL, StateTtl::valid, "must be " + StateTtl.ALLOWED);
        check(NagareOptions.RULES_WATERMARK_STEP, (Duration v) -> v.isZero()
                || (v.compareTo(Duration.ofMillis(100)) >= 0 && v.compareTo(Duration.ofHours(1)) <= 0),
                "must be 0 (off) or a duration from 100 ms to 1 h such as 10 s");
        ParseSettings.registerChecks();
        DeliverySettings.registerChecks();
        check(NagareOptions.WATERMARK_DELAY, (Duration v) -> !v.isNegative(), "must be a duration >= 0 such as 30 s");
        check(NagareOptions.IDLE_TIMEOUT, NagareConfig::atLeastOneSecond, "must be a duration of at least 1 s");
        check(NagareOptions.CHECKPOINT_INTERVAL, NagareConfig::atLeastOneSecond, "must be a duration of at least 1 s");
        check(NagareOptions.CHECKPOINT_DIR, (String v) -> v.matches("[a-zA-Z][a-zA-Z0-9+.-]*:/.+") || v.startsWith("/"),
                "must be a file system URI such as s3://bucket/nagare/checkpoints, or an absolute path");
        check(NagareOptions.LOCAL_WEB_UI_PORT, (Integer v) -> v >= 1 && v <= 65535, "must be a port from 1 to 65535");
        check(NagareOptions.LOCAL_PARALLELISM, (Integer v) -> v >= 1 && v <= 64, "must be an integer from 1 to 64");
        check(NagareOptions.LOCAL_STATUS_INTERVAL, NagareConfig::atLeastOneSecond, "must be a duration of at least 1 s");
        check(NagareOptions.LOCAL_S3_ENDPOINT, (String v) -> v.matches("https?://[^/:\\s]+(:\\d{1,5})?/?"),
                "must be an http:// or https:// URL of host and port such as http://127.0.0.1:9000");
    }

    private final Configuration values;

    private NagareConfig(Configuration values) {
        this.values = values;
    }

    /** The defaults of every option. */
    public static NagareConfig defaults() {
        return new NagareConfig(new Configuration());
    }

    /**
     * Validates property groups ({@code group -> key -> value}) and builds the configuration.
     *
     * @throws ConfigException naming the group, key, value and what is allowed
     */
    public static NagareConfig fromGroups(Map<String, Properties> groups) {
        Configuration values = new Configuration();
        for (Map.Entry<String, Properties> group : new TreeMap<>(groups).entrySet()) {
            String groupId = group.getKey();
            if (knownKeys(groupId).isEmpty()) {
                throw new ConfigException(
                        "Invalid configuration: unknown property group '" + groupId + "'; known groups: " + String.join(", ", knownGroups()));
            }
            for (String key : new TreeMap<>(group.getValue()).keySet().stream().map(Object::toString).collect(Collectors.toList())) {
                String value = group.getValue().getProperty(key, "").trim();
                ConfigOption<?> option = BY_KEY.get(groupId + "." + key);
                if (option == null) {
                    throw new ConfigException(
                            "Invalid configuration: unknown key '" + key + "' in group '" + groupId + "'; known keys: "
                                    + String.join(", ", knownKeys(groupId)));
                }
                values.setString(option.key(), value);
                validate(values, option, groupId, key, value);
            }
        }
        return new NagareConfig(values);
    }

    /** A copy with one more value set, validated like a value from a file (used by tests and tools). */
    public NagareConfig with(String key, String value) {
        ConfigOption<?> option = BY_KEY.get(key);
        int dot = key.indexOf('.');
        if (option == null || dot < 0) {
            throw new ConfigException("Invalid configuration: unknown key '" + key + "'");
        }
        Configuration copy = new Configuration(values);
        copy.setString(key, value);
        validate(copy, option, key.substring(0, dot), key.substring(dot + 1), value);
        return new NagareConfig(copy);
    }

    public <T> T get(ConfigOption<T> option) {
        return values.get(option);
    }

    /** Whether the configuration sets the option itself (rather than leaving its default). */
    public boolean isSet(ConfigOption<?> option) {
        return values.containsKey(option.key());
    }

    public <T> Optional<T> getOptional(ConfigOption<T> option) {
        return values.getOptional(option);
    }

    private static void validate(Configuration values, ConfigOption<?> option, String group, String key, String value) {
        Object parsed;
        try {
            parsed = values.get(option);
        } catch (IllegalArgumentException e) {
            throw invalid(group, key, value, typeRule(option));
        }
        Check check = CHECKS.get(option);
        if (check != null && !check.test(parsed)) {
            throw invalid(group, key, value, check.allowed);
        }
    }

    /** The error for a value of a full key ({@code group.key}) that a later check refused; secret values stay hidden. */
    public static ConfigException invalid(String fullKey, String value, String allowed) {
        int dot = fullKey.indexOf('.');
        return invalid(fullKey.substring(0, dot), fullKey.substring(dot + 1), value, allowed);
    }

    private static ConfigException invalid(String group, String key, String value, String allowed) {
        String shown = SECRET_KEYS.contains(group + "." + key) ? "(hidden)" : "'" + value + "'";
        return new ConfigException(
                "Invalid configuration value " + shown + " for key '" + key + "' in group '" + group + "': " + allowed);
    }

    /** Keys whose values are secrets: never part of a message. */
    public static final java.util.Set<String> SECRET_KEYS =
            java.util.Set.of(NagareOptions.WEBHOOK_URL.key(), NagareOptions.WEBHOOK_HEADERS.key(),
                    NagareOptions.KINESIS_SECRET_ACCESS_KEY.key());

    /** What the option's type accepts, in words. */
    private static String typeRule(ConfigOption<?> option) {
        Class<?> type = typeOf(option);
        if (type.isEnum()) {
            return "must be one of: "
                    + Arrays.stream(type.getEnumConstants())
                            .map(c -> c.toString().toLowerCase(Locale.ROOT))
                            .collect(Collectors.joining(", "));
        }
        if (type == Integer.class) {
            return "must be an integer";
        }
        if (type == Long.class) {
            return "must be a whole number";
        }
        if (type == Boolean.class) {
            return "must be true or false";
        }
        if (type == Duration.class) {
            return "must be a duration such as 30 s or 5 min";
        }
        if (type == Double.class) {
            return "must be a number";
        }
        if (type == MemorySize.class) {
            return "must be a size such as 128 mb";
        }
        return "must be text";
    }

    private static Class<?> typeOf(ConfigOption<?> option) {
        // ConfigOption does not expose its type; the default value tells it (no default: text).
        Object d = option.defaultValue();
        if (d == null || d instanceof List) {
            return String.class;
        }
        return d instanceof Enum ? ((Enum<?>) d).getDeclaringClass() : d.getClass();
    }

    static List<String> knownGroups() {
        return BY_KEY.keySet().stream().map(k -> k.substring(0, k.indexOf('.'))).distinct().collect(Collectors.toList());
    }

    private static List<String> knownKeys(String group) {
        String prefix = group + ".";
        return BY_KEY.keySet().stream()
                .filter(k -> k.startsWith(prefix))
                .map(k -> k.substring(prefix.length()))
                .collect(Collectors.toList());
    }

    /** The event parser of this configuration: its routes, bounds and redaction. */
    public EventParser parser() {
        return ParseSettings.of(this).parser();
    }

    /** The one redaction of this configuration, for every stored, sent and logged text. */
    public Redactor redactor() {
        return ParseSettings.of(this).redactor();
    }

    /** The configured routes in front of the defaults. */
    public List<EventParser.Route> routes() {
        return ParseSettings.of(this).routes;
    }

    static boolean atLeastOneMilli(Duration d) {
        return d.toMillis() >= 1;
    }

    static boolean atLeastOneSecond(Duration d) {
        return d.compareTo(Duration.ofSeconds(1)) >= 0;
    }

    @SuppressWarnings("unchecked")
    static <T> void check(ConfigOption<T> option, Predicate<T> test, String allowed) {
        CHECKS.put(option, new Check((Predicate<Object>) test, allowed));
    }

    private static final class Check {
        final Predicate<Object> test;
        final String allowed;

        Check(Predicate<Object> test, String allowed) {
            this.test = test;
            this.allowed = allowed;
        }

        boolean test(Object value) {
            return test.test(value);
        }
    }
}
