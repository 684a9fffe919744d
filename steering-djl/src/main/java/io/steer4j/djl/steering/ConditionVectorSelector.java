package io.steer4j.djl.steering;

import io.steer4j.core.plan.HookPoint;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.djl.model.LanguageModel;

import java.util.List;
import java.util.Map;

/**
 * Conditional activation steering: steer only when the prompt's hidden state points along a condition direction.
 *
 * <p>The prompt runs once through the model up to {@code layer}; its residual stream there is averaged over the
 * prompt's tokens into {@code h}, and the similarity {@code cos(h, c)} with the condition vector {@code c} is
 * compared with {@code threshold}. When it exceeds the threshold the selector returns {@code plan}, otherwise
 * {@code otherwise}. (This follows IBM's conditional activation steering, which compares the similarity between
 * a hidden state and its projection on a condition vector with a threshold; for a single direction the two
 * differ only by sign, which the search below learns.) Use {@link ConditionSearch} to choose the layer, the
 * direction and the threshold from examples.
 *
 * <pre>{@code
 * ConditionSearch.Result r = ConditionSearch.search(model, insultPrompts, benignPrompts, List.of(2, 4, 6, 8));
 * PlanSelector s = r.selector(model, refusePlan, SteeringPlan.NONE);
 * }</pre>
 */
public final class ConditionVectorSelector implements PlanSelector {
    private final LanguageModel model;
    private final int layer;
    private final float[] condition;
    private final double threshold;
    private final SteeringPlan plan;
    private final SteeringPlan otherwise;

    /**
     * @throws IllegalArgumentException when the layer is out of range or the condition's size differs from the model's
     */
    public ConditionVectorSelector(LanguageModel model, int layer, float[] condition, double threshold,
                                   SteeringPlan plan, SteeringPlan otherwise) {
        if (layer < 0 || layer >= model.numLayers()) {
            throw new IllegalArgumentException("condition layer " + layer + " is out of range (0.."
                    + (model.numLayers() - 1) + ")");
        }
        if (condition.length != model.hiddenSize()) {
            throw new IllegalArgumentException("condition vector has size " + condition.length
                    + " but the model's hidden size is " + model.hiddenSize());
        }
        if (!Double.isFinite(threshold)) {
            throw new IllegalArgumentException("threshold must be finite, got " + threshold);
        }
        this.model = model;
        this.layer = layer;
        this.condition = condition.clone();
        this.threshold = threshold;
        this.plan = plan;
        this.otherwise = otherwise;
    }

    /** cos(mean hidden state of the prompt at the condition layer, condition vector). */
    public double similarity(String prompt) {
        Map<Integer, float[][]> acts = new ActivationCapture(model, HookPoint.RESID_POST, ReadPosition.mean(), 1, false)
                .capture(List.of(prompt), List.of(layer), "condition");
        return ConditionSearch.cosine(acts.get(layer)[0], condition);
    }

    /** Whether the condition fires for this prompt. */
    public boolean fires(String prompt) {
        return similarity(prompt) > threshold;
    }

    @Override
    public SteeringPlan select(String prompt) {
        return fires(prompt) ? plan : otherwise;
    }

    /**
     * @return the layer whose activations are compared with the condition
     */
    public int layer() {
        return layer;
    }

    /**
     * @return the cosine similarity above which the condition fires
     */
    public double threshold() {
        return threshold;
    }
}
