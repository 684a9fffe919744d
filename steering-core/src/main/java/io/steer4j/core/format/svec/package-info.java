/** IBM activation-steering's {@code .svec} JSON vectors: {@link io.steer4j.core.format.svec.SvecFile}. */
package io.steer4j.core.format.svec;
