package dev.nagare.tools.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The alert endpoint of a local run with stand-ins: an HTTP server on 127.0.0.1 that takes what
 * the job's webhook sender POSTs (Slack or plain JSON bodies), answers 200 and prints one line per
 * alert, so a local run shows alerts arriving the way a Slack channel would get them.
 */
public final class AlertEndpoint implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final PrintStream out;
    private final List<String> received = new CopyOnWriteArrayList<>();

    private AlertEndpoint(HttpServer server, PrintStream out) {
        this.server = server;
        this.out = out;
    }

    public static AlertEndpoint start(int port, PrintStream out) throws IOException {
        Ports.requireFree(port, "the alert endpoint");
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        AlertEndpoint endpoint = new AlertEndpoint(server, out);
        server.createContext("/", endpoint::handle);
        server.start();
        return endpoint;
    }

    /** The bodies received so far, in arrival order. */
    public List<String> received() {
        return List.copyOf(received);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try {
            if (!"POST".equals(exchange.getRequestMethod())) {
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            received.add(body);
            out.println("webhook <- " + describe(body));
            byte[] ok = "ok".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, ok.length);
            try (OutputStream os = exchange.getResponseBody()) {
                os.write(ok);
            }
        } finally {
            exchange.close();
        }
    }

    /** One line for a body: Slack's {@code text}, or rule, group and summary of a plain alert. */
    static String describe(String body) {
        try {
            JsonNode json = JSON.readTree(body);
            if (json.hasNonNull("text")) {
                return json.get("text").asText();
            }
            if (json.hasNonNull("rule_id")) {
                return "[" + json.path("severity").asText().toUpperCase() + "] " + json.get("rule_id").asText()
                        + " [" + json.path("group_key").asText() + "]: " + json.path("summary").asText();
            }
        } catch (IOException e) {
            // not JSON: shown as it came, cut short below
        }
        return body.length() > 200 ? body.substring(0, 200) + "..." : body;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
