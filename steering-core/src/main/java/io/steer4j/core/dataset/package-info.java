/**
 * Contrastive datasets: pairs of texts that differ in the concept to steer, multiple-choice (A/B) items, loaders
 * for JSON, JSON Lines and CSV files, and a template expander in the style of repeng.
 */
package io.steer4j.core.dataset;
