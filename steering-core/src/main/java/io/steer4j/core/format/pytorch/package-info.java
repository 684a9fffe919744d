/**
 * Steering vectors saved by Python tools with {@code torch.save} (zip or legacy format), read without executing
 * anything:
 * {@link io.steer4j.core.format.pytorch.TorchVectorFile} (bare tensors, dicts, steering-vectors'
 * {@code SteeringVector}, repeng's {@code ControlVector}) and {@link io.steer4j.core.format.pytorch.CaaVectorFolder}
 * (CAA's {@code vec_layer_L_MODEL.pt} folders). Inside, a zip reader that treats the archive as hostile, a
 * restricted pickle machine with an allow-list of globals, and the tensor rebuild from raw storages.
 */
package io.steer4j.core.format.pytorch;
