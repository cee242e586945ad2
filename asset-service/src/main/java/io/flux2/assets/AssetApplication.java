package io.flux2.assets;

import io.flux2.common.service.FluxService;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** Reference and output images: bytes in an S3-compatible bucket, metadata in PostgreSQL. */
@SpringBootApplication
@ConfigurationPropertiesScan
@FluxService("asset-service")
public class AssetApplication {

    public static void main(String[] args) {
        SpringApplication.run(AssetApplication.class, args);
    }
}
