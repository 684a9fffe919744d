package io.steer4j.cli;

import ai.djl.Device;
import picocli.CommandLine.Option;

/** The {@code --device} option of commands that load a model: {@code cpu} (default) or {@code gpu[:N]}. */
public final class DeviceOption {
    @Option(names = "--device", defaultValue = "cpu", paramLabel = "cpu|gpu[:N]",
            description = "where to run the model (default ${DEFAULT-VALUE}); gpu needs the CUDA build (mvn -Pcuda)")
    String device;

    /** The DJL device. */
    public Device toDevice() {
        if (device.equals("cpu")) {
            return Device.cpu();
        }
        if (device.equals("gpu")) {
            return Device.gpu();
        }
        if (device.startsWith("gpu:")) {
            try {
                return Device.gpu(Integer.parseInt(device.substring(4)));
            } catch (NumberFormatException e) {
                // fall through
            }
        }
        throw new IllegalArgumentException("unknown device '" + device + "'; use cpu, gpu or gpu:N");
    }
}
