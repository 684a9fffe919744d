package io.steer4j.djl.hub;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/** A parsed Hugging Face repo id with revision ({@code org/name@rev}); package-private value. */
final class RepoRef {

    static final String DEFAULT_REVISION = "main";

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.\\-]{0,95}");
    private static final Pattern REVISION_SEGMENT = Pattern.compile("[A-Za-z0-9_.\\-]+");
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");

    /**
     * Legacy un-namespaced ids that the hub redirects to an organisation. Both spellings name the
     * same repository, so both cache folders are searched; downloads use the namespaced one.
     */
    private static final Map<String, String> LEGACY_ALIASES = Map.of(
            "gpt2", "openai-community/gpt2",
            "gpt2-medium", "openai-community/gpt2-medium",
            "gpt2-large", "openai-community/gpt2-large",
            "gpt2-xl", "openai-community/gpt2-xl",
            "openai-gpt", "openai-community/openai-gpt",
            "distilgpt2", "distilbert/distilgpt2");

    final String repoId;
    final String revision;

    private RepoRef(String repoId, String revision) {
        this.repoId = repoId;
        this.revision = revision;
    }

    /** Parses {@code name}, {@code org/name}, optionally followed by {@code @revision}; empty if malformed. */
    static Optional<RepoRef> parse(String ref) {
        String id = ref;
        String revision = DEFAULT_REVISION;
        int at = ref.indexOf('@');
        if (at >= 0) {
            id = ref.substring(0, at);
            revision = ref.substring(at + 1);
            if (!validRevision(revision)) {
                return Optional.empty();
            }
        }
        String[] parts = id.split("/", -1);
        if (parts.length > 2) {
            return Optional.empty();
        }
        for (String part : parts) {
            if (!NAME.matcher(part).matches() || part.contains("--") || part.contains("..")
                    || part.endsWith(".") || part.endsWith("-")) {
                return Optional.empty();
            }
        }
        return Optional.of(new RepoRef(id, revision));
    }

    private static boolean validRevision(String revision) {
        if (revision.isEmpty()) {
            return false;
        }
        for (String segment : revision.split("/", -1)) {
            if (!REVISION_SEGMENT.matcher(segment).matches() || segment.equals(".") || segment.equals("..")) {
                return false;
            }
        }
        return true;
    }

    static boolean isSafeFolderName(String name) {
        return name != null && REVISION_SEGMENT.matcher(name).matches() && !name.equals(".") && !name.equals("..");
    }

    boolean revisionIsCommit() {
        return COMMIT.matcher(revision).matches();
    }

    /** The id used for downloads: the namespaced form of a legacy id, else the id itself. */
    String canonicalId() {
        return LEGACY_ALIASES.getOrDefault(repoId, repoId);
    }

    /** The id itself first, then its alias (if any): the order in which cache folders are searched. */
    List<String> cacheCandidates() {
        List<String> ids = new ArrayList<>(2);
        ids.add(repoId);
        String alias = LEGACY_ALIASES.get(repoId);
        if (alias == null) {
            for (Map.Entry<String, String> e : LEGACY_ALIASES.entrySet()) {
                if (e.getValue().equals(repoId)) {
                    alias = e.getKey();
                }
            }
        }
        if (alias != null) {
            ids.add(alias);
        }
        return ids;
    }

    /** The hub cache folder name: {@code models--org--name}. */
    static String folderName(String repoId) {
        return "models--" + repoId.replace("/", "--");
    }

    @Override
    public String toString() {
        return repoId + "@" + revision;
    }
}
