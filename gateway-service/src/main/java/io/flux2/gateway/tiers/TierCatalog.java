package io.flux2.gateway.tiers;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.stereotype.Component;

/**
 * The configured tiers by route. A tier table that contradicts itself (two tiers on one route, a default
 * outside its own range) stops the service at start-up rather than surprising a client later.
 */
@Component
public class TierCatalog {

    private final Map<String, Tier> byRoute = new LinkedHashMap<>();
    private final Map<String, Tier> byName = new LinkedHashMap<>();

    public TierCatalog(TierProperties properties) {
        List<String> problems = new ArrayList<>();
        properties.tiers().forEach((name, definition) -> {
            Tier tier = Tier.of(name, definition);
            byName.put(name, tier);
            if (byRoute.putIfAbsent(tier.route(), tier) != null) {
                problems.add("route " + tier.route() + " is used by more than one tier");
            }
            check(name, "steps", tier.steps(), problems);
            check(name, "guidance", tier.guidance(), problems);
            if (tier.minSide() > tier.maxSide()) {
                problems.add(name + ": min-side is above max-side");
            }
        });
        if (byRoute.isEmpty()) {
            problems.add("no tiers configured under flux.gateway.tiers");
        }
        if (!problems.isEmpty()) {
            throw new IllegalStateException("Invalid tier table: " + String.join("; ", problems));
        }
    }

    private static void check(String tier, String field, TierProperties.Setting setting, List<String> problems) {
        if (!setting.adjustable()) {
            return;
        }
        if (setting.min() == null || setting.max() == null) {
            problems.add(tier + "." + field + ": an adjustable setting needs min and max");
        } else if (setting.defaultValue() < setting.min() || setting.defaultValue() > setting.max()) {
            problems.add(tier + "." + field + ": default lies outside [min, max]");
        }
    }

    public Optional<Tier> byRoute(String route) {
        return Optional.ofNullable(byRoute.get(route));
    }

    public Optional<Tier> byName(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    public Collection<Tier> all() {
        return byRoute.values();
    }
}
