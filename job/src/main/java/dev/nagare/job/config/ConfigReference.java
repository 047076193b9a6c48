package dev.nagare.job.config;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.description.BlockElement;
import org.apache.flink.configuration.description.TextElement;
import org.apache.flink.util.TimeUtils;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The configuration reference in README.md, rendered from {@link NagareOptions}: one row per option
 * with its group, key, default, type and description, in the order of {@link NagareOptions#ALL}.
 * The README keeps it between {@link #BEGIN} and {@link #END}; a test fails when they differ.
 */
public final class ConfigReference {
    public static final String BEGIN = "<!-- configuration table: generated from NagareOptions, do not edit by hand -->";
    public static final String END = "<!-- end of configuration table -->";

    private ConfigReference() {}

    /** The Markdown table, one line per option, ending in a newline. */
    public static String table() {
        Map<ConfigOption<?>, Type> types = valueTypes();
        StringBuilder out = new StringBuilder("| group | key | default | type | meaning |\n|---|---|---|---|---|\n");
        for (ConfigOption<?> option : NagareOptions.ALL) {
            int dot = option.key().indexOf('.');
            Type type = types.get(option);
            out.append("| ").append(option.key(), 0, dot)
                    .append(" | `").append(option.key().substring(dot + 1)).append('`')
                    .append(" | ").append(defaultValue(option))
                    .append(" | ").append(typeName(type))
                    .append(" | ").append(cell(description(option)))
                    .append(" |\n");
        }
        return out.toString();
    }

    /** {@code text} with the part between the markers replaced by the current table. */
    public static String replaceIn(String text) {
        int begin = text.indexOf(BEGIN);
        int end = text.indexOf(END);
        if (begin < 0 || end < begin) {
            throw new IllegalArgumentException("no '" + BEGIN + "' ... '" + END + "' markers in the text");
        }
        return text.substring(0, begin + BEGIN.length()) + "\n" + table() + text.substring(end);
    }

    /** The value type of each option, read from the generic type of its field in {@link NagareOptions}. */
    static Map<ConfigOption<?>, Type> valueTypes() {
        Map<ConfigOption<?>, Type> types = new LinkedHashMap<>();
        for (Field field : NagareOptions.class.getFields()) {
            if (Modifier.isStatic(field.getModifiers()) && field.getType() == ConfigOption.class) {
                try {
                    types.put((ConfigOption<?>) field.get(null),
                            ((ParameterizedType) field.getGenericType()).getActualTypeArguments()[0]);
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return types;
    }

    /** The default as it would be written in the configuration, or a dash when there is none (or it is empty). */
    private static String defaultValue(ConfigOption<?> option) {
        String value = option.hasDefaultValue() ? value(option.defaultValue()) : "";
        return value.isEmpty() ? "—" : "`" + value + "`";
    }

    /** A value as the configuration accepts it: durations and sizes in their largest unit, enums in lower case. */
    static String value(Object value) {
        if (value instanceof Duration) {
            return TimeUtils.formatWithHighestUnit((Duration) value);
        }
        if (value instanceof Enum) {
            return ((Enum<?>) value).name().toLowerCase(Locale.ROOT);
        }
        if (value instanceof MemorySize) {
            return value.toString();
        }
        if (value instanceof List) {
            return ((List<?>) value).stream().map(ConfigReference::value).collect(Collectors.joining(";"));
        }
        if (value instanceof Map) {
            return ((Map<?, ?>) value).entrySet().stream().map(e -> e.getKey() + ":" + e.getValue()).collect(Collectors.joining(","));
        }
        return String.valueOf(value);
    }

    private static String typeName(Type generic) {
        if (generic == null) {
            throw new IllegalStateException("an option in NagareOptions.ALL that is not a public field of NagareOptions");
        }
        if (generic instanceof ParameterizedType && ((ParameterizedType) generic).getRawType() == List.class) {
            return "list of " + typeName(((ParameterizedType) generic).getActualTypeArguments()[0]) + ", separated by `;`";
        }
        if (generic instanceof ParameterizedType && ((ParameterizedType) generic).getRawType() == Map.class) {
            return "map, `key:value` pairs separated by `,`";
        }
        Class<?> type = (Class<?>) generic;
        if (type.isEnum()) {
            return Arrays.stream(type.getEnumConstants()).map(ConfigReference::value).collect(Collectors.joining(", "));
        }
        if (type == Duration.class) {
            return "duration";
        }
        if (type == MemorySize.class) {
            return "size";
        }
        if (type == Integer.class) {
            return "int";
        }
        return type.getSimpleName().toLowerCase(Locale.ROOT);
    }

    /** The option's description; NagareOptions uses plain text, anything richer is refused rather than lost. */
    private static String description(ConfigOption<?> option) {
        List<BlockElement> blocks = option.description().getBlocks();
        StringBuilder text = new StringBuilder();
        for (BlockElement block : blocks) {
            if (!(block instanceof TextElement) || !((TextElement) block).getElements().isEmpty()) {
                throw new IllegalStateException("the description of " + option.key() + " is not plain text");
            }
            text.append(((TextElement) block).getFormat());
        }
        return text.toString();
    }

    /** Text safe in a Markdown table cell. */
    private static String cell(String text) {
        return text.replace("|", "\\|").replace("\n", " ");
    }
}
