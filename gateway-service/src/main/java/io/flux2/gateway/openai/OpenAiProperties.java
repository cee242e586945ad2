package io.flux2.gateway.openai;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * The OpenAI-compatible facade, {@code flux.gateway.openai.*}.
 *
 * @param defaultTier the tier a request without {@code model} runs on
 * @param models      OpenAI {@code model} names to tier names (a tier's own name or route works without an entry)
 * @param maxWait     how long a facade request waits for its images; unfinished jobs are then cancelled
 * @param maxImages   the largest {@code n}; each image is its own job
 * @param maxJsonBody the largest JSON body of {@code /v1/images/generations}
 * @param urlModels   models whose answer is a {@code url} when the request names no {@code response_format}, as
 *                    OpenAI's DALL·E models do (its GPT image models always answer {@code b64_json})
 */
@ConfigurationProperties("flux.gateway.openai")
public record OpenAiProperties(
        @DefaultValue("pro") String defaultTier,
        Map<String, String> models,
        @DefaultValue("300s") Duration maxWait,
        @DefaultValue("4") int maxImages,
        @DefaultValue("1MB") DataSize maxJsonBody,
        @DefaultValue({"dall-e-2", "dall-e-3"}) Set<String> urlModels) {

    public OpenAiProperties {
        models = models == null ? Map.of() : Map.copyOf(models);
        urlModels = urlModels == null ? Set.of() : Set.copyOf(urlModels);
    }
}
