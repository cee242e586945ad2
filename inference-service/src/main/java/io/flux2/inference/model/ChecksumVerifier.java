package io.flux2.inference.model;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Checks a package folder against its {@code checksums.sha256} ({@code sha256sum} format). A package whose
 * files do not match is refused: a half-copied or edited graph fails in odd ways much later otherwise.
 */
public final class ChecksumVerifier {

    private ChecksumVerifier() {
    }

    /** Verifies every file in {@code required}; throws a {@link ModelPackageException} naming the first bad one. */
    public static void verify(Path folder, List<String> required) {
        Map<String, String> expected = read(folder.resolve(PackageFiles.CHECKSUMS));
        for (String file : required) {
            String want = expected.get(file);
            if (want == null) {
                throw new ModelPackageException("Model package " + folder + ": " + PackageFiles.CHECKSUMS
                        + " lists no checksum for " + file);
            }
            String have = sha256(folder.resolve(file));
            if (!want.equals(have)) {
                throw new ModelPackageException("Model package " + folder + ": checksum mismatch for " + file
                        + " (expected " + want + ", found " + have + "); the package is damaged or was changed "
                        + "after export, refusing to load it");
            }
        }
    }

    static Map<String, String> read(Path checksums) {
        List<String> lines;
        try {
            lines = Files.readAllLines(checksums, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ModelPackageException("Model package " + checksums.getParent() + " has no "
                    + PackageFiles.CHECKSUMS + "; refusing to load an unverifiable package");
        } catch (IOException e) {
            throw new ModelPackageException("Cannot read " + checksums, e);
        }
        Map<String, String> sums = new LinkedHashMap<>();
        for (String line : lines) {
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                continue;
            }
            int space = trimmed.indexOf(' ');
            if (space != 64) {
                throw new ModelPackageException("Malformed line in " + checksums + ": '" + line + "'");
            }
            String name = trimmed.substring(space).strip();
            // sha256sum marks binary mode with a leading '*'.
            if (name.startsWith("*")) {
                name = name.substring(1);
            }
            sums.put(name, trimmed.substring(0, space).toLowerCase(Locale.ROOT));
        }
        return sums;
    }

    static String sha256(Path file) {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            byte[] buffer = new byte[1 << 20];
            while (in.read(buffer) >= 0) {
                // the digest stream hashes as it reads
            }
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (NoSuchFileException e) {
            throw new ModelPackageException("Model package file " + file + " is missing");
        } catch (IOException e) {
            throw new ModelPackageException("Cannot read " + file, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
