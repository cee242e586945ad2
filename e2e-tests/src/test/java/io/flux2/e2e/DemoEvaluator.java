package io.flux2.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** model-tools' image evaluator ({@code flux2_tools.demo_eval analyze}): what a picture of the demo model shows. */
final class DemoEvaluator {

    private DemoEvaluator() {
    }

    /** {background, shapes: [{colour, class, position, ...}]} of one image file. */
    static JsonNode analyze(Path image) throws IOException, InterruptedException {
        Process process = new ProcessBuilder("/usr/bin/python3", "-m", "flux2_tools.demo_eval", "analyze",
                image.toAbsolutePath().toString())
                .directory(RunningPlatform.MODEL_TOOLS.toFile())
                .redirectErrorStream(true)
                .start();
        boolean finished = process.waitFor(60, TimeUnit.SECONDS);
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!finished || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new IllegalStateException("The evaluator failed on " + image + ":\n" + output);
        }
        return JsonMapper.builder().build().readTree(output.substring(output.indexOf('{')));
    }
}
