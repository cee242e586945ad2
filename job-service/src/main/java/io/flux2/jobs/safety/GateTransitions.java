package io.flux2.jobs.safety;

import io.flux2.jobs.Job;
import io.flux2.jobs.JobStatus;
import io.flux2.jobs.JobsProperties;
import io.flux2.jobs.store.JobRows;
import io.flux2.jobs.store.Transitions;
import java.util.List;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.r2dbc.core.DatabaseClient.GenericExecuteSpec;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The verdicts of the safety gate, written onto the job. Each is guarded by the status the gate started
 * from, so when an inline attempt and the sweeper both decide, only the first verdict lands.
 */
@Component
class GateTransitions {

    private final Transitions transitions;
    private final JobRows rows;
    private final long retryDelayMs;
    private final DatabaseClient db;

    GateTransitions(Transitions transitions, JobRows rows, JobsProperties properties, DatabaseClient db) {
        this.transitions = transitions;
        this.rows = rows;
        this.db = db;
        this.retryDelayMs = properties.safety().retryDelay().toMillis();
    }

    Mono<Job> promptPassed(Job job, Decision decision) {
        return verdict(job, JobStatus.AWAITING_SAFETY, "status = 'QUEUED', available_at = now(), next_check_at = null",
                "PROMPT_PASSED", decision);
    }

    /**
     * {@link #promptPassed} for several jobs in one statement: each job that is still AWAITING_SAFETY moves to
     * QUEUED with a PROMPT_PASSED event carrying its own decision.
     */
    Flux<Job> promptsPassed(List<Job> jobs, List<Decision> decisions) {
        StringBuilder values = new StringBuilder();
        for (int i = 0; i < jobs.size(); i++) {
            values.append(i == 0 ? "" : ", ").append(
                    "(:id%1$d::uuid, :decisionId%1$d::text, :policyVersion%1$d::text, :reasons%1$d::jsonb)"
                            .formatted(i));
        }
        String sql = """
                with verdicts (id, decision_id, policy_version, reasons) as (values %s),
                changed as (
                    update jobs.jobs j set status = 'QUEUED', available_at = now(), next_check_at = null,
                                           updated_at = now()
                    from verdicts v
                    where j.id = v.id and j.status = 'AWAITING_SAFETY'
                    returning j.*, v.decision_id as v_decision_id, v.policy_version as v_policy_version,
                              v.reasons as v_reasons
                ), logged as (
                    insert into jobs.job_events (job_id, type, data)
                    select c.id, 'PROMPT_PASSED', jsonb_build_object('status', c.status, 'decisionId', c.v_decision_id,
                           'policyVersion', c.v_policy_version, 'reasons', c.v_reasons)
                    from changed c
                )
                select %s from changed c
                """.formatted(values, JobRows.columns("c"));
        GenericExecuteSpec spec = db.sql(sql);
        for (int i = 0; i < jobs.size(); i++) {
            Decision decision = decisions.get(i);
            spec = spec.bind("id" + i, jobs.get(i).id()).bind("reasons" + i, rows.toJson(decision.reasons()));
            spec = nullable(spec, "decisionId" + i, decision.decisionId());
            spec = nullable(spec, "policyVersion" + i, decision.policyVersion());
        }
        return spec.map(rows::toJob).all();
    }

    Mono<Job> requestModerated(Job job, Decision decision) {
        return verdict(job, JobStatus.AWAITING_SAFETY, "status = 'REQUEST_MODERATED', next_check_at = null, "
                + "details = jsonb_build_object('moderation_reasons', :reasons::jsonb)", "REQUEST_MODERATED", decision);
    }

    Mono<Job> outputPassed(Job job, Decision decision) {
        return verdict(job, JobStatus.CHECKING_OUTPUT, "status = 'READY', next_check_at = null",
                "OUTPUT_PASSED", decision);
    }

    /** The output stays recorded, and a check stays due, until {@link #outputDeleted} confirms it is gone. */
    Mono<Job> contentModerated(Job job, Decision decision) {
        return verdict(job, JobStatus.CHECKING_OUTPUT, "status = 'CONTENT_MODERATED', "
                + "details = jsonb_build_object('moderation_reasons', :reasons::jsonb), "
                + "next_check_at = now() + :retryDelayMs * interval '1 millisecond'", "CONTENT_MODERATED", decision);
    }

    Mono<Job> outputDeleted(Job job) {
        return transitions.applyOne("""
                        update jobs.jobs j set result = null, next_check_at = null, updated_at = now()
                        where j.id = :id and j.status = 'CONTENT_MODERATED' and j.result is not null
                        """,
                "'OUTPUT_DELETED'",
                "jsonb_build_object('status', c.status, 'assetId', :assetId::text)",
                spec -> spec.bind("id", job.id()).bind("assetId", job.result().assetId()));
    }

    /** A check that can never succeed (safety-service refused the question, the output is gone): ERROR. */
    Mono<Job> failed(Job job, String message) {
        return transitions.applyOne("""
                        update jobs.jobs j
                        set status = 'ERROR', details = jsonb_build_object('message', :message::text),
                            next_check_at = null, updated_at = now()
                        where j.id = :id and j.status = :from
                        """,
                "'FAILED'",
                "jsonb_build_object('status', c.status, 'message', :message::text)",
                spec -> spec.bind("id", job.id()).bind("from", job.status().name()).bind("message", message));
    }

    private Mono<Job> verdict(Job job, JobStatus from, String set, String event, Decision decision) {
        return transitions.applyOne("""
                        update jobs.jobs j set %s, updated_at = now()
                        where j.id = :id and j.status = :from
                        """.formatted(set),
                "'" + event + "'",
                "jsonb_build_object('status', c.status, 'decisionId', :decisionId::text, "
                        + "'policyVersion', :policyVersion::text, 'reasons', :reasons::jsonb)",
                spec -> {
                    var bound = spec.bind("id", job.id())
                            .bind("from", from.name())
                            .bind("reasons", rows.toJson(decision.reasons()));
                    bound = nullable(bound, "decisionId", decision.decisionId());
                    bound = nullable(bound, "policyVersion", decision.policyVersion());
                    return set.contains(":retryDelayMs") ? bound.bind("retryDelayMs", retryDelayMs) : bound;
                });
    }

    private static GenericExecuteSpec nullable(GenericExecuteSpec spec, String name, String value) {
        return value == null ? spec.bindNull(name, String.class) : spec.bind(name, value);
    }
}
