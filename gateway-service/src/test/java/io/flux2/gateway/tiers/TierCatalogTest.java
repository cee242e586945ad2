package io.flux2.gateway.tiers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flux2.gateway.tiers.TierProperties.Definition;
import io.flux2.gateway.tiers.TierProperties.Price;
import io.flux2.gateway.tiers.TierProperties.Setting;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TierCatalogTest {

    private static Definition tier(String route, Setting steps) {
        return new Definition(route, "tiny", 1, steps, new Setting(false, null, null, 1.0), 4.0, 64, 4096,
                1000, new Price(1, 1, null), null, null, null, null, null, null);
    }

    @Test
    void findsTiersByRoute() {
        var catalog = new TierCatalog(new TierProperties(Map.of("klein", tier("flux-2-klein-4b",
                new Setting(false, null, null, 4)))));
        assertThat(catalog.byRoute("flux-2-klein-4b")).get().extracting(Tier::name).isEqualTo("klein");
        assertThat(catalog.byRoute("flux-2-pro")).isEmpty();
    }

    @Test
    void refusesTwoTiersOnOneRoute() {
        Map<String, Definition> tiers = new LinkedHashMap<>();
        tiers.put("a", tier("flux-2-pro", new Setting(false, null, null, 4)));
        tiers.put("b", tier("flux-2-pro", new Setting(false, null, null, 4)));
        assertThatThrownBy(() -> new TierCatalog(new TierProperties(tiers)))
                .hasMessageContaining("route flux-2-pro is used by more than one tier");
    }

    @Test
    void refusesADefaultOutsideItsRange() {
        var properties = new TierProperties(Map.of("flex", tier("flux-2-flex", new Setting(true, 1.0, 50.0, 60))));
        assertThatThrownBy(() -> new TierCatalog(properties)).hasMessageContaining("flex.steps");
    }

    @Test
    void refusesAnAdjustableSettingWithoutBounds() {
        var properties = new TierProperties(Map.of("flex", tier("flux-2-flex", new Setting(true, null, 50.0, 20))));
        assertThatThrownBy(() -> new TierCatalog(properties)).hasMessageContaining("needs min and max");
    }
}
