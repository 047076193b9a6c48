package dev.nagare.tools.local;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.plugin.PluginUtils;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;

/**
 * S3Proxy (an S3 API server, in-memory backend) as a separate JVM on 127.0.0.1 — inside Flink's
 * JVM its libraries would clash — for the tests and the local run with stand-ins. The build
 * resolves its classpath into {@code <tools>/s3proxy.classpath}; Flink reaches it through its
 * {@code s3://} file system (the flink-s3-fs-hadoop plugin the build copies to
 * {@code <tools>/plugins}).
 */
public final class S3Local implements AutoCloseable {
    /** S3Proxy runs without authentication; the S3 client still signs requests with something. */
    public static final String ACCESS_KEY = "local";
    public static final String SECRET_KEY = "local";

    private final Process process;
    private final int port;

    private S3Local(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /** Starts S3Proxy on a free port. */
    public static S3Local start(Path tools) throws Exception {
        return start(tools, Ports.free());
    }

    public static S3Local start(Path tools, int port) throws Exception {
        Path classpath = tools.resolve("s3proxy.classpath");
        if (!Files.exists(classpath)) {
            throw new IllegalStateException(classpath.toAbsolutePath()
                    + " is missing: the build resolves it (mvn verify, or mvn -Prun-standins package)");
        }
        Ports.requireFree(port, "S3Proxy");
        Path properties = tools.resolve("s3proxy.properties");
        Files.writeString(properties, String.join("\n",
                "s3proxy.endpoint=http://127.0.0.1:" + port,
                "s3proxy.authorization=none",
                "jclouds.provider=transient",
                "jclouds.identity=" + ACCESS_KEY,
                "jclouds.credential=" + SECRET_KEY));
        Path logback = tools.resolve("s3proxy-logback.xml");
        try (InputStream in = S3Local.class.getResourceAsStream("/nagare/local/s3proxy-logback.xml")) {
            Files.copy(in, logback, StandardCopyOption.REPLACE_EXISTING);
        }
        Path log = tools.resolve("s3proxy.log");
        Process process = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Xmx256m",
                        "-Dlogback.configurationFile=" + logback.toAbsolutePath(),
                        "-cp", Files.readString(classpath).trim(),
                        "org.gaul.s3proxy.Main", "--properties", properties.toAbsolutePath().toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        try {
            Ports.await(port, process, Duration.ofSeconds(60), "S3Proxy (log: " + log.toAbsolutePath() + ")");
        } catch (Exception e) {
            process.destroyForcibly();
            throw e;
        }
        return new S3Local(process, port);
    }

    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    /** The settings flink-s3-fs-hadoop needs for this endpoint. */
    public Configuration flinkConfiguration() {
        return flinkConfiguration(endpoint(), ACCESS_KEY, SECRET_KEY);
    }

    /** The settings flink-s3-fs-hadoop needs for an S3-compatible endpoint: path-style access, plain HTTP if the URL says so. */
    public static Configuration flinkConfiguration(String endpoint, String accessKey, String secretKey) {
        Configuration conf = new Configuration();
        conf.setString("s3.endpoint", endpoint);
        conf.setString("s3.path.style.access", "true");
        if (accessKey != null) {
            conf.setString("s3.access-key", accessKey);
            conf.setString("s3.secret-key", secretKey);
        }
        conf.setString("s3.connection.ssl.enabled", Boolean.toString(endpoint.startsWith("https:")));
        return conf;
    }

    /** Loads the file system plugins (from {@code FLINK_PLUGINS_DIR}) with these settings into this JVM. */
    public static void initializeFileSystems(Configuration conf) {
        FileSystem.initialize(conf, PluginUtils.createPluginManagerFromRootFolder(conf));
    }

    /** Creates a bucket; one that exists already is fine. */
    public void createBucket(String bucket) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(endpoint() + "/" + bucket)).PUT(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200 && !response.body().contains("BucketAlreadyOwnedByYou")) {
            throw new IllegalStateException("cannot create bucket " + bucket + ": HTTP " + response.statusCode());
        }
    }

    /**
     * Copies every object under an {@code s3://} prefix to a local folder, keeping the key layout,
     * skipping hidden in-progress files and S3Proxy's internal multipart keys.
     */
    public static long download(String prefix, Path target) throws IOException {
        org.apache.flink.core.fs.Path root = new org.apache.flink.core.fs.Path(prefix);
        try {
            return copy(root.getFileSystem(), root, target);
        } catch (java.io.FileNotFoundException e) {
            return 0; // nothing committed under the prefix yet
        }
    }

    private static long copy(FileSystem fs, org.apache.flink.core.fs.Path dir, Path target) throws IOException {
        FileStatus[] statuses = fs.listStatus(dir);
        long files = 0;
        if (statuses == null) {
            return 0;
        }
        for (FileStatus status : statuses) {
            String name = status.getPath().getName();
            if (name.startsWith(".") || name.startsWith(".mpus")) {
                continue;
            }
            if (status.isDir()) {
                files += copy(fs, status.getPath(), target.resolve(name));
            } else {
                Files.createDirectories(target);
                try (InputStream in = fs.open(status.getPath())) {
                    Files.copy(in, target.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                }
                files++;
            }
        }
        return files;
    }

    @Override
    public void close() throws Exception {
        Ports.stop(process);
    }
}
