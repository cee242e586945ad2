package io.flux2.inference.model;

import ai.djl.Device;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The packages this service has loaded, by the name their manifest gives. */
public final class ModelRegistry implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ModelRegistry.class);

    private final Map<String, ModelPackage> packages = Collections.synchronizedMap(new LinkedHashMap<>());

    /**
     * Loads every configured package. The configured key must equal the manifest's name: job-service hands
     * out work by model name, and a mismatch would silently serve the wrong model.
     */
    public void loadAll(Map<String, Path> folders, Device device, ModelPackageLoader loader) {
        for (Map.Entry<String, Path> entry : folders.entrySet()) {
            ModelPackage loaded = loader.load(entry.getValue(), device);
            if (!loaded.name().equals(entry.getKey())) {
                loaded.close();
                throw new ModelPackageException("Package configured as '" + entry.getKey() + "' at "
                        + entry.getValue() + " calls itself '" + loaded.name() + "' in model.json");
            }
            packages.put(loaded.name(), loaded);
        }
    }

    public Optional<ModelPackage> find(String name) {
        return Optional.ofNullable(packages.get(name));
    }

    public List<String> names() {
        synchronized (packages) {
            return List.copyOf(packages.keySet());
        }
    }

    public List<ModelPackage> all() {
        synchronized (packages) {
            return List.copyOf(packages.values());
        }
    }

    @Override
    public void close() {
        synchronized (packages) {
            for (ModelPackage loaded : packages.values()) {
                try {
                    loaded.close();
                } catch (RuntimeException e) {
                    log.warn("Closing model package {} failed", loaded.name(), e);
                }
            }
            packages.clear();
        }
    }
}
