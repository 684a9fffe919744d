/**
 * Steering plans as data: where a forward pass is changed ({@link io.steer4j.core.plan.HookPoint} and layer), at
 * which tokens ({@link io.steer4j.core.plan.TokenScope}, {@link io.steer4j.core.plan.PositionRange}), and how
 * ({@link io.steer4j.core.plan.Intervention}: add, ablate, clamp, with a bounded
 * {@link io.steer4j.core.plan.SteeringStrength}), gathered in a {@link io.steer4j.core.plan.SteeringPlan}. No native
 * code: an engine (steering-djl) turns a plan into hooks on its forward pass.
 */
package io.steer4j.core.plan;
