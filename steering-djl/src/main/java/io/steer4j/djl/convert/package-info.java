/**
 * Imports checkpoints from other frameworks into Hugging Face model folders that steer4j loads: TensorFlow BERT
 * checkpoints and SavedModels ({@link io.steer4j.djl.convert.TfBertConverter}).
 */
package io.steer4j.djl.convert;
