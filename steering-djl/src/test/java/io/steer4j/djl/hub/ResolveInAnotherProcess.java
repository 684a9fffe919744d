package io.steer4j.djl.hub;

import java.nio.file.Path;
import java.util.Map;

/**
 * Entry point for a second JVM in tests: resolves one repository into a cache from an endpoint and prints the
 * snapshot folder. usage: ResolveInAnotherProcess CACHE ENDPOINT REPO
 */
public final class ResolveInAnotherProcess {
    private ResolveInAnotherProcess() {
    }

    public static void main(String[] args) {
        ModelResolver resolver = ModelResolver.builder()
                .environment(Map.of("HF_HUB_CACHE", args[0], "HF_ENDPOINT", args[1]))
                .userHome(Path.of(args[0]).resolveSibling("home2")).maxRetries(0).progressBars(false).build();
        System.out.println(resolver.resolve(args[2]));
    }
}
