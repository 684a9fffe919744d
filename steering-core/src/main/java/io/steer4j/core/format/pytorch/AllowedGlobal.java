package io.steer4j.core.format.pytorch;

import java.util.Arrays;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The only Python globals a pickle may name: what {@code torch.load(weights_only=True)} accepts for tensors and
 * containers, numpy's array reconstruction (repeng stores numpy directions), and two steering libraries' vector
 * classes, which are read as data (their pickled field dict), never instantiated. Nothing here is ever called:
 * {@link RestrictedUnpickler} interprets each one itself.
 */
enum AllowedGlobal {
    REBUILD_TENSOR_V2("torch._utils._rebuild_tensor_v2"),
    REBUILD_PARAMETER("torch._utils._rebuild_parameter"),
    REBUILD_PARAMETER_WITH_STATE("torch._utils._rebuild_parameter_with_state"),
    FLOAT_STORAGE("torch.FloatStorage"),
    HALF_STORAGE("torch.HalfStorage"),
    BFLOAT16_STORAGE("torch.BFloat16Storage"),
    DOUBLE_STORAGE("torch.DoubleStorage"),
    ORDERED_DICT("collections.OrderedDict"),
    /** Protocol 2 has no bytes opcode: Python 3 pickles {@code bytes} as {@code _codecs.encode(str, "latin1")}. */
    CODECS_ENCODE("_codecs.encode"),
    NUMPY_RECONSTRUCT("numpy.core.multiarray._reconstruct"),
    NUMPY2_RECONSTRUCT("numpy._core.multiarray._reconstruct"),
    NUMPY_NDARRAY("numpy.ndarray"),
    NUMPY_DTYPE("numpy.dtype"),
    /** steering-vectors: {@code @dataclass SteeringVector(layer_activations: dict[int, Tensor], layer_type)}. */
    STEERING_VECTORS_STEERING_VECTOR("steering_vectors.steering_vector.SteeringVector"),
    /** repeng: {@code @dataclass ControlVector(model_type: str, directions: dict[int, np.ndarray])}. */
    REPENG_CONTROL_VECTOR("repeng.extract.ControlVector");

    private static final Map<String, AllowedGlobal> BY_NAME = Arrays.stream(values())
            .collect(Collectors.toUnmodifiableMap(g -> g.qualifiedName, Function.identity()));

    private final String qualifiedName;

    AllowedGlobal(String qualifiedName) {
        this.qualifiedName = qualifiedName;
    }

    /** {@code module.name}, as Python writes it. */
    String qualifiedName() {
        return qualifiedName;
    }

    /** The allowed global called {@code module.name}, or {@code null}. */
    static AllowedGlobal lookup(String module, String name) {
        return BY_NAME.get(module + "." + name);
    }

    /** Whether this global is a class read as a dataclass's fields (NEWOBJ then BUILD with a dict). */
    boolean isDataclass() {
        return this == STEERING_VECTORS_STEERING_VECTOR || this == REPENG_CONTROL_VECTOR;
    }

    /** The storage type, or {@code null} if this global is not one. */
    TorchStorageType storageType() {
        return switch (this) {
            case FLOAT_STORAGE -> TorchStorageType.FLOAT;
            case HALF_STORAGE -> TorchStorageType.HALF;
            case BFLOAT16_STORAGE -> TorchStorageType.BFLOAT16;
            case DOUBLE_STORAGE -> TorchStorageType.DOUBLE;
            default -> null;
        };
    }
}
