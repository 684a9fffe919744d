package io.steer4j.core.chat.template;

import java.time.Duration;

/**
 * Bounds on one render of a {@link JinjaTemplate}, so that a hostile template (one downloaded with a model) can
 * neither hang the caller nor fill the heap. Every limit is checked before the value is built; exceeding one is a
 * {@link TemplateException} naming the limit.
 *
 * <pre>{@code
 * TemplateLimits limits = TemplateLimits.defaults().withRenderTime(Duration.ofSeconds(2));
 * }</pre>
 *
 * @param renderTime      wall-clock time one render may take
 * @param maxStringLength characters of any one string a template builds (including the output)
 * @param maxListLength   items of any one list, dict or range a template builds
 * @param maxRange        items {@code range()} may yield: Python's sandbox refuses more than 100,000 (MAX_RANGE)
 * @param maxAllocated    characters and items a render may build in all (bounds memory, since values can be kept)
 * @param maxDepth        nesting of macro calls and loops, and of template syntax
 */
public record TemplateLimits(Duration renderTime, int maxStringLength, int maxListLength, int maxRange,
                             long maxAllocated, int maxDepth) {
    /** Python's jinja2 sandbox MAX_RANGE. */
    public static final int PYTHON_MAX_RANGE = 100_000;

    /** Validates the limits. */
    public TemplateLimits {
        if (renderTime == null || renderTime.isNegative() || renderTime.isZero()) {
            throw new IllegalArgumentException("renderTime must be positive, got " + renderTime);
        }
        if (maxStringLength < 1 || maxListLength < 1 || maxRange < 0 || maxAllocated < 1 || maxDepth < 1) {
            throw new IllegalArgumentException("template limits must be positive");
        }
    }

    /**
     * Safe defaults for chat templates: 10 s, 16 Mi characters per string, 1 Mi items per list, Python's range
     * limit, 256 Mi characters or items built in all, depth 100.
     */
    public static TemplateLimits defaults() {
        return new TemplateLimits(Duration.ofSeconds(10), 16 << 20, 1 << 20, PYTHON_MAX_RANGE, 256L << 20, 100);
    }

    /** These limits with another render time. */
    public TemplateLimits withRenderTime(Duration time) {
        return new TemplateLimits(time, maxStringLength, maxListLength, maxRange, maxAllocated, maxDepth);
    }

    /** These limits with another string length cap. */
    public TemplateLimits withMaxStringLength(int chars) {
        return new TemplateLimits(renderTime, chars, maxListLength, maxRange, maxAllocated, maxDepth);
    }

    /** These limits with another list length cap. */
    public TemplateLimits withMaxListLength(int items) {
        return new TemplateLimits(renderTime, maxStringLength, items, maxRange, maxAllocated, maxDepth);
    }

    /** These limits with another range() cap. */
    public TemplateLimits withMaxRange(int items) {
        return new TemplateLimits(renderTime, maxStringLength, maxListLength, items, maxAllocated, maxDepth);
    }

    /** These limits with another total allocation cap. */
    public TemplateLimits withMaxAllocated(long charsOrItems) {
        return new TemplateLimits(renderTime, maxStringLength, maxListLength, maxRange, charsOrItems, maxDepth);
    }

    /** These limits with another nesting depth cap. */
    public TemplateLimits withMaxDepth(int depth) {
        return new TemplateLimits(renderTime, maxStringLength, maxListLength, maxRange, maxAllocated, depth);
    }
}
