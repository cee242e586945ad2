package io.flux2.inference.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import io.flux2.inference.TinyPackage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelPackageLoaderTest {

    @TempDir
    Path work;

    @Test
    void readsTheManifest() {
        ModelManifest manifest = ManifestReader.read(TinyPackage.folder());
        assertThat(manifest.name()).isEqualTo("tiny");
        assertThat(manifest.variantKind()).isEqualTo(Variant.DEV);
        assertThat(manifest.textEncoder().maxLength()).isEqualTo(512);
        assertThat(manifest.textEncoder().promptTemplate()).isEqualTo("{prompt}");
        assertThat(manifest.transformer().contextDim()).isEqualTo(96);
        assertThat(manifest.transformer().axesDim()).containsExactly(8, 8, 8, 8);
        assertThat(manifest.vae().pixelsPerToken()).isEqualTo(16);
        assertThat(manifest.defaults()).isEqualTo(new ModelManifest.Defaults(4, 4.0, 128, 128));
    }

    @Test
    void loadsTheTinyPackage() {
        ModelPackage tiny = TinyPackage.get();
        assertThat(tiny.name()).isEqualTo("tiny");
        assertThat(tiny.device()).isEqualTo(Device.cpu());
    }

    @Test
    void refusesAChangedGraph() throws Exception {
        Path copy = copyOfTiny();
        Files.write(copy.resolve("transformer.pt"), new byte[] {0}, StandardOpenOption.APPEND);
        assertThatThrownBy(() -> new ModelPackageLoader(true).load(copy, Device.cpu()))
                .isInstanceOf(ModelPackageException.class)
                .hasMessageContaining("checksum mismatch for transformer.pt")
                .hasMessageContaining("refusing to load");
    }

    @Test
    void refusesAPackageWithoutChecksums() throws Exception {
        Path copy = copyOfTiny();
        Files.delete(copy.resolve("checksums.sha256"));
        assertThatThrownBy(() -> new ModelPackageLoader(true).load(copy, Device.cpu()))
                .isInstanceOf(ModelPackageException.class)
                .hasMessageContaining("has no checksums.sha256");
    }

    @Test
    void refusesAMissingGraph() throws Exception {
        Path copy = copyOfTiny();
        Files.delete(copy.resolve("vae_decoder.pt"));
        assertThatThrownBy(() -> new ModelPackageLoader(true).load(copy, Device.cpu()))
                .isInstanceOf(ModelPackageException.class)
                .hasMessageContaining("vae_decoder.pt is missing");
    }

    @Test
    void refusesAnUnknownFormatOrVariant() throws Exception {
        Path copy = copyOfTiny();
        Path manifest = copy.resolve("model.json");
        String json = Files.readString(manifest);
        Files.writeString(manifest, json.replaceFirst("\"format\":\\s*1", "\"format\": 2"));
        assertThatThrownBy(() -> ManifestReader.read(copy)).hasMessageContaining("format 2 is not supported");
        Files.writeString(manifest, json.replaceFirst("\"variant\":\\s*\"dev\"", "\"variant\": \"pro\""));
        assertThatThrownBy(() -> ManifestReader.read(copy)).hasMessageContaining("Unknown model variant 'pro'");
    }

    @Test
    void refusesAFolderThatIsNotThere() {
        assertThatThrownBy(() -> new ModelPackageLoader(true).load(work.resolve("nope"), Device.cpu()))
                .isInstanceOf(ModelPackageException.class)
                .hasMessageContaining("does not exist");
    }

    @Test
    void readsDeviceNames() {
        assertThat(DeviceNames.parse("cpu")).isEqualTo(Device.cpu());
        assertThat(DeviceNames.parse("cuda:1")).isEqualTo(Device.gpu(1));
        assertThat(DeviceNames.parse("gpu0")).isEqualTo(Device.gpu(0));
        assertThatThrownBy(() -> DeviceNames.parse("cuda:x")).hasMessageContaining("cuda:N");
    }

    private Path copyOfTiny() throws Exception {
        Path copy = Files.createDirectories(work.resolve("tiny"));
        try (var files = Files.list(TinyPackage.folder())) {
            for (Path file : files.toList()) {
                Files.copy(file, copy.resolve(file.getFileName()));
            }
        }
        return copy;
    }
}
