package dev.nagare.job.deploy;

import dev.nagare.job.config.NagareOptions;
import dev.nagare.job.metrics.JobMetrics;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The CloudFormation templates, checked without AWS (the linter itself runs in CfnLintTest): the
 * application sets exactly the job keys NagareOptions knows (less the documented exclusions), IAM
 * grants no wildcard action and no wildcard resource for writes, and every reference resolves.
 */
class TemplatesTest {
    private static final Path DIR = Path.of("..", "conf", "cloudformation");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Set<String> PSEUDO = Set.of("AWS::AccountId", "AWS::Region", "AWS::Partition", "AWS::StackName",
            "AWS::StackId", "AWS::URLSuffix", "AWS::NoValue", "AWS::NotificationARNs");
    private static final String S3_OBJECTS_UNDER_PREFIX = "arn:\\$\\{AWS::Partition}:s3:::[^*/]+/[^*]+/\\*";
    private static final Pattern READ_ONLY = Pattern.compile("(Get|List|Describe)[A-Za-z]*");

    private static JsonNode read(String name) throws Exception {
        return YAML.readTree(Files.readString(DIR.resolve(name)));
    }

    private static List<String> templates() throws Exception {
        try (var files = Files.list(DIR)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yaml")).sorted().collect(Collectors.toList());
        }
    }

    @Test
    void applicationSetsEveryJobKeyExceptTheDocumentedOnes() throws Exception {
        JsonNode t = read("nagare.yaml");
        Set<String> excluded = new TreeSet<>();
        t.at("/Metadata/Nagare::KeysNotOnManagedFlink").fieldNames().forEachRemaining(excluded::add);
        Set<String> known = NagareOptions.ALL.stream().map(ConfigOption::key).collect(Collectors.toCollection(TreeSet::new));
        Set<String> expected = new TreeSet<>();
        for (String key : known) {
            boolean out = excluded.contains(key) || excluded.contains(key.substring(0, key.indexOf('.')));
            if (!out) {
                expected.add(key);
            }
        }
        for (String e : excluded) {
            assertThat(known.stream().anyMatch(k -> k.equals(e) || k.startsWith(e + "."))).as("excluded %s is a job key or group", e).isTrue();
        }
        Set<String> wired = new TreeSet<>();
        JsonNode groups = t.at("/Resources/Application/Properties/ApplicationConfiguration/EnvironmentProperties/PropertyGroups");
        assertThat(groups.isArray()).isTrue();
        for (JsonNode g : groups) {
            String id = g.get("PropertyGroupId").asText();
            g.get("PropertyMap").fieldNames().forEachRemaining(k -> wired.add(id + "." + k));
        }
        assertThat(wired).as("keys in PropertyGroups").isEqualTo(expected);
        assertThat(t.at("/Resources/Application/Properties/RuntimeEnvironment").asText()).isEqualTo("FLINK-1_20");
        assertThat(t.at("/Resources/Application/Properties/ApplicationConfiguration/ApplicationSnapshotConfiguration/SnapshotsEnabled").asBoolean()).isTrue();
    }

    @Test
    void noWildcardActionsAndNoWildcardResourcesForWrites() throws Exception {
        for (String name : templates()) {
            List<JsonNode> statements = new ArrayList<>();
            collectStatements(read(name).get("Resources"), statements);
            for (JsonNode s : statements) {
                if (!"Allow".equals(s.path("Effect").asText())) {
                    continue; // a Deny with s3:* (TLS only) narrows access
                }
                List<String> actions = texts(s.get("Action"));
                assertThat(actions).as("%s: actions of %s", name, s).isNotEmpty();
                for (String a : actions) {
                    assertThat(a).as(name).isNotEqualTo("*").doesNotEndWith(":*");
                }
                boolean writes = actions.stream().anyMatch(a -> !READ_ONLY.matcher(a.substring(a.indexOf(':') + 1)).matches());
                for (String r : resourceTexts(s.get("Resource"))) {
                    assertThat(r).as("%s: resource of %s", name, s).isNotEqualTo("*");
                    if (writes && r.contains("*")) {
                        // Only objects under a named prefix of a named bucket: arn:...:s3:::<bucket>/<prefix>/*
                        assertThat(r).as("%s: write resource of %s", name, s).matches(S3_OBJECTS_UNDER_PREFIX);
                    }
                }
            }
        }
    }

    @Test
    void everyReferenceAndConditionExists() throws Exception {
        for (String name : templates()) {
            JsonNode t = read(name);
            Set<String> targets = new TreeSet<>(PSEUDO);
            t.path("Parameters").fieldNames().forEachRemaining(targets::add);
            t.path("Resources").fieldNames().forEachRemaining(targets::add);
            Set<String> resources = new TreeSet<>();
            t.path("Resources").fieldNames().forEachRemaining(resources::add);
            Set<String> conditions = new TreeSet<>();
            t.path("Conditions").fieldNames().forEachRemaining(conditions::add);
            checkRefs(name, t, targets, resources, conditions, Set.of());
        }
    }

    @Test
    void aStackUpdateRestoresDroppingTheStateOfChangedRules() throws Exception {
        // Left out, an update resets AllowNonRestoredState to false, and the restore after a
        // changed rule or rollup fails (docs/RULES.md, State and rule changes).
        int applications = 0;
        for (JsonNode r : read("nagare.yaml").get("Resources")) {
            if ("AWS::KinesisAnalyticsV2::Application".equals(r.path("Type").asText())) {
                applications++;
                assertThat(r.at("/Properties/RunConfiguration/FlinkRunConfiguration/AllowNonRestoredState").asBoolean()).isTrue();
            }
        }
        assertThat(applications).isEqualTo(1);
    }

    @Test
    void glueTablesMatchTheAthenaDdl() throws Exception {
        String ddl = Files.readString(Path.of("..", "docs", "athena", "tables.sql"));
        Matcher m = Pattern.compile("CREATE EXTERNAL TABLE IF NOT EXISTS nagare\\.(\\w+) \\((.*?)\\)\\nPARTITIONED BY", Pattern.DOTALL).matcher(ddl);
        JsonNode resources = read("nagare.yaml").get("Resources");
        int tables = 0;
        while (m.find()) {
            tables++;
            List<String> columns = new ArrayList<>();
            // One column a line; the comma that ends a line separates columns and is not part of
            // the type (the template once carried it into every Glue type: "string,").
            Matcher c = Pattern.compile("^\\s*`(\\w+)` ([\\w<>,:]+?),?$", Pattern.MULTILINE).matcher(m.group(2));
            while (c.find()) {
                columns.add(c.group(1) + " " + c.group(2));
            }
            JsonNode table = null;
            for (JsonNode r : resources) {
                if (m.group(1).equals(r.at("/Properties/TableInput/Name").asText())) {
                    table = r;
                }
            }
            assertThat(table).as("Glue table %s", m.group(1)).isNotNull();
            List<String> glue = new ArrayList<>();
            table.at("/Properties/TableInput/StorageDescriptor/Columns").forEach(col -> glue.add(col.get("Name").asText() + " " + col.get("Type").asText()));
            assertThat(glue).as(m.group(1)).isEqualTo(columns);
            // Hive type names as Glue and Athena read them: the primitives and the map and array the lake uses.
            assertThat(glue).as("%s: Hive types", m.group(1))
                    .allMatch(column -> column.matches("\\w+ (string|timestamp|bigint|int|double|boolean|map<string,string>|array<string>)"));
        }
        assertThat(tables).isEqualTo(5);
    }

    /**
     * Metrics Flink and Managed Flink publish themselves, that the template may watch (MSF's
     * "Metrics and dimensions" page: application-level metrics, dimension Application).
     */
    private static final Set<String> MANAGED_FLINK_METRICS = Set.of("numberOfFailedCheckpoints", "numRestarts", "fullRestarts",
            "millisBehindLatest", "downtime", "uptime", "containerCPUUtilization", "containerMemoryUtilization",
            "heapMemoryUtilization", "cpuUtilization", "KPUs", "lastCheckpointDuration", "lastCheckpointSize");

    @Test
    void everyMetricTheDashboardAndAlarmsWatchIsOneThatIsPublished() throws Exception {
        JsonNode t = read("nagare.yaml");
        JsonNode mappings = t.at("/Mappings/Metrics");
        mappings.get("Job").fields().forEachRemaining(e -> assertThat(JobMetrics.JOB_WIDE)
                .as("Mappings/Metrics/Job/%s: a job-wide metric the job registers (JobMetrics)", e.getKey())
                .contains(e.getValue().asText()));
        mappings.get("Flink").fields().forEachRemaining(e -> assertThat(MANAGED_FLINK_METRICS)
                .as("Mappings/Metrics/Flink/%s", e.getKey()).contains(e.getValue().asText()));

        // name -> dimension names, from every alarm and every dashboard widget
        Map<String, List<String>> watched = new LinkedHashMap<>();
        int alarms = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = t.get("Resources").fields(); it.hasNext(); ) {
            JsonNode r = it.next().getValue();
            if (!"AWS::CloudWatch::Alarm".equals(r.path("Type").asText())) {
                continue;
            }
            alarms++;
            JsonNode p = r.get("Properties");
            List<JsonNode> metrics = new ArrayList<>();
            if (p.has("MetricName")) {
                metrics.add(p);
            }
            p.path("Metrics").forEach(m -> {
                if (m.has("MetricStat")) {
                    metrics.add(m.at("/MetricStat/Metric"));
                }
            });
            assertThat(metrics).as("alarm %s watches a metric", p.get("AlarmName")).isNotEmpty();
            for (JsonNode m : metrics) {
                assertThat(m.path("Namespace").asText()).isEqualTo("AWS/KinesisAnalytics");
                List<String> dims = new ArrayList<>();
                m.path("Dimensions").forEach(d -> dims.add(d.get("Name").asText()));
                watched.put(resolve(mappings, m.get("MetricName")), dims);
            }
        }
        assertThat(alarms).isEqualTo(6);
        JsonNode sub = t.at("/Resources/Dashboard/Properties/DashboardBody/Fn::Sub");
        String body = sub.get(0).asText();
        for (Iterator<Map.Entry<String, JsonNode>> it = sub.get(1).fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> var = it.next();
            body = body.replace("${" + var.getKey() + "}", var.getValue().has("Fn::FindInMap") ? resolve(mappings, var.getValue()) : "arn");
        }
        body = body.replace("${AWS::Region}", "eu-west-1").replace("${Application}", "app");
        for (JsonNode widget : YAML.readTree(body).get("widgets")) {
            String previous = null;
            for (JsonNode line : widget.at("/properties/metrics")) {
                String name = line.get(1).asText();
                assertThat(line.get(0).asText()).isIn("AWS/KinesisAnalytics", ".");
                List<String> dims = new ArrayList<>();
                for (int i = 2; i + 1 < line.size() && line.get(i).isTextual(); i += 2) {
                    dims.add(line.get(i).asText().equals(".") ? "Application" : line.get(i).asText());
                }
                watched.put(name, dims);
                previous = name;
            }
        }
        assertThat(watched).containsKeys(JobMetrics.ALERTS_UNDELIVERED, JobMetrics.DEAD_LETTERS, JobMetrics.ALERTS);
        watched.forEach((name, dims) -> {
            assertThat(dims).as("%s: dimensions", name).containsExactly("Application");
            if (name.startsWith("nagare")) {
                assertThat(JobMetrics.JOB_WIDE).as("%s is a job-wide metric the job registers (JobMetrics)", name).contains(name);
            } else {
                assertThat(MANAGED_FLINK_METRICS).as("%s is published by Managed Flink", name).contains(name);
            }
        });
    }

    private static String resolve(JsonNode mappings, JsonNode name) {
        if (name.isTextual()) {
            return name.asText();
        }
        JsonNode path = name.get("Fn::FindInMap");
        assertThat(path.get(0).asText()).isEqualTo("Metrics");
        JsonNode value = mappings.path(path.get(1).asText()).path(path.get(2).asText());
        assertThat(value.isTextual()).as("mapping %s", path).isTrue();
        return value.asText();
    }

    @Test
    void deployScriptDryRunPrintsTheAwsCommands() throws Exception {
        Process p = new ProcessBuilder("bash", "../conf/deploy.sh", "--dry-run", "--artifact-bucket", "b", "--region", "eu-west-1", "deploy")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(out).isZero();
        assertThat(out).contains("mvn -B -DskipTests package")
                .contains("s3 cp ").contains("nagare-job-")
                .contains("s3 sync ").contains("s3://b/nagare/rules/")
                .contains("cloudformation deploy --stack-name nagare")
                .contains("RulesPrefix=nagare/rules/")
                .contains("kinesisanalyticsv2 start-application --application-name nagare")
                .contains("RESTORE_FROM_LATEST_SNAPSHOT");
    }

    private static void collectStatements(JsonNode node, List<JsonNode> out) {
        if (node.isObject()) {
            if (node.has("Effect") && node.has("Action")) {
                out.add(node);
            }
            node.forEach(child -> collectStatements(child, out));
        } else if (node.isArray()) {
            node.forEach(child -> collectStatements(child, out));
        }
    }

    private static List<String> texts(JsonNode node) {
        List<String> out = new ArrayList<>();
        if (node == null) {
            return out;
        }
        if (node.isTextual()) {
            out.add(node.asText());
        } else if (node.isArray()) {
            node.forEach(n -> out.addAll(texts(n)));
        }
        return out;
    }

    /** Every literal string inside a Resource (Fn::Sub patterns included). */
    private static List<String> resourceTexts(JsonNode node) {
        List<String> out = new ArrayList<>();
        if (node == null) {
            return out;
        }
        if (node.isTextual()) {
            out.add(node.asText());
        } else {
            node.forEach(n -> out.addAll(resourceTexts(n)));
        }
        return out;
    }

    private static void checkRefs(String name, JsonNode node, Set<String> targets, Set<String> resources, Set<String> conditions, Set<String> subVars) {
        if (node.isArray()) {
            node.forEach(n -> checkRefs(name, n, targets, resources, conditions, subVars));
            return;
        }
        if (!node.isObject()) {
            return;
        }
        Iterator<String> fields = node.fieldNames();
        while (fields.hasNext()) {
            String f = fields.next();
            JsonNode v = node.get(f);
            switch (f) {
                case "Ref":
                    assertThat(targets).as("%s: Ref", name).contains(v.asText());
                    break;
                case "Fn::GetAtt":
                    assertThat(resources).as("%s: GetAtt", name).contains(v.get(0).asText());
                    break;
                case "Fn::If":
                    assertThat(conditions).as("%s: Fn::If", name).contains(v.get(0).asText());
                    break;
                case "Condition":
                    if (v.isTextual()) {
                        assertThat(conditions).as("%s: Condition", name).contains(v.asText());
                    }
                    break;
                case "Fn::Sub": {
                    String pattern = v.isArray() ? v.get(0).asText() : v.asText();
                    Set<String> vars = new TreeSet<>();
                    if (v.isArray()) {
                        v.get(1).fieldNames().forEachRemaining(vars::add);
                    }
                    Matcher m = Pattern.compile("\\$\\{([^!}][^}]*)}").matcher(pattern);
                    while (m.find()) {
                        String ref = m.group(1);
                        String base = ref.contains(".") && !ref.startsWith("AWS::") ? ref.substring(0, ref.indexOf('.')) : ref;
                        assertThat(vars.contains(ref) || targets.contains(base)).as("%s: ${%s} in Fn::Sub", name, ref).isTrue();
                    }
                    break;
                }
                default:
                    break;
            }
            checkRefs(name, v, targets, resources, conditions, subVars);
        }
    }
}
