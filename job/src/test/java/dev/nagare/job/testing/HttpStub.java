package dev.nagare.job.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * A real HTTP server on 127.0.0.1 that plays a webhook or the Lambda Invoke API: it records every
 * request and answers with whatever the test's responder says.
 */
public final class HttpStub implements AutoCloseable {

    /** One received request. */
    public static final class Request {
        public final String method;
        public final String path;
        public final Map<String, List<String>> headers;
        public final String body;
        public final long receivedAtMillis;
        /** The status this request was answered with. */
        public volatile int status;

        Request(String method, String path, Map<String, List<String>> headers, String body) {
            this.method = method;
            this.path = path;
            this.headers = headers;
            this.body = body;
            this.receivedAtMillis = System.currentTimeMillis();
        }

        public String header(String name) {
            for (Map.Entry<String, List<String>> h : headers.entrySet()) {
                if (h.getKey().equalsIgnoreCase(name)) {
                    return h.getValue().get(0);
                }
            }
            return null;
        }
    }

    /** A response: status and headers. */
    public static final class Response {
        final int status;
        final Map<String, String> headers;

        public Response(int status, Map<String, String> headers) {
            this.status = status;
            this.headers = headers;
        }

        public static Response of(int status) {
            return new Response(status, Map.of());
        }
    }

    private final HttpServer server;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private volatile Function<Request, Response> responder = r -> Response.of(200);
    private volatile Function<Request, String> bodies = r -> "{}";

    public HttpStub() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.createContext("/", this::handle);
        server.start();
    }

    public void respondWith(Function<Request, Response> responder) {
        this.responder = responder;
    }

    /** Answers 200 with the given JSON body. */
    public void respondWithBody(Function<Request, String> body) {
        this.bodies = body;
        this.responder = r -> Response.of(200);
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public List<Request> requests() {
        return new ArrayList<>(requests);
    }

    private void handle(HttpExchange exchange) throws IOException {
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        Request request = new Request(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
                Map.copyOf(exchange.getRequestHeaders()), body);
        Response response = responder.apply(request);
        request.status = response.status;
        requests.add(request);
        response.headers.forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
        byte[] out = bodies.apply(request).getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(response.status, out.length);
        try (OutputStream os = exchange.getResponseBody()) {
            os.write(out);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
