package io.flux2.inference.pipeline;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.translate.TranslateException;

/**
 * Runs the graph forwards of a pipeline and, when timing, adds up their wall time per graph, so a benchmark can
 * tell the graphs' share of a generation from the Java orchestration around them. {@link #NONE} does not read
 * the clock.
 */
public class GraphClock {

    /** The package's graphs. */
    public enum Graph { TEXT_ENCODER, TRANSFORMER, VAE_ENCODER, VAE_DECODER }

    public static final GraphClock NONE = new GraphClock(false);

    private final boolean timing;
    private final long[] nanos = new long[Graph.values().length];
    private final int[] calls = new int[Graph.values().length];

    private GraphClock(boolean timing) {
        this.timing = timing;
    }

    /** A clock that times every forward; one per pipeline (not thread-safe). */
    public static GraphClock timing() {
        return new GraphClock(true);
    }

    NDList forward(Graph graph, Predictor<NDList, NDList> predictor, NDList inputs) {
        long start = timing ? System.nanoTime() : 0L;
        try {
            return predictor.predict(inputs);
        } catch (TranslateException e) {
            throw new IllegalStateException(graph + " failed: " + e.getMessage(), e);
        } finally {
            if (timing) {
                nanos[graph.ordinal()] += System.nanoTime() - start;
                calls[graph.ordinal()]++;
            }
        }
    }

    public long nanos(Graph graph) {
        return nanos[graph.ordinal()];
    }

    public int calls(Graph graph) {
        return calls[graph.ordinal()];
    }

    public long totalNanos() {
        long total = 0;
        for (long n : nanos) {
            total += n;
        }
        return total;
    }

    public void reset() {
        java.util.Arrays.fill(nanos, 0L);
        java.util.Arrays.fill(calls, 0);
    }
}
