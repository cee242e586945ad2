package io.flux2.inference.model;

/** A model package that cannot be used: missing files, a bad manifest, a checksum mismatch, a graph DJL refuses. */
public class ModelPackageException extends RuntimeException {

    public ModelPackageException(String message) {
        super(message);
    }

    public ModelPackageException(String message, Throwable cause) {
        super(message, cause);
    }
}
