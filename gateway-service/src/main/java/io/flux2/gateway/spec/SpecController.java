package io.flux2.gateway.spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import org.springframework.core.io.ClassPathResource;
import org.springframework.http.CacheControl;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /openapi.yaml}: the public API's contract, {@code api/openapi.yaml} of the repository, copied
 * into the jar at build time (gateway-service/pom.xml). Public, like any API description.
 */
@RestController
class SpecController {

    static final String RESOURCE = "api/openapi.yaml";
    private static final MediaType YAML = MediaType.parseMediaType("application/yaml");

    private final byte[] spec;

    SpecController() {
        try (InputStream in = new ClassPathResource(RESOURCE).getInputStream()) {
            this.spec = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("The jar lacks " + RESOURCE + "; build it with Maven", e);
        }
    }

    @GetMapping("/openapi.yaml")
    ResponseEntity<byte[]> openApi() {
        return ResponseEntity.ok().contentType(YAML).cacheControl(CacheControl.noCache()).body(spec);
    }
}
