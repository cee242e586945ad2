package io.flux2.inference.pipeline;

/**
 * How reference images are checked and sized (research/flux2-model.md section 6, official {@code default_prep}).
 *
 * @param minSide    the shorter side must be at least this many pixels
 * @param maxAspect  longer side / shorter side at most this
 * @param areaSingle largest width x height of the only reference before it is scaled down (2024^2, sic)
 * @param areaMulti  the same with two or more references (1024^2)
 */
public record ReferenceRules(int minSide, double maxAspect, long areaSingle, long areaMulti) {

    public static final ReferenceRules FLUX2 = new ReferenceRules(64, 8.0, 2024L * 2024, 1024L * 1024);

    public ReferenceRules {
        if (minSide < TokenGrid.PIXELS_PER_TOKEN || maxAspect < 1 || areaSingle < 1 || areaMulti < 1) {
            throw new IllegalArgumentException("Reference rules out of range: min side " + minSide
                    + ", max aspect " + maxAspect + ", areas " + areaSingle + "/" + areaMulti);
        }
    }

    /** The area cap for a request with {@code count} references. */
    public long areaLimit(int count) {
        return count >= 2 ? areaMulti : areaSingle;
    }
}
