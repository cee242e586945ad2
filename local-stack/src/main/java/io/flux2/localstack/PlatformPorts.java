package io.flux2.localstack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Where each part of the local platform listens. */
public record PlatformPorts(int postgres, int s3, int gateway, int jobs, int inference, int assets, int safety) {

    /** The documented fixed ports of the local platform. */
    public static PlatformPorts fixed() {
        return new PlatformPorts(15432, 19000, 8080, 8081, 8082, 8083, 8084);
    }

    /** Free loopback ports, for tests that must not collide with a running platform. */
    public static PlatformPorts free() {
        return new PlatformPorts(freePort(), freePort(), freePort(), freePort(), freePort(), freePort(), freePort());
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
