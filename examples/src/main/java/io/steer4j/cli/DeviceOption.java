package io.steer4j.cli;

import ai.djl.Device;
import io.steer4j.djl.model.Precision;
import io.steer4j.djl.tokenizer.SpecialTokens;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * The options of commands that load a model: {@code --device} {@code cpu} (default) or {@code gpu[:N]},
 * {@code --precision} {@code float32} (default) or {@code float16}, and {@code --no-special-tokens} for text that
 * already carries the tokenizer's special tokens (by default BOS is added where the tokenizer defines it).
 */
public final class DeviceOption {
    @Option(names = "--device", defaultValue = "cpu", paramLabel = "cpu|gpu[:N]",
            description = "where to run the model (default ${DEFAULT-VALUE}); gpu needs the CUDA build (mvn -Pcuda)")
    String device;

    @Option(names = "--precision", defaultValue = "float32", paramLabel = "float32|float16",
            converter = PrecisionConverter.class,
            description = "weight precision (default ${DEFAULT-VALUE}); float16 is for GPUs, slower on CPU")
    Precision precision;

    @Option(names = "--no-special-tokens",
            description = "encode texts as written, without the special tokens (BOS) the tokenizer adds; for text "
                    + "that already starts with them")
    boolean noSpecialTokens;

    /** The weights' precision. */
    public Precision toPrecision() {
        return precision;
    }

    /** Lets picocli report a bad precision as a usage error, with {@link Precision#parse}'s message. */
    static final class PrecisionConverter implements ITypeConverter<Precision> {
        @Override
        public Precision convert(String value) {
            try {
                return Precision.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** Whether texts get the tokenizer's special tokens. */
    public SpecialTokens toSpecialTokens() {
        return noSpecialTokens ? SpecialTokens.NONE : SpecialTokens.AS_DEFINED;
    }

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
