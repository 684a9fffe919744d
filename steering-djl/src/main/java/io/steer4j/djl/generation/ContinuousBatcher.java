package io.steer4j.djl.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.steer4j.djl.hooks.HookSet;
import io.steer4j.djl.model.ForwardInput;
import io.steer4j.djl.model.KvCache;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.model.LogitsMode;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Serves concurrent single-prompt requests on one model by decoding them together (continuous batching): a
 * request's prompt is processed alone when it arrives, then its tokens are decoded in the same forward step as
 * every other active request, and it leaves as soon as it finishes, while the others go on. At batch 1 a decode
 * step streams every weight once for one token; with n rows it streams them once for n tokens, so n concurrent
 * requests finish far sooner than one after another (see the README's performance table).
 *
 * <p>Each request keeps its own KV cache; attention runs per row over that cache, the projections and MLPs once for
 * all rows ({@link LanguageModel#decodeRows}). Each request's rows of the hooks come from its own plan
 * ({@link HookBuilder}), so differently steered requests share a batch. A request's tokens are the ones it would get
 * alone, up to float rounding of the batched products. Listeners are called on the batcher's thread: a listener
 * that blocks holds up every request, and one that calls {@link #generate} is refused (it would wait for itself).
 * A step that fails (a hook throwing) fails the requests in it; a listener that throws fails its own request
 * only. Requests always use a KV cache ({@link GenerationConfig#useKvCache()} is not consulted).
 *
 * <pre>{@code
 * try (ContinuousBatcher<SteeringPlan> b = new ContinuousBatcher<>(model, 16, hooksFromPlans)) {
 *     // from any number of threads:
 *     GenerationResult r = b.generate(ids, GenerationConfig.greedy(64), plan, TokenListener.NONE,
 *             CancellationToken.NEVER);
 * }
 * }</pre>
 *
 * @param <P> the per-request steering description (a {@code SteeringPlan} in {@code SteeredModel})
 */
public final class ContinuousBatcher<P> implements AutoCloseable {

    /** Builds one batch's hooks from its rows' plans: row {@code r} is steered by {@code plans.get(r)}. */
    @FunctionalInterface
    public interface HookBuilder<P> {
        /**
         * @param consts manager for constant arrays; it lives until the batch's membership changes
         */
        HookSet build(List<P> plans, NDManager consts);
    }

    private final LanguageModel model;
    private final int maxRows;
    private final HookBuilder<P> hookBuilder;
    private final LinkedBlockingQueue<Request<P>> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    /** Guards {@link #closed} against a request being queued while the loop drains the queue on close. */
    private final Object lifecycle = new Object();
    private volatile boolean closed;
    private volatile int peakRows;

    /**
     * Starts the batcher's thread.
     *
     * @param maxRows most requests decoded together; later ones wait for a row to free up
     */
    public ContinuousBatcher(LanguageModel model, int maxRows, HookBuilder<P> hookBuilder) {
        if (maxRows < 1) {
            throw new IllegalArgumentException("maxRows must be >= 1, got " + maxRows);
        }
        this.model = model;
        this.maxRows = maxRows;
        this.hookBuilder = hookBuilder;
        this.thread = new Thread(this::loop, "steer4j-batcher");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Generates a continuation of {@code prompt}, decoded together with the other requests in flight; blocks until
     * this request finishes.
     *
     * @throws IllegalArgumentException     when the prompt is empty, longer than the context, or holds an id
     *                                      outside the vocabulary
     * @throws GenerationCancelledException when cancelled or interrupted
     * @throws IllegalStateException        when the batcher or the model is closed
     */
    public GenerationResult generate(long[] prompt, GenerationConfig config, P plan, TokenListener listener,
                                     CancellationToken cancel) {
        Generator.checkPrompt(prompt, "prompt", model.config());
        if (Thread.currentThread() == thread || model.isEngineThread()) {
            throw new IllegalStateException("generate called from the batcher's thread (a listener) or the engine "
                    + "thread (inside LanguageModel.compute) would wait for itself; call it from another thread");
        }
        Request<P> r = new Request<>(model, prompt.clone(), config, plan, listener, cancel);
        synchronized (lifecycle) {
            if (closed) {
                throw new IllegalStateException("the batcher is closed");
            }
            queue.add(r);
        }
        try {
            return r.done.get();
        } catch (InterruptedException e) {
            r.cancelled = true;
            Thread.currentThread().interrupt();
            throw new GenerationCancelledException("generation interrupted");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException re) {
                throw re;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(c);
        }
    }

    /** Requests waiting for a row (for monitoring). */
    public int waiting() {
        return queue.size();
    }

    /** The most rows decoded in one step so far (for monitoring). */
    public int peakRows() {
        return peakRows;
    }

    /**
     * Stops the thread; requests still waiting or running fail with "closed". The thread also ends by itself
     * when the model is closed.
     */
    @Override
    public void close() {
        synchronized (lifecycle) {
            closed = true;
        }
        if (Thread.currentThread() == thread) {
            return; // closed from a listener: the loop ends after this step
        }
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------------------------------------ the loop

    private void loop() {
        List<Request<P>> active = new ArrayList<>();
        NDManager consts = null;
        HookSet hooks = HookSet.NONE;
        boolean changed = true;
        while (true) {
            try {
                if (closed || model.isClosed()) { // a closed model ends its batchers even if nobody closes them
                    break;
                }
                dropCancelledWhileWaiting();
                if (active.isEmpty()) {
                    Request<P> first = queue.poll(50, TimeUnit.MILLISECONDS);
                    if (first == null || closed) {
                        if (first != null) {
                            first.fail(new IllegalStateException("the batcher is closed"));
                        }
                        continue;
                    }
                    changed |= admit(first, active);
                }
                Request<P> next;
                while (active.size() < maxRows && !closed && (next = queue.poll()) != null) {
                    changed |= admit(next, active);
                }
                for (Iterator<Request<P>> it = active.iterator(); it.hasNext(); ) {
                    Request<P> a = it.next();
                    if (a.isCancelled()) {
                        a.fail(new GenerationCancelledException("generation cancelled"));
                        it.remove();
                        changed = true;
                    }
                }
                if (active.isEmpty() || closed) {
                    continue;
                }
                if (changed) {
                    NDManager old = consts;
                    List<P> plans = new ArrayList<>(active.size());
                    active.forEach(a -> plans.add(a.plan));
                    NDManager fresh = model.newCallManager();
                    consts = fresh;
                    hooks = model.compute(() -> { // array work on the engine thread, as every libtorch call
                        if (old != null) {
                            old.close();
                        }
                        return hookBuilder.build(plans, fresh);
                    });
                    changed = false;
                }
                changed = step(active, hooks);
            } catch (InterruptedException e) {
                break; // nobody interrupts this thread but close-by-shutdown; fall through to failing the rest
            } catch (RuntimeException | Error e) {
                for (Request<P> a : active) {
                    a.fail(e);
                }
                active.clear();
                changed = true;
            }
        }
        IllegalStateException closedError = new IllegalStateException("the batcher is closed");
        active.forEach(a -> a.fail(closedError));
        synchronized (lifecycle) {
            closed = true; // (already, unless the thread was interrupted)
            Request<P> r;
            while ((r = queue.poll()) != null) {
                r.fail(closedError);
            }
        }
        if (consts != null) {
            consts.close();
        }
    }

    /** Fails queued requests whose caller cancelled or was interrupted, so they do not wait for a free row. */
    private void dropCancelledWhileWaiting() {
        for (Iterator<Request<P>> it = queue.iterator(); it.hasNext(); ) {
            Request<P> q = it.next();
            if (q.isCancelled()) {
                it.remove();
                q.fail(new GenerationCancelledException("generation cancelled"));
            }
        }
    }

    /** Runs the request's prompt pass and first token; returns whether it joined the active rows. */
    private boolean admit(Request<P> r, List<Request<P>> active) {
        if (r.isCancelled()) {
            r.fail(new GenerationCancelledException("generation cancelled"));
            return false;
        }
        try {
            if (r.config.maxNewTokens() == 0) {
                r.finish();
                return false;
            }
            r.manager = model.newCallManager();
            r.cache = model.newCache(r.manager, 1,
                    Generator.presizedSlots(r.prompt.length, r.config, model.config().contextLength()));
            float[] logits = model.compute(() -> {
                try (NDManager call = r.manager.newSubManager()) {
                    HookSet h = hookBuilder.build(List.of(r.plan), call);
                    NDArray out = model.forward(ForwardInput.leftPadded(call, List.of(r.prompt), model.padTokenId(),
                            new int[] {r.prompt.length}), r.cache, h, LogitsMode.LAST);
                    return out.toFloatArray();
                }
            });
            if (r.accept(logits)) {
                r.finish();
                return false;
            }
            active.add(r);
            return true;
        } catch (RuntimeException | Error e) {
            r.fail(e);
            return false;
        }
    }

    /** One decode step for every active row; retires the rows that finish. Returns whether membership changed. */
    private boolean step(List<Request<P>> active, HookSet hooks) {
        int n = active.size();
        peakRows = Math.max(peakRows, n);
        long[] tokens = new long[n];
        int[] promptLengths = new int[n];
        List<KvCache> caches = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Request<P> a = active.get(i);
            tokens[i] = a.lastToken;
            promptLengths[i] = a.prompt.length;
            caches.add(a.cache);
        }
        float[][] logits = model.compute(() -> {
            try (NDManager m = model.newCallManager()) {
                return Generator.rows(model.decodeRows(m, tokens, caches, promptLengths, hooks), n,
                        model.config().vocabSize());
            }
        });
        boolean changed = false;
        List<Request<P>> done = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Request<P> a = active.get(i);
            try {
                if (a.accept(logits[i])) {
                    a.finish();
                    done.add(a);
                }
            } catch (RuntimeException | Error e) { // a listener that throws fails its own request only
                a.fail(e);
                done.add(a);
            }
        }
        if (!done.isEmpty()) {
            active.removeAll(done);
            changed = true;
        }
        return changed;
    }

    /** One request and its decoding state (touched only by the batcher's thread, except the flags). */
    private static final class Request<P> {
        final LanguageModel model;
        final long[] prompt;
        final GenerationConfig config;
        final P plan;
        final CancellationToken cancel;
        final CompletableFuture<GenerationResult> done = new CompletableFuture<>();
        final TokenSampler sampler;
        final boolean[] seen;
        long[] generated;
        final TextStream stream;
        volatile boolean cancelled;
        NDManager manager;
        KvCache cache;
        int count;
        long lastToken;
        FinishReason reason;

        Request(LanguageModel model, long[] prompt, GenerationConfig config, P plan, TokenListener listener,
                CancellationToken cancel) {
            this.model = model;
            this.prompt = prompt;
            this.config = config;
            this.plan = plan;
            this.cancel = cancel;
            this.sampler = new TokenSampler(config);
            this.seen = new boolean[model.config().vocabSize()];
            for (long id : prompt) {
                seen[(int) id] = true;
            }
            this.generated = new long[Generator.initialTokenCapacity(prompt.length, config,
                    model.config().contextLength())];
            this.stream = new TextStream(model, listener, 0, prompt);
        }

        /** Whether the caller cancelled, through its token or by being interrupted while waiting. */
        boolean isCancelled() {
            return cancelled || cancel.isCancelled();
        }

        /** Samples the next token from {@code logits}; returns whether the request is finished (as Generator). */
        boolean accept(float[] logits) {
            long tok = sampler.next(logits, seen);
            seen[(int) tok] = true;
            generated = Generator.withRoom(generated, count);
            generated[count++] = tok;
            lastToken = tok;
            stream.accept(generated, count);
            reason = Generator.stopAfter(tok, prompt.length, count, config, model);
            if (reason == null && count >= config.maxNewTokens()) {
                reason = FinishReason.LENGTH;
            }
            return reason != null;
        }

        void finish() {
            release();
            long[] toks = java.util.Arrays.copyOf(generated, count);
            done.complete(new GenerationResult(prompt, toks, model.tokenizer().decodeAfter(prompt, toks),
                    reason == null ? FinishReason.LENGTH : reason));
        }

        void fail(Throwable e) {
            release();
            done.completeExceptionally(e);
        }

        private void release() {
            if (manager != null) {
                NDManager m = manager;
                manager = null;
                try {
                    model.compute(() -> {
                        m.close();
                        return null;
                    });
                } catch (IllegalStateException closedModel) {
                    m.close(); // the model is closed: no engine work to protect any more
                }
            }
        }
    }
}
