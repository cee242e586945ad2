package io.flux2.jobs.webhooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.util.concurrent.ImmediateEventExecutor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The guard's decisions on literal addresses; nothing here connects anywhere. */
class SsrfGuardTest {

    private final SsrfGuard guard = new SsrfGuard(List.of("127.0.0.1:9999", "hooks.internal"));

    @Test
    void refusesLocalPrivateAndReservedAddresses() throws Exception {
        for (String address : List.of("127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.1", "172.31.255.255",
                "192.168.1.1", "169.254.169.254", "169.254.0.1", "100.64.0.1", "100.127.255.255",
                "100.100.100.200", "0.0.0.0", "0.1.2.3", "224.0.0.1", "239.255.255.250", "255.255.255.255",
                "192.0.0.192", "198.18.0.1", "::1", "::", "fe80::1", "fc00::1", "fd00:ec2::254", "ff02::1",
                "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::127.0.0.1", "2002:7f00:1::",
                "64:ff9b::a00:1", "fec0::1")) {
            assertThat(guard.allowed(InetAddress.getByName(address))).as(address).isFalse();
        }
    }

    @Test
    void allowsPublicAddresses() throws Exception {
        for (String address : List.of("93.184.216.34", "8.8.8.8", "172.15.255.255", "172.32.0.1", "100.63.255.255",
                "100.128.0.1", "169.253.1.1", "2606:4700::1111", "::ffff:8.8.8.8", "2002:808:808::",
                "64:ff9b::808:808")) {
            assertThat(guard.allowed(InetAddress.getByName(address))).as(address).isTrue();
        }
    }

    @Test
    void checksTheUriAndHonoursTheAllowlistByHostAndPort() {
        assertThatThrownBy(() -> guard.check(URI.create("http://127.0.0.1:8080/x")))
                .isInstanceOf(WebhookTargetRefused.class);
        assertThat(guard.check(URI.create("http://127.0.0.1:9999/x"))).isNotEmpty();
        assertThatThrownBy(() -> guard.check(URI.create("http://[::ffff:10.0.0.1]/x")))
                .isInstanceOf(WebhookTargetRefused.class);
        assertThatThrownBy(() -> guard.check(URI.create("http://localhost:9999/x")))
                .isInstanceOf(WebhookTargetRefused.class);
        assertThatThrownBy(() -> guard.check(URI.create("file:///etc/passwd")))
                .isInstanceOf(WebhookTargetRefused.class);
        assertThatThrownBy(() -> guard.checkLiteral(URI.create("https://192.168.0.10/x")))
                .isInstanceOf(WebhookTargetRefused.class);
        guard.checkLiteral(URI.create("https://example.com/x"));
        guard.checkLiteral(URI.create("https://93.184.216.34/x"));
        assertThat(guard.allowlisted(URI.create("https://hooks.internal/x"))).isTrue();
        assertThat(guard.allowlisted(URI.create("https://hooks.internal:8443/x"))).isTrue();
        assertThat(guard.allowlisted(URI.create("http://127.0.0.1:9998/x"))).isFalse();
    }

    /** The resolver the client connects with refuses a name that resolves to a refused address. */
    @Test
    void connectionResolverRefusesLocalNames() {
        var resolver = new GuardedResolverGroup(guard).getResolver(ImmediateEventExecutor.INSTANCE);
        var resolved = resolver.resolve(InetSocketAddress.createUnresolved("localhost", 80)).awaitUninterruptibly();
        assertThat(resolved.isSuccess()).isFalse();
        assertThat(resolved.cause()).isInstanceOf(WebhookTargetRefused.class);
    }

    @Test
    void signsLikeTheStandardWebhooksReference() {
        // The example of the Standard Webhooks specification (svix test vector).
        String signature = WebhookSigner.sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330, "{\"test\": 2432232314}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(signature).isEqualTo("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }
}
