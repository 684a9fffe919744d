package io.steer4j.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * Base of every subcommand: the {@code --verbose} flag, output streams, and the error policy. A subcommand
 * implements {@link #run()}; usage errors found while running are thrown with {@link #usage(String)} (exit 2),
 * anything else thrown becomes one line on stderr and exit 1 (plus the stack trace with {@code --verbose}).
 */
public abstract class BaseCommand implements Callable<Integer> {
    /** The command as picocli parsed it (for its usage and output streams); injected by picocli. */
    @Spec
    protected CommandSpec spec;

    /** Print stack traces of errors, not just their messages. */
    @Option(names = "--verbose", order = 1000, description = "Print stack traces of errors.")
    protected boolean verbose;

    /** The command's work; returns the exit code. */
    protected abstract int run() throws Exception;

    @Override
    public final Integer call() {
        try {
            return run();
        } catch (ParameterException e) {
            throw e;   // handled by picocli's parameter exception handler: exit 2
        } catch (Exception | OutOfMemoryError | UnsatisfiedLinkError e) {
            PrintWriter err = err();
            out().flush();
            err.println(spec.qualifiedName() + ": error: " + describe(e));
            if (verbose) {
                e.printStackTrace(err);
            }
            err.flush();
            return Steer4jCli.EXIT_FAILURE;
        }
    }

    /** Standard output of this command line (tests can capture it). */
    protected PrintWriter out() {
        return spec.commandLine().getOut();
    }

    /** Standard error of this command line. */
    protected PrintWriter err() {
        return spec.commandLine().getErr();
    }

    /** A usage error (exit 2) with {@code message}. */
    protected ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    /**
     * Fails with a usage error naming {@code what} unless {@code file} can be written: its folder exists or can be
     * created and accepts a new file, and {@code file} is not a folder. Checked before the work, so a run of minutes
     * does not end on an unwritable output (reported by the name of the temporary file it was writing).
     */
    protected Path requireWritableFile(Path file, String what) {
        if (Files.isDirectory(file)) {
            throw usage(what + " " + file + " is a folder, not a file");
        }
        Path parent = file.toAbsolutePath().getParent();
        requireWritableFolder(parent, what + " " + file + ": its folder");
        return file;
    }

    /**
     * Fails with a usage error naming {@code what} unless {@code dir} is, or can be created as, a writable folder.
     * Nothing is created: the nearest existing folder on the way is checked by writing and deleting a probe file,
     * so a run refused later for another reason leaves no empty folder behind.
     */
    protected Path requireWritableFolder(Path dir, String what) {
        Path existing = dir.toAbsolutePath();
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            throw usage(what + " " + dir + " cannot be created: no part of it exists");
        }
        if (!Files.isDirectory(existing)) {
            throw usage(what + " " + dir + " cannot be created: " + existing + " is a file, not a folder");
        }
        try {
            Files.delete(Files.createTempFile(existing, ".steer4j-write-check", ".tmp"));
        } catch (java.io.IOException | SecurityException e) {
            throw usage(what + " " + dir + " is not writable (checked in " + existing + "): "
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " (" + e.getMessage() + ")"));
        }
        return dir;
    }

    /** Fails with a usage error naming {@code what} unless {@code file} is a readable regular file. */
    protected Path requireFile(Path file, String what) {
        if (!Files.exists(file)) {
            throw usage(what + " not found: " + file);
        }
        if (!Files.isRegularFile(file)) {
            throw usage(what + " is not a regular file: " + file);
        }
        if (!Files.isReadable(file)) {
            throw usage(what + " is not readable: " + file);
        }
        return file;
    }

    /** One line describing an error: its message, or its type when it has none. */
    static String describe(Throwable e) {
        Throwable t = e instanceof UncheckedIOException && e.getCause() != null ? e.getCause() : e;
        String msg = t.getMessage();
        if (t instanceof NoSuchFileException) {
            return "file not found: " + msg;
        }
        if (t instanceof AccessDeniedException) {
            return "permission denied: " + msg;
        }
        if (msg == null || msg.isBlank()) {
            return t.getClass().getSimpleName();
        }
        if (t instanceof IOException && !t.getClass().getName().startsWith("io.steer4j")) {
            return t.getClass().getSimpleName() + ": " + msg.strip();
        }
        return msg.strip();
    }
}
