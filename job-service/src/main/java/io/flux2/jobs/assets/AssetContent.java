package io.flux2.jobs.assets;

/** The bytes of a stored asset and their media type. */
/** @param sourceSha256 for a reference, the sha256 of each file it was made from (asset-service's X-Source-Sha256) */
public record AssetContent(byte[] bytes, String contentType, java.util.List<String> sourceSha256) {
}
