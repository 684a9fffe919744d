/** Model-independent steering: datasets, vectors, hooks, formats and evaluation math. */
package io.steer4j.core;
