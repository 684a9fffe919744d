package io.steer4j.examples;

import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.djl.generation.CancellationToken;
import io.steer4j.djl.generation.GenerationConfig;
import io.steer4j.djl.generation.GenerationResult;
import io.steer4j.djl.generation.TokenListener;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.steering.SteeredModel;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * README use case "a steerable assistant serving many users": one model, one thread per user, each user with
 * their own steering (here: cheerful, gloomy or none), served by continuous batching so that concurrent requests
 * are decoded together instead of one after another. Prints each user's completion and the aggregate speed of
 * both ways of serving them.
 *
 * <pre>
 * java -cp steer4j.jar io.steer4j.examples.ConcurrentUsers [model] [users] [maxTokens] [strength]
 * </pre>
 */
public final class ConcurrentUsers {
    private ConcurrentUsers() {
    }

    /**
     * @param completions      each user's text, in user order (the same with and without batching)
     * @param serialTokensPerS aggregate tokens/s when requests are served one decode step at a time
     * @param batchedTokensPerS aggregate tokens/s with continuous batching
     * @param identical        whether every user got the same tokens both ways
     */
    public record Result(List<String> completions, double serialTokensPerS, double batchedTokensPerS,
                         boolean identical) {
    }

    /**
     * Serves {@code users} concurrent users, first without and then with continuous batching. Users come in
     * threes sharing an opening: steered by {@code +strength} (cheerful), by {@code -strength} (gloomy), and not.
     */
    public static Result run(LanguageModel model, int users, int maxTokens, double strength) throws Exception {
        int layer = Examples.middleLayer(model);
        SteeringVector sentiment = Examples.sentimentVector(model, layer);
        List<SteeringPlan> plans = new ArrayList<>();
        List<String> prompts = new ArrayList<>();
        String[] openings = {"My day at work was", "The new restaurant on the corner", "This morning the weather",
                "Our team meeting today"};
        for (int u = 0; u < users; u++) {
            plans.add(switch (u % 3) {
                case 0 -> SteeringPlan.of(sentiment, strength);    // cheerful
                case 1 -> SteeringPlan.of(sentiment, -strength);   // gloomy
                default -> SteeringPlan.NONE;                      // the plain model
            });
            prompts.add(openings[(u / 3) % openings.length]);
        }
        GenerationConfig greedy = GenerationConfig.builder().maxNewTokens(maxTokens).stopAtEos(false).build();
        Served serial;
        Served batched;
        try (SteeredModel oneAtATime = SteeredModel.builder(model).build();
             SteeredModel together = SteeredModel.builder(model).continuousBatching(users).build()) {
            serial = serve(oneAtATime, prompts, plans, greedy);
            batched = serve(together, prompts, plans, greedy);
        }
        boolean identical = true;
        List<String> texts = new ArrayList<>();
        for (int u = 0; u < users; u++) {
            identical &= java.util.Arrays.equals(serial.results().get(u).tokens(), batched.results().get(u).tokens());
            texts.add(batched.results().get(u).text());
        }
        return new Result(texts, serial.tokensPerS(), batched.tokensPerS(), identical);
    }

    private record Served(List<GenerationResult> results, double tokensPerS) {
    }

    /** One thread per user, all at once; aggregate tokens per second over the whole run. */
    private static Served serve(SteeredModel model, List<String> prompts, List<SteeringPlan> plans,
                                GenerationConfig config) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(prompts.size());
        try {
            long start = System.nanoTime();
            List<Future<GenerationResult>> futures = new ArrayList<>();
            for (int u = 0; u < prompts.size(); u++) {
                int user = u;
                futures.add(pool.submit(() -> model.generate(prompts.get(user), config, plans.get(user),
                        TokenListener.NONE, CancellationToken.NEVER)));
            }
            List<GenerationResult> results = new ArrayList<>();
            int tokens = 0;
            for (Future<GenerationResult> f : futures) {
                results.add(f.get());
                tokens += results.get(results.size() - 1).tokens().length;
            }
            return new Served(results, tokens / ((System.nanoTime() - start) / 1e9));
        } finally {
            pool.shutdownNow();
        }
    }

    /** Runs the example: {@code [model] [users] [maxTokens] [strength]}. */
    public static void main(String[] args) throws Exception {
        int users = Examples.intArg(args, 1, 9);
        int maxTokens = Examples.intArg(args, 2, 40);
        double strength = Examples.doubleArg(args, 3, 4.0);
        try (LanguageModel model = LanguageModel.load(Examples.modelRef(args))) {
            Result r = run(model, users, maxTokens, strength);
            for (int u = 0; u < users; u++) {
                System.out.printf("user %d: %s%n", u, Examples.oneLine(r.completions().get(u)));
            }
            System.out.printf("%d users at once: %.1f tokens/s one step at a time, %.1f tokens/s with continuous "
                    + "batching (%.2fx); same tokens both ways: %s%n", users, r.serialTokensPerS(),
                    r.batchedTokensPerS(), r.batchedTokensPerS() / r.serialTokensPerS(), r.identical());
        }
    }
}
