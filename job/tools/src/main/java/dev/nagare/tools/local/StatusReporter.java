package dev.nagare.tools.local;

import dev.nagare.job.metrics.JobMetrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nagare.job.lake.Lake;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The status line of a local run. It reads the job's own metrics through the Flink REST API (the
 * same numbers the web UI shows) and counts the committed files in the lake (a folder or an {@code s3://} prefix).
 */
public final class StatusReporter {
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * Metric id suffixes: job-wide ids end with {@code kinesisanalytics.<name>}; the per-log-type
     * ones end with {@code log_type.<type>.<name>} and so are not matched.
     */
    private static final List<String> METRICS = Stream.of(JobMetrics.RECORDS, JobMetrics.EVENTS, JobMetrics.DEAD_LETTERS, JobMetrics.ALERTS, JobMetrics.LATE_EVENTS)
            .map(name -> JobMetrics.GROUP + "." + name).collect(Collectors.toList());

    private static final long RATE_WINDOW_NANOS = 15_000_000_000L;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final String restUrl;
    private final String jobId;
    private final String lake;
    private final Supplier<String> extra;
    private final long startNanos = System.nanoTime();
    /** Recent (time, events) samples: REST metrics lag by a fetch, so the rate is taken over ~15 s. */
    private final ArrayDeque<long[]> samples = new ArrayDeque<>();

    /**
     * @param lake the lake's root folder or file system URI
     * @param extra more to say at the end of each line (the stand-ins' counts), or null
     */
    public StatusReporter(String restUrl, String jobId, String lake, Supplier<String> extra) {
        this.restUrl = restUrl;
        this.jobId = jobId;
        this.lake = lake;
        this.extra = extra;
    }

    /** One line: state, events and rate, records, alerts, dead letters, committed lake files. */
    public String statusLine() {
        String state;
        Map<String, Long> totals;
        try {
            JsonNode job = get("/jobs/" + jobId);
            state = job.path("state").asText("?");
            totals = totals(job);
        } catch (IOException e) {
            state = "STARTING";
            totals = Map.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
        long now = System.nanoTime();
        long events = totals.getOrDefault(JobMetrics.GROUP + "." + JobMetrics.EVENTS, 0L);
        samples.addLast(new long[] {now, events});
        while (samples.size() > 2 && now - samples.peekFirst()[0] > RATE_WINDOW_NANOS) {
            samples.removeFirst();
        }
        long[] oldest = samples.peekFirst();
        double rate = now == oldest[0] ? 0 : (events - oldest[1]) / ((now - oldest[0]) / 1e9);
        long seconds = (now - startNanos) / 1_000_000_000L;
        String line = String.format(
                "[%02d:%02d:%02d] %-9s events %,d (%.1f/s)  records %,d  alerts %,d  dead letters %,d  late %,d  lake files %,d",
                seconds / 3600, (seconds / 60) % 60, seconds % 60, state, events, rate,
                totals.getOrDefault(JobMetrics.GROUP + "." + JobMetrics.RECORDS, 0L), totals.getOrDefault(JobMetrics.GROUP + "." + JobMetrics.ALERTS, 0L),
                totals.getOrDefault(JobMetrics.GROUP + "." + JobMetrics.DEAD_LETTERS, 0L), totals.getOrDefault(JobMetrics.GROUP + "." + JobMetrics.LATE_EVENTS, 0L),
                Lake.committedFiles(lake));
        return extra == null ? line : line + "  " + extra.get();
    }

    /** Sums each metric over all subtasks of all vertices. */
    private Map<String, Long> totals(JsonNode job) throws IOException, InterruptedException {
        Map<String, Long> totals = new LinkedHashMap<>();
        for (JsonNode vertex : job.path("vertices")) {
            String base = "/jobs/" + jobId + "/vertices/" + vertex.path("id").asText() + "/subtasks/metrics";
            List<String> ids = new ArrayList<>();
            for (JsonNode metric : get(base)) {
                String id = metric.path("id").asText();
                if (METRICS.stream().anyMatch(id::endsWith)) {
                    ids.add(id);
                }
            }
            if (ids.isEmpty()) {
                continue;
            }
            for (JsonNode metric : get(base + "?agg=sum&get=" + String.join(",", ids))) {
                String id = metric.path("id").asText();
                String name = METRICS.stream().filter(id::endsWith).findFirst().orElse(id);
                totals.merge(name, (long) metric.path("sum").asDouble(), Long::sum);
            }
        }
        return totals;
    }

    private JsonNode get(String path) throws IOException, InterruptedException {
        HttpResponse<byte[]> response = http.send(
                HttpRequest.newBuilder(URI.create(restUrl + path)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() != 200) {
            throw new IOException("HTTP " + response.statusCode() + " for " + path);
        }
        return JSON.readTree(response.body());
    }
}
