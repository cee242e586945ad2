package io.flux2.common.service.internal;

import io.flux2.common.service.FluxService;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.env.DefaultPropertiesPropertySource;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.EnumerablePropertySource;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.ClassPathResource;

/**
 * Runs before Boot reads its configuration files: points {@code spring.config.name} at the service's own
 * file and adds the settings every service shares (actuator probes, Prometheus, problem details) as the
 * lowest-priority defaults, so a service file or an environment variable can still override them.
 */
public class ServiceConfigPostProcessor implements EnvironmentPostProcessor, Ordered {

    static final String SHARED_DEFAULTS = "flux2-service-defaults.yaml";

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        FluxService service = findService(application);
        if (service == null) {
            return;
        }
        // Boot keeps "defaultProperties" below every configuration file, so these lose to any of them.
        Map<String, Object> defaults = new LinkedHashMap<>();
        for (PropertySource<?> shared : loadSharedDefaults()) {
            if (shared instanceof EnumerablePropertySource<?> enumerable) {
                for (String name : enumerable.getPropertyNames()) {
                    defaults.put(name, enumerable.getProperty(name));
                }
            }
        }
        defaults.put("spring.config.name", service.value());
        defaults.put("spring.application.name", service.value());
        DefaultPropertiesPropertySource.addOrMerge(defaults, environment.getPropertySources());
    }

    private static FluxService findService(SpringApplication application) {
        for (Object source : application.getAllSources()) {
            if (source instanceof Class<?> type && type.isAnnotationPresent(FluxService.class)) {
                return type.getAnnotation(FluxService.class);
            }
        }
        return null;
    }

    private static List<PropertySource<?>> loadSharedDefaults() {
        try {
            return new YamlPropertySourceLoader().load(SHARED_DEFAULTS, new ClassPathResource(SHARED_DEFAULTS));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public int getOrder() {
        // Before ConfigDataEnvironmentPostProcessor (HIGHEST_PRECEDENCE + 10), which reads spring.config.name.
        return Ordered.HIGHEST_PRECEDENCE + 5;
    }
}
