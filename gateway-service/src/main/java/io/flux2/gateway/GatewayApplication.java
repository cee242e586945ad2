package io.flux2.gateway;

import io.flux2.common.service.FluxService;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/**
 * The public API: tenants, API keys, tiers, rate limits, spend caps and validation in front of job-service;
 * BFL-compatible on {@code /v1}, native on {@code /v2}, OpenAI's Images API on {@code /v1/images/*}, the
 * admin API on {@code /admin}, and its contract at {@code /openapi.yaml}.
 */
@SpringBootApplication
@ConfigurationPropertiesScan
@FluxService("gateway-service")
public class GatewayApplication {

    public static void main(String[] args) {
        SpringApplication.run(GatewayApplication.class, args);
    }
}
