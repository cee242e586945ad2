package io.flux2.safety;

import static org.assertj.core.api.Assertions.assertThat;

import io.flux2.common.auth.InternalTokenFilter;
import io.flux2.infra.SharedTestInfra;
import io.flux2.safety.decisions.Decision;
import io.flux2.safety.decisions.Sha256;
import io.flux2.safety.prompt.PromptBatchResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

class SafetyChecksTest extends SafetyTestSupport {

    @ParameterizedTest
    @ValueSource(strings = {
            "a knight about to kill a dragon",
            "KILL the lights",
            "ｋｉｌｌ them all",              // full-width letters
            "kíll the dragon",               // accent
            "ki\u200Bll the dragon",         // zero-width space inside the word
            "an Assault   Rifle on a table", // phrase across extra white space
    })
    void flagsBlockedTermsHoweverDisguised(String prompt) {
        Decision decision = checkPrompt(prompt, 2);
        assertThat(decision.flagged()).isTrue();
        assertThat(decision.reasons()).containsExactly("weapons");
        assertThat(decision.policyVersion()).isEqualTo("test-policy-7");
    }

    @ParameterizedTest
    @ValueSource(strings = {"a skilled chef", "killer whales at sea", "a rifle range in the mountains",
            "a cat on a windowsill"})
    void passesWordsThatOnlyContainABlockedTerm(String prompt) {
        Decision decision = checkPrompt(prompt, 0);
        assertThat(decision.flagged()).isFalse();
        assertThat(decision.reasons()).isEmpty();
    }

    @Test
    void highToleranceAllowsSomeCategoriesButNeverTheAlwaysBlockedOnes() {
        assertThat(checkPrompt("kill the dragon", 4).flagged()).isFalse();
        assertThat(checkPrompt("kill the dragon", 3).flagged()).isTrue();
        Decision both = checkPrompt("ZORBLAX and kill", 6);
        assertThat(both.flagged()).isTrue();
        assertThat(both.reasons()).containsExactly("forbidden");
    }

    @Test
    void reasonsNameTheCategoryAndNeverEchoThePrompt() {
        Decision decision = checkPrompt("zorblax kill", 1);
        assertThat(decision.reasons()).containsExactly("forbidden", "weapons");
    }

    @Test
    void decisionRowKeepsTheHashNotThePrompt() {
        String prompt = "please kill this unique prompt " + UUID.randomUUID();
        Decision decision = checkPrompt(prompt, 1);

        Map<String, Object> row = db.sql("select * from safety.decisions where id = :id")
                .bind("id", decision.decisionId())
                .fetch().one().block();
        assertThat(row).isNotNull();
        assertThat(row.get("input_sha256")).isEqualTo(Sha256.hex(prompt.getBytes(StandardCharsets.UTF_8)));
        assertThat(row.get("kind")).isEqualTo("prompt");
        assertThat(row.get("flagged")).isEqualTo(true);
        assertThat(row.get("policy_version")).isEqualTo("test-policy-7");
        assertThat(row.get("tolerance")).isEqualTo((short) 1);
        assertThat(row.get("reasons").toString()).contains("weapons");
        assertThat(row.values()).noneMatch(value -> value != null && value.toString().contains("unique prompt"));
        Long textCopies = db.sql("select count(*) from safety.decisions where cast(reasons as text) like '%unique prompt%'")
                .map(r -> r.get(0, Long.class)).one().block();
        assertThat(textCopies).isZero();
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 7})
    void toleranceOutOfRangeIsAProblemNamingTheField(int tolerance) {
        client.post().uri("/internal/checks/prompt")
                .header(InternalTokenFilter.HEADER, TOKEN)
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("subject", "tenant-1", "prompt", "a cat", "tolerance", tolerance))
                .exchange()
                .expectStatus().isEqualTo(422)
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody()
                .jsonPath("$.field").isEqualTo("tolerance")
                .jsonPath("$.limit").isEqualTo(6);
    }

    @Test
    void missingPromptIsAProblemNamingTheField() {
        client.post().uri("/internal/checks/prompt")
                .header(InternalTokenFilter.HEADER, TOKEN)
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("subject", "tenant-1", "tolerance", 2))
                .exchange()
                .expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.field").isEqualTo("prompt");
    }

    @Test
    void blockedImageHashIsFlaggedAndRecordedByHash() {
        Decision decision = checkImage(BLOCKED_PNG, MediaType.IMAGE_PNG, 6);
        assertThat(decision.flagged()).isTrue();
        assertThat(decision.reasons()).containsExactly("known-blocked-image");

        Map<String, Object> row = db.sql("select kind, input_sha256 from safety.decisions where id = :id")
                .bind("id", decision.decisionId()).fetch().one().block();
        assertThat(row).containsEntry("kind", "image").containsEntry("input_sha256", Sha256.hex(BLOCKED_PNG));
    }

    /** A reference is stored re-encoded; a blocklisted hash of the file it was made from flags it all the same. */
    @Test
    void aReferenceMadeFromABlockedFileIsFlagged() {
        Decision decision = client.post().uri("/internal/checks/image?subject=job-42&tolerance=6&purpose=reference"
                        + "&sourceSha256=" + Sha256.hex(png("an upload nobody listed")) + "&sourceSha256="
                        + Sha256.hex(BLOCKED_PNG))
                .header(InternalTokenFilter.HEADER, TOKEN).contentType(MediaType.IMAGE_PNG)
                .bodyValue(png("the same picture, re-encoded"))
                .exchange().expectStatus().isOk()
                .expectBody(Decision.class).returnResult().getResponseBody();
        assertThat(decision.flagged()).isTrue();
        assertThat(decision.reasons()).containsExactly("known-blocked-image");
    }

    @Test
    void undecodableImagesAreRefusedNotPassed() {
        // Fail-closed: an image the classifier cannot read is a problem, never a pass.
        byte[] jpeg = {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xE0, 1, 2, 3};
        byte[] webp = "RIFF\0\0\0\0WEBPVP8 ".getBytes(StandardCharsets.US_ASCII);
        for (byte[] bytes : new byte[][] {jpeg, webp, png("another image")}) {
            client.post().uri("/internal/checks/image?subject=job-42&tolerance=2")
                    .header(InternalTokenFilter.HEADER, TOKEN).contentType(MediaType.IMAGE_PNG).bodyValue(bytes)
                    .exchange().expectStatus().isEqualTo(422).expectBody().jsonPath("$.field").isEqualTo("body");
        }
    }

    @Test
    void nonImageBytesAreRefused() {
        client.post().uri("/internal/checks/image?subject=tenant-1&tolerance=2")
                .header(InternalTokenFilter.HEADER, TOKEN)
                .contentType(MediaType.IMAGE_PNG)
                .bodyValue("GIF89a not what it claims".getBytes(StandardCharsets.US_ASCII))
                .exchange()
                .expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.field").isEqualTo("body");
    }

    @Test
    void oversizedImageIsRefusedWithTheLimit() {
        byte[] big = Arrays.copyOf(PNG_SIGNATURE, 65537);
        client.post().uri("/internal/checks/image?subject=tenant-1&tolerance=2")
                .header(InternalTokenFilter.HEADER, TOKEN)
                .contentType(MediaType.IMAGE_PNG)
                .bodyValue(big)
                .exchange()
                .expectStatus().isEqualTo(413)
                .expectBody().jsonPath("$.limit").isEqualTo(65536);
    }

    @Test
    void imageToleranceIsValidatedToo() {
        client.post().uri("/internal/checks/image?subject=tenant-1&tolerance=9")
                .header(InternalTokenFilter.HEADER, TOKEN)
                .contentType(MediaType.IMAGE_PNG)
                .bodyValue(BLOCKED_PNG)
                .exchange()
                .expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.field").isEqualTo("tolerance");
    }

    @Test
    void aBatchOfPromptsIsCheckedAndRecordedLikeSingleChecksInOrder() {
        PromptBatchResponse answer = client.post().uri("/internal/checks/prompts")
                .header(InternalTokenFilter.HEADER, TOKEN)
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("checks", List.of(
                        Map.of("subject", "job:batch-1", "prompt", "kill the dragon", "tolerance", 3),
                        Map.of("subject", "job:batch-2", "prompt", "kill the dragon", "tolerance", 4),
                        Map.of("subject", "job:batch-3", "prompt", "a cat on a windowsill", "tolerance", 0))))
                .exchange()
                .expectStatus().isOk()
                .expectBody(PromptBatchResponse.class).returnResult().getResponseBody();
        assertThat(answer).isNotNull();
        assertThat(answer.decisions()).extracting(Decision::flagged).containsExactly(true, false, false);
        assertThat(answer.decisions().get(0).reasons()).containsExactly("weapons");
        assertThat(answer.decisions().get(0).tolerance()).isEqualTo(3);
        for (int i = 0; i < 3; i++) {
            Map<String, Object> row = db.sql("select subject, flagged, kind from safety.decisions where id = :id")
                    .bind("id", answer.decisions().get(i).decisionId())
                    .fetch().one().block();
            assertThat(row).containsEntry("subject", "job:batch-" + (i + 1)).containsEntry("kind", "prompt")
                    .containsEntry("flagged", answer.decisions().get(i).flagged());
        }

        client.post().uri("/internal/checks/prompts")
                .header(InternalTokenFilter.HEADER, TOKEN)
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("checks", List.of(Map.of("subject", "job:batch-4", "tolerance", 2))))
                .exchange()
                .expectStatus().isEqualTo(422);
    }

    @Test
    void internalTokenIsRequired() {
        client.post().uri("/internal/checks/prompt")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("subject", "tenant-1", "prompt", "a cat", "tolerance", 2))
                .exchange()
                .expectStatus().isUnauthorized();
        client.post().uri("/internal/checks/image?subject=tenant-1&tolerance=2")
                .header(InternalTokenFilter.HEADER, "wrong")
                .contentType(MediaType.IMAGE_PNG)
                .bodyValue(BLOCKED_PNG)
                .exchange()
                .expectStatus().isUnauthorized();
    }

    private Decision checkPrompt(String prompt, int tolerance) {
        Decision decision = client.post().uri("/internal/checks/prompt")
                .header(InternalTokenFilter.HEADER, TOKEN)
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("subject", "tenant-1", "prompt", prompt, "tolerance", tolerance))
                .exchange()
                .expectStatus().isOk()
                .expectBody(Decision.class).returnResult().getResponseBody();
        assertThat(decision).isNotNull();
        assertThat(decision.decisionId()).isNotNull();
        return decision;
    }

    private Decision checkImage(byte[] bytes, MediaType type, int tolerance) {
        return client.post().uri("/internal/checks/image?subject=job-42&tolerance=" + tolerance)
                .header(InternalTokenFilter.HEADER, TOKEN)
                .contentType(type)
                .bodyValue(bytes)
                .exchange()
                .expectStatus().isOk()
                .expectBody(Decision.class).returnResult().getResponseBody();
    }


}
