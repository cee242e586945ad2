package io.flux2.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The machine a result was measured on, as a line for the report. */
final class Machine {

    private Machine() {
    }

    static String describe() {
        String cpu = "unknown CPU";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .findFirst().orElse(cpu);
        } catch (IOException ignored) {
            // not Linux: the core count still says something
        }
        long memoryGiB = 0;
        try {
            memoryGiB = Files.readAllLines(Path.of("/proc/meminfo")).stream()
                    .filter(l -> l.startsWith("MemTotal"))
                    .map(l -> Long.parseLong(l.replaceAll("\\D", "")) / (1024 * 1024))
                    .findFirst().orElse(0L);
        } catch (IOException ignored) {
            // as above
        }
        return "%d cores (%s), %d GiB".formatted(Runtime.getRuntime().availableProcessors(), cpu, memoryGiB);
    }
}
