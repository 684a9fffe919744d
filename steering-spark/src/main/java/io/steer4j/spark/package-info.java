/**
 * steer4j on Apache Spark: {@link io.steer4j.spark.SparkVectorComputer} (steering vectors from a DataFrame of pairs,
 * per-partition statistics combined on the driver), {@link io.steer4j.spark.SparkSteering} (batch generation and
 * scoring with a plan per row) and {@link io.steer4j.spark.SparkSweep} (layer × strength sweeps with their cells
 * spread over executors). Each executor loads a model once per JVM and runs the library's own single-machine code.
 */
package io.steer4j.spark;
