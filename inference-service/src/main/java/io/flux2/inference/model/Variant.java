package io.flux2.inference.model;

/** How a package's transformer is sampled; the pipeline reads this, never the package name. */
public enum Variant {
    /** Guidance-distilled: one forward per step with the guidance scalar fed to the graph. */
    DEV("dev"),
    /** Step- and guidance-distilled: one forward per step; the graph ignores the guidance input. */
    KLEIN("klein"),
    /** Undistilled: true classifier-free guidance against the empty prompt, two forwards per step. */
    KLEIN_BASE("klein-base");

    private final String manifestName;

    Variant(String manifestName) {
        this.manifestName = manifestName;
    }

    public String manifestName() {
        return manifestName;
    }

    public static Variant fromManifest(String name) {
        for (Variant variant : values()) {
            if (variant.manifestName.equals(name)) {
                return variant;
            }
        }
        throw new ModelPackageException("Unknown model variant '" + name + "'; expected dev, klein or klein-base");
    }
}
