package io.flux2.jobs.webhooks;

import io.flux2.common.net.SsrfGuard;
import io.netty.resolver.AddressResolver;
import io.netty.resolver.AddressResolverGroup;
import io.netty.resolver.InetNameResolver;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Promise;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;

/**
 * The name resolution the webhook client connects with: the guard checks exactly the addresses the
 * connection will use, so a name that resolved to a public address for {@link SsrfGuard#check} cannot
 * rebind to a private one in between (DNS rebinding). The connection goes to a checked address while
 * the URL, Host header and TLS name stay the host's. Resolution uses the JVM's resolver and blocks
 * (as Netty's default resolver does).
 */
class GuardedResolverGroup extends AddressResolverGroup<InetSocketAddress> {

    private final SsrfGuard guard;

    GuardedResolverGroup(SsrfGuard guard) {
        this.guard = guard;
    }

    @Override
    protected AddressResolver<InetSocketAddress> newResolver(EventExecutor executor) {
        return new GuardedNameResolver(executor, guard).asAddressResolver();
    }

    static final class GuardedNameResolver extends InetNameResolver {

        private final SsrfGuard guard;

        GuardedNameResolver(EventExecutor executor, SsrfGuard guard) {
            super(executor);
            this.guard = guard;
        }

        @Override
        protected void doResolve(String host, Promise<InetAddress> promise) {
            try {
                promise.setSuccess(checked(host).get(0));
            } catch (UnknownHostException | SsrfGuard.Refused e) {
                promise.setFailure(e);
            }
        }

        @Override
        protected void doResolveAll(String host, Promise<List<InetAddress>> promise) {
            try {
                promise.setSuccess(checked(host));
            } catch (UnknownHostException | SsrfGuard.Refused e) {
                promise.setFailure(e);
            }
        }

        private List<InetAddress> checked(String host) throws UnknownHostException {
            List<InetAddress> addresses = Arrays.asList(InetAddress.getAllByName(host));
            for (InetAddress address : addresses) {
                guard.checkConnected(host, address);
            }
            return addresses;
        }
    }
}
