package io.flux2.common.db;

import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Wrapped;

/**
 * Connections for PostgreSQL LISTEN: a pooled connection is handed to queries between uses and loses its
 * LISTEN, so a listener opens its own from the factory underneath the pool.
 */
public final class ListenConnections {

    private ListenConnections() {
    }

    /** The factory underneath any pool (or other wrapper) around {@code factory}: it opens plain connections. */
    public static ConnectionFactory unpooled(ConnectionFactory factory) {
        ConnectionFactory current = factory;
        while (current instanceof Wrapped<?> wrapped && wrapped.unwrap() instanceof ConnectionFactory inner
                && inner != current) {
            current = inner;
        }
        return current;
    }
}
