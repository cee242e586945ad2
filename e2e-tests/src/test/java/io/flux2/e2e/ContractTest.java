package io.flux2.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The gateway serves api/openapi.yaml, the document the SDKs used by these tests were generated from. */
class ContractTest {

    @Test
    void theGatewayServesTheContractTheSdksWereGeneratedFrom() throws IOException, InterruptedException {
        String source = Files.readString(Path.of("..", "api", "openapi.yaml"));
        HttpResponse<String> served = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(RunningPlatform.get().gatewayUrl() + "/openapi.yaml")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(served.statusCode()).isEqualTo(200);
        assertThat(served.body()).isEqualTo(source);
        try (InputStream inSdk = io.flux2.sdk.ApiClient.class.getResourceAsStream("openapi.yaml")) {
            assertThat(inSdk).as("the Java SDK jar carries its contract").isNotNull();
            assertThat(new String(inSdk.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo(source);
        }
    }
}
