package io.steer4j.spark;

import java.io.Serializable;

/**
 * One contrastive pair on its way to an executor, with the identity its errors are reported under.
 *
 * @param identity the row's id value, or {@code "#<index>"}
 * @param positive the text showing the behaviour (may be null: reported as a bad row on the executor)
 * @param negative the text showing its opposite (may be null: likewise)
 */
record PairRow(String identity, String positive, String negative) implements Serializable {
}
