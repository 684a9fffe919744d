package io.steer4j.djl.hub;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;

/**
 * A Hugging Face hub endpoint as steer4j talks to it: the URL layout
 * {@code GET {endpoint}/{repo}/resolve/{revision}/{file}}, the requests (with a range to resume), the token
 * (sent only to the endpoint's own origin, never to a CDN it redirects to) and the redirects steer4j follows
 * (only to http(s), never from https to http).
 */
final class HubEndpoint {
    private static final String USER_AGENT = "steer4j/0.1 (java.net.http)";

    private final URI uri;
    private final String token;
    private final Duration requestTimeout;

    HubEndpoint(URI uri, String token, Duration requestTimeout) {
        this.uri = uri;
        this.token = token;
        this.requestTimeout = requestTimeout;
    }

    URI uri() {
        return uri;
    }

    boolean hasToken() {
        return token != null;
    }

    /** A GET of {@code target}, asking for the bytes from {@code resumeFrom} on when it is positive. */
    HttpRequest request(URI target, long resumeFrom) {
        HttpRequest.Builder request = HttpRequest.newBuilder(target).timeout(requestTimeout)
                .header("User-Agent", USER_AGENT).GET();
        if (token != null && sameOrigin(target, uri)) {
            request.header("Authorization", "Bearer " + token); // never sent to a CDN on another host
        }
        if (resumeFrom > 0) {
            request.header("Range", "bytes=" + resumeFrom + "-");
        }
        return request.build();
    }

    URI resolveUri(String repo, String revision, String file) {
        String base = uri.toString();
        while (base.endsWith("/")) {
            base = base.substring(0, base.length() - 1);
        }
        StringBuilder path = new StringBuilder(base).append('/').append(repo).append("/resolve/")
                .append(encode(revision));
        for (String segment : file.split("/")) {
            path.append('/').append(encode(segment));
        }
        return URI.create(path.toString());
    }

    private static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /**
     * Where a redirect leads: {@code location} resolved against {@code from}, refused unless it is an absolute
     * http(s) URL with a host and does not downgrade https to http (a file fetched in clear could be replaced on
     * the way, and not every file has a checksum).
     *
     * @throws IllegalArgumentException naming the problem, for a malformed or refused location
     */
    static URI redirectTarget(URI from, String location) {
        URI to;
        try {
            to = from.resolve(location.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("malformed Location " + RepoFileNames.printable(location), e);
        }
        String scheme = to.getScheme() == null ? "" : to.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || to.getHost() == null) {
            throw new IllegalArgumentException("Location " + RepoFileNames.printable(location)
                    + " is not an http(s) URL with a host");
        }
        if ("https".equalsIgnoreCase(from.getScheme()) && scheme.equals("http")) {
            throw new IllegalArgumentException("Location " + RepoFileNames.printable(location)
                    + " downgrades https to http");
        }
        return to;
    }

    static boolean sameOrigin(URI a, URI b) {
        return a.getScheme() != null && a.getScheme().equalsIgnoreCase(b.getScheme())
                && a.getHost() != null && a.getHost().equalsIgnoreCase(b.getHost())
                && port(a) == port(b);
    }

    private static int port(URI uri) {
        if (uri.getPort() >= 0) {
            return uri.getPort();
        }
        return "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    }
}
