package io.flux2.safety.prompt;

import static org.assertj.core.api.Assertions.assertThat;

import io.flux2.safety.SafetyProperties;
import io.flux2.safety.decisions.Verdict;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.PropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.io.ClassPathResource;

/**
 * The shipped policy ({@code safety-service.yaml}) against a corpus of prompts: benign ones with tricky
 * words, blocked ones with obfuscation (leetspeak, confusables, spacing, full-width, zero-width), each with
 * the expected decision at tolerances 0, 2 and 6.
 */
class PromptCorpusTest {

    private static final int[] TOLERANCES = {0, 2, 6};
    private static PromptFilter filter;
    private static List<String[]> corpus;

    @BeforeAll
    static void load() throws IOException {
        StandardEnvironment environment = new StandardEnvironment();
        for (PropertySource<?> source : new YamlPropertySourceLoader().load("policy",
                new ClassPathResource("safety-service.yaml"))) {
            environment.getPropertySources().addLast(source);
        }
        SafetyProperties properties = new Binder(ConfigurationPropertySources.get(environment))
                .bind("flux.safety", SafetyProperties.class).get();
        filter = new PromptFilter(properties);
        corpus = new ArrayList<>();
        try (InputStream in = new ClassPathResource("prompt-corpus.tsv").getInputStream()) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] parts = line.split("\t", 2);
                corpus.add(new String[] {parts[0], unescape(parts[1])});
            }
        }
    }

    @Test
    void corpusIsLargeEnoughAndCoversEveryOutcome() {
        assertThat(corpus).hasSizeGreaterThanOrEqualTo(100);
        assertThat(corpus.stream().map(entry -> entry[0]).distinct()).contains("PPP", "BPP", "BBP", "BBB");
    }

    @Test
    void everyPromptGetsTheExpectedDecisionAtTolerances0To6() {
        List<String> wrong = new ArrayList<>();
        for (String[] entry : corpus) {
            for (int i = 0; i < TOLERANCES.length; i++) {
                boolean expectBlocked = entry[0].charAt(i) == 'B';
                Verdict verdict = filter.check(entry[1], TOLERANCES[i]);
                if (verdict.flagged() != expectBlocked) {
                    wrong.add("tolerance " + TOLERANCES[i] + ": expected " + (expectBlocked ? "blocked" : "pass")
                            + " " + verdict.reasons() + " <" + entry[1] + "> readings " + PromptNormalizer.variants(entry[1]));
                }
            }
        }
        assertThat(wrong).as("prompts with the wrong decision").isEmpty();
    }

    @Test
    void minorsAreBlockedAtEveryToleranceWithTheirOwnReason() {
        assertThat(filter.check("a naked child", 6).reasons()).contains("minors-sexualised");
        assertThat(filter.check("ch1ld p0rn", 6).reasons()).contains("minors");
        assertThat(filter.check("a child on a swing", 0).flagged()).isFalse();
    }

    @Test
    void normaliserUndoesTheTricks() {
        assertThat(PromptNormalizer.variants("p.0.r.n")).contains("porn");
        assertThat(PromptNormalizer.variants("a n u d e statue")).contains("a nude statue");
        assertThat(PromptNormalizer.variants("рοrn")).contains("porn"); // Cyrillic р, Greek ο
        assertThat(PromptNormalizer.variants("kill!")).contains("kill");
        assertThat(PromptNormalizer.variants("2025 was 455 days")).allMatch(v -> v.contains("2025") && v.contains("455"));
        assertThat(PromptNormalizer.normalize("ｋｉｌｌ\u200B")).isEqualTo("kill");
    }

    private static String unescape(String text) {
        Matcher m = Pattern.compile("\\\\u([0-9a-fA-F]{4})").matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Character.toString((char) Integer.parseInt(m.group(1), 16)));
        }
        m.appendTail(out);
        return out.toString();
    }
}
