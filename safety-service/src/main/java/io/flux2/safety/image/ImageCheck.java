package io.flux2.safety.image;

import io.flux2.safety.decisions.Verdict;

/**
 * One way of judging an image. Every bean of this type runs on every image and any flag wins, so a
 * classifier can be added beside the hash blocklist without touching the endpoint.
 */
public interface ImageCheck {

    Verdict check(CheckedImage image, int tolerance);

    /**
     * The image under check, with what every check would otherwise compute again.
     *
     * @param sourceSha256 the sha256 of the files a re-encoded reference was made from, as the client sent them
     */
    record CheckedImage(byte[] bytes, ImageFormat format, String sha256, java.util.List<String> sourceSha256) {
    }
}
