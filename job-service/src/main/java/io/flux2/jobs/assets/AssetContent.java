package io.flux2.jobs.assets;

/** The bytes of a stored asset and their media type. */
public record AssetContent(byte[] bytes, String contentType) {
}
