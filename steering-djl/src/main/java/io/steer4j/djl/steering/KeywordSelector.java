package io.steer4j.djl.steering;

import io.steer4j.core.plan.SteeringPlan;

import java.util.List;
import java.util.Locale;

/**
 * A rule on the prompt text: steer with {@code plan} when the prompt contains any keyword (case-insensitive),
 * otherwise use {@code otherwise}.
 *
 * <pre>{@code
 * PlanSelector s = new KeywordSelector(List.of("help", "how do i"), helpfulPlan, SteeringPlan.NONE);
 * }</pre>
 *
 * @param keywords  words or phrases that fire the rule
 * @param plan      plan when the rule fires
 * @param otherwise plan when it does not
 */
public record KeywordSelector(List<String> keywords, SteeringPlan plan, SteeringPlan otherwise) implements PlanSelector {
    /** Checks the arguments and copies the keywords. */
    public KeywordSelector {
        if (keywords == null || keywords.isEmpty()) {
            throw new IllegalArgumentException("a keyword rule needs at least one keyword");
        }
        keywords = keywords.stream().map(k -> k.toLowerCase(Locale.ROOT)).toList();
    }

    /** Whether the rule fires on {@code prompt}. */
    public boolean fires(String prompt) {
        String p = prompt.toLowerCase(Locale.ROOT);
        return keywords.stream().anyMatch(p::contains);
    }

    @Override
    public SteeringPlan select(String prompt) {
        return fires(prompt) ? plan : otherwise;
    }
}
