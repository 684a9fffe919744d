package io.steer4j.core.format.pytorch;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An instance of an allowed dataclass ({@link AllowedGlobal#isDataclass()}), held as its class and the field dict
 * the pickle's BUILD gave it. No Python or Java object of that class is ever created.
 */
final class PickledObject {
    private final AllowedGlobal type;
    private final Map<String, Object> fields = new LinkedHashMap<>();

    PickledObject(AllowedGlobal type) {
        this.type = type;
    }

    AllowedGlobal type() {
        return type;
    }

    /** The fields, by name (live: BUILD fills it). */
    Map<String, Object> fields() {
        return fields;
    }

    @Override
    public String toString() {
        return type.qualifiedName() + fields.keySet();
    }
}
