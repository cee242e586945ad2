package io.flux2.common.service;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a service's application class with the service's name. The name picks the service's own
 * configuration file ({@code <name>.yaml}), so the five services can share one classpath, as they do
 * in the local platform and the end-to-end tests, without reading each other's settings.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface FluxService {

    /** The service name, e.g. {@code job-service}. */
    String value();
}
