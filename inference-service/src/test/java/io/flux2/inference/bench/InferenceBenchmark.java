package io.flux2.inference.bench;

import ai.djl.Device;
import io.flux2.inference.model.ModelPackage;
import io.flux2.inference.model.ModelPackageLoader;
import io.flux2.inference.pipeline.DecodedImage;
import io.flux2.inference.pipeline.Flux2Pipeline;
import io.flux2.inference.pipeline.GenerationLimits;
import io.flux2.inference.pipeline.GenerationRequest;
import io.flux2.inference.pipeline.GraphClock;
import io.flux2.inference.pipeline.ReferenceImage;
import io.flux2.inference.pipeline.StepListener;
import io.flux2.inference.pipeline.TorchCpuNoise;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Orchestration overhead and memory of the Java pipeline (bench/README.md):
 * <ol>
 *   <li>pipeline wall time of each {@code generate} against the summed wall time of its graph forwards (text
 *       encoder, every transformer step, VAE encoder per reference, decoder), over {@code timed} generations after
 *       {@code warmup}; the difference is everything Java does between the graphs;</li>
 *   <li>process RSS ({@code VmRSS}, {@code VmHWM} of /proc/self/status) after generation 20 and after the last of
 *       {@code total} consecutive generations.</li>
 * </ol>
 * Arguments (all optional, {@code key=value}): {@code package} (model-tools/packages/tiny), {@code size} (128),
 * {@code steps} (package default), {@code references} (0), {@code warmup} (5), {@code timed} (50),
 * {@code total} (200). Prints a Markdown section.
 */
public final class InferenceBenchmark {

    private InferenceBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = new LinkedHashMap<>(Map.of("package", "../model-tools/packages/tiny",
                "size", "128", "references", "0", "warmup", "5", "timed", "50", "total", "200"));
        for (String arg : args) {
            String[] kv = arg.split("=", 2);
            options.put(kv[0], kv[1]);
        }
        Path folder = Path.of(options.get("package")).toAbsolutePath().normalize();
        int size = Integer.parseInt(options.get("size"));
        int referenceCount = Integer.parseInt(options.get("references"));
        int warmup = Integer.parseInt(options.get("warmup"));
        int timed = Integer.parseInt(options.get("timed"));
        int total = Integer.parseInt(options.get("total"));

        try (ModelPackage pkg = new ModelPackageLoader(true).load(folder, Device.cpu())) {
            int steps = options.containsKey("steps") ? Integer.parseInt(options.get("steps"))
                    : pkg.manifest().defaults().steps();
            double guidance = pkg.manifest().defaults().guidance();
            List<ReferenceImage> references = new ArrayList<>();
            for (int k = 0; k < referenceCount; k++) {
                references.add(pattern(size, size, k));
            }
            GraphClock clock = GraphClock.timing();
            double[] wall = new double[timed];
            double[] graphs = new double[timed];
            long[] perGraph = new long[GraphClock.Graph.values().length];
            Map<Integer, long[]> rss = new LinkedHashMap<>();
            rss.put(0, memory());
            try (Flux2Pipeline pipeline = new Flux2Pipeline(pkg, new TorchCpuNoise(),
                    new GenerationLimits(64, 100, 2048L * 2048), clock)) {
                for (int g = 1; g <= total; g++) {
                    GenerationRequest request = new GenerationRequest("benchmark prompt number " + g
                            + ", a red circle on a white background", size, size, steps, guidance, g, references);
                    clock.reset();
                    long start = System.nanoTime();
                    DecodedImage image = pipeline.generate(request, StepListener.NONE);
                    long elapsed = System.nanoTime() - start;
                    if (image.chw().length != 3 * size * size) {
                        throw new IllegalStateException("wrong image size");
                    }
                    int t = g - warmup - 1;
                    if (t >= 0 && t < timed) {
                        wall[t] = elapsed / 1e6;
                        graphs[t] = clock.totalNanos() / 1e6;
                        for (GraphClock.Graph graph : GraphClock.Graph.values()) {
                            perGraph[graph.ordinal()] += clock.nanos(graph);
                        }
                    }
                    if (g == 1 || g == 20 || g % 25 == 0 || g == total) {
                        rss.put(g, memory());
                    }
                }
            }
            report(pkg, size, steps, referenceCount, warmup, timed, total, wall, graphs, perGraph, rss);
        }
    }

    private static void report(ModelPackage pkg, int size, int steps, int references, int warmup, int timed,
            int total, double[] wall, double[] graphs, long[] perGraph, Map<Integer, long[]> rss) {
        double wallSum = Arrays.stream(wall).sum();
        double graphSum = Arrays.stream(graphs).sum();
        double overhead = wallSum - graphSum;
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "### %s (%s), %dx%d, %d steps, %d reference(s)%n%n",
                pkg.name(), pkg.manifest().variant(), size, size, steps, references));
        out.append(String.format(Locale.ROOT, "Timed: generations %d..%d (after %d warm-up).%n%n", warmup + 1,
                warmup + timed, warmup));
        out.append("| | total ms | per generation ms |\n|---|---|---|\n");
        out.append(row("pipeline wall time", wallSum, timed));
        out.append(row("graph forwards (sum)", graphSum, timed));
        for (GraphClock.Graph graph : GraphClock.Graph.values()) {
            if (perGraph[graph.ordinal()] > 0) {
                out.append(row("- " + graph.name().toLowerCase(Locale.ROOT), perGraph[graph.ordinal()] / 1e6,
                        timed));
            }
        }
        out.append(row("orchestration (wall - graphs)", overhead, timed));
        out.append(String.format(Locale.ROOT, "%n**Orchestration overhead: %.2f %% of pipeline time** "
                + "(median generation %.2f ms, median overhead %.3f ms)%n%n", 100 * overhead / wallSum,
                median(wall), median(diff(wall, graphs))));
        out.append("| after generation | VmRSS MiB | VmHWM MiB | Java heap committed MiB | heap used MiB |\n"
                + "|---|---|---|---|---|\n");
        rss.forEach((g, m) -> out.append(String.format(Locale.ROOT, "| %d | %.1f | %.1f | %.1f | %.1f |%n", g,
                m[0] / 1024.0, m[1] / 1024.0, m[2] / 1024.0, m[3] / 1024.0)));
        long[] at20 = rss.get(20);
        long[] atEnd = rss.get(total);
        if (at20 != null && atEnd != null) {
            out.append(String.format(Locale.ROOT, "%n**RSS growth from generation 20 to %d: %+.2f %%** "
                    + "(%+.1f MiB)%n", total, 100.0 * (atEnd[0] - at20[0]) / at20[0], (atEnd[0] - at20[0]) / 1024.0));
        }
        System.out.println(out);
    }

    private static String row(String name, double totalMillis, int count) {
        return String.format(Locale.ROOT, "| %s | %.1f | %.3f |%n", name, totalMillis, totalMillis / count);
    }

    private static double[] diff(double[] a, double[] b) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i] - b[i];
        }
        return d;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    /** {VmRSS, VmHWM} in KiB from /proc/self/status, then the Java heap's committed and used KiB. */
    private static long[] memory() throws IOException {
        long rss = -1;
        long hwm = -1;
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                rss = kib(line);
            } else if (line.startsWith("VmHWM:")) {
                hwm = kib(line);
            }
        }
        Runtime runtime = Runtime.getRuntime();
        return new long[] {rss, hwm, runtime.totalMemory() / 1024, (runtime.totalMemory() - runtime.freeMemory()) / 1024};
    }

    private static long kib(String line) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
    }

    private static ReferenceImage pattern(int width, int height, int salt) {
        byte[] rgb = new byte[width * height * 3];
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] = (byte) ((i * 31 + salt * 97) % 253);
        }
        return new ReferenceImage(width, height, rgb);
    }
}
