package io.flux2.common.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The guard's decisions. Addresses are built from literal bytes ({@link InetAddress#getByAddress}), so no
 * test here does a DNS lookup or opens a connection; the resolver of the guard under test fails the test if
 * it is ever asked.
 */
class SsrfGuardTest {

    private static final SsrfGuard.Resolver NO_DNS = host -> {
        throw new AssertionError("DNS lookup attempted for " + host);
    };
    private final SsrfGuard guard = new SsrfGuard(List.of(), NO_DNS);

    private static InetAddress v4(int a, int b, int c, int d) throws UnknownHostException {
        return InetAddress.getByAddress(new byte[] {(byte) a, (byte) b, (byte) c, (byte) d});
    }

    private static InetAddress v6(int... bytes) throws UnknownHostException {
        byte[] raw = new byte[16];
        for (int i = 0; i < 16; i++) {
            raw[i] = (byte) bytes[i];
        }
        // getByAddress turns a mapped address into an Inet4Address; Inet6Address.getByAddress keeps it IPv6.
        return java.net.Inet6Address.getByAddress(null, raw, -1);
    }

    @Test
    void refusesEveryNonPublicIpv4Range() throws Exception {
        assertRefused(v4(127, 0, 0, 1), "loopback");
        assertRefused(v4(127, 1, 2, 3), "loopback");
        assertRefused(v4(10, 0, 0, 1), "private");
        assertRefused(v4(172, 16, 0, 1), "private");
        assertRefused(v4(172, 31, 255, 254), "private");
        assertRefused(v4(192, 168, 1, 1), "private");
        assertRefused(v4(169, 254, 169, 254), "cloud metadata");
        assertRefused(v4(169, 254, 1, 1), "link-local");
        assertRefused(v4(100, 64, 0, 1), "carrier-grade");
        assertRefused(v4(100, 100, 100, 200), "cloud metadata");
        assertRefused(v4(0, 0, 0, 0), "unspecified");
        assertRefused(v4(224, 0, 0, 1), "multicast");
        assertRefused(v4(239, 255, 255, 250), "multicast");
        assertRefused(v4(255, 255, 255, 255), "broadcast");
        assertRefused(v4(240, 0, 0, 1), "reserved");
        assertRefused(v4(198, 18, 0, 1), "benchmarking");
    }

    @Test
    void refusesIpv6LoopbackPrivateAndHiddenIpv4() throws Exception {
        assertRefused(v6(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), "loopback");
        assertRefused(v6(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), "unspecified");
        // ::ffff:127.0.0.1 and ::ffff:10.0.0.1 (IPv4-mapped), kept as Inet6Address.
        assertRefused(v6(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1), "loopback");
        assertRefused(v6(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1), "private");
        assertRefused(v6(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 169, 254, 169, 254), "cloud metadata");
        // ::127.0.0.1 (IPv4-compatible), 64:ff9b::7f00:1 (NAT64), 2002:7f00:1:: (6to4).
        assertRefused(v6(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 127, 0, 0, 1), "loopback");
        assertRefused(v6(0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, 127, 0, 0, 1), "loopback");
        assertRefused(v6(0x20, 0x02, 192, 168, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), "private");
        assertRefused(v6(0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), "link-local");
        assertRefused(v6(0xfc, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), "unique-local");
        // fd00:ec2::254, AWS's metadata service over IPv6.
        assertRefused(v6(0xfd, 0, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54), "unique-local");
        assertRefused(v6(0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), "multicast");
    }

    @Test
    void allowsPublicAddresses() throws Exception {
        assertThat(SsrfGuard.forbiddenReason(v4(93, 184, 215, 14))).isEmpty();
        assertThat(SsrfGuard.forbiddenReason(v4(8, 8, 8, 8))).isEmpty();
        assertThat(SsrfGuard.forbiddenReason(v4(172, 32, 0, 1))).isEmpty();
        assertThat(SsrfGuard.forbiddenReason(v4(100, 128, 0, 1))).isEmpty();
        assertThat(SsrfGuard.forbiddenReason(v6(0x26, 0x06, 0x28, 0, 0x02, 0x20, 0, 1, 0x02, 0x48, 0x18, 0x93,
                0x25, 0xc8, 0x19, 0x46))).isEmpty();
    }

    /** Hosts as a URL spells them: literals and numeric spellings are read, never looked up. */
    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "[::1]", "10.0.0.1", "172.16.0.1", "192.168.1.1", "169.254.169.254",
            "100.64.0.1", "0.0.0.0", "0", "224.0.0.1", "[ff02::1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]",
            "[::ffff:169.254.169.254]", "2130706433", "0x7f000001", "0x7F.0.0.1", "0177.0.0.1", "0177.1", "127.1",
            "017700000001", "3232235777", "0xa9fea9fe", "[0:0:0:0:0:0:0:1]", "[fe80::1%25eth0]", "127.0.0.1.",
            "999.1.1.1", "1.2.3.4.5", "08.8.8.8"})
    void refusesInternalHostSpellingsWithoutDns(String host) {
        URI url = URI.create("http://" + host + ":8080/image.png");
        String parsed = guard.checkUrl(url);
        assertThatThrownBy(() -> guard.resolve(parsed)).isInstanceOf(SsrfGuard.Refused.class);
    }

    /**
     * Spellings whose reading differs between clients: C's inet_aton reads 010.0.0.1 as octal (8.0.0.1, public)
     * while Netty and the JDK connect to 10.0.0.1. Refused before any reading of them is trusted, even when the
     * number they spell is public.
     */
    @ParameterizedTest
    @ValueSource(strings = {"010.0.0.1", "010.000.000.001", "172.017.0.1", "172.016.5.5", "100.064.0.1",
            "0100.0.0.1", "134744072", "8.8.2056", "0x08.0x08.0x08.0x08"})
    void refusesIpv4SpellingsClientsReadDifferently(String host) {
        URI url = URI.create("https://" + host + "/hook");
        assertThatThrownBy(() -> guard.checkWithoutResolving(url)).isInstanceOf(SsrfGuard.Refused.class)
                .hasMessageContaining("four decimal numbers");
        assertThatThrownBy(() -> guard.resolve(guard.checkUrl(url))).isInstanceOf(SsrfGuard.Refused.class);
    }

    @Test
    void plainDottedDecimalPublicAddressesPass() throws Exception {
        guard.checkWithoutResolving(URI.create("https://8.8.8.8/hook"));
        guard.checkWithoutResolving(URI.create("https://93.184.215.14:8443/hook"));
        assertThat(guard.resolve("100.128.0.1")).containsExactly(v4(100, 128, 0, 1));
    }

    @ParameterizedTest
    @ValueSource(strings = {"localhost", "LOCALHOST", "metadata.google.internal", "foo.localhost", "db.internal"})
    void refusesInternalNamesWithoutDns(String host) {
        assertThatThrownBy(() -> guard.resolve(host)).isInstanceOf(SsrfGuard.Refused.class)
                .hasMessageContaining("internal");
    }

    @ParameterizedTest
    @ValueSource(strings = {"file:///etc/passwd", "ftp://example.com/a.png", "gopher://127.0.0.1/", "jar:file:/x!/y",
            "http://user:pw@example.com/a.png", "http:///nohost"})
    void refusesOtherSchemesUserInfoAndMissingHosts(String url) {
        assertThatThrownBy(() -> guard.checkUrl(URI.create(url))).isInstanceOf(SsrfGuard.Refused.class);
    }

    @Test
    void resolvedNamesAreCheckedAddressByAddress() throws Exception {
        // A name whose answers mix a public and a private address (DNS rebinding) is refused as a whole.
        InetAddress publicOne = v4(93, 184, 215, 14);
        InetAddress privateOne = v4(10, 1, 2, 3);
        SsrfGuard mixed = new SsrfGuard(List.of(), host -> new InetAddress[] {publicOne, privateOne});
        assertThatThrownBy(() -> mixed.resolve("images.example.com")).isInstanceOf(SsrfGuard.Refused.class)
                .hasMessageContaining("private");
        // The answers of a public name are what the fetcher connects to (pinned).
        SsrfGuard fine = new SsrfGuard(List.of(), host -> new InetAddress[] {publicOne});
        assertThat(fine.resolve("images.example.com")).containsExactly(publicOne);
        SsrfGuard unresolvable = new SsrfGuard(List.of(), host -> {
            throw new UnknownHostException(host);
        });
        assertThatThrownBy(() -> unresolvable.resolve("nowhere.example")).isInstanceOf(SsrfGuard.Refused.class);
    }

    @Test
    void allowlistExemptsOnlyTheNamedHost() throws Exception {
        SsrfGuard allowing = new SsrfGuard(List.of("127.0.0.1"), NO_DNS);
        assertThat(allowing.resolve("127.0.0.1")).containsExactly(v4(127, 0, 0, 1));
        assertThatThrownBy(() -> allowing.resolve("127.0.0.2")).isInstanceOf(SsrfGuard.Refused.class);
        assertThatThrownBy(() -> allowing.resolve("2130706433")).isInstanceOf(SsrfGuard.Refused.class);
        assertThatThrownBy(() -> allowing.resolve("::1")).isInstanceOf(SsrfGuard.Refused.class);
        assertThatThrownBy(() -> allowing.resolve("10.0.0.1")).isInstanceOf(SsrfGuard.Refused.class);
        allowing.checkConnected("127.0.0.1", v4(127, 0, 0, 1));
        assertThatThrownBy(() -> allowing.checkConnected("example.com", v4(127, 0, 0, 1)))
                .isInstanceOf(SsrfGuard.Refused.class);
    }

    @Test
    void numericSpellingsReadAsInetAtonDoes() throws Exception {
        assertThat(SsrfGuard.numericAddress("2130706433")).contains(v4(127, 0, 0, 1));
        assertThat(SsrfGuard.numericAddress("0x7f000001")).contains(v4(127, 0, 0, 1));
        assertThat(SsrfGuard.numericAddress("0177.0.0.1")).contains(v4(127, 0, 0, 1));
        assertThat(SsrfGuard.numericAddress("127.1")).contains(v4(127, 0, 0, 1));
        assertThat(SsrfGuard.numericAddress("10.1.258")).contains(v4(10, 1, 1, 2));
        assertThat(SsrfGuard.numericAddress("example.com")).isEmpty();
    }

    private static void assertRefused(InetAddress address, String reason) {
        assertThat(SsrfGuard.forbiddenReason(address)).as(address.toString()).hasValueSatisfying(
                r -> assertThat(r).contains(reason));
    }
}
