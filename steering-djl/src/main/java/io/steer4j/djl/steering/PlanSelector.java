package io.steer4j.djl.steering;

import io.steer4j.core.plan.SteeringPlan;

/**
 * Chooses the steering plan for one request (conditional steering). Must be thread-safe: a
 * {@link SteeredModel} calls it from every generating thread.
 *
 * <pre>{@code
 * PlanSelector s = prompt -> prompt.contains("insult") ? refusePlan : SteeringPlan.NONE;
 * }</pre>
 */
@FunctionalInterface
public interface PlanSelector {
    /** The plan for this prompt ({@link SteeringPlan#NONE} to leave the model unsteered). */
    SteeringPlan select(String prompt);
}
