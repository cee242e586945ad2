package io.flux2.safety.prompt;

import io.flux2.safety.SafetyProperties;
import io.flux2.safety.decisions.Verdict;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.springframework.stereotype.Component;

/**
 * Matches a normalised prompt against the configured terms of each category. Terms match as whole words
 * only, so a harmless word that happens to contain a blocked one ("Scunthorpe") passes. Reasons name
 * the category, never the matched text, so a decision cannot leak the prompt back.
 */
@Component
public class PromptFilter {

    private final Map<String, CompiledCategory> categories;

    public PromptFilter(SafetyProperties properties) {
        // Sorted so the reasons come out in a stable order.
        this.categories = new TreeMap<>();
        properties.categories().forEach((name, category) -> {
            if (!category.terms().isEmpty()) {
                categories.put(name, new CompiledCategory(category, compile(category.terms())));
            }
        });
    }

    public Verdict check(String prompt, int tolerance) {
        String normalized = PromptNormalizer.normalize(prompt);
        List<String> reasons = new ArrayList<>();
        categories.forEach((name, category) -> {
            if (!category.settings().allows(tolerance) && category.pattern().matcher(normalized).find()) {
                reasons.add(name);
            }
        });
        return reasons.isEmpty() ? Verdict.pass() : Verdict.flag(reasons);
    }

    /** One alternation per category; a letter or digit on either side means the term is part of a longer word. */
    private static Pattern compile(List<String> terms) {
        String alternatives = terms.stream()
                .map(PromptNormalizer::normalize)
                .filter(term -> !term.isEmpty())
                .map(Pattern::quote)
                .collect(Collectors.joining("|"));
        return Pattern.compile("(?<![\\p{L}\\p{N}])(?:" + alternatives + ")(?![\\p{L}\\p{N}])");
    }

    private record CompiledCategory(SafetyProperties.Category settings, Pattern pattern) {
    }
}
