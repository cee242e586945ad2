package io.flux2.gateway.submit;

import io.flux2.common.units.Megapixels;
import io.flux2.common.problem.ApiProblem;
import io.flux2.gateway.keys.Caller;
import io.flux2.gateway.ratelimit.RateLimiter;
import io.flux2.gateway.tiers.Tier;
import io.flux2.gateway.upstream.AssetServiceClient;
import io.flux2.gateway.upstream.GenerationRequest;
import io.flux2.gateway.upstream.Job;
import io.flux2.gateway.upstream.JobServiceClient;
import io.flux2.gateway.upstream.NewJob;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * What every way of creating a job shares (BFL's {@code /v1}, {@code /v2/jobs}, replay, the OpenAI facade),
 * in this order: the tenant may use the tier (403), the key's rate limit (429), the references stored in
 * asset-service (their ids into the recipe, in order; a bad one is a 422 naming its field), the size from the
 * last reference when the request gave none, the price, then the job in job-service with the key's active-job
 * limit, the tenant's monthly spend cap and the idempotency fingerprint (its 429/402/409/422 pass through).
 */
@Component
public class JobSubmitter {

    private final RateLimiter rateLimiter;
    private final AssetServiceClient assets;
    private final JobServiceClient jobs;
    private final SubmitProperties rules;

    public JobSubmitter(RateLimiter rateLimiter, AssetServiceClient assets, JobServiceClient jobs,
            SubmitProperties rules) {
        this.rateLimiter = rateLimiter;
        this.assets = assets;
        this.jobs = jobs;
        this.rules = rules;
    }

    /** The client's {@code Idempotency-Key} and the sha256 of its canonical body, or {@link #NONE}. */
    public record Idempotency(String key, String requestHash) {
        public static final Idempotency NONE = new Idempotency(null, null);
    }

    /** A request with its references stored, its size resolved and its price known. */
    public record Prepared(ValidatedRequest valid, GenerationRequest generation, Pricing.Quote quote) {
    }

    /** The job job-service holds for the request, whether it was a replay, and what it costs. */
    public record Submitted(JobServiceClient.Created created, Pricing.Quote quote) {
    }

    public Mono<Submitted> submit(Caller caller, ValidatedRequest valid, Idempotency idempotency) {
        Tier tier = valid.tier();
        // Deferred: acquire() may take a held token as soon as it is called.
        // The spend cap goes with the job: job-service checks it against the month's spending under a lock of the
        // tenant's, so concurrent submits (on any replica) cannot pass it together.
        Mono<Submitted> fresh = Mono.defer(() -> rateLimiter.acquire(caller, tier))
                .then(Mono.defer(() -> prepare(caller, valid)))
                .flatMap(prepared -> jobs.create(new NewJob(caller.tenantId(), tier.name(), tier.model(),
                                tier.priority(), prepared.generation(), caller.keyId(),
                                rateLimiter.activeJobLimitFor(caller, tier), idempotency.key(),
                                idempotency.requestHash(), prepared.quote().cost(), valid.webhook(),
                                caller.tenant().monthlySpendCap()))
                        .map(created -> new Submitted(created, prepared.quote())));
        if (idempotency.key() == null) {
            return checkTier(caller, tier).then(fresh);
        }
        // A retry of a create that committed gets its job back: it neither spends the rate limit again nor meets
        // the spend cap, which would count the job it is asking about (a 402 would read as "nothing created").
        return checkTier(caller, tier)
                .then(Mono.defer(() -> jobs.replay(caller.tenantId(), idempotency.key(), idempotency.requestHash())))
                .flatMap(replayed -> storedQuote(caller, tier, replayed.job()).map(quote -> new Submitted(replayed, quote)))
                .switchIfEmpty(fresh);
    }

    /**
     * The price of a job already made, from what it stored: its size and the references it keeps as asset ids.
     * A replay does not fetch the client's reference URLs again (they may have expired since).
     */
    private Mono<Pricing.Quote> storedQuote(Caller caller, Tier tier, Job job) {
        GenerationRequest request = job.request();
        List<String> references = request.references() == null ? List.of() : request.references();
        return Flux.fromIterable(references)
                .concatMap(assetId -> assets.storeReference(caller.tenantId(), assetId, "input_image"))
                .map(JobSubmitter::size)
                .collectList()
                .map(sizes -> Pricing.quote(tier, request.width(), request.height(), sizes));
    }

    /** Everything but the job: for quotes. References are stored (deduplicated), so their ids can be reused. */
    public Mono<Prepared> quote(Caller caller, ValidatedRequest valid) {
        return checkTier(caller, valid.tier()).then(Mono.defer(() -> prepare(caller, valid)));
    }

    private static Mono<Void> checkTier(Caller caller, Tier tier) {
        if (caller.tenant().allows(tier.name())) {
            return Mono.empty();
        }
        // BFL answers 403 when a key lacks permission; the key is valid, the tier is not the tenant's.
        return Mono.error(new ApiProblem(HttpStatus.FORBIDDEN, "Forbidden",
                "This tenant may not use the " + tier.name() + " tier").with("tier", tier.name()));
    }

    private Mono<Prepared> prepare(Caller caller, ValidatedRequest valid) {
        return Flux.fromIterable(valid.references())
                // In order, one at a time: the model sees the references in the order the client gave them.
                .concatMap(ref -> assets.storeReference(caller.tenantId(), ref.source(), ref.field()))
                .collectList()
                .map(stored -> {
                    GenerationRequest generation = valid.generation();
                    List<Pricing.Size> sizes = stored.stream().map(JobSubmitter::size).toList();
                    if (!stored.isEmpty()) {
                        generation = generation.withReferences(stored.stream().map(AssetServiceClient.Asset::id).toList());
                    }
                    if (generation.width() == null || generation.height() == null) {
                        Pricing.Size last = sizes.isEmpty() ? new Pricing.Size(0, 0) : sizes.get(sizes.size() - 1);
                        Pricing.Size fitted = fit(last, valid.tier(), rules.sizeMultiple(), rules.defaultWidth(),
                                rules.defaultHeight());
                        generation = generation.withSize(fitted.width(), fitted.height());
                    }
                    Pricing.Quote quote = Pricing.quote(valid.tier(), generation.width(), generation.height(), sizes);
                    return new Prepared(valid, generation, quote);
                });
    }

    /** A stored reference's size; 0 x 0 when asset-service could not read it. */
    private static Pricing.Size size(AssetServiceClient.Asset asset) {
        return new Pricing.Size(asset.width() == null ? 0 : asset.width(), asset.height() == null ? 0 : asset.height());
    }

    /**
     * The output size for a request that named none but has references: the last reference's size, scaled
     * down (keeping its aspect ratio) to the tier's megapixels and longest side, each side floored to the size
     * multiple and kept at least the tier's shortest side. A reference of unknown size gives the default size.
     */
    static Pricing.Size fit(Pricing.Size reference, Tier tier, int multiple, int defaultWidth, int defaultHeight) {
        if (reference.width() <= 0 || reference.height() <= 0) {
            return new Pricing.Size(tier.defaultWidth() != null ? tier.defaultWidth() : defaultWidth,
                    tier.defaultHeight() != null ? tier.defaultHeight() : defaultHeight);
        }
        double w = reference.width();
        double h = reference.height();
        double scale = Math.min(1, Math.sqrt(Megapixels.toPixels(tier.maxMegapixels()) / (w * h)));
        scale = Math.min(scale, (double) tier.maxSide() / Math.max(w, h));
        int minSide = (int) Math.ceil((double) tier.minSide() / multiple) * multiple;
        int width = Math.max(minSide, (int) Math.floor(w * scale / multiple) * multiple);
        int height = Math.max(minSide, (int) Math.floor(h * scale / multiple) * multiple);
        return new Pricing.Size(width, height);
    }
}
