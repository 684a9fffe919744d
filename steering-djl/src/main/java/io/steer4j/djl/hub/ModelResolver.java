package io.steer4j.djl.hub;

import io.steer4j.djl.hub.ModelResolutionException.Reason;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Turns a model reference into a local folder holding a Hugging Face style model ({@code config.json},
 * {@code model.safetensors} or a sharded index, and {@code tokenizer.json} or {@code vocab.json} +
 * {@code merges.txt}).
 *
 * <p>A reference is either
 * <ul>
 *   <li>a local folder: an existing directory is returned as given, without checks; a path-like reference
 *       ({@code /abs}, {@code ./rel}, {@code ../rel}, {@code ~/x}, {@code a/b/c}, a Windows path) that does
 *       not exist is an error naming it;</li>
 *   <li>a Hugging Face repo id, {@code name} or {@code org/name}, optionally {@code @revision} (branch, tag
 *       or commit; default {@code main}). It is looked up in the standard hub cache, shared with Python's
 *       {@code huggingface_hub}: {@code $HF_HUB_CACHE}, else {@code $HF_HOME/hub}, else
 *       {@code ~/.cache/huggingface/hub} ({@code HUGGINGFACE_HUB_CACHE} and {@code XDG_CACHE_HOME} are honoured
 *       as the Python client does). Legacy ids the hub redirects ({@code gpt2} and
 *       {@code openai-community/gpt2}, likewise the other GPT-2 sizes and {@code distilgpt2}) are aliases:
 *       both cache folders are searched and downloads go to the namespaced one.</li>
 * </ul>
 *
 * <p>A cached snapshot that is incomplete does not count. A missing model is downloaded from the hub
 * ({@code $HF_ENDPOINT}, default {@code https://huggingface.co}, with {@code Authorization: Bearer $HF_TOKEN}
 * when a token is known) into the cache layout of {@code huggingface_hub}: {@code blobs/{etag}},
 * {@code snapshots/{commit}/{file}} as relative symlinks to the blobs (plain copies where the file system
 * refuses symlinks), and {@code refs/{revision}} written last. Files reach their final name only once
 * complete and verified, so an interrupted download never looks complete; it resumes on the next call.
 * With {@code HF_HUB_OFFLINE=1} or {@link Builder#offline(boolean) offline(true)} nothing is downloaded and a
 * missing model is refused with a message saying where it looked and how to fix it.
 *
 * <p>Instances are immutable and thread-safe; concurrent downloads of one repository are serialised, also
 * across processes. Failures throw {@link ModelResolutionException}.
 *
 * <pre>{@code
 * ModelResolver resolver = ModelResolver.builder().build();     // configured from the environment
 * Path gpt2 = resolver.resolve("openai-community/gpt2");         // cache hit, or download
 * Path pinned = resolver.resolve("gpt2@607a30d783dfa663caf39e06633721c8d4cfcd7e");
 * Path local = resolver.resolve("./models/my-gpt2");             // existing folder, returned as is
 * }</pre>
 */
public final class ModelResolver {

    private static final Logger LOG = LoggerFactory.getLogger(ModelResolver.class);
    static final String DEFAULT_ENDPOINT = "https://huggingface.co";
    private static final Set<String> TRUE_VALUES = Set.of("1", "true", "yes", "on");

    private final Map<String, String> environment;
    private final Path userHome;
    private final HubCache cache;
    private final String cacheSource;
    private final URI endpoint;
    private final boolean offline;
    private final String offlineSource;
    private final String explicitToken;
    private final boolean progressBars;
    private final int maxRetries;
    private final Duration timeout;
    private final Duration fileDeadline;
    private final long minBytesPerSecond;
    private HttpClient httpClient; // created on first download; guarded by this

    private ModelResolver(Builder b) {
        this.environment = b.environment;
        this.userHome = b.userHome;
        String hubCache = env("HF_HUB_CACHE");
        String legacyHubCache = env("HUGGINGFACE_HUB_CACHE");
        String hfHome = env("HF_HOME");
        String xdgCache = env("XDG_CACHE_HOME");
        if (b.cacheDir != null) {
            cache = new HubCache(b.cacheDir);
            cacheSource = "ModelResolver.Builder.cacheDir";
        } else if (hubCache != null) {
            cache = new HubCache(expandHome(hubCache));
            cacheSource = "HF_HUB_CACHE";
        } else if (legacyHubCache != null) {
            cache = new HubCache(expandHome(legacyHubCache));
            cacheSource = "HUGGINGFACE_HUB_CACHE";
        } else if (hfHome != null) {
            cache = new HubCache(expandHome(hfHome).resolve("hub"));
            cacheSource = "HF_HOME";
        } else if (xdgCache != null) {
            cache = new HubCache(expandHome(xdgCache).resolve("huggingface").resolve("hub"));
            cacheSource = "XDG_CACHE_HOME";
        } else {
            cache = new HubCache(userHome.resolve(".cache").resolve("huggingface").resolve("hub"));
            cacheSource = "default";
        }
        String endpointText = b.endpoint != null ? b.endpoint.toString()
                : env("HF_ENDPOINT") != null ? env("HF_ENDPOINT") : DEFAULT_ENDPOINT;
        while (endpointText.endsWith("/")) {
            endpointText = endpointText.substring(0, endpointText.length() - 1);
        }
        try {
            this.endpoint = URI.create(endpointText);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Invalid hub endpoint '" + endpointText + "' (HF_ENDPOINT?)", e);
        }
        if (endpoint.getScheme() == null || endpoint.getHost() == null) {
            throw new IllegalArgumentException("Hub endpoint must be an absolute http(s) URL: '" + endpointText + "'");
        }
        String offlineEnv = env("HF_HUB_OFFLINE");
        if (b.offline) {
            offline = true;
            offlineSource = "ModelResolver.Builder.offline(true)";
        } else if (offlineEnv != null && TRUE_VALUES.contains(offlineEnv.toLowerCase(Locale.ROOT))) {
            offline = true;
            offlineSource = "HF_HUB_OFFLINE=" + offlineEnv;
        } else {
            offline = false;
            offlineSource = null;
        }
        this.explicitToken = b.token;
        this.progressBars = b.progressBars;
        this.maxRetries = b.maxRetries;
        this.timeout = b.timeout;
        this.fileDeadline = b.fileDeadline;
        this.minBytesPerSecond = b.minBytesPerSecond;
    }

    /** @return a builder configured from the process environment until told otherwise */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Resolves a local folder path or a Hugging Face repo id ({@code org/name[@revision]}) to a local folder,
     * downloading into the hub cache when needed and allowed.
     *
     * @param modelRef a folder path, or a repo id such as {@code gpt2} or {@code openai-community/gpt2@main}
     * @return the folder as given for a local reference, else the cache snapshot folder
     * @throws ModelResolutionException naming the reference and the problem (see {@link Reason})
     */
    public Path resolve(String modelRef) {
        if (modelRef == null || modelRef.isBlank()) {
            throw new ModelResolutionException(Reason.INVALID_REFERENCE, modelRef, "Model reference is empty: pass"
                    + " a local model folder or a Hugging Face repo id such as 'openai-community/gpt2'.");
        }
        String ref = modelRef.strip();
        Path local = toLocalPath(ref);
        if (local != null && Files.isDirectory(local)) {
            LOG.debug("Model '{}' is a local folder", ref);
            return local;
        }
        if (looksLikePath(ref)) {
            if (local != null && Files.exists(local)) {
                throw new ModelResolutionException(Reason.LOCAL_PATH_NOT_FOUND, modelRef, "Model path '" + ref
                        + "' is a file, not a folder: pass the folder that holds config.json, the weights and"
                        + " the tokenizer.");
            }
            throw new ModelResolutionException(Reason.LOCAL_PATH_NOT_FOUND, modelRef, "Model folder '" + ref
                    + "' does not exist" + (local != null ? " (" + local.toAbsolutePath().normalize() + ")" : "")
                    + ". Pass an existing folder holding config.json, model.safetensors and tokenizer.json, or a"
                    + " Hugging Face repo id such as 'openai-community/gpt2'.");
        }
        RepoRef repo = RepoRef.parse(ref).orElseThrow(() -> new ModelResolutionException(
                Reason.INVALID_REFERENCE, modelRef, "'" + ref + "' is neither an existing folder nor a Hugging"
                + " Face repo id ('name', 'org/name' or 'org/name@revision', letters, digits, '-', '_', '.')."));
        HubCache.Lookup lookup = cache.find(repo);
        if (lookup.snapshot != null) {
            LOG.debug("Model '{}' found in the hub cache at {}", ref, lookup.snapshot);
            return lookup.snapshot;
        }
        if (offline) {
            throw new ModelResolutionException(Reason.NOT_CACHED_OFFLINE, modelRef, "Model '" + repo.repoId
                    + "' (revision '" + repo.revision + "') is not in the Hugging Face cache and offline mode is on ("
                    + offlineSource + "). Hub cache " + cache.root + " (from " + cacheSource + "); searched: "
                    + String.join(", ", lookup.searched) + ". To fix: download it while online (unset"
                    + " HF_HUB_OFFLINE and run again, or `huggingface-cli download " + repo.canonicalId()
                    + (repo.revision.equals(RepoRef.DEFAULT_REVISION) ? "" : " --revision " + repo.revision)
                    + "`), point HF_HUB_CACHE/HF_HOME at the cache that holds it, or pass the path of a local model"
                    + " folder.");
        }
        return downloader(modelRef).download(repo, modelRef, () -> cache.find(repo).snapshot);
    }

    /** @return the hub cache folder this resolver reads and writes */
    public Path cacheDir() {
        return cache.root;
    }

    /** @return the hub endpoint downloads come from, without trailing slash */
    public URI endpoint() {
        return endpoint;
    }

    /** @return whether downloads are disabled ({@code HF_HUB_OFFLINE} or {@link Builder#offline(boolean)}) */
    public boolean isOffline() {
        return offline;
    }

    @Override
    public String toString() {
        return "ModelResolver[cacheDir=" + cache.root + ", endpoint=" + endpoint + ", offline=" + offline + "]";
    }

    private synchronized HubDownloader downloader(String modelRef) {
        String token = token(modelRef); // checked before any connection is made
        if (httpClient == null) {
            httpClient = HttpClient.newBuilder()
                    .connectTimeout(timeout)
                    .followRedirects(HttpClient.Redirect.NEVER) // followed by hand: the token must not reach a CDN
                    .build();
        }
        return new HubDownloader(httpClient, new HubEndpoint(endpoint, token, timeout), maxRetries,
                new BlobStore(cache, progressBars, timeout, fileDeadline, minBytesPerSecond), cache);
    }

    /**
     * Builder token, else {@code HF_TOKEN}, else the legacy variable, else the token file {@code huggingface-cli
     * login} writes; refused when it could not travel in an HTTP header.
     */
    private String token(String modelRef) {
        if (explicitToken != null) {
            return checkedToken(explicitToken, "ModelResolver.Builder.token", modelRef);
        }
        for (String name : new String[] {"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"}) {
            if (env(name) != null) {
                return checkedToken(env(name).strip(), name, modelRef);
            }
        }
        Path tokenFile = env("HF_TOKEN_PATH") != null ? expandHome(env("HF_TOKEN_PATH"))
                : (env("HF_HOME") != null ? expandHome(env("HF_HOME"))
                        : userHome.resolve(".cache").resolve("huggingface")).resolve("token");
        try {
            if (Files.isRegularFile(tokenFile)) {
                String token = Files.readString(tokenFile, StandardCharsets.UTF_8).strip();
                if (!token.isEmpty()) {
                    LOG.debug("Using the Hugging Face token from {}", tokenFile);
                    return checkedToken(token, "the token file " + tokenFile, modelRef);
                }
            }
        } catch (IOException e) {
            LOG.warn("Could not read the Hugging Face token file {}: {}", tokenFile, e.toString());
        }
        return null;
    }

    /**
     * The token, if every character is visible ASCII (hub tokens are); otherwise refused, naming where it came from
     * and the offending position but never the token itself, which must not reach a log.
     */
    private static String checkedToken(String token, String source, String modelRef) {
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c <= 0x20 || c >= 0x7F) {
                String kind = c < 0x20 || c == 0x7F ? "a control character (line break?)"
                        : c == 0x20 ? "a space" : "a non-ASCII character";
                throw new ModelResolutionException(Reason.INVALID_TOKEN, modelRef, "The Hugging Face token from "
                        + source + " contains " + kind + " at position " + (i + 1) + " of " + token.length()
                        + ", so it cannot be sent. Set it again without extra characters (for example"
                        + " `export HF_TOKEN=hf_...` on one line), or unset it for public models.");
            }
        }
        return token;
    }

    private String env(String name) {
        String value = environment.get(name);
        return value == null || value.isBlank() ? null : value;
    }

    private Path expandHome(String path) {
        if (path.equals("~")) {
            return userHome;
        }
        if (path.startsWith("~/") || path.startsWith("~\\")) {
            return userHome.resolve(path.substring(2));
        }
        return Path.of(path);
    }

    private Path toLocalPath(String ref) {
        try {
            return expandHome(ref);
        } catch (InvalidPathException e) {
            return null;
        }
    }

    /** Whether a reference can only be meant as a file system path (never a repo id). */
    static boolean looksLikePath(String ref) {
        if (ref.startsWith("/") || ref.startsWith("./") || ref.startsWith("../") || ref.equals(".")
                || ref.equals("..") || ref.startsWith("~") || ref.contains("\\") || ref.endsWith("/")
                || ref.matches("^[A-Za-z]:.*")) {
            return true;
        }
        int at = ref.indexOf('@');
        String idPart = at >= 0 ? ref.substring(0, at) : ref;
        return idPart.chars().filter(c -> c == '/').count() > 1;
    }

    /**
     * Configures a {@link ModelResolver}. Everything not set comes from the environment, as the Python
     * {@code huggingface_hub} client reads it.
     *
     * <pre>{@code
     * ModelResolver resolver = ModelResolver.builder()
     *         .cacheDir(Path.of("/data/hf-cache"))
     *         .offline(true)
     *         .build();
     * }</pre>
     */
    public static final class Builder {
        private Map<String, String> environment = System.getenv();
        private Path userHome = Path.of(System.getProperty("user.home", "."));
        private Path cacheDir;
        private URI endpoint;
        private boolean offline;
        private String token;
        private boolean progressBars = true;
        private int maxRetries = 3;
        private Duration timeout = Duration.ofSeconds(30);
        private Duration fileDeadline = Duration.ofHours(6);
        private long minBytesPerSecond = 8 * 1024;

        private Builder() {
        }

        /**
         * Replaces the process environment as the source of {@code HF_HUB_CACHE}, {@code HF_HOME},
         * {@code HF_ENDPOINT}, {@code HF_TOKEN}, {@code HF_HUB_OFFLINE} and related variables (copied).
         *
         * @param environment variable names to values; {@code null} values are ignored
         * @return this builder
         */
        public Builder environment(Map<String, String> environment) {
            Map<String, String> copy = new HashMap<>();
            Objects.requireNonNull(environment, "environment").forEach((k, v) -> {
                if (k != null && v != null) {
                    copy.put(k, v);
                }
            });
            this.environment = Map.copyOf(copy);
            return this;
        }

        /**
         * @param userHome the home folder for {@code ~} and the default cache (default: {@code user.home})
         * @return this builder
         */
        public Builder userHome(Path userHome) {
            this.userHome = Objects.requireNonNull(userHome, "userHome");
            return this;
        }

        /**
         * @param cacheDir the hub cache folder, overriding {@code HF_HUB_CACHE} and {@code HF_HOME}
         * @return this builder
         */
        public Builder cacheDir(Path cacheDir) {
            this.cacheDir = Objects.requireNonNull(cacheDir, "cacheDir");
            return this;
        }

        /**
         * @param endpoint the hub base URL, overriding {@code HF_ENDPOINT} (default {@code https://huggingface.co})
         * @return this builder
         */
        public Builder endpoint(URI endpoint) {
            this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
            return this;
        }

        /**
         * @param offline {@code true} to never download, as with {@code HF_HUB_OFFLINE=1}; {@code false} (default)
         *                leaves the decision to {@code HF_HUB_OFFLINE}
         * @return this builder
         */
        public Builder offline(boolean offline) {
            this.offline = offline;
            return this;
        }

        /**
         * @param token the hub access token, overriding {@code HF_TOKEN} and the saved login token
         * @return this builder
         */
        public Builder token(String token) {
            this.token = token == null || token.isBlank() ? null : token.strip();
            return this;
        }

        /**
         * @param progressBars whether to draw a terminal progress bar for files of 1 MiB or more (default true)
         * @return this builder
         */
        public Builder progressBars(boolean progressBars) {
            this.progressBars = progressBars;
            return this;
        }

        /**
         * @param maxRetries how often a failed transfer is retried (resuming where it stopped), default 3
         * @return this builder
         */
        public Builder maxRetries(int maxRetries) {
            if (maxRetries < 0) {
                throw new IllegalArgumentException("maxRetries must be >= 0, got " + maxRetries);
            }
            this.maxRetries = maxRetries;
            return this;
        }

        /**
         * @param timeout connect timeout, time to wait for response headers, and longest pause in a transfer
         *                before it counts as failed (default 30 s)
         * @return this builder
         */
        public Builder timeout(Duration timeout) {
            if (timeout == null || timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("timeout must be positive, got " + timeout);
            }
            this.timeout = timeout;
            return this;
        }

        /**
         * @param fileDeadline the longest one file's transfer may take, retries aside (default 6 hours: a 10 GB
         *                     shard at 0.5 MB/s), so a server cannot hold a download forever
         * @return this builder
         */
        public Builder fileDeadline(Duration fileDeadline) {
            if (fileDeadline == null || fileDeadline.isNegative() || fileDeadline.isZero()) {
                throw new IllegalArgumentException("fileDeadline must be positive, got " + fileDeadline);
            }
            this.fileDeadline = fileDeadline;
            return this;
        }

        /**
         * @param bytesPerSecond the slowest transfer accepted, averaged over each {@link #timeout(Duration) timeout}
         *                       long window (default 8 KiB/s; 0 turns the rule off), so a server trickling a few
         *                       bytes at a time fails instead of holding the caller
         * @return this builder
         */
        public Builder minThroughput(long bytesPerSecond) {
            if (bytesPerSecond < 0) {
                throw new IllegalArgumentException("minThroughput must be >= 0, got " + bytesPerSecond);
            }
            this.minBytesPerSecond = bytesPerSecond;
            return this;
        }

        /**
         * @return an immutable resolver
         * @throws IllegalArgumentException if the endpoint is not an absolute URL
         */
        public ModelResolver build() {
            return new ModelResolver(this);
        }
    }
}
