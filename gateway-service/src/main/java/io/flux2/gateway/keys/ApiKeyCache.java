package io.flux2.gateway.keys;

import io.flux2.common.db.ListenConnections;
import io.flux2.common.lifecycle.SubscriptionLifecycle;
import io.r2dbc.postgresql.api.Notification;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;

/**
 * Key lookups kept for a short configured time, so a burst of requests with one key reads its row once.
 * A revoked key must still be refused at once by every replica, so entries are only trusted while this
 * replica LISTENs to {@code api_keys_changed} (V3__key_change_notify.sql announces every change of a key or
 * tenant at commit): a notification drops the entry, a lost listener connection drops everything and turns
 * the cache off until it is back. The replica that revokes a key drops it itself before answering.
 */
@Component
public class ApiKeyCache extends SubscriptionLifecycle {

    static final String CHANNEL = "api_keys_changed";

    private static final Logger log = LoggerFactory.getLogger(ApiKeyCache.class);

    private record Entry(ApiKeyStore.StoredKey key, long expiresAt) {
    }

    private final ConnectionFactory factory;
    private final KeyCacheProperties settings;
    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
    /** Moves on every invalidation, so a lookup that raced with one does not store what it read before it. */
    private final AtomicLong generation = new AtomicLong();
    private volatile boolean listening;

    public ApiKeyCache(ConnectionFactory pooled, KeyCacheProperties settings) {
        this.factory = ListenConnections.unpooled(pooled);
        this.settings = settings;
    }

    /** The cached key with this prefix, or null when none is held (or the cache cannot be trusted now). */
    ApiKeyStore.StoredKey get(String prefix) {
        if (!listening) {
            return null;
        }
        Entry entry = entries.get(prefix);
        if (entry == null) {
            return null;
        }
        if (System.nanoTime() - entry.expiresAt() > 0) {
            entries.remove(prefix, entry);
            return null;
        }
        return entry.key();
    }

    /** Taken before reading a key row; {@link #put} stores the row only if no invalidation came since. */
    long generation() {
        return generation.get();
    }

    void put(String prefix, ApiKeyStore.StoredKey key, long readAtGeneration) {
        if (!listening) {
            return;
        }
        if (entries.size() >= settings.maxEntries()) {
            entries.clear();
        }
        Entry entry = new Entry(key, System.nanoTime() + settings.ttl().toNanos());
        entries.put(prefix, entry);
        if (generation.get() != readAtGeneration) {
            entries.remove(prefix, entry);
        }
    }

    void evict(String prefix) {
        generation.incrementAndGet();
        entries.remove(prefix);
    }

    void evictAll() {
        generation.incrementAndGet();
        entries.clear();
    }

    @Override
    protected Disposable subscribe() {
        if (!settings.enabled()) {
            return null;
        }
        return ListenConnections.reconnecting(factory, this::listen, settings.reconnectDelay(), this::stopTrusting,
                        failure -> log.warn("Key change listener lost; keys are read uncached until it is back: {}",
                                failure.toString()))
                .subscribe(this::changed, e -> log.error("Key change listener ended", e));
    }

    private Flux<Notification> listen(Connection connection) {
        return ListenConnections.notifications(connection, List.of("listen " + CHANNEL), settings.pingInterval(),
                        () -> {
                            // Changes made while no one listened were not heard: start from nothing.
                            evictAll();
                            listening = true;
                        })
                .doFinally(signal -> stopTrusting());
    }

    private void stopTrusting() {
        listening = false;
        evictAll();
    }

    private void changed(Notification notification) {
        String prefix = notification.getParameter();
        if (prefix == null || prefix.isEmpty()) {
            evictAll();
        } else {
            evict(prefix);
        }
    }

    @Override
    protected void stopped() {
        stopTrusting();
    }
}
