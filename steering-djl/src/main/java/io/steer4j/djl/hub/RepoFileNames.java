package io.steer4j.djl.hub;

/**
 * The rule for file names a repository may list (shard names in {@code model.safetensors.index.json}): relative,
 * inside the model folder, and printable. The same rule holds for a downloaded snapshot and for a local folder,
 * so an index cannot make steer4j read {@code ../../elsewhere} or an absolute path in either case.
 */
public final class RepoFileNames {
    /**
     * The most shard files an index may list (1,024). The largest published checkpoints have a few hundred shards
     * (Llama 3.1 405B: 191); an index of 20,000 shards made 20,007 requests and ran out of file handles.
     */
    public static final int MAX_SHARDS = 1024;

    private RepoFileNames() {
    }

    /**
     * Whether {@code name} is a relative path of plain segments: no leading {@code /}, no {@code .} or {@code ..}
     * segment, no empty segment, no backslash or colon (Windows paths and drive letters), and no control
     * character (a NUL would otherwise surface as an {@code InvalidPathException}).
     *
     * @param name a file name as listed by a repository
     * @return true when it names a file inside the folder it is resolved against
     */
    public static boolean isSafe(String name) {
        if (name == null || name.isEmpty() || name.startsWith("/") || name.contains("\\") || name.contains(":")) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c < 0x20 || c == 0x7F) {
                return false;
            }
        }
        for (String segment : name.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@code name} fit for a message: control characters shown as {@code \\uXXXX} and at most 200 characters, so a
     * hostile name can neither forge log lines nor flood them.
     *
     * @param name any text from a repository or a server
     * @return a quoted, printable rendering of it
     */
    public static String printable(String name) {
        if (name == null) {
            return "null";
        }
        StringBuilder sb = new StringBuilder("'");
        for (int i = 0; i < name.length() && i < 200; i++) {
            char c = name.charAt(i);
            if (c < 0x20 || c == 0x7F) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append(name.length() > 200 ? "...'" : "'").toString();
    }
}
