package io.flux2.jobs.assets;

/** asset-service answered 404: the asset is gone, so asking again will not bring it back. */
public class AssetMissingException extends RuntimeException {

    public AssetMissingException(String assetId) {
        super("Asset " + assetId + " does not exist");
    }
}
