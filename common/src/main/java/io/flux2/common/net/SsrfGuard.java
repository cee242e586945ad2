package io.flux2.common.net;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Decides whether this service may connect to an address on a caller's behalf (server-side request
 * forgery). Only http and https; the host is resolved here and every address it resolves to must be a
 * public unicast address: not loopback, unspecified, private, carrier-grade NAT, link-local, unique-local,
 * multicast, broadcast, reserved or a cloud metadata address, also when an IPv4 address hides inside an
 * IPv6 one (mapped, compatible, NAT64, 6to4). Hosts written as numbers in the other ways C's
 * {@code inet_aton} accepts ({@code 2130706433}, {@code 0x7f.1}, {@code 0177.0.0.1}) are never looked up and
 * are refused: only four plain decimal numbers name an IPv4 address. The fetcher connects only to the addresses this guard returned (pinning), so a second DNS
 * answer cannot swap in an internal address.
 */
public final class SsrfGuard {

    private static final Set<String> SCHEMES = Set.of("http", "https");
    private static final Set<String> METADATA_HOSTS = Set.of("metadata.google.internal", "metadata",
            "instance-data", "instance-data.ec2.internal", "metadata.azure.internal");
    private static final Pattern NUMERIC_HOST = Pattern.compile("[0-9a-fA-FxX.]+");
    private static final Pattern HAS_DIGIT_START = Pattern.compile("^(0[xX][0-9a-fA-F]*|[0-9]+)(\\..*)?$");
    private static final Pattern DOTTED_DECIMAL =
            Pattern.compile("((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])");

    private final Set<String> allowedHosts;
    private final Resolver resolver;

    /** How a host name becomes addresses; {@link InetAddress#getAllByName} outside tests. */
    @FunctionalInterface
    public interface Resolver {
        InetAddress[] resolve(String host) throws UnknownHostException;
    }

    public SsrfGuard(Collection<String> allowedHosts) {
        this(allowedHosts, InetAddress::getAllByName);
    }

    public SsrfGuard(Collection<String> allowedHosts, Resolver resolver) {
        this.allowedHosts = allowedHosts.stream().map(SsrfGuard::bareHost).collect(Collectors.toUnmodifiableSet());
        this.resolver = resolver;
    }

    /** A refusal: the caller's URL names something this service will not fetch. */
    public static final class Refused extends RuntimeException {
        private final boolean mayPassLater;

        public Refused(String reason) {
            this(reason, false);
        }

        public Refused(String reason, boolean mayPassLater) {
            super(reason);
            this.mayPassLater = mayPassLater;
        }

        /** The host did not resolve: asking again later may succeed, unlike a refused address. */
        public boolean mayPassLater() {
            return mayPassLater;
        }
    }

    /** Whether the host is exempt from the address checks (configured for tests and trusted receivers). */
    public boolean allowlisted(String host) {
        return allowedHosts.contains(bareHost(host));
    }

    /**
     * Checks what a URL shows without resolving its name: its form, and its host when the host is an
     * address or a known internal name. For validating a URL when it is stored, long before it is called.
     */
    public void checkWithoutResolving(URI url) {
        String host = checkUrl(url);
        if (allowedHosts.contains(host)) {
            return;
        }
        if (METADATA_HOSTS.contains(host) || host.endsWith(".internal") || host.equals("localhost")
                || host.endsWith(".localhost")) {
            throw new Refused("the host " + host + " is internal");
        }
        Optional<InetAddress> numeric = numericAddress(host);
        if (numeric.isPresent()) {
            refuseOtherSpellings(host);
            forbiddenReason(numeric.get()).ifPresent(reason -> {
                throw new Refused("the host " + host + " is a " + reason + " address");
            });
        } else if (looksNumeric(host)) {
            throw new Refused("the host " + host + " is not a valid address");
        }
    }

    /**
     * Checks a URL's form: scheme, host, no user info.
     *
     * @return the host, without IPv6 brackets
     */
    public String checkUrl(URI url) {
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        if (!SCHEMES.contains(scheme)) {
            throw new Refused("only http and https URLs can be fetched");
        }
        if (url.getRawUserInfo() != null) {
            throw new Refused("URLs with user info are not fetched");
        }
        String host = url.getHost();
        if (host == null && url.getRawAuthority() != null) {
            // java.net.URI gives no host for names it finds odd ("2130706433", "127.1"): read the authority.
            String authority = url.getRawAuthority();
            host = authority.startsWith("[") ? authority.substring(0, authority.indexOf(']') + 1)
                    : authority.replaceFirst(":[0-9]*$", "");
        }
        if (host == null || host.isBlank()) {
            throw new Refused("the URL has no host");
        }
        return bareHost(host);
    }

    /**
     * Resolves a host and checks every address; the answer is what the fetcher may connect to.
     *
     * @throws Refused when the host cannot be resolved or any of its addresses is not public
     */
    public List<InetAddress> resolve(String rawHost) {
        String host = bareHost(rawHost);
        boolean allowed = allowedHosts.contains(host);
        if (!allowed && (METADATA_HOSTS.contains(host) || host.endsWith(".internal") || host.equals("localhost")
                || host.endsWith(".localhost"))) {
            throw new Refused("the host " + host + " is internal");
        }
        InetAddress[] addresses;
        Optional<InetAddress> numeric = numericAddress(host);
        if (numeric.isPresent()) {
            if (!allowed) {
                refuseOtherSpellings(host);
            }
            addresses = new InetAddress[] {numeric.get()};
        } else if (looksNumeric(host)) {
            throw new Refused("the host " + host + " is not a valid address");
        } else {
            try {
                addresses = resolver.resolve(host);
            } catch (UnknownHostException e) {
                throw new Refused("the host " + host + " does not resolve", true);
            }
        }
        if (addresses.length == 0) {
            throw new Refused("the host " + host + " does not resolve", true);
        }
        if (!allowed) {
            for (InetAddress address : addresses) {
                forbiddenReason(address).ifPresent(reason -> {
                    throw new Refused("the host " + host + " resolves to a " + reason + " address");
                });
            }
        }
        return List.of(addresses);
    }

    /**
     * An IPv4 address not written as four plain decimal numbers ({@code 010.0.0.1}, {@code 2130706433},
     * {@code 0x7f.1}) is refused whatever it reads as: HTTP clients disagree on such spellings (Netty and the
     * JDK read {@code 010.0.0.1} as 10.0.0.1, {@code inet_aton} as 8.0.0.1) and connect to a literal without
     * asking a resolver, so the address checked here need not be the one connected to.
     */
    private static void refuseOtherSpellings(String host) {
        if (!host.contains(":") && !DOTTED_DECIMAL.matcher(host).matches()) {
            throw new Refused("the host " + host + " is an IPv4 address not written as four decimal numbers "
                    + "without leading zeros");
        }
    }

    /** The check of one connected address, for the connection actually made (belt and braces). */
    public void checkConnected(String host, InetAddress address) {
        if (!allowedHosts.contains(bareHost(host))) {
            forbiddenReason(address).ifPresent(reason -> {
                throw new Refused("the connection went to a " + reason + " address");
            });
        }
    }

    /** Why an address is not public, or empty when it may be fetched from. */
    public static Optional<String> forbiddenReason(InetAddress address) {
        if (address instanceof Inet4Address v4) {
            return forbiddenV4(v4.getAddress());
        }
        if (address instanceof Inet6Address v6) {
            return forbiddenV6(v6.getAddress());
        }
        return Optional.of("unknown kind of");
    }

    private static Optional<String> forbiddenV4(byte[] a) {
        int b0 = a[0] & 0xFF;
        int b1 = a[1] & 0xFF;
        int b2 = a[2] & 0xFF;
        int b3 = a[3] & 0xFF;
        if (b0 == 169 && b1 == 254 && b2 == 169 && b3 == 254) {
            return Optional.of("cloud metadata");
        }
        if (b0 == 100 && b1 == 100 && b2 == 100 && b3 == 200) {
            return Optional.of("cloud metadata"); // Alibaba Cloud
        }
        if (b0 == 0) {
            return Optional.of("unspecified");
        }
        if (b0 == 127) {
            return Optional.of("loopback");
        }
        if (b0 == 10 || (b0 == 172 && (b1 & 0xF0) == 16) || (b0 == 192 && b1 == 168)) {
            return Optional.of("private");
        }
        if (b0 == 100 && (b1 & 0xC0) == 64) {
            return Optional.of("shared (carrier-grade NAT)");
        }
        if (b0 == 169 && b1 == 254) {
            return Optional.of("link-local");
        }
        if (b0 >= 224 && b0 <= 239) {
            return Optional.of("multicast");
        }
        if (b0 >= 240) {
            return Optional.of(b0 == 255 && b1 == 255 && b2 == 255 && b3 == 255 ? "broadcast" : "reserved");
        }
        if (b0 == 192 && b1 == 0 && b2 == 0) {
            return Optional.of("IETF protocol");
        }
        if ((b0 == 192 && b1 == 0 && b2 == 2) || (b0 == 198 && b1 == 51 && b2 == 100)
                || (b0 == 203 && b1 == 0 && b2 == 113)) {
            return Optional.of("documentation");
        }
        if (b0 == 198 && (b1 == 18 || b1 == 19)) {
            return Optional.of("benchmarking");
        }
        if (b0 == 192 && b1 == 88 && b2 == 99) {
            return Optional.of("relay");
        }
        return Optional.empty();
    }

    private static Optional<String> forbiddenV6(byte[] a) {
        boolean zeroFirst80 = isZero(a, 0, 10);
        // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible); ::1 and :: are caught below.
        if (zeroFirst80 && (a[10] & 0xFF) == 0xFF && (a[11] & 0xFF) == 0xFF) {
            return forbiddenV4(Arrays.copyOfRange(a, 12, 16)).map(r -> r + " (IPv4-mapped)")
                    .or(() -> Optional.empty());
        }
        if (isZero(a, 0, 15) && (a[15] == 0 || a[15] == 1)) {
            return Optional.of(a[15] == 0 ? "unspecified" : "loopback");
        }
        if (isZero(a, 0, 12)) {
            return forbiddenV4(Arrays.copyOfRange(a, 12, 16)).map(r -> r + " (IPv4-compatible)")
                    .or(() -> Optional.of("deprecated IPv4-compatible"));
        }
        int first = a[0] & 0xFF;
        int second = a[1] & 0xFF;
        // 64:ff9b::/96 NAT64 and 64:ff9b:1::/48 local-use NAT64 embed an IPv4 address.
        if (first == 0x00 && second == 0x64 && (a[2] & 0xFF) == 0xFF && (a[3] & 0xFF) == 0x9B) {
            Optional<String> inner = forbiddenV4(Arrays.copyOfRange(a, 12, 16));
            return inner.isPresent() ? inner.map(r -> r + " (NAT64)")
                    : (a[4] == 0 && a[5] == 1 ? Optional.of("local NAT64") : Optional.empty());
        }
        // 2002::/16 6to4 embeds an IPv4 address in bytes 2..5.
        if (first == 0x20 && second == 0x02) {
            return forbiddenV4(Arrays.copyOfRange(a, 2, 6)).map(r -> r + " (6to4)");
        }
        // 2001:0000::/32 Teredo hides the client address; refused outright.
        if (first == 0x20 && second == 0x01 && a[2] == 0 && a[3] == 0) {
            return Optional.of("Teredo");
        }
        if (first == 0x20 && second == 0x01 && (a[2] & 0xFF) == 0x0D && (a[3] & 0xFF) == 0xB8) {
            return Optional.of("documentation");
        }
        if (first == 0xFF) {
            return Optional.of("multicast");
        }
        if (first == 0xFE && (second & 0xC0) == 0x80) {
            return Optional.of("link-local");
        }
        if (first == 0xFE && (second & 0xC0) == 0xC0) {
            return Optional.of("site-local");
        }
        if ((first & 0xFE) == 0xFC) {
            // fd00:ec2::254 (AWS metadata over IPv6) is in here too.
            return Optional.of("unique-local (private)");
        }
        if (first == 0x01 && second == 0x00 && isZero(a, 2, 8)) {
            return Optional.of("discard-only");
        }
        return Optional.empty();
    }

    private static boolean isZero(byte[] a, int from, int to) {
        for (int i = from; i < to; i++) {
            if (a[i] != 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * A host written as an address: an IPv6 literal, or IPv4 in any spelling {@code inet_aton} accepts (one to
     * four parts, each decimal, octal with a leading 0, or hex with 0x). Never does a lookup.
     */
    static Optional<InetAddress> numericAddress(String host) {
        try {
            if (host.contains(":")) {
                // An IPv6 literal: parsed, not resolved, since it contains a colon.
                int zone = host.indexOf('%');
                return Optional.of(InetAddress.getByName(zone < 0 ? host : host.substring(0, zone)));
            }
            if (!NUMERIC_HOST.matcher(host).matches() || !HAS_DIGIT_START.matcher(host).matches()) {
                return Optional.empty();
            }
            String[] parts = host.endsWith(".") ? host.substring(0, host.length() - 1).split("\\.", -1)
                    : host.split("\\.", -1);
            if (parts.length == 0 || parts.length > 4) {
                return Optional.empty();
            }
            long[] values = new long[parts.length];
            for (int i = 0; i < parts.length; i++) {
                values[i] = part(parts[i]);
                if (values[i] < 0) {
                    return Optional.empty();
                }
            }
            long address = 0;
            int n = parts.length;
            for (int i = 0; i < n - 1; i++) {
                if (values[i] > 255) {
                    return Optional.empty();
                }
                address |= values[i] << (8 * (3 - i));
            }
            long last = values[n - 1];
            long lastMax = (1L << (8 * (5 - n))) - 1;
            if (last > lastMax) {
                return Optional.empty();
            }
            address |= last;
            byte[] bytes = {(byte) (address >>> 24), (byte) (address >>> 16), (byte) (address >>> 8), (byte) address};
            return Optional.of(InetAddress.getByAddress(host, bytes));
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }

    private static long part(String part) {
        try {
            if (part.isEmpty()) {
                return -1;
            }
            if (part.startsWith("0x") || part.startsWith("0X")) {
                return part.length() == 2 ? 0 : Long.parseLong(part.substring(2), 16);
            }
            if (part.length() > 1 && part.startsWith("0")) {
                return Long.parseLong(part.substring(1), 8);
            }
            return Long.parseLong(part, 10);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Digits, dots and hex in a shape a resolver might read as a number: never sent to DNS. */
    private static boolean looksNumeric(String host) {
        return NUMERIC_HOST.matcher(host).matches() && HAS_DIGIT_START.matcher(host).matches()
                && host.chars().noneMatch(Character::isLetter) || host.matches("(?i)0x[0-9a-f.x]*");
    }

    static String bareHost(String host) {
        String bare = host.strip().toLowerCase(Locale.ROOT);
        if (bare.startsWith("[") && bare.endsWith("]")) {
            bare = bare.substring(1, bare.length() - 1);
        }
        return bare;
    }
}
