/**
 * The {@code steer4j} command-line tool ({@link io.steer4j.cli.Steer4jCli}): one picocli class per subcommand.
 * Exit codes: 0 success, 1 runtime failure, 2 bad usage.
 */
package io.steer4j.cli;
