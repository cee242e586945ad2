package io.flux2.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.flux2.gateway.keys.ApiKeyFormat;
import io.flux2.gateway.keys.ApiKeyStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;

class GetResultTest extends GatewayTestBase {

    @Autowired
    ApiKeyStore keys;

    @ParameterizedTest
    @ValueSource(strings = {"AWAITING_SAFETY", "QUEUED", "RUNNING", "CHECKING_OUTPUT"})
    void unfinishedJobsArePending(String status) {
        var job = SERVICES.job(TENANT, status).put("progress", 0.4);
        getResult(job.get("id").asString(), BOOTSTRAP_KEY).expectStatus().isOk()
                .expectBody()
                .jsonPath("$.id").isEqualTo(job.get("id").asString())
                .jsonPath("$.status").isEqualTo("Pending")
                .jsonPath("$.progress").isEqualTo(0.4)
                .jsonPath("$.result").value(v -> assertThat(v).isNull())
                .jsonPath("$.details").value(v -> assertThat(v).isNull());
    }

    @Test
    void readyJobHasAPresignedSampleAndItsRecipe() {
        var job = SERVICES.job(TENANT, "READY").put("progress", 1.0);
        job.putObject("result").put("assetId", "asset-123").put("seed", 7).put("width", 128).put("height", 128)
                .put("contentType", "image/png");
        getResult(job.get("id").asString(), BOOTSTRAP_KEY).expectStatus().isOk()
                .expectBody()
                .jsonPath("$.status").isEqualTo("Ready")
                .jsonPath("$.progress").isEqualTo(1.0)
                .jsonPath("$.result.sample").isEqualTo("http://assets.test/outputs/asset-123?X-Amz-Expires=600")
                .jsonPath("$.result.seed").isEqualTo(7)
                .jsonPath("$.result.prompt").isEqualTo("a red fox")
                .jsonPath("$.result.width").isEqualTo(128)
                .jsonPath("$.result.height").isEqualTo(128)
                .jsonPath("$.result.start_time").isEqualTo(1767323045.0)
                .jsonPath("$.result.end_time").isEqualTo(1767323047.5)
                .jsonPath("$.result.duration").isEqualTo(2.5);
        var urlCall = SERVICES.received("GET", "/internal/assets/asset-123/url");
        assertThat(urlCall).isNotEmpty();
        assertThat(urlCall.get(0).query()).containsEntry("ttlSeconds", "600");
    }

    @Test
    void readyJobWhoseImageIsGoneIsNotFound() {
        var job = SERVICES.job(TENANT, "READY");
        job.putObject("result").put("assetId", "asset-expired").put("seed", 7).put("width", 128).put("height", 128);
        SERVICES.missingAssets.add("asset-expired");
        getResult(job.get("id").asString(), BOOTSTRAP_KEY).expectStatus().isOk()
                .expectBody().jsonPath("$.status").isEqualTo("Task not found");
    }

    @Test
    void requestModeratedCarriesTheReasons() {
        var job = SERVICES.job(TENANT, "REQUEST_MODERATED");
        job.putObject("details").putArray("moderation_reasons").add("Protected Content");
        getResult(job.get("id").asString(), BOOTSTRAP_KEY).expectStatus().isOk()
                .expectBody()
                .jsonPath("$.status").isEqualTo("Request Moderated")
                .jsonPath("$.result").value(v -> assertThat(v).isNull())
                .jsonPath("$.details['Moderation Reasons'][0]").isEqualTo("Protected Content");
    }

    @Test
    void contentModeratedCarriesTheReasons() {
        var job = SERVICES.job(TENANT, "CONTENT_MODERATED");
        job.putObject("details").putArray("moderation_reasons").add("NSFW");
        getResult(job.get("id").asString(), BOOTSTRAP_KEY).expectStatus().isOk()
                .expectBody()
                .jsonPath("$.status").isEqualTo("Content Moderated")
                .jsonPath("$.details['Moderation Reasons'][0]").isEqualTo("NSFW");
    }

    @Test
    void errorCarriesTheDetails() {
        var job = SERVICES.job(TENANT, "ERROR");
        job.putObject("details").put("message", "inference failed after 3 attempts");
        getResult(job.get("id").asString(), BOOTSTRAP_KEY).expectStatus().isOk()
                .expectBody()
                .jsonPath("$.status").isEqualTo("Error")
                .jsonPath("$.details.message").isEqualTo("inference failed after 3 attempts");
    }

    @Test
    void unknownIdIsTaskNotFound() {
        getResult("0b7c5a52-5a8e-4d7b-9d4c-000000000000", BOOTSTRAP_KEY).expectStatus().isOk()
                .expectBody()
                .jsonPath("$.id").isEqualTo("0b7c5a52-5a8e-4d7b-9d4c-000000000000")
                .jsonPath("$.status").isEqualTo("Task not found")
                .jsonPath("$.result").value(v -> assertThat(v).isNull());
    }

    @Test
    void anotherTenantsJobIsTaskNotFound() {
        String otherKey = "flx_tenantbb_other-tenant-secret";
        keys.insertIfAbsent("tenant-b", "tenantbb", ApiKeyFormat.sha256Hex(otherKey), "tenant b").block();
        var job = SERVICES.job(TENANT, "RUNNING");
        getResult(job.get("id").asString(), otherKey).expectStatus().isOk()
                .expectBody().jsonPath("$.status").isEqualTo("Task not found");
        getResult(job.get("id").asString(), BOOTSTRAP_KEY).expectStatus().isOk()
                .expectBody().jsonPath("$.status").isEqualTo("Pending");
    }

    @Test
    void malformedIdIsTaskNotFoundWithoutAskingJobService() {
        int before = SERVICES.received.size();
        getResult("../../internal/leases", BOOTSTRAP_KEY).expectStatus().isOk()
                .expectBody().jsonPath("$.status").isEqualTo("Task not found");
        assertThat(SERVICES.received).hasSize(before);
    }

    @Test
    void idJobServiceCannotParseIsTaskNotFound() {
        getResult("unparseable-id", BOOTSTRAP_KEY).expectStatus().isOk()
                .expectBody().jsonPath("$.status").isEqualTo("Task not found");
    }

    @Test
    void missingIdIsAProblem() {
        web.get().uri("/v1/get_result").header("x-key", BOOTSTRAP_KEY).exchange()
                .expectStatus().isEqualTo(422)
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody().jsonPath("$.field").isEqualTo("id");
    }
}
