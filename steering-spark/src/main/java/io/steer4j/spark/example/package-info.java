/**
 * Runnable programs for the Spark module: {@link io.steer4j.spark.example.SteerOnSpark} (the whole workflow, local
 * or with {@code spark-submit}) and {@link io.steer4j.spark.example.ExtractionBench} (pairs per second in one
 * process and through Spark).
 */
package io.steer4j.spark.example;
