package io.flux2.safety.prompt;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Folds the usual disguises of a word onto its plain spelling before matching:
 * <ul>
 *   <li>full-width and other compatibility forms (NFKC), case, accents and other combining marks, invisible
 *   format characters (zero-width spaces and joiners split a word without showing);</li>
 *   <li>confusable letters: Cyrillic and Greek look-alikes of Latin letters ({@code а}, {@code е}, {@code о},
 *   {@code р}, {@code с}, {@code ο}, {@code ν}, ...);</li>
 *   <li>leetspeak inside words that also hold letters ({@code 0→o 1→i|l 3→e 4→a 5→s 7→t @→a $→s !→i});</li>
 *   <li>spacing tricks: three or more single characters split by spaces, dots, dashes, underscores or stars
 *   ({@code "b a d"}, {@code "b.a.d"}) are joined;</li>
 *   <li>letters repeated three or more times ({@code "baaaad"}).</li>
 * </ul>
 * {@link #variants} gives every reading; a term found in any of them counts. Punctuation becomes a space, so
 * terms still only match as whole words.
 */
public final class PromptNormalizer {

    private static final Pattern MARKS = Pattern.compile("\\p{M}+");
    // Format and control characters, and the blank letters that render as nothing: the Hangul fillers (U+3164
    // and U+FFA0 become U+1160 under NFKC) and the blank braille pattern.
    private static final Pattern INVISIBLE =
            Pattern.compile("[[\\p{Cf}\\p{Cc}\\u115F\\u1160\\u3164\\uFFA0\\u2800]&&[^\\s]]+");
    private static final Pattern SPACES = Pattern.compile("\\s+");
    private static final Pattern NOT_WORD = Pattern.compile("[^\\p{L}\\p{N}]+");
    private static final String SINGLE = "[\\p{L}\\p{N}@$!]";
    private static final String SEP = "[._*~\\-/\\\\+|,:;'`^=]+";
    private static final Pattern SPELLED_OUT = Pattern.compile("(?:" + SEP + ")?(?:" + SINGLE + SEP + ")+" + SINGLE + "(?:" + SEP + ")?");
    private static final Pattern INNER_SEPARATORS = Pattern.compile(SEP);
    private static final Pattern REPEATS_3 = Pattern.compile("(\\p{L})\\1{2,}");
    private static final Map<Character, Character> CONFUSABLES = confusables();
    private static final String LEET = "013457@$!";

    private PromptNormalizer() {
    }

    /** The plain reading: folded, confusables mapped, punctuation as spaces, runs of white space as one. */
    public static String normalize(String text) {
        return words(fold(text));
    }

    /** Every reading of the text that matching should look at; the first is {@link #normalize}. */
    public static List<String> variants(String text) {
        String folded = fold(text);
        Set<String> out = new LinkedHashSet<>();
        for (String reading : List.of(folded, joinSingles(folded, false), joinSingles(folded, true))) {
            for (String candidate : List.of(reading, leet(reading, 'i'), leet(reading, 'l'))) {
                String words = words(candidate);
                out.add(words);
                out.add(REPEATS_3.matcher(words).replaceAll("$1"));
                out.add(REPEATS_3.matcher(words).replaceAll("$1$1"));
            }
        }
        return new ArrayList<>(out);
    }

    static String fold(String text) {
        String folded = Normalizer.normalize(text, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
        String decomposed = Normalizer.normalize(folded, Normalizer.Form.NFD);
        String bare = MARKS.matcher(decomposed).replaceAll("");
        bare = INVISIBLE.matcher(bare).replaceAll("");
        // Recompose what is left (e.g. Hangul) so matching sees the same code points as the terms.
        bare = Normalizer.normalize(bare, Normalizer.Form.NFC);
        StringBuilder mapped = new StringBuilder(bare.length());
        for (int i = 0; i < bare.length(); i++) {
            char c = bare.charAt(i);
            mapped.append(CONFUSABLES.getOrDefault(c, c));
        }
        return SPACES.matcher(mapped).replaceAll(" ").strip();
    }

    private static String words(String text) {
        return SPACES.matcher(NOT_WORD.matcher(text).replaceAll(" ")).replaceAll(" ").strip();
    }

    /** Leetspeak, only in tokens that also hold a letter, so plain numbers stay numbers. */
    static String leet(String text, char one) {
        String[] tokens = text.split(" ", -1);
        StringBuilder out = new StringBuilder(text.length());
        for (int t = 0; t < tokens.length; t++) {
            String token = tokens[t];
            if (t > 0) {
                out.append(' ');
            }
            boolean hasLetter = token.chars().anyMatch(Character::isLetter);
            boolean hasLeet = token.chars().anyMatch(c -> LEET.indexOf(c) >= 0);
            if (!hasLetter || !hasLeet) {
                out.append(token);
                continue;
            }
            // Trailing exclamation marks stay punctuation: "kill!" is "kill", not "killi".
            int end = token.length();
            while (end > 0 && token.charAt(end - 1) == '!') {
                end--;
            }
            for (int i = 0; i < token.length(); i++) {
                char c = token.charAt(i);
                if (i >= end) {
                    out.append(c);
                    continue;
                }
                out.append(switch (c) {
                    case '0' -> 'o';
                    case '1' -> one;
                    case '3' -> 'e';
                    case '4', '@' -> 'a';
                    case '5', '$' -> 's';
                    case '7' -> 't';
                    case '!' -> 'i';
                    default -> c;
                });
            }
        }
        return out.toString();
    }

    /**
     * Undoes spacing tricks: a word spelled with separators between its letters ({@code "p.0.r.n"},
     * {@code "b-a-d"}) is joined, and so is a run of three or more single characters split by spaces
     * ({@code "p o r n"}).
     *
     * @param detachArticles keep a leading "a" or "i" of a spaced run as its own word ("a n u d e" is "a nude")
     */
    static String joinSingles(String text, boolean detachArticles) {
        String[] tokens = text.split(" ");
        List<String> words = new ArrayList<>(tokens.length);
        for (String token : tokens) {
            words.add(SPELLED_OUT.matcher(token).matches() ? INNER_SEPARATORS.matcher(token).replaceAll("") : token);
        }
        StringBuilder out = new StringBuilder(text.length());
        int i = 0;
        while (i < words.size()) {
            int j = i;
            while (j < words.size() && isSingle(words.get(j))) {
                j++;
            }
            int start = i;
            if (detachArticles && j - i >= 4 && (words.get(i).equals("a") || words.get(i).equals("i"))) {
                append(out, words.get(i));
                start = i + 1;
            }
            if (j - start >= 3) {
                append(out, String.join("", words.subList(start, j)));
                i = j;
            } else if (j > i) {
                for (int k = start; k < j; k++) {
                    append(out, words.get(k));
                }
                i = j;
            } else {
                append(out, words.get(i));
                i++;
            }
        }
        return out.toString();
    }

    private static boolean isSingle(String word) {
        return word.codePointCount(0, word.length()) == 1
                && (Character.isLetterOrDigit(word.codePointAt(0)) || LEET.indexOf(word.charAt(0)) >= 0);
    }

    private static void append(StringBuilder out, String word) {
        if (!out.isEmpty()) {
            out.append(' ');
        }
        out.append(word);
    }

    private static Map<Character, Character> confusables() {
        char[] pairs = {
                'а', 'a',
                'е', 'e',
                'ё', 'e',
                'к', 'k',
                'м', 'm',
                'н', 'h',
                'о', 'o',
                'р', 'p',
                'с', 'c',
                'і', 'i',
                'ї', 'i',
                'т', 't',
                'у', 'y',
                'х', 'x',
                'ѕ', 's',
                'ј', 'j',
                'ԁ', 'd',
                'һ', 'h',
                'ӏ', 'l',
                'г', 'r',
                'п', 'n',
                'ь', 'b',
                'в', 'b',
                'ԛ', 'q',
                'ԝ', 'w',
                'ɡ', 'g',
                'α', 'a',
                'β', 'b',
                'γ', 'y',
                'δ', 'd',
                'ε', 'e',
                'η', 'n',
                'ι', 'i',
                'κ', 'k',
                'ν', 'v',
                'ο', 'o',
                'ρ', 'p',
                'τ', 't',
                'υ', 'u',
                'χ', 'x',
                'ω', 'w',
                'ς', 's',
                'ζ', 'z',
                'μ', 'u',
                'օ', 'o',
                'ս', 'u',
                'ı', 'i',
                'ł', 'l',
                'ø', 'o',
                'ƅ', 'b',
                'ɑ', 'a',
                'ɩ', 'i',
                'ʋ', 'u'
        };
        Map<Character, Character> map = new java.util.HashMap<>();
        for (int i = 0; i + 1 < pairs.length; i += 2) {
            map.put(pairs[i], pairs[i + 1]);
        }
        return Map.copyOf(map);
    }
}
