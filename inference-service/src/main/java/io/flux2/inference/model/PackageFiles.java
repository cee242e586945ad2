package io.flux2.inference.model;

import java.util.List;

/** The file names of a format-1 model package (docs/model-package.md). */
public final class PackageFiles {

    public static final String MANIFEST = "model.json";
    public static final String TOKENIZER = "tokenizer.json";
    public static final String TEXT_ENCODER = "text_encoder.pt";
    public static final String TRANSFORMER = "transformer.pt";
    public static final String VAE_ENCODER = "vae_encoder.pt";
    public static final String VAE_DECODER = "vae_decoder.pt";
    public static final String CHECKSUMS = "checksums.sha256";

    /** Every file checksums.sha256 must vouch for. */
    public static final List<String> CHECKED = List.of(MANIFEST, TOKENIZER, TEXT_ENCODER, TRANSFORMER, VAE_ENCODER,
            VAE_DECODER);

    private PackageFiles() {
    }
}
