package io.steer4j.core.plan;

import io.steer4j.core.vector.ConceptSubspace;
import io.steer4j.core.vector.SteeringVector;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * Everything one generation should change: an ordered list of {@link Intervention}s (layer, hook point, vector,
 * strength, token scope, operator). Immutable; an empty plan is the plain model.
 *
 * <pre>{@code
 * SteeringPlan plan = SteeringPlan.of(happyVector, 4.0);                 // every layer the vector has
 * SteeringPlan two = SteeringPlan.builder()
 *     .add(Intervention.add(6, happy.direction(6), 4.0))
 *     .add(Intervention.add(8, formal.direction(8), 2.0))
 *     .build();
 * }</pre>
 */
public final class SteeringPlan {
    /** The plan that changes nothing. */
    public static final SteeringPlan NONE = new SteeringPlan(List.of());

    private final List<Intervention> interventions;

    private SteeringPlan(List<Intervention> interventions) {
        this.interventions = List.copyOf(interventions);
    }

    /** Adds {@code strength × vector} at every layer the vector has, at its hook point, on every token. */
    public static SteeringPlan of(SteeringVector vector, double strength) {
        return of(vector, strength, TokenScope.all());
    }

    /** Adds {@code strength × vector} at every layer the vector has, at its hook point, on {@code scope}. */
    public static SteeringPlan of(SteeringVector vector, double strength, TokenScope scope) {
        Builder b = builder();
        HookPoint point = HookPoint.parse(vector.metadata().hookPoint());
        for (int layer : vector.layers()) {
            b.add(new Intervention(layer, point, vector.direction(layer), strength, scope,
                    InterventionOperator.ADD, false));
        }
        return b.build();
    }

    /** Adds {@code strength × vector} at the given layers only. */
    public static SteeringPlan atLayers(SteeringVector vector, double strength, int... layers) {
        Builder b = builder();
        HookPoint point = HookPoint.parse(vector.metadata().hookPoint());
        for (int layer : layers) {
            if (!vector.hasLayer(layer)) {
                throw new IllegalArgumentException("the vector has no direction for layer " + layer
                        + "; it has " + vector.layers());
            }
            b.add(new Intervention(layer, point, vector.direction(layer), strength, TokenScope.all(),
                    InterventionOperator.ADD, false));
        }
        return b.build();
    }

    /**
     * Projects every token's activation at {@code point} of each of {@code layers} onto the orthogonal complement
     * of {@code subspace} (concept erasure): one {@link InterventionOperator#ABLATE} per basis direction, applied
     * in order; the directions being orthonormal, the result is exactly {@code x - Σ_k (x·b_k) b_k}
     * ({@link ConceptSubspace#erase}).
     *
     * @throws IllegalArgumentException if no layer is given
     */
    public static SteeringPlan projectingOut(ConceptSubspace subspace, HookPoint point, int... layers) {
        if (layers.length == 0) {
            throw new IllegalArgumentException("projectingOut needs at least one layer");
        }
        Builder b = builder();
        for (int layer : layers) {
            for (float[] direction : subspace.directions()) {
                b.add(new Intervention(layer, point, direction, 0.0, TokenScope.all(), InterventionOperator.ABLATE,
                        false));
            }
        }
        return b.build();
    }

    /**
     * @return an empty builder, for plans of several interventions
     */
    public static Builder builder() {
        return new Builder();
    }

    /** The interventions in the order they apply (several at one site apply in this order). */
    public List<Intervention> interventions() {
        return interventions;
    }

    /** True when the plan has no intervention that could change an activation. */
    public boolean isEmpty() {
        return interventions.stream().allMatch(Intervention::isNoOp);
    }

    /** Both plans' interventions, this one's first. */
    public SteeringPlan and(SteeringPlan other) {
        List<Intervention> all = new ArrayList<>(interventions);
        all.addAll(other.interventions);
        return new SteeringPlan(all);
    }

    /** Every strength multiplied by {@code factor}. */
    public SteeringPlan scaled(double factor) {
        List<Intervention> out = new ArrayList<>();
        for (Intervention i : interventions) {
            out.add(i.withStrength(i.strength() * factor));
        }
        return new SteeringPlan(out);
    }

    /** Every intervention restricted to {@code scope}. */
    public SteeringPlan withScope(TokenScope scope) {
        List<Intervention> out = new ArrayList<>();
        for (Intervention i : interventions) {
            out.add(i.withScope(scope));
        }
        return new SteeringPlan(out);
    }

    /** The highest layer touched, if any. */
    public OptionalInt maxLayer() {
        return interventions.stream().mapToInt(Intervention::layer).max();
    }

    /**
     * Checks the plan against a model's shape.
     *
     * @throws IllegalArgumentException naming the first intervention whose layer or hidden size does not fit
     */
    public void validate(int numLayers, int hiddenSize) {
        for (Intervention i : interventions) {
            if (i.layer() >= numLayers) {
                throw new IllegalArgumentException("intervention at layer " + i.layer() + " but the model has "
                        + numLayers + " layers (0.." + (numLayers - 1) + ")");
            }
            if (i.dimension() != hiddenSize) {
                throw new IllegalArgumentException("intervention at layer " + i.layer() + " has a vector of size "
                        + i.dimension() + " but the model's hidden size is " + hiddenSize);
            }
        }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("SteeringPlan[");
        for (int k = 0; k < interventions.size(); k++) {
            Intervention i = interventions.get(k);
            sb.append(k == 0 ? "" : ", ").append(i.operator().name().toLowerCase()).append('@').append(i.point())
                    .append(':').append(i.layer()).append(" x").append(i.strength()).append(' ').append(i.scope());
        }
        return sb.append(']').toString();
    }

    /** Collects interventions. */
    public static final class Builder {
        private final List<Intervention> list = new ArrayList<>();

        /**
         * Adds one intervention; they apply in the order added.
         *
         * @param i the intervention
         * @return this builder
         */
        public Builder add(Intervention i) {
            list.add(i);
            return this;
        }

        /** Adds every intervention of another plan. */
        public Builder addAll(SteeringPlan plan) {
            list.addAll(plan.interventions());
            return this;
        }

        /**
         * @return the plan of the interventions added so far
         */
        public SteeringPlan build() {
            return list.isEmpty() ? NONE : new SteeringPlan(list);
        }
    }
}
