package io.flux2.inference;

import io.flux2.common.service.FluxService;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** Runs FLUX.2 model packages on DJL and pulls generation work from job-service. */
@SpringBootApplication
@ConfigurationPropertiesScan
@FluxService("inference-service")
public class InferenceApplication {

    public static void main(String[] args) {
        SpringApplication.run(InferenceApplication.class, args);
    }
}
