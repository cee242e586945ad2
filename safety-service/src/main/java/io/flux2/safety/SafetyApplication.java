package io.flux2.safety;

import io.flux2.common.service.FluxService;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** The mandatory safety filter: prompt and image checks whose every decision is recorded. */
@SpringBootApplication
@ConfigurationPropertiesScan
@FluxService("safety-service")
public class SafetyApplication {

    public static void main(String[] args) {
        SpringApplication.run(SafetyApplication.class, args);
    }
}
