package io.flux2.jobs.webhooks;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Decides whether a webhook may be sent to an address: never to loopback, private, link-local (and with
 * it the cloud metadata address 169.254.169.254), CGNAT, "this network", benchmark, reserved, multicast or
 * broadcast IPv4, nor to loopback, unspecified, link-local, site-local, unique-local (fd00:ec2::254 among
 * them) or multicast IPv6, nor to IPv6 forms that embed an IPv4 address (mapped, compatible, 6to4, NAT64)
 * of a refused one, unless the target's {@code host} or {@code host:port} is in the allowlist.
 */
public class SsrfGuard {

    private static final Pattern IPV4_LITERAL = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    private final Set<String> allowlist;

    public SsrfGuard(List<String> allowlist) {
        this.allowlist = allowlist.stream().map(entry -> entry.trim().toLowerCase(Locale.ROOT))
                .collect(Collectors.toUnmodifiableSet());
    }

    /** Whether a connection to this address is allowed (the allowlist aside). */
    public boolean allowed(InetAddress address) {
        if (address instanceof Inet4Address) {
            return allowedV4(address.getAddress());
        }
        if (address instanceof Inet6Address) {
            return allowedV6(address.getAddress());
        }
        return false;
    }

    /**
     * Checks a webhook target: http(s), a host, and every address the host resolves to allowed (or the
     * target allowlisted). Resolves the host, so it blocks: call it off the event loop.
     *
     * @return the addresses checked (all of them, for an allowlisted target)
     * @throws WebhookTargetRefused when the target may not be called
     */
    public List<InetAddress> check(URI uri) {
        String host = host(uri);
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(host);
        } catch (UnknownHostException e) {
            throw new WebhookTargetRefused("cannot resolve " + host, true);
        }
        if (!allowlisted(uri)) {
            for (InetAddress address : addresses) {
                if (!allowed(address)) {
                    throw new WebhookTargetRefused(host + " resolves to " + address.getHostAddress()
                            + ", a private, local or reserved address", false);
                }
            }
        }
        return Arrays.asList(addresses);
    }

    /**
     * Like {@link #check} but without resolving: refuses only what is visible in the URI itself (scheme, no
     * host, an IP literal that is not allowed). For validating a target when a job is created.
     */
    public void checkLiteral(URI uri) {
        String host = host(uri);
        if (allowlisted(uri) || !(IPV4_LITERAL.matcher(host).matches() || host.contains(":"))) {
            return;
        }
        try {
            InetAddress address = InetAddress.getByName(host);
            if (!allowed(address)) {
                throw new WebhookTargetRefused(host + " is a private, local or reserved address", false);
            }
        } catch (UnknownHostException e) {
            throw new WebhookTargetRefused("invalid address " + host, false);
        }
    }

    /** Whether the target's host or host:port is allowlisted (exempt from the address checks). */
    public boolean allowlisted(URI uri) {
        String host = host(uri).toLowerCase(Locale.ROOT);
        return allowlist.contains(host) || allowlist.contains(host + ":" + port(uri))
                || allowlist.contains("[" + host + "]:" + port(uri));
    }

    static int port(URI uri) {
        if (uri.getPort() >= 0) {
            return uri.getPort();
        }
        return "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    }

    private static String host(URI uri) {
        String scheme = uri.getScheme();
        if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))) {
            throw new WebhookTargetRefused("only http and https targets are allowed", false);
        }
        String host = uri.getHost();
        if (host == null || host.isBlank()) {
            throw new WebhookTargetRefused("the target has no host", false);
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return host;
    }

    private static boolean allowedV4(byte[] b) {
        int a0 = b[0] & 0xff;
        int a1 = b[1] & 0xff;
        int a2 = b[2] & 0xff;
        return !(a0 == 0                                   // 0.0.0.0/8 "this network"
                || a0 == 10                                // 10/8 private
                || a0 == 127                               // loopback
                || (a0 == 100 && (a1 & 0xc0) == 64)        // 100.64/10 CGNAT (100.100.100.200 metadata)
                || (a0 == 169 && a1 == 254)                // link-local, 169.254.169.254 metadata
                || (a0 == 172 && (a1 & 0xf0) == 16)        // 172.16/12 private
                || (a0 == 192 && a1 == 0 && a2 == 0)       // 192.0.0/24 IETF (192.0.0.192 metadata)
                || (a0 == 192 && a1 == 0 && a2 == 2)       // TEST-NET-1
                || (a0 == 192 && a1 == 168)                // 192.168/16 private
                || (a0 == 198 && (a1 & 0xfe) == 18)        // 198.18/15 benchmarking
                || (a0 == 198 && a1 == 51 && a2 == 100)    // TEST-NET-2
                || (a0 == 203 && a1 == 0 && a2 == 113)     // TEST-NET-3
                || a0 >= 224);                             // multicast, reserved, broadcast
    }

    private static boolean allowedV6(byte[] b) {
        boolean firstTenZero = true;
        for (int i = 0; i < 10; i++) {
            firstTenZero &= b[i] == 0;
        }
        // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible; also :: and ::1)
        if (firstTenZero && ((b[10] == (byte) 0xff && b[11] == (byte) 0xff) || (b[10] == 0 && b[11] == 0))) {
            boolean allZeroButLast = true;
            for (int i = 10; i < 15; i++) {
                allZeroButLast &= b[i] == 0;
            }
            if (allZeroButLast && (b[15] == 0 || b[15] == 1)) {
                return false;                                            // :: and ::1
            }
            return allowedV4(Arrays.copyOfRange(b, 12, 16));
        }
        int first = b[0] & 0xff;
        int second = b[1] & 0xff;
        if ((first & 0xfe) == 0xfc) {                                    // fc00::/7 unique-local
            return false;
        }
        if (first == 0xfe && (second & 0xc0) == 0x80) {                  // fe80::/10 link-local
            return false;
        }
        if (first == 0xfe && (second & 0xc0) == 0xc0) {                  // fec0::/10 site-local (deprecated)
            return false;
        }
        if (first == 0xff) {                                             // multicast
            return false;
        }
        if (first == 0x20 && second == 0x02) {                           // 2002::/16 6to4 embeds an IPv4
            return allowedV4(Arrays.copyOfRange(b, 2, 6));
        }
        if (first == 0x00 && second == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b) {
            return allowedV4(Arrays.copyOfRange(b, 12, 16));             // 64:ff9b::/96 NAT64
        }
        if (first == 0x20 && second == 0x01 && b[2] == 0x0d && (b[3] & 0xff) == 0xb8) {
            return false;                                                // 2001:db8::/32 documentation
        }
        return true;
    }
}
