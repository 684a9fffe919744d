package io.steer4j.core.format.pytorch;

/**
 * A numpy dtype as pickled: {@code numpy.dtype('f4', False, True)} then BUILD's state
 * {@code (3, '<', None, None, None, -1, -1, 0)}, whose second item is the byte order.
 */
final class NumpyDtype {
    private final String descr;
    private String byteOrder = "<";

    NumpyDtype(String descr) {
        this.descr = descr;
    }

    void setState(PickleTuple state) {
        if (state.size() < 2 || !(state.get(1) instanceof String order)) {
            throw new IllegalArgumentException("numpy dtype state has no byte order");
        }
        this.byteOrder = order;
    }

    boolean bigEndian() {
        return byteOrder.equals(">");
    }

    /** The element type, for the float kinds a direction can have. */
    TorchStorageType storageType() {
        return switch (descr) {
            case "f4" -> TorchStorageType.FLOAT;
            case "f2" -> TorchStorageType.HALF;
            case "f8" -> TorchStorageType.DOUBLE;
            default -> throw new IllegalArgumentException("numpy dtype '" + descr
                    + "' is not a floating-point type (expected f2, f4 or f8)");
        };
    }

    @Override
    public String toString() {
        return byteOrder + descr;
    }
}
