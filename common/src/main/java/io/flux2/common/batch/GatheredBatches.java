package io.flux2.common.batch;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * Hands items to a batch operation without holding any back: an item starts a batch at once while fewer than
 * {@code maxInFlight} batches run; otherwise it waits, and the items that arrived meanwhile go together when
 * a batch ends. Idle, every item goes alone with no added delay; under load, one call or statement settles
 * many items (group commit).
 *
 * @param <T> the item
 */
public final class GatheredBatches<T> {

    private static final Logger log = LoggerFactory.getLogger(GatheredBatches.class);

    private final int batchSize;
    private final int maxInFlight;
    private final Function<List<T>, Mono<Void>> work;
    private final Queue<T> waiting = new ConcurrentLinkedQueue<>();
    private final AtomicInteger inFlight = new AtomicInteger();

    /**
     * @param batchSize   the most items one batch takes
     * @param maxInFlight the most batches running at once
     * @param work        runs one batch; it settles its items' outcomes itself, errors included
     */
    public GatheredBatches(int batchSize, int maxInFlight, Function<List<T>, Mono<Void>> work) {
        if (batchSize < 1 || maxInFlight < 1) {
            throw new IllegalArgumentException("batchSize and maxInFlight must be at least 1");
        }
        this.batchSize = batchSize;
        this.maxInFlight = maxInFlight;
        this.work = work;
    }

    public void add(T item) {
        waiting.add(item);
        drain();
    }

    private void drain() {
        while (!waiting.isEmpty()) {
            int running = inFlight.get();
            if (running >= maxInFlight) {
                // A running batch drains again when it ends.
                return;
            }
            if (!inFlight.compareAndSet(running, running + 1)) {
                continue;
            }
            List<T> batch = new ArrayList<>();
            for (T next; batch.size() < batchSize && (next = waiting.poll()) != null; ) {
                batch.add(next);
            }
            if (batch.isEmpty()) {
                inFlight.decrementAndGet();
                continue;
            }
            Mono.defer(() -> work.apply(batch))
                    .doFinally(signal -> {
                        inFlight.decrementAndGet();
                        drain();
                    })
                    .subscribe(done -> { }, e -> log.warn("A batch of {} items failed", batch.size(), e));
        }
    }
}
