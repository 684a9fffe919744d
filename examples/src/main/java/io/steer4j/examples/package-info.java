/** Runnable examples, one per README use case. */
package io.steer4j.examples;
