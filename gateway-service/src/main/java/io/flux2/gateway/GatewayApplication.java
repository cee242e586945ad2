package io.flux2.gateway;

import io.flux2.common.service.FluxService;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** The public API: API keys, tiers and validation in front of job-service, BFL-compatible on {@code /v1}. */
@SpringBootApplication
@ConfigurationPropertiesScan
@FluxService("gateway-service")
public class GatewayApplication {

    public static void main(String[] args) {
        SpringApplication.run(GatewayApplication.class, args);
    }
}
