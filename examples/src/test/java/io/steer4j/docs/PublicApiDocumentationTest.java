package io.steer4j.docs;

import com.sun.source.tree.ClassTree;
import com.sun.source.tree.CompilationUnitTree;
import com.sun.source.tree.MethodTree;
import com.sun.source.tree.ModifiersTree;
import com.sun.source.tree.Tree;
import com.sun.source.tree.VariableTree;
import com.sun.source.util.DocTrees;
import com.sun.source.util.JavacTask;
import com.sun.source.util.TreePath;
import com.sun.source.util.TreePathScanner;
import org.junit.jupiter.api.Test;

import javax.lang.model.element.Modifier;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every public type and every public or protected member of every module's main sources has a Javadoc comment.
 * The javadoc build runs doclint without its "missing" group (which would also demand @param/@return on each
 * member); this test is the part of "missing" that matters, with a message naming each file and line.
 */
class PublicApiDocumentationTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @Test
    void everyPublicTypeAndMemberHasAJavadocComment() throws IOException {
        List<Path> sources = mainSources();
        assertFalse(sources.isEmpty(), "no sources found under " + ROOT + "/*/src/main/java");
        List<String> undocumented;
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        try (StandardJavaFileManager files = javac.getStandardFileManager(null, null, null)) {
            undocumented = undocumented(files.getJavaFileObjectsFromPaths(sources));
        }
        assertTrue(undocumented.isEmpty(), undocumented.size() + " public types/members have no Javadoc comment"
                + " (every public API needs one; see the root pom's maven-javadoc-plugin note):\n  "
                + String.join("\n  ", undocumented));
    }

    @Test
    void theCheckFindsUndocumentedPublicMembersAndIgnoresPrivateOnes() throws IOException {
        String source = """
                package p;
                /** Documented. */
                public class A {
                    /** Documented. */
                    public int documented;
                    public int bare;
                    private int hidden;
                    /** Documented. */
                    public A() {
                    }
                    public void undocumented() {
                    }
                    @Override
                    public String toString() {
                        return "";
                    }
                    /** Documented. */
                    public interface Inner {
                        void implicitlyPublic();
                    }
                    static class PackagePrivate {
                        public void notApi() {
                        }
                    }
                }
                """;
        JavaFileObject file = new javax.tools.SimpleJavaFileObject(java.net.URI.create("string:///p/A.java"),
                JavaFileObject.Kind.SOURCE) {
            @Override
            public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                return source;
            }
        };
        List<String> found = undocumented(List.of(file)).stream()
                .map(s -> s.substring(s.lastIndexOf(": ") + 2)).toList();
        assertEquals(List.of("bare", "undocumented()", "implicitlyPublic()"), found);
    }

    private static List<String> undocumented(Iterable<? extends JavaFileObject> units) throws IOException {
        List<String> out = new ArrayList<>();
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        JavacTask task = (JavacTask) javac.getTask(null, null, null, List.of("-proc:none"), null, units);
        DocTrees docs = DocTrees.instance(task);
        for (CompilationUnitTree unit : task.parse()) {
            new UndocumentedFinder(unit, docs, out).scan(unit, null);
        }
        return out;
    }

    private static List<Path> mainSources() throws IOException {
        List<Path> out = new ArrayList<>();
        try (Stream<Path> modules = Files.list(ROOT)) {
            for (Path main : modules.map(m -> m.resolve("src/main/java")).filter(Files::isDirectory).toList()) {
                try (Stream<Path> walk = Files.walk(main)) {
                    out.addAll(walk.filter(p -> p.toString().endsWith(".java"))
                            .filter(p -> !p.getFileName().toString().equals("package-info.java"))
                            .collect(Collectors.toList()));
                }
            }
        }
        return out;
    }

    /** Walks one file, tracking whether each enclosing type is itself visible outside its package. */
    private static final class UndocumentedFinder extends TreePathScanner<Void, Void> {
        private final CompilationUnitTree unit;
        private final DocTrees docs;
        private final List<String> out;
        /** For each enclosing type: visible to users, and an interface/annotation (members implicitly public). */
        private final Deque<boolean[]> types = new ArrayDeque<>();

        UndocumentedFinder(CompilationUnitTree unit, DocTrees docs, List<String> out) {
            this.unit = unit;
            this.docs = docs;
            this.out = out;
        }

        @Override
        public Void visitClass(ClassTree node, Void unused) {
            boolean iface = node.getKind() == Tree.Kind.INTERFACE || node.getKind() == Tree.Kind.ANNOTATION_TYPE;
            boolean visible = types.isEmpty() ? node.getModifiers().getFlags().contains(Modifier.PUBLIC)
                    : enclosingVisible() && memberVisible(node.getModifiers());
            if (visible) {
                // implicit default constructors are not required to be spelled out (javadoc's "missing" group
                // would ask for that too; CLI commands and builders rely on them)
                require(node.getSimpleName().toString());
            }
            types.push(new boolean[] {visible, iface});
            try {
                return super.visitClass(node, unused);
            } finally {
                types.pop();
            }
        }

        @Override
        public Void visitMethod(MethodTree node, Void unused) {
            if (enclosingVisible() && memberVisible(node.getModifiers()) && !isGenerated(node)
                    && node.getModifiers().getAnnotations().stream()
                    .noneMatch(a -> a.getAnnotationType().toString().equals("Override"))) {
                require(node.getName().contentEquals("<init>") ? "constructor" : node.getName() + "()");
            }
            return null;   // local classes inside bodies are not API
        }

        @Override
        public Void visitVariable(VariableTree node, Void unused) {
            Tree parent = getCurrentPath().getParentPath().getLeaf();
            if (parent instanceof ClassTree && enclosingVisible()
                    && memberVisible(node.getModifiers())) {
                require(node.getName().toString());
            }
            return null;
        }

        private boolean enclosingVisible() {
            return !types.isEmpty() && types.peek()[0];
        }

        private boolean memberVisible(ModifiersTree m) {
            if (m.getFlags().contains(Modifier.PRIVATE)) {
                return false;
            }
            return types.peek()[1] || m.getFlags().contains(Modifier.PUBLIC)
                    || m.getFlags().contains(Modifier.PROTECTED);
        }

        /** Members the parser adds without source text (none today; kept so a future javac cannot fool us). */
        private boolean isGenerated(MethodTree node) {
            return docs.getSourcePositions().getEndPosition(unit, node) < 0;
        }

        private void require(String what) {
            if (docs.getDocCommentTree(getCurrentPath()) == null) {
                report(what);
            }
        }

        private void report(String what) {
            TreePath path = getCurrentPath();
            long line = unit.getLineMap().getLineNumber(
                    docs.getSourcePositions().getStartPosition(unit, path.getLeaf()));
            String file = unit.getSourceFile().toUri().getPath();
            String shown = file.startsWith(ROOT + "/") ? ROOT.relativize(Path.of(file)).toString() : file;
            out.add(shown + ":" + line + ": " + what);
        }
    }
}
