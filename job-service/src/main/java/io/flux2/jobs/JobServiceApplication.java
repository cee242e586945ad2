package io.flux2.jobs;

import io.flux2.common.service.FluxService;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** Durable jobs in PostgreSQL, the lease queue for inference pods, and the safety gate around both. */
@SpringBootApplication
@ConfigurationPropertiesScan
@FluxService("job-service")
public class JobServiceApplication {

    public static void main(String[] args) {
        SpringApplication.run(JobServiceApplication.class, args);
    }
}
