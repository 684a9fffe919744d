package io.steer4j.djl.hub;

import java.util.Objects;

/**
 * Thrown when a model reference cannot be turned into a usable local model folder.
 *
 * <p>It is unchecked: resolution usually happens once at start-up, where the caller can do little
 * but report the message, which always names the reference and says how to fix the problem. Code
 * that wants to react (retry on network failure, prompt for a token) can switch on {@link #reason()};
 * the underlying {@link java.io.IOException}, if any, is kept as the cause.
 *
 * <pre>{@code
 * try {
 *     Path folder = resolver.resolve("meta-llama/Llama-3.2-1B");
 * } catch (ModelResolutionException e) {
 *     if (e.reason() == ModelResolutionException.Reason.AUTHENTICATION_REQUIRED) {
 *         System.err.println("Set HF_TOKEN: " + e.getMessage());
 *     }
 * }
 * }</pre>
 */
public final class ModelResolutionException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Why a reference could not be resolved. */
    public enum Reason {
        /** The reference is neither an existing folder nor a syntactically valid repo id. */
        INVALID_REFERENCE,
        /** A path-like reference names a folder that does not exist (or is not a folder). */
        LOCAL_PATH_NOT_FOUND,
        /** The model is not (completely) in the cache and downloads are disabled (offline mode). */
        NOT_CACHED_OFFLINE,
        /** The hub does not know the repository or revision (HTTP 404, or 401 "RepositoryNotFound"). */
        REPOSITORY_NOT_FOUND,
        /** The hub requires a token: gated or private repository (HTTP 401). */
        AUTHENTICATION_REQUIRED,
        /** The token was rejected or has no access, e.g. conditions of a gated model not accepted (HTTP 403). */
        ACCESS_DENIED,
        /** The repository exists but lacks files steer4j needs (safetensors weights, tokenizer). */
        UNSUPPORTED_REPOSITORY,
        /** The hub could not be reached or the transfer failed, after retries. */
        NETWORK,
        /** The local cache could not be read or written (permissions, disk full, corrupt download). */
        IO,
        /**
         * The configured access token cannot be sent in an HTTP header (it holds a control, space or non-ASCII
         * character, often a pasted line break); the message says where it came from but never shows it.
         */
        INVALID_TOKEN,
        /**
         * The hub or a mirror answered with something steer4j refuses to follow or store: a redirect to another
         * scheme or from https to http, a malformed redirect, a file name leaving the snapshot, or a body larger
         * than declared (or weights with no declared size at all). Retrying does not help; the endpoint is
         * misconfigured or hostile.
         */
        UNSAFE_RESPONSE
    }

    /** The category of the failure. */
    private final Reason reason;
    /** The reference that failed, as given. */
    private final String modelRef;

    ModelResolutionException(Reason reason, String modelRef, String message) {
        this(reason, modelRef, message, null);
    }

    ModelResolutionException(Reason reason, String modelRef, String message, Throwable cause) {
        super(io.steer4j.core.format.MessageLimit.cap(message), cause);
        this.reason = Objects.requireNonNull(reason, "reason");
        this.modelRef = modelRef;
    }

    /** @return the category of the failure, never {@code null} */
    public Reason reason() {
        return reason;
    }

    /** @return the model reference as passed to {@link ModelResolver#resolve(String)} */
    public String modelRef() {
        return modelRef;
    }
}
