package io.flux2.gateway.submit;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.stereotype.Component;

/**
 * Builds {@code polling_url}. Behind a proxy or ingress the request's own host is not what clients use, so
 * a configured public base URL wins; without one, the URL points back at the host the request came to.
 */
@Component
class PollingUrls {

    private final String publicBaseUrl;

    PollingUrls(SubmitProperties properties) {
        String configured = properties.publicBaseUrl();
        this.publicBaseUrl = configured == null || configured.isBlank() ? null : stripSlash(configured.strip());
    }

    String forJob(String id, ServerHttpRequest request) {
        String base = publicBaseUrl != null ? publicBaseUrl : origin(request.getURI());
        return base + "/v1/get_result?id=" + URLEncoder.encode(id, StandardCharsets.UTF_8);
    }

    private static String origin(URI uri) {
        String port = uri.getPort() < 0 ? "" : ":" + uri.getPort();
        return uri.getScheme() + "://" + uri.getHost() + port;
    }

    private static String stripSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }
}
