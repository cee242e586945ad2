package io.flux2.safety.prompt;

import io.flux2.safety.SafetyProperties;
import io.flux2.safety.decisions.Verdict;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.springframework.stereotype.Component;

/**
 * Matches every normalised reading of a prompt ({@link PromptNormalizer#variants}) against the configured
 * terms of each category. Terms match as whole words only (a plural {@code s} included), so a
 * harmless word that happens to contain a blocked one ("Scunthorpe", "skilled", "method") passes; a
 * phrase also matches written as one word ("selfharm"). A category with {@code co-occurs-with} counts only
 * when one of those categories also matched, whatever their own tolerance. Reasons name the category,
 * never the matched text, so a decision cannot leak the prompt back.
 */
@Component
public class PromptFilter {

    private static final Pattern CONSONANT_Y = Pattern.compile("[^aeiou\\s]y$");
    private static final Pattern SIBILANT_OR_O = Pattern.compile("(?:s|x|z|ch|sh|o)$");

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
        List<String> readings = PromptNormalizer.variants(prompt);
        Set<String> matched = new TreeSet<>();
        categories.forEach((name, category) -> {
            for (String reading : readings) {
                if (category.pattern().matcher(reading).find()) {
                    matched.add(name);
                    return;
                }
            }
        });
        List<String> reasons = new ArrayList<>();
        for (String name : matched) {
            SafetyProperties.Category settings = categories.get(name).settings();
            if (!settings.coOccursWith().isEmpty() && settings.coOccursWith().stream().noneMatch(matched::contains)) {
                continue;
            }
            if (!settings.allows(tolerance)) {
                reasons.add(name);
            }
        }
        return reasons.isEmpty() ? Verdict.pass() : Verdict.flag(reasons);
    }

    /**
     * English plurals beyond the plain s that the pattern adds to every term: baby - babies, bush - bushes. Only
     * where English spells them so: "heroines" is not a plural of "heroin".
     */
    private static List<String> plurals(String term) {
        if (CONSONANT_Y.matcher(term).find()) {
            return List.of(term.substring(0, term.length() - 1) + "ies");
        }
        if (SIBILANT_OR_O.matcher(term).find()) {
            return List.of(term + "es");
        }
        return List.of();
    }

    /** One alternation per category; a letter or digit on either side means the term is part of a longer word. */
    private static Pattern compile(List<String> terms) {
        Set<String> forms = new LinkedHashSet<>();
        for (String term : terms) {
            String normalized = PromptNormalizer.normalize(term);
            if (!normalized.isEmpty()) {
                forms.add(normalized);
                forms.addAll(plurals(normalized));
                if (normalized.indexOf(' ') >= 0) {
                    String joined = normalized.replace(" ", "");
                    forms.add(joined);
                    forms.addAll(plurals(joined));
                }
            }
        }
        String alternatives = forms.stream()
                // Longest first, so a phrase wins over a word it starts with.
                .sorted((a, b) -> Integer.compare(b.length(), a.length()))
                .map(Pattern::quote)
                .collect(Collectors.joining("|"));
        return Pattern.compile("(?<![\\p{L}\\p{N}])(?:" + alternatives + ")s?(?![\\p{L}\\p{N}])");
    }

    private record CompiledCategory(SafetyProperties.Category settings, Pattern pattern) {
    }
}
