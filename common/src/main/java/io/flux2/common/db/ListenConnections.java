package io.flux2.common.db;

import io.r2dbc.postgresql.api.Notification;
import io.r2dbc.postgresql.api.PostgresqlConnection;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Wrapped;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

/**
 * Connections for PostgreSQL LISTEN: a pooled connection is handed to queries between uses and loses its
 * LISTEN, so a listener opens its own from the factory underneath the pool, and pings it so that a silently
 * dead connection is noticed.
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

    /**
     * Runs {@code setup} (the LISTEN statements, in order) on the connection, calls {@code onListening} once they
     * succeeded, then emits its notifications while a {@code select 1} every {@code pingInterval} keeps checking
     * it. Completes or errors when the connection goes; the caller re-opens.
     */
    public static Flux<Notification> notifications(Connection connection, List<String> setup, Duration pingInterval,
            Runnable onListening) {
        if (!(connection instanceof PostgresqlConnection postgres)) {
            return Flux.error(new IllegalStateException("LISTEN needs PostgreSQL, got " + connection.getClass()));
        }
        Flux<Notification> notifications = postgres.getNotifications();
        Flux<Notification> pings = Flux.interval(pingInterval)
                .concatMap(tick -> execute(postgres, "select 1"))
                .thenMany(Flux.empty());
        return Flux.fromIterable(setup)
                .concatMap(sql -> execute(postgres, sql))
                .then(Mono.fromRunnable(onListening))
                .thenMany(Flux.merge(notifications, pings));
    }

    /**
     * Opens a connection from {@code factory}, follows {@code listen} on it, and when the connection ends or
     * fails opens another after {@code reconnectDelay}, for as long as the result is subscribed.
     *
     * @param onEnd     runs each time a connection ends, however it ended (nothing is heard until the next)
     * @param onFailure told why, each time a connection failed
     */
    public static Flux<Notification> reconnecting(ConnectionFactory factory,
            Function<Connection, Flux<Notification>> listen, Duration reconnectDelay, Runnable onEnd,
            Consumer<Throwable> onFailure) {
        return Flux.usingWhen(Mono.from(factory.create()), listen, Connection::close,
                        (connection, error) -> Mono.from(connection.close()).onErrorResume(e -> Mono.empty()),
                        connection -> Mono.from(connection.close()).onErrorResume(e -> Mono.empty()))
                .doFinally(signal -> onEnd.run())
                // getNotifications() completes when the connection closes: open another.
                .repeatWhen(closed -> closed.delayElements(reconnectDelay))
                .retryWhen(Retry.fixedDelay(Long.MAX_VALUE, reconnectDelay)
                        .doBeforeRetry(signal -> onFailure.accept(signal.failure())));
    }

    private static Mono<Void> execute(PostgresqlConnection connection, String sql) {
        return connection.createStatement(sql).execute().flatMap(result -> result.getRowsUpdated()).then();
    }
}
