package dev.nagare.tools.local;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Loopback ports and child processes of the local stand-ins. */
public final class Ports {
    private Ports() {}

    /** A port nobody listens on at the moment, on 127.0.0.1. */
    public static int free() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** Fails with a message naming the stand-in when something already listens on the port. */
    public static void requireFree(int port, String what) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + what + ": port " + port
                    + " on 127.0.0.1 is in use (another run still going?)", e);
        }
    }

    /** Waits until the process listens on the port; fails early when the process dies. */
    public static void await(int port, Process process, Duration timeout, String what) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try (Socket ignored = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return;
            } catch (IOException e) {
                if (!process.isAlive()) {
                    throw new IllegalStateException(what + " exited with code " + process.exitValue() + " before listening on " + port, e);
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(what + " did not listen on " + port + " within " + timeout.toSeconds() + " s", e);
                }
                Thread.sleep(100); // poll: a child process gives no other signal that it is ready
            }
        }
    }

    /** Stops a child process: politely, then by force. */
    public static void stop(Process process) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
