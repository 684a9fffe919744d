/**
 * The one description of a transformer's forward pass that every engine follows: activations ({@link
 * io.steer4j.djl.engine.Activation}), norms ({@link io.steer4j.djl.engine.Normalization}), rotary angles
 * ({@link io.steer4j.djl.engine.RotaryAngles}), a decoder's shape and options ({@link
 * io.steer4j.djl.engine.DecoderSpec}), where and how hooks and plans touch a pass's rows ({@link
 * io.steer4j.djl.engine.HookRows}), and the key/value store an engine keeps beside the model's cache ({@link
 * io.steer4j.djl.engine.KvSlots}). An engine decides how, never what: the libtorch pass in {@code
 * io.steer4j.djl.model} and the Java CPU engine in {@code io.steer4j.djl.engine.cpu} both read these.
 *
 * <p>Internal to steer4j: these types are public only because two packages of this module share them; they are not
 * a user API and may change in any release.
 */
package io.steer4j.djl.engine;
