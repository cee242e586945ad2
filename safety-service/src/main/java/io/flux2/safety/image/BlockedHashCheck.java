package io.flux2.safety.image;

import io.flux2.safety.SafetyProperties;
import io.flux2.safety.decisions.Verdict;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;

/**
 * Refuses images already known to be forbidden, at every tolerance: an exact sha256 match from configuration, of
 * the image checked or of a file a reference was made from.
 */
@Component
@Order(0)
public class BlockedHashCheck implements ImageCheck {

    static final String REASON = "known-blocked-image";

    private final Set<String> blocked;

    public BlockedHashCheck(SafetyProperties properties) {
        this.blocked = properties.image().blockedSha256().stream()
                .map(hash -> hash.strip().toLowerCase(Locale.ROOT))
                .collect(Collectors.toUnmodifiableSet());
    }

    @Override
    public Verdict check(CheckedImage image, int tolerance) {
        // A reference is stored re-encoded, so the files it was made from are what a blocklist can know.
        boolean known = blocked.contains(image.sha256()) || image.sourceSha256().stream()
                .anyMatch(source -> blocked.contains(source.strip().toLowerCase(Locale.ROOT)));
        return known ? Verdict.flag(List.of(REASON)) : Verdict.pass();
    }
}
