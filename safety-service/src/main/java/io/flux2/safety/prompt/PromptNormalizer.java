package io.flux2.safety.prompt;

import java.text.Normalizer;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Folds the usual disguises of a word onto its plain spelling before matching: full-width and other
 * compatibility forms (NFKC), case, accents and other combining marks, invisible format characters
 * (zero-width spaces and joiners split a word without showing) and runs of white space.
 */
public final class PromptNormalizer {

    private static final Pattern MARKS = Pattern.compile("\\p{M}+");
    private static final Pattern INVISIBLE = Pattern.compile("\\p{Cf}+");
    private static final Pattern SPACES = Pattern.compile("\\s+");

    private PromptNormalizer() {
    }

    public static String normalize(String text) {
        String folded = Normalizer.normalize(text, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
        String decomposed = Normalizer.normalize(folded, Normalizer.Form.NFD);
        String bare = MARKS.matcher(decomposed).replaceAll("");
        bare = INVISIBLE.matcher(bare).replaceAll("");
        // Recompose what is left (e.g. Hangul) so matching sees the same code points as the terms.
        bare = Normalizer.normalize(bare, Normalizer.Form.NFC);
        return SPACES.matcher(bare).replaceAll(" ").strip();
    }
}
