package io.flux2.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.flux2.gateway.keys.ApiKeyFormat;
import io.flux2.gateway.keys.ApiKeyStore;
import io.flux2.gateway.keys.BootstrapKeyInstaller;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;

class AuthenticationTest extends GatewayTestBase {

    @Autowired
    ApiKeyStore store;
    @Autowired
    BootstrapKeyInstaller installer;
    @Autowired
    DatabaseClient db;

    @Test
    void submitWithoutKeyIsUnauthorized() {
        int before = SERVICES.received("POST", "/internal/jobs").size();
        submit("flux-2-pro", prompt("a fox"), null)
                .expectStatus().isUnauthorized()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody().jsonPath("$.status").isEqualTo(401).jsonPath("$.detail").exists();
        assertThat(SERVICES.received("POST", "/internal/jobs")).hasSize(before);
    }

    @Test
    void wrongSecretUnknownPrefixAndMalformedKeysAreUnauthorized() {
        for (String key : new String[] {"flx_testboot_wrong-secret", "flx_nosuchpf_bootstrap-secret-0001",
                "not-a-key", "Bearer " + BOOTSTRAP_KEY}) {
            submit("flux-2-pro", prompt("a fox"), key)
                    .expectStatus().isUnauthorized()
                    .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON);
            getResult("some-id", key).expectStatus().isUnauthorized();
        }
    }

    @Test
    void getResultWithoutKeyIsUnauthorized() {
        getResult("some-id", null).expectStatus().isUnauthorized()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON);
    }

    @Test
    void bootstrapKeyAuthenticates() {
        getResult("no-such-job", BOOTSTRAP_KEY).expectStatus().isOk()
                .expectBody().jsonPath("$.status").isEqualTo("Task not found");
    }

    @Test
    void bootstrapKeyIsStoredHashedOnceAcrossRestarts() {
        installer.afterSingletonsInstantiated();
        installer.afterSingletonsInstantiated();
        var rows = db.sql("select tenant_id, key_hash from gateway.api_keys where prefix = 'testboot'")
                .fetch().all().collectList().block();
        assertThat(rows).hasSize(1);
        assertThat(rows.get(0)).containsEntry("tenant_id", TENANT)
                .containsEntry("key_hash", ApiKeyFormat.sha256Hex(BOOTSTRAP_KEY));
    }

    @Test
    void revokedKeyIsUnauthorized() {
        String key = "flx_revoked1_some-secret";
        store.insertIfAbsent("tenant-r", "revoked1", ApiKeyFormat.sha256Hex(key), "to revoke").block();
        getResult("x", key).expectStatus().isOk();
        store.revoke("revoked1").block();
        getResult("x", key).expectStatus().isUnauthorized();
    }

    /** As another replica's revocation reaches this one: only through the database and its notification. */
    @Test
    void aKeyRevokedElsewhereIsRefusedAsSoonAsTheChangeIsAnnounced() throws InterruptedException {
        String key = "flx_revoked2_some-secret";
        store.insertIfAbsent("tenant-r", "revoked2", ApiKeyFormat.sha256Hex(key), "to revoke").block();
        getResult("x", key).expectStatus().isOk();
        getResult("x", key).expectStatus().isOk();
        db.sql("update gateway.api_keys set revoked_at = now() where prefix = 'revoked2'").then().block();
        long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        int status = 200;
        while (status != 401 && System.nanoTime() < deadline) {
            status = getResult("x", key).returnResult(String.class).getStatus().value();
            if (status != 401) {
                Thread.sleep(10);
            }
        }
        assertThat(status).isEqualTo(401);
    }
}
