package io.flux2.inference.pipeline;

/** A request the pipeline cannot run as asked; retrying it unchanged cannot succeed. */
public class InvalidGenerationException extends IllegalArgumentException {

    private final String field;

    public InvalidGenerationException(String field, String message) {
        super(message);
        this.field = field;
    }

    public String field() {
        return field;
    }
}
