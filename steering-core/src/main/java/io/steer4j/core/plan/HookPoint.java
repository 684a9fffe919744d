package io.steer4j.core.plan;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * A place in a transformer block where the residual stream (or a sub-layer output) can be read or changed.
 *
 * <p>For block {@code L} (0-based): {@link #RESID_PRE} is the residual stream entering the block, {@link #ATTN_OUT}
 * the attention sub-layer's output before it is added to the stream, {@link #MLP_OUT} the MLP's output before it
 * is added, and {@link #RESID_POST} the stream leaving the block. {@code resid_pre(L) == resid_post(L - 1)}.
 *
 * <pre>{@code
 * HookPoint p = HookPoint.parse("resid_post");   // RESID_POST
 * String id = p.id();                             // "resid_post", as written in vector files
 * }</pre>
 */
public enum HookPoint {
    /** Residual stream entering a block. */
    RESID_PRE("resid_pre"),
    /** Residual stream leaving a block (what repeng and llama.cpp control vectors steer). */
    RESID_POST("resid_post"),
    /** Output of the attention sub-layer, before the residual add. */
    ATTN_OUT("attn_out"),
    /** Output of the MLP sub-layer, before the residual add. */
    MLP_OUT("mlp_out");

    private final String id;

    HookPoint(String id) {
        this.id = id;
    }

    /** The stable lower-case id used in files and on the command line, e.g. {@code "resid_post"}. */
    public String id() {
        return id;
    }

    /**
     * Parses an id such as {@code "resid_post"} (exact, lower-case).
     *
     * @throws IllegalArgumentException naming the unknown id and listing the valid ones
     */
    public static HookPoint parse(String id) {
        for (HookPoint p : values()) {
            if (p.id.equals(id)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown hook point '" + id + "'; valid ids: "
                + Arrays.stream(values()).map(HookPoint::id).collect(Collectors.joining(", ")));
    }

    @Override
    public String toString() {
        return id;
    }
}
