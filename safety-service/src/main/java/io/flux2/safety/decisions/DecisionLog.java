package io.flux2.safety.decisions;

import io.flux2.safety.SafetyProperties;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * Records every decision before it is answered, so no caller acts on a decision that left no trace. Only
 * the input's hash is kept: the log must not become a store of the very prompts and images it refused.
 */
@Component
public class DecisionLog {

    private final DatabaseClient db;
    private final JsonMapper json;
    private final String policyVersion;

    public DecisionLog(DatabaseClient db, JsonMapper json, SafetyProperties properties) {
        this.db = db;
        this.json = json;
        this.policyVersion = properties.policyVersion();
    }

    public Mono<Decision> record(String subject, CheckKind kind, String inputSha256, int tolerance, Verdict verdict) {
        return record(subject, kind, inputSha256, new CheckParameters.Tolerance(tolerance, tolerance, null), verdict);
    }

    public Mono<Decision> record(String subject, CheckKind kind, String inputSha256, CheckParameters.Tolerance tolerance,
            Verdict verdict) {
        UUID id = UUID.randomUUID();
        var insert = db.sql("""
                        insert into safety.decisions
                            (id, subject, kind, input_sha256, flagged, reasons, policy_version, tolerance, created_at,
                             scores, tier, requested_tolerance)
                        values (:id, :subject, :kind, :sha, :flagged, cast(:reasons as jsonb), :policy, :tolerance, :at,
                                cast(:scores as jsonb), :tier, :requested)
                        """)
                .bind("id", id)
                .bind("subject", subject)
                .bind("kind", kind.column())
                .bind("sha", inputSha256)
                .bind("flagged", verdict.flagged())
                .bind("reasons", json.writeValueAsString(verdict.reasons()))
                .bind("policy", policyVersion)
                .bind("tolerance", tolerance.effective())
                .bind("at", Instant.now().atOffset(ZoneOffset.UTC))
                .bind("scores", json.writeValueAsString(verdict.scores()))
                .bind("requested", tolerance.requested());
        insert = tolerance.tier() == null ? insert.bindNull("tier", String.class) : insert.bind("tier", tolerance.tier());
        return insert.then()
                .thenReturn(Decision.of(id, verdict, policyVersion, tolerance.effective()));
    }

    /** One of several decisions recorded together. */
    public record Pending(String subject, CheckKind kind, String inputSha256, CheckParameters.Tolerance tolerance,
            Verdict verdict) {
    }

    /**
     * Records several decisions in one statement, in order; answered only once all of them are stored, so a
     * batch of checks costs one round trip to the database instead of one per check.
     */
    public Mono<List<Decision>> recordAll(List<Pending> pending) {
        if (pending.isEmpty()) {
            return Mono.just(List.of());
        }
        StringBuilder sql = new StringBuilder("""
                insert into safety.decisions
                    (id, subject, kind, input_sha256, flagged, reasons, policy_version, tolerance, created_at,
                     scores, tier, requested_tolerance)
                values\s""");
        for (int i = 0; i < pending.size(); i++) {
            sql.append(i == 0 ? "" : ", ").append("""
                    (:id%1$d, :subject%1$d, :kind%1$d, :sha%1$d, :flagged%1$d, cast(:reasons%1$d as jsonb), :policy,
                     :tolerance%1$d, :at, cast(:scores%1$d as jsonb), :tier%1$d, :requested%1$d)""".formatted(i));
        }
        var insert = db.sql(sql.toString())
                .bind("policy", policyVersion)
                .bind("at", Instant.now().atOffset(ZoneOffset.UTC));
        List<Decision> decisions = new ArrayList<>(pending.size());
        for (int i = 0; i < pending.size(); i++) {
            Pending p = pending.get(i);
            UUID id = UUID.randomUUID();
            insert = insert.bind("id" + i, id)
                    .bind("subject" + i, p.subject())
                    .bind("kind" + i, p.kind().column())
                    .bind("sha" + i, p.inputSha256())
                    .bind("flagged" + i, p.verdict().flagged())
                    .bind("reasons" + i, json.writeValueAsString(p.verdict().reasons()))
                    .bind("tolerance" + i, p.tolerance().effective())
                    .bind("scores" + i, json.writeValueAsString(p.verdict().scores()))
                    .bind("requested" + i, p.tolerance().requested());
            insert = p.tolerance().tier() == null ? insert.bindNull("tier" + i, String.class)
                    : insert.bind("tier" + i, p.tolerance().tier());
            decisions.add(Decision.of(id, p.verdict(), policyVersion, p.tolerance().effective()));
        }
        return insert.then().thenReturn(List.copyOf(decisions));
    }
}
