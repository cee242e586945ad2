package io.flux2.inference.model;

import ai.djl.Device;
import java.util.Locale;

/** Reads the configured device: {@code cpu}, {@code cuda:N} as in PyTorch, or DJL's own {@code gpuN}. */
public final class DeviceNames {

    private DeviceNames() {
    }

    public static Device parse(String name) {
        String value = name == null ? "cpu" : name.strip().toLowerCase(Locale.ROOT);
        if (value.equals("cpu")) {
            return Device.cpu();
        }
        if (value.equals("cuda")) {
            return Device.gpu(0);
        }
        if (value.startsWith("cuda:")) {
            try {
                return Device.gpu(Integer.parseInt(value.substring(5)));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("Device '" + name + "' is not cpu or cuda:N", e);
            }
        }
        try {
            return Device.fromName(value);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("Device '" + name + "' is not cpu or cuda:N", e);
        }
    }
}
