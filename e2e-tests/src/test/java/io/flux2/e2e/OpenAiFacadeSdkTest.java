package io.flux2.e2e;

import static io.flux2.e2e.Sdk.call;
import static io.flux2.e2e.Sdk.problem;
import static org.assertj.core.api.Assertions.assertThat;

import io.flux2.sdk.api.OpenaiApi;
import io.flux2.sdk.model.OpenAiImageGenerationRequest;
import io.flux2.sdk.model.OpenAiImagesResponse;
import java.awt.image.BufferedImage;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** The OpenAI Images facade through the Java SDK, with the key as a bearer token as OpenAI clients send it. */
class OpenAiFacadeSdkTest {

    @Test
    void aGenerationAnswersBase64ThatDecodesToAPng() {
        OpenaiApi openai = new OpenaiApi(Sdk.bearer(RunningPlatform.API_KEY));
        OpenAiImagesResponse answer = call(() -> openai.createImage(new OpenAiImageGenerationRequest()
                .prompt("an origami crane").model("flux-2-klein-4b").size("128x128").n(1)));
        assertThat(answer.getCreated()).isPositive();
        assertThat(answer.getData()).hasSize(1);
        byte[] png = Base64.getDecoder().decode(answer.getData().get(0).getB64Json());
        assertThat(png).startsWith(0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a);
        BufferedImage image = Sdk.decode(png);
        assertThat(image.getWidth()).isEqualTo(128);
        assertThat(image.getHeight()).isEqualTo(128);
    }

    @Test
    void aModeratedPromptIsOpenAisModerationBlockedError() {
        OpenaiApi openai = new OpenaiApi(Sdk.bearer(RunningPlatform.API_KEY));
        Sdk.Problem error = problem(400, () -> openai.createImage(new OpenAiImageGenerationRequest()
                .prompt("a naked man").model("flux-2-klein-4b").size("128x128")));
        assertThat(error.body().path("error").path("code").asString()).as(error.body().toString())
                .isEqualTo("moderation_blocked");
        assertThat(error.body().path("error").path("message").asString()).isNotBlank();
    }
}
