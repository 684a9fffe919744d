package io.steer4j.djl.steering;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.steer4j.core.plan.HookPoint;
import io.steer4j.core.plan.Intervention;
import io.steer4j.core.plan.InterventionOperator;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.core.plan.TokenScope;
import io.steer4j.djl.hooks.ActivationHook;
import io.steer4j.djl.hooks.FloatActivationHook;
import io.steer4j.djl.hooks.HookSet;
import io.steer4j.djl.hooks.HookSite;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns steering plans (one per batch row) into forward hooks.
 *
 * <p>At each site the k-th intervention of every row is applied together as one batched tensor operation: rows
 * without a k-th intervention get a zero vector and a zero scope mask, so they pass through bit for bit
 * ({@code x + 0 == x}). Direction tensors are built once per call in the call's manager; only the token-scope
 * mask is rebuilt per step, and it is skipped entirely when every row steers every token.
 */
final class PlanHooks {
    private PlanHooks() {
    }

    private record Site(HookPoint point, int layer) {
    }

    /** One slot at one site: the k-th intervention of each row (null where a row has none). */
    private static final class Slot implements FloatActivationHook {
        private final Intervention[] rows;
        private final NDArray scaled;   // [B,1,D]  s·v for ADD / ADD_AFTER_ABLATE, s·û for CLAMP
        private final NDArray unit;     // [B,1,D]  û for rows that project (null if none)
        private final boolean allTokensAllRows;
        private final boolean anyPreserveNorm;
        /** {@link #scaled} and {@link #unit} as floats, for {@link #applyInPlace} (unit null if none projects). */
        private final float[] scaledFloats;
        private final float[] unitFloats;

        Slot(Intervention[] rows, NDManager consts, int hidden) {
            this.rows = rows;
            int b = rows.length;
            float[] add = new float[b * hidden];
            float[] u = new float[b * hidden];
            boolean projects = false;
            boolean all = true;
            boolean preserve = false;
            for (int r = 0; r < b; r++) {
                Intervention i = rows[r];
                if (i == null) {
                    all = false;
                    continue;
                }
                all &= i.scope().kind() == TokenScope.Kind.ALL;
                preserve |= i.preserveNorm();
                float[] v = i.direction();
                double norm = 0;
                for (float f : v) {
                    norm += (double) f * f;
                }
                norm = Math.sqrt(norm);
                InterventionOperator op = i.operator();
                for (int d = 0; d < hidden; d++) {
                    float unitD = norm == 0 ? 0f : (float) (v[d] / norm);
                    if (op != InterventionOperator.ADD) {
                        u[r * hidden + d] = unitD;
                    }
                    if (op == InterventionOperator.ADD || op == InterventionOperator.ADD_AFTER_ABLATE) {
                        add[r * hidden + d] = (float) (i.strength() * v[d]);
                    } else if (op == InterventionOperator.CLAMP) {
                        add[r * hidden + d] = (float) (i.strength() * unitD);
                    }
                }
                projects |= op != InterventionOperator.ADD;
            }
            this.scaled = consts.create(add, new Shape(b, 1, hidden));
            this.unit = projects ? consts.create(u, new Shape(b, 1, hidden)) : null;
            this.allTokensAllRows = all;
            this.anyPreserveNorm = preserve;
            this.scaledFloats = add;
            this.unitFloats = projects ? u : null;
        }

        /** {@link #apply} for one row on floats: the same operations, token by token. */
        @Override
        public void applyInPlace(HookSite site, float[] x) {
            if (site.batchSize() != rows.length || rows.length != 1) {
                throw new IllegalStateException("plan built for " + rows.length + " rows, forward has "
                        + site.batchSize() + " (float hooks run on one row)");
            }
            Intervention i = rows[0];
            if (i == null) {
                return;
            }
            int t = site.queryLength();
            int hidden = x.length / t;
            for (int k = 0; k < t; k++) {
                if (!allTokensAllRows && !i.scope().covers(site.positions()[0][k], site.promptLengths()[0])) {
                    continue;
                }
                int o = k * hidden;
                double n0 = i.preserveNorm() ? norm(x, o, hidden) : 0;
                float proj = 0f;
                if (unitFloats != null) {
                    double p = 0;
                    for (int d = 0; d < hidden; d++) {
                        p += (double) x[o + d] * unitFloats[d];
                    }
                    proj = (float) p;
                }
                for (int d = 0; d < hidden; d++) {
                    float change = unitFloats == null ? scaledFloats[d] : -(proj * unitFloats[d]) + scaledFloats[d];
                    x[o + d] += change;
                }
                if (i.preserveNorm()) {
                    float factor = (float) (n0 / Math.max(norm(x, o, hidden), 1e-12));
                    for (int d = 0; d < hidden; d++) {
                        x[o + d] *= factor;
                    }
                }
            }
        }

        private static double norm(float[] x, int o, int n) {
            double s = 0;
            for (int d = 0; d < n; d++) {
                s += (double) x[o + d] * x[o + d];
            }
            return Math.sqrt(s);
        }

        @Override
        public NDArray apply(HookSite site, NDArray x) {
            if (site.batchSize() != rows.length) {
                throw new IllegalStateException("plan built for " + rows.length + " rows, forward has " + site.batchSize());
            }
            NDArray mask = allTokensAllRows ? null : scopeMask(site);
            NDArray change;
            if (unit == null) {
                change = mask == null ? scaled : mask.mul(scaled);
            } else {
                NDArray proj = x.mul(unit).sum(new int[] {-1}, true);          // [B,T,1]
                NDArray removed = proj.mul(unit);                               // [B,T,D]
                NDArray delta = removed.neg().add(scaled);
                change = mask == null ? delta : delta.mul(mask);
            }
            NDArray y = x.add(change);
            if (anyPreserveNorm) {
                NDArray n0 = x.norm(new int[] {-1}, true);
                NDArray n1 = y.norm(new int[] {-1}, true).maximum(1e-12f);
                NDArray rescaled = y.mul(n0.div(n1));
                NDArray pm = preserveMask(site, mask);
                y = y.add(rescaled.sub(y).mul(pm));
            }
            return y;
        }

        private NDArray scopeMask(HookSite site) {
            int b = site.batchSize();
            int t = site.queryLength();
            float[] m = new float[b * t];
            for (int r = 0; r < b; r++) {
                Intervention i = rows[r];
                if (i == null) {
                    continue;
                }
                for (int k = 0; k < t; k++) {
                    m[r * t + k] = i.scope().covers(site.positions()[r][k], site.promptLengths()[r]) ? 1f : 0f;
                }
            }
            return site.manager().create(m, new Shape(b, t, 1));
        }

        private NDArray preserveMask(HookSite site, NDArray scope) {
            float[] p = new float[rows.length];
            for (int r = 0; r < rows.length; r++) {
                p[r] = rows[r] != null && rows[r].preserveNorm() ? 1f : 0f;
            }
            NDArray rowsMask = site.manager().create(p, new Shape(rows.length, 1, 1));
            return scope == null ? rowsMask : scope.mul(rowsMask);
        }
    }

    /**
     * Hooks applying {@code plans.get(r)} to row {@code r}.
     *
     * @param consts manager that outlives every forward call of the generation (direction tensors live there)
     */
    static HookSet build(List<SteeringPlan> plans, NDManager consts, int hidden) {
        Map<Site, List<List<Intervention>>> bySite = new LinkedHashMap<>();
        int b = plans.size();
        for (int r = 0; r < b; r++) {
            for (Intervention i : plans.get(r).interventions()) {
                if (i.isNoOp()) {
                    continue;
                }
                List<List<Intervention>> perRow = bySite.computeIfAbsent(new Site(i.point(), i.layer()), s -> {
                    List<List<Intervention>> l = new ArrayList<>();
                    for (int k = 0; k < b; k++) {
                        l.add(new ArrayList<>());
                    }
                    return l;
                });
                perRow.get(r).add(i);
            }
        }
        if (bySite.isEmpty()) {
            return HookSet.NONE;
        }
        HookSet.Builder hooks = HookSet.builder();
        bySite.forEach((site, perRow) -> {
            int slots = perRow.stream().mapToInt(List::size).max().orElse(0);
            for (int k = 0; k < slots; k++) {
                Intervention[] row = new Intervention[b];
                for (int r = 0; r < b; r++) {
                    row[r] = k < perRow.get(r).size() ? perRow.get(r).get(k) : null;
                }
                hooks.add(site.point(), site.layer(), new Slot(row, consts, hidden));
            }
        });
        return hooks.build();
    }
}
