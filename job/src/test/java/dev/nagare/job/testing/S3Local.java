package dev.nagare.job.testing;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.plugin.PluginUtils;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;


/**
 * S3Proxy (in-memory backend) as a separate JVM on 127.0.0.1 — inside Flink's JVM its libraries
 * would clash — and Flink's {@code s3://} file system (the flink-s3-fs-hadoop plugin from
 * {@code target/plugins}) pointed at it. The classpath comes from the build
 * ({@code target/s3proxy.classpath}).
 */
public final class S3Local implements AutoCloseable {
    private final Process process;
    private final int port;

    public S3Local() throws Exception {
        Path classpath = Path.of("target/s3proxy.classpath");
        if (!Files.exists(classpath)) {
            throw new IllegalStateException("target/s3proxy.classpath is missing: run the build (mvn verify) first");
        }
        port = freePort();
        Path properties = Files.createTempFile("s3proxy", ".properties");
        Files.writeString(properties, String.join("\n",
                "s3proxy.endpoint=http://127.0.0.1:" + port,
                "s3proxy.authorization=none",
                "jclouds.provider=transient",
                "jclouds.identity=local",
                "jclouds.credential=local"));
        process = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Dlogback.configurationFile=" + Path.of("src/test/resources/s3proxy/logback.xml").toAbsolutePath(),
                        "-cp", Files.readString(classpath).trim(),
                        "org.gaul.s3proxy.Main", "--properties", properties.toString())
                .redirectErrorStream(true)
                .redirectOutput(Path.of("target/s3proxy.log").toFile())
                .start();
        long deadline = System.currentTimeMillis() + 60_000;
        while (true) {
            try (Socket ignored = new Socket(InetAddress.getLoopbackAddress(), port)) {
                break;
            } catch (IOException e) {
                if (System.currentTimeMillis() > deadline || !process.isAlive()) {
                    throw new IllegalStateException("S3Proxy did not start; see target/s3proxy.log", e);
                }
                Thread.sleep(100);
            }
        }
    }

    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    /** The settings flink-s3-fs-hadoop needs for this endpoint. */
    public Configuration flinkConfiguration() {
        Configuration conf = new Configuration();
        conf.setString("s3.endpoint", endpoint());
        conf.setString("s3.path.style.access", "true");
        conf.setString("s3.access-key", "local");
        conf.setString("s3.secret-key", "local");
        conf.setString("s3.connection.ssl.enabled", "false");
        return conf;
    }

    /** Loads the s3 file system plugin with this endpoint into this JVM. */
    public void initializeFileSystems(Configuration conf) {
        FileSystem.initialize(conf, PluginUtils.createPluginManagerFromRootFolder(conf));
    }

    public void createBucket(String bucket) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(endpoint() + "/" + bucket)).PUT(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
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

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }

}
