package io.flux2.assets.api;

import io.flux2.assets.Asset;
import io.flux2.assets.AssetKind;
import io.flux2.assets.AssetProperties;
import io.flux2.assets.Assets;
import io.flux2.assets.ImageType;
import io.flux2.assets.PresignedUrl;
import io.flux2.assets.ReferenceSources;
import org.springframework.http.codec.multipart.FormFieldPart;
import org.springframework.http.codec.multipart.Part;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.server.ServerWebExchange;
import io.flux2.common.problem.ApiProblem;
import java.net.URI;
import java.time.Duration;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * {@code /internal/assets}, as {@code docs/internal-api.md} describes it. Reads and deletes take an optional
 * {@code tenantId}; when given, another tenant's asset is not found, so the gateway need not check it.
 */
@RestController
@RequestMapping("/internal/assets")
public class AssetController {

    /** A reference's content answer: the sha256 of each file it was made from, comma-separated. */
    public static final String SOURCE_SHA256 = "X-Source-Sha256";

    private static final int CHUNK = 64 * 1024;

    private final Assets assets;
    private final ReferenceSources sources;
    private final AssetProperties properties;

    public AssetController(Assets assets, ReferenceSources sources, AssetProperties properties) {
        this.assets = assets;
        this.sources = sources;
        this.properties = properties;
    }

    /**
     * Raw bytes. A reference is normalised and deduplicated (201 when new, 200 with the existing asset);
     * an output is checked and stored as it came, or, with {@code format}, encoded in that format with
     * provenance ({@code model}, {@code jobId}) written into the file.
     */
    @PostMapping
    public Mono<ResponseEntity<Asset>> upload(@RequestParam(required = false) String tenantId,
            @RequestParam(required = false) String kind, @RequestParam(required = false) String jobId,
            @RequestParam(required = false) String format, @RequestParam(required = false) String model,
            ServerHttpRequest request) {
        String tenant = UploadParameters.tenantId(tenantId);
        AssetKind assetKind = UploadParameters.kind(kind);
        String job = UploadParameters.jobId(jobId);
        if (assetKind == AssetKind.REFERENCE) {
            UploadParameters.referenceType(request.getHeaders().getContentType());
            return BoundedBody.read(request, properties.maxBytes())
                    .flatMap(bytes -> assets.storeReference(tenant, job, bytes))
                    .map(AssetController::answer);
        }
        ImageType type = UploadParameters.imageType(request.getHeaders().getContentType());
        ImageType outputFormat = UploadParameters.format(format);
        String modelName = UploadParameters.model(model);
        return BoundedBody.read(request, properties.maxBytes())
                .flatMap(bytes -> assets.storeOutput(tenant, job, type, bytes, outputFormat, modelName))
                .map(asset -> ResponseEntity.created(URI.create("/internal/assets/" + asset.id())).body(asset));
    }

    /** {@code {tenantId, source, jobId}}: source is an http(s) URL, a data URI, base64 or an asset id. */
    @PostMapping(path = "/references", consumes = MediaType.APPLICATION_JSON_VALUE)
    public Mono<ResponseEntity<Asset>> reference(@RequestBody ReferenceRequest body) {
        String tenant = UploadParameters.tenantId(body.tenantId());
        String job = UploadParameters.jobId(body.jobId());
        return sources.store(tenant, job, body.source()).map(AssetController::answer);
    }

    /** Multipart: a {@code file} part, and {@code tenantId} (and {@code jobId}) as parts or query parameters. */
    @PostMapping(path = "/references", consumes = MediaType.MULTIPART_FORM_DATA_VALUE)
    public Mono<ResponseEntity<Asset>> multipart(@RequestParam(required = false) String tenantId,
            @RequestParam(required = false) String jobId, ServerWebExchange exchange) {
        return exchange.getMultipartData().flatMap(parts -> {
            String tenant = UploadParameters.tenantId(tenantId != null ? tenantId : field(parts.getFirst("tenantId")));
            String job = UploadParameters.jobId(jobId != null ? jobId : field(parts.getFirst("jobId")));
            Part file = parts.getFirst("file");
            if (file == null) {
                return Mono.error(ApiProblem.invalidField("file", "The multipart body needs a file part"));
            }
            return BoundedBody.read(file.content(), properties.maxBytes(), "file")
                    .flatMap(bytes -> assets.storeReference(tenant, job, bytes));
        }).map(AssetController::answer);
    }

    private static String field(Part part) {
        return part instanceof FormFieldPart form ? form.value() : null;
    }

    private static ResponseEntity<Asset> answer(Assets.Stored stored) {
        Asset asset = stored.asset();
        return stored.created()
                ? ResponseEntity.created(URI.create("/internal/assets/" + asset.id())).body(asset)
                : ResponseEntity.ok(asset);
    }

    public record ReferenceRequest(String tenantId, String source, String jobId) {
    }

    @GetMapping("/{id}")
    public Mono<Asset> get(@PathVariable String id, @RequestParam(required = false) String tenantId) {
        return assets.find(UploadParameters.assetId(id), tenantId);
    }

    @GetMapping("/{id}/content")
    public Mono<ResponseEntity<Flux<DataBuffer>>> content(@PathVariable String id,
            @RequestParam(required = false) String tenantId, ServerHttpResponse response) {
        return assets.content(UploadParameters.assetId(id), tenantId).map(content -> {
            Asset asset = content.asset();
            // The MinIO stream is blocking, so it is read off the event loop; it is closed when the body ends.
            Flux<DataBuffer> body = DataBufferUtils
                    .readInputStream(content::bytes, response.bufferFactory(), CHUNK)
                    .subscribeOn(Schedulers.boundedElastic());
            var answer = ResponseEntity.ok();
            if (!content.sourceSha256().isEmpty()) {
                answer.header(SOURCE_SHA256, String.join(",", content.sourceSha256()));
            }
            return answer
                    .contentType(MediaType.parseMediaType(asset.contentType()))
                    .contentLength(asset.size())
                    .eTag(asset.sha256())
                    // An asset's bytes never change: the id names them for good.
                    .cacheControl(CacheControl.maxAge(Duration.ofDays(365)).cachePrivate().immutable())
                    .body(body);
        });
    }

    @GetMapping("/{id}/url")
    public Mono<PresignedUrl> url(@PathVariable String id, @RequestParam(required = false) Long ttlSeconds,
            @RequestParam(required = false) String tenantId) {
        return assets.presign(UploadParameters.assetId(id), tenantId, ttl(ttlSeconds));
    }

    @DeleteMapping("/{id}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    public Mono<Void> delete(@PathVariable String id, @RequestParam(required = false) String tenantId) {
        return assets.delete(UploadParameters.assetId(id), tenantId);
    }

    private Duration ttl(Long ttlSeconds) {
        if (ttlSeconds == null) {
            return properties.urlTtl();
        }
        long max = properties.maxUrlTtl().toSeconds();
        if (ttlSeconds < 1 || ttlSeconds > max) {
            throw ApiProblem.outOfRange("ttlSeconds", max, "ttlSeconds must be between 1 and " + max);
        }
        return Duration.ofSeconds(ttlSeconds);
    }
}
