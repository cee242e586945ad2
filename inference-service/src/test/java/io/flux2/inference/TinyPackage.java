package io.flux2.inference;

import ai.djl.Device;
import io.flux2.inference.model.ModelPackage;
import io.flux2.inference.model.ModelPackageLoader;
import java.nio.file.Files;
import java.nio.file.Path;

/** The committed tiny package of model-tools, loaded once per test JVM. */
public final class TinyPackage {

    private static ModelPackage loaded;
    private static long loadMillis;

    private TinyPackage() {
    }

    /** model-tools sits next to this module; surefire runs tests in the module folder. */
    public static Path folder() {
        Path folder = Path.of("..", "model-tools", "packages", "tiny").toAbsolutePath().normalize();
        if (!Files.isDirectory(folder)) {
            throw new IllegalStateException("The tiny model package is missing at " + folder);
        }
        return folder;
    }

    /** A committed package of model-tools by folder name: tiny, tiny-klein, tiny-klein-base. */
    public static Path folder(String name) {
        Path folder = Path.of("..", "model-tools", "packages", name).toAbsolutePath().normalize();
        if (!Files.isDirectory(folder)) {
            throw new IllegalStateException("The model package is missing at " + folder);
        }
        return folder;
    }

    public static Path modelTools() {
        return Path.of("..", "model-tools").toAbsolutePath().normalize();
    }

    public static synchronized ModelPackage get() {
        if (loaded == null) {
            long start = System.nanoTime();
            loaded = new ModelPackageLoader(true).load(folder(), Device.cpu());
            loadMillis = (System.nanoTime() - start) / 1_000_000;
            System.out.println("Tiny package loaded in " + loadMillis + " ms");
        }
        return loaded;
    }
}
