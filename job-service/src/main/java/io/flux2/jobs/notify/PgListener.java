package io.flux2.jobs.notify;

import io.flux2.common.db.ListenConnections;
import io.flux2.common.lifecycle.SubscriptionLifecycle;
import io.flux2.jobs.JobsProperties;
import io.flux2.jobs.events.EventSignal;
import io.flux2.jobs.queue.QueueSignal;
import io.r2dbc.postgresql.api.Notification;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;

/**
 * One dedicated LISTEN connection per replica, outside the pool (a pooled connection would be handed to
 * queries and lose its LISTEN). The triggers of V2__engine.sql NOTIFY {@code jobs_queued} (payload: the
 * model) and {@code job_events} (payload: the job id); both are hints that wake waiting long-polls and SSE
 * streams sooner than their polling, which stays as the fallback. The connection is pinged so a silently
 * dead one is noticed, and re-opened after any drop; on every (re)open everything waiting is woken once,
 * since notifications sent while it was down are lost.
 */
@Component
public class PgListener extends SubscriptionLifecycle {

    public static final String QUEUED_CHANNEL = "jobs_queued";
    public static final String EVENTS_CHANNEL = "job_events";
    /** The listener's {@code application_name}, so operators (and a test) can find its backend. */
    public static final String APPLICATION_NAME = "flux-jobs-listener";

    private static final Logger log = LoggerFactory.getLogger(PgListener.class);

    private final ConnectionFactory factory;
    private final QueueSignal queueSignal;
    private final EventSignal eventSignal;
    private final JobsProperties.Listen settings;
    private final AtomicLong connections = new AtomicLong();

    public PgListener(ConnectionFactory pooled, QueueSignal queueSignal, EventSignal eventSignal,
            JobsProperties properties) {
        this.factory = ListenConnections.unpooled(pooled);
        this.queueSignal = queueSignal;
        this.eventSignal = eventSignal;
        this.settings = properties.listen();
    }

    /** How many times the LISTEN connection has been opened (1 unless it dropped). */
    public long connectionsOpened() {
        return connections.get();
    }

    @Override
    protected Disposable subscribe() {
        if (!settings.enabled()) {
            return null;
        }
        return ListenConnections.reconnecting(factory, this::listen, settings.reconnectDelay(), () -> { },
                        failure -> log.warn("LISTEN connection lost; re-opening in {}: {}", settings.reconnectDelay(),
                                failure.toString()))
                .subscribe(this::dispatch, e -> log.error("LISTEN loop ended", e));
    }

    private Flux<Notification> listen(Connection connection) {
        return ListenConnections.notifications(connection,
                List.of("set application_name = '" + APPLICATION_NAME + "'", "listen " + QUEUED_CHANNEL,
                        "listen " + EVENTS_CHANNEL),
                settings.pingInterval(), () -> {
                    long count = connections.incrementAndGet();
                    log.info("Listening on {} and {} (connection #{})", QUEUED_CHANNEL, EVENTS_CHANNEL, count);
                    queueSignal.queued(QueueSignal.ANY_MODEL);
                    eventSignal.appended(EventSignal.ANY_JOB);
                });
    }

    private void dispatch(Notification notification) {
        String payload = notification.getParameter();
        if (QUEUED_CHANNEL.equals(notification.getName())) {
            queueSignal.queued(payload == null ? QueueSignal.ANY_MODEL : payload);
        } else if (EVENTS_CHANNEL.equals(notification.getName()) && payload != null) {
            try {
                eventSignal.appended(UUID.fromString(payload));
            } catch (IllegalArgumentException e) {
                log.debug("Ignoring job_events notification {}", payload);
            }
        }
    }
}
